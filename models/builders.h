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
/* CollNet Direct and Chain (s->algo): SHARP between the nodes, direct sends or chains inside. */
int nvl_build_collnet(const nvl_coll_spec *s, nvl_program *p);

/* SHARP's aggregation trees in a program (models/collnet.c): per engine of s->sharp_* an up lane
 * (its children's sums in, one up) and a down lane (the sum in, to each child); n ranks. */
typedef struct {
  int n;
  int *up, *dn;
  int *kid_start, *kids; /* per engine: its children, ranks as r, engines as n + e */
} nvl_sharp;
void nvl_sharp_lanes(const nvl_coll_spec *s, nvl_program *p, int n, nvl_sharp *S);
void nvl_sharp_free(nvl_sharp *S);
/* Rank r's shard from `lane` into its tree (NCCL's NET latency on the first chunk). */
void nvl_sharp_send(nvl_program *p, const nvl_coll_spec *s, const nvl_sharp *S, int lane, int r,
                    double shard, bool first);
/* One chunk through the trees: rank r's shard comes from lane up_of[r], the sum goes to dn_of[r]
 * (which receives it from S->dn[s->sharp_leaf[r]]); `wire` bytes per shard. */
void nvl_sharp_round(nvl_program *p, const nvl_coll_spec *s, const nvl_sharp *S, const int *up_of,
                     const int *dn_of, double wire);
int nvl_build_p2p(const nvl_coll_spec *s, nvl_program *p);
int nvl_build_pat(const nvl_coll_spec *s, nvl_program *p);

#endif
