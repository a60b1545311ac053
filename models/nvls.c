/*
 * nvls: all_reduce as NCCL does it on one switch tier with in-switch reduction: the data is split
 * over H head ranks; each head reduces its part with multimem.ld_reduce (the switch reads that
 * part from all n ranks and returns the sum) and publishes it with multimem.st (the switch
 * multicasts it to all n ranks). Per rank and direction that is S bytes (up: its copy of every
 * part; down: every part, multicast), and a head adds its own part S/H once more each way (its
 * reduced part back, its store out). Chunk by chunk, the switch returns a chunk once all ranks
 * delivered theirs. Ideal time, H = n unless NCCL's arity limit applies, K chunks of c = S/K:
 * t = (K + 1)(a' + c(H+1)/(HB)), a' = rank-to-switch latency. Under the default model every rank
 * then waits the spread of the slowest rank (nvl_coll_spec).
 */
#include <stdlib.h>

#include "models/builders.h"

#define RECV(lane, peer) nvl_program_op(p, (lane), NVL_OP_RECV, (peer), 0)

/* Reduced (ranks alike): the heads and the other ranks are two classes, each simulated by one rank
 * (0 and H) that sends through its own port link and receives through the next member's; the
 * switch's lane receives each class's chunk as its H or n - H copies and multicasts one transfer
 * per class. */
static void reduced_nvls(const nvl_coll_spec *s, nvl_program *p, const nvl_pipe *pm, int heads) {
  int n = s->n, k = pm->chunks, nc = heads < n ? 2 : 1;
  nvl_program_reduce(p, nc);
  int size[2] = {heads, n - heads}, first[2] = {0, heads}, lane[2];
  for (int c = 0; c < nc; c++) {
    p->classes.up[c] = first[c];
    p->classes.down[c] = size[c] >= 2 ? first[c] + 1 : first[c];
    lane[c] = nvl_program_lane(p, first[c], -1);
  }
  for (int r = 0; r < n; r++)
    p->classes.class_of[r] = r < heads ? 0 : 1;
  int sw = nvl_program_lane(p, -1, s->nvls_host);
  double share[2] = {1.0 + 1.0 / heads, 1.0};
  for (int ch = 0; ch < k; ch++)
    for (int c = 0; c < nc; c++)
      nvl_program_send_weighted(
          p, lane[c], (uint32_t)sw,
          (double)(uint64_t)((double)(uint64_t)(nvl_part(s->bytes, k, ch) * share[c]) * pm->scale),
          0, 1, 1);
  for (int ch = 0; ch < k; ch++) {
    for (int c = 0; c < nc; c++)
      nvl_program_recv_ref(p, sw, lane[c], (uint32_t)sw, 1);
    for (int c = 0; c < nc; c++)
      nvl_program_send_weighted(
          p, sw, NVL_VIRTUAL | (uint32_t)p->classes.down[c],
          (double)(uint64_t)((double)(uint64_t)(nvl_part(s->bytes, k, ch) * share[c]) * pm->scale),
          0, 1, 1);
  }
  for (int ch = 0; ch < k; ch++)
    for (int c = 0; c < nc; c++)
      nvl_program_recv_ref(p, lane[c], sw, NVL_VIRTUAL | (uint32_t)p->classes.down[c], 1);
  if (s->nvls_spread_s > 0)
    for (int c = 0; c < nc; c++)
      nvl_program_op(p, lane[c], NVL_OP_DELAY, 0, s->nvls_spread_s);
}

int nvl_build_nvls(const nvl_coll_spec *s, nvl_program *p) {
  if (s->coll != NVL_COLL_ALL_REDUCE)
    return -1;
  if (s->nodes > 1)
    return nvl_build_nvls_sharp(s, p);
  if (s->reduce && s->n > 1) {
    nvl_pipe pm = nvl_pipe_of(s);
    int heads = s->nvls_heads < 1 || s->nvls_heads > s->n ? s->n : s->nvls_heads;
    reduced_nvls(s, p, &pm, heads);
    return 0;
  }
  int n = s->n, k;
  nvl_pipe pm = nvl_pipe_of(s);
  k = pm.chunks;
  int *lane = nvl_rank_lanes(p, n);
  if (n > 1) {
    int sw = nvl_program_lane(p, -1, s->nvls_host);
    int heads = s->nvls_heads < 1 || s->nvls_heads > n ? n : s->nvls_heads;
    for (int c = 0; c < k; c++)
      for (int r = 0; r < n; r++)
        nvl_send_step(
            p, &pm, lane[r], sw,
            (double)(uint64_t)(nvl_part(s->bytes, k, c) * (r < heads ? 1.0 + 1.0 / heads : 1.0)),
            false);
    for (int c = 0; c < k; c++) {
      for (int r = 0; r < n; r++)
        RECV(sw, lane[r]);
      for (int r = 0; r < n; r++)
        nvl_send_step(
            p, &pm, sw, lane[r],
            (double)(uint64_t)(nvl_part(s->bytes, k, c) * (r < heads ? 1.0 + 1.0 / heads : 1.0)),
            false);
    }
    for (int c = 0; c < k; c++)
      for (int r = 0; r < n; r++)
        RECV(lane[r], sw);
  }
  if (s->nvls_spread_s > 0) /* every rank waits for the slowest one's last step */
    for (int r = 0; r < n; r++)
      nvl_program_op(p, lane[r], NVL_OP_DELAY, 0, s->nvls_spread_s);
  free(lane);
  return 0;
}
