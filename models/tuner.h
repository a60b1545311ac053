/*
 * tuner: what NCCL decides for an operation, computed the way NCCL v2.30 computes it
 * (src/graph/search.cc, tuning.cc, enqueue.cc, paths.cc, transport/nvls.cc): in one NVLink
 * domain, and across nodes (scale-up domains joined by a network) for rings and NVLSTree.
 *
 * NCCL does not see nvlsim's physical model. It sees a GPU's NVLink links at its own nominal
 * bandwidth per link (SM80 20, SM90 20.6, SM100 40.1 GB/s), searches ring and NVLS "graphs" over
 * them with a fixed array of speeds, and predicts each algorithm and protocol's time as
 * latency + bytes / bandwidth with its own constants and caps. What it decides here:
 *   - the ring graph: the speed and channel count maximising channels x speed within the GPU's
 *     NVLink bandwidth, doubled by ncclTopoDupChannels and again by connectRings into the
 *     channels that run (HGX A100 6 x 40 GB/s -> 24 channels; HGX H100 6 x 60 -> 24; B200 and
 *     GB200 8 x 90 -> 32);
 *   - the NVLS graph: one head per channel, at most NCCL_MAX_NVLS_ARITY (32) heads, so a 72-GPU
 *     NVLink domain reduces through 32 head GPUs; each head link carries heads + 1 shares;
 *   - the predicted time of ring (LL, LL128, Simple, with NCCL's LL and LL128 caps) and NVLS, and
 *     the choice: the smallest predicted time, as ncclTopoGetAlgoInfo does. Trees are not
 *     candidates inside one NVLink domain (NCCL's prediction never prefers them there);
 *   - NVLS's chunk size, which NCCL shrinks for smaller operations (enqueue.cc), hence its steps;
 *   - point-to-point: the channels per operation (addP2pToPlan: a minimum that shrinks with the
 *     rank count, doubled while a channel's part exceeds 32 chunks) and LL below 16 KiB per
 *     channel;
 *   - across nodes: the ring's latency with NCCL's NET hop for its inter-node steps, its bandwidth
 *     capped by the node's NICs (a channel per NIC at the fastest inter-node speed it carries),
 *     LL's multi-node cap; NVLSTree (NVLS inside each node, a tree between) with its own
 *     latencies and per-channel caps, an `auto` candidate for all_reduce. Not yet: the classic
 *     tree, PAT and CollNet across nodes.
 * Where NCCL's prediction and nvlsim's simulation of the same choice disagree (NCCL's model is a
 * coarse table, nvlsim simulates contention and pipelines), nvlsim follows NCCL's choice and
 * reports the simulated time of what NCCL would have run: the point is to predict what a real run
 * does, and a real run does what NCCL's tuner says.
 */
#ifndef NVL_TUNER_H
#define NVL_TUNER_H

#include <stdbool.h>
#include <stdint.h>

#include "models/calibration.h"
#include "models/collectives.h"

/* A communicator as NCCL sees it. */
typedef struct {
  int n;          /* ranks */
  int generation; /* NVLink generation of the ranks' fabric */
  double
      nvlink_Bps; /* per-GPU NVLink bandwidth in NCCL's units: links x NCCL's per-link bandwidth */
  bool nvls; /* NVLS is possible: every rank on one switch tier that reduces, more than 4 ranks */
  /* across scale-up domains (NCCL's nodes; 0 or 1: one): the nodes, ranks per node, and what
   * NCCL sees of a node's network: its NICs and each NIC's line rate */
  int nodes, ppn, nics;
  double nic_Bps;
  double pcie_GBps; /* NCCL's rating of a rank's PCIe path to its NIC (topo.cc), 0: unknown */
  bool nvls_tree;   /* NVLSTree is possible: more than one node, each node's ranks on one switch
                       tier that reduces */
  bool collnet;     /* CollNet is possible: enabled (NCCL_COLLNET_ENABLE), nodes of as many ranks,
                       SHARP between them (an aggregation tree per place in a node) */
  bool sharp;       /* NVLS across nodes is possible: CollNet and NVLSTree's nodes */
  bool arm;         /* the hosts' CPU is Arm (Grace, over NVLink-C2C): NCCL's cpuArch */
} nvl_tuner_comm;

/* A searched graph: channels and bandwidth per channel (GB/s, NCCL's units). */
typedef struct {
  int channels;
  double bw_GBps;
  double bw_inter_GBps; /* NVLS only: the bandwidth NCCL's second search pass raises */
} nvl_tuner_graph;

