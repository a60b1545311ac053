/*
 * collectives: see collectives.h. Algorithms, with their ideal (alpha-beta) times for n ranks,
 * S bytes, per-hop latency a and per-direction bandwidth B, and K chunks of c = S/K:
 *
 *   ring all_reduce       reduce-scatter then all-gather around the ring: 2(n-1) steps of S/n;
 *                         t = 2(n-1)(a + S/(nB))
 *   ring reduce_scatter,  n-1 steps of S/n; t = (n-1)(a + S/(nB))
 *   ring all_gather
 *   ring broadcast        pipelined chain root -> ... -> root-1 in K chunks;
 *                         t = (K + n - 2)(a + c/B)
 *   ring reduce           pipelined chain towards the root, same time
 *   alltoall              every rank sends S/n to every other rank at once; t = a + (n-1)S/(nB)
 *   sendrecv              rank r sends S to r+1; t = a + S/B
 *   tree all_reduce       NCCL's double binary tree: two mirrored heap-ordered binary trees, each
 *                         carrying S/2 in K chunks, reduce up and broadcast down pipelined
 *   nvls all_reduce       in-switch reduction (multimem ld_reduce + multicast store) through H
 *                         head ranks (H = n unless NCCL's arity limit applies): S bytes each way
 *                         per rank, S(H+1)/H for heads, pipelined in K chunks;
 *                         t = (K + 1)(a' + c(H+1)/(HB)), a' = rank-to-switch latency
 */
#include "models/collectives.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
  const char *name;
  const char *aliases[3];
} coll_names[NVL_COLL__COUNT] = {
    {"all_reduce", {"allreduce", "all-reduce", NULL}},
    {"reduce_scatter", {"reducescatter", "reduce-scatter", NULL}},
    {"all_gather", {"allgather", "all-gather", NULL}},
    {"broadcast", {"bcast", NULL, NULL}},
    {"reduce", {NULL, NULL, NULL}},
    {"alltoall", {"all_to_all", "all-to-all", NULL}},
    {"sendrecv", {"send_recv", "p2p", NULL}},
};

const char *nvl_coll_name(nvl_coll c) { return c < NVL_COLL__COUNT ? coll_names[c].name : "?"; }

int nvl_coll_parse(const char *name, nvl_coll *out) {
  for (int c = 0; c < NVL_COLL__COUNT; c++) {
    if (strcmp(name, coll_names[c].name) == 0) {
      *out = (nvl_coll)c;
      return 0;
    }
    for (int a = 0; a < 3 && coll_names[c].aliases[a]; a++)
      if (strcmp(name, coll_names[c].aliases[a]) == 0) {
        *out = (nvl_coll)c;
        return 0;
      }
  }
  return -1;
}

const char *nvl_algo_name(nvl_algo a) {
  static const char *const n[] = {"auto", "ring", "tree", "nvls"};
  return a <= NVL_ALGO_NVLS ? n[a] : "?";
}

int nvl_algo_parse(const char *name, nvl_algo *out) {
  for (int a = 0; a <= NVL_ALGO_NVLS; a++)
    if (strcmp(name, nvl_algo_name((nvl_algo)a)) == 0) {
      *out = (nvl_algo)a;
      return 0;
    }
  return -1;
}

double nvl_coll_busbw_factor(nvl_coll c, int n) {
  switch (c) {
  case NVL_COLL_ALL_REDUCE: return 2.0 * (n - 1) / n;
  case NVL_COLL_REDUCE_SCATTER:
  case NVL_COLL_ALL_GATHER:
  case NVL_COLL_ALLTOALL: return (double)(n - 1) / n;
  default: return 1.0;
  }
}

bool nvl_coll_reduces(nvl_coll c) {
  return c == NVL_COLL_ALL_REDUCE || c == NVL_COLL_REDUCE_SCATTER || c == NVL_COLL_REDUCE;
}

uint64_t nvl_coll_round_size(nvl_coll c, int n, uint64_t bytes) {
  uint64_t count = bytes / 4;
  if (c == NVL_COLL_ALL_GATHER || c == NVL_COLL_REDUCE_SCATTER || c == NVL_COLL_ALLTOALL)
    count = count / (uint64_t)n * (uint64_t)n;
  return count * 4;
}

