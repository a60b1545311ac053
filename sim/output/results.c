/*
 * results: see results.h.
 */
#include "output/results.h"

#include "base/csv.h"
#include "base/json.h"
#include "base/xalloc.h"

#include <jansson.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <stdbool.h>
#include <string.h>

nvl_result_row *nvl_results_add(nvl_results *r) {
  if (r->n == r->cap) {
    r->cap = r->cap ? 2 * r->cap : 32;
    r->rows = nvl_xrealloc(r->rows, r->cap * sizeof *r->rows);
  }
  nvl_result_row *row = &r->rows[r->n++];
  memset(row, 0, sizeof *row);
  row->type = "float";
  row->redop = "none";
  row->root = -1;
  row->flow_p50_us = row->flow_p99_us = row->flow_max_us = row->flow_bw_p50_GBps = NAN;
  row->busbw_intact_GBps = NAN;
  return row;
}

void nvl_results_release(nvl_results *r) {
  free(r->rows);
  memset(r, 0, sizeof *r);
}

/* The column names, then their units, as nccl-tests prints them (plus pair, flow and intact
 * columns when some row has them). */
static void print_header(FILE *out, bool pairs, bool flows, bool intact) {
  static const char *const head[2][14] = {{" pair", "size", "count", "type", "redop", "root",
                                           "time", "algbw", "busbw", "flow p50", "flow p99",
                                           "flow max", "intact", "lost"},
                                          {"", "(B)", "(elements)", "", "", "", "(us)", "(GB/s)",
                                           "(GB/s)", "(us)", "(us)", "(us)", "(GB/s)", "(%)"}};
  for (int r = 0; r < 2; r++) {
    const char *const *h = head[r];
    if (pairs)
      fprintf(out, "#%-23s", h[0]);
    fprintf(out, "%s%12s %13s %9s %7s %7s %10s %9s %9s", pairs ? " " : "#", h[1], h[2], h[3], h[4],
            h[5], h[6], h[7], h[8]);
    if (flows)
      fprintf(out, " %10s %10s %10s", h[9], h[10], h[11]);
    if (intact)
      fprintf(out, " %9s %7s", h[12], h[13]);
    fputc('\n', out);
  }
}

void nvl_results_print_table(const nvl_results *r, FILE *out) {
  char prev[400] = "", key[400];
  bool flows = false, pairs = false, intact = false;
  for (size_t i = 0; i < r->n; i++) {
    flows |= !isnan(r->rows[i].flow_p50_us);
    intact |= !isnan(r->rows[i].busbw_intact_GBps);
    pairs |= r->rows[i].pair[0] != '\0';
  }
  for (size_t i = 0; i < r->n; i++) {
    const nvl_result_row *x = &r->rows[i];
    snprintf(key, sizeof key, "%s|%s|%s|%s|%s|%d", x->design, x->job, x->collective, x->algorithm,
             x->protocol, x->ranks);
    if (strcmp(key, prev) != 0) {
      snprintf(prev, sizeof prev, "%s", key);
      fprintf(out,
              "#\n# nvlsim: design %s, %s%s%s%s, algorithm %s, protocol %s, %d rank%s, model %s, "
              "seed %lu\n#\n",
              x->design, x->job[0] ? "job " : "", x->job, x->job[0] ? ", " : "", x->collective,
              x->algorithm, x->protocol, x->ranks, x->ranks == 1 ? "" : "s", x->model, x->seed);
      if (x->ranks == 1)
        fputs("# one rank: nothing crosses the fabric, so the time is 0 by convention (nccl-tests "
              "times the rank's local copy)\n",
              out);
      print_header(out, pairs, flows, intact);
    }
    if (pairs)
      fprintf(out, " %-23s", x->pair);
    fprintf(out, " %12llu %13llu %9s %7s %7d %10.2f %9.2f %9.2f", (unsigned long long)x->size_bytes,
            (unsigned long long)x->count, x->type, x->redop, x->root, x->time_us, x->algbw_GBps,
            x->busbw_GBps);
    if (flows && isnan(x->flow_p50_us))
      fprintf(out, " %10s %10s %10s", "-", "-", "-");
    else if (flows)
      fprintf(out, " %10.2f %10.2f %10.2f", x->flow_p50_us, x->flow_p99_us, x->flow_max_us);
    if (intact)
      fprintf(out, " %9.2f %7.2f", x->busbw_intact_GBps,
              x->busbw_intact_GBps > 0 ? (1 - x->busbw_GBps / x->busbw_intact_GBps) * 100 : 0);
    fputc('\n', out);
  }
}

