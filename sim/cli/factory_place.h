/*
 * factory_place: where `nvlsim factory`'s replicas land. Replica j of R holds the design's
 * accelerators jR .. jR + R - 1 (in design order); replicas that hold the same sequence of
 * accelerator types are one kind, the first of each kind standing for the others (it is
 * simulated; they are counted). A replica's accelerators are named to `llm` as a participant
 * selection of prefix slices ("gpu[64:72],asic[0:8]").
 */
#ifndef NVL_CLI_FACTORY_PLACE_H
#define NVL_CLI_FACTORY_PLACE_H

#include <stdbool.h>
#include <stddef.h>

#include "design/design.h"
#include "platform/platform.h"
#include "output/serving.h"

typedef struct {
  long first; /* its first replica */
  long count; /* its replicas */
} nvl_fp_kind;

/* The design's accelerators (device indices, in design order) into *out (owned; at least one
 * element allocated); returns how many. */
int nvl_fp_accelerators(const nvl_design *d, int **out);

/* The kinds of the replicas of R over acc[0..n) (replica 0's first), at most max of them;
 * returns how many, *more set when further kinds were left out (counted in none). */
int nvl_fp_kinds(const nvl_design *d, const int *acc, int n, long R, nvl_fp_kind *k, int max,
                 bool *more);

/* Replica j's accelerators as a selection into out; false when it does not fit in len. */
bool nvl_fp_selection(const nvl_design *d, const int *acc, long R, long j, char *out, size_t len);

/* The board power of acc[from .. from + n). */
double nvl_fp_power(const nvl_design *d, const int *acc, long from, long n);

/* The estimate of the overhead per accelerator of a scale-up domain (switch trays, NICs, fans,
 * power conversion) when none is stated: GB200 NVL72's rack of about 120 kW less its 72 x 1.2
 * kW of GPU boards and 36 x 250 W of Grace leaves about 24.6 kW, 340 W per GPU. */
#define NVL_FP_OVERHEAD_PER_ACC_W 340.0

/* The power of design d (its platform p): every endpoint's board (accelerators, CPUs) and per
 * scale-up domain that holds accelerators rack_W (< 0: NVL_FP_OVERHEAD_PER_ACC_W per
 * accelerator of it). */
double nvl_fp_design_power(const nvl_design *d, const nvl_platform *p, double rack_W);

/* A replica size's prefill, for disaggregated pools: its step over `seqs` sequences of isl
 * tokens (one per data-parallel rank) and one request's KV cache over all its ranks. */
typedef struct {
  long gpus, seqs, tp;
  double step_s, kv_bytes;
  bool ok;
} nvl_fp_pool;

/* The disaggregated configurations: every aggregated one's decode replica beside each replica
 * size's prefill pool, where both fit the first kind's accelerators (the leading run of the
 * first accelerator's type: the pools are priced as those), the prefill pool first and the
 * decode pool after it, the KV cache moved between the first accelerator of each over as many
 * rank pairs as the lesser TP of the two (each pair its share). Appended to pts (n of
 * them, grown); returns an exit status. */
int nvl_fp_add_disagg(const nvl_design *d, const nvl_platform *p, const nvl_fp_pool *pools,
                      int npools, nvl_serving_point **pts, size_t *n, long isl, long osl);

#endif
