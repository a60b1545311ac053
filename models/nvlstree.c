/*
 * nvlstree: all_reduce across nodes as NCCL's NVLSTree: inside each node the switch reduces
 * (NVLS), between the nodes a double binary tree carries each rank's shard, and the switch
 * publishes the result. With g ranks per node, every rank r of a node is the head of shard r
 * (S/g): chunk by chunk,
 *   1. every rank sends its chunk to its node's switch, which returns shard r reduced over the
 *      node to rank r (multimem.ld_reduce);
 *   2. rank r and the ranks at the same place in the other nodes (the same rail) reduce their
 *      shards up a binary tree of the nodes and broadcast the sum down it; two mirrored trees
 *      (node i at place N - 1 - i in the second) each carry half of every chunk;
 *   3. rank r stores its shard to the switch, which multicasts the chunk to every rank of the
 *      node (multimem.st).
 * Per rank and direction that is S (1 + 1/g) over NVLink, as NVLS, and at most 3 S/(2g) over
 * the network (an interior node of one tree is a leaf of the other); the three stages run
 * pipelined over the chunks. Each switch has a lane for the reduction and one for the
 * publication, so that chunk k + 1 is reduced while chunk k crosses the network. A hop between
 * nodes first waits net_step_delay_s (NCCL's NVLSTree NET latency, less the route's) on the
 * first chunk; sends between nodes carry net_byte_scale wire bytes per payload byte.
 */
#include <stdlib.h>

#include "base/xalloc.h"
#include "models/builders.h"

#define RECV(lane, peer) nvl_program_op(p, (lane), NVL_OP_RECV, (peer), 0)

typedef struct {
  int n, nodes, g;
  int *at;            /* at[node * g + place]: the rank at that place of the node */
  int *place;         /* per rank */
  int *up[2], *dn[2]; /* per rank: the tree lanes */
  int *main;          /* per rank */
  int *red, *pub;     /* per node: the switch's lanes */
} layout;

/* Node i's place in tree t, and the node at a place. */
static int tnode(int t, int i, int nodes) { return t == 0 ? i : nodes - 1 - i; }

static bool make_layout(const nvl_coll_spec *s, nvl_program *p, layout *L) {
  int n = s->n, N = s->nodes;
  if (N < 2 || n % N != 0)
    return false;
  L->n = n;
  L->nodes = N;
  L->g = n / N;
  L->at = nvl_xmalloc((size_t)n * sizeof(int));
  L->place = nvl_xmalloc((size_t)n * sizeof(int));
  int *fill = nvl_xcalloc((size_t)N, sizeof(int));
  bool ok = true;
  for (int r = 0; r < n && ok; r++) {
    int k = s->node_of[r];
    ok = k >= 0 && k < N && fill[k] < L->g && s->node_nvls_host[k] >= 0;
    if (ok) {
      L->place[r] = fill[k];
      L->at[k * L->g + fill[k]++] = r;
    }
  }
  free(fill);
  if (!ok) {
    free(L->at);
    free(L->place);
    return false;
  }
  L->main = nvl_rank_lanes(p, n);
  for (int t = 0; t < 2; t++) {
    L->up[t] = nvl_xmalloc((size_t)n * sizeof(int));
    L->dn[t] = nvl_xmalloc((size_t)n * sizeof(int));
    for (int r = 0; r < n; r++) {
      L->up[t][r] = nvl_program_lane(p, r, -1);
      L->dn[t][r] = nvl_program_lane(p, r, -1);
    }
  }
  L->red = nvl_xmalloc((size_t)N * sizeof(int));
  L->pub = nvl_xmalloc((size_t)N * sizeof(int));
  for (int k = 0; k < N; k++) {
    L->red[k] = nvl_program_lane(p, -1, s->node_nvls_host[k]);
    L->pub[k] = nvl_program_lane(p, -1, s->node_nvls_host[k]);
  }
  return true;
}

static void free_layout(layout *L) {
  void *owned[] = {L->at,    L->place, L->main, L->up[0], L->up[1],
                   L->dn[0], L->dn[1], L->red,  L->pub};
  for (size_t i = 0; i < sizeof owned / sizeof owned[0]; i++)
    free(owned[i]);
}

