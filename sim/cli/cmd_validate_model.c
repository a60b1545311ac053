/*
 * cmd_validate_model: `nvlsim validate-model [CSV]`: simulates every row of a table of measured
 * nccl-tests results on the matching reference design under the default model, and compares.
 *
 * The CSV has a header naming at least case, system, gpus, collective, algorithm, size_bytes and
 * one or more of time_us, algbw_GBps, busbw_GBps (empty cells are not compared). Without CSV, the
 * built-in copy of models/measured-collectives.csv is used. Systems map to built-in designs
 * (SYSTEMS below). Each row is simulated in its own child process (one SimGrid engine per
 * process). Exit 0 when every row is within --tolerance (default 5 %), 1 otherwise, 2 on usage or
 * I/O errors.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "models/algorithms.h"
#include "base/builtin.h"
#include "base/csv.h"
#include "output/plot.h"
#include "base/units.h"
#include "base/file.h"
#include "base/xalloc.h"
#include "cli/cli.h"
#include "cli/options.h"
#include "cli/commands.h"
#include "engine/engine.h"
#include "platform/platform.h"
#include "cli/simulate.h"
#include "cli/validate_llm.h"
#include "cli/validate_ops.h"
#include "workload/workload.h"

/* System names of measured rows and the reference design that models them. */
static const struct {
  const char *system, *design, *note;
} SYSTEMS[] = {
    {"HGX A100 SXM", "hgx-a100", ""},
    {"HGX A100", "hgx-a100", ""},
    {"DGX A100", "hgx-a100", ""},
    {"HGX H100", "hgx-h100", ""},
    {"DGX H100", "hgx-h100", ""},
    {"HGX H200", "hgx-h100", "H200 has H100's NVLink 4 x 18 and NVSwitch gen 3 fabric"},
    {"HGX B200", "hgx-b200", ""},
    {"DGX B200", "hgx-b200", ""},
    {"GB200 NVL72", "gb200-nvl72", ""},
    {"GB300 NVL72", "gb300-nvl72", ""},
    {"AWS p5.48xlarge", "p5-efa-x2", "two p5 instances: EFA's fabric as one non-blocking switch"},
    {"GCP A4 (a4-highgpu-8g)", "a4-roce-x2",
     "two A4 instances: GCP's RoCE network as one non-blocking switch"},
    {"Nebius H100 cluster", "h100-pod-256",
     "NIC count and rate not stated: 8 x 400 Gb/s per node assumed, as the pod's"},
};

enum {
  COL_CASE,
  COL_SYSTEM,
  COL_GPUS,
  COL_COLL,
  COL_ALGO,
  COL_SIZE,
  COL_TIME,
  COL_ALGBW,
  COL_BUSBW,
  COL_ROLE,
  COL__COUNT
};
static const char *const col_names[COL__COUNT] = {
    "case",       "system",  "gpus",       "collective", "algorithm",
    "size_bytes", "time_us", "algbw_GBps", "busbw_GBps", "role"};

/* Per-system totals for the summary; rows of one system are not necessarily adjacent. */
typedef struct {
  char system[64];
  int rows, within, fitted;
  double sum_abs, worst;
  char worst_case[32];
} sys_total;

static void add_total(sys_total *t, int *n, int cap, const char *system, const char *cas,
                      double err, bool pass, bool fitted) {
  int i = 0;
  while (i < *n && strcmp(t[i].system, system) != 0)
    i++;
  if (i == *n) {
    if (*n == cap)
      return;
    memset(&t[i], 0, sizeof t[i]);
    snprintf(t[i].system, sizeof t[i].system, "%s", system);
    (*n)++;
  }
  t[i].rows++;
  t[i].within += pass;
  t[i].fitted += fitted;
  t[i].sum_abs += fabs(err);
  if (fabs(err) >= fabs(t[i].worst)) {
    t[i].worst = err;
    snprintf(t[i].worst_case, sizeof t[i].worst_case, "%s", cas);
  }
}

