/*
 * engine: runs workloads on a platform with SimGrid's flow-level model.
 *
 * Configuration (from measured facts on SimGrid 3.32): the CM02 network model with cross-traffic
 * and the TCP window disabled, SPLITDUPLEX links: transfers share links by exact max-min fairness
 * and a transfer of b bytes over a path of latency L and bottleneck bandwidth B alone takes
 * exactly L + b/B.
 *
 * A workload is a sequence of steps (message sizes of a sweep) run one after the other in one
 * simulation; each step runs one or more jobs at the same time (concurrent collectives sharing
 * the fabric). Each job is a program of lanes (see models/collectives.h), each lane one actor.
 * Step s + 1 starts when every lane of step s has finished, so steps never overlap.
 *
 * Before the simulation, every step's programs are built once to collect the host pairs that
 * exchange data; only their routes are handed to SimGrid (a ring on NVL576 needs 1,152 of the
 * 331,200 possible routes), which keeps platform parsing out of the run time.
 *
 * SimGrid allows one engine per process: nvl_engine_run may be called once; nvl_engine_run_forked
 * runs it in a child process (for tests and sweeps) and also contains SimGrid aborts.
 */
#ifndef NVL_ENGINE_H
#define NVL_ENGINE_H

#include <stdbool.h>
#include <stddef.h>

#include "models/collectives.h"
#include "base/diag.h"
#include "platform/platform.h"

/* Fills `prog` (already initialised) for job `job` of step `step`; *devs receives the device of
 * each rank (valid until the step ends). Returns 0, or -1 to abort with an error. */
typedef int (*nvl_build_fn)(void *ctx, size_t step, size_t job, nvl_program *prog,
                            const int **devs);

typedef struct {
  size_t n_steps, n_jobs;
  nvl_build_fn build;
  void (*reset)(
      void *ctx); /* called after the route pre-scan, before the simulation (may be NULL) */
  void *ctx;
  const char *dump_platform; /* write the platform XML SimGrid receives to this file (or NULL) */
  bool record_flows;         /* record the completion time of every RECV (per-flow statistics) */
  bool link_stats; /* peak load per link (SimGrid's link-load plugin); bytes are always counted */
  bool verbose;    /* SimGrid logging at info level */
  double time_limit_s;       /* stop the simulation past this simulated time (0 = none) */
  const char *const *sg_cfg; /* extra SimGrid "--cfg=..." arguments, NULL-terminated, or NULL */
} nvl_workload;

typedef struct {
  size_t step, job;
  double time_s; /* completion relative to the step's start */
} nvl_flow;

typedef struct {
  size_t n_steps, n_jobs, n_links;
  double *time_s;     /* [step * n_jobs + job]: last lane end relative to the step start */
  double *start_s;    /* [step]: simulated start time of each step */
  double *link_bytes; /* [2 * link + dir], dir 0 = UP, 1 = DOWN */
  double *link_peak_Bps;
  nvl_flow *flows;
  size_t n_flows;
  double end_s; /* simulated time at the end */
} nvl_engine_result;

/* Runs the workload in this process (once per process). Returns 0, or -1 with diags set
 * (deadlock, build failure, time limit). */
int nvl_engine_run(const nvl_platform *p, const nvl_workload *w, nvl_engine_result *res,
                   nvl_diags *diags);
/* Same in a forked child; the result comes back through a pipe. */
int nvl_engine_run_forked(const nvl_platform *p, const nvl_workload *w, nvl_engine_result *res,
                          nvl_diags *diags);
void nvl_engine_result_release(nvl_engine_result *res);

/* Checks a "--cfg=KEY:VALUE" argument against the SimGrid keys nvlsim lets users set (an unknown
 * key would abort SimGrid). Returns 0, or -1 with a message. */
int nvl_engine_check_cfg(const char *arg, char *err, size_t len);

#endif
