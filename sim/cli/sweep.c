/*
 * sweep: running one point of a sweep (see sweep.h): the point's axis values applied to the base
 * design and the workload, then validated and simulated. The spec is read by sweep_load.c.
 */
#include "cli/sweep_spec.h"

#include <stdlib.h>
#include <string.h>

#include "base/csv.h"
#include "base/json.h"
#include "base/units.h"
#include "base/xalloc.h"
#include "cli/cli.h"
#include "cli/llm_params.h"
#include "cli/simulate.h"
#include "design/design.h"
#include "models/algorithms.h"
#include "output/results.h"

/* Index of the value of axis a at a point (last axis fastest in product mode). */
static size_t value_index(const nvl_sweep *s, size_t point, size_t a) {
  if (s->list_mode)
    return point;
  size_t idx = point;
  for (size_t k = s->n_axes; k-- > a + 1;)
    idx /= json_array_size(s->axes[k].values);
  return idx % json_array_size(s->axes[a].values);
}

char *nvl_sweep_axis_value(const nvl_sweep *s, size_t point, size_t a) {
  size_t vi = value_index(s, point, a);
  if (s->axes[a].labels) /* the spec names its values */
    return nvl_xstrdup(json_string_value(json_array_get(s->axes[a].labels, vi)));
  json_t *v = json_array_get(s->axes[a].values, vi);
  if (json_is_string(v))
    return nvl_xstrdup(json_string_value(v));
  char *t = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
  if (!t)
    nvl_out_of_memory();
  return t;
}

void nvl_sweep_result_header(const nvl_sweep *s, FILE *out) {
  if (s->llm)
    nvl_llm_csv_header(out);
  else
    nvl_results_csv_header(out);
}

size_t nvl_sweep_result_columns(const nvl_sweep *s) {
  return s->llm ? nvl_llm_csv_columns() : nvl_results_csv_columns();
}

void nvl_sweep_error_row(FILE *out, size_t columns, const char *status, const char *msg) {
  fprintf(out, "%s", status);
  for (size_t i = 0; i < columns; i++)
    fputc(',', out); /* the result columns, empty */
  fputc(',', out);
  char *one = nvl_xstrdup(msg); /* one line: readers that split on line ends keep working */
  for (char *p = one; *p; p++)
    if (*p == '\n' || *p == '\r')
      *p = ' ';
  nvl_csv_field(out, one);
  free(one);
  fputc('\n', out);
}

static void error_row(const nvl_sweep *s, FILE *out, const char *status, const char *msg) {
  nvl_sweep_error_row(out, nvl_sweep_result_columns(s), status, msg);
}

/* What a point changes besides the design: the job, the model, one size, failed switches. */
typedef struct {
  nvl_job job;
  nvl_llm_ask ask;
  char llm_name[1024];
  nvl_model model;
  uint64_t size;
  bool has_size; /* a size axis gave `size` (0 included) */
  int fail_k;
  unsigned long fail_seed;
} point_params;

/* Applies the point's axis values to the design document and the parameters. Returns 0, or -1
 * with the reason in err. */
static int apply_axes(const nvl_sweep *s, size_t point, json_t *doc, point_params *pp, char *err,
                      size_t errlen) {
  for (size_t a = 0; a < s->n_axes; a++) {
    const axis *ax = &s->axes[a];
    size_t vi = value_index(s, point, a);
    json_t *v = json_array_get(ax->values, vi);
    const char *sv = json_is_string(v) ? json_string_value(v) : NULL;
    if (ax->kind == AX_SET) {
      for (size_t k = 0; k < ax->n_ptrs; k++)
        if (nvl_json_pointer_set(doc, ax->ptrs[k], json_array_get(ax->ptr_vals[k], vi), err,
                                 errlen) != 0)
          return -1;
      continue;
    }
    if (ax->param >= P_LLM) {
      if (nvl_sweep_llm_set(&pp->ask, pp->llm_name, sizeof pp->llm_name, s->spec_dir,
                            (int)(ax->param - P_LLM), v, err, errlen) != 0)
        return -1;
      continue;
    }
    bool ok = true;
    switch (ax->param) {
    case P_SIZE: {
      char why[200];
      if (nvl_json_bytes(v, &pp->size, why, sizeof why) != 0) {
        snprintf(err, errlen, "axis %.60s: %s", ax->name, why);
        return -1;
      }
      pp->has_size = true;
      break;
    }
    case P_COLLECTIVE: ok = sv && nvl_coll_parse(sv, &pp->job.coll) == 0; break;
    case P_ALGORITHM: ok = sv && nvl_algo_parse(sv, &pp->job.algo) == 0; break;
    case P_MODEL: ok = sv && nvl_model_parse(sv, &pp->model) == 0; break;
    case P_LLM: break;
    case P_FAIL_SWITCHES:
      ok = json_is_integer(v) && json_integer_value(v) >= 0 && json_integer_value(v) < 100000;
      if (ok)
        pp->fail_k = (int)json_integer_value(v), pp->fail_seed = ax->seed;
      break;
    }
    if (!ok) {
      static const char *const want[] = {"a size" /* not reached: a size says why above */,
                                         "a collective name (all_reduce, alltoall, ...)",
                                         "ring, tree, nvls, p2p or auto", "default or ideal",
                                         "a count of switch chips, 0 or more"};
      char *t = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
      snprintf(err, errlen, "axis %s: %.60s is not %s", ax->name, t ? t : "?", want[ax->param]);
      free(t);
      return -1;
    }
  }
  return 0;
}

