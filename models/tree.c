/*
 * tree: all_reduce as NCCL's tree, reduced up and broadcast down, pipelined in chunks; each rank
 * has an up and a down lane per tree, the root handing the reduced chunk from its up lane to its
 * down lane locally.
 *   - Inside one scale-up domain, NCCL's tree is the chain of its ranks (connect.cc: tree.up the
 *     previous rank, tree.down[0] the next; the channels' copies run the same chain): one chain
 *     carrying S, in chunks of NCCL's channels x chunk per step (nvl_pipe_of).
 *   - Across nodes (s->nodes >= 2, equal nodes), NCCL's double binary tree: inside each node a
 *     chain of its ranks from the head, between nodes a double binary tree of the heads (tree 1
 *     mirrors the nodes, as NVLSTree's). As NCCL's channels, g/2 pairs of trees (g ranks per
 *     node) carry S/g each: pair c's trees have their heads at places c and c + g/2, so that
 *     every NIC of a rail-aligned node carries one tree each way, each tree on its own rail. A
 *     hop between nodes waits net_step_delay_s (NCCL's NET hop latency less the route's) on the
 *     first chunk and carries net_byte_scale wire bytes per payload byte.
 */
#include <stdlib.h>

#include "base/xalloc.h"
#include "models/builders.h"

#define RECV(lane, peer) nvl_program_op(p, (lane), NVL_OP_RECV, (peer), 0)

/* Tree t across nodes (pair t / 2, mirrored when t is odd): each rank's parent (-1: the root)
 * and up to three children (-1: none). */
static bool node_tree(const nvl_coll_spec *s, int t, int *parent, int (*child)[3]) {
  int n = s->n, N = s->nodes, g = n / N;
  int *at = nvl_xmalloc((size_t)n * sizeof(int)), *fill = nvl_xcalloc((size_t)N, sizeof(int));
  bool ok = true;
  for (int r = 0; r < n && ok; r++) {
    int k = s->node_of[r];
    ok = k >= 0 && k < N && fill[k] < g;
    if (ok)
      at[k * g + fill[k]++] = r;
  }
  for (int r = 0; r < n && ok; r++)
    parent[r] = child[r][0] = child[r][1] = child[r][2] = -1;
  int head = (t / 2 + (t % 2) * (g / 2)) % g;
  for (int k = 0; k < N && ok; k++) {
    for (int j = 1; j < g; j++) { /* the chain from the head */
      int r = at[k * g + (head + j) % g], up = at[k * g + (head + j - 1) % g];
      parent[r] = up;
      child[up][0] = r;
    }
    int h = at[k * g + head], par = nvl_dtree_parent(t, k, N);
    for (int c = 0; c < 2; c++) {
      int kid = nvl_dtree_child(t, k, c, N);
      if (kid >= 0)
        child[h][c + 1] = at[kid * g + head];
    }
    if (par >= 0)
      parent[h] = at[par * g + head];
  }
  free(at);
  free(fill);
  return ok;
}

/* A hop of the tree across nodes: through the network, NCCL's NET latency on the first chunk and
 * the network's wire bytes; inside a node the pipe's step. */
static void hop(nvl_program *p, const nvl_coll_spec *s, const nvl_pipe *pm, int lane, int peer,
                bool net, double bytes, bool first) {
  if (net)
    nvl_program_op(p, lane, NVL_OP_SEND, peer, nvl_net_hop(p, s, lane, bytes, first));
  else
    nvl_send_step(p, pm, lane, peer, bytes, first);
}

/* Chunk c of tree t across nodes, as tree_chunk with the parent and children given. */
static void node_chunk(nvl_program *p, const nvl_coll_spec *s, const nvl_pipe *pm, int n,
                       const int *parent, const int (*child)[3], const int *up, const int *down,
                       double cb, bool first) {
  for (int r = 0; r < n; r++) {
    for (int c = 0; c < 3; c++)
      if (child[r][c] >= 0)
        RECV(up[r], up[child[r][c]]);
    if (parent[r] >= 0)
      hop(p, s, pm, up[r], up[parent[r]], s->node_of && s->node_of[parent[r]] != s->node_of[r], cb,
          first);
    else
      nvl_program_op(p, up[r], NVL_OP_NOTIFY, down[r], 0);
    RECV(down[r], parent[r] >= 0 ? down[parent[r]] : up[r]);
    for (int c = 0; c < 3; c++)
      if (child[r][c] >= 0)
        hop(p, s, pm, down[r], down[child[r][c]],
            s->node_of && s->node_of[child[r][c]] != s->node_of[r], cb, first);
  }
}

int nvl_build_tree(const nvl_coll_spec *s, nvl_program *p) {
  if (s->coll != NVL_COLL_ALL_REDUCE)
    return -1;
  int n = s->n;
  bool nodes = s->nodes >= 2 && s->node_of && n % s->nodes == 0;
  int T = nodes && n / s->nodes >= 4 ? n / s->nodes / 2 * 2 : 2; /* trees: g/2 pairs */
  int made = T; /* parent and child arrays (some NULL) */
  int **parent = nvl_xcalloc((size_t)T, sizeof *parent);
  int(**child)[3] = nvl_xcalloc((size_t)T, sizeof *child);
  for (int t = 0; t < T && nodes; t++) {
    parent[t] = nvl_xmalloc((size_t)n * sizeof(int));
    child[t] = nvl_xmalloc((size_t)n * sizeof *child[t]);
    nodes = node_tree(s, t, parent[t], child[t]);
  }
  if (!nodes) { /* one node: NCCL's tree is the chain of its ranks (connect.cc: tree.up the
                   previous, tree.down[0] the next), its channel copies on the same chain */
    T = 1;
    for (int t = 0; t < made; t++) {
      free(parent[t]);
      free(child[t]);
    }
    made = 1;
    parent[0] = nvl_xmalloc((size_t)n * sizeof(int));
    child[0] = nvl_xmalloc((size_t)n * sizeof *child[0]);
    for (int r = 0; r < n; r++) {
      parent[0][r] = r - 1;
      child[0][r][0] = r + 1 < n ? r + 1 : -1;
      child[0][r][1] = child[0][r][2] = -1;
    }
  }
  nvl_pipe pm = nvl_pipe_of(s);
  int **up = nvl_xmalloc((size_t)T * sizeof *up), **down = nvl_xmalloc((size_t)T * sizeof *down);
  for (int t = 0; t < T; t++) {
    up[t] = nvl_xmalloc((size_t)n * sizeof(int));
    down[t] = nvl_xmalloc((size_t)n * sizeof(int));
    for (int r = 0; r < n; r++) {
      up[t][r] = nvl_program_lane(p, r, -1);
      down[t][r] = nvl_program_lane(p, r, -1);
    }
  }
  for (int t = 0; t < T && n > 1; t++) {
    uint64_t tb = T == 2 ? (t == 0 ? s->bytes / 2 : s->bytes - s->bytes / 2)
                         : (uint64_t)nvl_part(s->bytes, T, t);
    for (int c = 0; c < pm.chunks; c++)
      node_chunk(p, s, &pm, n, parent[t], (const int(*)[3])child[t], up[t], down[t],
                 nvl_part(tb, pm.chunks, c), c == 0);
  }
  for (int t = 0; t < T; t++) {
    free(up[t]);
    free(down[t]);
  }
  for (int t = 0; t < made; t++) {
    free(parent[t]);
    free(child[t]);
  }
  free(up);
  free(down);
  free(parent);
  free(child);
  return 0;
}