int nvl_coll_chunks(uint64_t bytes, uint64_t chunk_bytes, int max_chunks) {
  if (chunk_bytes == 0)
    chunk_bytes = 512 * 1024;
  if (max_chunks <= 0)
    max_chunks = 64;
  uint64_t k = (bytes + chunk_bytes - 1) / chunk_bytes;
  if (k < 1)
    k = 1;
  if (k > (uint64_t)max_chunks)
    k = (uint64_t)max_chunks;
  return (int)k;
}

/* Splits S into k parts whose sizes differ by at most one byte. */
static double part(uint64_t bytes, int k, int i) {
  uint64_t base = bytes / (uint64_t)k, rem = bytes % (uint64_t)k;
  return (double)(base + ((uint64_t)i < rem ? 1 : 0));
}

/* The protocol model of the collective being built (set by nvl_coll_build). */
typedef struct {
  double scale;         /* wire bytes per payload byte */
  double step_delay;    /* before each step of rings, chains and trees */
  int channels, slices; /* ring pipeline (0: none) */
  uint64_t chunk;
  double slice_delay;
} proto_model;
static proto_model pm = {1.0, 0.0, 0, 0, 0, 0.0};

static void send_step(nvl_program *p, int lane, int peer, double bytes, bool step) {
  if (step && pm.step_delay > 0)
    nvl_program_op(p, lane, NVL_OP_DELAY, 0, pm.step_delay);
  nvl_program_op(p, lane, NVL_OP_SEND, peer, (double)(uint64_t)(bytes * pm.scale));
}

/* PSEND: a transfer without the per-step latency (rings add theirs in ring_pass). */
#define PSEND(lane, peer, b) send_step(p, (lane), (peer), (b), false)
#define RECV(lane, peer) nvl_program_op(p, (lane), NVL_OP_RECV, (peer), 0)

/* `steps` ring steps over `bytes`: at step s rank r sends part (r - s) mod n to r + 1. Every step
 * first waits `extra` seconds (pipeline synchronisation), and the first pass pays the hop latency.
 */
static void ring_pass(nvl_program *p, const int *lane, int n, uint64_t bytes, int steps,
                      double extra, bool hop) {
  for (int s = 0; s < steps; s++)
    for (int r = 0; r < n; r++) {
      int next = (r + 1) % n, prev = (r + n - 1) % n;
      double d = extra + (hop ? pm.step_delay : 0);
      if (d > 0)
        nvl_program_op(p, lane[r], NVL_OP_DELAY, 0, d);
      PSEND(lane[r], lane[next], part(bytes, n, ((r - s) % n + n) % n));
      RECV(lane[r], lane[prev]);
    }
}

/* A ring collective of `steps` steps per loop, with NCCL's loops, chunks and slices when the
 * protocol model has a ring pipeline (see nvl_coll_spec). */
static void ring_steps(nvl_program *p, const int *lane, int n, uint64_t bytes, int steps) {
  if (pm.channels <= 0 || pm.chunk == 0) {
    ring_pass(p, lane, n, bytes, steps, 0, true);
    return;
  }
  uint64_t loop = (uint64_t)pm.channels * (uint64_t)n * pm.chunk;
  uint64_t full = bytes / loop, rest = bytes % loop;
  uint64_t groups = full < 16 ? full : 16;
  double per_slice = pm.slices * pm.slice_delay;
  for (uint64_t g = 0; g < groups; g++) {
    uint64_t m = full / groups + (g < full % groups ? 1 : 0); /* whole loops in this group */
    ring_pass(p, lane, n, m * loop, steps, (double)m * per_slice, g == 0);
  }
  if (rest > 0) /* the last loop: smaller chunks, as many slices */
    ring_pass(p, lane, n, rest, steps, per_slice, groups == 0);
}

static void chain(nvl_program *p, const int *lane, int n, uint64_t bytes, int k,
                  bool towards_root) {
  /* broadcast: 0 -> 1 -> ... -> n-1; reduce: n-1 -> ... -> 1 -> 0 */
  for (int c = 0; c < k; c++)
    for (int r = 0; r < n; r++) {
      int pos = towards_root ? n - 1 - r : r; /* position along the chain */
      int from = towards_root ? r + 1 : r - 1, to = towards_root ? r - 1 : r + 1;
      if (pos > 0)
        RECV(lane[r], lane[from]);
      if (pos < n - 1)
        send_step(p, lane[r], lane[to], part(bytes, k, c), c == 0); /* hop latency once */
    }
}

/* Heap-ordered binary tree over positions; tree 1 mirrors ranks so that the interior nodes of
 * one tree are leaves of the other (NCCL's double binary tree idea). */
static int tree_rank(int t, int pos, int n) { return t == 0 ? pos : n - 1 - pos; }