/* A send between nodes: NCCL's NET latency on the first chunk, the network's wire bytes. */
static void net_send(nvl_program *p, const nvl_coll_spec *s, int lane, int peer, double bytes,
                     bool first) {
  if (first && s->net_step_delay_s > 0)
    nvl_program_op(p, lane, NVL_OP_DELAY, 0, s->net_step_delay_s);
  double scale = s->net_byte_scale > 0 ? s->net_byte_scale : 1.0;
  nvl_program_op(p, lane, NVL_OP_SEND, peer, (double)(uint64_t)(bytes * scale));
}

/* Stage 2 of one chunk half (tb bytes) in tree t: every rank's tree lanes. */
static void tree_stage(nvl_program *p, const nvl_coll_spec *s, const nvl_pipe *pm, const layout *L,
                       int t, double tb, bool first) {
  int N = L->nodes, g = L->g;
  double shard = tb / g;
  for (int r = 0; r < L->n; r++) {
    int k = s->node_of[r], pos = tnode(t, k, N), q = L->place[r];
    int c1 = 2 * pos + 1, c2 = 2 * pos + 2;
    int up = L->up[t][r], dn = L->dn[t][r];
    RECV(up, L->red[k]); /* the node's reduced shard */
    if (c1 < N)
      RECV(up, L->up[t][L->at[tnode(t, c1, N) * g + q]]);
    if (c2 < N)
      RECV(up, L->up[t][L->at[tnode(t, c2, N) * g + q]]);
    if (pos > 0)
      net_send(p, s, up, L->up[t][L->at[tnode(t, (pos - 1) / 2, N) * g + q]], shard, first);
    else
      nvl_program_op(p, up, NVL_OP_NOTIFY, dn, 0);
    RECV(dn, pos > 0 ? L->dn[t][L->at[tnode(t, (pos - 1) / 2, N) * g + q]] : up);
    if (c1 < N)
      net_send(p, s, dn, L->dn[t][L->at[tnode(t, c1, N) * g + q]], shard, first);
    if (c2 < N)
      net_send(p, s, dn, L->dn[t][L->at[tnode(t, c2, N) * g + q]], shard, first);
    nvl_send_step(p, pm, dn, L->pub[k], shard, false); /* the store */
  }
}

int nvl_build_nvlstree(const nvl_coll_spec *s, nvl_program *p) {
  if (s->coll != NVL_COLL_ALL_REDUCE || !s->node_of || !s->node_nvls_host)
    return -1;
  layout L;
  if (!make_layout(s, p, &L))
    return -1;
  nvl_pipe pm = nvl_pipe_of(s);
  int K = pm.chunks, g = L.g;
  for (int c = 0; c < K; c++) { /* stage 1: contributions */
    double cb = nvl_part(s->bytes, K, c);
    for (int t = 0; t < 2; t++)
      for (int r = 0; r < L.n; r++)
        nvl_send_step(p, &pm, L.main[r], L.red[s->node_of[r]], t == 0 ? cb / 2 : cb - cb / 2,
                      false);
  }
  for (int c = 0; c < K; c++) {
    double cb = nvl_part(s->bytes, K, c);
    for (int t = 0; t < 2; t++) {
      double tb = t == 0 ? cb / 2 : cb - cb / 2;
      for (int k = 0; k < L.nodes; k++) { /* the reduction: every rank's part in, shards out */
        for (int q = 0; q < g; q++)
          RECV(L.red[k], L.main[L.at[k * g + q]]);
        for (int q = 0; q < g; q++)
          nvl_send_step(p, &pm, L.red[k], L.up[t][L.at[k * g + q]], tb / g, false);
      }
      tree_stage(p, s, &pm, &L, t, tb, c == 0);
      for (int k = 0; k < L.nodes; k++) { /* the publication: every shard in, the chunk out */
        for (int q = 0; q < g; q++)
          RECV(L.pub[k], L.dn[t][L.at[k * g + q]]);
        for (int q = 0; q < g; q++)
          nvl_send_step(p, &pm, L.pub[k], L.main[L.at[k * g + q]], tb, false);
      }
    }
  }
  for (int c = 0; c < K; c++)
    for (int t = 0; t < 2; t++)
      for (int r = 0; r < L.n; r++)
        RECV(L.main[r], L.pub[s->node_of[r]]);
  free_layout(&L);
  return 0;
}
