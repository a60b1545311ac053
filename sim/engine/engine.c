/*
 * engine: see engine.h. This file sets SimGrid up, runs the controller that starts tasks as
 * their dependencies finish, and collects the result; lanes live in runtime.c.
 *
 * The controller keeps, per task, the number of dependencies not finished yet, and per task the
 * list of tasks that wait for it. Tasks whose count is zero start in index order (so a graph
 * whose tasks are all ready at once starts them as listed); each time a task finishes, the
 * controller tears it down and starts those it released, at the same simulated instant. Costs:
 * O(tasks + dependencies) besides the lanes themselves.
 */
#include "engine/engine.h"

#include <simgrid/engine.h>
#include <simgrid/host.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <xbt/log.h>

#include "base/outfile.h"
#include "base/xalloc.h"
#include "engine/runtime.h"
#include "platform/sg_shim.h"

/* The tasks waiting for each task, compressed rows (the reverse of the graph's dependencies), and
 * the dependencies each task still waits for. */
static void schedule_init(nvl_engine *e) {
  const nvl_task_graph *g = e->g;
  size_t n = g->n_tasks, nd = g->dep_start ? g->dep_start[n] : 0;
  size_t *start = nvl_xcalloc(n + 2, sizeof *start), *succ = nvl_xcalloc(nd + 1, sizeof *succ);
  size_t *waiting = nvl_xcalloc(n + 1, sizeof *waiting);
  for (size_t t = 0; t < n && g->dep_start; t++) {
    waiting[t] = g->dep_start[t + 1] - g->dep_start[t];
    for (size_t k = g->dep_start[t]; k < g->dep_start[t + 1]; k++)
      start[g->deps[k] + 2]++;
  }
  for (size_t t = 0; t < n; t++)
    start[t + 2] += start[t + 1];
  for (size_t t = 0; t < n && g->dep_start; t++) /* in task order: successors stay sorted */
    for (size_t k = g->dep_start[t]; k < g->dep_start[t + 1]; k++)
      succ[start[g->deps[k] + 1]++] = t;
  e->succ_start = start;
  e->succ = succ;
  e->waiting = waiting;
  e->ready = nvl_xmalloc((n + 1) * sizeof *e->ready);
  for (size_t t = 0; t < n; t++)
    if (waiting[t] == 0)
      e->ready[e->ready_tail++] = t;
}

static void schedule_release(nvl_engine *e) {
  free(e->succ_start);
  free(e->succ);
  free(e->waiting);
  free(e->ready);
  e->succ_start = e->succ = e->waiting = e->ready = NULL;
}

/* "operations done / all, simulated time" on stderr, over itself, at most 5 times a second (the
 * first line 0.2 s after the first operation ends: short runs print nothing); cleared at the end.
 */
static void progress_line(nvl_engine *e, size_t done, size_t n, bool last) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  double now = (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
  if (last) {
    if (e->progress_shown)
      fprintf(stderr, "\r%60s\r", "");
    return;
  }
  if (now < e->progress_next)
    return;
  bool first = e->progress_next == 0;
  e->progress_next = now + 0.2;
  e->progress_shown |= !first;
  if (!first)
    fprintf(stderr, "\rsimulating: %zu/%zu operations, %.1f us simulated", done, n,
            simgrid_get_clock() * 1e6);
}

/* Between completions (one long collective is one operation): the line follows simulated time. */
static void progress_tick(void *ctx) {
  nvl_engine *e = ctx;
  progress_line(e, e->ops_finished, e->g->n_tasks, false);
}

/* The drive (runtime.h), from a kernel timer: tasks whose dependencies are met start (in index
 * order, so a graph whose tasks are all ready at once starts them as listed), queued lanes step,
 * tasks whose last lane finished are torn down (in the order they finished) and release their
 * successors, which start at the same simulated instant; until nothing is left to do now. */
