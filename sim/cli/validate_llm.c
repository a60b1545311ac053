/*
 * validate_llm: `nvlsim validate-model --llm [CSV]`: every row of a table of measured LLM-step
 * figures simulated as `nvlsim llm` runs it, measured vs simulated with the relative error.
 *
 * Columns: case, system, design (a built-in design), llm (builtin:NAME), moe_layers (optional:
 * keep only this many MoE layers of the model and no dense ones, for a benchmark of one layer's
 * exchange), mode, precision, tp, ep, pp, dp, batch, seq, microbatches (empty: the defaults of
 * `nvlsim llm`), metric (a column of the llm CSV: step_time_us, tokens_per_s, mfu,
 * ep_dispatch_GBps, ...), measured, tolerance (optional: the row's, else --tolerance), role
 * (fitted or predicted), source. zero (optional) is the layout's ZeRO stage (1 or 3); gpus or
 * ranks (optional) the participants, as -g and --ranks (default: every accelerator of the design).
 */
#include "cli/validate_llm.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/csv.h"
#include "base/exit.h"
#include "base/units.h"
#include "cli/llm_sim.h"

enum {
  C_CASE,
  C_SYSTEM,
  C_DESIGN,
  C_LLM,
  C_MOE_LAYERS,
  C_MODE,
  C_PRECISION,
  C_TP,
  C_EP,
  C_PP,
  C_DP,
  C_BATCH,
  C_SEQ,
  C_MICROBATCHES,
  C_ZERO,
  C_METRIC,
  C_MEASURED,
  C_TOLERANCE,
  C_ATTN_KERNEL,
  C_RUNTIME,
  C_GPUS,
  C_RANKS,
  C_EP_KERNEL,
  C_RECOMPUTE,
  C_ROLE,
  C__COUNT
};
static const char *const cols[C__COUNT] = {"case",
                                           "system",
                                           "design",
                                           "llm",
                                           "moe_layers",
                                           "mode",
                                           "precision",
                                           "tp",
                                           "ep",
                                           "pp",
                                           "dp",
                                           "batch",
                                           "seq",
                                           "microbatches",
                                           "zero",
                                           "metric",
                                           "measured",
                                           "tolerance",
                                           "attention_kernel",
                                           "runtime",
                                           "gpus",
                                           "ranks",
                                           "ep_kernel",
                                           "recompute",
                                           "role"};
/* Required columns: all but moe_layers, the sizes and role. */
static bool required(int c) { return c <= C_LLM || c == C_METRIC || c == C_MEASURED; }

static const char *const metrics[] = {"step_time_us",     "tokens_per_s",        "mfu",
                                      "ep_dispatch_GBps", "ep_combine_GBps",     "ep_dispatch_us",
                                      "ep_combine_us",    "tokens_per_s_replica"};
#define N_METRICS (sizeof metrics / sizeof metrics[0])

static double metric_value(int k, const nvl_llm_result *r) {
  const double v[N_METRICS] = {
      r->step_s * 1e6,          r->tokens_per_s,         r->mfu,
      r->ep_dispatch_Bps / 1e9, r->ep_combine_Bps / 1e9, r->ep_dispatch_s * 1e6,
      r->ep_combine_s * 1e6,    r->replica_tokens_per_s};
  return v[k];
}

/* A size column: empty (0, the default) or a positive integer. */
static int size_cell(const char *s, size_t *out) {
  uint64_t v;
  if (!*s)
    return 0;
  if (nvl_parse_uint(s, &v) != 0 || v < 1 || v > 1000000000)
    return -1;
  *out = (size_t)v;
  return 0;
}

