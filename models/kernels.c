/*
 * kernels: see kernels.h.
 */
#include "models/kernels.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/json.h"
#include "base/names.h"
#include "base/units.h"
#include "models/profile.h"

static const char *const runtime_names[NVL_RT__COUNT] = {"eager", "fused", "graph"};
static const char *const mem_names[NVL_MEM__COUNT] = {
    "copy",   "rmsnorm", "rmsnorm_bwd", "silu_mul", "silu_mul_bwd",  "add",   "rope",
    "router", "permute", "cast",        "embed",    "cross_entropy", "adamw", "grad_norm"};
static const char *const prec_names[NVL_KP__COUNT] = {"bf16", "fp8", "fp4"};

const char *nvl_runtime_name(nvl_runtime r) { return r < NVL_RT__COUNT ? runtime_names[r] : "?"; }

int nvl_runtime_parse(const char *s, nvl_runtime *out) {
  int i = nvl_names_find(runtime_names, NVL_RT__COUNT, s, false);
  if (i >= 0)
    *out = (nvl_runtime)i;
  return i >= 0 ? 0 : -1;
}

const char *nvl_mem_class_name(nvl_mem_class c) { return c < NVL_MEM__COUNT ? mem_names[c] : "?"; }

int nvl_mem_class_parse(const char *s, nvl_mem_class *out) {
  int i = nvl_names_find(mem_names, NVL_MEM__COUNT, s, false);
  if (i >= 0)
    *out = (nvl_mem_class)i;
  return i >= 0 ? 0 : -1;
}

/* ---- loading models/compute.json ---- */

/* A value's "value" member (the compute.json form of a sourced scalar). */
static double sourced(nvl_jreader *r, json_t *root, const char *key, double lo, double hi) {
  return nvl_jr_num(r, json_object_get(root, key), key, "value", lo, hi);
}

static void load_gemm(nvl_jreader *r, json_t *g, const char *where, nvl_arch_params *a) {
  json_t *eff = json_object_get(g, "efficiency");
  char w[160];
  snprintf(w, sizeof w, "%s/efficiency", where);
  for (int p = 0; p < NVL_KP__COUNT; p++)
    a->gemm_eff[p] =
        json_object_get(eff, prec_names[p]) ? nvl_jr_num(r, eff, w, prec_names[p], 0.01, 1) : 0;
  if (!(a->gemm_eff[NVL_KP_BF16] > 0))
    nvl_jr_fail(r, "%s: needs a bf16 efficiency", w);
  a->k_ramp = nvl_jr_num(r, g, where, "k_ramp", 0, 1e5);
  a->split_k_min = nvl_jr_num(r, g, where, "split_k_min", 16, 1e6);
  a->wave_quant = nvl_jr_num(r, g, where, "wave_quantization", 0, 1);
  json_t *tiles = json_object_get(g, "tiles");
  size_t n = json_array_size(tiles);
  if (n < 1 || n > 4) {
    nvl_jr_fail(r, "%s/tiles: 1 to 4 [m, n, relative efficiency] rows", where);
    return;
  }
  a->n_tiles = (int)n;
  for (size_t i = 0; i < n; i++) {
    json_t *t = json_array_get(tiles, i);
    double v[3];
    for (int j = 0; j < 3; j++)
      v[j] = json_number_value(json_array_get(t, (size_t)j));
    if (json_array_size(t) != 3 || !(v[0] >= 8 && v[0] <= 1024) || !(v[1] >= 8 && v[1] <= 1024) ||
        !(v[2] > 0.05 && v[2] <= 2)) {
      nvl_jr_fail(r, "%s/tiles/%zu: not [m 8..1024, n 8..1024, relative efficiency 0.05..2]", where,
                  i);
      return;
    }
    a->tile_m[i] = v[0], a->tile_n[i] = v[1], a->tile_eff[i] = v[2];
  }
}

