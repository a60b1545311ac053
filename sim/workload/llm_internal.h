/*
 * llm_internal: what the parts of the step builder share (llm_cost.c: FLOPs, bytes, memory and
 * the layout's checks; llm_route.c: MoE routing; llm_step.c: the graph).
 */
#ifndef NVL_LLM_INTERNAL_H
#define NVL_LLM_INTERNAL_H

#include <gsl/gsl_rng.h>

#include "models/profile.h"
#include "workload/mesh.h"
#include "workload/llm.h"

/* Per-token forward FLOPs of one layer on one rank (divided by tp where TP splits them), for the
 * step's model FLOPs, and the bytes of its weights, for the data-parallel gradients and
 * parameters (the compute itself is priced operation by operation: llm_ops.c). */
typedef struct {
  double attn_gemm, attn_core;        /* FLOPs per token (core at the layer's context length) */
  double attn_weights;                /* bytes */
  double mlp_gemm, mlp_weights;       /* dense MLP (dense layers) */
  double router_gemm;                 /* MoE layers: the router (not split by TP) */
  double pre_gemm, pre_weights;       /* MoE layers: router and shared experts */
  double expert_gemm, expert_weights; /* one routed expert: per token, and its weights */
  double head_gemm;                   /* the output layer (last stage) */
} llm_costs;

/* The step's shape, derived once from model, layout and job. */
typedef struct {
  const nvl_model_ctx *mctx; /* the model's parameters */
  const nvl_llm *m;
  const nvl_llm_layout *lay;
  const nvl_design *d;
  nvl_mesh dense, expert; /* (tp, cp, ep 1, dp, pp) and (etp, cp 1, ep, edp, pp) */
  long edp;               /* the experts' data-parallel size */
  /* Streams: the ranks of a stage that TP and EP groups couple, stepping together; stage s's are
   * the images of stage 0's (same indices but pp). Positions are ranks' places in a stream. */
  int streams, stream_size;   /* per stage */
  int *at;                    /* [(s * streams + q) * stream_size + i]: stream q's i-th rank */
  int *tp_pos, *ep_pos;       /* [q * stream_size + g * size + j]: the j-th rank of stream q's
                                 g-th TP (EP) group, as its position in the stream */
  int *ep_of;                 /* [q * stream_size + i]: g * ep + j of the rank at position i */
  int *etp_pos, *etp_of;      /* the same of the experts' TP groups (etp x etp) */
  int *cp_pos;                /* the same of the CP groups */
  const int *devs;            /* [ranks]: device of each rank */
  nvl_chip *chips;            /* [endpoint type]: the kernel model's view (owned) */
  nvl_profile_fit **fits;     /* [endpoint type]: their profiles' fits (owned), or NULL */
  const nvl_chip **rank_chip; /* [ranks] (owned array) */
  int ranks;
  long vstages;    /* pipeline stages x vp: virtual stage c pp + s is chunk c of stage s */
  long layers_all; /* the model's layers and the MTP modules' (layer layers + k: module k) */
  long *vfirst;    /* [vstages + 1]: the first layer of each virtual stage (owned) */
  long slots, per_rank_slots; /* expert copies (experts + redundant), per EP rank */
  /* an EP group's NVLink domains (nodes) and ranks per node when its ranks fill ep_nodes > 1
   * domains in whole blocks, in rank order (DeepEP's internode kernels); else 1 and ep */
  long ep_nodes, ep_ppn;
  double seqs_mb;   /* sequences per micro-batch and data-parallel rank */
  double tokens_mb; /* tokens per micro-batch and data-parallel rank */
  double wbytes;    /* bytes per weight */
  llm_costs c;
} llm_shape;

static inline bool llm_moe_layer(const nvl_llm *m, long layer) {
  return m->moe && layer >= m->first_dense;
}

/* The layout's expert tensor parallelism (0 in a zeroed layout: 1). */
static inline long llm_etp(const nvl_llm_layout *l) { return l->etp > 1 ? l->etp : 1; }
/* The layout's context parallelism (0 in a zeroed layout: 1). */
static inline long llm_cp(const nvl_llm_layout *l) { return l->cp > 1 ? l->cp : 1; }
/* The layout's model chunks per pipeline rank (0 in a zeroed layout: 1). */
static inline long llm_vp(const nvl_llm_layout *l) { return l->vp > 1 ? l->vp : 1; }

/* The rank at position i of stream q of stage s. */
static inline int llm_rank(const llm_shape *sh, long q, long s, long i) {
  return sh
      ->at[((size_t)s * (size_t)sh->streams + (size_t)q) * (size_t)sh->stream_size + (size_t)i];
}

/* The layers of virtual stage vs: vfirst[vs] .. vfirst[vs + 1] - 1. */
static inline long llm_vlayers(const llm_shape *sh, long vs) {
  return sh->vfirst[vs + 1] - sh->vfirst[vs];
}

