/*
 * load: workload JSON files (see workload.h for the format's meaning; README for its keys).
 * Errors carry JSON pointers, as the design loader's do.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/algorithms.h"
#include "base/file.h"
#include "base/json.h"
#include "base/units.h"
#include "base/xalloc.h"
#include "workload/workload.h"

static nvl_job *add_job(nvl_workload_spec *spec) {
  spec->jobs = nvl_xrealloc(spec->jobs, (spec->n_jobs + 1) * sizeof *spec->jobs);
  nvl_job *j = &spec->jobs[spec->n_jobs++];
  memset(j, 0, sizeof *j);
  j->algo = NVL_ALGO_AUTO;
  j->proto = -1;
  return j;
}

static bool str_field(json_t *o, const char *key, const char *ptr, char *out, size_t len,
                      nvl_diags *diags) {
  json_t *v = json_object_get(o, key);
  if (!v)
    return false;
  char p[NVL_DIAG_PTR_MAX];
  nvl_ptr_join(p, sizeof p, ptr, key);
  if (!json_is_string(v) || json_string_length(v) >= len) {
    nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_SCHEMA, p, "expected a string of at most %zu bytes",
                 len - 1);
    return false;
  }
  snprintf(out, len, "%s", json_string_value(v));
  return true;
}

/* Job i of the workload file (at JSON pointer ptr) into a new job of spec; a relative matrix
 * path is taken from the workload file's folder (its first dir_len characters of path). */
static void load_job(json_t *it, size_t i, const char *ptr, const char *path, int dir_len,
                     nvl_workload_spec *spec, nvl_diags *diags) {
  char p[NVL_DIAG_PTR_MAX];
  const char *key;
  json_t *val;
  static const char *const keys[] = {"name", "collective", "pattern", "algo", "ranks",
                                     "size", "shift",      "matrix",  "note", NULL};
  json_object_foreach(it, key, val) {
    bool ok = false;
    for (const char *const *k = keys; *k; k++)
      ok |= strcmp(*k, key) == 0;
    if (!ok) {
      nvl_ptr_join(p, sizeof p, ptr, key);
      nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_UNKNOWN_KEY, p, "unknown key \"%s\"", key);
    }
  }
  nvl_job *j = add_job(spec);
  snprintf(j->name, sizeof j->name, "job%zu", i);
  str_field(it, "name", ptr, j->name, sizeof j->name, diags);
  char buf[64];
  bool has_coll = str_field(it, "collective", ptr, buf, sizeof buf, diags);
  if (has_coll && nvl_coll_parse(buf, &j->coll) != 0) {
    nvl_ptr_join(p, sizeof p, ptr, "collective");
    nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_REFERENCE, p, "unknown collective \"%s\"", buf);
  }
  bool has_pat = str_field(it, "pattern", ptr, buf, sizeof buf, diags);
  if (has_pat && nvl_pattern_parse(buf, &j->pattern) != 0) {
    nvl_ptr_join(p, sizeof p, ptr, "pattern");
    nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_REFERENCE, p, "unknown traffic pattern \"%s\"",
                 buf);
  }
  if (has_coll == has_pat)
    nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_SCHEMA, ptr,
                 "a job has exactly one of \"collective\" and \"pattern\"");
  if (str_field(it, "algo", ptr, buf, sizeof buf, diags) && nvl_algo_parse(buf, &j->algo) != 0) {
    char names[128];
    nvl_algo_names(", ", names, sizeof names);
    nvl_ptr_join(p, sizeof p, ptr, "algo");
    nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_REFERENCE, p,
                 "unknown algorithm \"%s\"; expected %s", buf, names);
  }
  str_field(it, "ranks", ptr, j->ranks_sel, sizeof j->ranks_sel, diags);
  char mf[sizeof j->matrix_file];
  if (str_field(it, "matrix", ptr, mf, sizeof mf, diags)) {
    /* a relative matrix path is the workload file's neighbour, as a design's files are */
    int w = snprintf(j->matrix_file, sizeof j->matrix_file, "%.*s%s", mf[0] == '/' ? 0 : dir_len,
                     path, mf);
    if (w < 0 || (size_t)w >= sizeof j->matrix_file) {
      nvl_ptr_join(p, sizeof p, ptr, "matrix");
      nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_LIMIT, p, "matrix path too long");
    }
  }
  /* 0 is a job of count 0, as nccl-tests runs it */
  json_t *sz = json_object_get(it, "size");
  char e[160];
  nvl_ptr_join(p, sizeof p, ptr, "size");
  if (!sz)
    nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_SCHEMA, ptr, "missing required key \"size\"");
  else if (nvl_json_bytes(sz, &j->size_bytes, e, sizeof e) != 0)
    nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_QUANTITY, p, "%s", e);
  else
    j->size_given = true;
  json_t *sh = json_object_get(it, "shift");
  if (sh) {
    if (!json_is_integer(sh) || json_integer_value(sh) < 1 || json_integer_value(sh) > 1000000) {
      nvl_ptr_join(p, sizeof p, ptr, "shift");
      nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_QUANTITY, p, "shift must be a positive integer");
    } else {
      j->shift = (int)json_integer_value(sh);
    }
  }
}

/* A workload file is at most this large. */
#define WORKLOAD_MAX_BYTES (16u << 20)

int nvl_workload_load_file(const char *path, nvl_workload_spec *spec, nvl_diags *diags) {
  char *text;
  size_t len;
  /* through base/file: a regular file of bounded size (a FIFO or a device is refused, never
   * waited on) */
  if (nvl_file_read(path, "workload", WORKLOAD_MAX_BYTES, &text, &len, diags) != 0)
    return -1;
  json_t *root = nvl_json_load_user(text, len, diags);
  free(text);
  if (!root)
    return -1;
  const char *slash = strrchr(path, '/');
  int dir_len = slash ? (int)(slash - path + 1) : 0;
  size_t before = diags->errors;
  json_t *jobs = json_object_get(root, "jobs");
  if (!json_is_object(root) || !json_is_array(jobs) || json_array_size(jobs) == 0) {
    nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_SCHEMA, "/jobs",
                 "a workload is an object with a non-empty \"jobs\" array");
    json_decref(root);
    return -1;
  }
  const char *key;
  json_t *val;
  json_object_foreach(root, key, val) if (strcmp(key, "jobs") != 0 && strcmp(key, "note") != 0) {
    char p[NVL_DIAG_PTR_MAX];
    nvl_ptr_join(p, sizeof p, "", key);
    nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_UNKNOWN_KEY, p, "unknown key \"%s\"", key);
  }
  size_t i;
  json_t *it;
  json_array_foreach(jobs, i, it) {
    char ptr[NVL_DIAG_PTR_MAX];
    nvl_ptr_index(ptr, sizeof ptr, "/jobs", i);
    if (!json_is_object(it)) {
      nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_SCHEMA, ptr, "expected an object");
      continue;
    }
    load_job(it, i, ptr, path, dir_len, spec, diags);
  }
  json_decref(root);
  return diags->errors > before ? -1 : 0;
}
