/*
 * profile: a chip's measured operation table (the CSV form of ../shared/reference's
 * h200-operations.csv, which tools/profile_gpu.py writes on any GPU), and the correction it gives
 * the kernel model (models/kernels.h).
 *
 * Each row is an operation measured the way the profiler measures it: eager PyTorch, one
 * operation repeated back to back on one stream, so a row's time is max(kernel, host dispatch).
 * Where a row's kernel can be seen (its time is well above the host floor, 1.5 times, or below
 * what the mechanism predicts for the kernel), the row gives a ratio measured / mechanism for its
 * kernel; otherwise the row is the host's floor, and gives the ratio of the eager host dispatch
 * (applied on the eager runtime only: the floor of that machine's PyTorch).
 * An operation priced on the chip has its kernel time multiplied by the ratio interpolated from
 * the rows of its class (the same kind and precision; attention's direction; a memory class):
 * inverse-distance weights (power 4) over the logarithms of the shape, exact on a measured
 * shape, and fading to 1 (the mechanism alone) beyond a factor of about 20 from every row. So a
 * measured shape is reproduced, a shape between measured ones follows its neighbours, and one
 * far from all of them is the mechanism's.
 *
 * Columns (a header row names them; order free, extra columns ignored): kind (gemm,
 * attention_causal, attention_decode, hbm_copy, rmsnorm, silu_mul, add, adamw_fused,
 * lm_head_cross_entropy, moe_gemm_loop, moe_gemm_grouped), dtype, M, N, K, batch, seq, heads_q,
 * heads_kv, head_dim, ctx, tokens, width, experts, tokens_per_expert, backward, seconds, bytes
 * (hbm_copy's). A row of several operations (a forward + backward, the LM head with its
 * cross-entropy) gives the ratio of its last one, the others priced first.
 */
#ifndef NVL_PROFILE_H
#define NVL_PROFILE_H

#include <stdbool.h>
#include <stddef.h>

#include "models/kernels.h"

/* One measured row: what ran (as operations priced in sequence) and how long it took. */
typedef struct {
  char kind[32];
  int line;       /* in the file */
  nvl_kop ops[4]; /* the operations the row ran, in order (the last one is what it measures) */
  int n_ops;
  double seconds;
} nvl_profile_row;

typedef struct {
  nvl_profile_row *rows;
  size_t n;
  char name[512]; /* "builtin:h200" or the file as resolved */
} nvl_profile;

/* A profile bound to a chip (nvl_profile_fit_new), per row: what its ratio corrects (gives: none,
 * the kernel where the row shows it, else the host dispatch), log(measured / mechanism) of that,
 * log(measured / the mechanism's kernel) (a host row's bound on its own shape), and the class and
 * shape features (logarithms) of its last operation. */
typedef struct nvl_profile_fit {
  const nvl_profile *p;
  double *log_ratio, *log_bound;
  unsigned char *gives;
  int *cls;
  double (*feat)[5];
} nvl_profile_fit;

/* Parses a profile from CSV text (name: for messages). Returns 0, or -1 with "line N: what is
 * wrong" in err (missing columns, a malformed or absurd value, an unknown kind or dtype). */
int nvl_profile_parse(nvl_profile *p, const char *name, const char *text, size_t len, char *err,
                      size_t errlen);
/* A deep copy (dst is overwritten). */
void nvl_profile_copy(nvl_profile *dst, const nvl_profile *src);
void nvl_profile_release(nvl_profile *p);

/* The rows' ratios on chip c (whose own fit is ignored); the profile must outlive the fit. */
nvl_profile_fit *nvl_profile_fit_new(const nvl_profile *p, const nvl_kernel_params *kp,
                                     const nvl_chip *c);
void nvl_profile_fit_free(nvl_profile_fit *f);

/* The correction of op's kernel time, and of its eager host time (1 where no row applies). */
double nvl_profile_ratio(const nvl_profile_fit *f, const nvl_kop *op);
double nvl_profile_host_ratio(const nvl_profile_fit *f, const nvl_kop *op);

/* The time the model gives a row measured as the profiler measures (eager, back to back): the
 * row's operations in sequence, max(kernel, host) each. With `mechanism`, without the profile. */
double nvl_profile_row_model(const nvl_kernel_params *kp, const nvl_chip *c,
                             const nvl_profile_row *row, bool mechanism);

#endif
