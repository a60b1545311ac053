/*
 * chakra_emit: units of a trace (chakra_graph.c) as operations of the workload graph, in
 * dependency order, with the NPUs each occupies (nvl_ct_map) and a job per process group.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"
#include "workload/chakra_internal.h"
#include "workload/comm.h"

static int coll_of(builder *b, const unit *u, nvl_wop *op) {
  const nvl_ct_node *nd = nvl_ct_node_at(b, u->npu, u->node);
  static const int map[10] = {NVL_COLL_ALL_REDUCE,
                              NVL_COLL_REDUCE,
                              NVL_COLL_ALL_GATHER,
                              -1,
                              -1,
                              NVL_COLL_BROADCAST,
                              NVL_COLL_ALLTOALL,
                              NVL_COLL_REDUCE_SCATTER,
                              NVL_COLL_REDUCE_SCATTER,
                              NVL_COLL_ALL_REDUCE};
  if (nd->comm_type < 0 || nd->comm_type > 9 || map[nd->comm_type] < 0) {
    nvl_ct_fail(b, u->npu, u->node,
                "comm_type is not one nvlsim runs (all_reduce, reduce, all_gather, broadcast, "
                "all_to_all, reduce_scatter, barrier)");
    return -1;
  }
  op->kind = NVL_WOP_COLLECTIVE;
  op->coll = (nvl_coll)map[nd->comm_type];
  op->bytes = nd->comm_type == NVL_CT_BARRIER ? 0 : nd->comm_size;
  if (nd->comm_type == NVL_CT_ALL_GATHER) { /* each NPU's input: the output is n of them */
    if (nd->comm_size > UINT64_MAX / (uint64_t)b->gn[u->group]) {
      nvl_ct_fail(b, u->npu, u->node, "comm_size too large");
      return -1;
    }
    op->bytes = nd->comm_size * (uint64_t)b->gn[u->group];
  }
  return 0;
}

/* One job per process group beyond every NPU's, on its members' participants. */
static void group_jobs(builder *b, nvl_workload_spec *spec) {
  size_t base = spec->n_jobs;
  spec->jobs = nvl_xrealloc(spec->jobs, (base + (size_t)b->n_groups) * sizeof *spec->jobs);
  for (int g = 1; g < b->n_groups; g++) {
    nvl_job *j = &spec->jobs[base + (size_t)g - 1];
    *j = spec->jobs[0];
    snprintf(j->name, sizeof j->name, "pg:%.56s", b->gname[g]);
    j->n = b->gn[g];
    j->devs = nvl_xmalloc((size_t)j->n * sizeof *j->devs);
    for (int m = 0; m < j->n; m++)
      j->devs[m] = spec->jobs[0].devs[b->gmembers[g][m]];
    j->matrix = NULL;
  }
  spec->n_jobs = base + (size_t)b->n_groups - 1;
}

/* A unit's operation and the NPUs it occupies. */
static int unit_op(builder *b, const unit *u, nvl_wop *op, size_t base_job) {
  const nvl_ct_node *nd = nvl_ct_node_at(b, u->npu, u->node);
  memset(op, 0, sizeof *op);
  op->algo = NVL_ALGO_AUTO;
  op->src = u->npu;
  if (u->kind == U_COLL) {
    op->job = u->group == 0 ? 0 : (int)base_job + u->group - 1;
    return coll_of(b, u, op);
  }
  if (u->kind == U_SEND) {
    op->kind = NVL_WOP_SEND;
    op->dst = u->peer;
    op->bytes = u->bytes;
    return 0;
  }
  op->kind = NVL_WOP_COMPUTE;
  op->seconds = u->kind == U_NODE ? (double)nd->duration_us * 1e-6 : 0;
  if (u->kind == U_NODE && nd->type == NVL_CT_COMP && nd->duration_us == 0 && nd->num_ops > 0) {
    if (!(b->c->flops > 0)) {
      nvl_ct_fail(b, u->npu, u->node,
                  "a compute node with num_ops but no duration_micros: give the NPU's rate with "
                  "--flops (the catalog has no FLOP rates yet)");
      return -1;
    }
    op->seconds = (double)nd->num_ops / b->c->flops;
  }
  if (!(op->seconds <= 1e9)) { /* what the engine can advance to (workload/run.c) */
    char what[96];
    snprintf(what, sizeof what, "a compute node of %.3g s: more than 1e9 s", op->seconds);
    nvl_ct_fail(b, u->npu, u->node, what);
    return -1;
  }
  return 0;
}

