/*
 * sweep: see sweep.h.
 */
#include "models/algorithms.h"
#include "cli/sweep.h"

#include "base/csv.h"

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "base/builtin.h"
#include "base/json.h"
#include "base/xalloc.h"
#include "design/design.h"
#include "engine/engine.h"
#include "platform/platform.h"
#include "output/results.h"
#include "base/units.h"
#include "cli/simulate.h"
#include "workload/workload.h"

#define MAX_POINTS 1000000

typedef enum { AX_SET, AX_PARAM } axis_kind;
typedef enum { P_SIZE, P_COLLECTIVE, P_ALGORITHM, P_MODEL, P_FAIL_SWITCHES } param_kind;

typedef struct {
  char name[64];
  axis_kind kind;
  param_kind param;
  json_t *values; /* array, owned */
  size_t n_ptrs;
  char (*ptrs)[256];
  json_t **ptr_vals; /* per pointer: array parallel to values (owned) */
  unsigned long seed;
} axis;

struct nvl_sweep {
  json_t *base; /* the base design's JSON, owned */
  char base_label[512];
  nvl_job job;
  uint64_t *sizes;
  size_t n_sizes;
  nvl_model model;
  bool list_mode;
  axis *axes;
  size_t n_axes, n_points;
};

/* The base design: builtin:NAME, or a file inside the spec's folder. */
static json_t *load_base(const char *spec_path, const char *base, char *label, size_t len,
                         nvl_diags *diags) {
  json_error_t je;
  if (strncmp(base, "builtin:", 8) == 0) {
    const nvl_builtin *b = nvl_builtin_design(base + 8);
    if (!b) {
      nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_REFERENCE, "/base", "no built-in design \"%s\"",
                   base + 8);
      return NULL;
    }
    snprintf(label, len, "%s", base);
    return json_loadb(b->data, b->len, JSON_REJECT_DUPLICATES, &je);
  }
  if (base[0] == '/' || strstr(base, "..")) {
    nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_REFERENCE, "/base",
                 "base \"%s\" must be a file in the spec's folder (no absolute path, no \"..\")",
                 base);
    return NULL;
  }
  const char *slash = strrchr(spec_path, '/');
  int dir_len = slash ? (int)(slash - spec_path + 1) : 0;
  snprintf(label, len, "%.*s%s", dir_len, spec_path, base);
  json_t *j = json_load_file(label, JSON_REJECT_DUPLICATES, &je);
  if (!j)
    nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_IO, "/base", "%s: %s", label, je.text);
  return j;
}

static int parse_param(const char *name, param_kind *out) {
  static const char *const names[] = {"size", "collective", "algorithm", "model", "fail_switches"};
  for (int i = 0; i < 5; i++)
    if (strcmp(name, names[i]) == 0) {
      *out = (param_kind)i;
      return 0;
    }
  return -1;
}