/* k distinct switch chips failed, drawn reproducibly from the axis seed and the point: the
 * damaged copy replaces *d (which it owns). Returns 0, or -1 (err or diags set). */
static int fail_switches(nvl_design **d, const point_params *pp, size_t point, nvl_diags *diags,
                         char *err, size_t errlen) {
  nvl_design *damaged = nvl_design_fail_random_switches(
      *d, (size_t)pp->fail_k, pp->fail_seed * 1000003ul + point, err, errlen, diags);
  if (damaged)
    *d = damaged;
  return damaged && diags->errors == 0 ? 0 : -1;
}

/* The first error of diags as "pointer: message" (or `fallback`). */
static const char *first_error(const nvl_diags *diags, char *buf, size_t len,
                               const char *fallback) {
  for (size_t i = 0; i < diags->count; i++)
    if (diags->items[i].severity == NVL_SEV_ERROR) {
      snprintf(buf, len, "%s%s%s", diags->items[i].pointer, diags->items[i].pointer[0] ? ": " : "",
               diags->items[i].message);
      return buf;
    }
  return fallback;
}

/* Simulates the point's workload on its design and writes its rows. Returns 0 or 1. */
static int simulate_point(const nvl_model_ctx *ctx, const nvl_sweep *s, const nvl_design *d,
                          const point_params *pp, FILE *out) {
  nvl_workload_spec spec = {.ctx = ctx, .model = pp->model, .seed = 1};
  spec.jobs = nvl_xcalloc(1, sizeof *spec.jobs);
  spec.n_jobs = 1;
  spec.jobs[0] = pp->job;
  spec.jobs[0].devs = NULL;
  spec.sizes = nvl_xmalloc((s->n_sizes + 1) * sizeof *spec.sizes);
  if (pp->has_size) {
    spec.sizes[0] = pp->size;
    spec.n_sizes = 1;
  } else {
    memcpy(spec.sizes, s->sizes, s->n_sizes * sizeof *spec.sizes);
    spec.n_sizes = s->n_sizes;
  }
  nvl_results rows = NVL_RESULTS_INIT;
  nvl_diags diags = NVL_DIAGS_INIT;
  bool ok = nvl_simulate(d, &spec, NULL, &rows, &diags) == 0;
  /* the sizes that finished keep their rows when a later one fails */
  for (size_t i = 0; i < rows.n; i++) {
    fputs("ok,", out);
    nvl_results_csv_row(out, &rows.rows[i]);
    fputs(",\n", out);
  }
  if (!ok) {
    bool setup = diags.count && diags.items[diags.count - 1].code != NVL_DIAG_LIMIT;
    error_row(s, out, setup ? "invalid" : "failed",
              diags.count ? diags.items[diags.count - 1].message : "simulation failed");
  }
  nvl_results_release(&rows);
  nvl_workload_spec_release(&spec);
  nvl_diags_release(&diags);
  return ok ? 0 : 1;
}

void nvl_sweep_print_base_warnings(const nvl_sweep *s) {
  char *text = json_dumps(s->base, JSON_COMPACT);
  if (!text)
    return;
  nvl_diags diags = NVL_DIAGS_INIT;
  nvl_design *d = NULL;
  if (nvl_design_load_buffer(text, strlen(text), s->base_label, NULL, &d, &diags) == NVL_LOAD_OK &&
      diags.warnings > 0)
    nvl_cli_print_diags(&diags, s->base_label, stderr);
  nvl_design_free(d);
  nvl_diags_release(&diags);
  free(text);
}

int nvl_sweep_run_point(const nvl_model_ctx *ctx, const nvl_sweep *s, size_t point, FILE *out) {
  json_t *doc = json_deep_copy(s->base);
  point_params pp = {.job = s->job, .ask = s->ask, .model = s->model, .fail_seed = 1};
  char err[NVL_DIAG_PTR_MAX + NVL_DIAG_MSG_MAX + 8];
  if (apply_axes(s, point, doc, &pp, err, sizeof err) != 0) {
    error_row(s, out, "invalid", err);
    json_decref(doc);
    return 1;
  }
  char *text = json_dumps(doc, JSON_COMPACT);
  json_decref(doc);
  nvl_diags diags = NVL_DIAGS_INIT;
  nvl_design *d = NULL;
  int rc = 1;
  char label[600];
  snprintf(label, sizeof label, "%s (point %zu)", s->base_label, point);
  nvl_load_status st = nvl_design_load_buffer(text, strlen(text), label, NULL, &d, &diags);
  free(text);
  err[0] = '\0';
  if (st == NVL_LOAD_OK && pp.fail_k > 0 &&
      fail_switches(&d, &pp, point, &diags, err, sizeof err) != 0)
    st = NVL_LOAD_INVALID;
  if (st != NVL_LOAD_OK)
    error_row(s, out, "invalid",
              err[0] ? err : first_error(&diags, err, sizeof err, "invalid design"));
  else if (s->llm) {
    pp.ask.model = pp.model;
    pp.ask.ranks = s->job.ranks_sel[0] ? s->job.ranks_sel : NULL;
    rc = nvl_sweep_llm_point(ctx, d, &pp.ask, s->base_name, s->spec_dir, out);
  } else
    rc = simulate_point(ctx, s, d, &pp, out);
  nvl_design_free(d);
  nvl_diags_release(&diags);
  return rc;
}
