/*
 * simulate: the pipeline every simulating command runs through. nvl_simulate_engine turns a
 * workload run (workload/run.h) into the engine's task graph with the command's options, folds it
 * where it may be folded, and runs it; nvl_simulate is the whole pipeline for a spec of sizes (as
 * `run`'s table, `compare`, sweeps and validate-model use it): platform, resolution, workload
 * graph, engine, rows. `llm` (llm_sim.c) and Chakra traces (chakra_run.c) build their own graphs
 * and run them through nvl_simulate_engine.
 */
#ifndef NVL_SIMULATE_H
#define NVL_SIMULATE_H

#include <stdbool.h>

#include "base/diag.h"
#include "design/design.h"
#include "engine/engine.h"
#include "output/results.h"
#include "workload/run.h"
#include "workload/workload.h"

typedef struct {
  bool forked;          /* run the engine in a child process (the caller may simulate again) */
  bool explicit_planes; /* platform without switch aggregation */
  bool ecmp;            /* routes hash among equal-cost next switches (the spec's seed) */
  bool link_stats;      /* per-link peaks in the result */
  bool verbose, progress;
  bool no_flow_records; /* the figures use no per-flow times (an LLM step) */
  double time_limit_s;  /* simulated-time limit (0: none) */
  double phase_window;  /* engine.h: phases (min_flows 0: off) */
  size_t phase_min_flows;
  const char *dump_platform; /* write the platform XML here (or NULL) */
  const char *const *sg_cfg; /* extra --cfg=... arguments, NULL-terminated, or NULL */
} nvl_sim_opts;

/* Runs wr on the engine with o (NULL: defaults). Returns 0, or -1 with diags set (res keeps what
 * finished). */
int nvl_simulate_engine(const nvl_workload_run *wr, const nvl_sim_opts *o, nvl_engine_result *res,
                        nvl_diags *diags);

/* Appends the result rows of `spec` on `d`. Returns 0, or -1 with diags set; a simulation that
 * stopped (a deadlock, the simulated-time limit) still appends the rows of the operations that
 * finished. */
int nvl_simulate(const nvl_design *d, nvl_workload_spec *spec, const nvl_sim_opts *o,
                 nvl_results *rows, nvl_diags *diags);

#endif
