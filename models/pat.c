/*
 * pat: all_gather and reduce_scatter at one rank per node as NCCL's PAT (Parallel Aggregated
 * Trees, NCCL 2.23+, tuning.cc's ncclPatEnable: one GPU per node), modelled as the Bruck exchange
 * that PAT's binomial dimensions aggregate: at dimension d (d = 0 .. D - 1, D = ceil(log2 n)) each
 * rank sends what it holds, min(2^d, n - 2^d) blocks of S/n, to the rank 2^d below it (all_gather;
 * reduce_scatter runs the dimensions the other way round, partial sums to the rank 2^d above).
 * Each rank moves (n - 1) S / n each way, as a ring does, in D steps instead of n - 1. The chunks
 * pipeline through the dimensions: each rank has a lane per dimension that receives a chunk's
 * blocks from the dimension before and sends them on (one transfer outstanding per peer).
 * Every hop crosses the network: NCCL's NET hop latency (net_step_delay_s) on the first chunk,
 * net_byte_scale wire bytes per payload byte.
 */
#include <stdlib.h>

#include "base/xalloc.h"
#include "models/builders.h"

int nvl_build_pat(const nvl_coll_spec *s, nvl_program *p) {
  if (s->coll != NVL_COLL_ALL_GATHER && s->coll != NVL_COLL_REDUCE_SCATTER)
    return -1;
  int n = s->n, D = 0;
  while ((1 << D) < n)
    D++;
  if (n < 2)
    return 0;
  nvl_pipe pm = nvl_pipe_of(s);
  int K = pm.chunks;
  bool gather = s->coll == NVL_COLL_ALL_GATHER;
  /* lane[r * (D + 1) + j]: rank r's stage j (j < D sends stage j's dimension; j = D only
   * receives) */
  int *lane = nvl_xmalloc((size_t)n * (size_t)(D + 1) * sizeof(int));
  for (int r = 0; r < n; r++)
    for (int j = 0; j <= D; j++)
      lane[r * (D + 1) + j] = nvl_program_lane(p, r, -1);
  for (int c = 0; c < K; c++) {
    double block = nvl_part(s->bytes, K, c) / n;
    for (int r = 0; r < n; r++)
      for (int j = 0; j <= D; j++) {
        int d = gather ? j : D - 1 - j, self = lane[r * (D + 1) + j];
        if (j > 0) { /* the blocks of the stage before */
          int dp = gather ? j - 1 : D - j,
              from = gather ? (r + (1 << dp)) % n : (r - (1 << dp) % n + n) % n;
          nvl_program_op(p, self, NVL_OP_RECV, lane[from * (D + 1) + j - 1], 0);
        }
        if (j == D)
          continue;
        int to = gather ? (r - (1 << d) % n + n) % n : (r + (1 << d)) % n;
        int blocks = (1 << d) < n - (1 << d) ? 1 << d : n - (1 << d);
        nvl_program_op(p, self, NVL_OP_SEND, lane[to * (D + 1) + j + 1],
                       nvl_net_hop(p, s, self, block * blocks, c == 0));
      }
  }
  free(lane);
  return 0;
}