static void print_totals(const sys_total *t, int n, double tol) {
  if (n == 0)
    return;
  printf("# per system (rows, within %.1f %%, rows fitted to, mean and worst error):\n", tol * 100);
  for (int i = 0; i < n; i++)
    printf("#   %-16s %3d rows, %3d within, %3d fitted, mean %5.1f %%, worst %+6.1f %% (%s)\n",
           t[i].system, t[i].rows, t[i].within, t[i].fitted, 100 * t[i].sum_abs / t[i].rows,
           100 * t[i].worst, t[i].worst_case);
}

typedef struct {
  double time_us, algbw, busbw;
  char protocol[8], algorithm[16];
} sim_result;

static int simulate_row(const nvl_model_ctx *ctx, const char *design_name, nvl_coll coll,
                        nvl_algo algo, int gpus, uint64_t bytes, sim_result *out, char *err,
                        size_t errlen) {
  char path[96];
  snprintf(path, sizeof path, "builtin:%s", design_name);
  nvl_diags diags = NVL_DIAGS_INIT;
  nvl_design *d = NULL;
  nvl_workload_spec spec = {.ctx = ctx, .model = NVL_MODEL_DEFAULT, .seed = 1};
  nvl_results rows = NVL_RESULTS_INIT;
  int rc = -1;
  if (nvl_design_load(path, NULL, &d, &diags) != NVL_LOAD_OK) {
    snprintf(err, errlen, "built-in design %s does not load", design_name);
    goto out;
  }
  spec.jobs = nvl_xcalloc(1, sizeof *spec.jobs);
  spec.n_jobs = 1;
  spec.jobs[0] =
      (nvl_job){.coll = coll, .algo = algo, .proto = -1, .n_limit = gpus, .size_bytes = bytes};
  snprintf(spec.jobs[0].name, sizeof spec.jobs[0].name, "row");
  if (nvl_simulate(d, &spec, &(nvl_sim_opts){.forked = true}, &rows, &diags) != 0) {
    snprintf(err, errlen, "%s", diags.count ? diags.items[0].message : "simulation failed");
    goto out;
  }
  out->time_us = rows.rows[0].time_us;
  out->algbw = rows.rows[0].algbw_GBps;
  out->busbw = rows.rows[0].busbw_GBps;
  snprintf(out->protocol, sizeof out->protocol, "%s", rows.rows[0].protocol);
  snprintf(out->algorithm, sizeof out->algorithm, "%s", rows.rows[0].algorithm);
  rc = 0;
out:
  nvl_results_release(&rows);
  nvl_workload_spec_release(&spec);
  nvl_design_free(d);
  nvl_diags_release(&diags);
  return rc;
}

static double parse_num(const char *s, bool *present) {
  *present = s && *s;
  if (!*present)
    return NAN;
  double v;
  if (nvl_parse_decimal(s, &v) != 0 || v <= 0) {
    *present = false;
    return -1; /* malformed: reported by the caller */
  }
  return v;
}

typedef struct {
  double tol; /* -1: the table's default (5 %, --ops 10 %, --multinode 15 %) */
  const char *csv_out;
  bool llm, ops, multinode;
  const char *design;
  const char *plot;
} vm_opts;

static int parse_tolerance(void *field, const char *v, const char *opt, const char *cmd) {
  double tol;
  if (nvl_parse_fraction(v, &tol) != 0 || !(tol > 0))
    return nvl_cli_usage_error(cmd, "%s takes a fraction or a percentage (0.05 or 5%%)", opt);
  *(double *)field = tol;
  return 0;
}

