/*
 * tree: all_reduce as NCCL's double binary tree: two mirrored heap-ordered binary trees, each
 * carrying S/2 in K chunks, reduced up and broadcast down, pipelined. Tree 1 mirrors ranks so
 * that the interior nodes of one tree are leaves of the other. Each rank has an up and a down
 * lane per tree; the root hands the reduced chunk from its up lane to its down lane locally.
 */
#include <stdlib.h>

#include "base/xalloc.h"
#include "models/builders.h"

#define RECV(lane, peer) nvl_program_op(p, (lane), NVL_OP_RECV, (peer), 0)

static int tree_rank(int t, int pos, int n) { return t == 0 ? pos : n - 1 - pos; }

/* Chunk c of one tree: up (receive both children, pass to the parent) and down (receive from the
 * parent, send to the children). */
static void tree_chunk(nvl_program *p, const nvl_pipe *pm, int t, int n, const int *up,
                       const int *down, double cb, bool first) {
  for (int pos = 0; pos < n; pos++) {
    int r = tree_rank(t, pos, n);
    int c1 = 2 * pos + 1, c2 = 2 * pos + 2;
    if (c1 < n)
      RECV(up[r], up[tree_rank(t, c1, n)]);
    if (c2 < n)
      RECV(up[r], up[tree_rank(t, c2, n)]);
    if (pos > 0)
      nvl_send_step(p, pm, up[r], up[tree_rank(t, (pos - 1) / 2, n)], cb, first);
    else
      nvl_program_op(p, up[r], NVL_OP_NOTIFY, down[r], 0);
    if (pos > 0)
      RECV(down[r], down[tree_rank(t, (pos - 1) / 2, n)]);
    else
      RECV(down[r], up[r]);
    if (c1 < n)
      nvl_send_step(p, pm, down[r], down[tree_rank(t, c1, n)], cb, first);
    if (c2 < n)
      nvl_send_step(p, pm, down[r], down[tree_rank(t, c2, n)], cb, first);
  }
}

int nvl_build_tree(const nvl_coll_spec *s, nvl_program *p) {
  if (s->coll != NVL_COLL_ALL_REDUCE)
    return -1;
  int n = s->n;
  nvl_pipe pm = nvl_pipe_of(s);
  int *up[2], *down[2];
  for (int t = 0; t < 2; t++) {
    up[t] = nvl_xmalloc((size_t)n * sizeof(int));
    down[t] = nvl_xmalloc((size_t)n * sizeof(int));
    for (int r = 0; r < n; r++) {
      up[t][r] = nvl_program_lane(p, r, -1);
      down[t][r] = nvl_program_lane(p, r, -1);
    }
  }
  for (int t = 0; t < 2 && n > 1; t++) {
    uint64_t tb = t == 0 ? s->bytes / 2 : s->bytes - s->bytes / 2;
    for (int c = 0; c < pm.chunks; c++)
      tree_chunk(p, &pm, t, n, up[t], down[t], nvl_part(tb, pm.chunks, c), c == 0);
  }
  for (int t = 0; t < 2; t++) {
    free(up[t]);
    free(down[t]);
  }
  return 0;
}
