/*
 * llm: one step of an LLM (training, prefill or decode) as a workload graph on a design, so that
 * its compute and its tensor-, expert-, pipeline- and data-parallel traffic share the fabric.
 *
 * Model descriptions (the JSON files of models/llm, or a user's file of the same form): a decoder
 * of `layers` layers with GQA attention (or DeepSeek's MLA) and a SwiGLU MLP (or, with "mlp":
 * "gelu", a two-matrix GELU MLP of width ffn, as GPT and MPT have), or MoE layers of
 * routed experts (top_k of `experts`) plus shared experts after `first_dense_layers` dense ones.
 *
 * Layout (Megatron Core's, MoE parallel folding; workload/mesh.h): ranks = tp x dp x pp, laid
 * out over named dimensions in an order ("tp-cp-ep-dp-pp" by default: TP fastest-varying, PP
 * slowest). The dense layers are split over tp and run data-parallel over dp (each DP rank its
 * own sequences); the experts are a second mesh over the same ranks, etp x ep x edp x pp with
 * edp = ranks / (etp x ep x pp), so that an EP group may span TP groups (TP 2 x EP 8 on 16
 * ranks: EP over ranks 0-7 and 8-15) as DeepSeek's "DP attention" and Megatron's folding do.
 * Dense gradients are reduced over the dp ranks, expert gradients over the edp ranks. Ranks that
 * TP or EP groups couple within a stage form a stream: they step together (below); streams of a
 * stage are the job's independent replicas (serving instances).
 *
 * Approximations, stated:
 * - An operation is a step of a group: every rank of it starts together and the next step
 *   waits for the slowest (collectives synchronise anyway; compute of a stage is one step).
 * - Compute: a compute step is the operations a framework runs between two communications
 *   (llm_ops.c lists them: normalisations, GEMMs, RoPE, attention, activations, residual adds,
 *   router, permutes, FP8 casts, grouped expert GEMMs, LM head and cross-entropy, the optimizer),
 *   each priced by the kernel model (models/kernels.h) on its rank's chip; a step takes
 *   max(sum of kernels, sum of host dispatches) (eager and fused runtimes) or the kernels' sum
 *   (CUDA graphs). Backward is each operation's backward (a GEMM's dgrad and wgrad);
 *   recomputation only as the layout asks (nvl_llm_recompute): full re-runs each layer's forward
 *   (the first layer's embedding lookup with it) before its backward.
 * - TP: two all_reduces per layer forward and two backward (Megatron), or with sequence
 *   parallelism reduce_scatter + all_gather instead. Activations travel in BF16.
 * - EP: dispatch and combine as DeepEP's normal kernels: a token goes once to every rank that
 *   holds one of its top_k experts, FP8 (plus a 4-byte scale per 128 values) when the precision
 *   is FP8 or below, BF16 otherwise; combine returns BF16. An EP matrix's diagonal holds what
 *   a rank keeps (never sent; DeepEP's bandwidths count it), its size the busiest rank's sends.
 *   The exchange is DeepEP's direct copies (wgraph.h `direct`: the Simple data path's rate times
 *   DeepEP's share, no P2P channels), launched back to back with the step's other operations
 *   (no host launch interval). Routing is drawn per layer from a seeded GSL mt19937: uniform
 *   over experts, or Zipf with exponent `skew` over a random expert order (route_samples tokens
 *   per rank, scaled). Redundant experts copy the hottest ones and split their tokens evenly.
 *   The shared expert does not overlap the dispatch.
 * - PP: activations (and in training their gradients) between stages, 1F1B order (GPipe
 *   forward-only for inference), so the bubble is what the schedule leaves idle.
 * - DP: ZeRO-1 as Megatron's distributed optimizer: gradients reduce_scatter in buckets of
 *   dp_bucket_params as the last micro-batch's backward frees them (overlapping backward), then
 *   the updated parameters all_gather at the end of the step (not overlapped). BF16 throughout.
 *   ZeRO-3 (zero 3, PyTorch FSDP's FULL_SHARD): each layer's parameters all_gather before it
 *   runs, prefetched one layer ahead, in forward and again in backward, and its gradients
 *   reduce_scatter after its backward, every micro-batch; operations on one data-parallel
 *   communicator run in order; no all_gather at the end.
 * - Memory: weights + gradients (4 B) + Adam state (12 B, sharded over the data-parallel ranks;
 *   with ZeRO-3 weights and gradients too, plus two gathered layers)
 *   + activations (34 bytes x tokens x hidden per layer, / tp with sequence parallelism;
 *   Korthikanti et al. 2022) of the micro-batches 1F1B keeps in flight; inference: weights + KV
 *   cache at `seq` tokens per sequence.
 */