static const nvl_option options[] = {
    NVL_OPT_CALL_(0, "tolerance", "TOL", vm_opts, tol, parse_tolerance,
                  "largest relative error accepted: 0.05 or 5% (default 5%,\n--ops 10%)"),
    NVL_OPT_(NVL_OPT_STRING, 0, "csv", "OUT", vm_opts, csv_out,
             "every row measured against simulated, written atomically"),
    NVL_OPT_(NVL_OPT_FLAG, 0, "llm", NULL, vm_opts, llm,
             "LLM-step figures instead (default table: models/measured-llm.csv)"),
    NVL_OPT_(NVL_OPT_FLAG, 0, "multinode", NULL, vm_opts, multinode,
             "collectives across nodes instead (default table:\nmodels/measured-multinode.csv, "
             "tolerance 15 %)"),
    NVL_OPT_(NVL_OPT_FLAG, 0, "ops", NULL, vm_opts, ops,
             "operations instead: an operation table (default: the built-in\nH200 table, "
             "models/h200-operations.csv) on --design's GPU"),
    NVL_OPT_(NVL_OPT_STRING, 0, "design", "DESIGN", vm_opts, design,
             "with --ops: the design whose first GPU ran the table\n(default builtin:hgx-h200)"),
    NVL_OPT_(NVL_OPT_STRING, 0, "plot", "OUT", vm_opts, plot,
             "simulated against measured, a point per row, one series per\nsystem (--llm: "
             "metric, --ops: kind), the diagonal drawn:\nOUT.png, .svg or .pdf (gnuplot)"),
    NVL_OPT_END_};

const nvl_cmd_doc nvl_doc_validate_model = {
    "validate-model", "nvlsim validate-model [--tolerance 5%] [--csv OUT] [CSV]",
    "Simulates every row of a table of measured nccl-tests results (default: the built-in copy\n"
    "of models/measured-collectives.csv) on the reference design of its system under the\n"
    "default model and prints measured vs simulated with the relative error. Columns: case,\n"
    "system, gpus, collective, algorithm, size_bytes and any of time_us, algbw_GBps, busbw_GBps\n"
    "(empty cells are not compared). Systems: HGX A100 -> hgx-a100, HGX H100/H200 -> hgx-h100\n"
    "(same NVLink 4 fabric), HGX B200 -> hgx-b200, GB200/GB300 NVL72 -> gb200/gb300-nvl72;\n"
    "across nodes (--multinode: models/measured-multinode.csv) AWS p5.48xlarge -> p5-efa-x2,\n"
    "GCP A4 -> a4-roce-x2, Nebius H100 cluster -> h100-pod-256 (the first gpus ranks).\n"
    "With --llm, a table of LLM-step figures (DeepEP's dispatch and combine bandwidth, ...):\n"
    "case, system, design, llm, moe_layers, mode, precision, tp, ep, pp, dp, batch, seq,\n"
    "microbatches, metric (an llm CSV column), measured, role, source.\n"
    "With --ops, an operation table (tools/profile_gpu.py writes one) priced by the kernel\n"
    "model on a design's GPU: the mechanism alone, the model with each row held out of the\n"
    "table (a prediction from its neighbours) and the model with the whole table (what nvlsim\n"
    "runs); the tolerance (default 10 % here) applies to the last.\n"
    "Examples:\n"
    "  nvlsim validate-model --csv collectives.csv\n"
    "  nvlsim validate-model --ops --tolerance 10% --plot ops.png\n",
    options, "exit status: 0 every row within tolerance, 1 otherwise, 2 usage or I/O error\n"};

/* A measurement table is at most this large. */
#define MEASURED_MAX_BYTES (64u << 20)

/* One measured row against its simulation: a table line and a CSV record. Returns whether the
 * row passed (false also for a row that cannot be simulated, reported on stderr). */
typedef struct {
  const nvl_model_ctx *ctx;
  const char *csv_in;
  double tol;
  FILE *out; /* --csv, or NULL */
  sys_total totals[64];
  int n_totals, rows, failed;
} vm_state;