static void drive(void *ctx, void *unused) {
  (void)unused;
  nvl_engine *e = ctx;
  e->drive_pending = false;
  if (e->failed)
    return;
  e->in_drive = true;
  size_t n = e->g->n_tasks;
  for (;;) {
    while (e->ready_head < e->ready_tail && !e->failed) {
      if (nvl_rt_task_start(e, e->ready[e->ready_head++]) != 0)
        e->failed = true;
      else
        e->running++;
    }
    for (size_t i = 0; i < e->n_runq && !e->failed; i++) {
      lane_rt *l = e->runq[i];
      l->queued = false;
      if (!l->finished)
        nvl_rt_lane_step(l); /* may queue more lanes: the loop reaches them */
    }
    e->n_runq = 0;
    if (e->failed || e->n_done == 0)
      break;
    for (size_t i = 0; i < e->n_done; i++) {
      size_t t = e->done[i];
      nvl_rt_task_release(e, e->tasks[t]);
      free(e->tasks[t]);
      e->tasks[t] = NULL;
      e->res->finished[t] = 1;
      e->running--;
      e->finished++;
      for (size_t k = e->succ_start[t]; k < e->succ_start[t + 1]; k++)
        if (--e->waiting[e->succ[k]] == 0)
          e->ready[e->ready_tail++] = e->succ[k];
    }
    e->n_done = 0;
    e->ops_finished = e->finished;
    if (e->g->progress)
      progress_line(e, e->finished, n, false);
  }
  e->in_drive = false;
  if (!e->failed && e->finished == n)
    e->completed = true;
}

void nvl_rt_request_drive(nvl_engine *e) {
  if (e->in_drive || e->drive_pending)
    return;
  e->drive_pending = true;
  nvl_timer_at(simgrid_get_clock(), drive, e, NULL);
}

/* After a deadlock or the time limit: the first task still running and its first unfinished lane
 * (tasks not started yet have no lanes). */
static void report_incomplete(const nvl_engine *e) {
  const nvl_task_graph *g = e->g;
  /* SimGrid's run_until ends within 1e-5 s of its date (EngineImpl::run's double_equals) */
  bool limit = g->time_limit_s > 0 && e->res->end_s >= g->time_limit_s - 1e-5;
  if (limit) {
    nvl_diag_add(e->diags, NVL_SEV_ERROR, NVL_DIAG_LIMIT, NULL,
                 "simulation stopped at the time limit of %g s (simulated)", g->time_limit_s);
    return;
  }
  for (size_t t = 0; t < g->n_tasks; t++)
    for (size_t l = 0; e->tasks[t] && e->tasks[t]->lanes && l < e->tasks[t]->prog.n_lanes; l++)
      if (!e->tasks[t]->lanes[l].finished) {
        nvl_diag_add(e->diags, NVL_SEV_ERROR, NVL_DIAG_LIMIT, NULL,
                     "workload did not complete (deadlock after %g s simulated): lane %zu of "
                     "task %zu never finished",
                     e->res->end_s, l, t);
        return;
      }
  nvl_diag_add(e->diags, NVL_SEV_ERROR, NVL_DIAG_LIMIT, NULL,
               "workload did not complete (deadlock after %g s simulated)", e->res->end_s);
}

static void result_init(nvl_engine_result *res, const nvl_platform *p, size_t n_tasks) {
  memset(res, 0, sizeof *res);
  res->n_tasks = n_tasks;
  res->n_links = nvl_platform_link_count(p);
  res->start_s = nvl_xcalloc(n_tasks + 1, sizeof(double));
  res->time_s = nvl_xcalloc(n_tasks + 1, sizeof(double));
  res->finished = nvl_xcalloc(n_tasks + 1, 1);
  res->link_bytes = nvl_xcalloc(2 * res->n_links + 1, sizeof(double));
  res->link_peak_Bps = nvl_xcalloc(2 * res->n_links + 1, sizeof(double));
}

/* SimGrid's options: surf/precision is a time precision (seconds, default 1e-5): at 1e-10
 * striped transfers match the closed form to ~1e-9 relative, at no measurable cost. TCP-gamma
 * (the TCP window) is huge rather than 0: CM02 bounds a transfer by min(its rate bound, gamma /
 * (2 x latency)), so gamma 0 removes the window but also every rate bound (point-to-point channel
 * caps); 1e30 bytes of window bound nothing either. */
