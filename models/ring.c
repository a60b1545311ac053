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

/* `steps` ring steps over `bytes`: at step s rank r sends part (r - s) mod n to r + 1. Every step
 * first waits `extra` seconds (pipeline synchronisation), and the first pass pays the hop latency.
 */
static void ring_pass(nvl_program *p, const nvl_pipe *pm, const int *lane, int n, uint64_t bytes,
                      int steps, double extra, bool hop) {
  for (int s = 0; s < steps; s++)
    for (int r = 0; r < n; r++) {
      int next = (r + 1) % n, prev = (r + n - 1) % n;
      double d = extra + (hop ? pm->step_delay : 0);
      if (d > 0)
        nvl_program_op(p, lane[r], NVL_OP_DELAY, 0, d);
      nvl_send_step(p, pm, lane[r], lane[next], nvl_part(bytes, n, ((r - s) % n + n) % n), false);
      RECV(lane[r], lane[prev]);
    }
}

/* A ring collective of `steps` steps per loop, with NCCL's loops, chunks and slices when the
 * protocol model has a ring pipeline. */
static void ring_steps(nvl_program *p, const nvl_pipe *pm, const int *lane, int n, uint64_t bytes,
                       int steps) {
  if (pm->channels <= 0 || pm->chunk == 0) {
    ring_pass(p, pm, lane, n, bytes, steps, 0, true);
    return;
  }
  uint64_t loop = (uint64_t)pm->channels * (uint64_t)n * pm->chunk;
  uint64_t full = bytes / loop, rest = bytes % loop;
  uint64_t groups = full < 16 ? full : 16;
  double per_slice = pm->slices * pm->slice_delay;
  for (uint64_t g = 0; g < groups; g++) {
    uint64_t m = full / groups + (g < full % groups ? 1 : 0); /* whole loops in this group */
    ring_pass(p, pm, lane, n, m * loop, steps, (double)m * per_slice, g == 0);
  }
  if (rest > 0) /* the last loop: smaller chunks, as many slices */
    ring_pass(p, pm, lane, n, rest, steps, per_slice, groups == 0);
}

/* A ring collective of `steps` steps per loop over each of the spec's ring orders, each on its own
 * lanes (the first order on the ranks' main lanes), with channels / R of the channels each. */
static void rings(nvl_program *p, const nvl_coll_spec *s, const nvl_pipe *pm, const int *lane,
                  int steps) {
  int n = s->n, R = s->ring_orders && s->n_ring_orders > 1 ? s->n_ring_orders : 1;
  if (R == 1 && !s->ring_orders) {
    ring_steps(p, pm, lane, n, s->bytes, steps);
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
    ring_steps(p, &share, pos, n, (uint64_t)nvl_part(s->bytes, R, k), steps);
  }
  free(pos);
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