static void write_csv_row(FILE *o, const char *const *get, const char *design, int gpus,
                          nvl_coll coll, const sim_result *sr, double size, const double *m,
                          const bool *has, double worst, bool pass) {
  nvl_csv_field(o, get[COL_CASE]);
  fputc(',', o);
  nvl_csv_field(o, get[COL_SYSTEM]);
  fputc(',', o);
  nvl_csv_field(o, design);
  fprintf(o, ",%d,%s,%s,%s,%.0f,", gpus, nvl_coll_name(coll), sr->algorithm, sr->protocol, size);
  const double sim[3] = {sr->time_us, sr->algbw, sr->busbw};
  for (int k = 0; k < 3; k++) {
    if (has[k])
      fprintf(o, "%.3f", m[k]);
    fprintf(o, ",%.3f,", sim[k]);
  }
  fprintf(o, "%.6f,%s,", worst, pass ? "yes" : "no");
  nvl_csv_field(o, get[COL_ROLE]);
  fputc('\n', o);
}

static void check_row(vm_state *st, const char *const *get, int line) {
  st->rows++;
  const char *design = NULL;
  for (size_t s = 0; s < sizeof SYSTEMS / sizeof SYSTEMS[0]; s++)
    if (strcmp(SYSTEMS[s].system, get[COL_SYSTEM]) == 0)
      design = SYSTEMS[s].design;
  nvl_coll coll;
  nvl_algo algo;
  bool has[3], ok_g, ok_s;
  double gpus = parse_num(get[COL_GPUS], &ok_g), size = parse_num(get[COL_SIZE], &ok_s);
  double m[3] = {parse_num(get[COL_TIME], &has[0]), parse_num(get[COL_ALGBW], &has[1]),
                 parse_num(get[COL_BUSBW], &has[2])};
  const char *problem = !design ? "no reference design for this system"
                        : nvl_coll_parse(get[COL_COLL], &coll) != 0 ? "unknown collective"
                        : nvl_algo_parse(get[COL_ALGO], &algo) != 0 ? "unknown algorithm"
                        : !ok_g || gpus != floor(gpus)              ? "bad gpus"
                        : !(size >= 1)                              ? "bad size_bytes"
                        : (!has[0] && !has[1] && !has[2])           ? "no measured value"
                        : m[0] < 0 || m[1] < 0 || m[2] < 0          ? "malformed measured value"
                                                                    : NULL;
  fflush(stdout); /* keep the table and the errors in order */
  sim_result sr;
  char err[NVL_DIAG_MSG_MAX + 64];
  if (!problem && simulate_row(st->ctx, design, coll, algo, (int)gpus, (uint64_t)size, &sr, err,
                               sizeof err) != 0)
    problem = err;
  if (problem) {
    fprintf(stderr, "error: %s:%d: case %s: %s\n", st->csv_in, line, get[COL_CASE], problem);
    st->failed++;
    return;
  }
  const double sim[3] = {sr.time_us, sr.algbw, sr.busbw};
  double worst = 0;
  for (int k = 0; k < 3; k++)
    if (has[k])
      worst = fmax(worst, fabs(sim[k] - m[k]) / m[k]);
  bool pass = worst <= st->tol;
  st->failed += !pass;
  /* the table shows busbw when measured, else algbw, else time */
  int shown = has[2] ? 2 : has[1] ? 1 : 0;
  double signed_err = (sim[shown] - m[shown]) / m[shown];
  printf(" %-5s %-14.14s %-5d %-15s %-6s %-6s %12.0f %10.2f %10.2f %+7.1f%%  %-9s %s\n",
         get[COL_CASE], get[COL_SYSTEM], (int)gpus, nvl_coll_name(coll), sr.algorithm, sr.protocol,
         size, m[shown], sim[shown], signed_err * 100, *get[COL_ROLE] ? get[COL_ROLE] : "-",
         pass ? "ok" : "OUTSIDE TOLERANCE");
  add_total(st->totals, &st->n_totals, (int)(sizeof st->totals / sizeof st->totals[0]),
            get[COL_SYSTEM], get[COL_CASE], signed_err, pass, strcmp(get[COL_ROLE], "fitted") == 0);
  if (st->out)
    write_csv_row(st->out, get, design, (int)gpus, coll, &sr, size, m, has, worst, pass);
}