nvl_sweep *nvl_sweep_load(const char *path, nvl_diags *diags) {
  json_error_t je;
  json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
  if (!root) {
    if (je.line > 0)
      nvl_diag_syntax(diags, je.line, je.column, "%s", je.text);
    else
      nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_IO, NULL, "%s", je.text);
    return NULL;
  }
  size_t before = diags->errors;
  nvl_sweep *s = calloc(1, sizeof *s);
  s->job.algo = NVL_ALGO_AUTO;
  s->job.proto = -1;
  s->model = NVL_MODEL_DEFAULT;
  snprintf(s->job.name, sizeof s->job.name, "sweep");
  const char *key;
  json_t *v;
  json_object_foreach(root, key, v) {
    if (strcmp(key, "base") && strcmp(key, "workload") && strcmp(key, "axes") &&
        strcmp(key, "mode") && strcmp(key, "note")) {
      char p[NVL_DIAG_PTR_MAX];
      nvl_ptr_join(p, sizeof p, "", key);
      nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_UNKNOWN_KEY, p, "unknown key \"%s\"", key);
    }
  }
  json_t *base = json_object_get(root, "base");
  if (!json_is_string(base))
    nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_SCHEMA, "/base",
                 "missing \"base\": a design file or builtin:NAME");
  else
    s->base = load_base(path, json_string_value(base), s->base_label, sizeof s->base_label, diags);
  json_t *mode = json_object_get(root, "mode");
  if (mode && !(json_is_string(mode) && (strcmp(json_string_value(mode), "product") == 0 ||
                                         strcmp(json_string_value(mode), "list") == 0)))
    nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_SCHEMA, "/mode", "mode is \"product\" or \"list\"");
  s->list_mode = mode && json_is_string(mode) && strcmp(json_string_value(mode), "list") == 0;
  /* workload */
  json_t *wl = json_object_get(root, "workload");
  const char *sizes_default[] = {"1 GiB"};
  json_t *sizes = wl ? json_object_get(wl, "sizes") : NULL;
  json_object_foreach(wl, key, v) {
    char p[NVL_DIAG_PTR_MAX];
    nvl_ptr_join(p, sizeof p, "/workload", key);
    const char *sv = json_is_string(v) ? json_string_value(v) : NULL;
    if (strcmp(key, "collective") == 0 && !(sv && nvl_coll_parse(sv, &s->job.coll) == 0))
      nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_REFERENCE, p, "unknown collective");
    else if (strcmp(key, "algo") == 0 && !(sv && nvl_algo_parse(sv, &s->job.algo) == 0)) {
      char names[128];
      nvl_algo_names(", ", names, sizeof names);
      nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_REFERENCE, p, "algo is %s", names);
    } else if (strcmp(key, "pattern") == 0 && !(sv && nvl_pattern_parse(sv, &s->job.pattern) == 0))
      nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_REFERENCE, p, "unknown traffic pattern");
    else if (strcmp(key, "ranks") == 0 && sv)
      snprintf(s->job.ranks_sel, sizeof s->job.ranks_sel, "%s", sv);
    else if (strcmp(key, "model") == 0 && sv &&
             (strcmp(sv, "ideal") == 0 || strcmp(sv, "default") == 0))
      s->model = strcmp(sv, "ideal") == 0 ? NVL_MODEL_IDEAL : NVL_MODEL_DEFAULT;
    else if (strcmp(key, "sizes") == 0 && json_is_array(v))
      ;
    else if (strcmp(key, "collective") && strcmp(key, "algo") && strcmp(key, "pattern"))
      nvl_diag_add(
          diags, NVL_SEV_ERROR, NVL_DIAG_UNKNOWN_KEY, p,
          "unknown or malformed key \"%s\" (collective, algo, pattern, ranks, sizes, model)", key);
  }
  size_t nsz = sizes ? json_array_size(sizes) : 1;
  s->sizes = calloc(nsz + 1, sizeof *s->sizes);
  for (size_t i = 0; i < nsz; i++) {
    const char *t = sizes ? json_string_value(json_array_get(sizes, i)) : sizes_default[0];
    double b;
    char e[160], p[NVL_DIAG_PTR_MAX];
    nvl_ptr_index(p, sizeof p, "/workload/sizes", i);
    if (!t || nvl_units_parse(t, NVL_QTY_SIZE, &b, e, sizeof e) != 0)
      nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_QUANTITY, p, "%s",
                   t ? e : "expected a size string");
    else
      s->sizes[s->n_sizes++] = (uint64_t)b;
  }
  /* axes */
  json_t *axes = json_object_get(root, "axes");
  if (!json_is_array(axes) || json_array_size(axes) == 0)
    nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_SCHEMA, "/axes",
                 "\"axes\" must be a non-empty array");
  size_t na = json_is_array(axes) ? json_array_size(axes) : 0;
  s->axes = calloc(na + 1, sizeof *s->axes);
  uint64_t total = s->list_mode ? 0 : 1;
  for (size_t i = 0; i < na; i++) {
    json_t *ax = json_array_get(axes, i);
    char ap[NVL_DIAG_PTR_MAX];
    nvl_ptr_index(ap, sizeof ap, "/axes", i);
    axis *a = &s->axes[s->n_axes];
    json_object_foreach(ax, key, v) {
      static const char *const ok[] = {"name", "values", "param", "pointer", "set", "seed", "note"};
      bool known = false;
      for (size_t k = 0; k < sizeof ok / sizeof ok[0]; k++)
        known |= strcmp(key, ok[k]) == 0;
      if (!known) {
        char p[NVL_DIAG_PTR_MAX];
        nvl_ptr_join(p, sizeof p, ap, key);
        nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_UNKNOWN_KEY, p,
                     "unknown key \"%s\" (name, values, param, pointer, set, seed, note)", key);
      }
    }
    json_t *name = json_object_get(ax, "name"), *vals = json_object_get(ax, "values");
    if (!json_is_string(name) || !json_is_array(vals) || json_array_size(vals) == 0) {
      nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_SCHEMA, ap,
                   "an axis needs a \"name\" and a non-empty \"values\" array");
      continue;
    }
    snprintf(a->name, sizeof a->name, "%s", json_string_value(name));
    a->values = json_incref(vals);
    size_t nv = json_array_size(vals);
    json_t *param = json_object_get(ax, "param"), *ptr = json_object_get(ax, "pointer"),
           *set = json_object_get(ax, "set"), *seed = json_object_get(ax, "seed");
    a->seed = json_is_integer(seed) ? (unsigned long)json_integer_value(seed) : 1;
    if ((param != NULL) + (ptr != NULL) + (set != NULL) != 1) {
      nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_SCHEMA, ap,
                   "an axis has exactly one of \"param\", \"pointer\" and \"set\"");
    } else if (param) {
      a->kind = AX_PARAM;
      if (!json_is_string(param) || parse_param(json_string_value(param), &a->param) != 0)
        nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_REFERENCE, ap,
                     "param is size, collective, algorithm, model or fail_switches");
    } else {
      a->kind = AX_SET;
      if (ptr) {
        a->n_ptrs = 1;
        a->ptrs = calloc(1, sizeof *a->ptrs);
        a->ptr_vals = calloc(1, sizeof *a->ptr_vals);
        snprintf(a->ptrs[0], sizeof a->ptrs[0], "%s",
                 json_is_string(ptr) ? json_string_value(ptr) : "");
        a->ptr_vals[0] = json_incref(vals);
      } else if (json_is_object(set)) {
        a->ptrs = calloc(json_object_size(set) + 1, sizeof *a->ptrs);
        a->ptr_vals = calloc(json_object_size(set) + 1, sizeof *a->ptr_vals);
        json_object_foreach(set, key, v) {
          char p[NVL_DIAG_PTR_MAX];
          nvl_ptr_join(p, sizeof p, ap, "set");
          if (!json_is_array(v) || json_array_size(v) != nv) {
            nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_SCHEMA, p,
                         "every pointer of \"set\" needs one value per axis value (%zu)", nv);
            continue;
          }
          snprintf(a->ptrs[a->n_ptrs], sizeof a->ptrs[0], "%s", key);
          a->ptr_vals[a->n_ptrs++] = json_incref(v);
        }
      }
    }
    if (s->list_mode) {
      if (total && total != nv)
        nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_SCHEMA, ap,
                     "in list mode every axis has the same number of values");
      total = nv;
    } else if (__builtin_mul_overflow(total, (uint64_t)nv, &total) || total > MAX_POINTS) {
      total = MAX_POINTS + 1;
    }
    s->n_axes++;
  }
  if (total > MAX_POINTS)
    nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_LIMIT, "/axes", "more than %d points", MAX_POINTS);
  s->n_points = (size_t)total;
  json_decref(root);
  if (diags->errors > before) {
    nvl_sweep_free(s);
    return NULL;
  }
  return s;
}