/* The row's ask and model; returns NULL, or what is wrong with the row. */
static const char *row_ask(const char *const *get, nvl_llm_ask *a, nvl_llm *m, int *metric) {
  *a = (nvl_llm_ask)NVL_LLM_ASK_INIT;
  a->llm = get[C_LLM];
  nvl_diags d = NVL_DIAGS_INIT;
  int bad = nvl_llm_load(a->llm, m, &d);
  nvl_diags_release(&d);
  if (bad)
    return "unknown llm";
  size_t moe = 0;
  if (size_cell(get[C_MOE_LAYERS], &moe) != 0 || moe > NVL_LLM_MAX_LAYERS || (moe && !m->moe))
    return "bad moe_layers (a whole number from 1 to 16384, for a MoE model)";
  if (moe)
    m->layers = (long)moe, m->first_dense = 0;
  if (*get[C_MODE] && nvl_llm_mode_parse(get[C_MODE], &a->mode) != 0)
    return "bad mode";
  nvl_precision p;
  if (*get[C_PRECISION] && nvl_precision_parse(get[C_PRECISION], &p) != 0)
    return "bad precision";
  a->precision = *get[C_PRECISION] ? (int)p : -1;
  if (*get[C_ATTN_KERNEL] && strcmp(get[C_ATTN_KERNEL], "flash2") != 0 &&
      strcmp(get[C_ATTN_KERNEL], "default") != 0)
    return "bad attention_kernel (default or flash2)";
  a->attn_kernel = strcmp(get[C_ATTN_KERNEL], "flash2") == 0;
  nvl_runtime rt;
  if (*get[C_RUNTIME] && nvl_runtime_parse(get[C_RUNTIME], &rt) != 0)
    return "bad runtime (eager, fused or graph)";
  a->runtime = *get[C_RUNTIME] ? (int)rt : -1;
  a->ep_kernel = *get[C_EP_KERNEL] ? nvl_ep_kernel_parse(get[C_EP_KERNEL]) : -1;
  if (*get[C_EP_KERNEL] && a->ep_kernel < 0)
    return "bad ep_kernel (normal or low-latency)";
  nvl_llm_recompute rc = NVL_RECOMPUTE_NONE;
  if (*get[C_RECOMPUTE] && nvl_llm_recompute_parse(get[C_RECOMPUTE], &rc) != 0)
    return "bad recompute (none, selective or full)";
  a->recompute = *get[C_RECOMPUTE] ? (int)rc : -1;
  size_t *sizes[] = {&a->tp,    &a->ep,  &a->pp,           &a->dp,
                     &a->batch, &a->seq, &a->microbatches, &a->zero};
  for (int c = C_TP; c <= C_ZERO; c++)
    if (size_cell(get[c], sizes[c - C_TP]) != 0)
      return "bad size (tp .. microbatches, zero: empty or a positive integer)";
  size_t g = 0;
  if (size_cell(get[C_GPUS], &g) != 0 || g == 1 || g > 1000000)
    return "bad gpus (the first N participants, as -g: empty or 2 to 1000000)";
  a->g = (int)g;
  if (*get[C_GPUS] && *get[C_RANKS])
    return "gpus and ranks both given (one or the other, as -g and --ranks)";
  a->ranks = *get[C_RANKS] ? get[C_RANKS] : NULL;
  *metric = -1;
  for (size_t k = 0; k < N_METRICS; k++)
    if (strcmp(get[C_METRIC], metrics[k]) == 0)
      *metric = (int)k;
  return *metric < 0 ? "unknown metric" : NULL;
}

typedef struct {
  const nvl_model_ctx *ctx;
  const char *csv_in;
  double tol;
  FILE *out;
  int rows, failed;
} vl_state;

static void check_row(vl_state *st, const char *const *get, int line) {
  st->rows++;
  nvl_llm_ask a;
  nvl_llm m;
  int metric;
  double measured = 0;
  const char *problem = row_ask(get, &a, &m, &metric);
  if (!problem && (nvl_parse_decimal(get[C_MEASURED], &measured) != 0 || !(measured > 0)))
    problem = "bad measured value (a positive decimal number)";
  double tol = st->tol;
  /* the row's own: 5% or 0.05 */
  if (!problem && *get[C_TOLERANCE] &&
      (nvl_parse_fraction(get[C_TOLERANCE], &tol) != 0 || !(tol > 0 && tol < 10)))
    problem = "bad tolerance (a fraction or a percentage)";
  char path[96], why[NVL_DIAG_MSG_MAX + 8];
  snprintf(path, sizeof path, "builtin:%s", get[C_DESIGN]);
  nvl_design *d = NULL;
  nvl_diags diags = NVL_DIAGS_INIT;
  if (!problem && nvl_design_load(path, NULL, &d, &diags) != NVL_LOAD_OK)
    problem = "no such built-in design";
  nvl_llm_sim x;
  memset(&x, 0, sizeof x);
  fflush(stdout); /* keep the table and the errors in order */
  if (!problem && nvl_llm_simulate(d, &m, &a, &(nvl_llm_sim_opts){.ctx = st->ctx, .forked = true},
                                   &x, &diags) != NVL_EXIT_OK) {
    snprintf(why, sizeof why, "%s", nvl_diags_first_error(&diags, "simulation failed"));
    problem = why;
  }
  if (problem) {
    fprintf(stderr, "error: %s:%d: case %s: %s\n", st->csv_in, line, get[C_CASE], problem);
    st->failed++;
  } else {
    double sim = metric_value(metric, &x.r), err = (sim - measured) / measured;
    bool pass = fabs(err) <= tol;
    st->failed += !pass;
    printf(" %-5s %-14.14s %-12s %-22s %-17s %12.3f %12.3f %+7.1f%% %5.1f%%  %-9s %s\n",
           get[C_CASE], get[C_SYSTEM], get[C_DESIGN], get[C_LLM], get[C_METRIC], measured, sim,
           err * 100, tol * 100, *get[C_ROLE] ? get[C_ROLE] : "-",
           pass ? "ok" : "OUTSIDE TOLERANCE");
    if (st->out) {
      for (int c = C_CASE; c <= C_METRIC; c++) {
        nvl_csv_field(st->out, get[c]);
        fputc(',', st->out);
      }
      fprintf(st->out, "%.6g,%.6g,%.6f,%s,", measured, sim, err, pass ? "yes" : "no");
      nvl_csv_field(st->out, get[C_ROLE]);
      fputc('\n', st->out);
    }
  }
  nvl_llm_sim_release(&x);
  nvl_design_free(d);
  nvl_diags_release(&diags);
}

