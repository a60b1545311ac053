/*
 * collectives: the collectives nvlsim runs, in one table (name and aliases, nccl-tests' bus
 * bandwidth factor and size rounding, whether it reduces, whether it has a root), and the
 * description of one collective operation from which an algorithm (models/algorithms.h) builds
 * its program (models/program.h).
 *
 * Sizes follow nccl-tests: S is the operation size (for all_gather and reduce_scatter the whole
 * array, for alltoall the per-rank buffer); algbw = S / t, busbw = algbw x factor. The factor is
 * the collective's, whatever algorithm runs it (nccl-tests' definition).
 */
#ifndef NVL_COLLECTIVES_H
#define NVL_COLLECTIVES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "models/program.h"

typedef enum {
  NVL_COLL_ALL_REDUCE,
  NVL_COLL_REDUCE_SCATTER,
  NVL_COLL_ALL_GATHER,
  NVL_COLL_BROADCAST,
  NVL_COLL_REDUCE,
  NVL_COLL_ALLTOALL,
  NVL_COLL_SENDRECV,
  NVL_COLL__COUNT
} nvl_coll;

#define NVL_COLL_BIT(c) (1u << (c))

/* Algorithms (their table is models/algorithms.h). AUTO: NCCL's tuner decides. */
typedef enum {
  NVL_ALGO_AUTO,
  NVL_ALGO_RING,
  NVL_ALGO_TREE,
  NVL_ALGO_NVLS,
  NVL_ALGO_NVLSTREE,
  NVL_ALGO_P2P,
  NVL_ALGO_PAT,
  NVL_ALGO_COLLNET_DIRECT,
  NVL_ALGO_COLLNET_CHAIN,
  NVL_ALGO__COUNT
} nvl_algo;

/* Names: canonical ("all_reduce") and accepted aliases ("allreduce", "all-reduce"). */
const char *nvl_coll_name(nvl_coll c);
int nvl_coll_parse(const char *name, nvl_coll *out);

/* nccl-tests bus bandwidth factor for n ranks. */
double nvl_coll_busbw_factor(nvl_coll c, int n);
/* nccl-tests size rounding: the operation size actually simulated for a requested size (whole
 * float elements; a multiple of n elements for all_gather, reduce_scatter and alltoall). */
uint64_t nvl_coll_round_size(nvl_coll c, int n, uint64_t bytes);
/* Whether the collective reduces (the redop column), and whether it has a root (rank 0). */
bool nvl_coll_reduces(nvl_coll c);
bool nvl_coll_rooted(nvl_coll c);
/* The collectives of a mask of NVL_COLL_BIT()s as text: "all_reduce", "broadcast and reduce". */
void nvl_coll_list(unsigned mask, char *out, size_t len);

