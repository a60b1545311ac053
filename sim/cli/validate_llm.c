/*
 * validate_llm: `nvlsim validate-model --llm [CSV]`: every row of a table of measured LLM-step
 * figures simulated as `nvlsim llm` runs it, measured vs simulated with the relative error.
 *
 * Columns: case, system, design (a built-in design), moe_layers (optional: keep only this many
 * MoE layers of the model and no dense ones, for a benchmark of one layer's exchange), metric (a
 * column of the llm CSV: step_time_us, tokens_per_s, mfu, ep_dispatch_GBps, ...), measured,
 * tolerance (optional: the row's, else --tolerance), role (fitted or predicted), source, gpus or
 * ranks (optional: the participants, as -g and --ranks; default every accelerator), and every LLM
 * parameter (cli/llm_params.h: llm, required; mode, precision, tp, ep, cp, vp, recompute, ...;
 * an empty cell or no column: the default of `nvlsim llm`).
 */
#include "cli/validate_llm.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/csv.h"
#include "base/exit.h"
#include "base/units.h"
#include "cli/llm_params.h"
#include "cli/llm_sim.h"

/* The table's own columns; every LLM parameter (cli/llm_params.h) is a column too. */
enum {
  C_CASE,
  C_SYSTEM,
  C_DESIGN,
  C_MOE_LAYERS,
  C_METRIC,
  C_MEASURED,
  C_TOLERANCE,
  C_GPUS,
  C_RANKS,
  C_ROLE,
  C__COUNT
};
static const char *const cols[C__COUNT] = {"case",   "system",   "design",    "moe_layers",
                                           "metric", "measured", "tolerance", "gpus",
                                           "ranks",  "role"};
/* Required columns: case, system, design, metric, measured (and the parameter llm). */
static bool required(int c) { return c <= C_DESIGN || c == C_METRIC || c == C_MEASURED; }

/* A row's cells: the table's columns, then the parameters'. */
typedef struct {
  const char *get[C__COUNT];
  const char *param[NVL_LLM_MAX_PARAMS];
} row_cells;

/* The header's columns of the table's own and of the parameters, -1 for each absent. */
typedef struct {
  int col[C__COUNT], pcol[NVL_LLM_MAX_PARAMS];
} row_cols;

static const char *const metrics[] = {
    "step_time_us",          "tokens_per_s",        "mfu",           "ep_dispatch_GBps",
    "ep_combine_GBps",       "ep_dispatch_us",      "ep_combine_us", "tokens_per_s_replica",
    "ep_dispatch_rdma_GBps", "ep_combine_rdma_GBps"};
#define N_METRICS (sizeof metrics / sizeof metrics[0])