/* The header: column indices, or an error for a missing required one. */
static int read_header(const nvl_csv_reader *r, const char *csv_in, int *col) {
  for (int c = 0; c < COL__COUNT; c++) {
    col[c] = nvl_csv_find(r, col_names[c]);
    if (col[c] < 0 && c <= COL_SIZE) {
      fprintf(stderr, "error: %s:1: missing column \"%s\"\n", csv_in, col_names[c]);
      return -1;
    }
  }
  return 0;
}

/* Checks every row of the table; returns an exit status. */
static int check_table(vm_state *st, const char *text, size_t len) {
  nvl_csv_reader r;
  nvl_csv_reader_init(&r, text, len);
  char err[160];
  int col[COL__COUNT], got, rc = NVL_EXIT_OK;
  if ((got = nvl_csv_header(&r, err, sizeof err)) <= 0 || read_header(&r, st->csv_in, col) != 0) {
    if (got < 0)
      fprintf(stderr, "error: %s:%d:%d: %s\n", st->csv_in, r.line, r.column, err);
    else if (got == 0)
      fprintf(stderr, "error: %s: empty table\n", st->csv_in);
    nvl_csv_reader_release(&r);
    return NVL_EXIT_USAGE;
  }
  printf("# nvlsim validate-model: %s, default model, tolerance %.1f %%\n", st->csv_in,
         st->tol * 100);
  printf("#%-5s %-14s %-5s %-15s %-6s %-6s %12s %10s %10s %8s  %-9s %s\n", "case", "system", "gpus",
         "collective", "algo", "proto", "size (B)", "measured", "simulated", "error", "role",
         "verdict");
  while ((got = nvl_csv_read(&r, err, sizeof err)) != 0) {
    if (got < 0) {
      fflush(stdout);
      fprintf(stderr, "error: %s:%d:%d: %s\n", st->csv_in, r.line, r.column, err);
      rc = NVL_EXIT_USAGE;
      break;
    }
    if (r.n_fields == 1 && !r.fields[0][0])
      continue;
    const char *get[COL__COUNT];
    for (int c = 0; c < COL__COUNT; c++)
      get[c] = col[c] >= 0 && (size_t)col[c] < r.n_fields ? r.fields[col[c]] : "";
    check_row(st, get, r.line);
  }
  nvl_csv_reader_release(&r);
  return rc;
}

/* --ops: the table (NULL: the built-in H200 one) on the design's GPU. */
static int validate_ops(const nvl_model_ctx *ctx, const vm_opts *o, const char *file) {
  nvl_design *d = NULL;
  int rc = nvl_cli_load(o->design ? o->design : "builtin:hgx-h200", &(nvl_load_opts){0}, false, &d);
  if (rc != NVL_EXIT_OK)
    return rc;
  char *text = NULL, err[320];
  size_t len = 0;
  nvl_diags diags = NVL_DIAGS_INIT;
  nvl_profile p = {0};
  const char *name = file ? file : "builtin:h200";
  if (file && nvl_file_read(file, "measured table", MEASURED_MAX_BYTES, &text, &len, &diags) != 0) {
    nvl_cli_print_diags(&diags, file, stderr);
    rc = NVL_EXIT_USAGE;
    goto done;
  }
  if (nvl_profile_parse(&p, name, file ? text : nvl_h200_profile_csv,
                        file ? len : nvl_h200_profile_csv_len, err, sizeof err) != 0) {
    fprintf(stderr, "error: %s: %s\n", name, err);
    rc = NVL_EXIT_FAIL;
    goto done;
  }
  nvl_outfile out = {0};
  if (o->csv_out && nvl_cli_output_open(&out, o->csv_out, "validate-model") != 0) {
    rc = NVL_EXIT_USAGE;
    goto done;
  }
  rc = nvl_validate_ops(ctx, d, name, &p, o->tol < 0 ? 0.10 : o->tol, out.fp);
  if (out.fp && nvl_cli_output_commit(&out, "validate-model") != 0)
    rc = NVL_EXIT_USAGE;
done:
  nvl_profile_release(&p);
  nvl_diags_release(&diags);
  free(text);
  nvl_design_free(d);
  return rc;
}

