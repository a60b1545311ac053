/*
 * llm_build: the step builder's state and helpers, shared by llm_step.c (streams, layers, the
 * schedule) and llm_dp.c (data-parallel gradients and parameters). Private to those files.
 */
#ifndef NVL_LLM_BUILD_H
#define NVL_LLM_BUILD_H

#include <gsl/gsl_rng.h>

#include "workload/llm_internal.h"

typedef struct {
  size_t *v;
  size_t n, cap;
} vec;

typedef struct {
  const llm_shape *sh;
  nvl_workload_spec *spec;
  nvl_llm_step *st;
  size_t cap_dim, cap_jobs;
  nvl_llm_role role; /* of the operations added now */
  size_t ep_fig;     /* of the operation added now: nvl_llm_step's ep_fig */
  /* jobs, by stream ds = q * pp + s (stream q of stage s): stage_job[ds], tp_job[ds * ntp + g]
   * (its g-th TP group), ep_job[ds * nep + g], etp_job[ds * (stream size / etp) + g] (expert
   * TP groups, etp > 1), cp_job[ds * ncp + g], bound_job[ds] (stages s and s + 1); per stage s
   * the data-parallel jobs dpd_job[s * ndd + i] (dense) and dpe_job[s * nde + i] (experts) */
  int *stage_job, *tp_job, *ep_job, *etp_job, *cp_job, *bound_job, *dpd_job, *dpe_job;
  int ntp, nep, ncp, ndd, nde;
  long *dp_last;  /* [job]: the last operation on a data-parallel job, or -1 */
  int *job_stage; /* [job]: the stage of a data-parallel job */
  vec *tail;      /* [ds * H + half]: the stream's (half's) last step */
  int H, half;    /* two-batch overlap: 2 halves of each micro-batch (else 1), the one built */
  long *lane;     /* [ds]: the stream's last compute operation (halves share the compute), or -1 */
  size_t cur_ds;  /* the stream of the step begun */
  vec deps, next;
  vec gate;            /* more dependencies of the next step begun (then emptied) */
  long *fsend, *bsend; /* [((q V + vs) m + j) H + half]: the pipeline transfer out of a block */
  size_t *route_at;    /* [(ds * nep + g) * L + k]: tokens i -> j, work, hit */
  vec rs;              /* reduce_scatters of the stage being finished */
  vec emb;             /* tied embeddings' gradient all_reduces (first and last stage) */
  double bucket_dense, bucket_expert;
  bool *computed; /* [ds]: the stream has had a compute step */
  gsl_rng *rng;
} builder;

void nvl_lb_vec_push(vec *x, size_t v);
/* Appends an operation of dimension dim depending on deps; returns its index. */
size_t nvl_lb_add_op(builder *b, nvl_wop *op, nvl_llm_dim dim, const vec *deps);
/* A step of stream ds: its operations depend on the stream's tail, `extra` (-1: none) and the
 * gate; step_add adds one, step_end makes them the tail. */
void nvl_lb_step_begin(builder *b, size_t ds, long extra);
void nvl_lb_step_add(builder *b, nvl_wop *op, nvl_llm_dim dim);
void nvl_lb_step_end(builder *b, size_t ds);

/* A compute step of stream (q, s): its operations (llm_ops.c) on every rank of the stream; the
 * routed experts' step has each rank's own work (work[i], hit[i] at position i). compute_op
 * makes the operation without adding it. */
void nvl_lb_compute(builder *b, long q, long s, llm_step_kind kind, long layer, bool bwd,
                    const double *work, const double *hit);
nvl_wop nvl_lb_compute_op(builder *b, long q, long s, llm_step_kind kind, long layer, bool bwd,
                          const double *work, const double *hit);
/* The attention block of layer `layer` of stream (q, s) with its context-parallel exchange
 * (llm_attn.c). */
void nvl_lb_attention(builder *b, long q, long s, long layer, bool bwd);
/* The expert part of the model's MoE layer k in stream (q, s) (llm_moe.c): dispatch (FP8 with
 * fp8), the experts, combine; with expert TP its all_gather and reduce_scatter around them. */
void nvl_lb_experts(builder *b, long q, long s, long k, bool bwd, bool fp8);
/* Its two parts: up to the experts' input (dispatch, expert TP all_gather), and from the experts
 * on (the experts, expert TP reduce_scatter, combine), which two-batch overlap interleaves. */
void nvl_lb_experts_front(builder *b, long q, long s, long k, bool bwd, bool fp8);
void nvl_lb_experts_back(builder *b, long q, long s, long k, bool bwd);
/* Every MoE layer's routing, drawn in a fixed order from the seeded generator (llm_moe.c). */
void nvl_lb_draw_routing(builder *b);

/* Gradient bytes per rank of the model's layer k: dense (/ tp) and expert (this rank's slots);
 * its parameters' bytes too (2 per parameter: BF16). */
void nvl_lb_layer_grads(const llm_shape *sh, long k, double *dense, double *expert);
/* The reduce_scatter of gradients (dense and expert bytes per rank) on every data-parallel job
 * of stage s, after the stage's last step in every replica. */
void nvl_lb_dp_bucket(builder *b, long s, double dense, double expert);
/* ZeRO-3: the all_gather of the model's layer k's parameters on every data-parallel job of stage
 * s, after the stage's last step in every replica (so, emitted before the layer before, it
 * prefetches one layer ahead); the operations are added to out. */
void nvl_lb_zero3_gather(builder *b, long s, long k, vec *out);
/* ZeRO-1: the parameters' all_gather after the optimizer, at the end of the step. */
void nvl_lb_dp_gather(builder *b);

#endif