static void double_tree(nvl_program *p, int n, uint64_t bytes, int k) {
  /* lanes: per tree, an up lane and a down lane per rank */
  int *up[2], *down[2];
  for (int t = 0; t < 2; t++) {
    up[t] = malloc((size_t)n * sizeof(int));
    down[t] = malloc((size_t)n * sizeof(int));
    for (int r = 0; r < n; r++) {
      up[t][r] = nvl_program_lane(p, r, -1);
      down[t][r] = nvl_program_lane(p, r, -1);
    }
  }
  for (int t = 0; t < 2; t++) {
    uint64_t tb = t == 0 ? bytes / 2 : bytes - bytes / 2;
    for (int c = 0; c < k; c++) {
      double cb = part(tb, k, c);
      for (int pos = 0; pos < n; pos++) {
        int r = tree_rank(t, pos, n);
        int c1 = 2 * pos + 1, c2 = 2 * pos + 2;
        /* up: receive both children, then pass to the parent (the root hands over locally) */
        if (c1 < n)
          RECV(up[t][r], up[t][tree_rank(t, c1, n)]);
        if (c2 < n)
          RECV(up[t][r], up[t][tree_rank(t, c2, n)]);
        if (pos > 0)
          send_step(p, up[t][r], up[t][tree_rank(t, (pos - 1) / 2, n)], cb, c == 0);
        else
          nvl_program_op(p, up[t][r], NVL_OP_NOTIFY, down[t][r], 0);
        /* down: receive from the parent (root: from its own up lane), send to children */
        if (pos > 0)
          RECV(down[t][r], down[t][tree_rank(t, (pos - 1) / 2, n)]);
        else
          RECV(down[t][r], up[t][r]);
        if (c1 < n)
          send_step(p, down[t][r], down[t][tree_rank(t, c1, n)], cb, c == 0);
        if (c2 < n)
          send_step(p, down[t][r], down[t][tree_rank(t, c2, n)], cb, c == 0);
      }
    }
  }
  for (int t = 0; t < 2; t++) {
    free(up[t]);
    free(down[t]);
  }
}

/* NVLS all_reduce as NCCL does it on one switch: the data is split over H head ranks; each head
 * reduces its part with multimem.ld_reduce (the switch reads that part from all n ranks and
 * returns the sum) and publishes it with multimem.st (the switch multicasts it to all n ranks).
 * Per rank and direction that is S bytes (up: its copy of every part; down: every part,
 * multicast), and a head adds its own part S/H once more each way (its reduced part back, its
 * store out). Chunk by chunk, the switch returns a chunk once all ranks delivered theirs. */
static void nvls(nvl_program *p, const int *lane, int n, uint64_t bytes, int k, int host,
                 int heads) {
  int sw = nvl_program_lane(p, -1, host);
  if (heads < 1 || heads > n)
    heads = n;
  for (int c = 0; c < k; c++)
    for (int r = 0; r < n; r++)
      PSEND(lane[r], sw,
            (double)(uint64_t)(part(bytes, k, c) * (r < heads ? 1.0 + 1.0 / heads : 1.0)));
  for (int c = 0; c < k; c++) {
    for (int r = 0; r < n; r++)
      RECV(sw, lane[r]);
    for (int r = 0; r < n; r++)
      PSEND(sw, lane[r],
            (double)(uint64_t)(part(bytes, k, c) * (r < heads ? 1.0 + 1.0 / heads : 1.0)));
  }
  for (int c = 0; c < k; c++)
    for (int r = 0; r < n; r++)
      RECV(lane[r], sw);
}

/* A ring collective of `steps` steps per loop over each of the spec's ring orders, each on its own
 * lanes (the first order on the ranks' main lanes). */
static void rings(nvl_program *p, const nvl_coll_spec *s, const int *lane, int steps) {
  int n = s->n, R = s->ring_orders && s->n_ring_orders > 1 ? s->n_ring_orders : 1;
  if (R == 1 && !s->ring_orders) {
    ring_steps(p, lane, n, s->bytes, steps);
    return;
  }
  int channels = pm.channels;
  if (channels > 0)
    pm.channels = channels / R > 0 ? channels / R : 1;
  int *pos = malloc((size_t)n * sizeof(int));
  for (int k = 0; k < R; k++) {
    const int *order = s->ring_orders + (size_t)k * n;
    for (int i = 0; i < n; i++)
      pos[i] = k == 0 ? lane[order[i]] : nvl_program_lane(p, order[i], -1);
    ring_steps(p, pos, n, (uint64_t)part(s->bytes, R, k), steps);
  }
  pm.channels = channels;
  free(pos);
}

