/*
 * llm_cost: FLOPs and bytes of a layer (llm_internal.h), the layout's checks, and the memory
 * check. FLOPs count a multiply-add as 2; GEMM FLOPs per token are twice the weights touched.
 * Attention's core (QK^T and AV) attends to nvl_llm_keys tokens: (seq + 1) / 2 on average under
 * the causal mask when a whole sequence is processed, the context length `seq` in decode, at
 * most the window on a sliding-window layer (whose KV cache holds the window's tokens only).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"
#include "workload/llm_internal.h"

#define ERR(...) nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_SCHEMA, NULL, __VA_ARGS__)

/* Attention weights of one layer (parameters) and core FLOPs per token per context token. */
static void attention_shape(const nvl_llm *m, double *params, double *core_per_ctx) {
  double h = (double)m->hidden;
  if (m->mla) {
    double qk = (double)(m->qk_nope + m->qk_rope), H = (double)m->heads;
    *params = h * (double)m->q_lora + (double)m->q_lora * H * qk +
              h * (double)(m->kv_lora + m->qk_rope) +
              (double)m->kv_lora * H * (double)(m->qk_nope + m->v_head) + H * (double)m->v_head * h;
    *core_per_ctx = 2.0 * H * qk + 2.0 * H * (double)m->v_head;
    return;
  }
  double q = (double)(m->heads * m->head_dim), kv = (double)(m->kv_heads * m->head_dim);
  *params = h * (q + 2 * kv) + q * h;
  *core_per_ctx = 4.0 * q;
}

/* KV cache bytes per token and layer on one rank, in the cache's precision. MLA caches the
 * compressed latent (kv_lora + rope), which TP does not split. */
double nvl_llm_kv_bytes_token(const nvl_llm *m, const nvl_llm_layout *l) {
  double b = nvl_precision_bytes(l->kv_precision);
  if (m->mla)
    return (double)(m->kv_lora + m->qk_rope) * b;
  double heads = ceil((double)m->kv_heads / (double)l->tp);
  return 2.0 * heads * (double)m->head_dim * b;
}

static void costs(llm_shape *sh) {
  const nvl_llm *m = sh->m;
  const nvl_llm_layout *l = sh->lay;
  double h = (double)m->hidden, tp = (double)l->tp, w = sh->wbytes, ap, core;
  attention_shape(m, &ap, &core);
  llm_costs *c = &sh->c;
  c->attn_gemm = 2 * ap / tp;
  c->attn_core = core / tp; /* per key attended (nvl_llm_keys) */
  c->attn_weights = ap / tp * w;
  double mats = m->mlp_mats ? (double)m->mlp_mats : 3;
  c->mlp_gemm = 2 * mats * h * (double)m->ffn / tp;
  c->mlp_weights = mats * h * (double)m->ffn / tp * w;
  if (m->moe) {
    double e = 3 * h * (double)m->expert_ffn;
    c->router_gemm = 2 * h * (double)m->experts;
    c->pre_gemm = c->router_gemm + 2 * e * (double)m->shared / tp;
    c->pre_weights = (h * (double)m->experts + e * (double)m->shared / tp) * w;
    c->expert_gemm = 2 * e;
    c->expert_weights = e * w;
  }
  c->head_gemm = 2 * h * (double)m->vocab / tp;
}

static double layer_params(const llm_shape *sh, long layer, bool experts) {
  const nvl_llm *m = sh->m;
  double ap, core, h = (double)m->hidden;
  attention_shape(m, &ap, &core);
  if (!llm_moe_layer(m, layer))
    return experts ? 0 : ap + (m->mlp_mats ? m->mlp_mats : 3) * h * (double)m->ffn;
  double e = 3 * h * (double)m->expert_ffn;
  return experts ? e * (double)sh->slots : ap + h * (double)m->experts + e * (double)m->shared;
}

/* The layers stage s holds (every chunk's, and on the last stage the MTP modules'), into out
 * (room for layers_all). Returns their count. */