static void simgrid_start(const nvl_task_graph *g) {
  xbt_log_control_set(g->verbose ? "root.thresh:info" : "root.thresh:critical");
  char *argv[64] = {"nvlsim", "--cfg=network/model:CM02", "--cfg=network/crosstraffic:0",
                    "--cfg=network/TCP-gamma:1e30", "--cfg=surf/precision:1e-10"};
  int argc = 5;
  for (const char *const *c = g->sg_cfg; c && *c && argc < 62; c++)
    argv[argc++] = (char *)*c;
  argv[argc] = NULL;
  /* SimGrid's own SIGINT handler exits 1 and leaves our temporary outputs: ours again. The signals
   * wait while SimGrid installs its handler and ours replaces it, so none finds SimGrid's. */
  sigset_t block, old;
  sigemptyset(&block);
  sigaddset(&block, SIGINT);
  sigaddset(&block, SIGTERM);
  sigaddset(&block, SIGHUP);
  sigprocmask(SIG_BLOCK, &block, &old);
  simgrid_init(&argc, argv);
  nvl_outfile_install_signal_cleanup();
  sigprocmask(SIG_SETMASK, &old, NULL);
  nvl_sg_exit_on_bad_alloc();
}

static bool stopped_here;

bool nvl_engine_stopped_here(void) { return stopped_here; }

int nvl_engine_run(const nvl_platform *p, const nvl_task_graph *g, nvl_engine_result *res,
                   nvl_diags *diags) {
  static bool used;
  memset(res, 0, sizeof *res);
  if (used) {
    nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_LIMIT, NULL,
                 "internal error: SimGrid allows one engine per process");
    return -1;
  }
  used = true;
  result_init(res, p, g->n_tasks);
  /* on the heap: after a deadlock SimGrid still holds timers and actions that point into it */
  nvl_engine *e = nvl_xcalloc(1, sizeof *e);
  *e = (nvl_engine){.p = p,
                    .g = g,
                    .res = res,
                    .diags = diags,
                    .pair_of = NVL_U64MAP_INIT,
                    .peak_of = NVL_U64MAP_INIT,
                    .ovr_of = NVL_U64MAP_INIT};
  simgrid_start(g);
  if (nvl_rt_load_platform(e) != 0) {
    free(e);
    return -1;
  }
  size_t nh = nvl_platform_host_count(p);
  e->hosts = nvl_xmalloc((nh + 1) * sizeof *e->hosts);
  for (size_t h = 0; h < nh; h++)
    e->hosts[h] = sg_host_by_name(nvl_platform_host_name(p, (int)h));
  e->tasks = nvl_xcalloc(g->n_tasks + 1, sizeof *e->tasks);
  e->done = nvl_xcalloc(g->n_tasks + 1, sizeof *e->done);
  schedule_init(e);
  nvl_rt_begin();
  if (g->link_stats)
    nvl_rt_track_links(e);
  nvl_sg_phases(g->phase_window, g->phase_min_flows);
  nvl_rt_request_drive(e); /* the first drive, at time 0, starts the tasks without dependencies */
  if (g->progress)
    nvl_sg_on_time_advance(progress_tick, e);
  if (g->time_limit_s > 0)
    simgrid_run_until(g->time_limit_s);
  else
    simgrid_run();
  res->end_s = simgrid_get_clock();
  if (g->progress)
    progress_line(e, e->finished, g->n_tasks, true);
  if (g->link_stats)
    nvl_rd_expand_peaks(e);
  nvl_rt_expand_link_bytes(e);
  if (g->link_canon)
    nvl_fd_expand(e);
  nvl_u64map_release(&e->pair_of);
  free(e->pair_bytes);
  e->pair_bytes = NULL;
  nvl_u64map_release(&e->peak_of);
  nvl_u64map_release(&e->ovr_of);
  free(e->ovr);
  free(e->ovr_links);
  free(e->ovr_dirs);
  bool ok = e->completed;
  stopped_here = !ok;
  if (!ok && !e->failed)
    report_incomplete(e);
  schedule_release(e);
  free(e->runq);
  e->runq = NULL;
  if (ok) { /* otherwise SimGrid still holds timers and actions that point into it */
    free(e->tasks);
    free(e->done);
    free(e->hosts);
    free(e);
  }
  return ok ? 0 : -1;
}

void nvl_engine_result_release(nvl_engine_result *res) {
  free(res->time_s);
  free(res->start_s);
  free(res->finished);
  free(res->link_bytes);
  free(res->link_peak_Bps);
  free(res->flows);
  memset(res, 0, sizeof *res);
}
