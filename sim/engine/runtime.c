/*
 * runtime: the lanes of running tasks (see runtime.h).
 */
#include "engine/runtime.h"

#include <simgrid/engine.h>
#include <simgrid/host.h>
#include <stdio.h>
#include <stdlib.h>
#include <inttypes.h>
#include <string.h>

#include "base/xalloc.h"

/* A lane waits by returning from its step (what it waits for is noted where the event will look:
 * a channel's waiters, its own transfers, its work or timer); whoever makes progress possible
 * wakes it, and its next step re-checks. */
void nvl_rt_lane_wake(lane_rt *l) {
  if (!l || l->queued || l->finished)
    return;
  nvl_engine *e = l->task->eng;
  if (e->n_runq == e->cap_runq) {
    e->cap_runq = e->cap_runq ? 2 * e->cap_runq : 256;
    e->runq = nvl_xrealloc(e->runq, e->cap_runq * sizeof *e->runq);
  }
  e->runq[e->n_runq++] = l;
  l->queued = true;
  nvl_rt_request_drive(e);
}

/* A transfer has arrived (called from the kernel): its sender and receiver may be waiting. */
static void xfer_arrived(void *src, void *dst) {
  lane_rt *s = src;
  nvl_rt_lane_wake(s);
  nvl_rt_lane_wake(dst);
}

/* A lane's work or delay is over (called from the kernel). */
static void wait_over(void *lane) {
  lane_rt *l = lane;
  l->phase = 2;
  nvl_rt_lane_wake(l);
}

static void delay_over(void *lane, void *unused) {
  (void)unused;
  wait_over(lane);
}

void nvl_rt_begin(void) { nvl_work_on_done(wait_over); }

uint32_t nvl_rt_chan(task_rt *t, uint32_t a, uint32_t b) {
  bool added;
  uint32_t i =
      nvl_u64map_get_or_add(&t->chan_of, nvl_u64map_pair(a, b), (uint32_t)t->n_chans, &added);
  if (added) {
    if (t->n_chans == t->cap_chans) {
      t->cap_chans = t->cap_chans ? 2 * t->cap_chans : 64;
      t->chans = nvl_xrealloc(t->chans, t->cap_chans * sizeof *t->chans);
    }
    chan *c = &t->chans[t->n_chans++];
    memset(c, 0, sizeof *c);
    c->waiter[0] = c->waiter[1] = -1;
  }
  return i;
}

/* The channel from lane a to lane (or virtual peer) b, created on first use. The pointer is valid
 * until the next chan_get() (the array may grow), so callers look it up again after sleeping. */
static chan *chan_get(task_rt *t, int a, int b) {
  uint32_t i = nvl_rt_chan(t, (uint32_t)a, (uint32_t)b); /* first: it may move t->chans */
  return &t->chans[i];
}

static void chan_push(chan *c, nvl_xfer *x) {
  if (c->n == c->cap) {
    if (c->head > 0) { /* reuse the consumed front */
      memmove(c->q, c->q + c->head, (c->n - c->head) * sizeof *c->q);
      c->n -= c->head;
      c->head = 0;
    } else {
      c->cap = c->cap ? 2 * c->cap : 2;
      c->q = nvl_xrealloc(c->q, c->cap * sizeof *c->q);
    }
  }
  c->q[c->n++] = x;
}

/* Drops every channel of a task (after its lanes ended; a deadlock may leave handles). */
static void chans_release(task_rt *t) {
  for (size_t i = 0; i < t->n_chans; i++) {
    chan *c = &t->chans[i];
    if (c->last)
      nvl_xfer_unref(c->last);
    for (uint32_t k = c->head; k < c->n; k++)
      if (c->q[k])
        nvl_xfer_unref(c->q[k]);
    free(c->q);
    free(c->left);
  }
  free(t->chans);
  t->chans = NULL;
  t->n_chans = t->cap_chans = 0;
  nvl_u64map_release(&t->chan_of);
}

/* Endpoint dev's host for a transfer with engine host `engine`. */
static int endpoint_towards(const nvl_platform *p, int dev, int engine) {
  int h = engine >= 0 ? nvl_platform_sharp_host_of(p, dev, engine) : -1;
  return h >= 0 ? h : nvl_platform_endpoint_host(p, dev);
}

