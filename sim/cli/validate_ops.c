/*
 * validate_ops: the operation-level half of `nvlsim validate-model` (--ops): every row of an
 * operation table (default: the built-in H200 table, models/h200-operations.csv) priced by the
 * kernel model on the chip of a design's first GPU, as the profiler measured it (eager, back to
 * back). Three figures per row: the mechanism alone (what a chip without a table gets), the
 * model with the table less that row (a prediction of the row from its neighbours), and the
 * model as nvlsim runs it (the whole table).
 */
#include "cli/validate_ops.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/csv.h"
#include "base/exit.h"
#include "base/xalloc.h"
#include "cli/cli.h"
#include "workload/llm_internal.h"

/* A short description of a row's shape. */
static void shape_of(const nvl_profile_row *row, char *buf, size_t len) {
  const nvl_kop *o = &row->ops[row->n_ops - 1];
  switch (o->kind) {
  case NVL_KOP_GEMM:
    if (o->groups > 1)
      snprintf(buf, len, "%gx(%gx%gx%g)", o->groups, o->m, o->n, o->k);
    else
      snprintf(buf, len, "%gx%gx%g", o->m, o->n, o->k);
    break;
  case NVL_KOP_ATTN:
  case NVL_KOP_ATTN_BWD:
    snprintf(buf, len, "b%g s%g h%g/%g d%g%s", o->batch, o->seq, o->heads_q, o->heads_kv, o->dim_qk,
             row->n_ops > 1 ? " +bwd" : "");
    break;
  case NVL_KOP_ATTN_DECODE:
    snprintf(buf, len, "b%g ctx%g h%g/%g d%g", o->batch, o->ctx, o->heads_q, o->heads_kv,
             o->dim_qk);
    break;
  default:
    snprintf(buf, len, "%s %.3g B%s", nvl_mem_class_name(o->mem), o->bytes,
             row->n_ops > 1 ? " +fwd" : "");
  }
}

static double rel(double model, double measured) { return model / measured - 1; }

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Median, 90th percentile and largest of n absolute errors (sorted in place). */
static void spread(double *e, size_t n, double *med, double *p90, double *max) {
  qsort(e, n, sizeof *e, cmp_double);
  *med = n ? e[n / 2] : 0;
  *p90 = n ? e[(size_t)(0.9 * (double)(n - 1))] : 0;
  *max = n ? e[n - 1] : 0;
}

/* The model's time for row i with the table less that row. */
static double held_out(const nvl_model_ctx *ctx, const nvl_chip *bare, const nvl_profile *p,
                       size_t i) {
  nvl_profile less = *p;
  less.rows = nvl_xmalloc(p->n * sizeof *less.rows);
  memcpy(less.rows, p->rows, i * sizeof *less.rows);
  memcpy(less.rows + i, p->rows + i + 1, (p->n - i - 1) * sizeof *less.rows);
  less.n = p->n - 1;
  nvl_chip c = *bare;
  nvl_profile_fit *f = nvl_profile_fit_new(&less, &ctx->kern, &c);
  c.profile = f;
  double t = nvl_profile_row_model(&ctx->kern, &c, &p->rows[i], false);
  nvl_profile_fit_free(f);
  free(less.rows);
  return t;
}

int nvl_validate_ops(const nvl_model_ctx *ctx, const nvl_design *d, const char *table,
                     const nvl_profile *p, double tol, FILE *out) {
  int gpu = -1;
  for (size_t i = 0; i < d->n_devices && gpu < 0; i++)
    if (!d->devices[i].is_switch &&
        d->endpoint_types[d->devices[i].type].compute.flops[NVL_PREC_BF16] > 0)
      gpu = (int)d->devices[i].type;
  if (gpu < 0) {
    fprintf(stderr, "nvlsim validate-model: %s has no endpoint with compute rates\n", d->name);
    return NVL_EXIT_USAGE;
  }
  const nvl_endpoint_type *et = &d->endpoint_types[gpu];
  nvl_chip bare;
  nvl_llm_chip(ctx, &et->compute, &bare);
  nvl_chip full = bare;
  nvl_profile_fit *fit = nvl_profile_fit_new(p, &ctx->kern, &bare);
  full.profile = fit;
  printf("# operation table %s on %s (type %s, architecture %s, %d SMs), as measured: eager, "
         "back to back\n",
         table, d->name, et->name, bare.arch->name, bare.sms);
  printf("#  line %-22s %-26s %12s %12s %7s %12s %7s %12s %7s\n", "kind", "shape", "measured_us",
         "mechanism", "err", "held_out", "err", "model", "err");
  if (out)
    fprintf(out, "line,kind,shape,measured_s,mechanism_s,held_out_s,model_s,model_rel_error,"
                 "within_tolerance\n");
  double *em = nvl_xmalloc((p->n + 1) * sizeof *em), *eh = nvl_xmalloc((p->n + 1) * sizeof *eh),
         *ef = nvl_xmalloc((p->n + 1) * sizeof *ef);
  size_t failed = 0;
  for (size_t i = 0; i < p->n; i++) {
    const nvl_profile_row *row = &p->rows[i];
    char shape[96];
    shape_of(row, shape, sizeof shape);
    double t = row->seconds, m = nvl_profile_row_model(&ctx->kern, &bare, row, true),
           h = held_out(ctx, &bare, p, i), f = nvl_profile_row_model(&ctx->kern, &full, row, false);
    em[i] = fabs(rel(m, t)), eh[i] = fabs(rel(h, t)), ef[i] = fabs(rel(f, t));
    bool ok = ef[i] <= tol;
    failed += !ok;
    printf("  %5d %-22s %-26s %12.2f %12.2f %+6.1f%% %12.2f %+6.1f%% %12.2f %+6.1f%%%s\n",
           row->line, row->kind, shape, t * 1e6, m * 1e6, 100 * rel(m, t), h * 1e6, 100 * rel(h, t),
           f * 1e6, 100 * rel(f, t), ok ? "" : "  outside");
    if (out) {
      fprintf(out, "%d,%s,", row->line, row->kind);
      nvl_csv_field(out, shape);
      fprintf(out, ",%.9g,%.9g,%.9g,%.9g,%.6f,%s\n", t, m, h, f, rel(f, t), ok ? "yes" : "no");
    }
  }
  double a, b, c;
  spread(em, p->n, &a, &b, &c);
  printf("# mechanism alone: |error| median %.1f %%, 90th percentile %.1f %%, largest %.1f %%\n",
         100 * a, 100 * b, 100 * c);
  spread(eh, p->n, &a, &b, &c);
  printf("# each row held out of the table: median %.1f %%, 90th percentile %.1f %%, largest "
         "%.1f %%\n",
         100 * a, 100 * b, 100 * c);
  spread(ef, p->n, &a, &b, &c);
  printf("# the model (with the table): median %.1f %%, 90th percentile %.1f %%, largest %.1f %%; "
         "%zu of %zu rows within %.1f %%\n",
         100 * a, 100 * b, 100 * c, p->n - failed, p->n, tol * 100);
  free(em), free(eh), free(ef);
  nvl_profile_fit_free(fit);
  return failed ? NVL_EXIT_FAIL : NVL_EXIT_OK;
}
