/*
 * reduced: running reduced programs (models/program.h), in which each simulated lane stands for
 * a class of alike ranks and each transfer for its orbit. What differs from a full program:
 *   - a transfer may go to a virtual peer (a rank without a lane), and counts several times on
 *     its route's first and last links (the shim's weights);
 *   - a RECV names a channel (sender lane, destination) and waits for the next entry its own
 *     cursor has not passed: several lanes may read one channel, and an entry stays until all
 *     its readers have passed it. A lane waiting on a channel is woken when something is pushed
 *     to it or arrives there;
 *   - bytes are counted on the representatives' port links with their weights, and when the task
 *     ends every member of a class gets its representative's: the sending representative's port
 *     links for the member's up direction, the receiving one's for its down direction (twins'
 *     port links correspond one to one). Peaks are copied likewise at the end of the run.
 * Costs: O(1) per operation besides the lanes; O(ranks x port links) per task for the classes.
 */
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"
#include "engine/runtime.h"

#define MAX_PORTS 64

/* The cursor of lane `reader` on channel ci, created at 0. */
static uint32_t *cursor(task_rt *t, int reader, uint32_t ci) {
  bool added;
  uint32_t i = nvl_u64map_get_or_add(&t->rd->cursor_of, nvl_u64map_pair((uint32_t)reader, ci),
                                     (uint32_t)t->rd->n_cursors, &added);
  if (added) {
    if (t->rd->n_cursors == t->rd->cap_cursors) {
      t->rd->cap_cursors = t->rd->cap_cursors ? 2 * t->rd->cap_cursors : 64;
      t->rd->cursors = nvl_xrealloc(t->rd->cursors, t->rd->cap_cursors * sizeof *t->rd->cursors);
    }
    t->rd->cursors[t->rd->n_cursors++] = 0;
  }
  return &t->rd->cursors[i];
}

void nvl_rd_prepare(task_rt *t) {
  t->rd = nvl_xcalloc(1, sizeof *t->rd);
  for (size_t l = 0; l < t->prog.n_lanes; l++) {
    const nvl_lane *ln = &t->prog.lanes[l];
    for (size_t k = 0; k < ln->n_ops; k++) {
      const nvl_op *op = &ln->ops[k];
      if (op->kind != NVL_OP_RECV || !op->aux)
        continue;
      uint32_t ci = nvl_rt_chan(t, op->peer, t->prog.refs[op->aux - 1].dest);
      size_t before = t->rd->n_cursors;
      cursor(t, (int)l, ci);
      if (t->rd->n_cursors > before) /* a new reader of this channel */
        t->chans[ci].readers++;
    }
  }
}

static void add_waiter(chan *c, int lane) {
  for (int i = 0; i < 2; i++)
    if (c->waiter[i] < 0 || c->waiter[i] == lane) {
      c->waiter[i] = lane;
      return;
    }
  c->many_waiters = true;
}

/* Wakes the lanes waiting on channel ci (all of the task's when they were too many to list); they
 * register again if what they wait for is still not there. */
static void wake_waiters(task_rt *t, uint32_t ci) {
  chan *c = &t->chans[ci];
  int w[2] = {c->waiter[0], c->waiter[1]};
  bool all = c->many_waiters;
  c->waiter[0] = c->waiter[1] = -1;
  c->many_waiters = false;
  if (all) {
    for (size_t l = 0; l < t->prog.n_lanes; l++)
      nvl_rt_lane_wake(&t->lanes[l]);
    return;
  }
  for (int i = 0; i < 2; i++)
    if (w[i] >= 0)
      nvl_rt_lane_wake(&t->lanes[w[i]]);
}

void nvl_rd_pushed(task_rt *t, uint32_t ci) {
  chan *c = &t->chans[ci];
  uint32_t k = c->n - 1; /* the entry just pushed */
  if (k >= c->left_cap) {
    c->left_cap = c->left_cap ? 2 * c->left_cap : 16;
    c->left = nvl_xrealloc(c->left, (size_t)c->left_cap * sizeof *c->left);
  }
  c->left[k] = c->readers;
  if (c->readers == 0) { /* nobody reads it: only the sender's flow control holds it */
    nvl_xfer_unref(c->q[k]);
    c->q[k] = NULL;
  }
  wake_waiters(t, ci);
}

void nvl_rd_arrived(void *src, void *chan_plus1) {
  lane_rt *s = src;
  task_rt *t = s->task;
  nvl_rt_lane_wake(s);
  wake_waiters(t, (uint32_t)(uintptr_t)chan_plus1 - 1);
}

bool nvl_rd_try_recv(lane_rt *self, const nvl_op *op) {
  task_rt *t = self->task;
  const nvl_recv_ref *r = &t->prog.refs[op->aux - 1];
  uint32_t ci = nvl_rt_chan(t, op->peer, r->dest), k = *cursor(t, self->id, ci);
  chan *c = &t->chans[ci];
  if (!(k < c->n && c->q[k] && nvl_xfer_done(c->q[k]))) {
    add_waiter(c, self->id);
    return false;
  }
  if (--c->left[k] == 0) {
    nvl_xfer_unref(c->q[k]);
    c->q[k] = NULL;
  }
  (*cursor(t, self->id, ci))++;
  if (t->eng->g->record_flows)
    nvl_rt_record_flow(t->eng, t, r->count ? r->count : 1);
  return true;
}

/* A task's account of a link direction (2 * link + dir) in a role: what representatives send
 * (0) or receive (1) on their own links. */
static uint64_t acc_key(int role, uint32_t link_dir) { return (uint64_t)role << 32 | link_dir; }

