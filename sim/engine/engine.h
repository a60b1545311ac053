/*
 * engine: runs a graph of tasks on a platform with SimGrid's flow-level model.
 *
 * Configuration (from measured facts on SimGrid 3.32): the CM02 network model with cross-traffic
 * and the TCP window disabled, SPLITDUPLEX links: transfers share links by exact max-min fairness
 * and a transfer of b bytes over a path of latency L and bottleneck bandwidth B alone takes
 * exactly L + b/B.
 *
 * A task is one program of lanes (models/program.h), each lane a state machine that the engine
 * steps in SimGrid's kernel (engine/runtime.h: no actors). A task starts at the
 * simulated instant the last task it depends on finishes (tasks without dependencies start at
 * time 0) and finishes when every lane has: independent tasks run at the same time and contend
 * for the links they share, dependent ones follow each other. A task's program is built when it
 * starts and released when it finishes, so only running tasks' programs are in memory; building
 * must therefore be a pure function of the task (no random draws left to the builder).
 *
 * Routes are computed when SimGrid first needs them (platform/sg_shim.h): nothing is stored per
 * pair of hosts, and no program is built before the simulation.
 *
 * SimGrid allows one engine per process: nvl_engine_run may be called once; nvl_engine_run_forked
 * runs it in a child process (for tests and sweeps) and also contains SimGrid aborts.
 */
#ifndef NVL_ENGINE_H
#define NVL_ENGINE_H

#include <stdbool.h>
#include <stddef.h>

#include "base/diag.h"
#include "models/program.h"
#include "platform/platform.h"

/* Fills `prog` (already initialised) for task `task`; *devs receives the device of each rank
 * (valid while the task runs). Returns 0, or -1 to abort with an error. */
typedef int (*nvl_task_build_fn)(void *ctx, size_t task, nvl_program *prog, const int **devs);

typedef struct {
  size_t n_tasks;
  /* dependencies, compressed rows: task t waits for deps[dep_start[t]] .. deps[dep_start[t+1]-1],
   * each an earlier task (< t, so the graph has no cycle); dep_start NULL: none */
  const size_t *dep_start, *deps;
  nvl_task_build_fn build;
  void *ctx;
  const char *dump_platform; /* write the platform XML SimGrid receives to this file (or NULL) */
  bool platform_xml;   /* load the platform from its XML, as with dump_platform, writing nothing */
  bool record_flows;   /* record the completion time of every RECV (per-flow statistics) */
  bool link_stats;     /* peak load per link (read as SimGrid's link-load plugin would); bytes are
                          always counted */
  bool verbose;        /* SimGrid logging at info level */
  double time_limit_s; /* stop the simulation past this simulated time (0 = none) */
  /* phases (platform/sg_shim.h: nvl_sg_phases): batches of at least phase_min_flows transfers
   * starting together on an idle network solved at once, completions within phase_window of
   * their duration ending together; 0: off (every transfer an action of SimGrid's model) */
  double phase_window;
  size_t phase_min_flows;
  bool progress; /* a line on stderr, at most 5 times a second: operations done, simulated time */
  const char *const *sg_cfg; /* extra SimGrid "--cfg=..." arguments, NULL-terminated, or NULL */
  size_t ranks;              /* of all jobs together */
  /* A folded graph (workload/fold.h; NULL: none): every task stands for its copies under a
   * symmetry of the platform. Every route runs over the canonical member of each of its link
   * directions' orbits (link_canon[2 * link + dir]) and counts link_weight[] times there (the
   * copies that cross that orbit's members, per member); computing runs on host_canon[host].
   * Reduced and shifted programs then need no expansion of their own: at the end every link
   * direction gets its canonical member's bytes and peak. */
  const int *link_canon;
  const double *link_weight;
  const int *host_canon;
} nvl_task_graph;

typedef struct {
  size_t task;
  double time_s;  /* completion relative to the task's start */
  uint32_t count; /* flows it stands for (reduced programs: an orbit), 1 otherwise */
} nvl_flow;

typedef struct {
  size_t n_tasks, n_links;
  double *start_s;         /* [task]: simulated start */
  double *time_s;          /* [task]: last lane end relative to the task's start */
  unsigned char *finished; /* [task]: 1 when it ended (an incomplete run: the tasks that did) */
  double *link_bytes;      /* [2 * link + dir], dir 0 = UP, 1 = DOWN */
  double *link_peak_Bps;
  nvl_flow *flows;
  size_t n_flows;
  double end_s; /* simulated time at the end */
} nvl_engine_result;

/* Runs the graph in this process (once per process). Returns 0, or -1 with diags set (deadlock,
 * build failure, time limit). */
int nvl_engine_run(const nvl_platform *p, const nvl_task_graph *g, nvl_engine_result *res,
                   nvl_diags *diags);
/* Whether this process's engine stopped before the end (a deadlock, the time limit): SimGrid then
 * keeps its timers and actions, and what they point to, until the process ends. */
bool nvl_engine_stopped_here(void);
/* Same in a forked child; the result comes back through a pipe. */
int nvl_engine_run_forked(const nvl_platform *p, const nvl_task_graph *g, nvl_engine_result *res,
                          nvl_diags *diags);
void nvl_engine_result_release(nvl_engine_result *res);

#endif