/* The picture of a validation: the rows of its CSV (just written at csv), simulated against
 * measured, a series per system (collectives), metric (--llm) or kind (--ops), log-log but for
 * the collectives' bandwidths, and the diagonal. Returns an exit status. */
static int plot_validation(const vm_opts *o, const char *csv) {
  static const char *const coll_pairs[][2] = {{"measured_busbw_GBps", "simulated_busbw_GBps"},
                                              {"measured_algbw_GBps", "simulated_algbw_GBps"},
                                              {"measured_time_us", "simulated_time_us"}};
  static const char *const llm_pair[][2] = {{"measured", "simulated"}};
  static const char *const ops_pair[][2] = {{"measured_s", "model_s"}};
  const char *const(*pairs)[2] = o->ops ? ops_pair : o->llm ? llm_pair : coll_pairs;
  int n_pairs = o->ops || o->llm ? 1 : 3;
  const char *series = o->ops ? "kind" : o->llm ? "metric" : "system";
  char *text;
  size_t len;
  if (nvl_cli_read_file(csv, "validation CSV", MEASURED_MAX_BYTES, &text, &len) != 0)
    return NVL_EXIT_USAGE;
  nvl_plot pl = {.xlabel = "measured",
                 .ylabel = "simulated",
                 .title = "validate-model",
                 .scatter = true,
                 .diagonal = true,
                 .logx = o->ops || o->llm,
                 .logy = o->ops || o->llm};
  nvl_csv_reader r;
  nvl_csv_reader_init(&r, text, len);
  char err[160];
  int got = nvl_csv_header(&r, err, sizeof err), cs = nvl_csv_find(&r, series), cm[3], cx[3];
  for (int k = 0; k < n_pairs; k++)
    cm[k] = nvl_csv_find(&r, pairs[k][0]), cx[k] = nvl_csv_find(&r, pairs[k][1]);
  while (got > 0 && cs >= 0 && (got = nvl_csv_read(&r, err, sizeof err)) > 0)
    for (int k = 0; k < n_pairs; k++) { /* the first pair the row measured */
      double m, s;
      if (cm[k] < 0 || cx[k] < 0 || nvl_parse_decimal(r.fields[cm[k]], &m) != 0 ||
          nvl_parse_decimal(r.fields[cx[k]], &s) != 0 || !(m > 0 && s > 0))
        continue;
      nvl_plot_series *ps = nvl_plot_series_of(&pl, r.fields[cs]);
      if (ps)
        nvl_plot_add(ps, m, s);
      break;
    }
  nvl_csv_reader_release(&r);
  free(text);
  int rc = nvl_plot_write(&pl, o->plot, "validate-model");
  nvl_plot_release(&pl);
  return rc;
}

static int validate(const nvl_model_ctx *ctx, vm_opts o, char **operands, int n);