static void load_arch(nvl_jreader *r, const char *name, json_t *o, nvl_arch_params *a) {
  char w[64];
  snprintf(w, sizeof w, "architectures/%s", name);
  snprintf(a->name, sizeof a->name, "%s", name);
  a->sms = (int)nvl_jr_num(r, o, w, "sms", 1, 4096);
  a->clock_hz = nvl_jr_num(r, o, w, "clock_mhz", 100, 1e4) * 1e6;
  a->sfu_per_clk = nvl_jr_num(r, o, w, "sfu_per_clock", 1, 1024);
  a->kernel_s = nvl_jr_time(r, o, w, "kernel_floor", 1e-3);
  a->hbm_eff = nvl_jr_num(r, o, w, "hbm_efficiency", 0.05, 1);
  a->decode_eff = nvl_jr_num(r, o, w, "decode_efficiency", 0.05, 1);
  char gw[128];
  snprintf(gw, sizeof gw, "%s/gemm", w);
  load_gemm(r, json_object_get(o, "gemm"), gw, a);
  json_t *at = json_object_get(o, "attention");
  char aw[128];
  snprintf(aw, sizeof aw, "%s/attention", w);
  a->attn_eff[NVL_RT_EAGER] = nvl_jr_num(r, at, aw, "eager", 0.01, 1);
  a->attn_eff[NVL_RT_FUSED] = a->attn_eff[NVL_RT_GRAPH] = nvl_jr_num(r, at, aw, "fused", 0.01, 1);
  a->attn_bwd_eff[NVL_RT_EAGER] = nvl_jr_num(r, at, aw, "backward_eager", 0.01, 1);
  a->attn_bwd_eff[NVL_RT_FUSED] = a->attn_bwd_eff[NVL_RT_GRAPH] =
      nvl_jr_num(r, at, aw, "backward_fused", 0.01, 1);
  a->flash2_eff = nvl_jr_num(r, at, aw, "flash2", 0.01, 1);
  a->flash2_bwd_eff = nvl_jr_num(r, at, aw, "flash2_backward", 0.01, 1);
  a->attn_seq_ramp = nvl_jr_num(r, at, aw, "seq_ramp", 0, 1e6);
  a->attn_dim_ramp = nvl_jr_num(r, at, aw, "dim_ramp", 0, 1e4);
  a->softmax_exposed = nvl_jr_num(r, at, aw, "softmax_exposed", 0, 2);
}

static void load_mem(nvl_jreader *r, json_t *ops, nvl_mem_params *m) {
  for (int c = 0; c < NVL_MEM__COUNT; c++) {
    json_t *o = json_object_get(ops, mem_names[c]);
    char w[64];
    snprintf(w, sizeof w, "memory_ops/%s", mem_names[c]);
    if (!o) {
      nvl_jr_fail(r, "%s: missing", w);
      return;
    }
    for (int rt = 0; rt < NVL_RT_GRAPH; rt++) {
      json_t *pair = json_object_get(o, runtime_names[rt]);
      double tr = json_number_value(json_array_get(pair, 0));
      double la = json_number_value(json_array_get(pair, 1));
      if (json_array_size(pair) != 2 || !(tr >= 0.5 && tr <= 100) || !(la >= 0 && la <= 1000) ||
          la != floor(la)) {
        nvl_jr_fail(r, "%s/%s: not [traffic 0.5..100, kernels 0..1000]", w, runtime_names[rt]);
        return;
      }
      m[c].traffic[rt] = tr;
      m[c].launches[rt] = (int)la;
    }
    m[c].traffic[NVL_RT_GRAPH] = m[c].traffic[NVL_RT_FUSED];
    m[c].launches[NVL_RT_GRAPH] = m[c].launches[NVL_RT_FUSED];
  }
}

int nvl_kernel_params_load(nvl_kernel_params *p, const char *json, size_t len, char *err,
                           size_t errlen) {
  memset(p, 0, sizeof *p);
  nvl_jreader r = {.err = err, .len = errlen};
  json_t *root = nvl_jr_root(&r, json, len);
  if (!root)
    return -1;
  json_t *host = json_object_get(root, "host");
  p->host_launch_s = nvl_jr_time(&r, host, "host", "launch", 1e-2);
  p->host_fp8_gemm_s = nvl_jr_time(&r, host, "host", "fp8_gemm_launch", 1e-2);
  p->host_fused_s = nvl_jr_time(&r, host, "host", "fused_launch", 1e-2);
  p->graph_launch_s = nvl_jr_time(&r, host, "host", "graph_launch", 1e-2);
  p->step_host_s = nvl_jr_time(&r, host, "host", "inference_step", 1);
  json_t *archs = json_object_get(root, "architectures");
  const char *name;
  json_t *o;
  json_object_foreach(archs, name, o) {
    if (p->n_arch == NVL_MAX_ARCHS) {
      nvl_jr_fail(&r, "architectures: at most %d", NVL_MAX_ARCHS);
      break;
    }
    load_arch(&r, name, o, &p->arch[p->n_arch++]);
  }
  if (p->n_arch == 0 || !nvl_kernel_arch(p, "generic"))
    nvl_jr_fail(&r, "architectures: needs \"generic\" (the parameters of a chip that names none)");
  load_mem(&r, json_object_get(root, "memory_ops"), p->mem);
  p->dp_bucket_params = sourced(&r, root, "dp_bucket_params", 1, 1e12);
  p->route_samples = sourced(&r, root, "route_samples", 1, 1e7);
  json_decref(root);
  return r.failed ? -1 : 0;
}

