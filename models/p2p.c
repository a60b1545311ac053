/*
 * p2p: the point-to-point collectives, every transfer started at once, each on the spec's
 * point-to-point channels (a rate cap under the default model):
 *   alltoall   every rank sends S/n to every other rank; t = a + (n-1)S/(nB)
 *   sendrecv   rank r sends S to r+1; t = a + S/B
 */
#include <stdlib.h>

#include "models/builders.h"

#define RECV(lane, peer) nvl_program_op(p, (lane), NVL_OP_RECV, (peer), 0)

int nvl_build_p2p(const nvl_coll_spec *s, nvl_program *p) {
  if (s->coll != NVL_COLL_ALLTOALL && s->coll != NVL_COLL_SENDRECV)
    return -1;
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
