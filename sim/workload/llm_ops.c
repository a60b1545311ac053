/*
 * llm_ops: the operations of an LLM step's compute steps, as Megatron-style training and
 * vLLM-style inference run them, and their time on a rank (llm_internal.h).
 *
 * Per layer and micro-batch of T tokens (S sequences), on a rank of a TP group of tp:
 *   attention block: [embedding, first layer only] RMSNorm, [FP8 cast], QKV projection (or
 *     MLA's q_a / q_b / kv_a / kv_b with their norms), RoPE, attention (flash, causal; decode
 *     reads the KV cache), [FP8 cast], output projection, residual add;
 *   dense MLP: RMSNorm, [cast], gate/up, SiLU x up (GELU), [cast], down, residual add;
 *   MoE, before the dispatch: RMSNorm, router GEMM, softmax/top-k, permute, [cast], the shared
 *     experts (gate/up, activation, down);
 *   routed experts on a rank: grouped gate/up and down GEMMs over the experts it holds that
 *     received tokens (tokens per expert = pairs / experts hit), the activation, [cast], then the
 *     unpermute with the combine weights and the residual add;
 *   output layer: final RMSNorm, LM head over vocab / tp (every token in training, one per
 *     sequence in inference), cross-entropy in training;
 *   optimizer (training, once per step): fused AdamW over the rank's shard, the gradient norm,
 *     the BF16 copy of the updated parameters.
 * With sequence parallelism the norms and adds see T / tp tokens. The router, the LM head and the
 * cross-entropy stay in BF16; GEMMs take --precision, attention --attn-precision, the KV cache
 * --kv-precision. Backward: each GEMM's dgrad (m x n by n x k) and wgrad (k x m by m x n), the
 * attention backward, each memory-bound operation's backward class (the same bytes, or the
 * norm's and the activation's own), in reverse order.
 */
#include <math.h>
#include <string.h>

#include "workload/llm_internal.h"

static nvl_kprec kprec(nvl_precision p) {
  return p == NVL_PREC_FP4 ? NVL_KP_FP4 : p == NVL_PREC_FP8 ? NVL_KP_FP8 : NVL_KP_BF16;
}

static void push(llm_ops *o, const nvl_kop *op) {
  if (o->n < LLM_MAX_OPS)
    o->op[o->n++] = *op;
}

static void gemm(llm_ops *o, nvl_precision p, double m, double n, double k) {
  nvl_kop op = {.kind = NVL_KOP_GEMM, .prec = kprec(p), .m = m, .n = n, .k = k, .groups = 1};
  push(o, &op);
}

static void mem(llm_ops *o, nvl_mem_class c, double bytes) {
  nvl_kop op = {.kind = NVL_KOP_MEM, .mem = c, .bytes = bytes};
  push(o, &op);
}

/* An FP8 (or FP4) GEMM's activation quantisation: BF16 read, low precision written. */
static void cast(llm_ops *o, const nvl_llm_layout *l, double elements) {
  if (l->precision != NVL_PREC_BF16)
    mem(o, NVL_MEM_CAST, elements * (2 + nvl_precision_bytes(l->precision)));
}

static void attention_block(const llm_shape *sh, long layer, llm_ops *o) {
  const nvl_llm *m = sh->m;
  const nvl_llm_layout *l = sh->lay;
  double T = sh->tokens_mb, h = (double)m->hidden, tp = (double)l->tp;
  double tn = l->sp ? T / tp : T; /* tokens the norms and adds see */
  double hq = (double)m->heads / tp;
  if (layer == 0)
    mem(o, NVL_MEM_EMBED, 4 * T * h);
  mem(o, NVL_MEM_RMSNORM, 4 * tn * h);
  cast(o, l, T * h);
  nvl_kop at = {
      .prec = kprec(l->attn_precision), .batch = sh->seqs_mb, .heads_q = hq, .flash2 = l->flash2};
  if (m->mla) {
    double qk = (double)(m->qk_nope + m->qk_rope), ql = (double)m->q_lora, kl = (double)m->kv_lora;
    gemm(o, l->precision, T, ql, h);
    gemm(o, l->precision, T, kl + (double)m->qk_rope, h);
    mem(o, NVL_MEM_RMSNORM, 4 * T * (ql + kl));
    gemm(o, l->precision, T, hq * qk, ql);
    gemm(o, l->precision, T, hq * (double)(m->qk_nope + m->v_head), kl);
    mem(o, NVL_MEM_ROPE, 4 * T * (hq + 1) * (double)m->qk_rope);
    at.heads_kv = hq;
    at.dim_qk = qk;
    at.dim_v = (double)m->v_head;
  } else {
    double d = (double)m->head_dim, hkv = ceil((double)m->kv_heads / tp);
    gemm(o, l->precision, T, (hq + 2 * hkv) * d, h);
    mem(o, NVL_MEM_ROPE, 4 * T * (hq + hkv) * d);
    at.heads_kv = hkv;
    at.dim_qk = at.dim_v = d;
  }
  if (l->mode == NVL_LLM_DECODE) {
    at.kind = NVL_KOP_ATTN_DECODE;
    at.seq = 1 + (double)l->mtp; /* the new token and the drafts, verified together */
    at.ctx = nvl_llm_keys(m, layer, l->seq, true); /* a sliding window reads its tokens only */
    at.kv_bytes = nvl_llm_kv_bytes_token(m, l);
    if (m->mla) { /* absorbed: every head attends to the latent */
      at.heads_kv = 1;
      at.dim_qk = (double)(m->kv_lora + m->qk_rope);
      at.dim_v = (double)m->kv_lora;
    }
  } else {
    at.kind = NVL_KOP_ATTN;
    at.seq = at.ctx = (double)l->seq;
    at.causal = true;
    if (nvl_llm_windowed(m, layer) && m->window < l->seq) { /* each query sees its window */
      at.causal = false;
      at.ctx = nvl_llm_keys(m, layer, l->seq, false);
    }
    double cp = (double)llm_cp(l);
    if (cp > 1 && !l->cp_a2a) /* the ring: 1/cp of the queries (load-balanced) over all keys */
      at.seq /= cp;
    else if (cp > 1) { /* Ulysses: whole sequences, 1/cp of the heads */
      at.heads_q /= cp;
      at.heads_kv = ceil(at.heads_kv / cp);
    }
  }
  push(o, &at);
  double dv = m->mla ? (double)m->v_head : (double)m->head_dim;
  cast(o, l, T * hq * dv);
  gemm(o, l->precision, T, h, hq * dv);
  mem(o, NVL_MEM_ADD, 6 * tn * h);
}

