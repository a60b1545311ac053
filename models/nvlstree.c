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
 *
 * Rails alike (s->rail_major): the places of a node are images of each other under a symmetry
 * that moves every rank to the next place of its node (each rail's NICs and leaves onto the
 * next's), so every rail's traffic is an image of rail 0's, on its own links, at the same times.
 * The program is then shifted (models/program.h) by the nodes: it runs the ranks of place 0 (one
 * per node), their switch lanes taking one contribution and giving one shard and one publication
 * each, the shard still S/g; each transfer stands for its g images. Where the rails share links
 * (s->rail_weighted: a rack's NICs on one leaf), the same lanes run as a plain program and the
 * engine weighs each transfer on a shared link by the rails crossing it (workload/run.h).
 */
#include <stdlib.h>

#include "base/xalloc.h"
#include "models/builders.h"

#define RECV(lane, peer) nvl_program_op(p, (lane), NVL_OP_RECV, (peer), 0)

typedef struct {
  int n, nodes, g;
  int gs;             /* places simulated per node: g, or 1 when rails are alike */
  bool shifted;       /* a shifted program (rails alike): weighted sends, referenced receives */
  int *at;            /* at[node * gs + place]: the rank at that place of the node */
  int *place;         /* per rank */
  int *up[2], *dn[2]; /* per rank: the tree lanes */
  int *main;          /* per rank */
  int *red, *pub;     /* per node: the switch's lanes */
} layout;

static bool make_layout(const nvl_coll_spec *s, nvl_program *p, layout *L) {
  int n = s->n, N = s->nodes;
  if (N < 2 || n % N != 0)
    return false;
  L->nodes = N;
  L->g = n / N;
  bool one = s->rail_major && !s->reduce && L->g > 1; /* one rail for all */
  L->shifted = one && !s->rail_weighted;
  L->gs = one ? 1 : L->g;
  L->n = n = N * L->gs; /* the ranks simulated: with rails alike, 0 .. N - 1 (place 0) */
  L->at = nvl_xmalloc((size_t)n * sizeof(int));
  L->place = nvl_xmalloc((size_t)n * sizeof(int));
  int *fill = nvl_xcalloc((size_t)N, sizeof(int));
  bool ok = true;
  for (int r = 0; r < n && ok; r++) {
    int k = s->node_of[r];
    ok = k >= 0 && k < N && fill[k] < L->gs && s->node_nvls_host[k] >= 0;
    if (ok) {
      L->place[r] = fill[k];
      L->at[k * L->gs + fill[k]++] = r;
    }
  }
  free(fill);
  if (!ok) {
    free(L->at);
    free(L->place);
    return false;
  }
  if (L->shifted)
    nvl_program_reduce_shift(p, N);
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

/* A SEND of `bytes` (wire bytes, whole); shifted: standing for its images, one per rail. */
static void send(nvl_program *p, const layout *L, int lane, int peer, double bytes) {
  if (L->shifted)
    nvl_program_send_weighted(p, lane, (uint32_t)peer, (double)(uint64_t)bytes, 0, 1, 1);
  else
    nvl_program_op(p, lane, NVL_OP_SEND, peer, (double)(uint64_t)bytes);
}

/* A RECV of the next transfer from lane `from`. */
static void recv(nvl_program *p, const layout *L, int lane, int from) {
  if (L->shifted)
    nvl_program_recv_ref(p, lane, from, (uint32_t)lane, 1);
  else
    RECV(lane, from);
}

/* A send over NVLink (the pipe's wire bytes). */
static void nvl_send(nvl_program *p, const layout *L, const nvl_pipe *pm, int lane, int peer,
                     double bytes) {
  send(p, L, lane, peer, (double)(uint64_t)(bytes * pm->scale));
}

/* A send between nodes: NCCL's NET latency on the first chunk, the network's wire bytes. */
static void net_send(nvl_program *p, const nvl_coll_spec *s, const layout *L, int lane, int peer,
                     double bytes, bool first) {
  send(p, L, lane, peer, nvl_net_hop(p, s, lane, bytes, first));
}

/* Stage 2 of one chunk half (tb bytes) in tree t: every rank's tree lanes. */
static void tree_stage(nvl_program *p, const nvl_coll_spec *s, const nvl_pipe *pm, const layout *L,
                       int t, double tb, bool first) {
  int N = L->nodes, gs = L->gs;
  double shard = tb / L->g;
  for (int r = 0; r < L->n; r++) {
    int k = s->node_of[r], q = L->place[r], par = nvl_dtree_parent(t, k, N);
    int kid[2] = {nvl_dtree_child(t, k, 0, N), nvl_dtree_child(t, k, 1, N)};
    int up = L->up[t][r], dn = L->dn[t][r];
    recv(p, L, up, L->red[k]); /* the node's reduced shard */
    for (int c = 0; c < 2; c++)
      if (kid[c] >= 0)
        recv(p, L, up, L->up[t][L->at[kid[c] * gs + q]]);
    if (par >= 0)
      net_send(p, s, L, up, L->up[t][L->at[par * gs + q]], shard, first);
    else
      nvl_program_op(p, up, NVL_OP_NOTIFY, dn, 0);
    if (par >= 0)
      recv(p, L, dn, L->dn[t][L->at[par * gs + q]]);
    else
      RECV(dn, up); /* the root's own sum (a notification) */
    for (int c = 0; c < 2; c++)
      if (kid[c] >= 0)
        net_send(p, s, L, dn, L->dn[t][L->at[kid[c] * gs + q]], shard, first);
    nvl_send(p, L, pm, dn, L->pub[k], shard); /* the store */
  }
}

int nvl_build_nvlstree(const nvl_coll_spec *s, nvl_program *p) {
  if (s->coll != NVL_COLL_ALL_REDUCE || !s->node_of || !s->node_nvls_host)
    return -1;
  layout L;
  if (!make_layout(s, p, &L))
    return -1;
  nvl_pipe pm = nvl_pipe_of(s);
  int K = pm.chunks, g = L.g, gs = L.gs;
  for (int c = 0; c < K; c++) { /* stage 1: contributions */
    double cb = nvl_part(s->bytes, K, c);
    for (int t = 0; t < 2; t++)
      for (int r = 0; r < L.n; r++)
        nvl_send(p, &L, &pm, L.main[r], L.red[s->node_of[r]], t == 0 ? cb / 2 : cb - cb / 2);
  }
  for (int c = 0; c < K; c++) {
    double cb = nvl_part(s->bytes, K, c);
    for (int t = 0; t < 2; t++) {
      double tb = t == 0 ? cb / 2 : cb - cb / 2;
      for (int k = 0; k < L.nodes; k++) { /* the reduction: every rank's part in, shards out */
        for (int q = 0; q < gs; q++)
          recv(p, &L, L.red[k], L.main[L.at[k * gs + q]]);
        for (int q = 0; q < gs; q++)
          nvl_send(p, &L, &pm, L.red[k], L.up[t][L.at[k * gs + q]], tb / g);
      }
      tree_stage(p, s, &pm, &L, t, tb, c == 0);
      for (int k = 0; k < L.nodes; k++) { /* the publication: every shard in, the chunk out */
        for (int q = 0; q < gs; q++)
          recv(p, &L, L.pub[k], L.dn[t][L.at[k * gs + q]]);
        for (int q = 0; q < gs; q++)
          nvl_send(p, &L, &pm, L.pub[k], L.main[L.at[k * gs + q]], tb);
      }
    }
  }
  for (int c = 0; c < K; c++)
    for (int t = 0; t < 2; t++)
      for (int r = 0; r < L.n; r++)
        recv(p, &L, L.main[r], L.pub[s->node_of[r]]);
  free_layout(&L);
  return 0;
}

/* NVLS across nodes with SHARP between them (NCCL's NVLS algorithm, CollNet enabled): stages 1
 * and 3 as above; in stage 2 rank r sends its node's reduced shard through its NIC to the
 * aggregation tree of its place (s->sharp_leaf[r], models/collnet.c), which returns the sum to
 * it. Per rank and direction S/g through the network, once. */
int nvl_build_nvls_sharp(const nvl_coll_spec *s, nvl_program *p) {
  if (s->coll != NVL_COLL_ALL_REDUCE || !s->node_of || !s->node_nvls_host || !s->sharp_leaf ||
      s->rail_major)
    return -1;
  layout L;
  if (!make_layout(s, p, &L))
    return -1;
  nvl_sharp S;
  nvl_sharp_lanes(s, p, L.n, &S);
  nvl_pipe pm = nvl_pipe_of(s);
  int K = pm.chunks, g = L.g, N = L.nodes;
  for (int c = 0; c < K; c++) /* stage 1: contributions */
    for (int r = 0; r < L.n; r++)
      nvl_send(p, &L, &pm, L.main[r], L.red[s->node_of[r]], nvl_part(s->bytes, K, c));
  for (int c = 0; c < K; c++) {
    double cb = nvl_part(s->bytes, K, c), shard = cb / g;
    for (int k = 0; k < N; k++) { /* the reduction: every rank's part in, shards out */
      for (int q = 0; q < g; q++)
        RECV(L.red[k], L.main[L.at[k * g + q]]);
      for (int q = 0; q < g; q++)
        nvl_send(p, &L, &pm, L.red[k], L.up[0][L.at[k * g + q]], shard);
    }
    for (int r = 0; r < L.n; r++) { /* the heads: the node's shard into the trees */
      RECV(L.up[0][r], L.red[s->node_of[r]]);
      nvl_sharp_send(p, s, &S, L.up[0][r], r, shard, c == 0);
    }
    nvl_sharp_round(p, s, &S, L.up[0], L.dn[0], nvl_net_hop(p, s, -1, shard, false));
    for (int r = 0; r < L.n; r++) { /* the sum to the switch, which publishes it */
      RECV(L.dn[0][r], S.dn[s->sharp_leaf[r]]);
      nvl_send(p, &L, &pm, L.dn[0][r], L.pub[s->node_of[r]], shard);
    }
    for (int k = 0; k < N; k++) { /* the publication: every shard in, the chunk out */
      for (int q = 0; q < g; q++)
        RECV(L.pub[k], L.dn[0][L.at[k * g + q]]);
      for (int q = 0; q < g; q++)
        nvl_send(p, &L, &pm, L.pub[k], L.main[L.at[k * g + q]], cb);
    }
  }
  for (int c = 0; c < K; c++)
    for (int r = 0; r < L.n; r++)
      RECV(L.main[r], L.pub[s->node_of[r]]);
  nvl_sharp_free(&S);
  free_layout(&L);
  return 0;
}