const nvl_arch_params *nvl_kernel_arch(const nvl_kernel_params *p, const char *name) {
  for (int i = 0; i < p->n_arch; i++)
    if (strcmp(p->arch[i].name, name) == 0)
      return &p->arch[i];
  return NULL;
}

/* ---- the mechanism ---- */

static double prec_bytes(nvl_kprec p) {
  /* FP4 (NVFP4): half a byte, plus an FP8 scale per 16 values */
  return p == NVL_KP_FP4 ? 0.5 + 1.0 / 16 : p == NVL_KP_FP8 ? 1.0 : 2.0;
}

double nvl_kop_flops(const nvl_kop *op) {
  switch (op->kind) {
  case NVL_KOP_GEMM: return 2 * op->m * op->n * op->k * op->groups;
  case NVL_KOP_ATTN:
  case NVL_KOP_ATTN_DECODE: {
    /* QK^T and PV; a causal pass computes (ctx + 1) / 2 keys per query on average */
    double keys = op->causal ? (op->ctx + 1) / 2 : op->ctx;
    return 2 * op->batch * op->heads_q * op->seq * keys * (op->dim_qk + op->dim_v);
  }
  case NVL_KOP_ATTN_BWD: {
    double keys = op->causal ? (op->ctx + 1) / 2 : op->ctx;
    /* recompute QK^T, then dV, dP, dQ, dK: 2.5 times the forward */
    return 2.5 * 2 * op->batch * op->heads_q * op->seq * keys * (op->dim_qk + op->dim_v);
  }
  default: return 0;
  }
}

static double hbm_rate(const nvl_chip *c) {
  return c->hbm_Bps * (c->hbm_eff > 0 ? c->hbm_eff : c->arch->hbm_eff);
}

/* The GPU time of a GEMM's math: the best tile shape's waves. */
static double gemm_math_s(const nvl_chip *c, const nvl_kop *op, double m, double groups) {
  const nvl_arch_params *a = c->arch;
  double eff = c->gemm_eff[op->prec] > 0 ? c->gemm_eff[op->prec] : a->gemm_eff[op->prec];
  double per_sm = c->flops[op->prec] / c->sms, best = INFINITY;
  for (int i = 0; i < a->n_tiles; i++) {
    double tiles = groups * ceil(m / a->tile_m[i]) * ceil(op->n / a->tile_n[i]);
    double split = 1;
    if (tiles < c->sms)
      split = fmax(1, fmin(floor(c->sms / tiles), floor(op->k / a->split_k_min)));
    /* a partial last wave costs a whole one, less what stream-K spreads over the others */
    double w = tiles * split / c->sms, kk = op->k / split;
    double waves = a->wave_quant * ceil(w) + (1 - a->wave_quant) * w;
    double e = eff * a->tile_eff[i] * kk / (kk + a->k_ramp);
    double t = waves * a->tile_m[i] * a->tile_n[i] * kk * 2 / (per_sm * e);
    best = fmin(best, t);
  }
  return best;
}

/* One dispatch of an operation from the host under runtime rt. */
static double host_cost(const nvl_kernel_params *kp, nvl_runtime rt, bool fp8_gemm) {
  if (rt == NVL_RT_GRAPH)
    return 0;
  if (rt == NVL_RT_FUSED)
    return kp->host_fused_s;
  return fp8_gemm ? kp->host_fp8_gemm_s : kp->host_launch_s;
}

static nvl_kop_time gemm(const nvl_kernel_params *kp, const nvl_chip *c, nvl_runtime rt,
                         const nvl_kop *op) {
  const nvl_arch_params *a = c->arch;
  bool fp8 = op->prec != NVL_KP_BF16;
  double host = host_cost(kp, rt, fp8);
  double ib = prec_bytes(op->prec);
  nvl_kop_time t = {0, 0};
  if (op->loop) { /* one kernel per group */
    double mem = ((op->m * op->k + op->k * op->n) * ib + op->m * op->n * 2) / hbm_rate(c);
    t.kernel_s = op->groups * (a->kernel_s + fmax(gemm_math_s(c, op, op->m, 1), mem));
    t.host_s = op->groups * host;
    return t;
  }
  double mem =
      op->groups * ((op->m * op->k + op->k * op->n) * ib + op->m * op->n * 2) / hbm_rate(c);
  t.kernel_s = a->kernel_s + fmax(gemm_math_s(c, op, op->m, op->groups), mem);
  t.host_s = host;
  return t;
}

