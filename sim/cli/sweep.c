/*
 * sweep: see sweep.h.
 */
#include "models/algorithms.h"
#include "cli/sweep.h"

#include "base/csv.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "base/builtin.h"
#include "base/file.h"
#include "base/json.h"
#include "base/names.h"
#include "base/xalloc.h"
#include "design/design.h"
#include "engine/engine.h"
#include "platform/platform.h"
#include "output/results.h"
#include "base/units.h"
#include "cli/simulate.h"
#include "cli/sweep_llm.h"
#include "workload/workload.h"

#define MAX_POINTS 1000000
/* A sweep spec or base design file is at most this large. */
#define SWEEP_JSON_MAX_BYTES (64u << 20)

typedef enum { AX_SET, AX_PARAM } axis_kind;
/* The collective parameters; P_LLM + i is the LLM parameter i (cli/sweep_llm.h). */
typedef enum {
  P_SIZE,
  P_COLLECTIVE,
  P_ALGORITHM,
  P_MODEL,
  P_FAIL_SWITCHES,
  P_LLM = 100
} param_kind;

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
  bool llm;        /* the workload is an LLM step (cli/sweep_llm.h), not collective sizes */
  nvl_llm_ask ask; /* its parameters; ask.llm points to llm_name */
  char llm_name[1024], spec_dir[512];
};

static json_t *load_json_file(const char *path, const char *what, nvl_diags *diags);

/* The base design: builtin:NAME, or a file inside the spec's folder. */
static json_t *load_base(const char *spec_path, const char *base, char *label, size_t len,
                         nvl_diags *diags) {
  json_error_t je;
  const nvl_builtin *b;
  int builtin = nvl_builtin_resolve(base, &b, NULL, 0);
  if (builtin < 0) {
    nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_REFERENCE, "/base", "no built-in design \"%s\"",
                 base + 8);
    return NULL;
  }
  if (builtin) {
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
  nvl_diags bd = NVL_DIAGS_INIT;
  json_t *j = load_json_file(label, "design", &bd);
  if (!j)
    nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_IO, "/base", "%s: %s", label,
                 bd.count ? bd.items[0].message : "cannot be read");
  nvl_diags_release(&bd);
  return j;
}

/* A parameter of the sweep's kind of workload. Returns 0, or -1 with what it could be in err. */
static int parse_param(const nvl_sweep *s, const char *name, param_kind *out, char *err,
                       size_t len) {
  err[0] = '\0';
  static const char *const names[] = {"size", "collective", "algorithm", "model", "fail_switches"};
  int i = nvl_names_find(names, 5, name, false), l = nvl_sweep_llm_param(name);
  if (s->llm && l >= 0)
    *out = (param_kind)(P_LLM + l);
  else if (i == P_MODEL || i == P_FAIL_SWITCHES || (!s->llm && i >= 0))
    *out = (param_kind)i;
  else if (s->llm)
    snprintf(err, len, "param of an LLM sweep is model, fail_switches, %s",
             nvl_sweep_llm_param_names());
  else
    snprintf(err, len,
             "param is size, collective, algorithm, model or fail_switches (or, with \"llm\" "
             "in the workload, an LLM parameter: %s)",
             nvl_sweep_llm_param_names());
  return err[0] ? -1 : 0;
}

/* The workload block: the job, the model and the sweep sizes (default 1 GiB), or an LLM step. */
static void load_workload(nvl_sweep *s, json_t *wl, nvl_diags *diags) {
  const char *key;
  json_t *v;
  json_t *sizes = wl ? json_object_get(wl, "sizes") : NULL;
  s->llm = wl && json_object_get(wl, "llm");
  json_object_foreach(wl, key, v) {
    char p[NVL_DIAG_PTR_MAX];
    nvl_ptr_join(p, sizeof p, "/workload", key);
    const char *sv = json_is_string(v) ? json_string_value(v) : NULL;
    if (strcmp(key, "ranks") == 0 && sv)
      snprintf(s->job.ranks_sel, sizeof s->job.ranks_sel, "%s", sv);
    else if (strcmp(key, "model") == 0 && sv && nvl_model_parse(sv, &s->model) == 0)
      ;
    else if (s->llm && strcmp(key, "ranks") && strcmp(key, "model"))
      nvl_sweep_llm_key(&s->ask, s->llm_name, sizeof s->llm_name, s->spec_dir, key, v, p, diags);
    else if (strcmp(key, "collective") == 0 && !(sv && nvl_coll_parse(sv, &s->job.coll) == 0))
      nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_REFERENCE, p, "unknown collective");
    else if (strcmp(key, "algo") == 0 && !(sv && nvl_algo_parse(sv, &s->job.algo) == 0)) {
      char names[128];
      nvl_algo_names(", ", names, sizeof names);
      nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_REFERENCE, p, "algo is %s", names);
    } else if (strcmp(key, "pattern") == 0 && !(sv && nvl_pattern_parse(sv, &s->job.pattern) == 0))
      nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_REFERENCE, p, "unknown traffic pattern");
    else if (strcmp(key, "sizes") == 0 && json_is_array(v))
      ;
    else if (strcmp(key, "collective") && strcmp(key, "algo") && strcmp(key, "pattern"))
      nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_UNKNOWN_KEY, p,
                   "unknown or malformed key \"%s\" (collective, algo, pattern, ranks, sizes, "
                   "model; or an LLM step's, with \"llm\")",
                   key);
  }
  if (s->llm) {
    nvl_sweep_llm_check_model(&s->ask, diags);
    return;
  }
  size_t nsz = sizes ? json_array_size(sizes) : 1;
  s->sizes = nvl_xcalloc(nsz + 1, sizeof *s->sizes);
  for (size_t i = 0; i < nsz; i++) {
    const char *t = sizes ? json_string_value(json_array_get(sizes, i)) : "1 GiB";
    double b;
    char e[160], p[NVL_DIAG_PTR_MAX];
    nvl_ptr_index(p, sizeof p, "/workload/sizes", i);
    if (!t || nvl_units_parse(t, NVL_QTY_SIZE, &b, e, sizeof e) != 0)
      nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_QUANTITY, p, "%s",
                   t ? e : "expected a size string");
    else
      s->sizes[s->n_sizes++] = (uint64_t)b;
  }
}