#ifndef NVL_LLM_H
#define NVL_LLM_H

#include <stdbool.h>
#include <stdint.h>

#include "base/diag.h"
#include "design/design.h"
#include "models/context.h"
#include "models/kernels.h"
#include "workload/wgraph.h"
#include "workload/workload.h"

/* The most layers a model may have (its file, validate-model's moe_layers: its message says
 * 16384). */
#define NVL_LLM_MAX_LAYERS 16384

typedef struct {
  char name[64];
  char source[512];
  long layers, hidden, ffn, heads, kv_heads, head_dim, vocab;
  long context; /* the longest sequence it takes (max_position_embeddings), 0: not given */
  nvl_precision precision; /* the published one: --precision's default */
  int mlp_mats;            /* weight matrices of the dense MLP: 3 (SwiGLU) or 2 (GELU) */
  bool mla;                /* DeepSeek's multi-head latent attention */
  long q_lora, kv_lora, qk_nope, qk_rope, v_head;
  bool moe;
  long experts, shared, top_k, expert_ffn, first_dense;
  /* sliding-window attention: layers first, first + every, ... attend to the last `window`
   * tokens only (window 0: none) */
  long window, window_every, window_first;
  bool parallel_block;  /* attention and MLP side by side on one input (GPT-J, PaLM) */
  long mtp;             /* multi-token-prediction modules the model was trained with (0: none) */
  bool tied_embeddings; /* the output layer's weights are the embedding's */
} nvl_llm;

/* Whether the model's layer g attends through its sliding window. */
static inline bool nvl_llm_windowed(const nvl_llm *m, long g) {
  return m->window > 0 && g >= m->window_first && (g - m->window_first) % m->window_every == 0;
}
/* Keys a query of layer g attends to, on average: a whole sequence of seq tokens (causal: query
 * i sees min(i, window) keys) or, in decode, one new token over a context of seq. */
static inline double nvl_llm_keys(const nvl_llm *m, long g, long seq, bool decode) {
  double S = (double)seq, w = nvl_llm_windowed(m, g) ? (double)m->window : S;
  if (decode)
    return S < w ? S : w;
  return S <= w ? (S + 1) / 2 : (w * (w + 1) / 2 + (S - w) * w) / S;
}

/* Loads "builtin:NAME" or a file. Returns 0, or -1 with a diagnostic (NVL_DIAG_IO for a file
 * that cannot be read). */
int nvl_llm_load(const char *what, nvl_llm *m, nvl_diags *diags);
/* Names of the built-in models, space-separated. */
void nvl_llm_builtin_names(char *buf, size_t len);

typedef enum { NVL_LLM_TRAIN, NVL_LLM_PREFILL, NVL_LLM_DECODE } nvl_llm_mode;
const char *nvl_llm_mode_name(nvl_llm_mode m);
int nvl_llm_mode_parse(const char *s, nvl_llm_mode *out);

/* Training's activation recomputation, as Megatron's: none; selective (the attention core, run
 * forward again before its backward); full (each layer's forward run again before its backward,
 * only the layer's input kept). */
typedef enum { NVL_RECOMPUTE_NONE, NVL_RECOMPUTE_SELECTIVE, NVL_RECOMPUTE_FULL } nvl_llm_recompute;
const char *nvl_llm_recompute_name(nvl_llm_recompute r);
int nvl_llm_recompute_parse(const char *s, nvl_llm_recompute *out);

/* The order of the mesh's dimensions, Megatron's default: TP fastest-varying. */
#define NVL_LLM_ORDER "tp-cp-ep-dp-pp"

