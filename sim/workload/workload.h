/*
 * workload: what `run` simulates, as specified by command-line flags or a workload JSON file: one
 * or more concurrent jobs, each a collective or a traffic pattern over a participant set, swept
 * over message sizes. This header is the spec and its resolution against a design; the workload
 * graph built from it is workload/run.h, its programs workload/build.c.
 *
 * Traffic patterns (each rank sends S bytes per flow; random ones drawn from a GSL mt19937 seeded
 * with --seed):
 *   pair          ranks[0] -> ranks[1]              bidir      ranks[0] <-> ranks[1]
 *   pairs         every ordered pair in turn (one step per pair: a latency/bandwidth matrix)
 *   permutation   a random derangement               uniform    each rank to a random other rank
 *   incast        every rank to ranks[0] (hotspot)   shift      rank r to r + k (default n/2)
 *   matrix        bytes from a CSV traffic matrix (n x n, row = source)
 * For patterns algbw = S / t and busbw = algbw; per-flow completion percentiles are reported.
 *
 * `auto` picks the algorithm as NCCL's tuner does on one NVLink domain (models/tuner.h): the
 * smaller predicted time of ring and, for all_reduce with every rank on one switch class that
 * reduces, NVLS. Tree runs only when asked for.
 */
#ifndef NVL_WORKLOAD_H
#define NVL_WORKLOAD_H

#include <stdbool.h>
#include <stdint.h>

#include "base/diag.h"
#include "design/design.h"
#include "models/calibration.h"
#include "models/collectives.h"
#include "models/context.h"
#include "models/model.h"
#include "platform/platform.h"

typedef enum {
  NVL_PAT_NONE, /* the job is a collective */
  NVL_PAT_PAIR,
  NVL_PAT_BIDIR,
  NVL_PAT_PAIRS,
  NVL_PAT_PERMUTATION,
  NVL_PAT_UNIFORM,
  NVL_PAT_INCAST,
  NVL_PAT_SHIFT,
  NVL_PAT_MATRIX /* as listed above */
} nvl_pattern;

const char *nvl_pattern_name(nvl_pattern p);
int nvl_pattern_parse(const char *name, nvl_pattern *out);

typedef struct {
  char name[64];
  nvl_pattern pattern; /* NVL_PAT_NONE: a collective */
  nvl_coll coll;
  nvl_algo algo;
  char ranks_sel[512]; /* "" = all accelerators; else comma list of selectors (gpu, gpu[0:8], cpu3)
                        */
  int n_limit;         /* -g: first N of the selection (0 = all) */
  int shift;           /* for NVL_PAT_SHIFT (0 = n/2) */
  char matrix_file[512];
  uint64_t size_bytes; /* a workload file's job: its size (else 0: the sweep sizes) */
  bool size_given;     /* size_bytes is the job's own size, even 0 (count 0) */
  int proto;           /* forced protocol (nvl_proto), or -1 for NCCL's choice */
  /* resolved */
  int *devs;
  int n;
  double *matrix; /* n x n bytes, for NVL_PAT_MATRIX */
} nvl_job;

typedef struct {
  const nvl_model_ctx *ctx; /* the model's parameters (models/context.h): set by every command */
  nvl_job *jobs;
  size_t n_jobs;
  uint64_t *sizes;
  size_t n_sizes;
  nvl_model model;
  unsigned long seed;
  uint64_t chunk_bytes;
  /* simulate every rank, even where ranks are alike (no reduced programs: for verification) */
  bool explicit_ranks;
  /* SimGrid reads the routes from an XML platform (--dump-platform, or ctx->platform_xml): no
   * rerouted programs, nothing folded (nvl_workload_fixed_routes says which applies) */
  bool fixed_routes;
  /* a job may have one rank (an LLM step on one endpoint computes only) */
  bool one_rank_ok;
  /* the operations are a framework's step, launched back to back (under CUDA graphs in
   * decode): none waits for the host's launch interval that nccl-tests' loop pays */
  bool back_to_back;
  /* CollNet enabled (NCCL_COLLNET_ENABLE=1, --collnet): across nodes, NVLS runs with SHARP between
   * them where the network's switches reduce */
  bool collnet;
} nvl_workload_spec;

/* Sweep sizes as nccl-tests: min, max, and factor (>1) or step (>0, when factor == 0). */
int nvl_workload_sizes(uint64_t min, uint64_t max, double factor, uint64_t step, uint64_t **out,
                       size_t *n, char *err, size_t errlen);

/* Loads jobs from a workload JSON file into spec (appending). Errors go to diags with pointers. */
int nvl_workload_load_file(const char *path, nvl_workload_spec *spec, nvl_diags *diags);

/* Resolves participants, matrices and algorithms against the design and platform. */
int nvl_workload_resolve(nvl_workload_spec *spec, const nvl_design *d, const nvl_platform *p,
                         nvl_diags *diags);

void nvl_workload_spec_release(nvl_workload_spec *spec);

/* Whether SimGrid reads the routes from XML for this spec (--dump-platform or the context's). */
static inline bool nvl_workload_fixed_routes(const nvl_workload_spec *spec) {
  return spec->fixed_routes || (spec->ctx && spec->ctx->platform_xml);
}

/* In-switch reduction host shared by all participants, or -1. */
int nvl_workload_nvls_host(const nvl_platform *p, const int *devs, int n);
/* NCCL's nodes among the n devices: their scale-up domains (a device on none is a node of its
 * own), numbered by first device; node[i] receives device i's (node may be NULL). Returns the
 * number of nodes. */
int nvl_workload_nodes(const nvl_platform *p, const int *devs, int n, int *node);
/* Whether NVLSTree can run on the devices: two or more nodes of as many ranks, each node's
 * ranks (more than 4) sharing a reduction host. */
bool nvl_workload_nvlstree_ok(const nvl_platform *p, const int *devs, int n);

#endif