static void acc_add(task_rt *t, uint64_t key, double bytes) {
  bool added;
  uint32_t i = nvl_u64map_get_or_add(&t->rd->acc_of, key, (uint32_t)t->rd->n_acc, &added);
  if (added) {
    if (t->rd->n_acc == t->rd->cap_acc) {
      t->rd->cap_acc = t->rd->cap_acc ? 2 * t->rd->cap_acc : 16;
      t->rd->acc = nvl_xrealloc(t->rd->acc, t->rd->cap_acc * sizeof *t->rd->acc);
    }
    t->rd->acc[t->rd->n_acc++] = 0;
  }
  t->rd->acc[i] += bytes;
}

void nvl_rd_account(nvl_engine *e, task_rt *t, int from, int to, uint64_t bytes,
                    const nvl_weight *w, uint32_t *w_out, uint32_t *w_in) {
  int links[64], dirs[64];
  int n = nvl_rt_route(e, from, to, links, dirs, 64);
  int df = nvl_platform_host_device(e->p, from), dt = nvl_platform_host_device(e->p, to);
  *w_out = *w_in = 1;
  for (int k = 0; k < n; k++) {
    /* the sender's own links carry its w_out members, the receiver's its w_in; reduced programs
     * run on twins, whose routes are a port link each way (or a port link and a reduction
     * engine's), so the sender's and the receiver's come first and last */
    const nvl_plink *l = nvl_platform_link(e->p, links[k]);
    int role = l->owner >= 0 && l->owner == df ? 0 : l->owner >= 0 && l->owner == dt ? 1 : -1;
    uint32_t m = role == 0 ? w->w_out : role == 1 ? w->w_in : 1;
    /* a fatpipe does not share: its members' copies take no capacity from each other */
    if (!l->fatpipe && k == 0 && role == 0)
      *w_out = m;
    if (!l->fatpipe && k == n - 1 && role == 1)
      *w_in = m;
    double b = (double)bytes * m;
    uint32_t key = (uint32_t)(2 * links[k] + (dirs[k] > 0 ? 0 : 1));
    e->res->link_bytes[key] += b;
    if (t->prog.shift > 0)
      acc_add(t, acc_key(0, key), b); /* every link goes to its images */
    else if (role >= 0)
      acc_add(t, acc_key(role, key), b);
  }
}

/* Records that member link direction `to` mirrors representative link direction `from`. */
static void mirror_peak(nvl_engine *e, uint32_t to, uint32_t from) {
  bool added;
  nvl_u64map_get_or_add(&e->peak_of, nvl_u64map_pair(to, from), 0, &added);
}

/* Gives a member's links what the representative's carried in this task in a role (the sending
 * representative's for what the member sends, the receiving one's for what it receives). */
static void copy_role(nvl_engine *e, task_rt *t, int member, int rep, int role) {
  int ml[MAX_PORTS], rl[MAX_PORTS];
  int nm = nvl_platform_port_links(e->p, t->devs[member], ml, MAX_PORTS);
  int nr = nvl_platform_port_links(e->p, t->devs[rep], rl, MAX_PORTS);
  for (int k = 0; k < nm && k < nr; k++)
    for (int dir = 0; dir < 2; dir++) {
      uint32_t from = (uint32_t)(2 * rl[k] + dir), to = (uint32_t)(2 * ml[k] + dir);
      uint32_t i = nvl_u64map_find(&t->rd->acc_of, acc_key(role, from));
      if (i == UINT32_MAX)
        continue;
      e->res->link_bytes[to] += t->rd->acc[i];
      mirror_peak(e, to, from);
    }
}

/* A shifted program's links go to their images under each shift by a multiple of the period:
 * what the lanes' transfers loaded is what every block's load. */
static void expand_shift(nvl_engine *e, task_rt *t) {
  int n = t->prog.n_ranks, m = t->prog.shift;
  const int *map = t->shift_map;
  const nvl_u64map *am = &t->rd->acc_of;
  for (size_t s = 0; s < am->cap; s++) {
    if (am->keys[s] == UINT64_MAX)
      continue;
    uint32_t from = (uint32_t)am->keys[s];
    int cur = (int)from;
    for (int j = 1; j < n / m && cur >= 0; j++) {
      cur = map[cur];
      if (cur >= 0) {
        e->res->link_bytes[cur] += t->rd->acc[am->vals[s]];
        mirror_peak(e, (uint32_t)cur, from);
      }
    }
  }
}

void nvl_rd_expand(nvl_engine *e, task_rt *t) {
  if (t->prog.shift > 0) {
    expand_shift(e, t);
    return;
  }
  const nvl_rank_classes *rc = &t->prog.classes;
  for (int r = 0; r < t->prog.n_ranks; r++) {
    int c = rc->class_of[r];
    if (c < 0 || c >= rc->n_classes)
      continue;
    if (r != rc->up[c])
      copy_role(e, t, r, rc->up[c], 0);
    if (r != rc->down[c])
      copy_role(e, t, r, rc->down[c], 1);
  }
}

void nvl_rd_release(task_rt *t) {
  if (!t->rd)
    return;
  nvl_u64map_release(&t->rd->cursor_of);
  nvl_u64map_release(&t->rd->acc_of);
  free(t->rd->cursors);
  free(t->rd->acc);
  free(t->rd);
  t->rd = NULL;
}

void nvl_rd_expand_peaks(nvl_engine *e) {
  const nvl_u64map *m = &e->peak_of;
  for (size_t s = 0; s < m->cap; s++)
    if (m->keys[s] != UINT64_MAX) {
      double src = e->res->link_peak_Bps[(uint32_t)m->keys[s]];
      double *dst = &e->res->link_peak_Bps[m->keys[s] >> 32];
      if (src > *dst)
        *dst = src;
    }
}