nvl_tuner_graph nvl_tuner_ring_graph(const nvl_calibration *c, const nvl_tuner_comm *m);
/* Channels a ring collective runs on (twice the graph's, at most 64). */
int nvl_tuner_ring_channels(const nvl_calibration *c, const nvl_tuner_comm *m);
/* NVLS: heads = channels of the graph. */
nvl_tuner_graph nvl_tuner_nvls_graph(const nvl_calibration *c, const nvl_tuner_comm *m);
int nvl_tuner_nvls_heads(const nvl_calibration *c, int n);
/* NVLS chunk for an all_reduce of `bytes`, and the steps each (channel, head) pipeline runs
 * (NVLSTree: of a node's ranks). */
uint64_t nvl_tuner_nvls_chunk(const nvl_calibration *c, const nvl_tuner_comm *m, uint64_t bytes);
uint64_t nvl_tuner_nvls_steps(const nvl_calibration *c, const nvl_tuner_comm *m, uint64_t bytes);

/* NVLSTree's own channels and chunk (nvls.cc ncclNvlsTuning and ncclNvlsTreeSm100Tuning,
 * enqueue.cc for NCCL_ALGO_NVLS_TREE) for an all_reduce of `bytes` across m->nodes nodes of
 * m->ppn ranks, and the steps each (channel, head) pipeline runs: a node's ranks are the heads. */
typedef struct {
  int channels;
  uint64_t chunk, steps;
} nvl_tuner_nvlstree_plan;
nvl_tuner_nvlstree_plan nvl_tuner_nvlstree_plan_of(const nvl_calibration *c,
                                                   const nvl_tuner_comm *m, uint64_t bytes);

/* NCCL's predicted time (seconds) of a collective; INFINITY where NCCL would not run it. The
 * per-algorithm predictions are the rows of models/algorithms.h. */
double nvl_tuner_time_ring(const nvl_calibration *c, const nvl_tuner_comm *m, nvl_coll coll,
                           nvl_proto p, uint64_t bytes);
/* PAT (all_gather, reduce_scatter at one rank per node, Simple): tuning.cc's model. */
/* CollNet Direct and Chain (all_reduce, Simple, m->collnet): tuning.cc's model. */
double nvl_tuner_time_collnet_direct(const nvl_calibration *c, const nvl_tuner_comm *m,
                                     nvl_coll coll, nvl_proto p, uint64_t bytes);
double nvl_tuner_time_collnet_chain(const nvl_calibration *c, const nvl_tuner_comm *m,
                                    nvl_coll coll, nvl_proto p, uint64_t bytes);
double nvl_tuner_time_pat(const nvl_calibration *c, const nvl_tuner_comm *m, nvl_coll coll,
                          nvl_proto p, uint64_t bytes);
double nvl_tuner_time_tree(const nvl_calibration *c, const nvl_tuner_comm *m, nvl_coll coll,
                           nvl_proto p, uint64_t bytes);
double nvl_tuner_time_nvls(const nvl_calibration *c, const nvl_tuner_comm *m, nvl_coll coll,
                           nvl_proto p, uint64_t bytes);
/* NVLSTree (across nodes, every node's ranks on switches that reduce): NVLS's graph over a
 * node's ranks inside, NCCL_NVLS_TREE's latency and per-channel caps between. */
double nvl_tuner_time_nvlstree(const nvl_calibration *c, const nvl_tuner_comm *m, nvl_coll coll,
                               nvl_proto p, uint64_t bytes);
double nvl_tuner_time(const nvl_calibration *c, const nvl_tuner_comm *m, nvl_coll coll,
                      nvl_algo algo, nvl_proto p, uint64_t bytes);
/* The protocol NCCL picks for an algorithm (NVLS: Simple). */
nvl_proto nvl_tuner_proto(const nvl_calibration *c, const nvl_tuner_comm *m, nvl_coll coll,
                          nvl_algo algo, uint64_t bytes);
/* The algorithm `auto` resolves to: among the table's candidates that run the collective, the
 * smallest predicted time (ring, or NVLS for all_reduce where it is possible and predicted
 * faster; p2p for alltoall and sendrecv). */
nvl_algo nvl_tuner_algo(const nvl_calibration *c, const nvl_tuner_comm *m, nvl_coll coll,
                        uint64_t bytes);

/* Point-to-point: channels of one send of `bytes` in a communicator of n ranks, and whether it
 * uses LL (else Simple). */
int nvl_tuner_p2p_channels(const nvl_calibration *c, const nvl_tuner_comm *m, uint64_t bytes);
nvl_proto nvl_tuner_p2p_proto(const nvl_calibration *c, const nvl_tuner_comm *m, uint64_t bytes);
/* Across nodes (paths.cc): a rank's P2P channels per peer, NCCL's p2pnChannelsPerPeer. */
int nvl_tuner_p2p_per_peer(const nvl_calibration *c, const nvl_tuner_comm *m);

#endif
