/*
 * ring: rings and chains, with their ideal (alpha-beta) times for n ranks, S bytes, per-hop
 * latency a, per-direction bandwidth B and K chunks of c = S/K:
 *
 *   all_reduce       reduce-scatter then all-gather around the ring: 2(n-1) steps of S/n;
 *                    t = 2(n-1)(a + S/(nB))
 *   reduce_scatter,  n-1 steps of S/n; t = (n-1)(a + S/(nB))
 *   all_gather
 *   broadcast        pipelined chain root -> ... -> root-1 in K chunks; t = (K + n - 2)(a + c/B)
 *   reduce           pipelined chain towards the root, same time
 *
 * Under the default model rings follow NCCL's pipeline (loops of channels x n x chunk bytes, the
 * last loop shrunk, slices with their synchronisation cost; see nvl_coll_spec) and run over the
 * spec's ring orders side by side.
 */
#include <stdlib.h>

#include "base/xalloc.h"
#include "models/builders.h"

#define RECV(lane, peer) nvl_program_op(p, (lane), NVL_OP_RECV, (peer), 0)

/* A reduced ring (models/program.h): m lanes for the ranks at positions pos0 .. pos0 + m - 1,
 * the last sending to the virtual peer v. m = 1: a rotation, where every rank does what the rank
 * at pos0 does and v is the class's receiving representative; m > 1: a shifted program (ranks in
 * order, pos0 = 0), where v = m, the first rank of the next block. */
typedef struct {
  int pos0, m;
  uint32_t v;
} ring_rep;

/* One step of a reduced ring: lane q sends its part to the next lane (the last to the virtual
 * peer) and receives its predecessor's, lane 0 the last lane's image arriving at v. */
static void reduced_step(nvl_program *p, const nvl_pipe *pm, const int *lane, int n, uint64_t bytes,
                         int s, double d, const ring_rep *rep) {
  for (int q = 0; q < rep->m; q++) {
    double part = nvl_part(bytes, n, ((rep->pos0 + q - s) % n + n) % n);
    uint32_t to = q + 1 < rep->m ? (uint32_t)lane[q + 1] : NVL_VIRTUAL | rep->v;
    if (d > 0) { /* the step's synchronisation, serial with the hop's transfers (DRAIN) */
      nvl_program_op(p, lane[q], NVL_OP_DRAIN, (int)to, 0);
      nvl_program_op(p, lane[q], NVL_OP_DELAY, 0, d);
    }
    nvl_program_send_weighted(p, lane[q], to, (double)(uint64_t)(part * pm->scale), 0, 1, 1);
  }
  for (int q = 0; q < rep->m; q++)
    nvl_program_recv_ref(p, lane[q], q > 0 ? lane[q - 1] : lane[rep->m - 1],
                         q > 0 ? (uint32_t)lane[q] : NVL_VIRTUAL | rep->v, 1);
}

/* Across nodes: the rank at each ring position (NULL: rank = position), each rank's node and
 * the latency of a step whose hop crosses the network. */
typedef struct {
  const int *rank_at, *node_of;
  double net_delay;
  bool posted;
} ring_nodes;

/* `steps` ring steps over `bytes`: at step s rank r sends part (r - s) mod n to r + 1. Every step
 * first waits `extra` seconds (pipeline synchronisation), and the first pass pays the hop latency
 * (across nodes: the NET hop's where the hop crosses the network). Reduced (rep): only the lanes
 * of rep. */
static void ring_pass(nvl_program *p, const nvl_pipe *pm, const int *lane, int n, uint64_t bytes,
                      int steps, double extra, bool hop, const ring_rep *rep,
                      const ring_nodes *rn) {
  double d = extra + (hop ? pm->step_delay : 0);
  for (int s = 0; s < steps; s++) {
    if (rep) {
      reduced_step(p, pm, lane, n, bytes, s, d, rep);
      continue;
    }
    for (int r = 0; r < n; r++) {
      int next = (r + 1) % n, prev = (r + n - 1) % n;
      bool cross = false; /* through the network: the proxy posts the data, nothing drains */
      if (rn) {
        int a = rn->rank_at ? rn->rank_at[r] : r, b = rn->rank_at ? rn->rank_at[next] : next;
        cross = rn->node_of[a] != rn->node_of[b];
        d = extra + (hop ? (cross ? rn->net_delay : pm->step_delay) : 0);
      }
      if (d > 0) { /* the step's synchronisation, serial with the hop's transfers (DRAIN) */
        if (!cross)
          nvl_program_op(p, lane[r], NVL_OP_DRAIN, lane[next], 0);
        nvl_program_op(p, lane[r], NVL_OP_DELAY, 0, d);
      }
      double part = nvl_part(bytes, n, ((r - s) % n + n) % n);
      if (cross && rn->posted) /* the proxy posts it: no wait for the previous step's data */
        nvl_program_op(p, lane[r], NVL_OP_POST, lane[next], (double)(uint64_t)(part * pm->scale));
      else
        nvl_send_step(p, pm, lane[r], lane[next], part, false);
      RECV(lane[r], lane[prev]);
    }
  }
}

