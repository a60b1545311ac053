/*
 * engine: see engine.h.
 *
 * Every lane is an actor. A SEND splits the transfer into stripes over the platform's planes and
 * starts them at once (sg_shim). Each ordered pair of lanes has a channel: the sender's last
 * transfer (flow control: one in flight per pair) and the queue of transfers deposited for the
 * receiver; a RECV takes the oldest one from the named lane and then needs it to have arrived.
 * Nobody waits on a SimGrid communication: the shim reports each transfer's arrival from the
 * kernel, which wakes its sender and receiver if they sleep (each lane sleeps on its own semaphore
 * only while it waits, and re-checks when woken). Transfers are therefore driven by senders: a
 * receiver that waits late does not delay them. A controller actor starts the lanes of each step
 * and joins them before the next step.
 *
 * Costs: one actor per lane, O(1) per operation (channels are a hash table per job). Transfers
 * between the two lanes' own hosts go through the receiver's mailbox, the others are detached
 * host-to-host communications, which SimGrid 3.32 keeps in one list that every completion scans
 * (see sg_shim.h).
 */
#define _GNU_SOURCE
#include "engine/engine.h"

#include <errno.h>
#include <simgrid/actor.h>
#include <simgrid/engine.h>
#include <simgrid/host.h>
#include <simgrid/link.h>
#include <simgrid/plugins/load.h>
#include <simgrid/semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <xbt/log.h>

#include "platform/sg_shim.h"

/* One ordered pair of lanes (sender, receiver) of a job: the sender's last transfer to the
 * receiver (flow control: one in flight per pair) and the transfers deposited for the receiver and
 * not yet received, oldest first (NULL entries are NOTIFYs). Each transfer handle holds one
 * reference for `last` and one for the queue. */
typedef struct {
  uint64_t key; /* (sender << 32 | receiver) + 1; 0 marks an empty slot */
  nvl_xfer *last;
  nvl_xfer **q;
  uint32_t head, n, cap;
} chan;

typedef struct lane_rt lane_rt;

typedef struct {
  nvl_program prog;
  const int *devs;
  lane_rt *lanes;
  size_t job;
  chan *chans; /* open addressing, power-of-two capacity, at most half full */
  size_t n_chans, cap_chans;
} job_rt;

struct lane_rt {
  job_rt *job;
  int id;
  sg_sem_t sem;
  sg_actor_t actor;
  int host;       /* platform host the actor runs on */
  nvl_mbox *mbox; /* transfers to this lane from its host's neighbours (see sg_shim.h) */
  int in_flight;  /* own transfers not arrived yet */
  bool finished;
  bool blocked; /* sleeping on sem until something it waits for happens */
};

/* A lane sleeps on its semaphore only while it waits; whoever makes progress possible (a deposit
 * in its inbox, the arrival of a transfer it sent or receives) wakes it, and it re-checks. */
static void lane_block(lane_rt *l) {
  l->blocked = true;
  sg_sem_acquire(l->sem);
}

static void lane_wake(lane_rt *l) {
  if (l->blocked) {
    l->blocked = false;
    sg_sem_release(l->sem);
  }
}

/* Set while a step's lanes are torn down: closing a mailbox cancels transfers that a deadlocked
 * step left in flight, and their "arrival" must not touch lanes being freed. */
static bool tearing_down;

/* A transfer has arrived (called from the kernel): its sender and receiver may be waiting. */
static void xfer_arrived(void *src, void *dst) {
  if (tearing_down)
    return;
  ((lane_rt *)src)->in_flight--;
  lane_wake(src);
  lane_wake(dst);
}

static void xfer_wait(lane_rt *self, nvl_xfer *x) {
  while (!nvl_xfer_done(x))
    lane_block(self);
}

/* Slot hash of a 64-bit key: splitmix64's finaliser, so that keys differing only in their high
 * half (the sender) spread as well as keys differing in their low half. */
static size_t hash64(uint64_t x) {
  x ^= x >> 30;
  x *= 0xBF58476D1CE4E5B9ull;
  x ^= x >> 27;
  x *= 0x94D049BB133111EBull;
  x ^= x >> 31;
  return (size_t)x;
}

static size_t chan_slot(const job_rt *j, uint64_t key) {
  size_t h = hash64(key) & (j->cap_chans - 1);
  while (j->chans[h].key != 0 && j->chans[h].key != key)
    h = (h + 1) & (j->cap_chans - 1);
  return h;
}

/* The channel from lane a to lane b, created on first use. The pointer is valid until the next
 * chan() call (the table may grow), so callers look it up again after sleeping. */
