/*
 * chakra_internal: what chakra_graph.c (units, matching, order) and chakra_emit.c (operations)
 * share while a trace becomes a graph (see chakra.h).
 */
#ifndef NVL_CHAKRA_INTERNAL_H
#define NVL_CHAKRA_INTERNAL_H

#include <stdio.h>

#include "base/u64map.h"
#include "workload/chakra.h"

enum { U_NODE, U_COLL, U_SEND, U_RECV };

typedef struct {
  int kind, npu, group, peer;
  size_t node; /* the (first) node it comes from, for messages */
  uint64_t bytes;
} unit;

typedef struct {
  int src, dst, npu;
  int64_t tag;
  size_t seq, node;
} p2p_end;

typedef struct {
  const nvl_chakra *c;
  nvl_diags *diags;
  nvl_u64map *id_of; /* [npu]: node id -> index */
  size_t **unit_of;  /* [npu][node] */
  unit *units;
  size_t n_units, cap_units;
  size_t (*edges)[2]; /* (unit, unit it depends on) */
  size_t n_edges, cap_edges;
  char (*gname)[64]; /* process groups; 0 is every NPU */
  int n_groups, cap_groups;
  int **gmembers, *gn, *gcap; /* members of each group, in NPU order */
  size_t **gturns;            /* per group and member: its collectives */
  nvl_u64map group_by_hash;   /* hash of the name -> group */
} builder;

static inline const nvl_ct_node *nvl_ct_node_at(const builder *b, int npu, size_t k) {
  return &b->c->npus[npu].nodes[k];
}

/* An error naming the file and node. */
void nvl_ct_fail(builder *b, int npu, size_t k, const char *what);

/* The graph's operations from the units in `order`, and a job per process group. */
int nvl_ct_emit(builder *b, const size_t *order, nvl_workload_spec *spec, nvl_wgraph *g,
                nvl_ct_map *map);

#endif