static long stage_layers(const llm_shape *sh, long s, long *out) {
  long n = 0;
  for (long vs = s; vs < sh->vstages; vs += sh->lay->pp)
    for (long k = sh->vfirst[vs]; k < sh->vfirst[vs + 1]; k++)
      out[n++] = k;
  for (long k = sh->m->layers; s == sh->lay->pp - 1 && k < sh->layers_all; k++)
    out[n++] = k;
  return n;
}

/* The parameters of an MTP module's projection (2h -> h), split by TP. */
static double mtp_proj(const llm_shape *sh) {
  return 2.0 * (double)sh->m->hidden * (double)sh->m->hidden / (double)sh->lay->tp;
}

double nvl_llm_shard_params(const llm_shape *sh, long s) {
  const nvl_llm_layout *l = sh->lay;
  double dense = 0, expert = 0, tp = (double)l->tp;
  long *ks = nvl_xmalloc((size_t)sh->layers_all * sizeof *ks), n = stage_layers(sh, s, ks);
  for (long i = 0; i < n; i++) {
    dense += layer_params(sh, ks[i], false) / tp + (ks[i] >= sh->m->layers ? mtp_proj(sh) : 0);
    expert += layer_params(sh, ks[i], true) / (double)(l->ep * llm_etp(l));
  }
  free(ks);
  if (s == 0 || s == l->pp - 1)
    dense += (double)sh->m->hidden * (double)sh->m->vocab / tp *
             (l->pp == 1 && !sh->m->tied_embeddings ? 2 : 1);
  return dense / (double)(l->dp * llm_cp(l)) + expert / (double)sh->edp;
}

/* Bytes one rank of stage s holds; *cap its endpoint's memory. */
static void rank_memory(const llm_shape *sh, long s, nvl_llm_memory *mm) {
  const nvl_llm_layout *l = sh->lay;
  const nvl_llm *m = sh->m;
  double dense = 0, expert = 0, tp = (double)l->tp, h = (double)m->hidden, biggest = 0;
  double layers = 0, v = (double)(sh->vstages / l->pp), kv_tokens = 0;
  long *ks = nvl_xmalloc((size_t)sh->layers_all * sizeof *ks), n = stage_layers(sh, s, ks);
  for (long i = 0; i < n; i++, layers++) {
    long k = ks[i];
    bool win = nvl_llm_windowed(m, k) && m->window < l->seq; /* a window holds its tokens */
    kv_tokens += win ? (double)m->window : (double)l->seq;
    dense += layer_params(sh, k, false) / tp + (k >= m->layers ? mtp_proj(sh) : 0);
    expert += layer_params(sh, k, true) / (double)(l->ep * llm_etp(l));
    biggest = fmax(biggest, layer_params(sh, k, false) / tp +
                                layer_params(sh, k, true) / (double)(l->ep * llm_etp(l)));
  }
  free(ks);
  if (s == 0 || s == l->pp - 1)
    dense += h * (double)m->vocab / tp * (l->pp == 1 && !m->tied_embeddings ? 2 : 1);
  memset(mm, 0, sizeof *mm);
  if (l->mode == NVL_LLM_TRAIN) {
    /* BF16 weights, FP32 gradients, Adam sharded (ZeRO-1); ZeRO-3 shards weights and
     * gradients too and holds two gathered layers (the one running and the one prefetched) */
    double shard = dense / (double)(l->dp * llm_cp(l)) + expert / (double)sh->edp;
    bool z3 = l->zero == 3;
    mm->weights = z3 ? 2 * shard + 2 * 2 * biggest : 2 * (dense + expert);
    mm->grads = z3 ? 4 * shard + 4 * biggest : 4 * (dense + expert);
    mm->optimizer = 12 * shard;
    double per_layer = l->sp ? 34.0 * sh->tokens_mb * h / tp : (10 + 24 / tp) * sh->tokens_mb * h;
    /* micro-batches in flight when the stage's first backward starts (llm_sched.c: its warm-up
     * forwards and one more), each holding one chunk's layers: v = 1, min(pp - s, m) whole
     * stages; interleaved, 2 (pp - s - 1) + (v - 1) pp + 1 chunks (Korthikanti et al.: the
     * first stage holds 1 + (pp - 1) / (pp v) times 1F1B's) */
    double pp = (double)l->pp, mv = (double)l->microbatches * v;
    double inflight = v == 1 ? fmin(pp - (double)s, mv)
                             : fmin(2 * (pp - (double)s - 1) + (v - 1) * pp + 1, mv) / v;
    if (l->recompute == NVL_RECOMPUTE_FULL) {
      /* each layer keeps its BF16 input (split by TP under SP); the layer being recomputed holds
       * its whole activations once (Korthikanti et al. 2022: 2sbh per layer, and one layer's
       * 34sbh/t) */
      double input = 2.0 * sh->tokens_mb * h / (l->sp ? tp : 1);
      mm->activations = input * layers * inflight + per_layer;
    } else { /* selective: with flash attention no scores are kept to drop (nvlsim's attention) */
      mm->activations = per_layer * layers * inflight;
    }
  } else {
    mm->weights = sh->wbytes * (dense + expert);
    double seqs = sh->seqs_mb * (double)l->microbatches * (l->tbo ? 2.0 : 1.0);
    mm->kv_cache = seqs * kv_tokens / (double)llm_cp(l) * nvl_llm_kv_bytes_token(m, l);
  }
  mm->total = mm->weights + mm->grads + mm->optimizer + mm->activations + mm->kv_cache;
}