static chan *chan_get(job_rt *j, int a, int b) {
  uint64_t key = ((uint64_t)(uint32_t)a << 32 | (uint32_t)b) + 1;
  if (2 * (j->n_chans + 1) > j->cap_chans) {
    size_t old_cap = j->cap_chans;
    chan *old = j->chans;
    j->cap_chans = old_cap ? 2 * old_cap : 64;
    j->chans = nvl_xcalloc(j->cap_chans, sizeof *j->chans);
    for (size_t i = 0; i < old_cap; i++)
      if (old[i].key != 0)
        j->chans[chan_slot(j, old[i].key)] = old[i];
    free(old);
  }
  size_t h = chan_slot(j, key);
  if (j->chans[h].key == 0) {
    j->chans[h].key = key;
    j->n_chans++;
  }
  return &j->chans[h];
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

/* Drops every channel of a job (after its lanes ended; a deadlocked step may leave handles). */
static void chans_release(job_rt *j) {
  for (size_t i = 0; i < j->cap_chans; i++) {
    chan *c = &j->chans[i];
    if (c->key == 0)
      continue;
    if (c->last)
      nvl_xfer_unref(c->last);
    for (uint32_t k = c->head; k < c->n; k++)
      if (c->q[k])
        nvl_xfer_unref(c->q[k]);
    free(c->q);
  }
  free(j->chans);
  j->chans = NULL;
  j->n_chans = j->cap_chans = 0;
}

/* The SimGrid options nvlsim passes on, with the values SimGrid 3.32 survives: outside these it
 * aborts, crashes, hangs (surf/precision 0) or deadlocks (concurrency limit 0). */
typedef enum { CFG_REAL, CFG_INT, CFG_WORD } cfg_kind;
static const struct {
  const char *key;
  cfg_kind kind;
  double min, max;   /* CFG_REAL, CFG_INT: inclusive range */
  const char *words; /* CFG_WORD: accepted values, comma-separated */
  const char *why;   /* shown when the value is refused */
} cfg_opts[] = {
    {"maxmin/precision", CFG_REAL, 1e-15, 1, NULL, "a precision in (0, 1]"},
    {"maxmin/concurrency-limit", CFG_INT, -1, 1e9, NULL,
     "-1 (no limit) or a positive count; 0 deadlocks"},
    {"surf/precision", CFG_REAL, 1e-15, 1e-3, NULL, "seconds in (0, 1 ms]; 0 never advances"},
    {"network/maxmin-selective-update", CFG_WORD, 0, 0, "yes,on,true,1",
     "yes: the CM02 model runs with lazy updates, which need it"},
    {"network/solver", CFG_WORD, 0, 0, "maxmin,fairbottleneck,bmf",
     "maxmin, fairbottleneck or bmf"},
    {"network/loopback-bw", CFG_REAL, 1e-9, 1e18, NULL, "bytes per second above 0"},
    {"network/loopback-lat", CFG_REAL, 0, 1e3, NULL, "seconds, 0 or more"},
    {"contexts/factory", CFG_WORD, 0, 0, "raw,boost,ucontext,thread",
     "raw, boost, ucontext or thread"},
    {"contexts/stack-size", CFG_INT, 16, 1048576, NULL, "KiB from 16 to 1048576"},
    {"contexts/guard-size", CFG_INT, 0, 64, NULL, "pages from 0 to 64"},
};

static bool cfg_value_ok(size_t i, const char *v) {
  if (cfg_opts[i].kind == CFG_WORD) {
    size_t n = strlen(v);
    for (const char *w = cfg_opts[i].words; *w;) {
      const char *e = strchr(w, ',');
      size_t len = e ? (size_t)(e - w) : strlen(w);
      if (len == n && strncmp(w, v, n) == 0)
        return true;
      w += len + (e ? 1 : 0);
    }
    return false;
  }
  char *end = NULL;
  errno = 0;
  double d = strtod(v, &end);
  if (errno || end == v || *end || !(d >= cfg_opts[i].min && d <= cfg_opts[i].max))
    return false;
  if (cfg_opts[i].kind == CFG_INT && (d != (double)(long)d || (cfg_opts[i].min < 0 && d == 0)))
    return false; /* whole numbers; where -1 means "no limit", 0 is not a limit either */
  return true;
}

int nvl_engine_check_cfg(const char *arg, char *err, size_t len) {
  const char *kv = strncmp(arg, "--cfg=", 6) == 0 ? arg + 6 : arg;
  const char *colon = strchr(kv, ':');
  if (!colon || colon == kv || !colon[1]) {
    snprintf(err, len, "\"%s\": write --cfg=KEY:VALUE", arg);
    return -1;
  }
  size_t klen = (size_t)(colon - kv);
  for (size_t i = 0; i < sizeof cfg_opts / sizeof cfg_opts[0]; i++)
    if (strlen(cfg_opts[i].key) == klen && strncmp(cfg_opts[i].key, kv, klen) == 0) {
      if (cfg_value_ok(i, colon + 1))
        return 0;
      snprintf(err, len, "SimGrid option %s: \"%s\" is not accepted; give %s", cfg_opts[i].key,
               colon + 1, cfg_opts[i].why);
      return -1;
    }
  char keys[600] = "";
  for (size_t i = 0; i < sizeof cfg_opts / sizeof cfg_opts[0]; i++)
    snprintf(keys + strlen(keys), sizeof keys - strlen(keys), "%s%s", i ? ", " : "",
             cfg_opts[i].key);
  snprintf(err, len, "SimGrid key \"%.*s\" is not one nvlsim passes on; allowed: %s", (int)klen, kv,
           keys);
  return -1;
}

/* The one engine of this process. */
static struct {
  const nvl_platform *p;
  const nvl_workload *w;
  nvl_engine_result *res;
  nvl_diags *diags;
  sg_host_t *hosts;
  double step_start;
  size_t step;
  bool failed;
  bool completed;
  size_t cap_flows;
  int *route_links, *route_dirs;
  uint64_t *pair_keys; /* bytes per (from host, to host): see account_links */
  double *pair_vals;
  size_t pair_n, pair_cap;
} E;

/* The stripes (host pairs and bytes) of a SEND from lane `src` to lane `dst`. */
static size_t send_stripes(const nvl_platform *p, const nvl_program *prog, const int *devs, int src,
                           int dst, uint64_t bytes, int *hf, int *ht, uint64_t *b) {
  const nvl_lane *ls = &prog->lanes[src], *ld = &prog->lanes[dst];
  int ds = ls->rank >= 0 ? devs[ls->rank] : -1, dd = ld->rank >= 0 ? devs[ld->rank] : -1;
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

/* Bytes per host pair, an open-addressing hash map: the inner loop adds to it, and the per-link
 * totals are expanded once at the end (one route computation per distinct pair, not per send). */
static void account_links(int from, int to, uint64_t bytes) {
  if (2 * (E.pair_n + 1) > E.pair_cap) { /* grow: keep the load under one half */
    size_t cap = E.pair_cap ? 2 * E.pair_cap : 1024;
    uint64_t *keys = nvl_xmalloc(cap * sizeof *keys);
    double *vals = nvl_xcalloc(cap, sizeof *vals);
    for (size_t i = 0; i < cap; i++)
      keys[i] = UINT64_MAX;
    for (size_t i = 0; i < E.pair_cap; i++)
      if (E.pair_keys[i] != UINT64_MAX) {
        size_t h = hash64(E.pair_keys[i]) & (cap - 1);
        while (keys[h] != UINT64_MAX)
          h = (h + 1) & (cap - 1);
        keys[h] = E.pair_keys[i];
        vals[h] = E.pair_vals[i];
      }
    free(E.pair_keys);
    free(E.pair_vals);
    E.pair_keys = keys;
    E.pair_vals = vals;
    E.pair_cap = cap;
  }
  uint64_t key = (uint64_t)from << 32 | (uint32_t)to;
  size_t h = hash64(key) & (E.pair_cap - 1);
  while (E.pair_keys[h] != UINT64_MAX && E.pair_keys[h] != key)
    h = (h + 1) & (E.pair_cap - 1);
  if (E.pair_keys[h] == UINT64_MAX) {
    E.pair_keys[h] = key;
    E.pair_n++;
  }
  E.pair_vals[h] += (double)bytes;
}

static void expand_link_bytes(void) {
  for (size_t i = 0; i < E.pair_cap; i++) {
    if (E.pair_keys[i] == UINT64_MAX)
      continue;
    int from = (int)(E.pair_keys[i] >> 32), to = (int)(uint32_t)E.pair_keys[i];
    int n = nvl_platform_route(E.p, from, to, E.route_links, E.route_dirs, 64);
    for (int k = 0; k < n; k++)
      E.res->link_bytes[2 * E.route_links[k] + (E.route_dirs[k] > 0 ? 0 : 1)] += E.pair_vals[i];
  }
}

#define MAILBOX_IN_FLIGHT 4

static void do_send(lane_rt *self, int peer, double bytes_d, double rate_Bps) {
  job_rt *j = self->job;
  /* flow control: wait for the previous transfer to the same peer */
  nvl_xfer *prev = chan_get(j, self->id, peer)->last;
  if (prev) {
    xfer_wait(self, prev);
    chan_get(j, self->id, peer)->last = NULL; /* the table may have grown while we slept */
    nvl_xfer_unref(prev);
  }
  uint64_t bytes = (uint64_t)bytes_d;
  sg_host_t from[NVL_MAX_STRIPES], to[NVL_MAX_STRIPES];
  uint64_t b[NVL_MAX_STRIPES];
  int hf[NVL_MAX_STRIPES], ht[NVL_MAX_STRIPES];
  size_t n = send_stripes(E.p, &j->prog, j->devs, self->id, peer, bytes, hf, ht, b);
  for (size_t i = 0; i < n; i++) {
    from[i] = E.hosts[hf[i]];
    to[i] = E.hosts[ht[i]];
    account_links(hf[i], ht[i], b[i]);
  }
  lane_rt *dst = &j->lanes[peer];
  /* A lane with many transfers in flight (an alltoall) sends through the receiver's mailbox when
   * the transfer is one stripe between the two lanes' own hosts: the same network action, but
   * not in SimGrid's global list of detached communications (sg_shim.h). Mailboxes keep their
   * communications until the step ends, so lanes with few in flight (rings, trees, chains, whose
   * total count can be far larger) stay on host-to-host communications. */
  nvl_mbox *via =
      self->in_flight >= MAILBOX_IN_FLIGHT && n == 1 && hf[0] == self->host && ht[0] == dst->host
          ? dst->mbox
          : NULL;
  self->in_flight++;
  nvl_xfer *x = nvl_xfer_start(from, to, b, n, via, rate_Bps, 2, xfer_arrived, self, dst);
  chan *c = chan_get(j, self->id, peer);
  c->last = x;
  chan_push(c, x);
  lane_wake(dst);
}

static void do_notify(lane_rt *self, int peer) {
  chan_push(chan_get(self->job, self->id, peer), NULL);
  lane_wake(&self->job->lanes[peer]);
}

static void do_recv(lane_rt *self, int src) {
  chan *c = chan_get(self->job, src, self->id);
  while (c->head == c->n) {
    lane_block(self);
    c = chan_get(self->job, src, self->id);
  }
  nvl_xfer *x = c->q[c->head++];
  if (c->head == c->n)
    c->head = c->n = 0;
  if (x) {
    xfer_wait(self, x);
    nvl_xfer_unref(x);
  }
  if (E.w->record_flows) {
    nvl_engine_result *r = E.res;
    if (r->n_flows == E.cap_flows) {
      E.cap_flows = E.cap_flows ? 2 * E.cap_flows : 1024;
      r->flows = nvl_xrealloc(r->flows, E.cap_flows * sizeof *r->flows);
    }
    r->flows[r->n_flows++] = (nvl_flow){E.step, self->job->job, simgrid_get_clock() - E.step_start};
  }
}

static void lane_main(int argc, char **argv) {
  (void)argc;
  (void)argv;
  lane_rt *self = sg_actor_self_get_data();
  const nvl_lane *l = &self->job->prog.lanes[self->id];
  for (size_t i = 0; i < l->n_ops; i++) {
    const nvl_op *op = &l->ops[i];
    switch (op->kind) {
    case NVL_OP_SEND:
      do_send(self, (int)op->peer, op->value, op->channels * self->job->prog.channel_Bps);
      break;
    case NVL_OP_RECV: do_recv(self, (int)op->peer); break;
    case NVL_OP_NOTIFY: do_notify(self, (int)op->peer); break;
    case NVL_OP_DELAY: sg_actor_sleep_for(op->value); break;
    }
  }
  for (size_t i = 0; i < l->n_ops; i++) /* own transfers still travelling */
    if (l->ops[i].kind == NVL_OP_SEND) {
      nvl_xfer *x = chan_get(self->job, self->id, (int)l->ops[i].peer)->last;
      if (x) {
        xfer_wait(self, x);
        chan_get(self->job, self->id, (int)l->ops[i].peer)->last = NULL;
        nvl_xfer_unref(x);
      }
    }
  double t = simgrid_get_clock() - E.step_start;
  double *slot = &E.res->time_s[E.step * E.res->n_jobs + self->job->job];
  if (t > *slot)
    *slot = t;
  self->finished = true;
}

static void read_peak_loads(void) {
  nvl_engine_result *res = E.res;
  for (size_t l = 0; l < res->n_links; l++)
    for (int dir = 0; dir < 2; dir++) {
      char nm[48];
      if (nvl_platform_link(E.p, (int)l)->fatpipe && dir == 1)
        continue;
      if (nvl_platform_link(E.p, (int)l)->fatpipe)
        snprintf(nm, sizeof nm, "l%zu", l);
      else
        snprintf(nm, sizeof nm, "l%zu_%s", l, dir == 0 ? "UP" : "DOWN");
      sg_link_t lk = sg_link_by_name(nm);
      if (lk)
        res->link_peak_Bps[2 * l + dir] = sg_link_get_max_instantaneous_load(lk);
    }
}

static void controller_main(int argc, char **argv) {
  (void)argc;
  (void)argv;
  const nvl_workload *w = E.w;
  size_t nj = w->n_jobs;
  job_rt *jobs = calloc(nj, sizeof *jobs);
  char name[64];
  if (E.w->link_stats) /* SPLITDUPLEX links are two SimGrid links, _UP and _DOWN */
    for (size_t l = 0; l < E.res->n_links; l++) {
      bool fat = nvl_platform_link(E.p, (int)l)->fatpipe;
      for (int dir = 0; dir < (fat ? 1 : 2); dir++) {
        char nm[48];
        if (fat)
          snprintf(nm, sizeof nm, "l%zu", l);
        else
          snprintf(nm, sizeof nm, "l%zu_%s", l, dir == 0 ? "UP" : "DOWN");
        sg_link_t lk = sg_link_by_name(nm);
        if (lk)
          sg_link_load_track(lk);
      }
    }

  for (size_t s = 0; s < w->n_steps && !E.failed; s++) {
    E.step = s;
    E.step_start = simgrid_get_clock();
    E.res->start_s[s] = E.step_start;
    for (size_t jb = 0; jb < nj; jb++) {
      job_rt *j = &jobs[jb];
      j->job = jb;
      nvl_program_init(&j->prog, 0);
      if (w->build(w->ctx, s, jb, &j->prog, &j->devs) != 0) {
        E.failed = true;
        nvl_diag_add(E.diags, NVL_SEV_ERROR, NVL_DIAG_LIMIT, NULL,
                     "cannot build job %zu of step %zu", jb, s);
        break;
      }
      j->lanes = calloc(j->prog.n_lanes ? j->prog.n_lanes : 1, sizeof *j->lanes);
      for (size_t l = 0; l < j->prog.n_lanes; l++) {
        lane_rt *lr = &j->lanes[l];
        lr->job = j;
        lr->id = (int)l;
        lr->sem = sg_sem_init(0);
      }
    }
    if (E.failed)
      break;
    for (size_t jb = 0; jb < nj; jb++) {
      job_rt *j = &jobs[jb];
      for (size_t l = 0; l < j->prog.n_lanes; l++) {
        const nvl_lane *ln = &j->prog.lanes[l];
        /* the actor's own host does not matter (transfers name their hosts); endpoints that
         * reach no switch (C2C only) run on host 0 */
        int host = ln->rank >= 0 ? nvl_platform_endpoint_host(E.p, j->devs[ln->rank]) : ln->host;
        if (host < 0)
          host = 0;
        snprintf(name, sizeof name, "j%zu.l%zu", jb, l);
        lane_rt *lr = &j->lanes[l];
        lr->actor = sg_actor_init(name, E.hosts[host]);
        lr->host = host;
        lr->mbox = nvl_mbox_open(name, lr->actor);
        sg_actor_set_data(lr->actor, lr);
        sg_actor_set_stacksize(lr->actor, 64 * 1024);
        sg_actor_ref(lr->actor);
        sg_actor_start(lr->actor, lane_main, 0, NULL);
      }
    }
    for (size_t jb = 0; jb < nj; jb++) {
      job_rt *j = &jobs[jb];
      for (size_t l = 0; l < j->prog.n_lanes; l++) {
        sg_actor_join(j->lanes[l].actor, -1);
        sg_actor_unref(j->lanes[l].actor);
      }
    }
    tearing_down = true;
    for (size_t jb = 0; jb < nj; jb++) {
      job_rt *j = &jobs[jb];
      for (size_t l = 0; l < j->prog.n_lanes; l++) {
        lane_rt *lr = &j->lanes[l];
        if (!lr->finished && !E.failed) {
          E.failed = true;
          nvl_diag_add(E.diags, NVL_SEV_ERROR, NVL_DIAG_LIMIT, NULL,
                       "workload did not complete: lane %zu of job %zu (step %zu) never finished "
                       "(deadlock)",
                       l, jb, s);
        }
        sg_sem_destroy(lr->sem);
        if (lr->mbox)
          nvl_mbox_close(lr->mbox);
      }
      chans_release(j);
      free(j->lanes);
      j->lanes = NULL;
      nvl_program_release(&j->prog);
    }
    tearing_down = false;
  }
  free(jobs);
  if (E.w->link_stats)
    read_peak_loads(); /* the plugin stops tracking once the simulation ends */
  if (!E.failed)
    E.completed = true;
}

/* Builds every program once and marks the host pairs its SENDs use. */
static uint8_t *prescan_pairs(const nvl_platform *p, const nvl_workload *w, nvl_diags *diags) {
  size_t nh = nvl_platform_host_count(p);
  uint8_t *bits = calloc(nh * nh / 8 + 1, 1);
  int hf[NVL_MAX_STRIPES], ht[NVL_MAX_STRIPES];
  uint64_t b[NVL_MAX_STRIPES];
  for (size_t s = 0; s < w->n_steps; s++)
    for (size_t j = 0; j < w->n_jobs; j++) {
      nvl_program prog;
      const int *devs;
      nvl_program_init(&prog, 0);
      if (w->build(w->ctx, s, j, &prog, &devs) != 0) {
        nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_LIMIT, NULL, "cannot build job %zu of step %zu",
                     j, s);
        nvl_program_release(&prog);
        free(bits);
        return NULL;
      }
      for (size_t l = 0; l < prog.n_lanes; l++)
        for (size_t k = 0; k < prog.lanes[l].n_ops; k++) {
          const nvl_op *op = &prog.lanes[l].ops[k];
          if (op->kind != NVL_OP_SEND)
            continue;
          size_t n = send_stripes(p, &prog, devs, (int)l, (int)op->peer, 0, hf, ht, b);
          for (size_t i = 0; i < n; i++) {
            size_t bit = (size_t)hf[i] * nh + (size_t)ht[i];
            bits[bit / 8] |= (uint8_t)(1u << (bit % 8));
          }
        }
      nvl_program_release(&prog);
    }
  if (w->reset)
    w->reset(w->ctx);
  return bits;
}

static void zone_host(void *z, int host, const char *name) {
  (void)host;
  nvl_zone_host(z, name);
}

static void zone_link(void *z, int index, const nvl_plink *l) {
  (void)index;
  nvl_zone_link(z, l->bw_Bps, l->lat_s, l->fatpipe);
}

static void zone_route(void *z, int a, int b, const int *links, const int *dirs, int n) {
  nvl_zone_route(z, a, b, links, dirs, n);
}

/* The platform built through s4u (the default: no XML to write and parse). */
static void load_platform_direct(const nvl_platform *p, const uint8_t *pairs) {
  static const nvl_platform_sink sink = {zone_host, zone_link, zone_route};
  nvl_zone *z = nvl_zone_begin("nvlsim");
  nvl_platform_emit(p, pairs, &sink, z);
  nvl_zone_end(z);
}

/* The platform as XML through a memfd: used with --dump-platform, so that the file written is
 * exactly what SimGrid loads. */
static int load_platform_memfd(const nvl_platform *p, const uint8_t *pairs, const char *dump) {
  int fd = memfd_create("nvlsim-platform.xml", 0);
  if (fd < 0)
    return -1;
  FILE *f = fdopen(fd, "w+");
  if (!f || nvl_platform_write_xml(p, f, pairs) != 0 || fflush(f) != 0) {
    if (f)
      fclose(f);
    return -1;
  }
  if (dump) { /* the same bytes SimGrid reads */
    char tmp[1100];
    snprintf(tmp, sizeof tmp, "%s.tmpXXXXXX", dump);
    int out = mkstemp(tmp);
    FILE *o = out >= 0 ? fdopen(out, "w") : NULL;
    bool bad = !o;
    if (o) {
      rewind(f);
      char buf[65536];
      size_t k;
      while ((k = fread(buf, 1, sizeof buf, f)) > 0)
        bad |= fwrite(buf, 1, k, o) != k;
      bad |= fclose(o) != 0;
      bad |= chmod(tmp, 0644) != 0;
      bad |= !bad && rename(tmp, dump) != 0;
    }
    if (bad) {
      if (out >= 0)
        unlink(tmp);
      fclose(f);
      return -2;
    }
  }
  char path[64];
  snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  simgrid_load_platform(path);
  fclose(f);
  return 0;
}

int nvl_engine_run(const nvl_platform *p, const nvl_workload *w, nvl_engine_result *res,
                   nvl_diags *diags) {
  static bool used;
  memset(res, 0, sizeof *res);
  if (used) {
    nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_LIMIT, NULL,
                 "internal error: SimGrid allows one engine per process");
    return -1;
  }
  used = true;
  memset(res, 0, sizeof *res);
  res->n_steps = w->n_steps;
  res->n_jobs = w->n_jobs;
  res->n_links = nvl_platform_link_count(p);
  res->time_s = calloc(w->n_steps * w->n_jobs + 1, sizeof(double));
  res->start_s = calloc(w->n_steps + 1, sizeof(double));
  res->link_bytes = calloc(2 * res->n_links + 1, sizeof(double));
  res->link_peak_Bps = calloc(2 * res->n_links + 1, sizeof(double));
  memset(&E, 0, sizeof E);
  E.p = p;
  E.w = w;
  E.res = res;
  E.diags = diags;
  E.route_links = malloc(64 * sizeof(int));
  E.route_dirs = malloc(64 * sizeof(int));

  xbt_log_control_set(w->verbose ? "root.thresh:info" : "root.thresh:critical");
  /* surf/precision is a time precision (seconds, default 1e-5): at 1e-10 striped transfers match
   * the closed form to ~1e-9 relative, at no measurable cost. TCP-gamma (the TCP window) is huge
   * rather than 0: CM02 bounds a transfer by min(its rate bound, gamma / (2 x latency)), so gamma 0
   * removes the window but also every rate bound (point-to-point channel caps); 1e30 bytes of
   * window bound nothing either. */
  char *argv[64] = {"nvlsim", "--cfg=network/model:CM02", "--cfg=network/crosstraffic:0",
                    "--cfg=network/TCP-gamma:1e30", "--cfg=surf/precision:1e-10"};
  int argc = 5;
  for (const char *const *c = w->sg_cfg; c && *c && argc < 63; c++)
    argv[argc++] = (char *)*c;
  argv[argc] = NULL;
  simgrid_init(&argc, argv);
  if (w->link_stats)
    sg_link_load_plugin_init();
  uint8_t *pairs = prescan_pairs(p, w, diags);
  if (!pairs)
    return -1;
  int lrc = 0;
  if (w->dump_platform || getenv("NVLSIM_PLATFORM_XML"))
    lrc = load_platform_memfd(p, pairs, w->dump_platform);
  else
    load_platform_direct(p, pairs);
  free(pairs);
  if (lrc != 0) {
    if (lrc == -2)
      nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_IO, NULL, "cannot write %s: %s", w->dump_platform,
                   strerror(errno));
    else
      nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_IO, NULL,
                   "cannot hand the platform to SimGrid: %s", strerror(errno));
    return -1;
  }
  size_t nh = nvl_platform_host_count(p);
  E.hosts = malloc(nh * sizeof *E.hosts);
  for (size_t h = 0; h < nh; h++)
    E.hosts[h] = sg_host_by_name(nvl_platform_host_name(p, (int)h));
  sg_actor_t ctl = sg_actor_init("controller", E.hosts[0]);
  sg_actor_start(ctl, controller_main, 0, NULL);
  if (w->time_limit_s > 0)
    simgrid_run_until(w->time_limit_s);
  else
    simgrid_run();
  res->end_s = simgrid_get_clock();
  expand_link_bytes();
  free(E.pair_keys);
  free(E.pair_vals);
  free(E.hosts);
  free(E.route_links);
  free(E.route_dirs);
  if (!E.completed) {
    if (!E.failed)
      nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_LIMIT, NULL,
                   w->time_limit_s > 0 && res->end_s >= w->time_limit_s
                       ? "simulation stopped at the time limit of %g s (simulated)"
                       : "workload did not complete (deadlock after %g s simulated)",
                   w->time_limit_s > 0 && res->end_s >= w->time_limit_s ? w->time_limit_s
                                                                        : res->end_s);
    return -1;
  }
  return 0;
}