int nvl_coll_build(const nvl_coll_spec *s, nvl_program *p) {
  int n = s->n;
  uint64_t S = s->bytes;
  /* chains need many more chunks than ranks to amortise their fill (n - 2 chunk times); trees
   * and NVLS fill in O(log n) or O(1) chunk times, so 64 chunks keep fill under ~2 % */
  bool is_chain = s->coll == NVL_COLL_BROADCAST || s->coll == NVL_COLL_REDUCE;
  int max_k = s->max_chunks ? s->max_chunks : is_chain ? (8 * n > 64 ? 8 * n : 64) : 64;
  int k = nvl_coll_chunks(S, s->chunk_bytes, max_k);
  if (s->algo == NVL_ALGO_NVLS && s->nvls_steps > 0) /* NCCL's steps, in at most max_k groups */
    k = s->nvls_steps < (uint64_t)max_k ? (int)s->nvls_steps : max_k;
  bool tree = s->algo == NVL_ALGO_TREE, nv = s->algo == NVL_ALGO_NVLS;
  if ((tree || nv) && s->coll != NVL_COLL_ALL_REDUCE)
    return -1;
  pm.scale = s->byte_scale > 0 ? s->byte_scale : 1.0;
  pm.step_delay = s->step_delay_s;
  pm.channels = s->ring_channels;
  pm.chunk = s->ring_chunk_bytes;
  pm.slices = s->ring_slices > 0 ? s->ring_slices : 1;
  pm.slice_delay = s->slice_delay_s;
  int *lane = calloc((size_t)n, sizeof(int));
  if (!tree)
    for (int r = 0; r < n; r++)
      lane[r] = nvl_program_lane(p, r, -1);
  if (n > 1) {
    switch (s->coll) {
    case NVL_COLL_ALL_REDUCE:
      if (tree)
        double_tree(p, n, S, k);
      else if (nv)
        nvls(p, lane, n, S, k, s->nvls_host, s->nvls_heads);
      else
        rings(p, s, lane, 2 * (n - 1));
      break;
    case NVL_COLL_REDUCE_SCATTER:
    case NVL_COLL_ALL_GATHER: rings(p, s, lane, n - 1); break;
    case NVL_COLL_BROADCAST: chain(p, lane, n, S, k, false); break;
    case NVL_COLL_REDUCE: chain(p, lane, n, S, k, true); break;
    case NVL_COLL_ALLTOALL:
      for (int r = 0; r < n; r++)
        for (int j = 1; j < n; j++)
          nvl_program_send(p, lane[r], lane[(r + j) % n],
                           (double)(uint64_t)(part(S, n, (r + j) % n) * pm.scale), s->p2p_channels);
      for (int r = 0; r < n; r++)
        for (int j = 1; j < n; j++)
          RECV(lane[r], lane[(r + n - j) % n]);
      break;
    case NVL_COLL_SENDRECV:
      for (int r = 0; r < n; r++) {
        nvl_program_send(p, lane[r], lane[(r + 1) % n], (double)(uint64_t)((double)S * pm.scale),
                         s->p2p_channels);
        RECV(lane[r], lane[(r + n - 1) % n]);
      }
      break;
    default: break;
    }
  }
  if (nv && s->nvls_spread_s > 0) /* every rank waits for the slowest one's last step */
    for (int r = 0; r < n; r++)
      nvl_program_op(p, lane[r], NVL_OP_DELAY, 0, s->nvls_spread_s);
  p->channel_Bps = s->p2p_channel_Bps;
  /* fixed per-rank cost before the operation: protocol start latency + endpoint overhead */
  for (size_t l = 0; l < p->n_lanes; l++) {
    nvl_lane *ln = &p->lanes[l];
    double d = ln->rank < 0 ? 0 : s->start_delay_s + (s->overhead_s ? s->overhead_s[ln->rank] : 0);
    if (d <= 0)
      continue;
    nvl_program_op(p, (int)l, NVL_OP_DELAY, 0, 0); /* grow by one, then shift */
    memmove(ln->ops + 1, ln->ops, (ln->n_ops - 1) * sizeof *ln->ops);
    ln->ops[0] = (nvl_op){.kind = NVL_OP_DELAY, .value = d};
  }
  nvl_program_floor(p, s->host_interval_s);
  free(lane);
  return 0;
}
