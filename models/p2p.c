/*
 * p2p: the point-to-point collectives, every transfer started at once, each on the spec's
 * point-to-point channels (a rate cap under the default model):
 *   alltoall   every rank sends S/n to every other rank; t = a + (n-1)S/(nB)
 *   sendrecv   rank r sends S to r+1; t = a + S/B
 */
#include <stdlib.h>

#include "models/builders.h"

#define RECV(lane, peer) nvl_program_op(p, (lane), NVL_OP_RECV, (peer), 0)

/* Reduced (ranks alike): one lane of rank 0, one class sending through rank 0's port links and
 * receiving through rank 1's. alltoall looks the same under every permutation of the ranks, so
 * its n(n-1) transfers are one orbit: one transfer of S/n counting n - 1 times on each port link,
 * and one receive standing for the n - 1 flows; sendrecv (r -> r + 1) looks the same under
 * rotation: one transfer of S, once each way. */
static void reduced_p2p(const nvl_coll_spec *s, nvl_program *p, double scale) {
  int n = s->n;
  bool a2a = s->coll == NVL_COLL_ALLTOALL;
  nvl_program_reduce(p, 1);
  p->classes.up[0] = 0;
  p->classes.down[0] = 1;
  int lane = nvl_program_lane(p, 0, -1);
  double bytes = a2a ? nvl_part(s->bytes, n, 1) : (double)s->bytes;
  uint32_t w = a2a ? (uint32_t)(n - 1) : 1;
  nvl_program_send_weighted(p, lane, NVL_VIRTUAL | 1, (double)(uint64_t)(bytes * scale),
                            s->p2p_channels, w, w);
  nvl_program_recv_ref(p, lane, lane, NVL_VIRTUAL | 1, w);
}

/* Shifted (models/program.h; rank r + m stands where r stands): lanes for ranks 0 .. m - 1.
 * alltoall: lane q sends to every other rank as the explicit program does, to lanes in its block
 * and to virtual peers beyond, and receives from each other rank t the image of t's transfer to q
 * in block 0's terms: from lane t mod m to virtual rank q - (t - t mod m). Its transfers into other
 * blocks stand for the transfers into block 0 from the others, so the program is rerouted.
 * sendrecv: lane q sends to q + 1 (the last lane to virtual rank m) and receives from q - 1 (lane 0
 * the last lane's image arriving at m). */
static bool shifted_p2p(const nvl_coll_spec *s, nvl_program *p, double scale) {
  int n = s->n, m = s->period;
  bool a2a = s->coll == NVL_COLL_ALLTOALL;
  if (m < 1 || m >= n || n % m != 0 || (a2a && s->routes_fixed))
    return false;
  nvl_program_reduce_shift(p, m);
  p->reroute = a2a;
  int *lane = nvl_rank_lanes(p, m);
  for (int q = 0; q < m; q++) {
    if (!a2a) {
      uint32_t to = q + 1 < m ? (uint32_t)lane[q + 1] : NVL_VIRTUAL | (uint32_t)m;
      nvl_program_send_weighted(p, lane[q], to, (double)(uint64_t)((double)s->bytes * scale),
                                s->p2p_channels, 1, 1);
      continue;
    }
    for (int j = 1; j < n; j++) {
      int t = (q + j) % n;
      uint32_t to = t < m ? (uint32_t)lane[t] : NVL_VIRTUAL | (uint32_t)t;
      nvl_program_send_weighted(p, lane[q], to,
                                (double)(uint64_t)(nvl_part(s->bytes, n, t) * scale),
                                s->p2p_channels, 1, 1);
    }
  }
  for (int q = 0; q < m; q++) {
    if (!a2a) {
      nvl_program_recv_ref(p, lane[q], q > 0 ? lane[q - 1] : lane[m - 1],
                           q > 0 ? (uint32_t)lane[q] : NVL_VIRTUAL | (uint32_t)m, 1);
      continue;
    }
    for (int j = 1; j < n; j++) {
      int t = (q + n - j) % n, base = t - t % m;
      uint32_t dest = base == 0 ? (uint32_t)lane[q] : NVL_VIRTUAL | (uint32_t)((q - base + n) % n);
      nvl_program_recv_ref(p, lane[q], lane[t % m], dest, 1);
    }
  }
  free(lane);
  return true;
}

int nvl_build_p2p(const nvl_coll_spec *s, nvl_program *p) {
  if (s->coll != NVL_COLL_ALLTOALL && s->coll != NVL_COLL_SENDRECV)
    return -1;
  if (s->reduce && s->n >= 2) {
    reduced_p2p(s, p, s->byte_scale > 0 ? s->byte_scale : 1.0);
    return 0;
  }
  if (!s->reduce && s->period > 0 && shifted_p2p(s, p, s->byte_scale > 0 ? s->byte_scale : 1.0))
    return 0;
  int n = s->n;
  uint64_t S = s->bytes;
  double scale = s->byte_scale > 0 ? s->byte_scale : 1.0;
  int *lane = nvl_rank_lanes(p, n);
  if (n > 1 && s->coll == NVL_COLL_ALLTOALL) {
    for (int r = 0; r < n; r++)
      for (int j = 1; j < n; j++)
        nvl_program_send(p, lane[r], lane[(r + j) % n],
                         (double)(uint64_t)(nvl_part(S, n, (r + j) % n) * scale), s->p2p_channels);
    for (int r = 0; r < n; r++)
      for (int j = 1; j < n; j++)
        RECV(lane[r], lane[(r + n - j) % n]);
  } else if (n > 1) {
    for (int r = 0; r < n; r++) {
      nvl_program_send(p, lane[r], lane[(r + 1) % n], (double)(uint64_t)((double)S * scale),
                       s->p2p_channels);
      RECV(lane[r], lane[(r + n - 1) % n]);
    }
  }
  free(lane);
  return 0;
}
