/*
 * wgraph: see wgraph.h.
 */
#include "workload/wgraph.h"

#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"

long nvl_wgraph_add(nvl_wgraph *g, const nvl_wop *op, const size_t *deps, size_t n_deps) {
  for (size_t i = 0; i < n_deps; i++)
    if (deps[i] >= g->n_ops)
      return -1;
  if (g->n_ops == g->cap_ops) {
    g->cap_ops = g->cap_ops ? 2 * g->cap_ops : 16;
    g->ops = nvl_xrealloc(g->ops, g->cap_ops * sizeof *g->ops);
    g->dep_start = nvl_xrealloc(g->dep_start, (g->cap_ops + 1) * sizeof *g->dep_start);
  }
  if (g->n_ops == 0)
    g->dep_start[0] = 0;
  if (g->n_deps + n_deps > g->cap_deps) {
    while (g->n_deps + n_deps > g->cap_deps)
      g->cap_deps = g->cap_deps ? 2 * g->cap_deps : 16;
    g->deps = nvl_xrealloc(g->deps, g->cap_deps * sizeof *g->deps);
  }
  if (n_deps)
    memcpy(g->deps + g->n_deps, deps, n_deps * sizeof *deps);
  g->n_deps += n_deps;
  g->ops[g->n_ops] = *op;
  g->dep_start[g->n_ops + 1] = g->n_deps;
  return (long)g->n_ops++;
}

size_t nvl_wgraph_dsts(nvl_wgraph *g, size_t n) {
  if (g->n_dsts + n > g->cap_dsts) {
    while (g->n_dsts + n > g->cap_dsts)
      g->cap_dsts = g->cap_dsts ? 2 * g->cap_dsts : 64;
    g->dsts = nvl_xrealloc(g->dsts, g->cap_dsts * sizeof *g->dsts);
  }
  size_t at = g->n_dsts;
  g->n_dsts += n;
  return at;
}

size_t nvl_wgraph_vals(nvl_wgraph *g, size_t n) {
  if (g->n_vals + n > g->cap_vals) {
    while (g->n_vals + n > g->cap_vals)
      g->cap_vals = g->cap_vals ? 2 * g->cap_vals : 64;
    g->vals = nvl_xrealloc(g->vals, g->cap_vals * sizeof *g->vals);
  }
  size_t at = g->n_vals;
  memset(g->vals + at, 0, n * sizeof *g->vals);
  g->n_vals += n;
  return at;
}

void nvl_wgraph_release(nvl_wgraph *g) {
  free(g->vals);
  free(g->ops);
  free(g->dep_start);
  free(g->deps);
  free(g->dsts);
  memset(g, 0, sizeof *g);
}