void nvl_engine_result_release(nvl_engine_result *res) {
  free(res->time_s);
  free(res->start_s);
  free(res->link_bytes);
  free(res->link_peak_Bps);
  free(res->flows);
  memset(res, 0, sizeof *res);
}

/* ---------------------------------------------------------------------------------------- */
/* Forked runs: the child writes the result to a pipe                                        */

static int write_all(int fd, const void *buf, size_t n) {
  const char *p = buf;
  while (n > 0) {
    ssize_t k = write(fd, p, n);
    if (k < 0 && errno == EINTR)
      continue;
    if (k <= 0)
      return -1;
    p += k;
    n -= (size_t)k;
  }
  return 0;
}

static int read_all(int fd, void *buf, size_t n) {
  char *p = buf;
  while (n > 0) {
    ssize_t k = read(fd, p, n);
    if (k < 0 && errno == EINTR)
      continue;
    if (k <= 0)
      return -1;
    p += k;
    n -= (size_t)k;
  }
  return 0;
}

int nvl_engine_run_forked(const nvl_platform *p, const nvl_workload *w, nvl_engine_result *res,
                          nvl_diags *diags) {
  memset(res, 0, sizeof *res);
  int fds[2];
  if (pipe(fds) != 0)
    return -1;
  fflush(NULL);
  pid_t pid = fork();
  if (pid < 0)
    return -1;
  if (pid == 0) {
    close(fds[0]);
    nvl_engine_result r;
    nvl_diags cd = NVL_DIAGS_INIT;
    int rc = nvl_engine_run(p, w, &r, &cd);
    int32_t status = rc;
    uint64_t hdr[5] = {r.n_steps, r.n_jobs, r.n_links, r.n_flows, cd.count};
    bool bad = write_all(fds[1], &status, sizeof status) || write_all(fds[1], hdr, sizeof hdr) ||
               write_all(fds[1], &r.end_s, sizeof r.end_s) ||
               write_all(fds[1], r.time_s, r.n_steps * r.n_jobs * sizeof(double)) ||
               write_all(fds[1], r.start_s, r.n_steps * sizeof(double)) ||
               write_all(fds[1], r.link_bytes, 2 * r.n_links * sizeof(double)) ||
               write_all(fds[1], r.link_peak_Bps, 2 * r.n_links * sizeof(double)) ||
               write_all(fds[1], r.flows, r.n_flows * sizeof(nvl_flow)) ||
               write_all(fds[1], cd.items, cd.count * sizeof(nvl_diag));
    _exit(bad ? 3 : 0);
  }
  close(fds[1]);
  int32_t status = -1;
  uint64_t hdr[5] = {0};
  int rc = -1;
  if (read_all(fds[0], &status, sizeof status) == 0 && read_all(fds[0], hdr, sizeof hdr) == 0) {
    res->n_steps = hdr[0];
    res->n_jobs = hdr[1];
    res->n_links = hdr[2];
    res->n_flows = hdr[3];
    res->time_s = calloc(hdr[0] * hdr[1] + 1, sizeof(double));
    res->start_s = calloc(hdr[0] + 1, sizeof(double));
    res->link_bytes = calloc(2 * hdr[2] + 1, sizeof(double));
    res->link_peak_Bps = calloc(2 * hdr[2] + 1, sizeof(double));
    res->flows = calloc(hdr[3] + 1, sizeof(nvl_flow));
    nvl_diag *dg = calloc(hdr[4] + 1, sizeof *dg);
    if (read_all(fds[0], &res->end_s, sizeof res->end_s) == 0 &&
        read_all(fds[0], res->time_s, hdr[0] * hdr[1] * sizeof(double)) == 0 &&
        read_all(fds[0], res->start_s, hdr[0] * sizeof(double)) == 0 &&
        read_all(fds[0], res->link_bytes, 2 * hdr[2] * sizeof(double)) == 0 &&
        read_all(fds[0], res->link_peak_Bps, 2 * hdr[2] * sizeof(double)) == 0 &&
        read_all(fds[0], res->flows, hdr[3] * sizeof(nvl_flow)) == 0 &&
        read_all(fds[0], dg, hdr[4] * sizeof *dg) == 0) {
      for (uint64_t i = 0; i < hdr[4]; i++)
        nvl_diag_add(diags, dg[i].severity, dg[i].code, dg[i].pointer, "%s", dg[i].message);
      rc = status;
    }
    free(dg);
  }
  close(fds[0]);
  int wst;
  while (waitpid(pid, &wst, 0) < 0 && errno == EINTR) {
  }
  if (rc == -1 && !(WIFEXITED(wst) && WEXITSTATUS(wst) == 0) && diags->errors == 0)
    nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_LIMIT, NULL, "simulation process failed (%s %d)",
                 WIFSIGNALED(wst) ? "signal" : "exit status",
                 WIFSIGNALED(wst) ? WTERMSIG(wst) : WEXITSTATUS(wst));
  return rc;
}