void nvl_sweep_free(nvl_sweep *s) {
  if (!s)
    return;
  for (size_t i = 0; i < s->n_axes; i++) {
    json_decref(s->axes[i].values);
    for (size_t k = 0; k < s->axes[i].n_ptrs; k++)
      json_decref(s->axes[i].ptr_vals[k]);
    free(s->axes[i].ptrs);
    free(s->axes[i].ptr_vals);
  }
  free(s->axes);
  free(s->sizes);
  json_decref(s->base);
  free(s);
}

size_t nvl_sweep_points(const nvl_sweep *s) { return s->n_points; }
size_t nvl_sweep_axes(const nvl_sweep *s) { return s->n_axes; }
const char *nvl_sweep_axis_name(const nvl_sweep *s, size_t a) { return s->axes[a].name; }

/* Index of the value of axis a at a point (last axis fastest in product mode). */
static size_t value_index(const nvl_sweep *s, size_t point, size_t a) {
  if (s->list_mode)
    return point;
  size_t idx = point;
  for (size_t k = s->n_axes; k-- > a + 1;)
    idx /= json_array_size(s->axes[k].values);
  return idx % json_array_size(s->axes[a].values);
}

void nvl_sweep_axis_value(const nvl_sweep *s, size_t point, size_t a, char *buf, size_t len) {
  json_t *v = json_array_get(s->axes[a].values, value_index(s, point, a));
  if (json_is_string(v)) {
    snprintf(buf, len, "%s", json_string_value(v));
  } else {
    char *t = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    snprintf(buf, len, "%s", t ? t : "");
    free(t);
  }
}