/* gate/up, activation, down over `tokens` tokens of an MLP of width `ffn` (already per rank). */
static void mlp(const llm_shape *sh, llm_ops *o, double tokens, double ffn) {
  const nvl_llm_layout *l = sh->lay;
  double h = (double)sh->m->hidden, mats = sh->m->mlp_mats ? (double)sh->m->mlp_mats : 3;
  cast(o, l, tokens * h);
  gemm(o, l->precision, tokens, (mats - 1) * ffn, h);
  mem(o, NVL_MEM_SILU_MUL, (mats == 3 ? 6 : 4) * tokens * ffn);
  cast(o, l, tokens * ffn);
  gemm(o, l->precision, tokens, h, ffn);
}

static void dense_mlp(const llm_shape *sh, llm_ops *o) {
  double T = sh->tokens_mb, h = (double)sh->m->hidden, tp = (double)sh->lay->tp;
  double tn = sh->lay->sp ? T / tp : T;
  mem(o, NVL_MEM_RMSNORM, 4 * tn * h);
  mlp(sh, o, T, (double)sh->m->ffn / tp);
  mem(o, NVL_MEM_ADD, 6 * tn * h);
}

static void moe_pre(const llm_shape *sh, llm_ops *o) {
  const nvl_llm *m = sh->m;
  double T = sh->tokens_mb, h = (double)m->hidden, tp = (double)sh->lay->tp;
  double tn = sh->lay->sp ? T / tp : T;
  mem(o, NVL_MEM_RMSNORM, 4 * tn * h);
  gemm(o, NVL_PREC_BF16, T, (double)m->experts, h);
  mem(o, NVL_MEM_ROUTER, 8 * T * (double)m->experts);
  double routed = T / tp * (double)m->top_k; /* this rank's share of the token copies */
  mem(o, NVL_MEM_PERMUTE, 4 * routed * h);
  cast(o, sh->lay, T / tp * h);
  if (m->shared && !sh->lay->shared_overlap)
    mlp(sh, o, T, (double)(m->shared * m->expert_ffn) / tp);
}

static void shared_experts(const llm_shape *sh, llm_ops *o) {
  const nvl_llm *m = sh->m;
  mlp(sh, o, sh->tokens_mb, (double)(m->shared * m->expert_ffn) / (double)sh->lay->tp);
}

static void experts_step(const llm_shape *sh, llm_ops *o, double work, double hit) {
  const nvl_llm_layout *l = sh->lay;
  /* with expert TP each rank holds a 1/etp slice of every expert's FFN width */
  double h = (double)sh->m->hidden, f = (double)sh->m->expert_ffn / (double)llm_etp(l);
  if (work > 0 && hit > 0) {
    double per = work / hit;
    cast(o, l, work * h);
    nvl_kop up = {.kind = NVL_KOP_GEMM,
                  .prec = kprec(l->precision),
                  .m = per,
                  .n = 2 * f,
                  .k = h,
                  .groups = hit};
    push(o, &up);
    mem(o, NVL_MEM_SILU_MUL, 6 * work * f);
    cast(o, l, work * f);
    nvl_kop down = up;
    down.n = h;
    down.k = f;
    push(o, &down);
    mem(o, NVL_MEM_PERMUTE, 4 * work * h);
  }
  double T = sh->tokens_mb, tp = (double)l->tp;
  mem(o, NVL_MEM_ADD, 6 * (l->sp ? T / tp : T) * h);
}