static int check_ranks(const llm_shape *sh, const nvl_job *all, nvl_diags *diags) {
  const nvl_llm_layout *l = sh->lay;
  for (int r = 0; r < sh->ranks; r++) {
    const nvl_endpoint_type *et = &sh->d->endpoint_types[sh->d->devices[all->devs[r]].type];
    if (!(et->compute.flops[l->precision] > 0)) {
      ERR("rank %d (%s, type %s) has no %s rate in the catalog: choose --precision %s or give "
          "the type a compute.%s",
          r, sh->d->devices[all->devs[r]].name, et->name, nvl_precision_name(l->precision),
          et->compute.flops[NVL_PREC_BF16] > 0 ? "bf16" : "of a rate it has",
          nvl_precision_name(l->precision));
      return -1;
    }
    if (!(et->compute.flops[NVL_PREC_BF16] > 0)) {
      ERR("rank %d (%s, type %s) has no bf16 rate: the router, the LM head and attention run in "
          "BF16 (give the type a compute.bf16)",
          r, sh->d->devices[all->devs[r]].name, et->name);
      return -1;
    }
    if (!(et->compute.hbm_Bps > 0 && et->compute.hbm_bytes > 0)) {
      ERR("rank %d (type %s) has no memory figures (compute.hbm, compute.hbm_bandwidth)", r,
          et->name);
      return -1;
    }
  }
  return 0;
}

