/*
 * linkstats: what crossed each logical link. Bytes are counted per pair of hosts as transfers
 * start (one map update per stripe) and expanded onto links once at the end, one route per
 * distinct pair rather than per transfer; byte counts are whole numbers, exact in a double below
 * 2^53, so the order of the sums does not matter. Peak loads are read as SimGrid's link-load
 * plugin reads them (the links of a transfer when it starts and when it changes state) but each
 * link at most once per simulated instant (sg_shim.h): the plugin scans every flow on a link at
 * every such event, quadratic on an alltoall (an NVL576 alltoall with --link-stats took 95 s).
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include <simgrid/link.h>

#include "base/xalloc.h"
#include "engine/runtime.h"
#include "platform/sg_shim.h"

void nvl_rt_account(nvl_engine *e, int from, int to, uint64_t bytes) {
  bool added;
  uint32_t i = nvl_u64map_get_or_add(&e->pair_of, nvl_u64map_pair((uint32_t)from, (uint32_t)to),
                                     (uint32_t)e->n_pairs, &added);
  if (added) {
    if (e->n_pairs == e->cap_pairs) {
      e->cap_pairs = e->cap_pairs ? 2 * e->cap_pairs : 1024;
      e->pair_bytes = nvl_xrealloc(e->pair_bytes, e->cap_pairs * sizeof *e->pair_bytes);
    }
    e->pair_bytes[e->n_pairs++] = 0;
  }
  e->pair_bytes[i] += (double)bytes;
}

void nvl_rt_expand_link_bytes(nvl_engine *e) {
  const nvl_u64map *m = &e->pair_of;
  int links[64], dirs[64];
  for (size_t s = 0; s < m->cap; s++) {
    if (m->keys[s] == UINT64_MAX)
      continue;
    int from = (int)(m->keys[s] >> 32), to = (int)(uint32_t)m->keys[s];
    /* the platform's route (reroutes end with their tasks), or a folded graph's canonical one */
    int n = nvl_rt_route(e, from, to, links, dirs, 64);
    for (int k = 0; k < n; k++) {
      int ld = 2 * links[k] + (dirs[k] > 0 ? 0 : 1);
      double w = e->g->link_weight ? e->g->link_weight[ld] : 1.0;
      e->res->link_bytes[ld] += e->pair_bytes[m->vals[s]] * w;
    }
  }
}

/* The SimGrid link of logical link l in direction dir (SPLITDUPLEX links are two SimGrid links,
 * _UP and _DOWN; a fatpipe has one, counted as UP), or NULL. */
static sg_link_t sg_link_of(const nvl_platform *p, size_t l, int dir) {
  char nm[48];
  if (nvl_platform_link(p, (int)l)->fatpipe) {
    if (dir == 1)
      return NULL;
    snprintf(nm, sizeof nm, "l%zu", l);
  } else {
    snprintf(nm, sizeof nm, "l%zu_%s", l, dir == 0 ? "UP" : "DOWN");
  }
  return sg_link_by_name(nm);
}

void nvl_rt_track_links(nvl_engine *e) {
  size_t n = 2 * e->res->n_links;
  sg_link_t *link_of = nvl_xcalloc(n + 1, sizeof *link_of);
  for (size_t l = 0; l < e->res->n_links; l++)
    for (int dir = 0; dir < 2; dir++)
      link_of[2 * l + (size_t)dir] = sg_link_of(e->p, l, dir);
  nvl_peaks_begin(link_of, n, e->res->link_peak_Bps);
  free(link_of);
}

void nvl_rt_track_routes(nvl_engine *e, nvl_xfer *x, const int *hf, const int *ht, size_t n) {
  /* static: one engine per process, and lanes never interleave inside it */
  static int ld[NVL_MAX_STRIPES * 64], off[NVL_MAX_STRIPES + 1], links[64], dirs[64];
  off[0] = 0;
  for (size_t i = 0; i < n; i++) {
    int k = nvl_rt_route(e, hf[i], ht[i], links, dirs, 64);
    off[i + 1] = off[i];
    for (int j = 0; j < k; j++) {
      bool fat = nvl_platform_link(e->p, links[j])->fatpipe;
      ld[off[i + 1]++] = 2 * links[j] + (fat || dirs[j] > 0 ? 0 : 1);
    }
  }
  nvl_peaks_route(x, ld, off);
}
