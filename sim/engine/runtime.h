/*
 * runtime: the engine's state during one simulation, shared by its files (private to engine/).
 *
 * There are no actors. A lane is a state machine: its next operation, and for a DELAY or COMPUTE
 * whether it is under way. The engine steps lanes in SimGrid's kernel (maestro), from a kernel
 * timer, between the kernel's rounds of updates (sg_shim.h): a step runs the lane's operations
 * until one must wait, and returns. A SEND splits the transfer into stripes over the platform's
 * planes and starts them at once (bare network actions); a COMPUTE is a bare action of the CPU
 * model on the lane's host; a DELAY a kernel timer. Each ordered pair of lanes of a task has a
 * channel: the sender's last transfer (flow control: one in flight per pair) and the queue of
 * transfers deposited for the receiver; a RECV takes the oldest one from the named lane once it
 * has arrived. The kernel reports each arrival, end of work and timer; that wakes the lanes that
 * may be waiting for it (the sender and receiver of a transfer), which queue to be stepped again
 * and re-check. Transfers are driven by senders: a receiver that waits late does not delay them.
 *
 * The drive (engine.c) steps the queued lanes until none is left, tears down the tasks whose
 * last lane finished, starts the tasks they release (their lanes queue in lane order), and so on
 * until nothing is left to do at this instant; a wake from the kernel asks for a drive at the
 * current instant (one kernel timer at a time).
 *
 * Costs: a running lane is a few dozen bytes (lane_rt) besides its task's program; O(1) per
 * operation (channels are a hash map per task); a transfer is a set of bare network actions, one
 * per stripe, and a COMPUTE one CPU action, with no SimGrid activity, mailbox or actor.
 */
#ifndef NVL_RUNTIME_H
#define NVL_RUNTIME_H

#include <simgrid/forward.h>
#include <stdbool.h>
#include <stddef.h>

#include "base/u64map.h"
#include "engine/engine.h"
#include "platform/sg_shim.h"

typedef struct nvl_engine nvl_engine;
typedef struct task_rt task_rt;

/* One ordered pair of lanes (sender, receiver) of a task: the sender's last transfer to the
 * receiver and the transfers deposited for the receiver and not yet received, oldest first (NULL
 * entries are NOTIFYs). Each transfer handle holds one reference for `last` and one for the
 * queue. In a reduced program (models/program.h) the receiver may be a virtual peer, and the
 * queue is read by cursors: entry k stays until each of the channel's readers has passed it. */
typedef struct {
  nvl_xfer *last;
  nvl_xfer **q;
  uint32_t head, n, cap;
  /* reduced programs */
  uint32_t readers; /* distinct lanes that RECV from this channel */
  uint32_t *left;   /* [entry]: readers still to pass it */
  uint32_t left_cap;
  int waiter[2]; /* lanes blocked until an entry is pushed or arrives (-1: none) */
  bool many_waiters;
} chan;

typedef struct {
  task_rt *task;
  int id;
  int host;      /* platform host: where its COMPUTEs run */
  uint32_t op;   /* the next operation */
  uint32_t fin;  /* at the end: the next SEND whose last transfer must arrive */
  uint8_t phase; /* DELAY, COMPUTE: 0 not started, 1 under way, 2 over */
  bool finished;
  bool queued; /* in the engine's queue of lanes to step */
} lane_rt;

/* A reduced program's state (reduced.c): each reader's cursor per channel, and the weighted bytes
 * of the task on its representatives' link directions (2 * link + dir) by role (sending,
 * receiving), for the rank classes at the end. Apart, so that other tasks do not carry it. */
typedef struct {
  nvl_u64map cursor_of;
  uint32_t *cursors;
  size_t n_cursors, cap_cursors;
  nvl_u64map acc_of;
  double *acc;
  size_t n_acc, cap_acc;
} task_rd;

struct task_rt {
  nvl_engine *eng;
  size_t id;
  nvl_program prog;
  const int *devs;
  lane_rt *lanes;
  size_t lanes_left;  /* lanes not finished yet */
  nvl_u64map chan_of; /* (sender lane, receiver lane) -> index in chans */
  chan *chans;
  size_t n_chans, cap_chans;
  double start_s;
  task_rd *rd; /* a reduced program's (reduced.c), NULL otherwise */
  /* shifted programs (shift.c): the image of each link direction under the shift, and the link
   * direction that stands for its orbit */
  int *shift_map, *canon;
};

/* A route SimGrid gets instead of the platform's for a pair of hosts while a task runs. */
typedef struct {
  int start, len; /* in the engine's ovr_links / ovr_dirs */
  size_t task;
  bool live;
} reroute;