typedef struct {
  nvl_coll coll;
  nvl_algo algo;        /* resolved: not AUTO, one that runs `coll` (models/algorithms.h) */
  int n;                /* ranks */
  uint64_t bytes;       /* operation size S */
  uint64_t chunk_bytes; /* pipeline chunk for chains, trees and NVLS (0 = default 512 KiB) */
  int max_chunks;       /* cap on chunks per operation (0 = default: 64, or 8n for chains) */
  int nvls_host;        /* platform host of the reduction engine, for NVL_ALGO_NVLS */
  /* NVLS as NCCL runs it (0: ideal, every rank a head, chunks as above): the first nvls_heads
   * ranks reduce 1/nvls_heads of the data each (ld_reduce + multicast store) and carry that
   * share once more each way; the operation runs in nvls_steps pipelined steps (simulated in at
   * most max_chunks groups), and ends nvls_spread_s after its last transfer: the slowest of the
   * ranks, whose progress through the steps differs */
  int nvls_heads;
  uint64_t nvls_steps;
  double nvls_spread_s;
  /* point-to-point (sendrecv, alltoall): channels per transfer (rate cap, see nvl_program) */
  int p2p_channels;
  double p2p_channel_Bps;
  /* the host issues one operation per interval: the operation takes at least this long */
  double host_interval_s;
  const double *overhead_s; /* per-rank fixed cost at start, or NULL */
  /* protocol model (all neutral when 0): bytes on the wire per payload byte, latency before every
   * step of rings, chains and trees, latency before the operation on every rank */
  double byte_scale;
  double step_delay_s;
  double start_delay_s;
  /* NCCL's ring pipeline (all 0: one transfer per ring step, the ideal model). NCCL splits S over
   * `ring_channels` channels; each channel moves one chunk of at most `ring_chunk_bytes` per step,
   * so a loop of the ring covers channels x n x chunk bytes, and the last loop shrinks its chunks
   * to fit. Every chunk goes in `ring_slices` slices, and every slice costs `slice_delay_s` of
   * synchronisation (Simple: a memory fence and a flag per slice) that its channel's thread block
   * cannot overlap with data movement. The channels run in lockstep on one ring order, so they are
   * simulated together as one transfer per rank and step (exact for identical channels); up to 16
   * groups of whole loops are simulated as separate transfers. */
  int ring_channels;
  uint64_t ring_chunk_bytes;
  /* the tree inside one node (NCCL's chain): NCCL's channels, each moving a chunk per step (0:
   * chunks of chunk_bytes) */
  int tree_channels;
  int ring_slices;
  double slice_delay_s;
  /* Ring orders (NULL: ranks in order). With R orders (orders[k * n + position] = rank), rings
   * run side by side, ring k on its own lanes with the k-th of R equal shares of S and channels / R
   * of the channels: several orders use the links of a direct mesh that one order leaves idle. */
  const int *ring_orders;
  int n_ring_orders;
  /* across scale-up domains (NCCL's nodes): each rank's node (NULL: one node), each node's
   * in-switch reduction host (NVLSTree), and the latency before a step whose hop crosses the
   * network (NCCL's NET hop latency less the route's; it replaces step_delay_s there) */
  const int *node_of;
  int nodes;
  const int *node_nvls_host;
  double net_step_delay_s;
  bool net_posted;       /* sends through the network do not wait for the previous one to arrive
                            (NCCL's proxy posts while buffers are free; the ideal model waits) */
  double net_byte_scale; /* wire bytes per payload byte through the network (0: 1) */
  /* NVLS across nodes (NCCL's NVLS algorithm with SHARP between the nodes): per place in a node
   * (a rail) an aggregation tree of the network switches' engines (nvl_platform_sharp_tree).
   * sharp_leaf[r]: the engine rank r's NIC feeds, an index into sharp_host (the engines' hosts)
   * and sharp_parent (-1 at a tree's root); sharp_engines of them. NULL: no SHARP. */
  const int *sharp_leaf, *sharp_host, *sharp_parent;
  int sharp_engines;
  /* the ranks are alike (twins, no direct link among them): build a reduced program
   * (models/program.h) where the algorithm treats them alike, one rank per class */
  bool reduce;
  /* rank r + period stands where rank r stands (0: no such symmetry known): rings in rank order,
   * sendrecv and alltoall may run as shifted programs (models/program.h); alltoall reroutes, which
   * needs routes that the engine hands to SimGrid (not routes_fixed: an XML platform) */
  int period;
  /* NVLSTree: the ranks come in rail-major order (rank q * nodes + k is place q of node k, node_of
   * likewise) and rotating every node's places is a symmetry: the program runs the ranks of
   * place 0 as a shifted program of period `nodes`, each rail standing for every rail */
  bool rail_major;
  /* with rail_major: rails sharing links, so the program runs place 0's ranks as a plain program
   * over canonical links that the engine weighs (engine.h's link_canon), not a shifted one */
  bool rail_weighted;
  bool routes_fixed;
} nvl_coll_spec;

/* NCCL's double binary tree over N nodes (NVLSTree's and the tree's between nodes): node k's
 * parent in tree t (t odd: the mirrored tree, node k at heap place N - 1 - k), -1 at the root,
 * and its child c (0 or 1), -1 for none. */
int nvl_dtree_parent(int t, int k, int N);
int nvl_dtree_child(int t, int k, int c, int N);

/* Builds the program of one collective into `out` (initialised by the caller with
 * nvl_program_init) with the spec's algorithm. Returns 0, or -1 if that algorithm does not run the
 * collective. Re-entrant: everything it uses is in the spec. */
int nvl_coll_build(const nvl_coll_spec *spec, nvl_program *out);

/* Chunking used by pipelined algorithms: ceil(S / chunk_bytes) clamped to [1, max_chunks]
 * (defaults 512 KiB and 64). */
int nvl_coll_chunks(uint64_t bytes, uint64_t chunk_bytes, int max_chunks);

#endif
