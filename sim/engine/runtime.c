/*
 * runtime: the lanes of running tasks (see runtime.h).
 */
#include "engine/runtime.h"

#include <simgrid/actor.h>
#include <simgrid/engine.h>
#include <simgrid/exec.h>
#include <simgrid/host.h>
#include <simgrid/semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"

/* A lane's stack, in KiB (sg_actor_set_stacksize's unit: s4u multiplies by 1024). Lanes call
 * only s4u and this file, a few frames deep; sanitizers need more. 64 * 1024 here had meant
 * 64 MiB stacks, whose mapping and huge-page faults cost most of a run of many small tasks. */
#ifdef NVL_SANITIZED
#define NVL_LANE_STACK_KIB 1024
#else
#define NVL_LANE_STACK_KIB 128
#endif

/* A lane sleeps on its semaphore only while it waits; whoever makes progress possible (a deposit
 * in its inbox, the arrival of a transfer it sent or receives) wakes it, and it re-checks. */
void nvl_rt_lane_block(lane_rt *l) {
  l->blocked = true;
  sg_sem_acquire(l->sem);
}

void nvl_rt_lane_wake(lane_rt *l) {
  if (l && l->blocked) {
    l->blocked = false;
    sg_sem_release(l->sem);
  }
}

/* A transfer has arrived (called from the kernel): its sender and receiver may be waiting. */
static void xfer_arrived(void *src, void *dst) {
  lane_rt *s = src;
  nvl_rt_lane_wake(s);
  nvl_rt_lane_wake(dst);
}

static void xfer_wait(lane_rt *self, nvl_xfer *x) {
  while (!nvl_xfer_done(x))
    nvl_rt_lane_block(self);
}

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
  /* one side is a switch lane (in-switch reduction) */
  hf[0] = ds >= 0 ? nvl_platform_endpoint_host(p, ds) : ls->host;
  ht[0] = dd >= 0 ? nvl_platform_endpoint_host(p, dd) : ld->host;
  b[0] = bytes;
  return 1;
}

