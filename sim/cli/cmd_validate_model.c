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

#include "models/algorithms.h"
#include "base/builtin.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "engine/engine.h"
#include "platform/platform.h"
#include "cli/simulate.h"
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

/* Splits one CSV line in place (double quotes allowed around fields). Returns the field count. */
static int split_csv(char *line, char **fields, int max) {
  int n = 0;
  char *p = line;
  while (n < max) {
    char *start = p, *out = p;
    if (*p == '"') {
      p++;
      start = out = p;
      while (*p && !(*p == '"' && p[1] != '"')) {
        if (*p == '"')
          p++;
        *out++ = *p++;
      }
      if (*p == '"')
        p++;
    } else {
      while (*p && *p != ',' && *p != '\n' && *p != '\r')
        out = ++p;
    }
    char end = *p;
    *out = '\0';
    fields[n++] = start;
    if (end != ',')
      break;
    p++;
  }
  return n;
}

typedef struct {
  double time_us, algbw, busbw;
  char protocol[8], algorithm[16];
} sim_result;

static int simulate_row(const char *design_name, nvl_coll coll, nvl_algo algo, int gpus,
                        uint64_t bytes, sim_result *out, char *err, size_t errlen) {
  const nvl_builtin *b = nvl_builtin_design(design_name);
  nvl_diags diags = NVL_DIAGS_INIT;
  nvl_design *d = NULL;
  nvl_workload_spec spec = {.model = NVL_MODEL_DEFAULT, .seed = 1};
  nvl_results rows = NVL_RESULTS_INIT;
  int rc = -1;
  if (!b || nvl_design_load_buffer(b->data, b->len, design_name, NULL, &d, &diags) != NVL_LOAD_OK) {
    snprintf(err, errlen, "built-in design %s does not load", design_name);
    goto out;
  }
  spec.jobs = calloc(1, sizeof *spec.jobs);
  spec.n_jobs = 1;
  spec.jobs[0] =
      (nvl_job){.coll = coll, .algo = algo, .proto = -1, .n_limit = gpus, .size_bytes = bytes};
  snprintf(spec.jobs[0].name, sizeof spec.jobs[0].name, "row");
  if (nvl_simulate(d, &spec, &(nvl_simulate_opts){.forked = true}, &rows, &diags) != 0) {
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
  char *end;
  *present = s && *s;
  if (!*present)
    return NAN;
  double v = strtod(s, &end);
  if (*end || !isfinite(v) || v <= 0) {
    *present = false;
    return -1; /* malformed: reported by the caller */
  }
  return v;
}

int nvl_cmd_validate_model(int argc, char **argv) {
  const char *csv_in = NULL, *csv_out = NULL;
  double tol = 0.05;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--tolerance") == 0 && i + 1 < argc) {
      char *end;
      const char *v = argv[++i];
      tol = strtod(v, &end);
      if (*end == '%')
        tol /= 100, end++;
      if (*end || !(tol > 0) || !isfinite(tol))
        return nvl_cli_usage_error("validate-model",
                                   "--tolerance takes a fraction or a percentage (0.05 or 5%%)");
    } else if (strcmp(argv[i], "--csv") == 0 && i + 1 < argc) {
      csv_out = argv[++i];
    } else if (argv[i][0] == '-' && argv[i][1]) {
      return nvl_cli_usage_error("validate-model", "unknown option \"%s\"", argv[i]);
    } else if (csv_in) {
      return nvl_cli_usage_error("validate-model", "one measurement file at a time");
    } else {
      csv_in = argv[i];
    }
  }
  char *text = NULL;
  size_t len = 0;
  if (csv_in) {
    FILE *f = fopen(csv_in, "r");
    if (!f) {
      fprintf(stderr, "error: %s: cannot read: %s\n", csv_in, strerror(errno));
      return NVL_EXIT_USAGE;
    }
    FILE *m = open_memstream(&text, &len);
    char buf[4096];
    size_t k;
    while ((k = fread(buf, 1, sizeof buf, f)) > 0)
      fwrite(buf, 1, k, m);
    fclose(f);
    fclose(m);
  } else {
    text = strndup(nvl_measured_csv, nvl_measured_csv_len);
    csv_in = "builtin:measured-collectives.csv";
  }
  nvl_outfile out = {0};
  if (csv_out && nvl_outfile_open(&out, csv_out, "validate-model") != 0) {
    free(text);
    return NVL_EXIT_USAGE;
  }
  if (out.fp)
    fprintf(out.fp,
            "case,system,design,gpus,collective,algorithm,protocol,size_bytes,"
            "measured_time_us,simulated_time_us,measured_algbw_GBps,simulated_algbw_GBps,"
            "measured_busbw_GBps,simulated_busbw_GBps,max_rel_error,within_tolerance,role\n");
  int col[COL__COUNT];
  for (int c = 0; c < COL__COUNT; c++)
    col[c] = -1;
  int rc = NVL_EXIT_OK, lineno = 0, rows = 0, failed = 0, n_totals = 0;
  sys_total totals[64];
  char *save = NULL;
  for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    lineno++;
    char *f[64];
    int nf = split_csv(line, f, 64);
    if (lineno == 1) {
      for (int i = 0; i < nf; i++)
        for (int c = 0; c < COL__COUNT; c++)
          if (strcmp(f[i], col_names[c]) == 0)
            col[c] = i;
      for (int c = 0; c <= COL_SIZE; c++)
        if (col[c] < 0) {
          fprintf(stderr, "error: %s:1: missing column \"%s\"\n", csv_in, col_names[c]);
          rc = NVL_EXIT_USAGE;
          goto done;
        }
      printf("# nvlsim validate-model: %s, default model, tolerance %.1f %%\n", csv_in, tol * 100);
      printf("#%-5s %-14s %-5s %-15s %-6s %-6s %12s %10s %10s %8s  %-9s %s\n", "case", "system",
             "gpus", "collective", "algo", "proto", "size (B)", "measured", "simulated", "error",
             "role", "verdict");
      continue;
    }
    if (nf == 1 && !f[0][0])
      continue;
    const char *get[COL__COUNT];
    for (int c = 0; c < COL__COUNT; c++)
      get[c] = col[c] >= 0 && col[c] < nf ? f[col[c]] : "";
    rows++;
    const char *design = NULL;
    for (size_t s = 0; s < sizeof SYSTEMS / sizeof SYSTEMS[0]; s++)
      if (strcmp(SYSTEMS[s].system, get[COL_SYSTEM]) == 0)
        design = SYSTEMS[s].design;
    nvl_coll coll;
    nvl_algo algo;
    bool has_t, has_a, has_b, ok_g;
    double gpus = parse_num(get[COL_GPUS], &ok_g), size = parse_num(get[COL_SIZE], &has_t);
    double m_t = parse_num(get[COL_TIME], &has_t), m_a = parse_num(get[COL_ALGBW], &has_a),
           m_b = parse_num(get[COL_BUSBW], &has_b);
    const char *problem = !design ? "no reference design for this system"
                          : nvl_coll_parse(get[COL_COLL], &coll) != 0 ? "unknown collective"
                          : nvl_algo_parse(get[COL_ALGO], &algo) != 0 ? "unknown algorithm"
                          : !ok_g || gpus != floor(gpus)              ? "bad gpus"
                          : !(size >= 1)                              ? "bad size_bytes"
                          : (!has_t && !has_a && !has_b)              ? "no measured value"
                          : m_t < 0 || m_a < 0 || m_b < 0             ? "malformed measured value"
                                                                      : NULL;
    fflush(stdout); /* keep the table and the errors in order */
    if (problem) {
      fprintf(stderr, "error: %s:%d: case %s: %s\n", csv_in, lineno, get[COL_CASE], problem);
      failed++;
      continue;
    }
    sim_result sr;
    char err[NVL_DIAG_MSG_MAX + 64];
    if (simulate_row(design, coll, algo, (int)gpus, (uint64_t)size, &sr, err, sizeof err) != 0) {
      fprintf(stderr, "error: %s:%d: case %s: %s\n", csv_in, lineno, get[COL_CASE], err);
      failed++;
      continue;
    }
    double worst = 0;
    if (has_t)
      worst = fmax(worst, fabs(sr.time_us - m_t) / m_t);
    if (has_a)
      worst = fmax(worst, fabs(sr.algbw - m_a) / m_a);
    if (has_b)
      worst = fmax(worst, fabs(sr.busbw - m_b) / m_b);
    bool pass = worst <= tol;
    failed += !pass;
    /* the table shows busbw when measured, else algbw, else time */
    double mv = has_b   ? m_b
                : has_a ? m_a
                        : m_t,
           sv = has_b   ? sr.busbw
                : has_a ? sr.algbw
                        : sr.time_us;
    double signed_err = (sv - mv) / mv;
    printf(" %-5s %-14.14s %-5d %-15s %-6s %-6s %12.0f %10.2f %10.2f %+7.1f%%  %-9s %s\n",
           get[COL_CASE], get[COL_SYSTEM], (int)gpus, nvl_coll_name(coll), sr.algorithm,
           sr.protocol, size, mv, sv, signed_err * 100, *get[COL_ROLE] ? get[COL_ROLE] : "-",
           pass ? "ok" : "OUTSIDE TOLERANCE");
    add_total(totals, &n_totals, (int)(sizeof totals / sizeof totals[0]), get[COL_SYSTEM],
              get[COL_CASE], signed_err, pass, strcmp(get[COL_ROLE], "fitted") == 0);
    if (out.fp) {
      fprintf(out.fp, "%s,%s,%s,%d,%s,%s,%s,%.0f,", get[COL_CASE], get[COL_SYSTEM], design,
              (int)gpus, nvl_coll_name(coll), sr.algorithm, sr.protocol, size);
      if (has_t)
        fprintf(out.fp, "%.3f", m_t);
      fprintf(out.fp, ",%.3f,", sr.time_us);
      if (has_a)
        fprintf(out.fp, "%.3f", m_a);
      fprintf(out.fp, ",%.3f,", sr.algbw);
      if (has_b)
        fprintf(out.fp, "%.3f", m_b);
      fprintf(out.fp, ",%.3f,%.6f,%s,%s\n", sr.busbw, worst, pass ? "yes" : "no", get[COL_ROLE]);
    }
  }
  print_totals(totals, n_totals, tol);
  printf("# %d row%s, %d within %.1f %%, %d outside or failed (measured column shown: busbw, else "
         "algbw, else time; role: what the row is to the model, from the CSV)\n",
         rows, rows == 1 ? "" : "s", rows - failed, tol * 100, failed);
  if (failed)
    rc = NVL_EXIT_FAIL;
done:
  free(text);
  if (out.fp) {
    if (rc == NVL_EXIT_USAGE)
      nvl_outfile_abort(&out);
    else if (nvl_outfile_commit(&out, "validate-model") != 0)
      rc = NVL_EXIT_USAGE;
  }
  return rc;
}