static void error_row(FILE *out, const char *status, const char *msg) {
  fprintf(out, "%s", status);
  for (int i = 0; i < 22; i++)
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

int nvl_sweep_run_point(const nvl_sweep *s, size_t point, FILE *out) {
  json_t *doc = json_deep_copy(s->base);
  nvl_job job = s->job;
  nvl_workload_spec spec = {0};
  spec.model = s->model;
  spec.seed = 1;
  uint64_t size_override = 0;
  int fail_k = 0;
  unsigned long fail_seed = 1;
  char err[NVL_DIAG_PTR_MAX + NVL_DIAG_MSG_MAX + 8];
  for (size_t a = 0; a < s->n_axes; a++) {
    const axis *ax = &s->axes[a];
    size_t vi = value_index(s, point, a);
    json_t *v = json_array_get(ax->values, vi);
    const char *sv = json_is_string(v) ? json_string_value(v) : NULL;
    if (ax->kind == AX_SET) {
      for (size_t k = 0; k < ax->n_ptrs; k++)
        if (nvl_json_pointer_set(doc, ax->ptrs[k], json_array_get(ax->ptr_vals[k], vi), err,
                                 sizeof err) != 0) {
          error_row(out, "invalid", err);
          json_decref(doc);
          return 1;
        }
      continue;
    }
    double b;
    bool ok = true;
    switch (ax->param) {
    case P_SIZE:
      ok = sv && nvl_units_parse(sv, NVL_QTY_SIZE, &b, err, sizeof err) == 0;
      if (ok)
        size_override = (uint64_t)b;
      break;
    case P_COLLECTIVE: ok = sv && nvl_coll_parse(sv, &job.coll) == 0; break;
    case P_ALGORITHM: ok = sv && nvl_algo_parse(sv, &job.algo) == 0; break;
    case P_MODEL:
      ok = sv && (strcmp(sv, "ideal") == 0 || strcmp(sv, "default") == 0);
      if (ok)
        spec.model = strcmp(sv, "ideal") == 0 ? NVL_MODEL_IDEAL : NVL_MODEL_DEFAULT;
      break;
    case P_FAIL_SWITCHES:
      ok = json_is_integer(v) && json_integer_value(v) >= 0 && json_integer_value(v) < 100000;
      if (ok)
        fail_k = (int)json_integer_value(v), fail_seed = ax->seed;
      break;
    }
    if (!ok) {
      snprintf(err, sizeof err, "axis %s: bad value for %s", ax->name, ax->name);
      error_row(out, "invalid", err);
      json_decref(doc);
      return 1;
    }
  }
  char *text = json_dumps(doc, JSON_COMPACT);
  json_decref(doc);
  nvl_diags diags = NVL_DIAGS_INIT;
  nvl_design *d = NULL;
  int rc = 1;
  char label[600];
  snprintf(label, sizeof label, "%s (point %zu)", s->base_label, point);
  nvl_load_status st = nvl_design_load_buffer(text, strlen(text), label, NULL, &d, &diags);
  if (st == NVL_LOAD_OK && fail_k > 0) { /* k distinct switch chips, drawn reproducibly */
    size_t nsw = 0;
    for (size_t i = 0; i < d->n_devices; i++)
      nsw += d->devices[i].is_switch;
    if ((size_t)fail_k > nsw) {
      snprintf(err, sizeof err, "fail_switches %d: the design has %zu switches", fail_k, nsw);
      error_row(out, "invalid", err);
      goto done;
    }
    int *sw = malloc(nsw * sizeof(int)), *pick = malloc((size_t)fail_k * sizeof(int));
    nsw = 0;
    for (size_t i = 0; i < d->n_devices; i++)
      if (d->devices[i].is_switch)
        sw[nsw++] = (int)i;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, fail_seed * 1000003ul + point);
    gsl_ran_choose(r, pick, (size_t)fail_k, sw, nsw, sizeof(int));
    gsl_rng_free(r);
    nvl_failure_spec *specs = calloc((size_t)fail_k, sizeof *specs);
    for (int k = 0; k < fail_k; k++) {
      snprintf(specs[k].kind, sizeof specs[k].kind, "switch");
      snprintf(specs[k].target, sizeof specs[k].target, "%s", d->devices[pick[k]].name);
      specs[k].share = 1.0;
    }
    free(sw);
    free(pick);
    nvl_design *damaged = nvl_design_damage(d, specs, (size_t)fail_k, &diags);
    free(specs);
    if (damaged) {
      d = damaged;
      nvl_design_check_wiring(d, &diags);
    }
    if (!damaged || diags.errors)
      st = NVL_LOAD_INVALID;
  }
  if (st != NVL_LOAD_OK) {
    const char *m = "invalid design";
    for (size_t i = 0; i < diags.count; i++)
      if (diags.items[i].severity == NVL_SEV_ERROR) {
        snprintf(err, sizeof err, "%s%s%s", diags.items[i].pointer,
                 diags.items[i].pointer[0] ? ": " : "", diags.items[i].message);
        m = err;
        break;
      }
    error_row(out, "invalid", m);
    goto done;
  }
  {
    spec.jobs = calloc(1, sizeof *spec.jobs);
    spec.n_jobs = 1;
    spec.jobs[0] = job;
    spec.jobs[0].devs = NULL;
    spec.sizes = malloc((s->n_sizes + 1) * sizeof *spec.sizes);
    if (size_override) {
      spec.sizes[0] = size_override;
      spec.n_sizes = 1;
    } else {
      memcpy(spec.sizes, s->sizes, s->n_sizes * sizeof *spec.sizes);
      spec.n_sizes = s->n_sizes;
    }
    nvl_results rows = NVL_RESULTS_INIT;
    if (nvl_simulate(d, &spec, &(nvl_simulate_opts){0}, &rows, &diags) != 0) {
      bool setup = diags.count && diags.items[diags.count - 1].code != NVL_DIAG_LIMIT;
      error_row(out, setup ? "invalid" : "failed",
                diags.count ? diags.items[diags.count - 1].message : "simulation failed");
    } else {
      for (size_t i = 0; i < rows.n; i++) {
        fputs("ok,", out);
        nvl_results_csv_row(out, &rows.rows[i]);
        fputs(",\n", out);
      }
      rc = 0;
    }
    nvl_results_release(&rows);
  }
done:
  nvl_workload_spec_release(&spec);
  nvl_design_free(d);
  nvl_diags_release(&diags);
  free(text);
  return rc;
}
