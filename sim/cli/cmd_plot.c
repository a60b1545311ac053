/*
 * cmd_plot: `nvlsim plot CSV... X Y [--series COL] [--where COL=VALUE]... -o OUT`: columns of
 * nvlsim's CSVs (run --csv, sweep -o, llm --csv, compare --csv, validate-model --csv) drawn by
 * gnuplot, one line per series. Several CSVs with the columns plotted draw together (two designs'
 * runs, a sweep's shards): without --series each file is a line. Rows of a sweep whose status is
 * not ok, and rows whose X or Y is empty, are left out; --where keeps the rows whose COL is VALUE
 * (a number within 1 %: sizes are rounded to whole elements per rank), and names each series the
 * filter empties. The picture is written atomically: OUT.png, .svg or .pdf.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/csv.h"
#include "base/exit.h"
#include "base/file.h"
#include "base/units.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/options.h"
#include "output/plot.h"

#define MAX_FILES 64
#define MAX_WHERE 8
#define PLOT_MAX_BYTES (256u << 20)

typedef struct {
  const char *series, *title, *out;
  bool logx, logy;
  const char *where[MAX_WHERE];
  int n_where;
} plot_opts;

static int add_where(void *field, const char *v, const char *opt, const char *cmd) {
  plot_opts *o = (plot_opts *)((char *)field - offsetof(plot_opts, where));
  if (!strchr(v, '=') || v[0] == '=')
    return nvl_cli_usage_error(cmd, "%s takes COL=VALUE, not \"%.60s\"", opt, v);
  if (o->n_where == MAX_WHERE)
    return nvl_cli_usage_error(cmd, "%s: at most %d filters", opt, MAX_WHERE);
  o->where[o->n_where++] = v;
  return 0;
}

#define O(kind, s, l, arg, field, help) NVL_OPT_(kind, s, l, arg, plot_opts, field, help)
static const nvl_option options[] = {
    O(NVL_OPT_STRING, 0, "series", "COL", series,
      "one line per value of this column (default: one per CSV)"),
    NVL_OPT_CALL_(0, "where", "COL=VALUE", plot_opts, where, add_where,
                  "keep the rows whose COL is VALUE (a number within 1 %);\nrepeatable: all must "
                  "hold"),
    O(NVL_OPT_FLAG, 0, "logx", NULL, logx, "X on a log scale (binary: sizes)"),
    O(NVL_OPT_FLAG, 0, "logy", NULL, logy, "Y on a log scale"),
    O(NVL_OPT_STRING, 0, "title", "TEXT", title, "the plot's title (default: Y vs X)"),
    O(NVL_OPT_STRING, 'o', "output", "OUT", out, "OUT.png, OUT.svg or OUT.pdf; required"),
    NVL_OPT_END_};
#undef O

const nvl_cmd_doc nvl_doc_plot = {
    "plot", "nvlsim plot CSV [CSV ...] X Y [--series COL] [--where COL=VALUE] -o OUT.png",
    "Draws columns of nvlsim's CSVs (run --csv, sweep -o, llm --csv, validate-model --csv)\n"
    "with gnuplot: Y against X, one line per value of --series, or per CSV without it (two\n"
    "designs' runs draw together). A sweep's rows that are not ok, and rows with X or Y empty,\n"
    "are left out; --where keeps rows (a number matches within 1 %: nvlsim rounds sizes to\n"
    "whole elements per rank) and names each series it empties. The picture (PNG, SVG or PDF\n"
    "by OUT's extension) is written atomically. Example:\n"
    "  nvlsim run builtin:gb200-nvl72 --csv a.csv; nvlsim run builtin:fusion-gpu-asic --csv b.csv\n"
    "  nvlsim plot a.csv b.csv size_bytes busbw_GBps --series design --logx -o busbw.png\n",
    options,
    "exit status: 0 written, 1 a missing column, a malformed number or nothing to plot,\n"
    "2 usage or I/O error, or gnuplot missing\n"};

typedef struct {
  const plot_opts *o;
  nvl_plot plot; /* its xlabel and ylabel are the columns drawn */
} plot_data;

/* Whether cell v passes filter COL=VALUE: the same text, or numbers within 1 %. */
static bool matches(const char *v, const char *want) {
  double a, b;
  if (nvl_parse_decimal(v, &a) == 0 && nvl_parse_decimal(want, &b) == 0)
    return fabs(a - b) <= 0.01 * fmax(fabs(a), fabs(b));
  return strcmp(v, want) == 0;
}

/* The column of `name` in the header, or an error naming it (-1). */
static int column(const nvl_csv_reader *r, const char *file, const char *name, const char *what) {
  int c = nvl_csv_find(r, name);
  if (c < 0)
    fprintf(stderr, "nvlsim plot: %s: no column \"%.60s\"%s\n", file, name, what);
  return c;
}

