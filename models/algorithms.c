/*
 * algorithms: see algorithms.h. nvl_coll_build runs the algorithm's builder and adds what every
 * algorithm pays: each rank's start delay and endpoint overhead before its first operation, and
 * the host's issue interval as a floor.
 */
#include "models/algorithms.h"

#include <stdio.h>
#include <string.h>

#include "models/builders.h"

#define RINGS                                                                                      \
  (NVL_COLL_BIT(NVL_COLL_ALL_REDUCE) | NVL_COLL_BIT(NVL_COLL_REDUCE_SCATTER) |                     \
   NVL_COLL_BIT(NVL_COLL_ALL_GATHER) | NVL_COLL_BIT(NVL_COLL_BROADCAST) |                          \
   NVL_COLL_BIT(NVL_COLL_REDUCE))

static const nvl_algorithm table[] = {
    {NVL_ALGO_RING, "ring", RINGS, true, nvl_build_ring, nvl_tuner_time_ring},
    {NVL_ALGO_TREE, "tree", NVL_COLL_BIT(NVL_COLL_ALL_REDUCE), true, nvl_build_tree,
     nvl_tuner_time_tree},
    {NVL_ALGO_NVLS, "nvls", NVL_COLL_BIT(NVL_COLL_ALL_REDUCE), true, nvl_build_nvls,
     nvl_tuner_time_nvls},
    {NVL_ALGO_NVLSTREE, "nvlstree", NVL_COLL_BIT(NVL_COLL_ALL_REDUCE), true, nvl_build_nvlstree,
     nvl_tuner_time_nvlstree},
    {NVL_ALGO_P2P, "p2p", NVL_COLL_BIT(NVL_COLL_ALLTOALL) | NVL_COLL_BIT(NVL_COLL_SENDRECV), true,
     nvl_build_p2p, NULL},
    {NVL_ALGO_PAT, "pat", NVL_COLL_BIT(NVL_COLL_ALL_GATHER) | NVL_COLL_BIT(NVL_COLL_REDUCE_SCATTER),
     true, nvl_build_pat, nvl_tuner_time_pat},
    {NVL_ALGO_COLLNET_DIRECT, "collnet_direct", NVL_COLL_BIT(NVL_COLL_ALL_REDUCE), true,
     nvl_build_collnet, nvl_tuner_time_collnet_direct},
    {NVL_ALGO_COLLNET_CHAIN, "collnet_chain", NVL_COLL_BIT(NVL_COLL_ALL_REDUCE), true,
     nvl_build_collnet, nvl_tuner_time_collnet_chain},
};

#define N_ALGOS (sizeof table / sizeof table[0])

const nvl_algorithm *nvl_algorithm_get(nvl_algo a) {
  for (size_t i = 0; i < N_ALGOS; i++)
    if (table[i].algo == a)
      return &table[i];
  return NULL;
}

bool nvl_algo_runs(nvl_algo a, nvl_coll c) {
  const nvl_algorithm *row = nvl_algorithm_get(a);
  return row && (row->colls & NVL_COLL_BIT(c));
}

const char *nvl_algo_name(nvl_algo a) {
  const nvl_algorithm *row = nvl_algorithm_get(a);
  return a == NVL_ALGO_AUTO ? "auto" : row ? row->name : "?";
}

int nvl_algo_parse(const char *name, nvl_algo *out) {
  if (strcmp(name, "auto") == 0) {
    *out = NVL_ALGO_AUTO;
    return 0;
  }
  for (size_t i = 0; i < N_ALGOS; i++)
    if (strcmp(name, table[i].name) == 0) {
      *out = table[i].algo;
      return 0;
    }
  return -1;
}

void nvl_algo_names(const char *sep, char *out, size_t len) {
  out[0] = '\0';
  for (size_t i = 0; i < N_ALGOS; i++)
    snprintf(out + strlen(out), len - strlen(out), "%s%s", i ? sep : "", table[i].name);
  snprintf(out + strlen(out), len - strlen(out), "%sauto", strcmp(sep, "|") == 0 ? "|" : " or ");
}

int nvl_coll_build(const nvl_coll_spec *s, nvl_program *p) {
  const nvl_algorithm *a = nvl_algorithm_get(s->algo);
  if (!a || !(a->colls & NVL_COLL_BIT(s->coll)) || a->build(s, p) != 0)
    return -1;
  p->channel_Bps = s->p2p_channel_Bps;
  /* fixed per-rank cost before the operation: protocol start latency + endpoint overhead */
  for (size_t l = 0; l < p->n_lanes; l++) {
    nvl_lane *ln = &p->lanes[l];
    double d = ln->rank < 0 ? 0 : s->start_delay_s + (s->overhead_s ? s->overhead_s[ln->rank] : 0);
    if (d <= 0)
      continue;
    nvl_program_op(p, (int)l, NVL_OP_DELAY, 0, 0); /* grow by one, then shift */
    memmove(ln->ops + 1, ln->ops, (ln->n_ops - 1) * sizeof *ln->ops);
    ln->ops[0] = (nvl_op){.kind = NVL_OP_DELAY, .value = d};
  }
  nvl_program_floor(p, s->host_interval_s);
  return 0;
}