static int check_layout(const nvl_llm *m, const nvl_llm_layout *l, int n, nvl_diags *diags) {
  long prod, cp = llm_cp(l);
  char dims[96]; /* the product's sizes as said in messages (cp when over 1) */
  if (cp > 1)
    snprintf(dims, sizeof dims, "tp %ld x cp %ld x pp %ld x dp %ld", l->tp, cp, l->pp, l->dp);
  else
    snprintf(dims, sizeof dims, "tp %ld x pp %ld x dp %ld", l->tp, l->pp, l->dp);
  if (__builtin_mul_overflow(l->tp, l->pp, &prod) || __builtin_mul_overflow(prod, l->dp, &prod) ||
      __builtin_mul_overflow(prod, cp, &prod) || prod > n || l->ep > n || llm_etp(l) > n) {
    ERR("%s (ep %ld, etp %ld) exceeds the job's %d ranks", dims, l->ep, llm_etp(l), n);
    return -1;
  }
  if (prod != n) {
    ERR("%s = %ld ranks, but the job has %d (place it with --ranks or -g)", dims, prod, n);
    return -1;
  }
  if (l->cp < 0 || (cp > 1 && l->mode == NVL_LLM_DECODE))
    return ERR("cp %ld: context parallelism splits a sequence's tokens, and a decode step has one "
               "per sequence (leave cp out)",
               l->cp),
           -1;
  if (cp > 1 && !l->cp_a2a && l->seq % (2 * cp))
    return ERR("cp %ld: seq %ld is not a multiple of 2 x cp (Megatron's ring attention splits each "
               "sequence into 2 x cp chunks to balance the causal mask)",
               cp, l->seq),
           -1;
  if (cp > 1 && l->cp_a2a && (m->heads / l->tp) % cp)
    return ERR("cp %ld: the all-to-all (Ulysses) splits the %ld heads of a TP rank over cp; cp "
               "must "
               "divide them",
               cp, m->heads / l->tp),
           -1;
  if (l->etp < 0 || l->tp % llm_etp(l))
    return ERR("etp %ld does not divide tp %ld", l->etp, l->tp), -1;
  if (l->zero != 0 && l->zero != 1 && l->zero != 3)
    return ERR("zero %d: the data-parallel sharding is 1 (ZeRO-1, Megatron's distributed "
               "optimizer) or 3 (FSDP's full shard)",
               l->zero),
           -1;
  if (l->zero == 3 && l->mode != NVL_LLM_TRAIN)
    return ERR("zero 3 shards training state; %s has none (leave zero out)",
               nvl_llm_mode_name(l->mode)),
           -1;
  if (m->heads % l->tp || m->ffn % l->tp)
    return ERR("tp %ld does not divide the model's %ld heads and FFN size %ld", l->tp, m->heads,
               m->ffn),
           -1;
  if (!m->mla && m->kv_heads % l->tp && l->tp % m->kv_heads)
    return ERR("tp %ld and the %ld KV heads: one must divide the other", l->tp, m->kv_heads), -1;
  if (l->mtp < 0 || l->mtp > 16 || (l->mtp && l->mode == NVL_LLM_PREFILL) ||
      (l->mtp && l->mode == NVL_LLM_DECODE && m->mtp == 0))
    return ERR("mtp %ld: multi-token prediction trains 0 to 16 modules, or in decode drafts with "
               "the model's own (%s has %ld)",
               l->mtp, m->name, m->mtp),
           -1;
  if (l->mtp && l->mode == NVL_LLM_DECODE && !(l->mtp_accept >= 0 && l->mtp_accept <= 1))
    return ERR("mtp acceptance %g is not a chance from 0 to 1", l->mtp_accept), -1;
  if (l->tbo && (l->mode == NVL_LLM_TRAIN || (l->batch / l->dp) / l->microbatches < 2))
    return ERR("two-batch overlap splits an inference micro-batch of at least 2 sequences per "
               "data-parallel rank in two (batch %ld over dp %ld x %ld micro-batches)",
               l->batch, l->dp, l->microbatches),
           -1;
  if (!(l->capacity >= 0 && l->capacity <= 1000))
    return ERR("capacity factor %g is not from 0 to 1000", l->capacity), -1;
  if (l->ep > 1 && !m->moe)
    return ERR("ep %ld needs a mixture-of-experts model (%s has no \"moe\")", l->ep, m->name), -1;
  if (m->moe && l->redundant_experts > m->experts)
    return ERR("--redundant-experts %ld exceeds the %ld experts", l->redundant_experts, m->experts),
           -1;
  if (m->moe && (m->experts + l->redundant_experts) % l->ep) {
    long r = (l->ep - m->experts % l->ep) % l->ep;
    return ERR("ep %ld does not divide the %ld routed experts%s: use an ep that divides them, or "
               "--redundant-experts %ld (copies of the hottest experts, as DeepSeek deploys)",
               l->ep, m->experts, l->redundant_experts ? " plus the redundant ones" : "", r),
           -1;
  }
  if (l->batch % l->dp || (l->batch / l->dp) % l->microbatches)
    return ERR("batch %ld does not split into dp %ld data-parallel ranks x %ld micro-batches",
               l->batch, l->dp, l->microbatches),
           -1;
  return 0;
}