int nvl_cmd_validate_model(const nvl_model_ctx *ctx, int argc, char **argv) {
  vm_opts o = {.tol = -1};
  char *operands[1];
  int n = 0, rc;
  if (!nvl_options_accept(&nvl_doc_validate_model, argc, argv, &o, operands, 1, &n, &rc))
    return rc;
  if (o.ops && o.llm)
    return nvl_cli_usage_error("validate-model", "--ops and --llm: one table at a time");
  if (o.design && !o.ops)
    return nvl_cli_usage_error("validate-model", "--design is for --ops");
  if (!o.plot)
    return validate(ctx, o, operands, n);
  if ((rc = nvl_plot_check(o.plot, "validate-model")) != NVL_EXIT_OK)
    return rc;
  /* the picture is drawn from the CSV: --csv's, or one of our own */
  char tmp[300];
  int fd = -1;
  if (!o.csv_out) {
    if ((fd = nvl_cli_tmpfile(tmp, sizeof tmp, "nvlsim-validate")) < 0) {
      fprintf(stderr, "nvlsim validate-model: --plot: no temporary file in %s: %s\n", tmp,
              strerror(errno));
      return NVL_EXIT_USAGE;
    }
    close(fd);
    o.csv_out = tmp;
  }
  rc = validate(ctx, o, operands, n);
  if (rc == NVL_EXIT_OK || rc == NVL_EXIT_FAIL) { /* rows outside the tolerance are drawn too */
    int prc = plot_validation(&o, o.csv_out);
    if (prc != NVL_EXIT_OK)
      rc = prc;
  }
  if (fd >= 0)
    unlink(tmp);
  return rc;
}

static int validate(const nvl_model_ctx *ctx, vm_opts o, char **operands, int n) {
  int rc;
  if (o.ops)
    return validate_ops(ctx, &o, n ? operands[0] : NULL);
  if (o.tol < 0)
    o.tol = o.multinode ? 0.15 : 0.05;
  vm_state st = {.ctx = ctx,
                 .csv_in = n             ? operands[0]
                           : o.llm       ? "builtin:measured-llm.csv"
                           : o.multinode ? "builtin:measured-multinode.csv"
                                         : "builtin:measured-collectives.csv",
                 .tol = o.tol};
  char *text = NULL;
  size_t len = 0;
  if (n &&
      nvl_cli_read_file(operands[0], "measurement table", MEASURED_MAX_BYTES, &text, &len) != 0)
    return NVL_EXIT_USAGE;
  if (!n) {
    const char *in = o.llm         ? nvl_measured_llm_csv
                     : o.multinode ? nvl_measured_multinode_csv
                                   : nvl_measured_csv;
    len = o.llm         ? nvl_measured_llm_csv_len
          : o.multinode ? nvl_measured_multinode_csv_len
                        : nvl_measured_csv_len;
    text = nvl_xmalloc(len + 1);
    memcpy(text, in, len);
  }
  nvl_outfile out = {0};
  if (o.csv_out && nvl_cli_output_open(&out, o.csv_out, "validate-model") != 0) {
    free(text);
    return NVL_EXIT_USAGE;
  }
  st.out = out.fp;
  if (o.llm) {
    rc = nvl_validate_llm(ctx, st.csv_in, text, len, st.tol, st.out);
    goto finish;
  }
  if (st.out)
    fprintf(st.out,
            "case,system,design,gpus,collective,algorithm,protocol,size_bytes,"
            "measured_time_us,simulated_time_us,measured_algbw_GBps,simulated_algbw_GBps,"
            "measured_busbw_GBps,simulated_busbw_GBps,max_rel_error,within_tolerance,role\n");
  rc = check_table(&st, text, len);
  if (rc == NVL_EXIT_OK) {
    print_totals(st.totals, st.n_totals, st.tol);
    printf("# %d row%s, %d within %.1f %%, %d outside or failed (measured column shown: busbw, "
           "else algbw, else time; role: what the row is to the model, from the CSV)\n",
           st.rows, st.rows == 1 ? "" : "s", st.rows - st.failed, st.tol * 100, st.failed);
    if (st.failed)
      rc = NVL_EXIT_FAIL;
    if (st.rows == 0) { /* a gate with nothing to check must not pass */
      fflush(stdout);
      fprintf(stderr, "error: %s: no rows to check (only a header)\n", st.csv_in);
      rc = NVL_EXIT_FAIL;
    }
  }
finish:
  free(text);
  if (out.fp) {
    if (rc == NVL_EXIT_USAGE)
      nvl_outfile_abort(&out);
    else if (nvl_cli_output_commit(&out, "validate-model") != 0)
      rc = NVL_EXIT_USAGE;
  }
  return rc;
}