/* One block of a stage's schedule: micro-batch j through virtual stage vs, forward or backward. */
typedef struct {
  long vs, j;
  bool bwd;
} llm_block;
/* The blocks of pipeline stage s (of p, v chunks each, m micro-batches) in the order its rank
 * runs them (llm_sched.c), into out (room for 2 m v). Returns their count: 2 m v in training, m v
 * in inference. */
long nvl_llm_schedule(long p, long v, long m, bool train, long s, llm_block *out);

/* Checks the layout (specific errors) and fills the shape and the memory check. */
int nvl_llm_shape(const nvl_model_ctx *ctx, const nvl_llm *m, const nvl_llm_layout *lay,
                  const nvl_design *d, const nvl_job *all, llm_shape *sh, nvl_llm_memory *mem,
                  nvl_diags *diags);
void nvl_llm_shape_release(llm_shape *sh);
/* The layers of each virtual stage (llm_layout.c): first_layers and last_layers on the first and
 * the last when given, the rest evenly. Returns 0, or -1 with a diagnostic. */
int nvl_llm_stages(llm_shape *sh, nvl_diags *diags);
/* The layout's meshes and streams (llm_layout.c), into sh (ranks and lay set). Returns 0, or -1
 * with a diagnostic (an order that cannot lay the ranks out, ep x etp not dividing a stage). */
int nvl_llm_meshes(llm_shape *sh, nvl_diags *diags);
void nvl_llm_meshes_release(llm_shape *sh);
/* The kernel model's view of an endpoint type's compute (without its profile). */
void nvl_llm_chip(const nvl_model_ctx *ctx, const nvl_compute *c, nvl_chip *chip);
/* KV cache bytes per token and layer on one rank. */
double nvl_llm_kv_bytes_token(const nvl_llm *m, const nvl_llm_layout *l);
/* Parameters one rank's optimizer updates (its shard), for training. */
double nvl_llm_shard_params(const llm_shape *sh, long stage);

/* The compute steps of a stream (llm_ops.c): a layer's attention block, its dense MLP, a MoE
 * layer's part before the dispatch (norm, router, shared experts), the routed experts on one
 * rank, the output layer, and the optimizer at the end of a training step. */
typedef enum {
  LS_ATTN,
  LS_MLP,
  LS_MOE_PRE,
  LS_SHARED, /* the shared experts, when they overlap the dispatch (else part of LS_MOE_PRE) */
  LS_MTP,    /* a multi-token-prediction module's input: two norms and the 2h -> h projection */
  LS_EXPERTS,
  LS_HEAD,
  LS_OPTIMIZER
} llm_step_kind;

#define LLM_MAX_OPS 64
typedef struct {
  nvl_kop op[LLM_MAX_OPS];
  int n;
} llm_ops;

/* The operations of one compute step: `layer` is the model's layer (LS_ATTN: the first layer
 * also embeds), bwd its backward, work and hit a rank's routed token-expert pairs and experts
 * hit (LS_EXPERTS), stage the pipeline stage (LS_OPTIMIZER). */
void nvl_llm_ops(const llm_shape *sh, llm_step_kind kind, long layer, long stage, bool bwd,
                 double work, double hit, llm_ops *out);
/* Seconds of the operations on rank r's chip under the layout's runtime; `first` adds the
 * step's fixed host cost (the first compute step of a stream in inference). */
double nvl_llm_ops_seconds(const llm_shape *sh, int rank, const llm_ops *ops, bool first);
/* Model FLOPs of the step (all ranks) and the tokens it processes or generates. */
void nvl_llm_totals(const llm_shape *sh, double *model_flops, double *tokens);

/* One MoE layer's routing within an EP group of ep ranks, each sending `tokens` tokens: tokens
 * from rank i that reach rank j (tok[i * ep + j], j != i: over the fabric; with DeepEP's
 * low-latency kernels token copies, one per token and expert there, since they do not dedup per
 * rank), token-expert pairs each rank computes (work[j]) and distinct experts hit on it (hit[j]).
 */
typedef struct {
  double *tok, *work, *hit;
  double *rdma; /* [i * ep_nodes + J]: tokens of rank i for node J, once per node (DeepEP's
                   internode count, its own node included); NULL with one node */
} llm_routing;
void nvl_llm_route(const llm_shape *sh, double tokens, gsl_rng *rng, llm_routing *out);
/* Sets sh->ep_nodes and ep_ppn from stream 0's first EP group of stage 0 (every group is an
 * image of it); checks the layout's node_groups against them (an error: -1, the reason in
 * diags; a warning where it changes nothing). */
int nvl_llm_ep_nodes(llm_shape *sh, nvl_diags *diags);

#endif
