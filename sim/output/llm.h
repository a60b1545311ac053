/*
 * output/llm: the results of an LLM step (workload/llm.h) as users of Megatron and inference
 * servers read them. Seen from one rank (the one whose last operation ends last, the lowest of
 * ties): its compute (the union of its compute intervals), the communication of each parallel
 * dimension (the summed durations of the collectives and transfers it takes part in), the exposed
 * communication (communication intervals not covered by its compute) and the bubble (the rest of
 * the step: waiting for other ranks, pipeline fill and drain).
 *
 * Rates: train and prefill process batch x seq tokens per step, decode generates batch tokens
 * (one per sequence): tokens/s = tokens / step time, per replica (a model instance: the ranks
 * TP, EP and PP couple, llm.h's streams) tokens/s / replicas, and for the design per replica x
 * the replicas its
 * accelerators hold. MFU = model FLOPs / (step time x the ranks' peak at the precision); tokens
 * per joule = tokens/s / the ranks' board power.
 */
#ifndef NVL_OUTPUT_LLM_H
#define NVL_OUTPUT_LLM_H

#include <stdbool.h>
#include <stdio.h>

#include "design/design.h"
#include "engine/engine.h"
#include "workload/llm.h"

typedef struct {
  int rank;
  bool rank_asked; /* the breakdown's rank was asked for (llm --rank), not the last to end */
  size_t n_ops;
  size_t n_simulated; /* operations the engine ran (fewer when folded: workload/fold.h) */
  int fold_copies;    /* copies each folded operation stands for, 0: not folded */
  double step_s, compute_s, comm_s[NVL_LD__COUNT], comm_total_s, exposed_s, bubble_s;
  double tokens_per_s, replica_tokens_per_s, design_tokens_per_s, tokens_per_joule, mfu;
  int design_replicas;
  /* forward EP operations: mean time, and DeepEP's per-rank bandwidth (tokens received or sent
   * back, kept ones included, over the operation's time) */
  double ep_dispatch_s, ep_combine_s, ep_dispatch_Bps, ep_combine_Bps;
  /* across nodes (DeepEP's internode kernels): its RDMA figure, each rank's tokens once per
   * destination node (its own included) over the operation's time, averaged (0: one node) */
  double ep_dispatch_rdma_Bps, ep_combine_rdma_Bps;
} nvl_llm_result;

/* From the engine's result of the step's graph g (the one run: nvl_workload_run_graph takes
 * st->g over), the breakdown seen from rank `rank` (0 .. st->ranks - 1), or from the rank whose
 * last operation ends last when rank is -1. */
void nvl_llm_result_compute(const nvl_llm_step *st, const nvl_wgraph *g,
                            const nvl_workload_spec *spec, const nvl_design *d,
                            const nvl_engine_result *res, int rank, nvl_llm_result *out);

typedef struct {
  const char *design, *llm;
  const nvl_llm *m;
  const nvl_llm_layout *lay;
} nvl_llm_labels;

void nvl_llm_result_print(const nvl_llm_labels *lb, const nvl_llm_step *st, const nvl_llm_result *r,
                          FILE *out);
/* The CSV's figures (after the design, the model and the layout's columns, which the LLM
 * parameter table writes: cli/llm_params.h): their columns (no line end), their number, one row
 * of them (no line end). */
void nvl_llm_csv_figures_header(FILE *out);
size_t nvl_llm_csv_figures_columns(void);
void nvl_llm_csv_figures_row(const nvl_llm_labels *lb, const nvl_llm_step *st,
                             const nvl_llm_result *r, FILE *out);

#endif