void nvl_llm_chip(const nvl_model_ctx *ctx, const nvl_compute *c, nvl_chip *chip) {
  memset(chip, 0, sizeof *chip);
  chip->arch = nvl_kernel_arch(&ctx->kern, c->arch[0] ? c->arch : "generic");
  if (!chip->arch)
    chip->arch = nvl_kernel_arch(&ctx->kern, "generic");
  for (int p = 0; p < NVL_PREC__COUNT; p++) {
    chip->flops[p] = c->flops[p];
    chip->gemm_eff[p] = c->gemm_eff[p];
  }
  chip->hbm_Bps = c->hbm_Bps;
  chip->sms = c->sms ? c->sms : chip->arch->sms;
  double clock = c->clock_hz > 0 ? c->clock_hz : chip->arch->clock_hz;
  chip->sfu_rate = chip->arch->sfu_per_clk * chip->sms * clock;
  chip->attn_eff = c->attn_eff;
  chip->hbm_eff = c->hbm_eff;
}

static void make_chips(llm_shape *sh) {
  const nvl_design *d = sh->d;
  sh->chips = nvl_xcalloc(d->n_endpoint_types + 1, sizeof *sh->chips);
  sh->fits = nvl_xcalloc(d->n_endpoint_types + 1, sizeof *sh->fits);
  sh->rank_chip = nvl_xcalloc((size_t)sh->ranks + 1, sizeof *sh->rank_chip);
  bool *used = nvl_xcalloc(d->n_endpoint_types + 1, sizeof *used);
  for (int r = 0; r < sh->ranks; r++) {
    int t = d->devices[sh->devs[r]].type;
    const nvl_compute *c = &d->endpoint_types[t].compute;
    if (!used[t]) {
      used[t] = true;
      nvl_llm_chip(sh->mctx, c, &sh->chips[t]);
      if (c->profile > 0) {
        sh->fits[t] =
            nvl_profile_fit_new(&d->profiles[c->profile - 1], &sh->mctx->kern, &sh->chips[t]);
        sh->chips[t].profile = sh->fits[t];
      }
    }
    sh->rank_chip[r] = &sh->chips[t];
  }
  free(used);
}

void nvl_llm_shape_release(llm_shape *sh) {
  if (sh->fits)
    for (size_t t = 0; t < sh->d->n_endpoint_types; t++)
      nvl_profile_fit_free(sh->fits[t]);
  free(sh->fits);
  free(sh->chips);
  free((void *)sh->rank_chip);
  free(sh->vfirst);
  sh->vfirst = NULL;
  nvl_llm_meshes_release(sh);
  sh->fits = NULL;
  sh->chips = NULL;
  sh->rank_chip = NULL;
}

