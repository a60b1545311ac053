/*
 * fold: the folded graph (canonical links and hosts, the first operation of every orbit), what
 * the engine runs of it, and its result made the full graph's (fold.h).
 */
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"
#include "platform/platform.h"
#include "workload/fold_internal.h"

/* Drops the ops of lanes that do not act in a fixed job's traffic or computing: sends and
 * computing of ranks that are not the first of their orbit, and the receives of those sends. */
static void keep_first_ranks(nvl_program *p, const uint8_t *first) {
  for (size_t l = 0; l < p->n_lanes; l++) {
    nvl_lane *ln = &p->lanes[l];
    size_t m = 0;
    for (size_t i = 0; i < ln->n_ops; i++) {
      const nvl_op *op = &ln->ops[i];
      bool mine = ln->rank < 0 || first[ln->rank];
      bool keep =
          op->kind == NVL_OP_SEND || op->kind == NVL_OP_POST || op->kind == NVL_OP_COMPUTE ? mine
          : op->kind == NVL_OP_RECV ? p->lanes[op->peer].rank < 0 || first[p->lanes[op->peer].rank]
                                    : true;
      if (keep)
        ln->ops[m++] = *op;
    }
    ln->n_ops = m;
  }
}

/* The folded graph: the first operation of every orbit, depending on its dependencies' orbits. */
static void quotient(nvl_fold *fo) {
  const nvl_wgraph *g = &fo->wr->g;
  size_t n = fo->n_ops;
  fo->rep = nvl_xmalloc((n + 1) * sizeof(size_t));
  fo->orig = nvl_xmalloc((n + 1) * sizeof(size_t));
  for (size_t x = 0; x < n; x++)
    fo->rep[x] = SIZE_MAX;
  for (size_t x = 0; x < n; x++) {
    if (fo->rep[x] != SIZE_MAX)
      continue;
    size_t c = x;
    do {
      fo->rep[c] = fo->n_q;
      c = fo->img[c];
    } while (c != x);
    fo->orig[fo->n_q++] = x;
  }
  fo->dep_start = nvl_xcalloc(fo->n_q + 2, sizeof(size_t));
  fo->deps = nvl_xmalloc((g->n_deps + 1) * sizeof(size_t));
  size_t m = 0;
  for (size_t q = 0; q < fo->n_q; q++) {
    size_t x = fo->orig[q], from = m;
    for (size_t i = g->dep_start[x]; i < g->dep_start[x + 1]; i++)
      fo->deps[m++] = fo->rep[g->deps[i]];
    qsort(fo->deps + from, m - from, sizeof(size_t), nvl_fold_cmp_size);
    size_t u = from;
    for (size_t i = from; i < m; i++)
      if (i == from || fo->deps[i] != fo->deps[u - 1])
        fo->deps[u++] = fo->deps[i];
    m = u;
    fo->dep_start[q + 1] = m;
  }
}

nvl_fold *nvl_fold_make(const nvl_workload_run *wr, const nvl_fold_parts *pt) {
  nvl_fold *fo = nvl_xcalloc(1, sizeof *fo);
  fo->wr = wr;
  fo->k = pt->k;
  fo->n_ops = wr->g.n_ops;
  fo->n_jobs = wr->spec->n_jobs;
  const nvl_platform *p = wr->p;
  size_t nl = 2 * nvl_platform_link_count(p);
  fo->link_canon = nvl_xmalloc((nl + 1) * sizeof(int));
  fo->link_weight = nvl_xmalloc((nl + 1) * sizeof(double));
  if (!nvl_platform_link_orbits(pt->link_map, nl, pt->k, fo->link_canon, fo->link_weight)) {
    nvl_fold_free(fo);
    return NULL;
  }
  size_t nh = nvl_platform_host_count(p);
  fo->host_canon = nvl_xmalloc((nh + 1) * sizeof(int));
  for (size_t h = 0; h < nh; h++)
    fo->host_canon[h] = (int)h;
  for (int i = 0; i < pt->N; i++) { /* D[i]'s orbit is D[i mod m], D[i mod m + m], ... */
    int h = nvl_platform_endpoint_host(p, pt->D[i]);
    int c = nvl_platform_endpoint_host(p, pt->D[i % pt->m]);
    if (h >= 0 && c >= 0)
      fo->host_canon[h] = c;
  }
  fo->img = nvl_xmalloc((fo->n_ops + 1) * sizeof(size_t));
  memcpy(fo->img, pt->img, fo->n_ops * sizeof(size_t));
  fo->mode = nvl_xmalloc((fo->n_jobs + 1) * sizeof *fo->mode);
  memcpy(fo->mode, pt->mode, fo->n_jobs * sizeof *fo->mode);
  fo->kind = nvl_xmalloc(fo->n_ops + 1);
  for (size_t x = 0; x < fo->n_ops; x++) {
    const nvl_wop *op = &wr->g.ops[x];
    fo->kind[x] = pt->jmap[op->job] != (size_t)op->job ? FOLD_FREE
                  : op->kind == NVL_WOP_COLLECTIVE     ? FOLD_FIXED
                                                       : FOLD_SUB;
  }
  fo->rank_rep = nvl_xcalloc(fo->n_jobs + 1, sizeof(uint8_t *));
  for (size_t a = 0; a < fo->n_jobs; a++)
    if (pt->pi[a]) {
      const int *pi = pt->pi[a];
      int n = wr->spec->jobs[a].n;
      fo->rank_rep[a] = nvl_xmalloc((size_t)n + 1);
      for (int r = 0; r < n; r++) { /* the lowest rank of its orbit */
        bool low = true;
        for (int c = pi[r]; c != r; c = pi[c])
          low &= c > r;
        fo->rank_rep[a][r] = low;
      }
    }
  quotient(fo);
  return fo;
}

