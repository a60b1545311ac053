/*
 * sweep_load: reading a sweep spec (see sweep.h): its base design, workload and axes.
 */
#include "cli/sweep_spec.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "base/builtin.h"
#include "base/file.h"
#include "base/json.h"
#include "base/names.h"
#include "base/u64map.h"
#include "base/units.h"
#include "base/xalloc.h"
#include "models/algorithms.h"

#define MAX_POINTS 1000000

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
  if ((size_t)dir_len + strlen(base) >= len) { /* never a cut name: another file */
    nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_REFERENCE, "/base",
                 "base: the spec's folder and the file name together are longer than %zu bytes",
                 len - 1);
    return NULL;
  }
  snprintf(label, len, "%.*s%s", dir_len, spec_path, base);
  char dir[512];
  snprintf(dir, sizeof dir, "%.*s", dir_len, spec_path);
  if (nvl_file_inside(dir, label) == 0) { /* a symbolic link out of the folder: not read */
    nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_REFERENCE, "/base",
                 "base \"%s\" leads out of the spec's folder (a symbolic link): it must be a file "
                 "in that folder",
                 base);
    return NULL;
  }
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
  static const char *const names[] = {"size", "collective", "algo", "model", "fail_switches"};
  /* "algo" as in workload files and --algo; "algorithm", its older name here, still reads */
  int i = nvl_names_find(names, 5, strcmp(name, "algorithm") ? name : "algo", false),
      l = nvl_sweep_llm_param(name);
  if (s->llm && l >= 0)
    *out = (param_kind)(P_LLM + l);
  else if (i == P_MODEL || i == P_FAIL_SWITCHES || (!s->llm && i >= 0))
    *out = (param_kind)i;
  else if (s->llm)
    snprintf(err, len, "param of an LLM sweep is model, fail_switches, %s",
             nvl_sweep_llm_param_names());
  else
    snprintf(err, len,
             "param is size, collective, algo, model or fail_switches (or, with \"llm\" "
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
    uint64_t b = 1u << 30;
    char e[160], p[NVL_DIAG_PTR_MAX];
    nvl_ptr_index(p, sizeof p, "/workload/sizes", i);
    if (sizes && nvl_json_bytes(json_array_get(sizes, i), &b, e, sizeof e) != 0)
      nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_QUANTITY, p, "%s", e);
    else
      s->sizes[s->n_sizes++] = b;
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
    static const char *const ok[] = {"name",    "values", "labels", "param",
                                     "pointer", "set",    "seed",   "note"};
    bool known = false;
    for (size_t k = 0; k < sizeof ok / sizeof ok[0]; k++)
      known |= strcmp(key, ok[k]) == 0;
    if (!known) {
      char p[NVL_DIAG_PTR_MAX];
      nvl_ptr_join(p, sizeof p, ap, key);
      nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_UNKNOWN_KEY, p,
                   "unknown key \"%s\" (name, values, labels, param, pointer, set, seed, note)",
                   key);
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
  json_t *labels = json_object_get(ax, "labels");
  bool labels_ok = json_is_array(labels) && json_array_size(labels) == json_array_size(vals);
  for (size_t i = 0; labels_ok && i < json_array_size(labels); i++)
    labels_ok = json_is_string(json_array_get(labels, i)) &&
                json_string_length(json_array_get(labels, i)) > 0;
  if (labels && !labels_ok) {
    char p[NVL_DIAG_PTR_MAX];
    nvl_ptr_join(p, sizeof p, ap, "labels");
    nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_SCHEMA, p,
                 "labels are the CSV's names of the values: one non-empty string per value (%zu)",
                 json_array_size(vals));
  } else if (labels) {
    a->labels = json_incref(labels);
  }
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
  fputs("point,status,error,sweep_id,", m);
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
    nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_DUPLICATE, ap,
                 "axis name \"%s\" is already a column of the sweep's CSV (another axis, or one "
                 "of point, status, error, sweep_id and the run's columns); name it otherwise, "
                 "e.g. \"%s_axis\"",
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
  json_t *root = nvl_json_load_user(text, len, diags);
  free(text);
  return root;
}

static uint64_t hash_json(uint64_t h, const json_t *j) {
  char *t = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
  h = nvl_fnv1a(h, t ? t : "", t ? strlen(t) + 1 : 1);
  free(t);
  return h;
}

/* A model file's text into the hash (builtins are part of the program's version). */
static uint64_t hash_model_file(uint64_t h, const char *name) {
  char *text;
  size_t len;
  nvl_diags ignored = NVL_DIAGS_INIT; /* an unreadable file is the point's error, later */
  if (strncmp(name, "builtin:", 8) == 0 || !*name ||
      nvl_file_read(name, "model", SWEEP_JSON_MAX_BYTES, &text, &len, &ignored) != 0) {
    nvl_diags_release(&ignored);
    return nvl_fnv1a(h, name, strlen(name) + 1);
  }
  h = nvl_fnv1a(h, text, len);
  free(text);
  return h;
}

/* The spec, its base design and every model file it names (the workload's and an llm axis's). */
static void make_id(nvl_sweep *s, const json_t *root) {
  json_t *spec = json_deep_copy(root);
  json_object_del(spec, "note"); /* a note changes no row */
  uint64_t h = hash_json(hash_json(NVL_FNV1A_BASIS, spec), s->base);
  json_decref(spec);
  if (s->llm)
    h = hash_model_file(h, s->llm_name);
  for (size_t a = 0; a < s->n_axes; a++) {
    size_t i;
    json_t *v;
    if (s->axes[a].kind != AX_PARAM || (int)s->axes[a].param != P_LLM + nvl_sweep_llm_param("llm"))
      continue;
    json_array_foreach(s->axes[a].values, i, v) {
      char file[1024];
      snprintf(file, sizeof file, "%s%s", s->spec_dir,
               json_is_string(v) ? json_string_value(v) : "");
      h = hash_model_file(h, json_is_string(v) && strncmp(json_string_value(v), "builtin:", 8) == 0
                                 ? json_string_value(v)
                                 : file);
    }
  }
  snprintf(s->id, sizeof s->id, "%016llx", (unsigned long long)h);
}

const char *nvl_sweep_id(const nvl_sweep *s) { return s->id; }

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
  else {
    s->base = load_base(path, json_string_value(base), s->base_label, sizeof s->base_label, diags);
    snprintf(s->base_name, sizeof s->base_name, "%s", json_string_value(base));
  }
  json_t *mode = json_object_get(root, "mode");
  if (mode && !(json_is_string(mode) && (strcmp(json_string_value(mode), "product") == 0 ||
                                         strcmp(json_string_value(mode), "list") == 0)))
    nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_SCHEMA, "/mode", "mode is \"product\" or \"list\"");
  s->list_mode = mode && json_is_string(mode) && strcmp(json_string_value(mode), "list") == 0;
  load_workload(s, json_object_get(root, "workload"), diags);
  load_axes(s, json_object_get(root, "axes"), diags);
  if (diags->errors == before)
    make_id(s, root);
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
    json_decref(s->axes[i].labels);
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
