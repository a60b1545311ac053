/*
 * collectives: see collectives.h; and the helpers the algorithms' builders share (models/
 * builders.h).
 */
#include "models/collectives.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"
#include "models/builders.h"

typedef enum { BUSBW_ONE, BUSBW_ALL_REDUCE, BUSBW_N_MINUS_1_OVER_N } busbw_rule;

static const struct {
  const char *name;
  const char *aliases[3];
  busbw_rule busbw;  /* nccl-tests: 2(n-1)/n, (n-1)/n or 1 */
  bool per_rank_sum; /* the size is a whole number of elements per rank (nccl-tests' rounding) */
  bool reduces, rooted;
} colls[NVL_COLL__COUNT] = {
    {"all_reduce", {"allreduce", "all-reduce", NULL}, BUSBW_ALL_REDUCE, false, true, false},
    {"reduce_scatter",
     {"reducescatter", "reduce-scatter", NULL},
     BUSBW_N_MINUS_1_OVER_N,
     true,
     true,
     false},
    {"all_gather", {"allgather", "all-gather", NULL}, BUSBW_N_MINUS_1_OVER_N, true, false, false},
    {"broadcast", {"bcast", NULL, NULL}, BUSBW_ONE, false, false, true},
    {"reduce", {NULL, NULL, NULL}, BUSBW_ONE, false, true, true},
    {"alltoall", {"all_to_all", "all-to-all", NULL}, BUSBW_N_MINUS_1_OVER_N, true, false, false},
    {"sendrecv", {"send_recv", "p2p", NULL}, BUSBW_ONE, false, false, false},
};

const char *nvl_coll_name(nvl_coll c) { return c < NVL_COLL__COUNT ? colls[c].name : "?"; }

int nvl_coll_parse(const char *name, nvl_coll *out) {
  for (int c = 0; c < NVL_COLL__COUNT; c++) {
    bool hit = strcmp(name, colls[c].name) == 0;
    for (int a = 0; a < 3 && colls[c].aliases[a] && !hit; a++)
      hit = strcmp(name, colls[c].aliases[a]) == 0;
    if (hit) {
      *out = (nvl_coll)c;
      return 0;
    }
  }
  return -1;
}

double nvl_coll_busbw_factor(nvl_coll c, int n) {
  switch (c < NVL_COLL__COUNT ? colls[c].busbw : BUSBW_ONE) {
  case BUSBW_ALL_REDUCE: return 2.0 * (n - 1) / n;
  case BUSBW_N_MINUS_1_OVER_N: return (double)(n - 1) / n;
  default: return 1.0;
  }
}

bool nvl_coll_reduces(nvl_coll c) { return c < NVL_COLL__COUNT && colls[c].reduces; }

bool nvl_coll_rooted(nvl_coll c) { return c < NVL_COLL__COUNT && colls[c].rooted; }

uint64_t nvl_coll_round_size(nvl_coll c, int n, uint64_t bytes) {
  uint64_t count = bytes / 4;
  if (c < NVL_COLL__COUNT && colls[c].per_rank_sum)
    count = count / (uint64_t)n * (uint64_t)n;
  return count * 4;
}

void nvl_coll_list(unsigned mask, char *out, size_t len) {
  int total = 0, k = 0;
  for (int c = 0; c < NVL_COLL__COUNT; c++)
    total += (mask & NVL_COLL_BIT(c)) != 0;
  out[0] = '\0';
  for (int c = 0; c < NVL_COLL__COUNT; c++)
    if (mask & NVL_COLL_BIT(c)) {
      const char *sep = k == 0 ? "" : k == total - 1 ? " and " : ", ";
      snprintf(out + strlen(out), len - strlen(out), "%s%s", sep, colls[c].name);
      k++;
    }
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

nvl_pipe nvl_pipe_of(const nvl_coll_spec *s) {
  /* chains need many more chunks than ranks to amortise their fill (n - 2 chunk times); trees
   * and NVLS fill in O(log n) or O(1) chunk times, so 64 chunks keep fill under ~2 % */
  bool is_chain = s->coll == NVL_COLL_BROADCAST || s->coll == NVL_COLL_REDUCE ||
                  (s->algo == NVL_ALGO_TREE && s->nodes < 2); /* one node's tree: a chain */
  int max_k = s->max_chunks ? s->max_chunks : is_chain ? (8 * s->n > 64 ? 8 * s->n : 64) : 64;
  nvl_pipe pm = {.scale = s->byte_scale > 0 ? s->byte_scale : 1.0,
                 .step_delay = s->step_delay_s,
                 .channels = s->ring_channels,
                 .chunk = s->ring_chunk_bytes,
                 .slices = s->ring_slices > 0 ? s->ring_slices : 1,
                 .slice_delay = s->slice_delay_s,
                 .chunks = nvl_coll_chunks(s->bytes, s->chunk_bytes, max_k)};
  if (is_chain && s->coll == NVL_COLL_ALL_REDUCE && s->tree_channels > 1)
    /* one node's tree: NCCL's channels each move a chunk per step of the chain, together one
     * step of channels x chunk */
    pm.chunks = nvl_coll_chunks(
        s->bytes, (s->chunk_bytes ? s->chunk_bytes : 524288) * (uint64_t)s->tree_channels, max_k);
  if ((s->algo == NVL_ALGO_NVLS || s->algo == NVL_ALGO_NVLSTREE) &&
      s->nvls_steps > 0) /* NCCL's steps, in at most max_k groups */
    pm.chunks = s->nvls_steps < (uint64_t)max_k ? (int)s->nvls_steps : max_k;
  return pm;
}

/* Heap place i of tree t and back (the mirror is its own inverse). */
static int dtree_place(int t, int i, int N) { return t % 2 == 0 ? i : N - 1 - i; }

int nvl_dtree_parent(int t, int k, int N) {
  int pos = dtree_place(t, k, N);
  return pos > 0 ? dtree_place(t, (pos - 1) / 2, N) : -1;
}

int nvl_dtree_child(int t, int k, int c, int N) {
  int cp = 2 * dtree_place(t, k, N) + 1 + c;
  return cp < N ? dtree_place(t, cp, N) : -1;
}

double nvl_part(uint64_t bytes, int k, int i) {
  uint64_t base = bytes / (uint64_t)k, rem = bytes % (uint64_t)k;
  return (double)(base + ((uint64_t)i < rem ? 1 : 0));
}

void nvl_send_step(nvl_program *p, const nvl_pipe *pm, int lane, int peer, double bytes,
                   bool step) {
  if (step && pm->step_delay > 0)
    nvl_program_op(p, lane, NVL_OP_DELAY, 0, pm->step_delay);
  nvl_program_op(p, lane, NVL_OP_SEND, peer, (double)(uint64_t)(bytes * pm->scale));
}

double nvl_net_hop(nvl_program *p, const nvl_coll_spec *s, int lane, double bytes, bool first) {
  if (first && s->net_step_delay_s > 0)
    nvl_program_op(p, lane, NVL_OP_DELAY, 0, s->net_step_delay_s);
  return (double)(uint64_t)(bytes * (s->net_byte_scale > 0 ? s->net_byte_scale : 1.0));
}

int *nvl_rank_lanes(nvl_program *p, int n) {
  int *lane = nvl_xcalloc((size_t)n + 1, sizeof(int));
  for (int r = 0; r < n; r++)
    lane[r] = nvl_program_lane(p, r, -1);
  return lane;
}
