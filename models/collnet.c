/*
 * collnet: all_reduce with SHARP's in-network reduction between nodes (NCCL's CollNet, with
 * NCCL_COLLNET_ENABLE), and the aggregation trees' lanes that NVLS across nodes shares
 * (nvlstree.c). Each place in a node (a rail) has a tree of the network switches' engines
 * (s->sharp_*): rank r, the head of its shard, sends it through its NIC to its leaf engine; each
 * engine sums its children's shards and sends one up, the root turns the sum around, and each
 * engine forwards it to its children, down to the heads. Per NIC S/g each way, every trunk of a
 * tree one shard each way.
 *
 * CollNet Direct: inside the node every rank sends each other rank (head) the head's shard of
 * each chunk over NVLink, the head sums them, the trees reduce across nodes, and the head sends
 * the sum back to every rank: S (g - 1)/g each way per rank over NVLink. CollNet Chain: per
 * place q a chain of the node's ranks ends at the head at place q, which carries shard q: the
 * partial sums go up the chain, the trees reduce, and the sum comes back down the chain.
 */
#include <stdlib.h>

#include "base/xalloc.h"
#include "models/builders.h"

#define RECV(lane, peer) nvl_program_op(p, (lane), NVL_OP_RECV, (peer), 0)
#define SEND(lane, peer, b) nvl_program_op(p, (lane), NVL_OP_SEND, (peer), (double)(uint64_t)(b))

void nvl_sharp_lanes(const nvl_coll_spec *s, nvl_program *p, int n, nvl_sharp *S) {
  int m = s->sharp_engines;
  S->n = n;
  S->up = nvl_xmalloc(((size_t)m + 1) * sizeof(int));
  S->dn = nvl_xmalloc(((size_t)m + 1) * sizeof(int));
  S->kid_start = nvl_xcalloc((size_t)m + 1, sizeof(int));
  S->kids = nvl_xmalloc(((size_t)n + (size_t)m + 1) * sizeof(int));
  for (int e = 0; e < m; e++) {
    S->up[e] = nvl_program_lane(p, -1, s->sharp_host[e]);
    S->dn[e] = nvl_program_lane(p, -1, s->sharp_host[e]);
  }
  int k = 0;
  for (int e = 0; e < m; e++) {
    S->kid_start[e] = k;
    for (int r = 0; r < n; r++)
      if (s->sharp_leaf[r] == e)
        S->kids[k++] = r;
    for (int f = 0; f < m; f++)
      if (s->sharp_parent[f] == e)
        S->kids[k++] = n + f;
  }
  S->kid_start[m] = k;
}

void nvl_sharp_free(nvl_sharp *S) {
  free(S->up);
  free(S->dn);
  free(S->kid_start);
  free(S->kids);
}

void nvl_sharp_send(nvl_program *p, const nvl_coll_spec *s, const nvl_sharp *S, int lane, int r,
                    double shard, bool first) {
  SEND(lane, S->up[s->sharp_leaf[r]], nvl_net_hop(p, s, lane, shard, first));
}

void nvl_sharp_round(nvl_program *p, const nvl_coll_spec *s, const nvl_sharp *S, const int *up_of,
                     const int *dn_of, double wire) {
  int n = S->n;
  for (int e = 0; e < s->sharp_engines; e++) {
    int par = s->sharp_parent[e];
    for (int i = S->kid_start[e]; i < S->kid_start[e + 1]; i++)
      RECV(S->up[e], S->kids[i] < n ? up_of[S->kids[i]] : S->up[S->kids[i] - n]);
    if (par >= 0) {
      SEND(S->up[e], S->up[par], wire);
      RECV(S->dn[e], S->dn[par]);
    } else {
      nvl_program_op(p, S->up[e], NVL_OP_NOTIFY, S->dn[e], 0);
      RECV(S->dn[e], S->up[e]);
    }
    for (int i = S->kid_start[e]; i < S->kid_start[e + 1]; i++)
      SEND(S->dn[e], S->kids[i] < n ? dn_of[S->kids[i]] : S->dn[S->kids[i] - n], wire);
  }
}

/* The ranks of each node in order (at[k * g + q]: place q of node k), and each rank's place;
 * false unless every node has g = n / nodes ranks. */
static bool places(const nvl_coll_spec *s, int *at, int *place) {
  int N = s->nodes, g = s->n / N;
  int *fill = nvl_xcalloc((size_t)N + 1, sizeof(int));
  bool ok = N >= 2 && s->n % N == 0;
  for (int r = 0; r < s->n && ok; r++) {
    int k = s->node_of[r];
    ok = k >= 0 && k < N && fill[k] < g;
    if (ok)
      place[r] = fill[k], at[k * g + fill[k]++] = r;
  }
  free(fill);
  return ok;
}