static void head(const llm_shape *sh, llm_ops *o) {
  const nvl_llm *m = sh->m;
  const nvl_llm_layout *l = sh->lay;
  double T = sh->tokens_mb, h = (double)m->hidden, v = (double)m->vocab / (double)l->tp;
  bool train = l->mode == NVL_LLM_TRAIN;
  /* prefill: the last position of each sequence; decode: every position (with MTP the drafts are
   * verified too) */
  double rows = train || l->mode == NVL_LLM_DECODE ? T : sh->seqs_mb;
  mem(o, NVL_MEM_RMSNORM, 4 * rows * h);
  gemm(o, NVL_PREC_BF16, rows, v, h);
  if (train)
    mem(o, NVL_MEM_CROSS_ENTROPY, 4 * T * v);
}

/* A multi-token-prediction module's input: the previous depth's hidden state and the next
 * token's embedding, each normalised, concatenated and projected 2h -> h (split by TP). */
static void mtp_input(const llm_shape *sh, llm_ops *o) {
  double T = sh->tokens_mb, h = (double)sh->m->hidden, tp = (double)sh->lay->tp;
  mem(o, NVL_MEM_EMBED, 4 * T * h);
  mem(o, NVL_MEM_RMSNORM, 2 * 4 * T * h);
  gemm(o, sh->lay->precision, T, h / tp, 2 * h);
}

static void optimizer(const llm_shape *sh, long stage, llm_ops *o) {
  double p = nvl_llm_shard_params(sh, stage);
  mem(o, NVL_MEM_GRAD_NORM, 4 * p);
  mem(o, NVL_MEM_ADAMW, 28 * p);
  mem(o, NVL_MEM_COPY, 6 * p); /* FP32 read, BF16 written */
}

/* The backward of a forward list, in reverse order. */
static void backward(const llm_ops *f, bool recompute_core, llm_ops *o) {
  for (int i = f->n - 1; i >= 0; i--) {
    nvl_kop op = f->op[i];
    switch (op.kind) {
    case NVL_KOP_GEMM: {
      nvl_kop dg = op, wg = op;
      dg.n = op.k, dg.k = op.n; /* dX = dY W^T */
      wg.m = op.k, wg.k = op.m; /* dW = X^T dY */
      push(o, &dg);
      push(o, &wg);
      break;
    }
    case NVL_KOP_ATTN:
      if (recompute_core) /* selective recomputation: the core's forward again, first */
        push(o, &op);
      op.kind = NVL_KOP_ATTN_BWD;
      push(o, &op);
      break;
    case NVL_KOP_MEM:
      if (op.mem == NVL_MEM_RMSNORM)
        op.mem = NVL_MEM_RMSNORM_BWD, op.bytes *= 1.5;
      else if (op.mem == NVL_MEM_SILU_MUL)
        op.mem = NVL_MEM_SILU_MUL_BWD, op.bytes *= 10.0 / 6;
      if (op.mem != NVL_MEM_CROSS_ENTROPY && op.mem != NVL_MEM_ROUTER)
        push(o, &op);
      break;
    default: break;
    }
  }
}

void nvl_llm_ops(const llm_shape *sh, llm_step_kind kind, long layer, long stage, bool bwd,
                 double work, double hit, llm_ops *out) {
  llm_ops f = {.n = 0};
  switch (kind) {
  case LS_ATTN: attention_block(sh, layer, &f); break;
  case LS_MLP: dense_mlp(sh, &f); break;
  case LS_MOE_PRE: moe_pre(sh, &f); break;
  case LS_SHARED: shared_experts(sh, &f); break;
  case LS_MTP: mtp_input(sh, &f); break;
  case LS_EXPERTS: experts_step(sh, &f, work, hit); break;
  case LS_HEAD: head(sh, &f); break;
  case LS_OPTIMIZER: optimizer(sh, stage, &f); break;
  }
  out->n = 0;
  if (bwd)
    backward(&f, sh->lay->recompute == NVL_RECOMPUTE_SELECTIVE, out);
  else
    *out = f;
}

double nvl_llm_ops_seconds(const llm_shape *sh, int rank, const llm_ops *ops, bool first) {
  const nvl_kernel_params *kp = &sh->mctx->kern;
  const nvl_chip *c = sh->rank_chip[rank];
  nvl_runtime rt = sh->lay->runtime;
  double kernel = 0, host = 0;
  for (int i = 0; i < ops->n; i++) {
    nvl_kop_time t = nvl_kop_price(kp, c, rt, &ops->op[i]);
    kernel += t.kernel_s;
    host += t.host_s;
  }
  /* a serving step's own host work (scheduling, and the graph's launch) comes before its kernels */
  double fixed = 0;
  if (first && sh->lay->mode != NVL_LLM_TRAIN)
    fixed = kp->step_host_s + (rt == NVL_RT_GRAPH ? kp->graph_launch_s : 0);
  return fixed + nvl_kernels_total(kernel, host);
}