struct nvl_engine {
  const nvl_platform *p;
  const nvl_task_graph *g;
  nvl_engine_result *res;
  nvl_diags *diags;
  sg_host_t *hosts;
  bool failed, completed;
  size_t cap_flows;
  /* bytes per (from host, to host), expanded onto links at the end (linkstats.c) */
  nvl_u64map pair_of;
  double *pair_bytes;
  size_t n_pairs, cap_pairs;
  /* reduced programs: pairs (member link direction, representative's) whose peaks agree */
  nvl_u64map peak_of;
  /* rerouted pairs of hosts (shift.c): (from, to) -> index in ovr */
  nvl_u64map ovr_of;
  reroute *ovr;
  size_t n_ovr, cap_ovr;
  int *ovr_links, *ovr_dirs;
  size_t n_ovr_links, cap_ovr_links;
  /* the drive (engine.c) */
  task_rt **tasks; /* [task]: while it runs (a running task costs its state, others a pointer) */
  size_t *done;    /* finished tasks not torn down yet */
  size_t n_done;
  lane_rt **runq; /* lanes to step, in the order they were woken */
  size_t n_runq, cap_runq;
  bool drive_pending, in_drive;          /* a drive is asked of the kernel, or running */
  bool unroutable;                       /* a transfer found no route (reported once) */
  size_t *succ_start, *succ, *waiting;   /* the tasks waiting for each task; dependencies left */
  size_t *ready, ready_head, ready_tail; /* tasks whose dependencies are met, not started yet */
  size_t running, finished;
  double progress_next; /* wall-clock time of the next progress line (0: none yet) */
  size_t ops_finished;  /* tasks torn down so far, for the progress line */
  bool progress_shown;  /* a progress line is on the terminal, to be cleared at the end */
};

/* Lanes and channels (runtime.c): a lane is queued to be stepped (nothing when it is queued or
 * finished already); one step; the index of the channel from lane (or virtual peer) a to b,
 * created on first use (pointers into chans move when it grows). A drive at the current instant
 * (engine.c; nothing when one is asked for or running). */
void nvl_rt_begin(void); /* once, before the run: where the kernel reports work done */
void nvl_rt_lane_wake(lane_rt *l);
void nvl_rt_lane_step(lane_rt *l);
void nvl_rt_request_drive(nvl_engine *e);
uint32_t nvl_rt_chan(task_rt *t, uint32_t a, uint32_t b);
void nvl_rt_record_flow(nvl_engine *e, task_rt *t, uint32_t count);

/* Reduced programs (reduced.c): readers per channel before the lanes start; a RECV by reference
 * (false while it waits);
 * after a SEND's push; the arrival callback (b: 1 + channel index); weighted byte accounting; the
 * rank classes' links filled in from their representatives' when the task ends; the peaks
 * likewise at the end of the run. */
void nvl_rd_prepare(task_rt *t);
bool nvl_rd_try_recv(lane_rt *self, const nvl_op *op);
void nvl_rd_pushed(task_rt *t, uint32_t ci);
void nvl_rd_arrived(void *src, void *chan_plus1);
void nvl_rd_account(nvl_engine *e, task_rt *t, int from, int to, uint64_t bytes,
                    const nvl_weight *w, uint32_t *w_out, uint32_t *w_in);
void nvl_rd_expand(nvl_engine *e, task_rt *t);
void nvl_rd_release(task_rt *t);
void nvl_rd_expand_peaks(nvl_engine *e);

/* Shifted programs (shift.c): the shift's link map and canonical link directions when the task
 * starts; the route of a pair of hosts as SimGrid gets it (rerouted or the platform's); a
 * rerouted program's transfer between two hosts, routed over the canonical link directions; the
 * task's reroutes ended and its maps freed when it is torn down. */
int nvl_sh_prepare(nvl_engine *e, task_rt *t);
int nvl_rt_route(const nvl_engine *e, int from, int to, int *links, int *dirs, int max);
void nvl_sh_reroute(nvl_engine *e, task_rt *t, int from, int to);
void nvl_sh_release(nvl_engine *e, task_rt *t);

/* Builds task t's program and queues its lanes. Returns 0, or -1 if it cannot be built (diags
 * set). */
int nvl_rt_task_start(nvl_engine *e, size_t t);
/* Frees a finished task's lanes, channels and program. */
void nvl_rt_task_release(nvl_engine *e, task_rt *t);

/* Link accounting (linkstats.c): bytes of one stripe, their expansion onto the logical links, and
 * peak loads (read through sg_shim.h as the link-load plugin would, once per link and instant). */
void nvl_rt_account(nvl_engine *e, int from_host, int to_host, uint64_t bytes);
void nvl_rt_expand_link_bytes(nvl_engine *e);

/* Folded graphs (folded.c): the bytes of one stripe (a reduced program's weighted transfer: w, or
 * NULL), a transfer's stripes weighted on their canonical routes; at the end every link
 * direction's bytes and peak from its canonical member. */
void nvl_fd_account(nvl_engine *e, int from_host, int to_host, uint64_t bytes, const nvl_weight *w);
void nvl_fd_weigh(nvl_engine *e, nvl_xfer *x, const int *hf, const int *ht, size_t n,
                  const nvl_weight *w);
void nvl_fd_expand(nvl_engine *e);
void nvl_rt_track_links(nvl_engine *e);
/* --link-stats: the routes of a transfer's stripes (hosts hf[i] -> ht[i]) for its peak loads. */
void nvl_rt_track_routes(nvl_engine *e, nvl_xfer *x, const int *hf, const int *ht, size_t n);

/* Hands the platform to SimGrid (load.c): through the lazy zone, or as XML with --dump-platform
 * (or NVLSIM_PLATFORM_XML set). Returns 0, or -1 with diags set. */
int nvl_rt_load_platform(nvl_engine *e);

#endif
