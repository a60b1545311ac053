/*
 * run: a workload ready for the engine: the jobs' communicators (workload/comm.h) and the
 * workload graph (workload/wgraph.h), with the engine's view of it (one task per operation, its
 * program built when it starts by workload/build.c).
 *
 * From a spec (`run`'s flags or a workload file), the graph is the sweep: steps are the message
 * sizes (or, for the pairs pattern, pairs x sizes), each step one operation per job, all of a
 * step's operations depending on all of the previous step's; random patterns draw their
 * destinations here, in operation order, from one GSL mt19937 seeded with the spec's seed.
 */
#ifndef NVL_RUN_H
#define NVL_RUN_H

#include "design/design.h"
#include "engine/engine.h"
#include "platform/platform.h"
#include "workload/comm.h"
#include "workload/fold.h"
#include "workload/wgraph.h"
#include "workload/workload.h"

typedef struct nvl_workload_run {
  const nvl_workload_spec *spec; /* resolved; not owned */
  const nvl_design *d;
  const nvl_platform *p;
  nvl_comm *comms; /* [spec->n_jobs]; owned */
  nvl_wgraph g;    /* owned */
  bool pairs;      /* a pairs matrix: rows name their pair */
  nvl_fold *fold;  /* the graph's symmetry (workload/fold.h), or NULL; owned */
  /* the graph runs NVLSTree's rail 0 over canonical links, each transfer weighted by the rails
   * crossing a link (one job, every operation NVLSTree, its rails alike but sharing links:
   * nvl_comm's rails_weighted; not with routes fixed in an XML platform) */
  bool rails_weighted;
} nvl_workload_run;

/* The sweep of a resolved spec. */
nvl_workload_run *nvl_workload_run_new(const nvl_workload_spec *spec, const nvl_design *d,
                                       const nvl_platform *p);
/* A given graph over the jobs of a resolved spec (taken over: *g is left empty). Operations whose
 * algorithm is NVL_ALGO_AUTO get NCCL's algorithm and protocol here, as the sweep's do (the job's
 * own when it forces them). Returns NULL if an operation names a job or rank the spec does not
 * have. */
nvl_workload_run *nvl_workload_run_graph(const nvl_workload_spec *spec, const nvl_design *d,
                                         const nvl_platform *p, nvl_wgraph *g);
/* The engine's view: tasks = operations (valid while wr lives; options left to the caller). */
void nvl_workload_tasks(const nvl_workload_run *wr, nvl_task_graph *out);
/* Runs the engine on g (the workload's tasks with their options), in this process or a forked
 * one: folded when the workload has a symmetry (fold.h), res being the full graph's all the
 * same. Returns nvl_engine_run's. */
int nvl_workload_engine(const nvl_workload_run *wr, const nvl_task_graph *g, bool forked,
                        nvl_engine_result *res, nvl_diags *diags);
void nvl_workload_run_free(nvl_workload_run *wr);

/* The program of operation `op` (the engine's build callback, pure: the same op gives the same
 * program). */
int nvl_workload_build(void *wr, size_t op, nvl_program *prog, const int **devs);
/* The same with its job's collectives simulated as `mode` says (a fold's choice), whatever its
 * communicator found. */
int nvl_workload_build_as(const nvl_workload_run *wr, size_t op, const nvl_comm_mode *mode,
                          nvl_program *prog, const int **devs);

#endif
