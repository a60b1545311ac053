/*
 * llm_internal: what the parts of the step builder share (llm_cost.c: FLOPs, bytes, memory and
 * the layout's checks; llm_route.c: MoE routing; llm_step.c: the graph).
 */
#ifndef NVL_LLM_INTERNAL_H
#define NVL_LLM_INTERNAL_H

#include <gsl/gsl_rng.h>

#include "workload/llm.h"

/* Per-token forward costs of one layer on one rank (FLOPs already divided by tp where TP splits
 * them), and the bytes of weights it reads. */
typedef struct {
  double attn_gemm, attn_core;        /* FLOPs per token (core at the layer's context length) */
  double attn_weights;                /* bytes read per micro-batch */
  double kv_read;                     /* bytes of KV cache read per sequence (decode) */
  double mlp_gemm, mlp_weights;       /* dense MLP (dense layers) */
  double router_gemm;                 /* MoE layers: the router (not split by TP) */
  double pre_gemm, pre_weights;       /* MoE layers: router and shared experts */
  double expert_gemm, expert_weights; /* one routed expert: per token, and its weights */
  double head_gemm, head_weights;     /* the output layer (last stage) */
} llm_costs;

/* The step's shape, derived once from model, layout and job. */
typedef struct {
  const nvl_llm *m;
  const nvl_llm_layout *lay;
  const nvl_design *d;
  const int *devs; /* [ranks]: device of each rank */
  int ranks, tpep, layers_stage;
  long slots, per_rank_slots; /* expert copies (experts + redundant), per EP rank */
  double seqs_mb;             /* sequences per micro-batch and EP rank */
  double tokens_mb;           /* tokens per micro-batch and EP rank */
  double ctx;                 /* context attended per token */
  double wbytes;              /* bytes per weight */
  llm_costs c;
} llm_shape;

static inline bool llm_moe_layer(const nvl_llm *m, long layer) {
  return m->moe && layer >= m->first_dense;
}

/* The global rank of (t, e, d, s). */
static inline int llm_rank(const llm_shape *sh, long t, long e, long d, long s) {
  const nvl_llm_layout *l = sh->lay;
  return (int)(t + l->tp * (e + l->ep * (d + l->dp * s)));
}

/* Checks the layout (specific errors) and fills the shape and the memory check. */
int nvl_llm_shape(const nvl_llm *m, const nvl_llm_layout *lay, const nvl_design *d,
                  const nvl_job *all, llm_shape *sh, nvl_llm_memory *mem, nvl_diags *diags);
/* Seconds of an operation of `gemm` and `attn` FLOPs reading `bytes` on the rank's endpoint. */
double nvl_llm_op_seconds(const llm_shape *sh, int rank, double gemm, double attn, double bytes);
/* Model FLOPs of the step (all ranks) and the tokens it processes or generates. */
void nvl_llm_totals(const llm_shape *sh, double *model_flops, double *tokens);

/* One MoE layer's routing within an EP group of ep ranks, each sending `tokens` tokens: tokens
 * from rank i that reach rank j (tok[i * ep + j], j != i: over the fabric), token-expert pairs
 * each rank computes (work[j]) and distinct experts hit on it (hit[j]). */
typedef struct {
  double *tok, *work, *hit;
} llm_routing;
void nvl_llm_route(const llm_shape *sh, double tokens, gsl_rng *rng, llm_routing *out);

#endif