/* The pointers of a set axis: one ("pointer") or several ("set", one value array each). */
static void load_pointers(axis *a, json_t *ptr, json_t *set, const char *ap, size_t nv,
                          nvl_diags *diags) {
  const char *key;
  json_t *v;
  if (ptr) {
    a->n_ptrs = 1;
    a->ptrs = nvl_xcalloc(1, sizeof *a->ptrs);
    a->ptr_vals = nvl_xcalloc(1, sizeof *a->ptr_vals);
    snprintf(a->ptrs[0], sizeof a->ptrs[0], "%s",
             json_is_string(ptr) ? json_string_value(ptr) : "");
    a->ptr_vals[0] = json_incref(a->values);
    return;
  }
  if (!json_is_object(set))
    return;
  a->ptrs = nvl_xcalloc(json_object_size(set) + 1, sizeof *a->ptrs);
  a->ptr_vals = nvl_xcalloc(json_object_size(set) + 1, sizeof *a->ptr_vals);
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

/* One axis; returns its number of values, 0 when malformed (reported). */
static size_t load_axis(const nvl_sweep *s, axis *a, json_t *ax, const char *ap, nvl_diags *diags) {
  const char *key;
  json_t *v;
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
    return 0;
  }
  snprintf(a->name, sizeof a->name, "%s", json_string_value(name));
  a->values = json_incref(vals);
  json_t *param = json_object_get(ax, "param"), *ptr = json_object_get(ax, "pointer"),
         *set = json_object_get(ax, "set"), *seed = json_object_get(ax, "seed");
  a->seed = json_is_integer(seed) ? (unsigned long)json_integer_value(seed) : 1;
  if ((param != NULL) + (ptr != NULL) + (set != NULL) != 1) {
    nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_SCHEMA, ap,
                 "an axis has exactly one of \"param\", \"pointer\" and \"set\"");
  } else if (param) {
    a->kind = AX_PARAM;
    char err[400] = "param is a string";
    if (!json_is_string(param) ||
        parse_param(s, json_string_value(param), &a->param, err, sizeof err) != 0)
      nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_REFERENCE, ap, "%s", err);
  } else {
    a->kind = AX_SET;
    load_pointers(a, ptr, set, ap, json_array_size(vals), diags);
  }
  return json_array_size(vals);
}

/* The axes and the number of points (product, or the common length in list mode). */
/* An axis name is a CSV column of its own: not another axis's, nor one of the sweep's columns
 * (point, status, error) or the run's (design, collective, size_bytes, ...). */
static void axis_name_free(const nvl_sweep *s, const char *name, const char *ap, nvl_diags *diags) {
  char *cols = NULL;
  size_t len = 0;
  FILE *m = nvl_xmemstream(&cols, &len);
  fputs("point,status,error,", m);
  nvl_sweep_result_header(s, m);
  fclose(m);
  bool taken = false;
  for (char *c = cols, *end; c && !taken; c = end ? end + 1 : NULL) {
    end = strchr(c, ',');
    size_t n = end ? (size_t)(end - c) : strlen(c);
    taken = strlen(name) == n && strncmp(c, name, n) == 0;
  }
  free(cols);
  for (size_t k = 0; k < s->n_axes && !taken; k++)
    taken = strcmp(s->axes[k].name, name) == 0;
  if (taken)
    nvl_diag_add(
        diags, NVL_SEV_ERROR, NVL_DIAG_DUPLICATE, ap,
        "axis name \"%s\" is already a column of the sweep's CSV (another axis, or one "
        "of point, status, error and the run's columns); name it otherwise, e.g. \"%s_axis\"",
        name, name);
}

