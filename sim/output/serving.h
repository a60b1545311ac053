/*
 * output/serving: a serving replica's steady state and the AI-factory frontier (`nvlsim factory`).
 *
 * A replica (R accelerators: one model instance) serves `batch` concurrent requests of `isl`
 * prompt and `osl` output tokens under continuous batching with chunked prefill: every iteration
 * generates one token for each of its `batch` sequences and, in the same iteration, prefills
 * the prompt tokens that keep the batch full: a request finishes every osl / batch iterations,
 * so P = batch x isl / osl prompt tokens per iteration. Its parts are priced by the simulator:
 * a decode step of `batch` sequences at the mean context isl + osl / 2, and a prompt token's share
 * of a prefill step of isl-token sequences. Then
 *   iteration (inter-token latency, ITL) = decode + P x prefill per token,
 *   tokens/s per user = 1 / ITL, per replica batch / ITL, per GPU the design's: the replicas it
 *   holds (floor(its accelerators / R)) x batch / ITL over all its accelerators (those no replica
 *   uses count: an AI factory pays for them),
 *   TTFT = ceil(isl / P) iterations (a prompt prefilled in chunks of the iteration's budget; one
 *   request on an idle replica: the prefill step itself),
 *   tokens/s per MW = the design's tokens/s / its accelerators' board power.
 * Disaggregated (disagg): prefill replicas of Rp accelerators and decode replicas of R apart, the
 * prompt's KV cache moved from one to the other over the fabric. A decode replica finishes
 * batch / (osl x decode) requests/s, a prefill replica prefill_seqs / prefill step; the design's
 * accelerators hold Np prefill and Nd decode replicas, Np x Rp + Nd x R within them, the pair
 * that serves the most requests (the lesser of the two pools' rates; ties: fewer accelerators).
 * ITL is the decode step alone, TTFT the prefill step plus the KV transfer; tokens/s per GPU and
 * per MW the design's over all its accelerators.
 * Speculative decoding (multi-token prediction, `--mtp`): each decode step advances every sequence
 * by k tokens (1 + its accepted drafts, from the decode step itself), so a request takes osl / k
 * iterations, the prefill budget is batch x isl x k / osl, ITL (the time between two of a user's
 * tokens) is the iteration over k, and the rates count k tokens per sequence and iteration.
 * Queueing (arrivals that find the batch full) is not modelled.
 */
#ifndef NVL_OUTPUT_SERVING_H
#define NVL_OUTPUT_SERVING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

typedef struct {
  /* the configuration */
  long gpus, tp, ep, dp; /* per replica */
  long design_gpus;      /* the design's accelerators (0: the replica's alone) */
  long batch;            /* concurrent sequences per replica */
  /* its priced parts */
  double decode_s;        /* one decode step of `batch` sequences */
  double step_tokens;     /* tokens a sequence gains per decode step (1 + accepted drafts; 0: 1) */
  double prefill_token_s; /* one prompt token's share of a prefill step */
  double power_W;         /* the replica's boards (R of them) */
  /* disaggregated: the prefill replicas' size and its step over prefill_seqs sequences, the KV
   * transfer of one request, and the pools as chosen (nvl_serving_eval_disagg) */
  bool disagg;
  long prefill_gpus, prefill_seqs, prefill_replicas, decode_replicas;
  double prefill_step_s, kv_s;
  /* the figures (nvl_serving_eval) */
  double iter_s, itl_s, ttft_s, prefill_tokens, tps_user, tps_replica, tps_gpu, tps_mw;
  bool frontier; /* on the Pareto frontier of tokens/s per GPU against tokens/s per user */
} nvl_serving_point;

/* The point's figures from its configuration and priced parts. */
void nvl_serving_eval(nvl_serving_point *p, long isl, long osl);

/* A disaggregated point's pools and figures (see above). False when no pair of pools fits. */
bool nvl_serving_eval_disagg(nvl_serving_point *p, long isl, long osl);

/* Marks the Pareto frontier: a point is on it unless another has at least its tokens/s per user
 * and per GPU and more of one. Returns how many are. */
size_t nvl_serving_frontier(nvl_serving_point *pts, size_t n);

/* Sorts by tokens/s per user, fastest first (ties: more tokens/s per GPU first). */
void nvl_serving_sort(nvl_serving_point *pts, size_t n);

/* One CSV row per point, the design named in each (the header first when asked); returns 0 or -1
 * on a write error. */
int nvl_serving_csv(const nvl_serving_point *pts, size_t n, const char *design, long isl, long osl,
                    bool header, FILE *out);
/* The table: every point, the frontier's marked with '*'; the prefill pool "mixed" (chunked
 * prefill in the decode batch) or "NpxRp:Nd" (Np prefill replicas of Rp, Nd decode replicas). */
void nvl_serving_print(const nvl_serving_point *pts, size_t n, FILE *out);

#endif