int nvl_llm_shape(const nvl_model_ctx *ctx, const nvl_llm *m, const nvl_llm_layout *l,
                  const nvl_design *d, const nvl_job *all, llm_shape *sh, nvl_llm_memory *mem,
                  nvl_diags *diags) {
  memset(sh, 0, sizeof *sh);
  sh->mctx = ctx;
  sh->m = m;
  sh->lay = l;
  sh->d = d;
  sh->devs = all->devs;
  sh->ranks = all->n;
  sh->layers_all = m->layers + l->mtp;
  if (check_layout(m, l, all->n, diags) != 0 || nvl_llm_stages(sh, diags) != 0 ||
      check_ranks(sh, all, diags) != 0 || nvl_llm_meshes(sh, diags) != 0) {
    nvl_llm_shape_release(sh);
    return -1;
  }
  sh->slots = m->moe ? m->experts + l->redundant_experts : 0;
  sh->per_rank_slots = m->moe ? sh->slots / l->ep : 0;
  /* two-batch overlap: each micro-batch in two halves (llm_step.c), each of half its sequences */
  sh->seqs_mb = (double)l->batch / (double)(l->dp * l->microbatches) / (l->tbo ? 2.0 : 1.0);
  /* CP: each rank its 1/cp of every sequence; decode with MTP: each sequence's new token and the
   * drafted ones, verified together */
  sh->tokens_mb = sh->seqs_mb *
                  (l->mode == NVL_LLM_DECODE ? 1.0 + (double)l->mtp : (double)l->seq) /
                  (double)llm_cp(l);
  sh->wbytes = l->mode == NVL_LLM_TRAIN ? 2.0 : nvl_precision_bytes(l->precision);
  costs(sh);
  memset(mem, 0, sizeof *mem);
  for (long s = 0; s < l->pp; s++) {
    nvl_llm_memory mm;
    rank_memory(sh, s, &mm);
    for (long k = 0; k < (long)sh->streams * sh->stream_size; k++) {
      int r = llm_rank(sh, k / sh->stream_size, s, k % sh->stream_size);
      double cap = d->endpoint_types[d->devices[all->devs[r]].type].compute.hbm_bytes;
      if (mem->capacity == 0 || mm.total / cap > mem->total / mem->capacity) {
        *mem = mm;
        mem->capacity = cap;
        mem->rank = r;
      }
    }
  }
  if (mem->total > mem->capacity) {
    /* enough digits that the need and the capacity print apart (not "186.0 GB of its 186.0") */
    int dig = 1;
    char need[48], cap[48];
    do {
      snprintf(need, sizeof need, "%.*f", dig, mem->total / 1e9);
      snprintf(cap, sizeof cap, "%.*f", dig, mem->capacity / 1e9);
    } while (strcmp(need, cap) == 0 && ++dig < 9);
    nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_LIMIT, NULL,
                 "the layout does not fit: rank %d needs %s GB (weights %.1f, gradients %.1f, "
                 "optimizer %.1f, activations %.1f, KV cache %.1f) of its %s GB",
                 mem->rank, need, mem->weights / 1e9, mem->grads / 1e9, mem->optimizer / 1e9,
                 mem->activations / 1e9, mem->kv_cache / 1e9, cap);
    nvl_llm_shape_release(sh);
    return -1;
  }
  make_chips(sh);
  return 0;
}

void nvl_llm_totals(const llm_shape *sh, double *model_flops, double *tokens) {
  const nvl_llm *m = sh->m;
  const nvl_llm_layout *l = sh->lay;
  const llm_costs *c = &sh->c;
  double tp = (double)l->tp, per_token = c->head_gemm * tp;
  bool decode = l->mode == NVL_LLM_DECODE;
  /* each MTP module: its projection, its layer (below) and the shared output layer */
  per_token += (double)l->mtp * (c->head_gemm * tp + 2 * 2 * (double)m->hidden * (double)m->hidden);
  for (long k = 0; k < m->layers + l->mtp; k++) {
    per_token += (c->attn_gemm + c->attn_core * nvl_llm_keys(m, k, l->seq, decode)) * tp;
    per_token += llm_moe_layer(m, k) ? (c->pre_gemm - c->router_gemm) * tp + c->router_gemm +
                                           c->expert_gemm * (double)m->top_k
                                     : c->mlp_gemm * tp;
  }
  double toks = (double)l->batch * (l->mode == NVL_LLM_DECODE ? 1.0 : (double)l->seq);
  /* decode with MTP: 1 + mtp positions per sequence computed; tokens generated 1 + a + ... + a^n,
   * each draft accepted with chance a when those before it were */
  double a = l->mtp_accept, per_step = 1;
  for (long i = 1; decode && i <= l->mtp; i++)
    per_step += pow(a, (double)i);
  *tokens = decode ? toks * per_step : toks;
  *model_flops = per_token * toks * (decode ? 1.0 + (double)l->mtp : 1.0) *
                 (l->mode == NVL_LLM_TRAIN ? 3.0 : 1.0);
}
