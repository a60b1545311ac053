/*
 * llm_attn: a layer's attention block in the step's graph (llm_build.h), with its context-parallel
 * exchange when cp > 1 (each rank holding 1/cp of every sequence's tokens):
 * - Megatron's ring attention (cp_comm_type "p2p", the default): each rank's K and V travel
 *   around the CP ring, cp - 1 hops, while the rank computes attention on the chunks it holds, so
 *   the exchange overlaps the block: one step of the compute and, beside it, an all_gather of the
 *   K and V (the ring's bytes: cp x the rank's); in backward K and V again and their gradients
 *   back (an all_gather and a reduce_scatter beside the backward). Chunks are load-balanced for
 *   the causal mask (2 cp chunks, rank i holding i and 2 cp - 1 - i), so every rank computes
 *   1/cp of the attention (llm_ops.c: seq / cp queries over the whole context).
 * - Ulysses' all-to-all (--cp-comm a2a): Q, K and V all-to-all before attention (each rank then
 *   holds whole sequences for 1/cp of its heads) and the output all-to-all after, not overlapped;
 *   in backward the same two in reverse order.
 * The exchange is BF16. An all-to-all's size is what a rank sends and keeps (nccl-tests').
 */
#include <math.h>

#include "workload/llm_build.h"

/* Per token of one rank: the widths (elements) of its K and V, of Q, K and V, and of the
 * attention's output. */
static void widths(const llm_shape *sh, double *kv, double *qkv, double *out) {
  const nvl_llm *m = sh->m;
  double tp = (double)sh->lay->tp, hq = (double)m->heads / tp;
  if (m->mla) { /* K and V after the up-projection: every head its own */
    double qk = (double)(m->qk_nope + m->qk_rope), v = (double)m->v_head;
    *kv = hq * (qk + v);
    *qkv = hq * (2 * qk + v);
    *out = hq * v;
  } else {
    double d = (double)m->head_dim, hkv = ceil((double)m->kv_heads / tp);
    *kv = 2 * hkv * d;
    *qkv = (hq + 2 * hkv) * d;
    *out = hq * d;
  }
}

/* One step of stream (q, s): `extra` (the block's compute, or NULL) beside one collective per CP
 * group (coll, or a second one coll2 >= 0 beside it), bytes each. */
static void cp_step(builder *b, long q, long s, const nvl_wop *extra, nvl_coll coll, int coll2,
                    double bytes) {
  size_t ds = (size_t)(q * b->sh->lay->pp + s);
  nvl_lb_step_begin(b, ds, -1);
  if (extra)
    nvl_lb_step_add(b, (nvl_wop *)extra, NVL_LD_COMPUTE);
  for (int x = 0; x < (coll2 >= 0 ? 2 : 1); x++)
    for (int g = 0; g < b->ncp; g++) {
      nvl_wop op = {.kind = NVL_WOP_COLLECTIVE,
                    .job = b->cp_job[ds * (size_t)b->ncp + (size_t)g],
                    .coll = x ? (nvl_coll)coll2 : coll,
                    .bytes = (uint64_t)bytes};
      nvl_lb_step_add(b, &op, NVL_LD_CP);
    }
  nvl_lb_step_end(b, ds);
}

void nvl_lb_attention(builder *b, long q, long s, long layer, bool bwd) {
  const llm_shape *sh = b->sh;
  long cp = llm_cp(sh->lay);
  if (cp == 1) {
    nvl_lb_compute(b, q, s, LS_ATTN, layer, bwd, NULL, NULL);
    return;
  }
  double kv, qkv, out, T = sh->tokens_mb;
  widths(sh, &kv, &qkv, &out);
  if (sh->lay->cp_a2a) {
    cp_step(b, q, s, NULL, NVL_COLL_ALLTOALL, -1, 2 * T * (bwd ? out : qkv));
    nvl_lb_compute(b, q, s, LS_ATTN, layer, bwd, NULL, NULL);
    cp_step(b, q, s, NULL, NVL_COLL_ALLTOALL, -1, 2 * T * (bwd ? qkv : out));
    return;
  }
  nvl_wop op = nvl_lb_compute_op(b, q, s, LS_ATTN, layer, bwd, NULL, NULL);
  cp_step(b, q, s, &op, NVL_COLL_ALL_GATHER, bwd ? (int)NVL_COLL_REDUCE_SCATTER : -1,
          2 * T * kv * (double)cp);
}