/* Reads one CSV's rows into the series. Returns an exit status. */
static int read_csv(plot_data *pd, const char *file) {
  char *text;
  size_t len;
  if (nvl_cli_read_file(file, "CSV", PLOT_MAX_BYTES, &text, &len) != 0)
    return NVL_EXIT_USAGE;
  nvl_csv_reader r;
  nvl_csv_reader_init(&r, text, len);
  char err[160];
  int rc = NVL_EXIT_OK, got = nvl_csv_header(&r, err, sizeof err);
  int cx = -1, cy = -1, cs = -1, st = -1, cw[MAX_WHERE];
  if (got > 0) {
    cx = column(&r, file, pd->plot.xlabel, "");
    cy = column(&r, file, pd->plot.ylabel, "");
    cs = pd->o->series ? column(&r, file, pd->o->series, " (--series)") : -2;
    st = nvl_csv_find(&r, "status");
    for (int k = 0; k < pd->o->n_where; k++) {
      char col[128];
      snprintf(col, sizeof col, "%.*s", (int)(strchr(pd->o->where[k], '=') - pd->o->where[k]),
               pd->o->where[k]);
      if ((cw[k] = column(&r, file, col, " (--where)")) < 0)
        rc = NVL_EXIT_FAIL;
    }
    if (cx < 0 || cy < 0 || cs == -1)
      rc = NVL_EXIT_FAIL;
  }
  while (rc == NVL_EXIT_OK && got > 0 && (got = nvl_csv_read(&r, err, sizeof err)) > 0) {
    if (r.n_fields == 1 && !r.fields[0][0])
      continue;
    const char *vx = r.fields[cx], *vy = r.fields[cy];
    if ((st >= 0 && strcmp(r.fields[st], "ok") != 0) || !*vx || !*vy)
      continue;
    double x, y;
    if (nvl_parse_decimal(vx, &x) != 0 || nvl_parse_decimal(vy, &y) != 0) {
      fprintf(stderr, "nvlsim plot: %s:%d: %s \"%.40s\" or %s \"%.40s\" is not a number\n", file,
              r.line, pd->plot.xlabel, vx, pd->plot.ylabel, vy);
      rc = NVL_EXIT_FAIL;
      break;
    }
    nvl_plot_series *s = nvl_plot_series_of(&pd->plot, cs >= 0         ? r.fields[cs]
                                                       : pd->o->series ? ""
                                                                       : file);
    if (!s) {
      fprintf(stderr,
              "nvlsim plot: more than %d series: choose another --series or keep fewer rows "
              "(--where)\n",
              NVL_PLOT_MAX_SERIES);
      rc = NVL_EXIT_FAIL;
      break;
    }
    bool keep = true;
    for (int k = 0; k < pd->o->n_where && keep; k++)
      keep = matches(r.fields[cw[k]], strchr(pd->o->where[k], '=') + 1);
    if (keep)
      nvl_plot_add(s, x, y);
  }
  if (got < 0) {
    fprintf(stderr, "nvlsim plot: %s:%d:%d: %s\n", file, r.line, r.column, err);
    rc = NVL_EXIT_FAIL;
  } else if (got == 0 && cx < 0 && rc == NVL_EXIT_OK) {
    fprintf(stderr, "nvlsim plot: %s: empty (no header)\n", file);
    rc = NVL_EXIT_FAIL;
  }
  nvl_csv_reader_release(&r);
  free(text);
  return rc;
}

/* Draws Y against X of the CSVs into o->out: one path for nvlsim plot and --plot. */
static int draw_csvs(const plot_opts *o, char *const *csvs, int n, const char *x, const char *y,
                     const char *cmd) {
  char label[160] = "";
  if (o->series)
    snprintf(label, sizeof label, "%.150s=", o->series);
  plot_data pd = {.o = o,
                  .plot = {.xlabel = x,
                           .ylabel = y,
                           .title = o->title,
                           .series_label = o->series ? label : NULL,
                           .logx = o->logx,
                           .logy = o->logy}};
  int rc = NVL_EXIT_OK;
  for (int f = 0; f < n && rc == NVL_EXIT_OK; f++)
    rc = read_csv(&pd, csvs[f]);
  for (int i = 0; i < pd.plot.n && rc == NVL_EXIT_OK; i++)
    if (!pd.plot.s[i].kept && o->n_where)
      fprintf(stderr, "nvlsim %s: --where keeps no row of %s \"%s\"\n", cmd,
              o->series ? o->series : "the CSV", pd.plot.s[i].name);
  if (rc == NVL_EXIT_OK)
    rc = nvl_plot_write(&pd.plot, o->out, cmd);
  nvl_plot_release(&pd.plot);
  return rc;
}

int nvl_cli_plot_csv(const char *csv, const char *x, const char *y, const char *series, bool logx,
                     const char *title, const char *out, const char *cmd) {
  plot_opts o = {.series = series, .title = title, .out = out, .logx = logx};
  char *one[] = {(char *)csv};
  return draw_csvs(&o, one, 1, x, y, cmd);
}

int nvl_cmd_plot(const nvl_model_ctx *ctx, int argc, char **argv) {
  (void)ctx; /* needs no model */
  plot_opts o = {0};
  char *operands[MAX_FILES + 2];
  int n = 0, status;
  if (!nvl_options_accept(&nvl_doc_plot, argc, argv, &o, operands, MAX_FILES + 2, &n, &status))
    return status;
  if (n < 3)
    return nvl_cli_usage_error("plot", "usage: %s", nvl_doc_plot.usage);
  if (!o.out)
    return nvl_cli_usage_error("plot", "-o OUT.png (or .svg, .pdf) is required");
  int rc = nvl_plot_check(o.out, "plot");
  if (rc != NVL_EXIT_OK)
    return rc;
  return draw_csvs(&o, operands, n - 2, operands[n - 2], operands[n - 1], "plot");
}