/* The stripes (host pairs and bytes) of a SEND from lane `src` to lane `dst`. */
static size_t send_stripes(const nvl_platform *p, const task_rt *t, int src, uint32_t dst,
                           uint64_t bytes, int *hf, int *ht, uint64_t *b) {
  const nvl_lane *ls = &t->prog.lanes[src], *ld = dst & NVL_VIRTUAL ? NULL : &t->prog.lanes[dst];
  int ds = ls->rank >= 0 ? t->devs[ls->rank] : -1;
  int dd = !ld ? t->devs[dst & ~NVL_VIRTUAL] : ld->rank >= 0 ? t->devs[ld->rank] : -1;
  if (ds >= 0 && dd >= 0) {
    nvl_stripe st[NVL_MAX_STRIPES];
    int ns = nvl_platform_stripes(p, ds, dd, st);
    uint64_t left = bytes;
    for (int i = 0; i < ns; i++) {
      uint64_t part = i == ns - 1 ? left : (uint64_t)((double)bytes * st[i].weight + 0.5);
      if (part > left)
        part = left;
      left -= part;
      hf[i] = st[i].from_host;
      ht[i] = st[i].to_host;
      b[i] = part;
    }
    return (size_t)ns;
  }
  /* one side is a switch lane (in-switch reduction): an endpoint reaches an NVLS engine from its
   * scale-up host, a SHARP engine from its NIC's */
  hf[0] = ds < 0 ? ls->host : endpoint_towards(p, ds, dd >= 0 ? -1 : ld->host);
  ht[0] = dd < 0 ? ld->host : endpoint_towards(p, dd, ls->host);
  b[0] = bytes;
  return 1;
}

/* Flow control: the lane's last transfer to peer has arrived (and is let go). Returns false while
 * it travels (its arrival wakes the lane). */
static bool drained(lane_rt *self, uint32_t peer) {
  chan *c = chan_get(self->task, self->id, (int)peer);
  if (!c->last)
    return true;
  if (!nvl_xfer_done(c->last))
    return false;
  nvl_xfer_unref(c->last);
  c->last = NULL;
  return true;
}

/* SEND: after the previous transfer to the same peer has arrived (flow control), the transfer's
 * stripes start. Returns false while it waits. */
static bool step_send(lane_rt *self, const nvl_op *op, double rate_Bps) {
  uint32_t peer = op->peer;
  double bytes_d = op->value;
  const nvl_weight *w =
      self->task->prog.reduced && op->aux ? &self->task->prog.weights[op->aux - 1] : NULL;
  task_rt *t = self->task;
  nvl_engine *e = t->eng;
  if (op->kind == NVL_OP_SEND && !drained(self, peer))
    return false;
  uint64_t bytes = (uint64_t)bytes_d;
  sg_host_t from[NVL_MAX_STRIPES], to[NVL_MAX_STRIPES];
  uint64_t b[NVL_MAX_STRIPES];
  int hf[NVL_MAX_STRIPES], ht[NVL_MAX_STRIPES];
  uint32_t w_out = 1, w_in = 1; /* the weights on the route's first and last links */
  size_t n = send_stripes(e->p, t, self->id, peer, bytes, hf, ht, b);
  if (n == 0) { /* no way between the two (resolving refuses such jobs): never a silent 0 */
    if (!e->unroutable)
      nvl_diag_add(e->diags, NVL_SEV_ERROR, NVL_DIAG_DISCONNECTED, NULL,
                   "operation %zu: a transfer between two of its ranks has no route", t->id);
    e->unroutable = true;
    return false;
  }
  bool folded = e->g->link_canon != NULL;
  for (size_t i = 0; i < n; i++) {
    from[i] = e->hosts[hf[i]];
    to[i] = e->hosts[ht[i]];
    if (folded) { /* the fold's weights stand for every copy (folded.c) */
      nvl_fd_account(e, hf[i], ht[i], b[i], w);
      continue;
    }
    if (t->prog.reroute)
      nvl_sh_reroute(e, t, hf[i], ht[i]);
    if (w)
      nvl_rd_account(e, t, hf[i], ht[i], b[i], w, &w_out, &w_in);
    else
      nvl_rt_account(e, hf[i], ht[i], b[i]);
  }
  lane_rt *dst = peer & NVL_VIRTUAL ? NULL : &t->lanes[peer];
  uint32_t ci = nvl_rt_chan(t, (uint32_t)self->id, peer);
  nvl_xfer *x = t->prog.reduced
                    ? nvl_xfer_start(from, to, b, n, rate_Bps, w_out, w_in, 2, nvl_rd_arrived, self,
                                     (void *)(uintptr_t)(ci + 1))
                    : nvl_xfer_start(from, to, b, n, rate_Bps, 1, 1, 2, xfer_arrived, self, dst);
  if (folded)
    nvl_fd_weigh(e, x, hf, ht, n, w);
  if (e->g->link_stats)
    nvl_rt_track_routes(e, x, hf, ht, n);
  chan *c = &t->chans[ci];
  if (c->last) /* a POST after a transfer still travelling: the queue keeps its reference */
    nvl_xfer_unref(c->last);
  c->last = x;
  chan_push(c, x);
  if (t->prog.reduced)
    nvl_rd_pushed(t, ci);
  else
    nvl_rt_lane_wake(dst);
  return true;
}

