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
 * Unlike accelerators: replica j of R holds the design's accelerators jR .. jR + R - 1 (in design
 * order); replicas that hold other types than the first one are other kinds, each priced apart
 * (its own decode step and prompt-token price); the design's tokens/s sums every replica's, ITL and
 * TTFT are the slowest kind's (a user may land on any), and a kind that cannot serve at the batch
 * (memory, a precision it lacks) leaves its accelerators idle. Disaggregated pools take the first
 * kind's prices.
 * Offered load (`--rate`, nvl_serving_eval_rate): requests arrive at `rate` per second (Poisson)
 * and each replica is a queue with `batch` servers (its slots) and fixed service times (a request
 * holds a slot for its osl / k iterations): an M/D/c queue, whose mean wait is taken as half of
 * M/M/c's (Erlang C; the Allen-Cunneen approximation with deterministic service). The design
 * uses the fewest replicas (the first kind's first) that keep every queue stable (utilization
 * below 1) and TTFT (its prefill plus the wait) within --ttft-max, the load split over them by
 * their capacity (so every replica sees the same utilization); tokens/s per GPU and per MW are
 * then the rate's over the accelerators in use, and ITL the full batch's iteration (an upper
 * bound: fewer active sequences take no longer). Disaggregated: the prefill pool's servers are its
 * replicas' sequences per step (service: the prefill step), the decode pool's its slots; TTFT adds
 * both waits; the pair of pools with the fewest accelerators that serves the rate within target.
 */
#ifndef NVL_OUTPUT_SERVING_H
#define NVL_OUTPUT_SERVING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* A replica kind other than the first (see above). */
#define NVL_SERVING_KINDS 4
typedef struct {
  long replicas;                    /* replicas of this kind in the design */
  bool serves;                      /* false: it cannot serve at the batch (idle) */
  double decode_s, prefill_token_s; /* its priced parts */
  double power_W;                   /* its boards (R of them) */
} nvl_serving_kind;

typedef struct {
  /* the configuration */
  long gpus, tp, ep, dp; /* per replica */
  long pp;               /* pipeline stages per replica (0: 1) */
  long design_gpus;      /* the design's accelerators (0: the replica's alone) */
  long batch;            /* concurrent sequences per replica */
  /* its priced parts */
  double decode_s;        /* one decode step of `batch` sequences */
  double step_tokens;     /* tokens a sequence gains per decode step (1 + accepted drafts; 0: 1) */
  double prefill_token_s; /* one prompt token's share of a prefill step */
  double power_W;         /* the replica's boards (R of them) */
  double design_W;        /* every accelerator's board of the design (0: power_W / R each) */
  int n_others;           /* replica kinds other than the first */
  nvl_serving_kind others[NVL_SERVING_KINDS - 1];
  /* offered load (nvl_serving_eval_rate; rate 0: none, every replica's batch full) */
  double rate;        /* requests per second offered to the design */
  long replicas_used; /* replicas serving it (aggregated) */
  double utilization; /* of each replica's slots (the decode pool's, disaggregated) */
  double wait_s;      /* mean wait for a slot (and, disaggregated, for a prefill) */
  /* the paged KV cache (factory): the share of the fullest rank's KV budget the batch takes,
   * and the sequences per replica the budget holds */
  double kv_use;
  long kv_batch_max;
  /* disaggregated: the prefill replicas' size and its step over prefill_seqs sequences, the KV
   * transfer of one request, and the pools as chosen (nvl_serving_eval_disagg) */
  bool disagg;
  long pool_gpus; /* the accelerators pools may take (0: the design's) */
  long prefill_gpus, prefill_seqs, prefill_replicas, decode_replicas;
  double prefill_step_s, kv_s;
  /* the figures (nvl_serving_eval) */
  double iter_s, itl_s, ttft_s, prefill_tokens, tps_user, tps_replica, tps_gpu, tps_mw;
  double tps_design; /* the design's tokens/s (every replica, or the rate's) */
  bool frontier;     /* on the Pareto frontier of tokens/s per GPU against tokens/s per user */
} nvl_serving_point;

/* The point's figures from its configuration and priced parts. */
void nvl_serving_eval(nvl_serving_point *p, long isl, long osl);

/* A disaggregated point's pools and figures (see above). False when no pair of pools fits. */
bool nvl_serving_eval_disagg(nvl_serving_point *p, long isl, long osl);

/* The point's figures under an offered load of p->rate requests per second (see above), after
 * nvl_serving_eval or nvl_serving_eval_disagg; ttft_max 0: no target. False when no number of
 * replicas (pools) of the design serves the rate within the target. */
bool nvl_serving_eval_rate(nvl_serving_point *p, long isl, long osl, double ttft_max);

/* The requests per second the point's design serves at most (its replicas' batches full), after
 * nvl_serving_eval or nvl_serving_eval_disagg and before nvl_serving_eval_rate. */
double nvl_serving_capacity(const nvl_serving_point *p, long osl);

/* Marks the Pareto frontier: a point is on it unless another has at least its tokens/s per user
 * and per GPU and more of one (or the same of both and a shorter TTFT). Returns how many are. */
size_t nvl_serving_frontier(nvl_serving_point *pts, size_t n);

/* Paged KV cache: a sequence holds its context in pages of `page` tokens; under continuous
 * batching its context runs over isl + 1 .. isl + osl, each as long: the mean tokens its pages
 * hold (page 1: the mean context). */
double nvl_serving_kv_tokens(long isl, long osl, long page);

/* Keeps the points whose TTFT and ITL are within the targets (0: none), pts compacted; returns
 * how many. */
size_t nvl_serving_within(nvl_serving_point *pts, size_t n, double ttft_max, double itl_max);
/* For targets no point meets: the three closest (by the larger ratio of a latency to its target;
 * pts reordered), after "nvlsim CMD: LABEL: no configuration meets the latency targets". */
void nvl_serving_print_closest(const char *cmd, const char *label, nvl_serving_point *pts, size_t n,
                               double ttft_max, double itl_max, FILE *out);

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