/* The columns of CSV and JSON rows, in order, from one table: a new column is one row here (and
 * its field in nvl_result_row). Text is a char array or a string pointer; reals are printed with
 * six decimals in CSV, NaN as an empty cell (JSON: null). */
typedef enum { COL_TEXT, COL_PTR, COL_INT, COL_U64, COL_ULONG, COL_REAL } col_kind;
static const struct {
  const char *name;
  col_kind kind;
  size_t at;
} cols[] = {
#define COL(field, kind)                                                                           \
  { #field, kind, offsetof(nvl_result_row, field) }
    COL(design, COL_TEXT),
    COL(job, COL_TEXT),
    COL(pair, COL_TEXT),
    COL(collective, COL_TEXT),
    COL(algorithm, COL_TEXT),
    COL(protocol, COL_TEXT),
    COL(model, COL_TEXT),
    COL(ranks, COL_INT),
    COL(size_bytes, COL_U64),
    COL(count, COL_U64),
    COL(type, COL_PTR),
    COL(redop, COL_PTR),
    COL(root, COL_INT),
    COL(time_us, COL_REAL),
    COL(algbw_GBps, COL_REAL),
    COL(busbw_GBps, COL_REAL),
    COL(flow_p50_us, COL_REAL),
    COL(flow_p99_us, COL_REAL),
    COL(flow_max_us, COL_REAL),
    COL(flow_bw_p50_GBps, COL_REAL),
    COL(busbw_intact_GBps, COL_REAL),
    COL(seed, COL_ULONG),
#undef COL
};
#define N_COLS (sizeof cols / sizeof cols[0])

static const void *cell(const nvl_result_row *x, size_t c) { return (const char *)x + cols[c].at; }

static const char *cell_text(const nvl_result_row *x, size_t c) {
  return cols[c].kind == COL_PTR ? *(const char *const *)cell(x, c) : (const char *)cell(x, c);
}

size_t nvl_results_csv_columns(void) { return N_COLS; }

void nvl_results_csv_header(FILE *out) {
  for (size_t c = 0; c < N_COLS; c++)
    fprintf(out, "%s%s", c ? "," : "", cols[c].name);
}

void nvl_results_csv_row(FILE *out, const nvl_result_row *x) {
  for (size_t c = 0; c < N_COLS; c++) {
    if (c)
      fputc(',', out);
    const void *v = cell(x, c);
    switch (cols[c].kind) {
    case COL_TEXT:
    case COL_PTR: nvl_csv_field(out, cell_text(x, c)); break;
    case COL_INT: fprintf(out, "%d", *(const int *)v); break;
    case COL_U64: fprintf(out, "%llu", (unsigned long long)*(const uint64_t *)v); break;
    case COL_ULONG: fprintf(out, "%lu", *(const unsigned long *)v); break;
    case COL_REAL:
      if (!isnan(*(const double *)v))
        fprintf(out, "%.6f", *(const double *)v);
      break;
    }
  }
}

static json_t *json_cell(const nvl_result_row *x, size_t c) {
  const void *v = cell(x, c);
  switch (cols[c].kind) {
  case COL_TEXT:
  case COL_PTR: return nvl_json_text(cell_text(x, c));
  case COL_INT: return json_integer(*(const int *)v);
  case COL_U64: return json_integer((json_int_t) * (const uint64_t *)v);
  case COL_ULONG: return json_integer((json_int_t) * (const unsigned long *)v);
  default: return isnan(*(const double *)v) ? json_null() : json_real(*(const double *)v);
  }
}

int nvl_results_write_csv(const nvl_results *r, FILE *out) {
  nvl_results_csv_header(out);
  fputc('\n', out);
  for (size_t i = 0; i < r->n; i++) {
    nvl_results_csv_row(out, &r->rows[i]);
    fputc('\n', out);
  }
  return ferror(out) ? -1 : 0;
}

int nvl_results_write_json(const nvl_results *r, FILE *out) {
  json_t *rows = json_array();
  for (size_t i = 0; i < r->n; i++) {
    json_t *o = json_object();
    for (size_t c = 0; c < N_COLS; c++)
      json_object_set_new(o, cols[c].name, json_cell(&r->rows[i], c));
    json_array_append_new(rows, o);
  }
  json_t *root = json_object();
  json_object_set_new(root, "results", rows);
  int rc = json_dumpf(root, out, JSON_INDENT(2) | JSON_REAL_PRECISION(12));
  fputc('\n', out);
  json_decref(root);
  return rc == 0 && !ferror(out) ? 0 : -1;
}
