/*
 * internal: the graph's representation, shared by graph.c (construction, analyses) and
 * symmetry.c (orbits of participant groups); private to graph/.
 */
#ifndef NVL_GRAPH_INTERNAL_H
#define NVL_GRAPH_INTERNAL_H

#include <igraph.h>
#include <stdbool.h>

#include "graph/graph.h"

/* What the analyses work out once and share (the graph is const to them): the automorphism
 * group's generators acting on the groups (symmetry.c), n_perm permutations of n_groups. */
typedef struct {
  bool done;
  int *perm;
  size_t n_perm;
} nvl_gr_cache;

struct nvl_graph {
  const nvl_design *d;
  nvl_gr_cache *cache; /* owned */
  /* participants with the same neighbourhood (same switches, link counts and capacities, no
   * direct endpoint links) are interchangeable for hops, reachability and path diversity:
   * analyses run once per group. group_first/group_second: first two members (second -1). */
  int *group; /* per participant index */
  int *group_first, *group_second, *group_size;
  size_t n_groups;
  igraph_t g;
  igraph_vector_t cap_Bps;   /* per arc: bundle bandwidth */
  igraph_vector_t cap_links; /* per arc: physical link count */
  int *vout, *vin;           /* device -> vertex */
  int *parts;                /* participants */
  size_t n_parts;
  double *inject, *c2c, *net;                 /* per device */
  bool has_graph, has_cap_Bps, has_cap_links; /* what to destroy */
};

/* igraph's error handler installed (once). */
void nvl_gr_init_igraph(void);
/* 0 for IGRAPH_SUCCESS, else -1 with "<what>: igraph: <reason>" in diags. */
int nvl_gr_report(igraph_error_t err, const char *what, nvl_diags *diags);

/* Orbits of ordered pairs of participant groups under the design's automorphisms (symmetry.c):
 * pair_orbit[gi * n_groups + gj] (n_groups^2 entries, numbered in index order of first pair).
 * Returns the number of orbits, or 0 when the groups are too many to try (over
 * NVL_GR_MAX_ORBIT_GROUPS): the caller then samples. */
#define NVL_GR_MAX_ORBIT_GROUPS 2048
igraph_error_t nvl_gr_pair_orbits(const nvl_graph *g, int *pair_orbit, size_t *n_orbits);
/* Orbits of the groups themselves: orbit[gi] (n_groups entries, numbered by first group); 0 as
 * above when the groups are too many. */
igraph_error_t nvl_gr_group_orbits(const nvl_graph *g, int *orbit, size_t *n_orbits);

#endif