static void do_notify(lane_rt *self, int peer) {
  chan_push(chan_get(self->task, self->id, peer), NULL);
  nvl_rt_lane_wake(&self->task->lanes[peer]);
}

void nvl_rt_record_flow(nvl_engine *e, task_rt *t, uint32_t count) {
  nvl_engine_result *r = e->res;
  if (r->n_flows == e->cap_flows) {
    e->cap_flows = e->cap_flows ? 2 * e->cap_flows : 1024;
    r->flows = nvl_xrealloc(r->flows, e->cap_flows * sizeof *r->flows);
  }
  r->flows[r->n_flows++] = (nvl_flow){t->id, simgrid_get_clock() - t->start_s, count};
}

/* RECV: the oldest transfer (or NOTIFY) from lane src, once it has arrived. Returns false while
 * it waits (the sender's push and the transfer's arrival wake the lane). */
static bool step_recv(lane_rt *self, int src) {
  chan *c = chan_get(self->task, src, self->id);
  if (c->head == c->n)
    return false;
  nvl_xfer *x = c->q[c->head];
  if (x && !nvl_xfer_done(x))
    return false;
  if (++c->head == c->n)
    c->head = c->n = 0;
  if (x)
    nvl_xfer_unref(x);
  if (self->task->eng->g->record_flows)
    nvl_rt_record_flow(self->task->eng, self->task, 1);
  return true;
}

/* The host a lane runs on: its endpoint's (where its COMPUTEs share the endpoint); endpoints
 * that reach no switch (C2C only) run on host 0. */
static int lane_host(const nvl_engine *e, const task_rt *t, const nvl_lane *ln) {
  int host = ln->rank >= 0 ? nvl_platform_endpoint_host(e->p, t->devs[ln->rank]) : ln->host;
  return host < 0 ? 0 : host;
}

/* DELAY and COMPUTE: started on the first step, over when the kernel says so (wait_over sets
 * phase 2). A COMPUTE is work on the lane's host (in a folded graph its canonical member's),
 * `seconds` of it alone, shared fairly with the work running there at the same time. */
static bool step_wait(lane_rt *self, const nvl_op *op) {
  if (self->phase == 2) {
    self->phase = 0;
    return true;
  }
  if (self->phase == 1)
    return false;
  self->phase = 1;
  const nvl_engine *e = self->task->eng;
  if (op->kind == NVL_OP_DELAY) {
    nvl_timer_at(simgrid_get_clock() + op->value, delay_over, self, NULL);
  } else {
    sg_host_t h = e->hosts[e->g->host_canon ? e->g->host_canon[self->host] : self->host];
    nvl_work_start(h, op->value * sg_host_get_speed(h), self);
  }
  return false;
}

/* The lane's own transfers still travelling, then the end: the last lane of a task hands it to
 * the engine. Returns false while it waits. */