typedef struct {
  nvl_llm_mode mode;
  long tp, ep, pp, dp, microbatches; /* dp: the dense layers' data-parallel size (Megatron's) */
  long etp; /* expert tensor parallelism (0 or 1: whole experts per rank) */
  long cp;  /* context parallelism (0 or 1: none): a sequence's tokens over cp ranks */
  long vp;  /* model chunks per pipeline rank (0 or 1: none): interleaved 1F1B */
  long first_layers, last_layers; /* layers of the first and last (virtual) stage (0: even) */
  bool cp_a2a;    /* CP as Ulysses' all-to-all (heads split), not Megatron's KV ring (p2p) */
  char order[32]; /* the mesh's order (NVL_LLM_ORDER) */
  long batch;     /* sequences of the whole job per step (decode: sequences generating a token) */
  long seq;       /* tokens per sequence (decode: the context each new token attends to) */
  nvl_precision precision;                    /* GEMMs' */
  nvl_precision attn_precision, kv_precision; /* attention's math and the KV cache's */
  nvl_runtime runtime;    /* how the step's kernels are launched (models/kernels.h) */
  bool flash2;            /* attention by FlashAttention-2, not the runtime's own kernel */
  bool ep_low_latency;    /* the EP exchange by DeepEP's low-latency kernels (decode's), not its
                             normal ones (workload/llm_step.c) */
  bool sp;                /* sequence parallelism (TP reduce_scatter + all_gather) */
  bool shared_overlap;    /* shared experts computed beside the dispatch, not before it */
  long mtp;               /* multi-token prediction: modules trained (train) or tokens drafted
                             per step (decode); 0: none */
  double mtp_accept;      /* decode: the chance each drafted token is accepted */
  double capacity;        /* MoE token dropping: an expert's capacity factor (0: no dropping) */
  bool tbo;               /* inference: two-batch overlap (each micro-batch as two halves whose
                             exchanges overlap each other's compute: DeepSeek's) */
  long redundant_experts; /* extra expert copies so that ep divides experts + this */
  long node_groups;       /* a token's experts on at most this many of its EP group's nodes (0:
                             any): DeepSeek's group-limited routing with a group per node */
  int zero;               /* training: 1 (Megatron's distributed optimizer) or 3 (FSDP) */
  nvl_llm_recompute recompute; /* training's activation recomputation */
  double skew;                 /* routing: 0 uniform, else the Zipf exponent */
  unsigned long seed;
} nvl_llm_layout;

/* What each operation of a step is, for the breakdown. */
typedef enum {
  NVL_LD_COMPUTE,
  NVL_LD_TP,
  NVL_LD_EP,
  NVL_LD_PP,
  NVL_LD_DP,
  NVL_LD_CP,
  NVL_LD__COUNT
} nvl_llm_dim;
const char *nvl_llm_dim_name(nvl_llm_dim d);

/* What an EP operation is, for DeepEP-style bandwidths: a forward dispatch or combine. */
typedef enum { NVL_LR_NONE, NVL_LR_DISPATCH, NVL_LR_COMBINE } nvl_llm_role;

typedef struct {
  double weights, grads, optimizer, activations, kv_cache, total, capacity; /* bytes, one rank */
  int rank;                                                                 /* the fullest */
} nvl_llm_memory;

typedef struct {
  nvl_wgraph g;
  uint8_t *dim;  /* [op]: nvl_llm_dim */
  uint8_t *role; /* [op]: nvl_llm_role */
  /* [op]: a forward dispatch's or combine's figures, 1 + their offset in g.vals (0: none): per
   * rank of its EP group, the bytes DeepEP counts for its NVLink figure (tokens received, or sent
   * back, own ones included), then those it counts for its RDMA figure (tokens once per
   * destination node, its own node included; 0 inside one node) */
  size_t *ep_fig;
  int **job_ranks;     /* [job]: the job's ranks (0 .. ranks-1) */
  double model_flops;  /* per step, all ranks: 6 N-style model FLOPs (train) or 2 N (inference) */
  double tokens;       /* per step: processed (train, prefill) or generated (decode) */
  double power_W;      /* of the job's endpoints */
  double peak_flops;   /* of the job's endpoints at the precision */
  int ranks, replicas; /* replicas: streams of a stage, independent model copies (decode: serving
                          instances) */
  nvl_llm_memory mem;
} nvl_llm_step;

/* Checks the layout against the model and the resolved job (spec->jobs[0]: the ranks), fills the
 * memory check, then builds the step: jobs appended to spec, operations into st->g. Returns 0,
 * or -1 with a diagnostic (NVL_DIAG_SCHEMA for a layout that cannot run, NVL_DIAG_LIMIT for one
 * that does not fit in memory). */
int nvl_llm_step_build(const nvl_model_ctx *ctx, const nvl_llm *m, const nvl_llm_layout *lay,
                       const nvl_design *d, nvl_workload_spec *spec, nvl_llm_step *st,
                       nvl_diags *diags);
void nvl_llm_step_release(nvl_llm_step *st, size_t n_jobs);

#endif