static void load_axes(nvl_sweep *s, json_t *axes, nvl_diags *diags) {
  if (!json_is_array(axes) || json_array_size(axes) == 0)
    nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_SCHEMA, "/axes",
                 "\"axes\" must be a non-empty array");
  size_t na = json_is_array(axes) ? json_array_size(axes) : 0;
  s->axes = nvl_xcalloc(na + 1, sizeof *s->axes);
  uint64_t total = s->list_mode ? 0 : 1;
  for (size_t i = 0; i < na; i++) {
    char ap[NVL_DIAG_PTR_MAX];
    nvl_ptr_index(ap, sizeof ap, "/axes", i);
    size_t nv = load_axis(s, &s->axes[s->n_axes], json_array_get(axes, i), ap, diags);
    if (nv == 0)
      continue;
    axis_name_free(s, s->axes[s->n_axes].name, ap, diags);
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
}

/* A JSON file read through base/file (regular files only, bounded). */
static json_t *load_json_file(const char *path, const char *what, nvl_diags *diags) {
  char *text;
  size_t len;
  if (nvl_file_read(path, what, SWEEP_JSON_MAX_BYTES, &text, &len, diags) != 0)
    return NULL;
  json_error_t je;
  json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
  free(text);
  if (!root)
    nvl_diag_syntax(diags, je.line, je.column, "%s", je.text);
  return root;
}

nvl_sweep *nvl_sweep_load(const char *path, nvl_diags *diags) {
  json_t *root = load_json_file(path, "sweep spec", diags);
  if (!root)
    return NULL;
  size_t before = diags->errors;
  nvl_sweep *s = nvl_xcalloc(1, sizeof *s);
  s->job.algo = NVL_ALGO_AUTO;
  s->job.proto = -1;
  s->model = NVL_MODEL_DEFAULT;
  s->ask = (nvl_llm_ask)NVL_LLM_ASK_INIT;
  snprintf(s->job.name, sizeof s->job.name, "sweep");
  const char *slash = strrchr(path, '/');
  snprintf(s->spec_dir, sizeof s->spec_dir, "%.*s", slash ? (int)(slash - path + 1) : 0, path);
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
  load_workload(s, json_object_get(root, "workload"), diags);
  load_axes(s, json_object_get(root, "axes"), diags);
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
    double b;
    bool ok = true;
    switch (ax->param) {
    case P_SIZE:
      ok = sv && nvl_units_parse(sv, NVL_QTY_SIZE, &b, err, errlen) == 0;
      if (ok)
        pp->size = (uint64_t)b;
      break;
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
      static const char *const want[] = {"a size string such as \"1 GiB\"",
                                         "a collective name (all_reduce, alltoall, ...)",
                                         "ring, tree, nvls, p2p or auto", "default or ideal",
                                         "a count of switch chips, 0 or more"};
      char *t = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
      char why[NVL_DIAG_PTR_MAX + NVL_DIAG_MSG_MAX + 8];
      memcpy(why, err, errlen < sizeof why ? errlen : sizeof why); /* a bad size's own reason */
      why[sizeof why - 1] = '\0';
      if (ax->param != P_SIZE || !sv)
        snprintf(err, errlen, "axis %s: %.60s is not %s", ax->name, t ? t : "?", want[ax->param]);
      else
        snprintf(err, errlen, "axis %s: %s", ax->name, why);
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
static int simulate_point(const nvl_sweep *s, const nvl_design *d, const point_params *pp,
                          FILE *out) {
  nvl_workload_spec spec = {.model = pp->model, .seed = 1};
  spec.jobs = nvl_xcalloc(1, sizeof *spec.jobs);
  spec.n_jobs = 1;
  spec.jobs[0] = pp->job;
  spec.jobs[0].devs = NULL;
  spec.sizes = nvl_xmalloc((s->n_sizes + 1) * sizeof *spec.sizes);
  if (pp->size) {
    spec.sizes[0] = pp->size;
    spec.n_sizes = 1;
  } else {
    memcpy(spec.sizes, s->sizes, s->n_sizes * sizeof *spec.sizes);
    spec.n_sizes = s->n_sizes;
  }
  nvl_results rows = NVL_RESULTS_INIT;
  nvl_diags diags = NVL_DIAGS_INIT;
  int rc = 1;
  if (nvl_simulate(d, &spec, &(nvl_simulate_opts){0}, &rows, &diags) != 0) {
    bool setup = diags.count && diags.items[diags.count - 1].code != NVL_DIAG_LIMIT;
    error_row(s, out, setup ? "invalid" : "failed",
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
  nvl_workload_spec_release(&spec);
  nvl_diags_release(&diags);
  return rc;
}

int nvl_sweep_run_point(const nvl_sweep *s, size_t point, FILE *out) {
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
    rc = nvl_sweep_llm_point(d, &pp.ask, s->base_label, out);
  } else
    rc = simulate_point(s, d, &pp, out);
  nvl_design_free(d);
  nvl_diags_release(&diags);
  return rc;
}