static void map_npus(builder *b, const unit *u, nvl_ct_map *map, size_t op) {
  size_t at = map->npu_start[op];
  if (u->kind == U_COLL) {
    for (int m = 0; m < b->gn[u->group]; m++)
      map->npus[at++] = b->gmembers[u->group][m];
  } else {
    map->npus[at++] = u->npu;
  }
  map->npu_start[op + 1] = at;
  map->compute[op] = u->kind == U_NODE && nvl_ct_node_at(b, u->npu, u->node)->type == NVL_CT_COMP;
}

/* Each job's collective as the communicator sees it (comm.h: ring orders are searched for ring
 * collectives only, which costs seconds at 10,000 ranks): a ring collective if the job runs one,
 * else its first collective, else sendrecv. */
static void job_colls(nvl_workload_spec *spec, const nvl_wgraph *g) {
  for (size_t k = 0; k < spec->n_jobs; k++)
    spec->jobs[k].coll = NVL_COLL__COUNT;
  for (size_t i = 0; i < g->n_ops; i++) {
    const nvl_wop *op = &g->ops[i];
    nvl_job *j = &spec->jobs[op->job];
    if (op->kind == NVL_WOP_COLLECTIVE &&
        (j->coll == NVL_COLL__COUNT || (!nvl_coll_is_ring(j->coll) && nvl_coll_is_ring(op->coll))))
      j->coll = op->coll;
  }
  for (size_t k = 0; k < spec->n_jobs; k++)
    if (spec->jobs[k].coll == NVL_COLL__COUNT)
      spec->jobs[k].coll = NVL_COLL_SENDRECV;
}

int nvl_ct_emit(builder *b, const size_t *order, nvl_workload_spec *spec, nvl_wgraph *g,
                nvl_ct_map *map) {
  size_t n = b->n_units, base_job = spec->n_jobs, total = 0;
  for (size_t u = 0; u < n; u++)
    total += b->units[u].kind == U_COLL ? (size_t)b->gn[b->units[u].group] : 1;
  map->n_npus = b->c->n;
  map->npu_start = nvl_xcalloc(n + 1, sizeof *map->npu_start);
  map->npus = nvl_xmalloc((total + 1) * sizeof *map->npus);
  map->compute = nvl_xcalloc(n + 1, sizeof *map->compute);
  map->n_groups = b->n_groups - 1;
  size_t *op_of = nvl_xmalloc((n + 1) * sizeof *op_of), *deps = NULL, cap = 0;
  int rc = 0;
  for (size_t k = 0; k < n && rc == 0; k++) {
    size_t u = order[k];
    nvl_wop op;
    if (unit_op(b, &b->units[u], &op, base_job) != 0) {
      rc = -1;
      break;
    }
    map->n_transfers += op.kind == NVL_WOP_SEND;
    /* the unit's edges: a run of the sorted edge list */
    size_t lo = 0, hi = b->n_edges;
    while (lo < hi) {
      size_t mid = (lo + hi) / 2;
      if (b->edges[mid][0] < u)
        lo = mid + 1;
      else
        hi = mid;
    }
    size_t nd = 0;
    for (size_t e = lo; e < b->n_edges && b->edges[e][0] == u; e++) {
      if (nd == cap) {
        cap = cap ? 2 * cap : 16;
        deps = nvl_xrealloc(deps, cap * sizeof *deps);
      }
      deps[nd++] = op_of[b->edges[e][1]];
    }
    op_of[u] = (size_t)nvl_wgraph_add(g, &op, deps, nd);
    map_npus(b, &b->units[u], map, op_of[u]);
  }
  free(deps);
  free(op_of);
  if (rc == 0) {
    group_jobs(b, spec);
    job_colls(spec, g);
  }
  return rc;
}