static int fold_build(void *ctx, size_t q, nvl_program *prog, const int **devs) {
  const nvl_fold *f = ctx;
  size_t x = f->orig[q];
  if (nvl_workload_build_as(f->wr, x, &f->mode[f->wr->g.ops[x].job], prog, devs) != 0)
    return -1;
  if (f->kind[x] == FOLD_SUB)
    keep_first_ranks(prog, f->rank_rep[f->wr->g.ops[x].job]);
  return 0;
}

void nvl_fold_tasks(nvl_fold *f, const nvl_task_graph *full, nvl_task_graph *out) {
  *out = *full;
  out->n_tasks = f->n_q;
  out->dep_start = f->dep_start;
  out->deps = f->deps;
  out->build = fold_build;
  out->ctx = f;
  out->link_canon = f->link_canon;
  out->link_weight = f->link_weight;
  out->host_canon = f->host_canon;
}

void nvl_fold_expand(const nvl_fold *f, nvl_engine_result *res) {
  size_t n = f->n_ops;
  double *start = nvl_xcalloc(n + 1, sizeof(double)), *time = nvl_xcalloc(n + 1, sizeof(double));
  unsigned char *fin = nvl_xcalloc(n + 1, 1);
  for (size_t x = 0; x < n; x++) {
    start[x] = res->start_s[f->rep[x]];
    time[x] = res->time_s[f->rep[x]];
    fin[x] = res->finished ? res->finished[f->rep[x]] : 1;
  }
  free(res->start_s);
  free(res->time_s);
  free(res->finished);
  res->start_s = start;
  res->time_s = time;
  res->finished = fin;
  res->n_tasks = n;
  /* flows: a kept copy's for each of its orbit's operations; a fixed job's traffic, whose sends
   * stand for k each, counted k times */
  size_t nf = 0;
  for (size_t i = 0; i < res->n_flows; i++)
    nf += f->kind[f->orig[res->flows[i].task]] == FOLD_FREE ? (size_t)f->k : 1;
  nvl_flow *fl = nvl_xmalloc((nf + 1) * sizeof *fl);
  size_t m = 0;
  for (size_t i = 0; i < res->n_flows; i++) {
    nvl_flow w = res->flows[i];
    size_t x = f->orig[w.task];
    w.task = x;
    if (f->kind[x] == FOLD_SUB)
      w.count = (w.count ? w.count : 1) * (uint32_t)f->k;
    if (f->kind[x] != FOLD_FREE) {
      fl[m++] = w;
      continue;
    }
    size_t c = x;
    do {
      w.task = c;
      fl[m++] = w;
      c = f->img[c];
    } while (c != x);
  }
  free(res->flows);
  res->flows = fl;
  res->n_flows = m;
}

int nvl_fold_copies(const nvl_fold *f) { return f->k; }

size_t nvl_fold_kept(const nvl_fold *f) { return f->n_q; }

void nvl_fold_free(nvl_fold *f) {
  if (!f)
    return;
  free(f->img);
  free(f->mode);
  free(f->rep);
  free(f->kind);
  for (size_t j = 0; f->rank_rep && j < f->n_jobs; j++)
    free(f->rank_rep[j]);
  free(f->rank_rep);
  free(f->orig);
  free(f->dep_start);
  free(f->deps);
  free(f->link_canon);
  free(f->link_weight);
  free(f->host_canon);
  free(f);
}
