/*
 * sweep_llm: see sweep_llm.h.
 */
#include "cli/sweep_llm.h"

#include <string.h>

#include "base/exit.h"
#include "base/file.h"
#include "base/names.h"
#include "cli/sweep.h"
#include "output/llm.h"

typedef enum {
  L_LLM,
  L_MODE,
  L_PRECISION,
  L_TP,
  L_EP,
  L_PP,
  L_DP,
  L_MICROBATCHES,
  L_BATCH,
  L_SEQ,
  L_SP,
  L_REDUNDANT,
  L_SKEW,
  L_SEED,
  L_ZERO,
  L_EP_KERNEL,
  L_RECOMPUTE,
  L_ETP,
  L_CP,
  L_VP,
  L__COUNT
} llm_param;

static const char *const names[L__COUNT] = {"llm",       "mode", "precision", "tp",
                                            "ep",        "pp",   "dp",        "microbatches",
                                            "batch",     "seq",  "sp",        "redundant_experts",
                                            "skew",      "seed", "zero",      "ep_kernel",
                                            "recompute", "etp",  "cp",        "vp"};

int nvl_sweep_llm_param(const char *name) { return nvl_names_find(names, L__COUNT, name, false); }

const char *nvl_sweep_llm_param_names(void) {
  return "llm, mode, precision, tp, ep, pp, dp, microbatches, batch, seq, sp, redundant_experts, "
         "skew, seed, zero, ep_kernel, recompute, etp, cp, vp";
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

/* A size: a positive integer (tp and the like), or 0 too when zero_ok. */
static int set_count(size_t *field, json_t *v, bool zero_ok) {
  if (!json_is_integer(v) || json_integer_value(v) < (zero_ok ? 0 : 1) ||
      json_integer_value(v) > 1000000000)
    return -1;
  *field = (size_t)json_integer_value(v);
  return 0;
}

int nvl_sweep_llm_set(nvl_llm_ask *a, char *llm_buf, size_t llm_len, const char *spec_dir,
                      int param, json_t *v, char *err, size_t errlen) {
  const char *sv = json_is_string(v) ? json_string_value(v) : NULL;
  size_t *counts[L__COUNT] = {[L_TP] = &a->tp,
                              [L_EP] = &a->ep,
                              [L_PP] = &a->pp,
                              [L_DP] = &a->dp,
                              [L_MICROBATCHES] = &a->microbatches,
                              [L_BATCH] = &a->batch,
                              [L_SEQ] = &a->seq,
                              [L_REDUNDANT] = &a->redundant,
                              [L_ETP] = &a->etp,
                              [L_CP] = &a->cp,
                              [L_VP] = &a->vp};
  const char *want = NULL;
  switch ((llm_param)param) {
  case L_LLM:
    if (!sv)
      want = "a model: builtin:NAME or a file";
    else if (set_llm(llm_buf, llm_len, spec_dir, sv, err, errlen) != 0)
      return -1;
    a->llm = llm_buf;
    break;
  case L_MODE:
    if (!sv || nvl_llm_mode_parse(sv, &a->mode) != 0)
      want = "train, prefill or decode";
    break;
  case L_PRECISION: {
    nvl_precision p;
    if (!sv || nvl_precision_parse(sv, &p) != 0)
      want = "bf16, fp8 or fp4";
    else
      a->precision = (int)p;
    break;
  }
  case L_SP:
    if (!json_is_boolean(v))
      want = "true or false";
    else
      a->sp = json_is_true(v);
    break;
  case L_SKEW:
    if (!json_is_number(v) || !(json_number_value(v) >= 0 && json_number_value(v) <= 10))
      want = "a Zipf exponent from 0 to 10";
    else
      a->skew = json_number_value(v);
    break;
  case L_SEED:
    if (!json_is_integer(v) || json_integer_value(v) < 0)
      want = "a non-negative integer";
    else
      a->seed = (unsigned long)json_integer_value(v);
    break;
  case L_EP_KERNEL:
    if (!sv || nvl_ep_kernel_parse(sv) < 0)
      want = "normal or low-latency";
    else
      a->ep_kernel = nvl_ep_kernel_parse(sv);
    break;
  case L_RECOMPUTE: {
    nvl_llm_recompute r;
    if (!sv || nvl_llm_recompute_parse(sv, &r) != 0)
      want = "none, selective or full";
    else
      a->recompute = (int)r;
    break;
  }
  case L_ZERO:
    if (!json_is_integer(v) || (json_integer_value(v) != 1 && json_integer_value(v) != 3))
      want = "1 or 3";
    else
      a->zero = (size_t)json_integer_value(v);
    break;
  case L_REDUNDANT:
    if (set_count(counts[param], v, true) != 0 || a->redundant > 65536)
      want = "an integer from 0 to 65536";
    break;
  default:
    if (set_count(counts[param], v, false) != 0)
      want = "an integer from 1 to 1000000000";
  }
  if (want) {
    char *t = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    snprintf(err, errlen, "%s: %.60s is not %s", names[param], t ? t : "?", want);
    free(t);
    return -1;
  }
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