/* Attention efficiency at this shape. */
static double attn_eff(const nvl_chip *c, nvl_runtime rt, const nvl_kop *op, bool bwd) {
  const nvl_arch_params *a = c->arch;
  double e = op->flash2 ? (bwd ? a->flash2_bwd_eff : a->flash2_eff)
             : bwd      ? a->attn_bwd_eff[rt]
                        : a->attn_eff[rt];
  if (c->attn_eff > 0) /* a type's own forward efficiency scales both */
    e *= c->attn_eff / a->attn_eff[NVL_RT_FUSED];
  double d = (op->dim_qk + op->dim_v) / 2, dr = a->attn_dim_ramp;
  e *= (d / (d + dr)) / (128 / (128 + dr));
  e *= op->seq / (op->seq + a->attn_seq_ramp);
  return fmin(e, 1);
}

static nvl_kop_time attention(const nvl_kernel_params *kp, const nvl_chip *c, nvl_runtime rt,
                              const nvl_kop *op) {
  const nvl_arch_params *a = c->arch;
  bool bwd = op->kind == NVL_KOP_ATTN_BWD;
  nvl_kprec p = c->flops[op->prec] > 0 ? op->prec : NVL_KP_BF16;
  double flops = nvl_kop_flops(op);
  double t_mma = flops / (c->flops[p] * attn_eff(c, rt, op, bwd));
  /* one exponential per score (recomputed in backward) at the SFU rate, the exposed share of it
   * added to the MMAs' time */
  double keys = op->causal ? (op->ctx + 1) / 2 : op->ctx;
  double t_sfu = op->batch * op->heads_q * op->seq * keys / c->sfu_rate;
  /* Q, K, V, O (and their gradients) streamed once */
  double io = op->batch *
              (op->seq * op->heads_q * (op->dim_qk + op->dim_v) +
               op->ctx * op->heads_kv * (op->dim_qk + op->dim_v)) *
              2 * (bwd ? 2.5 : 1);
  nvl_kop_time t = {a->kernel_s + fmax(t_mma + a->softmax_exposed * t_sfu, io / hbm_rate(c)),
                    host_cost(kp, rt, false) * (bwd ? 2 : 1)};
  return t;
}

static nvl_kop_time decode(const nvl_kernel_params *kp, const nvl_chip *c, nvl_runtime rt,
                           const nvl_kop *op) {
  const nvl_arch_params *a = c->arch;
  double bytes = op->batch * op->ctx * op->kv_bytes;
  nvl_kprec p = c->flops[op->prec] > 0 ? op->prec : NVL_KP_BF16;
  double t_mem = bytes / (c->hbm_Bps * a->decode_eff);
  double t_math = nvl_kop_flops(op) / (c->flops[p] * a->attn_eff[NVL_RT_FUSED]);
  nvl_kop_time t = {a->kernel_s + fmax(t_mem, t_math), host_cost(kp, rt, false)};
  return t;
}

static nvl_kop_time memory_op(const nvl_kernel_params *kp, const nvl_chip *c, nvl_runtime rt,
                              const nvl_kop *op) {
  const nvl_mem_params *m = &kp->mem[op->mem];
  int n = m->launches[rt];
  nvl_kop_time t = {n * c->arch->kernel_s + m->traffic[rt] * op->bytes / hbm_rate(c),
                    n * host_cost(kp, rt, false)};
  return t;
}

static bool no_work(const nvl_kop *op) {
  switch (op->kind) {
  case NVL_KOP_GEMM: return !(op->m > 0 && op->n > 0 && op->k > 0 && op->groups > 0);
  case NVL_KOP_ATTN:
  case NVL_KOP_ATTN_BWD:
  case NVL_KOP_ATTN_DECODE:
    return !(op->batch > 0 && op->seq > 0 && op->ctx > 0 && op->heads_q > 0);
  default: return !(op->bytes > 0);
  }
}

nvl_kop_time nvl_kop_mechanism(const nvl_kernel_params *kp, const nvl_chip *c, nvl_runtime rt,
                               const nvl_kop *op) {
  nvl_kop_time none = {0, 0};
  if (no_work(op))
    return none;
  switch (op->kind) {
  case NVL_KOP_GEMM: return gemm(kp, c, rt, op);
  case NVL_KOP_ATTN:
  case NVL_KOP_ATTN_BWD: return attention(kp, c, rt, op);
  case NVL_KOP_ATTN_DECODE: return decode(kp, c, rt, op);
  case NVL_KOP_MEM: return memory_op(kp, c, rt, op);
  default: return none;
  }
}

nvl_kop_time nvl_kop_price(const nvl_kernel_params *kp, const nvl_chip *c, nvl_runtime rt,
                           const nvl_kop *op) {
  nvl_kop_time t = nvl_kop_mechanism(kp, c, rt, op);
  if (c->profile && t.kernel_s > 0) {
    t.kernel_s *= nvl_profile_ratio(c->profile, op);
    if (rt == NVL_RT_EAGER) /* the table's host floor is eager PyTorch's on its machine */
      t.host_s *= nvl_profile_host_ratio(c->profile, op);
  }
  return t;
}