static void do_send(lane_rt *self, const nvl_op *op, double rate_Bps) {
  uint32_t peer = op->peer;
  double bytes_d = op->value;
  const nvl_weight *w =
      self->task->prog.reduced && op->aux ? &self->task->prog.weights[op->aux - 1] : NULL;
  task_rt *t = self->task;
  nvl_engine *e = t->eng;
  /* flow control: wait for the previous transfer to the same peer */
  nvl_xfer *prev = chan_get(t, self->id, (int)peer)->last;
  if (prev) {
    xfer_wait(self, prev);
    chan_get(t, self->id, (int)peer)->last = NULL; /* the array may have grown while we slept */
    nvl_xfer_unref(prev);
  }
  uint64_t bytes = (uint64_t)bytes_d;
  sg_host_t from[NVL_MAX_STRIPES], to[NVL_MAX_STRIPES];
  uint64_t b[NVL_MAX_STRIPES];
  int hf[NVL_MAX_STRIPES], ht[NVL_MAX_STRIPES];
  uint32_t w_out = 1, w_in = 1; /* the weights on the route's first and last links */
  size_t n = send_stripes(e->p, t, self->id, peer, bytes, hf, ht, b);
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
  c->last = x;
  chan_push(c, x);
  if (t->prog.reduced)
    nvl_rd_pushed(t, ci);
  else
    nvl_rt_lane_wake(dst);
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

static void do_recv(lane_rt *self, int src) {
  chan *c = chan_get(self->task, src, self->id);
  while (c->head == c->n) {
    nvl_rt_lane_block(self);
    c = chan_get(self->task, src, self->id);
  }
  nvl_xfer *x = c->q[c->head++];
  if (c->head == c->n)
    c->head = c->n = 0;
  if (x) {
    xfer_wait(self, x);
    nvl_xfer_unref(x);
  }
  if (self->task->eng->g->record_flows)
    nvl_rt_record_flow(self->task->eng, self->task, 1);
}

/* Work on the lane's host: `seconds` of it alone, shared fairly with concurrent work there. */
static void do_compute(lane_rt *self, double seconds) {
  const nvl_engine *e = self->task->eng;
  sg_host_t h = e->hosts[e->g->host_canon ? e->g->host_canon[self->host] : self->host];
  sg_actor_execute(seconds * sg_host_get_speed(h));
}

/* The lane's own transfers still travelling, then the end: the last lane of a task hands it to
 * the controller. */
static void lane_finish(lane_rt *self, const nvl_lane *l) {
  task_rt *t = self->task;
  nvl_engine *e = t->eng;
  for (size_t i = 0; i < l->n_ops; i++)
    if (l->ops[i].kind == NVL_OP_SEND) {
      nvl_xfer *x = chan_get(t, self->id, (int)l->ops[i].peer)->last;
      if (x) {
        xfer_wait(self, x);
        chan_get(t, self->id, (int)l->ops[i].peer)->last = NULL;
        nvl_xfer_unref(x);
      }
    }
  double dt = simgrid_get_clock() - t->start_s;
  if (dt > e->res->time_s[t->id])
    e->res->time_s[t->id] = dt;
  self->finished = true;
  if (--t->lanes_left == 0) {
    e->done[e->n_done++] = t->id;
    if (e->ctl_blocked) {
      e->ctl_blocked = false;
      sg_sem_release(e->wake);
    }
  }
}

static void lane_main(int argc, char **argv) {
  (void)argc;
  (void)argv;
  lane_rt *self = sg_actor_self_get_data();
  const nvl_lane *l = &self->task->prog.lanes[self->id];
  for (size_t i = 0; i < l->n_ops; i++) {
    const nvl_op *op = &l->ops[i];
    switch (op->kind) {
    case NVL_OP_SEND: do_send(self, op, op->channels * self->task->prog.channel_Bps); break;
    case NVL_OP_RECV:
      if (self->task->prog.reduced && op->aux)
        nvl_rd_recv(self, op);
      else
        do_recv(self, (int)op->peer);
      break;
    case NVL_OP_NOTIFY: do_notify(self, (int)op->peer); break;
    case NVL_OP_DELAY: sg_actor_sleep_for(op->value); break;
    case NVL_OP_COMPUTE: do_compute(self, op->value); break;
    }
  }
  lane_finish(self, l);
}

/* Whether every lane of the program is COMPUTEs only (and the program plain: not reduced,
 * shifted or rerouted). */
static bool compute_only(const nvl_program *p) {
  if (p->reduced || p->shift > 0 || p->reroute)
    return false;
  for (size_t l = 0; l < p->n_lanes; l++)
    for (size_t i = 0; i < p->lanes[l].n_ops; i++)
      if (p->lanes[l].ops[i].kind != NVL_OP_COMPUTE)
        return false;
  return true;
}

/* The host a lane runs on: its endpoint's (where its COMPUTEs share the endpoint); endpoints
 * that reach no switch (C2C only) run on host 0. */
static int lane_host(const nvl_engine *e, const task_rt *t, const nvl_lane *ln) {
  int host = ln->rank >= 0 ? nvl_platform_endpoint_host(e->p, t->devs[ln->rank]) : ln->host;
  return host < 0 ? 0 : host;
}

/* Where a lane's COMPUTEs run: its host, or in a folded graph its host's canonical member. */
static int compute_host(const nvl_engine *e, const task_rt *t, const nvl_lane *ln) {
  int h = lane_host(e, t, ln);
  return e->g->host_canon ? e->g->host_canon[h] : h;
}

/* A compute-only task: each lane's COMPUTEs, in order, as executions on the lane's host, all
 * lanes at once; the task ends with the last. The same times as one actor per lane (executions
 * on a host share it as the lanes' would), at one actor's cost. */
static void compute_main(int argc, char **argv) {
  (void)argc;
  (void)argv;
  lane_rt *self = sg_actor_self_get_data();
  task_rt *t = self->task;
  nvl_engine *e = t->eng;
  size_t n = t->prog.n_lanes, live = 0;
  sg_exec_t *ex = nvl_xcalloc(n, sizeof *ex);
  size_t *lane_of = nvl_xcalloc(n, sizeof *lane_of), *next = nvl_xcalloc(n, sizeof *next);
  for (size_t l = 0; l < n; l++) { /* the first COMPUTE of every lane */
    const nvl_lane *ln = &t->prog.lanes[l];
    if (ln->n_ops == 0)
      continue;
    sg_host_t h = e->hosts[compute_host(e, t, ln)];
    ex[live] = sg_actor_exec_init(ln->ops[0].value * sg_host_get_speed(h));
    sg_exec_set_host(ex[live], h);
    sg_exec_start(ex[live]);
    lane_of[live++] = l;
    next[l] = 1;
  }
  while (live > 0) {
    ssize_t k = sg_exec_wait_any(ex, live);
    size_t l = lane_of[k];
    const nvl_lane *ln = &t->prog.lanes[l];
    if (next[l] < ln->n_ops) { /* the lane's next COMPUTE */
      sg_host_t h = e->hosts[compute_host(e, t, ln)];
      ex[k] = sg_actor_exec_init(ln->ops[next[l]++].value * sg_host_get_speed(h));
      sg_exec_set_host(ex[k], h);
      sg_exec_start(ex[k]);
      continue;
    }
    ex[k] = ex[--live];
    lane_of[k] = lane_of[live];
  }
  free(ex);
  free(lane_of);
  free(next);
  for (size_t l = 1; l < n; l++)
    t->lanes[l].finished = true;
  t->lanes_left = 1;
  lane_finish(self, &(nvl_lane){0});
}

int nvl_rt_task_start(nvl_engine *e, size_t id) {
  task_rt *t = &e->tasks[id];
  t->eng = e;
  t->id = id;
  nvl_program_init(&t->prog, 0);
  if (e->g->build(e->g->ctx, id, &t->prog, &t->devs) != 0) {
    nvl_diag_add(e->diags, NVL_SEV_ERROR, NVL_DIAG_LIMIT, NULL, "cannot build task %zu", id);
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
  t->compute_only = compute_only(&t->prog);
  for (size_t l = 0; l < n; l++) {
    lane_rt *lr = &t->lanes[l];
    lr->task = t;
    lr->id = (int)l;
    lr->sem = t->compute_only ? NULL : sg_sem_init(0);
  }
  if (t->compute_only) {
    char name[64];
    snprintf(name, sizeof name, "t%zu.compute", id);
    lane_rt *lr = &t->lanes[0];
    lr->actor = sg_actor_init(name, e->hosts[0]);
    sg_actor_set_data(lr->actor, lr);
    sg_actor_set_stacksize(lr->actor, NVL_LANE_STACK_KIB);
    sg_actor_ref(lr->actor);
    sg_actor_start(lr->actor, compute_main, 0, NULL);
    return 0;
  }
  /* every lane's actor exists before any lane runs */
  for (size_t l = 0; l < n; l++) {
    const nvl_lane *ln = &t->prog.lanes[l];
    /* transfers name their own hosts */
    int host = lane_host(e, t, ln);
    char name[64];
    snprintf(name, sizeof name, "t%zu.l%zu", id, l);
    lane_rt *lr = &t->lanes[l];
    lr->actor = sg_actor_init(name, e->hosts[host]);
    lr->host = host;
    sg_actor_set_data(lr->actor, lr);
    sg_actor_set_stacksize(lr->actor, NVL_LANE_STACK_KIB);
    sg_actor_ref(lr->actor);
  }
  for (size_t l = 0; l < n; l++)
    sg_actor_start(t->lanes[l].actor, lane_main, 0, NULL);
  return 0;
}

void nvl_rt_task_release(nvl_engine *e, task_rt *t) {
  size_t actors = t->compute_only ? 1 : t->prog.n_lanes;
  for (size_t l = 0; l < actors; l++) {
    sg_actor_join(t->lanes[l].actor, -1);
    sg_actor_unref(t->lanes[l].actor);
  }
  for (size_t l = 0; l < t->prog.n_lanes; l++) {
    lane_rt *lr = &t->lanes[l];
    if (lr->sem)
      sg_sem_destroy(lr->sem);
  }
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
