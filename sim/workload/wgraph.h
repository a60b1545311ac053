/*
 * wgraph: the workload graph, what `run` simulates. Operations, each on a job's ranks (a job is a
 * communicator: a participant set resolved against the design), with dependencies:
 *   collective   a collective (nvl_coll) of S bytes over the job's ranks, with its algorithm and
 *                protocol resolved
 *   pattern      a traffic pattern: rank r sends S bytes to dst[r] (random destinations drawn
 *                when the graph is built, so building a program is a pure function of the op)
 *   matrix       a traffic matrix (bytes per pair of ranks): with has_vals the op's own
 *                (vals[val_at ..], n x n, row = source), else the job's
 *   send         rank src sends S bytes to rank dst
 *   compute      rank src works `seconds` (sharing its endpoint with concurrent compute there);
 * with has_vals (src = -1) every rank r of the job works vals[val_at + r] seconds (one step of a
 *                job whose ranks compute together, each its own share)
 * An operation starts when every operation it depends on has finished; operations without a path
 * between them overlap and contend for the links they share. A sweep is a chain of steps, each
 * step's operations (the concurrent jobs) depending on all of the previous step's.
 *
 * Dependencies are stored as compressed rows and must name earlier operations, so the graph
 * cannot have a cycle (the engine's order, engine/engine.h).
 */
#ifndef NVL_WGRAPH_H
#define NVL_WGRAPH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "models/calibration.h"
#include "models/collectives.h"

typedef enum {
  NVL_WOP_COLLECTIVE,
  NVL_WOP_PATTERN,
  NVL_WOP_MATRIX,
  NVL_WOP_SEND,
  NVL_WOP_COMPUTE
} nvl_wop_kind;

typedef struct {
  nvl_wop_kind kind;
  int job;        /* index of the job (communicator) in the workload spec */
  uint64_t bytes; /* S: operation size (collective), per flow (pattern, send) */
  nvl_coll coll;  /* collective */
  nvl_algo algo;  /* collective: resolved (not AUTO) */
  nvl_proto proto;
  int src, dst;   /* send: ranks of the job; compute: src */
  double seconds; /* compute */
  size_t dst_at;  /* pattern: the op's destinations are dsts[dst_at .. dst_at + n) (-1: none) */
  bool has_vals;  /* compute of every rank, matrix of its own: values at vals[val_at ..] */
  size_t val_at;
  bool report; /* gives a result row */
  /* an exchange by direct copies over NVLink (DeepEP's kernels: SMs store into the peers'
   * buffers), not NCCL's P2P protocol: the Simple data path's efficiency times DeepEP's share of
   * it, no P2P channel cap */
  bool direct;
  /* DeepEP's normal dispatch: the host reads how many tokens each rank receives (a notify kernel,
   * then the CPU polls) before it allocates and launches the copy: one host launch more */
  bool host_sync;
} nvl_wop;

typedef struct {
  nvl_wop *ops;
  size_t n_ops, cap_ops;
  size_t *dep_start; /* [n_ops + 1]: op i depends on deps[dep_start[i] .. dep_start[i + 1]) */
  size_t *deps;
  size_t n_deps, cap_deps;
  int *dsts; /* pattern destinations, per op n ranks */
  size_t n_dsts, cap_dsts;
  double *vals; /* per-rank compute seconds, per-op matrices */
  size_t n_vals, cap_vals;
} nvl_wgraph;

#define NVL_WGRAPH_INIT                                                                            \
  { 0 }

/* Appends an operation depending on the n_deps earlier operations deps[] and returns its index
 * (-1 if a dependency is not an earlier operation). */
long nvl_wgraph_add(nvl_wgraph *g, const nvl_wop *op, const size_t *deps, size_t n_deps);
/* Room for n pattern destinations, whose first index is returned. */
size_t nvl_wgraph_dsts(nvl_wgraph *g, size_t n);
/* Room for n values (zeroed), whose first index is returned. */
size_t nvl_wgraph_vals(nvl_wgraph *g, size_t n);
void nvl_wgraph_release(nvl_wgraph *g);

#endif