static bool step_finish(lane_rt *self, const nvl_lane *l) {
  task_rt *t = self->task;
  nvl_engine *e = t->eng;
  for (; self->fin < l->n_ops; self->fin++) {
    if (l->ops[self->fin].kind != NVL_OP_SEND && l->ops[self->fin].kind != NVL_OP_POST)
      continue;
    chan *c = chan_get(t, self->id, (int)l->ops[self->fin].peer);
    if (!c->last)
      continue;
    if (!nvl_xfer_done(c->last))
      return false;
    nvl_xfer_unref(c->last);
    c->last = NULL;
  }
  double dt = simgrid_get_clock() - t->start_s;
  if (dt > e->res->time_s[t->id])
    e->res->time_s[t->id] = dt;
  self->finished = true;
  if (--t->lanes_left == 0)
    e->done[e->n_done++] = t->id;
  return true;
}

void nvl_rt_lane_step(lane_rt *self) {
  const nvl_lane *l = &self->task->prog.lanes[self->id];
  while (self->op < l->n_ops) {
    const nvl_op *op = &l->ops[self->op];
    bool on = true;
    switch (op->kind) {
    case NVL_OP_SEND:
    case NVL_OP_POST: on = step_send(self, op, op->channels * self->task->prog.channel_Bps); break;
    case NVL_OP_RECV:
      on = self->task->prog.reduced && op->aux ? nvl_rd_try_recv(self, op)
                                               : step_recv(self, (int)op->peer);
      break;
    case NVL_OP_NOTIFY: do_notify(self, (int)op->peer); break;
    case NVL_OP_DRAIN: on = drained(self, op->peer); break;
    case NVL_OP_DELAY:
    case NVL_OP_COMPUTE: on = step_wait(self, op); break;
    }
    if (!on)
      return;
    self->op++;
  }
  step_finish(self, l);
}

int nvl_rt_task_start(nvl_engine *e, size_t id) {
  task_rt *t = e->tasks[id] = nvl_xcalloc(1, sizeof *t);
  t->eng = e;
  t->id = id;
  nvl_program_init(&t->prog, 0);
  if (e->g->build(e->g->ctx, id, &t->prog, &t->devs) != 0) {
    nvl_diag_add(e->diags, NVL_SEV_ERROR, NVL_DIAG_LIMIT, NULL, "cannot build task %zu", id);
    nvl_program_release(&t->prog);
    return -1;
  }
  if (t->prog.over_budget) {
    uint64_t b = nvl_program_budget_get();
    nvl_diag_add(e->diags, NVL_SEV_ERROR, NVL_DIAG_LIMIT, NULL,
                 "operation %zu is refused before it runs: its program (%zu lanes) and those "
                 "running beside it (%zu operations) need more than the memory budget of %.1f "
                 "MiB (%" PRIu64 " bytes; --memory-limit sets it, default 4 GiB)",
                 id, t->prog.n_lanes, e->running, (double)b / 1048576.0, b);
    nvl_program_release(&t->prog);
    return -1;
  }
  t->start_s = simgrid_get_clock();
  e->res->start_s[id] = t->start_s;
  if (t->prog.reduced)
    nvl_rd_prepare(t);
  /* a folded graph's routes are canonical already: a shifted program needs no map of its own */
  if (t->prog.shift > 0 && !e->g->link_canon && nvl_sh_prepare(e, t) != 0) {
    nvl_sh_release(e, t);
    nvl_program_release(&t->prog);
    return -1;
  }
  size_t n = t->prog.n_lanes;
  t->lanes = nvl_xcalloc(n ? n : 1, sizeof *t->lanes);
  t->lanes_left = n;
  if (n == 0) { /* nothing to run: finished as it starts */
    e->done[e->n_done++] = id;
    return 0;
  }
  /* every lane exists before any lane runs; they run in lane order */
  for (size_t l = 0; l < n; l++) {
    lane_rt *lr = &t->lanes[l];
    lr->task = t;
    lr->id = (int)l;
    lr->host = lane_host(e, t, &t->prog.lanes[l]);
  }
  for (size_t l = 0; l < n; l++)
    nvl_rt_lane_wake(&t->lanes[l]);
  return 0;
}

void nvl_rt_task_release(nvl_engine *e, task_rt *t) {
  if (t->prog.reduced) {
    if (!e->g->link_canon) /* folded: every link gets its canonical member's at the end */
      nvl_rd_expand(e, t);
    nvl_rd_release(t);
  }
  nvl_sh_release(e, t);
  chans_release(t);
  free(t->lanes);
  t->lanes = NULL;
  nvl_program_release(&t->prog);
}
