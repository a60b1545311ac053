/*
 * sweep_llm: see sweep_llm.h.
 */
#include "cli/sweep_llm.h"

#include <stdlib.h>
#include <string.h>

#include "base/exit.h"
#include "base/file.h"
#include "base/names.h"
#include "cli/sweep.h"
#include "cli/llm_params.h"
#include "output/llm.h"

/* Parameters: the LLM parameter table's (cli/llm_params.h), then the routing's seed. */
#define P_SEED ((int)nvl_llm_n_params)

int nvl_sweep_llm_param(const char *name) {
  const nvl_llm_param *p = nvl_llm_param_find(name);
  if (p && strchr(name, '-') == NULL) /* keys are written with '_' */
    return (int)(p - nvl_llm_params);
  return strcmp(name, "seed") == 0 ? P_SEED : -1;
}

const char *nvl_sweep_llm_param_names(void) {
  static char names[1100];
  if (!names[0])
    snprintf(names, sizeof names, "%s, seed", nvl_llm_param_keys());
  return names;
}

/* builtin:NAME, or a file in the spec's folder. */
static int set_llm(char *buf, size_t len, const char *spec_dir, const char *v, char *err,
                   size_t errlen) {
  if (strncmp(v, "builtin:", 8) == 0) {
    snprintf(buf, len, "%s", v);
    return 0;
  }
  if (!*v || v[0] == '/' || strstr(v, "..")) {
    snprintf(err, errlen,
             "llm \"%.200s\" must be builtin:NAME or a file in the spec's folder (no absolute "
             "path, no \"..\")",
             v);
    return -1;
  }
  if (strlen(spec_dir) + strlen(v) >= len) { /* never a cut name: another file */
    snprintf(err, errlen, "llm: the spec's folder and \"%.60s...\" are longer than %zu bytes", v,
             len - 1);
    return -1;
  }
  snprintf(buf, len, "%s%s", spec_dir, v);
  if (nvl_file_inside(spec_dir, buf) == 0) {
    snprintf(err, errlen, "llm \"%.200s\" leads out of the spec's folder (a symbolic link)", v);
    return -1;
  }
  return 0;
}

int nvl_sweep_llm_set(nvl_llm_ask *a, char *llm_buf, size_t llm_len, const char *spec_dir,
                      int param, json_t *v, char *err, size_t errlen) {
  if (param == P_SEED) {
    if (json_is_integer(v) && json_integer_value(v) >= 0) {
      a->seed = (unsigned long)json_integer_value(v);
      return 0;
    }
    char *t = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    snprintf(err, errlen, "seed: %.60s is not a non-negative integer", t ? t : "?");
    free(t);
    return -1;
  }
  const nvl_llm_param *p = &nvl_llm_params[param];
  if (strcmp(p->name, "llm") != 0)
    return nvl_llm_param_set_json(p, a, v, err, errlen);
  if (!json_is_string(v)) {
    snprintf(err, errlen, "llm: a model: builtin:NAME or a file");
    return -1;
  }
  if (set_llm(llm_buf, llm_len, spec_dir, json_string_value(v), err, errlen) != 0)
    return -1;
  a->llm = llm_buf;
  return 0;
}

int nvl_sweep_llm_point(const nvl_model_ctx *ctx, const nvl_design *d, const nvl_llm_ask *a,
                        const char *label, const char *spec_dir, FILE *out) {
  nvl_llm m;
  nvl_diags diags = NVL_DIAGS_INIT;
  nvl_llm_sim x;
  memset(&x, 0, sizeof x);
  size_t cols = nvl_llm_csv_columns();
  int rc = 1;
  if (!a->llm) {
    nvl_sweep_error_row(out, cols, "invalid", "the workload names no llm");
  } else if (nvl_llm_load(a->llm, &m, &diags) != 0) {
    nvl_sweep_error_row(out, cols, "invalid", diags.count ? diags.items[0].message : a->llm);
  } else {
    int st = nvl_llm_simulate(d, &m, a, &(nvl_llm_sim_opts){.ctx = ctx}, &x, &diags);
    if (st != NVL_EXIT_OK) {
      const char *why = diags.count ? diags.items[diags.count - 1].message : "simulation failed";
      bool setup = x.layout_error || st == NVL_EXIT_USAGE ||
                   (diags.count && diags.items[diags.count - 1].code == NVL_DIAG_LIMIT && !x.wr);
      nvl_sweep_error_row(out, cols, setup ? "invalid" : "failed", why);
    } else {
      size_t dl = strlen(spec_dir);
      const char *llm = strncmp(a->llm, spec_dir, dl) == 0 ? a->llm + dl : a->llm;
      nvl_llm_labels lb = {.design = label, .llm = llm, .m = &m, .lay = &x.lay};
      fputs("ok,", out);
      nvl_llm_csv_row(&lb, &x.st, &x.r, out);
      fputs(",\n", out);
      rc = 0;
    }
  }
  nvl_llm_sim_release(&x);
  nvl_diags_release(&diags);
  return rc;
}

void nvl_sweep_llm_key(nvl_llm_ask *a, char *llm_buf, size_t llm_len, const char *spec_dir,
                       const char *key, json_t *v, const char *ptr, nvl_diags *diags) {
  char err[400];
  int l = nvl_sweep_llm_param(key);
  if (l < 0)
    nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_UNKNOWN_KEY, ptr,
                 "\"%s\" is not a key of an LLM workload (%s, ranks, model)", key,
                 nvl_sweep_llm_param_names());
  else if (nvl_sweep_llm_set(a, llm_buf, llm_len, spec_dir, l, v, err, sizeof err) != 0)
    nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_SCHEMA, ptr, "%s", err);
}

void nvl_sweep_llm_check_model(const nvl_llm_ask *a, nvl_diags *diags) {
  nvl_llm m;
  nvl_diags md = NVL_DIAGS_INIT;
  if (a->llm && nvl_llm_load(a->llm, &m, &md) != 0)
    nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_REFERENCE, "/workload/llm", "%s: %s%s%s", a->llm,
                 md.count ? md.items[0].pointer : "",
                 md.count && md.items[0].pointer[0] ? ": " : "",
                 md.count ? md.items[0].message : "cannot be read");
  nvl_diags_release(&md);
}