int nvl_build_collnet(const nvl_coll_spec *s, nvl_program *p) {
  if (s->coll != NVL_COLL_ALL_REDUCE || !s->node_of || !s->sharp_leaf || s->nodes < 2)
    return -1;
  int n = s->n, N = s->nodes, g = n / N;
  int *at = nvl_xmalloc((size_t)n * sizeof(int)), *place = nvl_xmalloc((size_t)n * sizeof(int));
  if (!places(s, at, place)) {
    free(at), free(place);
    return -1;
  }
  bool chain = s->algo == NVL_ALGO_COLLNET_CHAIN;
  nvl_pipe pm = nvl_pipe_of(s);
  int K = pm.chunks, *main = nvl_rank_lanes(p, n);
  /* per rank: its head lanes (Direct), or per place q of the chains its up and down lanes */
  int lanes = chain ? g : 1, *up = nvl_xmalloc((size_t)n * (size_t)lanes * sizeof(int)),
      *dn = nvl_xmalloc((size_t)n * (size_t)lanes * sizeof(int));
  for (int i = 0; i < n * lanes; i++) {
    up[i] = nvl_program_lane(p, i / lanes, -1);
    dn[i] = nvl_program_lane(p, i / lanes, -1);
  }
  int *hu = nvl_xmalloc((size_t)n * sizeof(int)), *hd = nvl_xmalloc((size_t)n * sizeof(int));
  for (int r = 0; r < n; r++) /* the heads' lanes at the trees: rank r heads place(r) */
    hu[r] = up[r * lanes + (chain ? place[r] : 0)], hd[r] = dn[r * lanes + (chain ? place[r] : 0)];
  nvl_sharp S;
  nvl_sharp_lanes(s, p, n, &S);
  for (int c = 0; c < K && !chain; c++) /* Direct: every rank's parts to their heads, posted */
    for (int r = 0; r < n; r++)
      for (int i = 1; i < g; i++)
        nvl_send_step(p, &pm, main[r], hu[at[s->node_of[r] * g + (place[r] + i) % g]],
                      nvl_part(s->bytes, K, c) / g, false);
  for (int c = 0; c < K; c++) {
    double shard = nvl_part(s->bytes, K, c) / g, wire = nvl_net_hop(p, s, -1, shard, false);
    for (int k = 0; k < N; k++)
      for (int q = 0; q < g; q++) { /* shard q's parts to its head, into the trees */
        int h = at[k * g + q];
        for (int i = 1; i < g; i++) {
          int r = at[k * g + (q + i) % g];
          if (!chain) {
            RECV(hu[h], main[r]);
            continue;
          }
          /* the chain q + 1, ..., q + g - 1 to the head: partial sums up */
          if (i > 1)
            RECV(up[r * lanes + q], up[at[k * g + (q + i - 1) % g] * lanes + q]);
          int to = i == g - 1 ? hu[h] : up[at[k * g + (q + i + 1) % g] * lanes + q];
          nvl_send_step(p, &pm, up[r * lanes + q], to, shard, true);
        }
        if (chain && g > 1)
          RECV(hu[h], up[at[k * g + (q + g - 1) % g] * lanes + q]);
        nvl_sharp_send(p, s, &S, hu[h], h, shard, c == 0);
      }
    nvl_sharp_round(p, s, &S, hu, hd, wire);
    for (int k = 0; k < N; k++)
      for (int q = 0; q < g; q++) { /* the sum back to every rank of the node */
        int h = at[k * g + q];
        RECV(hd[h], S.dn[s->sharp_leaf[h]]);
        if (chain && g > 1) /* down the chain, from its last rank to its first */
          nvl_send_step(p, &pm, hd[h], dn[at[k * g + (q + g - 1) % g] * lanes + q], shard, true);
        for (int i = g - 1; i >= 1; i--) {
          int r = at[k * g + (q + i) % g];
          if (!chain) {
            nvl_send_step(p, &pm, hd[h], main[r], shard, false);
            continue;
          }
          RECV(dn[r * lanes + q], i == g - 1 ? hd[h] : dn[at[k * g + (q + i + 1) % g] * lanes + q]);
          if (i > 1)
            nvl_send_step(p, &pm, dn[r * lanes + q], dn[at[k * g + (q + i - 1) % g] * lanes + q],
                          shard, true);
        }
      }
  }
  for (int c = 0; c < K && !chain; c++) /* Direct: every head's sum in */
    for (int r = 0; r < n; r++)
      for (int i = 1; i < g; i++)
        RECV(main[r], hd[at[s->node_of[r] * g + (place[r] + i) % g]]);
  nvl_sharp_free(&S);
  void *owned[] = {at, place, main, up, dn, hu, hd};
  for (size_t i = 0; i < sizeof owned / sizeof owned[0]; i++)
    free(owned[i]);
  return 0;
}