static double metric_value(int k, const nvl_llm_result *r) {
  const double v[N_METRICS] = {r->step_s * 1e6,
                               r->tokens_per_s,
                               r->mfu,
                               r->ep_dispatch_Bps / 1e9,
                               r->ep_combine_Bps / 1e9,
                               r->ep_dispatch_s * 1e6,
                               r->ep_combine_s * 1e6,
                               r->replica_tokens_per_s,
                               r->ep_dispatch_rdma_Bps / 1e9,
                               r->ep_combine_rdma_Bps / 1e9};
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

/* The parameter table's entry of llm. */
static const nvl_llm_param *llm_param(void) { return nvl_llm_param_find("llm"); }

/* The row's ask and model; returns NULL, or what is wrong with the row (why: room for it). */
static const char *row_ask(const row_cells *c, nvl_llm_ask *a, nvl_llm *m, int *metric, char *why,
                           size_t len) {
  *a = (nvl_llm_ask)NVL_LLM_ASK_INIT;
  for (size_t i = 0; i < nvl_llm_n_params; i++)
    if (nvl_llm_param_set_text(&nvl_llm_params[i], a, c->param[i], why, len) != 0)
      return why;
  if (!a->llm)
    return "no llm";
  nvl_diags d = NVL_DIAGS_INIT;
  int bad = nvl_llm_load(a->llm, m, &d);
  nvl_diags_release(&d);
  if (bad)
    return "unknown llm";
  size_t moe = 0;
  if (size_cell(c->get[C_MOE_LAYERS], &moe) != 0 || moe > NVL_LLM_MAX_LAYERS || (moe && !m->moe))
    return "bad moe_layers (a whole number from 1 to 16384, for a MoE model)";
  if (moe)
    m->layers = (long)moe, m->first_dense = 0;
  size_t g = 0;
  if (size_cell(c->get[C_GPUS], &g) != 0 || g == 1 || g > 1000000)
    return "bad gpus (the first N participants, as -g: empty or 2 to 1000000)";
  a->g = (int)g;
  if (*c->get[C_GPUS] && *c->get[C_RANKS])
    return "gpus and ranks both given (one or the other, as -g and --ranks)";
  a->ranks = *c->get[C_RANKS] ? c->get[C_RANKS] : NULL;
  *metric = -1;
  for (size_t k = 0; k < N_METRICS; k++)
    if (strcmp(c->get[C_METRIC], metrics[k]) == 0)
      *metric = (int)k;
  return *metric < 0 ? "unknown metric" : NULL;
}

/* The header's columns; returns the first required column absent, or NULL. */
static const char *find_cols(const nvl_csv_reader *r, row_cols *rc) {
  for (int c = 0; c < C__COUNT; c++)
    if ((rc->col[c] = nvl_csv_find(r, cols[c])) < 0 && required(c))
      return cols[c];
  for (size_t i = 0; i < nvl_llm_n_params; i++) {
    char k[64];
    nvl_llm_param_key(&nvl_llm_params[i], k, sizeof k);
    if ((rc->pcol[i] = nvl_csv_find(r, k)) < 0 && &nvl_llm_params[i] == llm_param())
      return "llm";
  }
  return NULL;
}

static void get_cells(const nvl_csv_reader *r, const row_cols *rc, row_cells *c) {
  for (int k = 0; k < C__COUNT; k++)
    c->get[k] = rc->col[k] >= 0 && (size_t)rc->col[k] < r->n_fields ? r->fields[rc->col[k]] : "";
  for (size_t i = 0; i < nvl_llm_n_params; i++)
    c->param[i] =
        rc->pcol[i] >= 0 && (size_t)rc->pcol[i] < r->n_fields ? r->fields[rc->pcol[i]] : "";
}

typedef struct {
  const nvl_model_ctx *ctx;
  const char *csv_in;
  double tol;
  FILE *out;
  int rows, failed;
} vl_state;

/* The output table's columns (one per parameter, with the row's cell) and a row's first part. */
static void out_header(FILE *out) {
  fputs("case,system,design,moe_layers,", out);
  for (size_t i = 0; i < nvl_llm_n_params; i++) {
    char k[64];
    nvl_llm_param_key(&nvl_llm_params[i], k, sizeof k);
    fprintf(out, "%s,", k);
  }
  fputs("metric,measured,simulated,rel_error,within_tolerance,role\n", out);
}

static void out_cells(FILE *out, const row_cells *c) {
  const int own[] = {C_CASE, C_SYSTEM, C_DESIGN, C_MOE_LAYERS};
  for (size_t k = 0; k < 4; k++) {
    nvl_csv_field(out, c->get[own[k]]);
    fputc(',', out);
  }
  for (size_t i = 0; i < nvl_llm_n_params; i++) {
    nvl_csv_field(out, c->param[i]);
    fputc(',', out);
  }
  nvl_csv_field(out, c->get[C_METRIC]);
  fputc(',', out);
}

static void check_row(vl_state *st, const row_cells *c, int line) {
  const char *const *get = c->get;
  st->rows++;
  nvl_llm_ask a;
  nvl_llm m;
  int metric;
  double measured = 0;
  char bad[160];
  const char *problem = row_ask(c, &a, &m, &metric, bad, sizeof bad);
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
           get[C_CASE], get[C_SYSTEM], get[C_DESIGN], a.llm, get[C_METRIC], measured, sim,
           err * 100, tol * 100, *get[C_ROLE] ? get[C_ROLE] : "-",
           pass ? "ok" : "OUTSIDE TOLERANCE");
    if (st->out) {
      out_cells(st->out, c);
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
  row_cols rc;
  int got = nvl_csv_header(&r, err, sizeof err), rows = 0;
  if (got > 0 && find_cols(&r, &rc))
    got = -1;
  while (got > 0 && (got = nvl_csv_read(&r, err, sizeof err)) > 0) {
    row_cells c;
    get_cells(&r, &rc, &c);
    nvl_llm_ask a;
    nvl_llm m;
    int metric;
    double v;
    rows += !row_ask(&c, &a, &m, &metric, err, sizeof err) &&
            nvl_parse_decimal(c.get[C_MEASURED], &v) == 0;
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
  row_cols rc;
  int got = nvl_csv_header(&r, err, sizeof err), rc_exit = NVL_EXIT_OK;
  const char *missing = got > 0 ? find_cols(&r, &rc) : NULL;
  if (missing) {
    fprintf(stderr, "error: %s:1: missing column \"%s\"\n", csv_in, missing);
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
  if (out)
    out_header(out);
  printf("# nvlsim validate-model --llm: %s, default model, tolerance %.1f %% unless a row gives "
         "its own\n",
         csv_in, tol * 100);
  printf("#%-5s %-14s %-12s %-22s %-17s %12s %12s %8s %6s  %-9s %s\n", "case", "system", "design",
         "llm", "metric", "measured", "simulated", "error", "tol", "role", "verdict");
  while ((got = nvl_csv_read(&r, err, sizeof err)) != 0) {
    if (got < 0) {
      fflush(stdout);
      fprintf(stderr, "error: %s:%d:%d: %s\n", csv_in, r.line, r.column, err);
      rc_exit = NVL_EXIT_USAGE;
      break;
    }
    if (r.n_fields == 1 && !r.fields[0][0])
      continue;
    row_cells c;
    get_cells(&r, &rc, &c);
    check_row(&st, &c, r.line);
  }
  nvl_csv_reader_release(&r);
  if (rc_exit != NVL_EXIT_OK)
    return rc_exit;
  printf("# %d row%s, %d within tolerance, %d outside or failed (role: what the row is to the "
         "model, from the CSV)\n",
         st.rows, st.rows == 1 ? "" : "s", st.rows - st.failed, st.failed);
  if (st.rows == 0) {
    fflush(stdout);
    fprintf(stderr, "error: %s: no rows to check (only a header)\n", csv_in);
  }
  return st.failed || st.rows == 0 ? NVL_EXIT_FAIL : NVL_EXIT_OK;
}
