/*
 * results: see results.h.
 */
#include "output/results.h"

#include "base/csv.h"
#include "base/json.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <stdbool.h>
#include <string.h>

nvl_result_row *nvl_results_add(nvl_results *r) {
  if (r->n == r->cap) {
    r->cap = r->cap ? 2 * r->cap : 32;
    r->rows = realloc(r->rows, r->cap * sizeof *r->rows);
    if (!r->rows)
      abort();
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
              "#\n# nvlsim: design %s, %s%s%s%s, algorithm %s, protocol %s, %d ranks, model %s, "
              "seed %lu\n#\n",
              x->design, x->job[0] ? "job " : "", x->job, x->job[0] ? ", " : "", x->collective,
              x->algorithm, x->protocol, x->ranks, x->model, x->seed);
      if (pairs)
        fprintf(out, "#%-23s", " pair");
      fprintf(out, "%s%12s %13s %9s %7s %7s %10s %9s %9s", pairs ? " " : "#", "size", "count",
              "type", "redop", "root", "time", "algbw", "busbw");
      if (flows)
        fprintf(out, " %10s %10s %10s", "flow p50", "flow p99", "flow max");
      if (intact)
        fprintf(out, " %9s %7s", "intact", "lost");
      fprintf(out, "\n");
      if (pairs)
        fprintf(out, "#%-23s", "");
      fprintf(out, "%s%12s %13s %9s %7s %7s %10s %9s %9s", pairs ? " " : "#", "(B)", "(elements)",
              "", "", "", "(us)", "(GB/s)", "(GB/s)");
      if (flows)
        fprintf(out, " %10s %10s %10s", "(us)", "(us)", "(us)");
      if (intact)
        fprintf(out, " %9s %7s", "(GB/s)", "(%)");
      fputc('\n', out);
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

static void csv_num(FILE *out, double v) {
  if (isnan(v))
    fputs(",", out);
  else
    fprintf(out, ",%.6f", v);
}

void nvl_results_csv_header(FILE *out) {
  fputs(
      "design,job,pair,collective,algorithm,protocol,model,ranks,size_bytes,count,type,redop,root,"
      "time_us,algbw_GBps,busbw_GBps,flow_p50_us,flow_p99_us,flow_max_us,flow_bw_p50_GBps,"
      "busbw_intact_GBps,seed",
      out);
}

void nvl_results_csv_row(FILE *out, const nvl_result_row *x) {
  const char *text[7] = {x->design,    x->job,      x->pair, x->collective,
                         x->algorithm, x->protocol, x->model};
  for (int i = 0; i < 7; i++) {
    if (i)
      fputc(',', out);
    nvl_csv_field(out, text[i]);
  }
  fprintf(out, ",%d,%llu,%llu,%s,%s,%d", x->ranks, (unsigned long long)x->size_bytes,
          (unsigned long long)x->count, x->type, x->redop, x->root);
  csv_num(out, x->time_us);
  csv_num(out, x->algbw_GBps);
  csv_num(out, x->busbw_GBps);
  csv_num(out, x->flow_p50_us);
  csv_num(out, x->flow_p99_us);
  csv_num(out, x->flow_max_us);
  csv_num(out, x->flow_bw_p50_GBps);
  csv_num(out, x->busbw_intact_GBps);
  fprintf(out, ",%lu", x->seed);
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

static json_t *num_or_null(double v) { return isnan(v) ? json_null() : json_real(v); }

int nvl_results_write_json(const nvl_results *r, FILE *out) {
  json_t *rows = json_array();
  for (size_t i = 0; i < r->n; i++) {
    const nvl_result_row *x = &r->rows[i];
    json_t *o = json_object();
    json_object_set_new(o, "design", nvl_json_text(x->design));
    json_object_set_new(o, "job", nvl_json_text(x->job));
    json_object_set_new(o, "pair", nvl_json_text(x->pair));
    json_object_set_new(o, "collective", nvl_json_text(x->collective));
    json_object_set_new(o, "algorithm", nvl_json_text(x->algorithm));
    json_object_set_new(o, "protocol", nvl_json_text(x->protocol));
    json_object_set_new(o, "model", nvl_json_text(x->model));
    json_object_set_new(o, "ranks", json_integer(x->ranks));
    json_object_set_new(o, "size_bytes", json_integer((json_int_t)x->size_bytes));
    json_object_set_new(o, "count", json_integer((json_int_t)x->count));
    json_object_set_new(o, "type", nvl_json_text(x->type));
    json_object_set_new(o, "redop", nvl_json_text(x->redop));
    json_object_set_new(o, "root", json_integer(x->root));
    json_object_set_new(o, "time_us", json_real(x->time_us));
    json_object_set_new(o, "algbw_GBps", json_real(x->algbw_GBps));
    json_object_set_new(o, "busbw_GBps", json_real(x->busbw_GBps));
    json_object_set_new(o, "flow_p50_us", num_or_null(x->flow_p50_us));
    json_object_set_new(o, "flow_p99_us", num_or_null(x->flow_p99_us));
    json_object_set_new(o, "flow_max_us", num_or_null(x->flow_max_us));
    json_object_set_new(o, "flow_bw_p50_GBps", num_or_null(x->flow_bw_p50_GBps));
    json_object_set_new(o, "busbw_intact_GBps", num_or_null(x->busbw_intact_GBps));
    json_object_set_new(o, "seed", json_integer((json_int_t)x->seed));
    json_array_append_new(rows, o);
  }
  json_t *root = json_object();
  json_object_set_new(root, "results", rows);
  int rc = json_dumpf(root, out, JSON_INDENT(2) | JSON_REAL_PRECISION(12));
  fputc('\n', out);
  json_decref(root);
  return rc == 0 && !ferror(out) ? 0 : -1;
}