/* A ring collective of `steps` steps per loop, with NCCL's loops, chunks and slices when the
 * protocol model has a ring pipeline. */
static void ring_steps(nvl_program *p, const nvl_pipe *pm, const int *lane, int n, uint64_t bytes,
                       int steps, const ring_rep *rep, const ring_nodes *rn) {
  if (pm->channels <= 0 || pm->chunk == 0) {
    ring_pass(p, pm, lane, n, bytes, steps, 0, true, rep, rn);
    return;
  }
  uint64_t loop = (uint64_t)pm->channels * (uint64_t)n * pm->chunk;
  uint64_t full = bytes / loop, rest = bytes % loop;
  uint64_t groups = full < 16 ? full : 16;
  double per_slice = pm->slices * pm->slice_delay;
  for (uint64_t g = 0; g < groups; g++) {
    uint64_t m = full / groups + (g < full % groups ? 1 : 0); /* whole loops in this group */
    ring_pass(p, pm, lane, n, m * loop, steps, (double)m * per_slice, g == 0, rep, rn);
  }
  if (rest > 0) /* the last loop: smaller chunks, as many slices */
    ring_pass(p, pm, lane, n, rest, steps, per_slice, groups == 0, rep, rn);
}

/* A ring collective of `steps` steps per loop over each of the spec's ring orders, each on its own
 * lanes (the first order on the ranks' main lanes), with channels / R of the channels each. */
static void rings(nvl_program *p, const nvl_coll_spec *s, const nvl_pipe *pm, const int *lane,
                  int steps) {
  int n = s->n, R = s->ring_orders && s->n_ring_orders > 1 ? s->n_ring_orders : 1;
  ring_nodes rn = {NULL, s->node_of, s->net_step_delay_s, s->net_posted};
  if (R == 1 && !s->ring_orders) {
    ring_steps(p, pm, lane, n, s->bytes, steps, NULL, s->node_of ? &rn : NULL);
    return;
  }
  nvl_pipe share = *pm;
  if (share.channels > 0)
    share.channels = pm->channels / R > 0 ? pm->channels / R : 1;
  int *pos = nvl_xmalloc((size_t)n * sizeof(int));
  for (int k = 0; k < R; k++) {
    const int *order = s->ring_orders + (size_t)k * n;
    for (int i = 0; i < n; i++)
      pos[i] = k == 0 ? lane[order[i]] : nvl_program_lane(p, order[i], -1);
    rn.rank_at = order;
    ring_steps(p, &share, pos, n, (uint64_t)nvl_part(s->bytes, R, k), steps, NULL,
               s->node_of ? &rn : NULL);
  }
  free(pos);
}

/* Whether every ring order is a rotation (each rank's successor is rank + d_k mod n): the rings
 * then look the same from every rank, and a reduced program simulates rank 0. pos0[k]: rank 0's
 * position in order k. */
static bool rotations(const nvl_coll_spec *s, int R, int *pos0) {
  int n = s->n;
  for (int k = 0; k < R; k++) {
    const int *order = s->ring_orders ? s->ring_orders + (size_t)k * n : NULL;
    int d = order ? ((order[1 % n] - order[0]) % n + n) % n : 1;
    pos0[k] = -1;
    for (int i = 0; i < n; i++) {
      int a = order ? order[i] : i, b = order ? order[(i + 1) % n] : (i + 1) % n;
      if (((b - a) % n + n) % n != d)
        return false;
      if (a == 0)
        pos0[k] = i;
    }
  }
  return true;
}

/* The reduced rings: one lane of rank 0 per ring order, sending to virtual rank 1; one class of
 * all ranks (sending through rank 0's port links, receiving through rank 1's). Returns false
 * (nothing built) when the orders are not rotations. */
