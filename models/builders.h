/*
 * builders: the programs of the collective algorithms (private to models/; the table that names
 * them is models/algorithms.h). Each builder creates its lanes and appends its transfers; the
 * costs every algorithm shares (start delays, the host's issue interval) are added by
 * nvl_coll_build around it.
 */
#ifndef NVL_BUILDERS_H
#define NVL_BUILDERS_H

#include <stdbool.h>
#include <stdint.h>

#include "models/collectives.h"

/* The protocol model of one build, from the spec (nvl_pipe_of): wire bytes per payload byte,
 * latency before each step of rings, chains and trees, the ring pipeline (channels 0: none) and
 * the pipeline chunks of chains, trees and NVLS. */
typedef struct {
  double scale;
  double step_delay;
  int channels, slices;
  uint64_t chunk;
  double slice_delay;
  int chunks;
} nvl_pipe;

nvl_pipe nvl_pipe_of(const nvl_coll_spec *s);

/* Part i of S split into k parts whose sizes differ by at most one byte. */
double nvl_part(uint64_t bytes, int k, int i);
/* A SEND of `bytes` payload (scaled to wire bytes), after the step latency when `step`. */
void nvl_send_step(nvl_program *p, const nvl_pipe *pm, int lane, int peer, double bytes, bool step);
/* A hop between nodes: NCCL's NET hop latency (net_step_delay_s) before the first chunk's
 * transfer, on `lane`; returns the wire bytes of `bytes` payload through the network
 * (net_byte_scale per byte), whole, for the caller's SEND. */
double nvl_net_hop(nvl_program *p, const nvl_coll_spec *s, int lane, double bytes, bool first);
/* One lane per rank (lane[r] for rank r, in rank order); the array is the caller's to free. */
int *nvl_rank_lanes(nvl_program *p, int n);

int nvl_build_ring(const nvl_coll_spec *s, nvl_program *p);
int nvl_build_tree(const nvl_coll_spec *s, nvl_program *p);
int nvl_build_nvls(const nvl_coll_spec *s, nvl_program *p);
int nvl_build_nvlstree(const nvl_coll_spec *s, nvl_program *p);
/* NVLS across nodes: NVLSTree's stages inside the nodes, SHARP's aggregation trees between
 * (s->sharp_leaf); nvl_build_nvls runs it where the ranks span nodes. */
int nvl_build_nvls_sharp(const nvl_coll_spec *s, nvl_program *p);
int nvl_build_p2p(const nvl_coll_spec *s, nvl_program *p);
int nvl_build_pat(const nvl_coll_spec *s, nvl_program *p);

#endif
