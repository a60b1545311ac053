/*
 * kernels: the time of one GPU operation on one chip, by mechanism. An LLM step's compute is the
 * operations a framework runs (workload/llm_ops.c lists them); each is priced here from its shape,
 * its precision and the chip, never from a whole-layer fraction.
 *
 * - GEMM (m x k times k x n, or `groups` of them in one grouped kernel): the output is cut into
 *   tiles, tiles run in waves over the chip's SMs (split along k when there are too few tiles to
 *   fill it; a partial last wave costs a whole one, less the share a stream-K schedule spreads
 *   over the full waves), each wave at the SM's share of the peak times an asymptotic efficiency
 * per precision and a pipeline ramp in k (k / (k + k_ramp)); the kernel streams its operands at
 *   least once, so it is never faster than its bytes at the achieved memory bandwidth (small m is
 *   memory-bound). The best of the architecture's tile shapes is taken, as cuBLAS's heuristic
 *   would. Plus a per-kernel floor.
 * - Attention (flash-style, forward or backward, causal or not, GQA or MLA head shapes): its FLOPs
 *   at the architecture's attention efficiency (one for the eager runtime's kernels, one for a
 *   framework's, one for FlashAttention-2 where a step asks for it), ramped by sequence length
 *   and head dimension, and never faster than the
 *   softmax's exponentials at the SFU rate (Blackwell's forward is SFU-bound; Blackwell Ultra
 *   doubles the SFU). Decode attention reads the KV cache: bytes at the achieved bandwidth, or its
 *   FLOPs where they dominate (MLA's absorbed attention).
 * - Memory-bound operations (normalisation, activations, residual adds, RoPE, router top-k, MoE
 *   permutes, FP8 casts, embedding, cross-entropy, the optimizer): their minimum bytes times a
 *   traffic factor (what an unfused or fused implementation really moves) at the achieved
 *   bandwidth, plus a floor per kernel.
 *
 * Launch: on the eager runtime every operation costs the host `launches` dispatches of
 * host_launch_s each (PyTorch eager: one per torch operation); on a framework's fused runtime
 * fewer, fused kernels; under CUDA graphs none (one graph launch per step instead). A sequence of
 * operations takes max(sum of kernel times, sum of host times): the host runs ahead of the GPU
 * while kernels are long and the GPU waits for it while they are short (nvl_kernels_total).
 *
 * Parameters come per architecture from models/compute.json (each with its source: fitted to the
 * H200 operation table for Hopper, public kernel figures for Ampere and Blackwell, or marked an
 * estimate), and a chip may carry a measured operation table (models/profile.h) that corrects
 * the mechanism towards its own measurements.
 */
#ifndef NVL_KERNELS_H
#define NVL_KERNELS_H

#include <stdbool.h>
#include <stddef.h>

/* Number formats of tensor-core math (the catalog's names). */
typedef enum { NVL_KP_BF16, NVL_KP_FP8, NVL_KP_FP4, NVL_KP__COUNT } nvl_kprec;

/* How operations are launched. */
typedef enum {
  NVL_RT_EAGER, /* unfused PyTorch operations, one host dispatch each */
  NVL_RT_FUSED, /* a framework's fused kernels (Megatron/Transformer Engine, vLLM), dispatched */
  NVL_RT_GRAPH, /* the same kernels replayed from a CUDA graph: no host cost per kernel */
  NVL_RT__COUNT
} nvl_runtime;
const char *nvl_runtime_name(nvl_runtime r);
int nvl_runtime_parse(const char *s, nvl_runtime *out);

/* Memory-bound operation classes (models/compute.json "memory_ops" has one row each). */
typedef enum {
  NVL_MEM_COPY,          /* a device-to-device copy */
  NVL_MEM_RMSNORM,       /* normalisation forward */
  NVL_MEM_RMSNORM_BWD,   /* its backward */
  NVL_MEM_SILU_MUL,      /* SwiGLU's silu(gate) x up (or GELU), forward */
  NVL_MEM_SILU_MUL_BWD,  /* its backward */
  NVL_MEM_ADD,           /* residual add */
  NVL_MEM_ROPE,          /* rotary embedding of q and k */
  NVL_MEM_ROUTER,        /* router softmax and top-k */
  NVL_MEM_PERMUTE,       /* MoE token permute / unpermute and weighted combine */
  NVL_MEM_CAST,          /* FP8 quantisation (cast and amax) */
  NVL_MEM_EMBED,         /* embedding lookup */
  NVL_MEM_CROSS_ENTROPY, /* softmax cross-entropy over the vocabulary, forward and backward */
  NVL_MEM_ADAMW,         /* fused AdamW over FP32 states */
  NVL_MEM_GRAD_NORM,     /* gradient norm (clipping) */
  NVL_MEM__COUNT
} nvl_mem_class;
const char *nvl_mem_class_name(nvl_mem_class c);
int nvl_mem_class_parse(const char *s, nvl_mem_class *out);

typedef enum {
  NVL_KOP_GEMM,
  NVL_KOP_ATTN,        /* flash attention forward */
  NVL_KOP_ATTN_BWD,    /* its backward */
  NVL_KOP_ATTN_DECODE, /* one new token per sequence against a KV cache */
  NVL_KOP_MEM,
  NVL_KOP__COUNT
} nvl_kop_kind;