static bool reduced_rings(nvl_program *p, const nvl_coll_spec *s, const nvl_pipe *pm, int steps) {
  int n = s->n, R = s->ring_orders && s->n_ring_orders > 1 ? s->n_ring_orders : 1;
  int *pos0 = nvl_xmalloc((size_t)R * sizeof(int));
  bool ok = n >= 2 && rotations(s, R, pos0);
  if (ok) {
    nvl_program_reduce(p, 1);
    p->classes.up[0] = 0;
    p->classes.down[0] = 1;
    nvl_pipe share = *pm;
    if (R > 1 && share.channels > 0)
      share.channels = pm->channels / R > 0 ? pm->channels / R : 1;
    for (int k = 0; k < R; k++) {
      int lane = nvl_program_lane(p, 0, -1);
      ring_rep rep = {pos0[k], 1, 1};
      ring_steps(p, R > 1 ? &share : pm, &lane, n, (uint64_t)nvl_part(s->bytes, R, k), steps, &rep,
                 NULL);
    }
  }
  free(pos0);
  return ok;
}

/* The shifted ring (models/program.h) of period m = s->period: lanes for ranks 0 .. m - 1 in
 * rank order. Only for one order, the ranks' own (through switches every order loads each port
 * link once, so the platform keeps that one). Returns false (nothing built) otherwise. */
static bool shifted_ring(nvl_program *p, const nvl_coll_spec *s, const nvl_pipe *pm, int steps) {
  int n = s->n, m = s->period;
  if (m < 1 || m >= n || n % m != 0 || (s->ring_orders && s->n_ring_orders > 1))
    return false;
  for (int i = 0; s->ring_orders && i < n; i++)
    if (s->ring_orders[i] != i)
      return false;
  nvl_program_reduce_shift(p, m);
  int *lane = nvl_rank_lanes(p, m);
  ring_rep rep = {0, m, (uint32_t)m};
  ring_steps(p, pm, lane, n, s->bytes, steps, &rep, NULL);
  free(lane);
  return true;
}

/* broadcast: 0 -> 1 -> ... -> n-1; reduce: n-1 -> ... -> 1 -> 0, in K chunks */
static void chain(nvl_program *p, const nvl_pipe *pm, const int *lane, int n, uint64_t bytes,
                  bool towards_root) {
  int k = pm->chunks;
  for (int c = 0; c < k; c++)
    for (int r = 0; r < n; r++) {
      int pos = towards_root ? n - 1 - r : r; /* position along the chain */
      int from = towards_root ? r + 1 : r - 1, to = towards_root ? r - 1 : r + 1;
      if (pos > 0)
        RECV(lane[r], lane[from]);
      if (pos < n - 1) /* hop latency once */
        nvl_send_step(p, pm, lane[r], lane[to], nvl_part(bytes, k, c), c == 0);
    }
}

int nvl_build_ring(const nvl_coll_spec *s, nvl_program *p) {
  int n = s->n;
  nvl_pipe pm = nvl_pipe_of(s);
  int ring_steps_per_loop = s->coll == NVL_COLL_ALL_REDUCE ? 2 * (n - 1) : n - 1;
  bool is_ring = s->coll == NVL_COLL_ALL_REDUCE || s->coll == NVL_COLL_REDUCE_SCATTER ||
                 s->coll == NVL_COLL_ALL_GATHER;
  if (s->reduce && is_ring && reduced_rings(p, s, &pm, ring_steps_per_loop))
    return 0;
  if (!s->reduce && s->period > 0 && is_ring && shifted_ring(p, s, &pm, ring_steps_per_loop))
    return 0;
  int *lane = nvl_rank_lanes(p, n);
  if (n > 1)
    switch (s->coll) {
    case NVL_COLL_ALL_REDUCE: rings(p, s, &pm, lane, 2 * (n - 1)); break;
    case NVL_COLL_REDUCE_SCATTER:
    case NVL_COLL_ALL_GATHER: rings(p, s, &pm, lane, n - 1); break;
    case NVL_COLL_BROADCAST: chain(p, &pm, lane, n, s->bytes, false); break;
    case NVL_COLL_REDUCE: chain(p, &pm, lane, n, s->bytes, true); break;
    default: break;
    }
  free(lane);
  return 0;
}