int nvl_validate_llm_read(const char *text, size_t len) {
  nvl_csv_reader r;
  nvl_csv_reader_init(&r, text, len);
  char err[160];
  int col[C__COUNT], got = nvl_csv_header(&r, err, sizeof err), rows = 0;
  for (int c = 0; c < C__COUNT && got > 0; c++)
    if ((col[c] = nvl_csv_find(&r, cols[c])) < 0 && required(c))
      got = -1;
  while (got > 0 && (got = nvl_csv_read(&r, err, sizeof err)) > 0) {
    const char *get[C__COUNT];
    for (int c = 0; c < C__COUNT; c++)
      get[c] = col[c] >= 0 && (size_t)col[c] < r.n_fields ? r.fields[col[c]] : "";
    nvl_llm_ask a;
    nvl_llm m;
    int metric;
    double v;
    rows += !row_ask(get, &a, &m, &metric) && nvl_parse_decimal(get[C_MEASURED], &v) == 0;
  }
  nvl_csv_reader_release(&r);
  return got < 0 ? -1 : rows;
}

int nvl_validate_llm(const nvl_model_ctx *ctx, const char *csv_in, const char *text, size_t len,
                     double tol, FILE *out) {
  vl_state st = {.ctx = ctx, .csv_in = csv_in, .tol = tol, .out = out};
  nvl_csv_reader r;
  nvl_csv_reader_init(&r, text, len);
  char err[160];
  int col[C__COUNT], got = nvl_csv_header(&r, err, sizeof err), rc = NVL_EXIT_OK;
  for (int c = 0; c < C__COUNT && got > 0; c++)
    if ((col[c] = nvl_csv_find(&r, cols[c])) < 0 && required(c)) {
      fprintf(stderr, "error: %s:1: missing column \"%s\"\n", csv_in, cols[c]);
      got = -2;
    }
  if (got <= 0) {
    if (got == -1)
      fprintf(stderr, "error: %s:%d:%d: %s\n", csv_in, r.line, r.column, err);
    else if (got == 0)
      fprintf(stderr, "error: %s: empty table\n", csv_in);
    nvl_csv_reader_release(&r);
    return NVL_EXIT_USAGE;
  }
  if (out) {
    for (int c = C_CASE; c <= C_METRIC; c++)
      fprintf(out, "%s,", cols[c]);
    fputs("measured,simulated,rel_error,within_tolerance,role\n", out);
  }
  printf("# nvlsim validate-model --llm: %s, default model, tolerance %.1f %% unless a row gives "
         "its own\n",
         csv_in, tol * 100);
  printf("#%-5s %-14s %-12s %-22s %-17s %12s %12s %8s %6s  %-9s %s\n", "case", "system", "design",
         "llm", "metric", "measured", "simulated", "error", "tol", "role", "verdict");
  while ((got = nvl_csv_read(&r, err, sizeof err)) != 0) {
    if (got < 0) {
      fflush(stdout);
      fprintf(stderr, "error: %s:%d:%d: %s\n", csv_in, r.line, r.column, err);
      rc = NVL_EXIT_USAGE;
      break;
    }
    if (r.n_fields == 1 && !r.fields[0][0])
      continue;
    const char *get[C__COUNT];
    for (int c = 0; c < C__COUNT; c++)
      get[c] = col[c] >= 0 && (size_t)col[c] < r.n_fields ? r.fields[col[c]] : "";
    check_row(&st, get, r.line);
  }
  nvl_csv_reader_release(&r);
  if (rc != NVL_EXIT_OK)
    return rc;
  printf("# %d row%s, %d within tolerance, %d outside or failed (role: what the row is to the "
         "model, from the CSV)\n",
         st.rows, st.rows == 1 ? "" : "s", st.rows - st.failed, st.failed);
  if (st.rows == 0) {
    fflush(stdout);
    fprintf(stderr, "error: %s: no rows to check (only a header)\n", csv_in);
  }
  return st.failed || st.rows == 0 ? NVL_EXIT_FAIL : NVL_EXIT_OK;
}