/* One operation. Sizes are doubles (token counts can be fractional averages). */
typedef struct {
  nvl_kop_kind kind;
  nvl_kprec prec; /* GEMM operands; attention math */
  /* GEMM: groups x (m x k) @ (k x n); loop true: one kernel per group (a Python loop) */
  double m, n, k, groups;
  bool loop;
  /* attention: batch sequences of seq query tokens attending to ctx tokens each (ctx = seq for
   * prefill and training; causal halves the work), heads_q query heads over heads_kv KV heads,
   * dim_qk and dim_v per head; decode reads kv_bytes per cached token and sequence */
  double batch, seq, ctx, heads_q, heads_kv, dim_qk, dim_v, kv_bytes;
  bool causal;
  bool flash2; /* computed by FlashAttention-2 rather than the runtime's attention kernel */
  /* memory-bound: its class and the minimum bytes it must move */
  nvl_mem_class mem;
  double bytes;
} nvl_kop;

/* An architecture's parameters (models/compute.json "architectures"). */
typedef struct {
  char name[32];
  int sms;                        /* default SM count (a catalog type may give its own) */
  double clock_hz;                /* default SM clock */
  double sfu_per_clk;             /* exponentials per SM per clock */
  double kernel_s;                /* GPU floor of any kernel */
  double hbm_eff;                 /* achieved share of the HBM bandwidth by streaming kernels */
  double gemm_eff[NVL_KP__COUNT]; /* asymptotic GEMM efficiency per precision (0: none) */
  double k_ramp;                  /* GEMM pipeline ramp, elements of k */
  int n_tiles;
  double tile_m[4], tile_n[4], tile_eff[4]; /* tile shapes and their relative efficiency */
  double split_k_min;                       /* the least k a split-k slice keeps */
  double wave_quant; /* share of a partial last wave paid whole (1: none hidden; stream-K < 1) */
  double attn_eff[NVL_RT__COUNT];     /* forward attention efficiency of the BF16 peak */
  double attn_bwd_eff[NVL_RT__COUNT]; /* backward's */
  double flash2_eff, flash2_bwd_eff;  /* FlashAttention-2's, forward and backward */
  double attn_seq_ramp;               /* tokens: efficiency x seq / (seq + ramp) */
  double attn_dim_ramp;               /* head dim: relative to 128 */
  double softmax_exposed; /* share of the exponentials' SFU time not hidden under the MMAs */
  double decode_eff;      /* decode attention's share of HBM bandwidth */
} nvl_arch_params;

/* One memory-bound class: traffic factor and kernels per runtime (models/compute.json). */
typedef struct {
  double traffic[NVL_RT__COUNT];
  int launches[NVL_RT__COUNT];
} nvl_mem_params;

#define NVL_MAX_ARCHS 8

typedef struct {
  nvl_arch_params arch[NVL_MAX_ARCHS];
  int n_arch;
  nvl_mem_params mem[NVL_MEM__COUNT];
  double host_launch_s;   /* one eager PyTorch dispatch from the host */
  double host_fused_s;    /* one dispatch of a framework's fused kernel */
  double host_fp8_gemm_s; /* an eager FP8 GEMM's dispatch (scales, torch._scaled_mm) */
  double graph_launch_s;  /* one CUDA graph launch */
  double step_host_s;     /* per inference step on the host (scheduling, sampling) */
  double dp_bucket_params, route_samples;
} nvl_kernel_params;

/* Fills p from the JSON text of models/compute.json's form. Returns 0, or -1 with the first
 * problem (a key path and what is wrong) in err. */
int nvl_kernel_params_load(nvl_kernel_params *p, const char *json, size_t len, char *err,
                           size_t errlen);
/* The architecture named, or NULL. */
const nvl_arch_params *nvl_kernel_arch(const nvl_kernel_params *p, const char *name);

struct nvl_profile_fit;

/* A chip as the kernel model sees it. */
typedef struct {
  const nvl_arch_params *arch;
  double flops[NVL_KP__COUNT]; /* dense peaks (0: not supported) */
  double hbm_Bps;
  int sms;
  double sfu_rate;                       /* exponentials per second, whole chip */
  double gemm_eff[NVL_KP__COUNT];        /* 0: the architecture's */
  double attn_eff, hbm_eff;              /* 0: the architecture's */
  const struct nvl_profile_fit *profile; /* its measured operation table, or NULL */
} nvl_chip;

/* The time of one operation. */
typedef struct {
  double kernel_s; /* on the GPU */
  double host_s;   /* host dispatches (0 under CUDA graphs) */
} nvl_kop_time;

/* Prices op on chip under runtime rt (every time finite and >= 0; an operation of no work costs
 * nothing). The FLOPs are returned in *flops when not NULL. */
nvl_kop_time nvl_kop_price(const nvl_kernel_params *kp, const nvl_chip *c, nvl_runtime rt,
                           const nvl_kop *op);
/* The mechanism alone, without the chip's profile (what the profile's ratios correct). */
nvl_kop_time nvl_kop_mechanism(const nvl_kernel_params *kp, const nvl_chip *c, nvl_runtime rt,
                               const nvl_kop *op);
/* FLOPs of an operation (a multiply-add counts 2; causal attention counts the half it computes). */
double nvl_kop_flops(const nvl_kop *op);

/* Seconds of a sequence of operations whose kernel and host times sum to the given totals. */
static inline double nvl_kernels_total(double kernel_s, double host_s) {
  return kernel_s > host_s ? kernel_s : host_s;
}

#endif
