/*
 * llm_params: see llm_params.h. The parsers are the only place a parameter's values are checked.
 */
#include "cli/llm_params.h"

#include <stdlib.h>
#include <string.h>

#include "base/csv.h"
#include "base/units.h"
#include "cli/cli.h"

/* ---- parsers ---- */

static const char *p_text(const char *v, void *f) {
  *(const char **)f = v;
  return NULL;
}

static const char *p_order(const char *v, void *f) {
  char *o = f; /* nvl_llm_ask's order[32]; the meshes check the names */
  if (strlen(v) >= sizeof((nvl_llm_ask *)0)->order)
    return "an order of tp, cp, ep, dp and pp";
  snprintf(o, sizeof((nvl_llm_ask *)0)->order, "%s", v);
  return NULL;
}

static const char *whole(const char *v, size_t lo, size_t hi, size_t *out) {
  uint64_t n;
  if (nvl_parse_uint(v, &n) != 0 || n < lo || n > hi)
    return "bad";
  *out = (size_t)n;
  return NULL;
}

static const char *p_size(const char *v, void *f) {
  return whole(v, 1, 1000000000, f) ? "a whole number from 1 to 1000000000" : NULL;
}

static const char *p_count(const char *v, void *f) {
  return whole(v, 0, 65536, f) ? "a whole number from 0 to 65536" : NULL;
}

static const char *p_zero(const char *v, void *f) {
  if (strcmp(v, "1") != 0 && strcmp(v, "3") != 0)
    return "1 (Megatron's distributed optimizer) or 3 (FSDP's full shard)";
  *(size_t *)f = (size_t)(v[0] - '0');
  return NULL;
}

static const char *p_mode(const char *v, void *f) {
  return nvl_llm_mode_parse(v, f) ? "train, prefill or decode" : NULL;
}

static const char *p_precision(const char *v, void *f) {
  nvl_precision p;
  if (nvl_precision_parse(v, &p) != 0)
    return "bf16, fp8 or fp4";
  *(int *)f = (int)p;
  return NULL;
}

static const char *p_attn_precision(const char *v, void *f) {
  nvl_precision p;
  if (nvl_precision_parse(v, &p) != 0 || p == NVL_PREC_FP4)
    return "bf16 or fp8";
  *(int *)f = (int)p;
  return NULL;
}

static const char *p_runtime(const char *v, void *f) {
  nvl_runtime r;
  if (nvl_runtime_parse(v, &r) != 0)
    return "eager, fused or graph";
  *(int *)f = (int)r;
  return NULL;
}

/* Choices a, b stored as 0, 1 into an int. */
static const char *pick2(const char *v, const char *a, const char *b, int *f, const char *want) {
  if (strcmp(v, a) != 0 && strcmp(v, b) != 0)
    return want;
  *f = strcmp(v, b) == 0;
  return NULL;
}

static const char *p_attn_kernel(const char *v, void *f) {
  return pick2(v, "default", "flash2", f, "default or flash2");
}

static const char *p_ep_kernel(const char *v, void *f) {
  return pick2(v, "normal", "low-latency", f, "normal or low-latency");
}

static const char *p_cp_comm(const char *v, void *f) {
  int a2a;
  if (pick2(v, "p2p", "a2a", &a2a, "x"))
    return "p2p or a2a";
  *(bool *)f = a2a;
  return NULL;
}

static const char *p_flag(const char *v, void *f) {
  int on;
  if (pick2(v, "false", "true", &on, "x"))
    return "true or false";
  *(bool *)f = on;
  return NULL;
}

static const char *p_recompute(const char *v, void *f) {
  nvl_llm_recompute r;
  if (nvl_llm_recompute_parse(v, &r) != 0)
    return "none, selective or full";
  *(int *)f = (int)r;
  return NULL;
}

/* A plain decimal in [lo, hi] (or exactly 0 with zero_ok) into *f; false when it is not. */
static bool decimal_in(const char *v, double lo, double hi, bool zero_ok, void *f) {
  double x;
  if (nvl_parse_decimal(v, &x) != 0 || !((zero_ok && x == 0) || (x >= lo && x <= hi)))
    return false;
  *(double *)f = x;
  return true;
}

static const char *p_skew(const char *v, void *f) {
  return decimal_in(v, 0, 10, false, f) ? NULL : "a Zipf exponent from 0 to 10";
}

static const char *p_mtp(const char *v, void *f) {
  size_t n;
  if (whole(v, 0, 16, &n))
    return "a whole number from 0 to 16";
  *(long *)f = (long)n;
  return NULL;
}

static const char *p_accept(const char *v, void *f) {
  return decimal_in(v, 0, 1, false, f) ? NULL : "a chance from 0 to 1";
}

static const char *p_capacity(const char *v, void *f) {
  return decimal_in(v, 0.01, 1000, true, f)
             ? NULL
             : "a capacity factor from 0.01 to 1000, or 0 (no dropping)";
}

/* ---- the command line ---- */

#define LP_CLI(p, extra)                                                                           \
  int nvl_lp_cli_##p(void *field, const char *v, const char *opt, const char *cmd) {               \
    const char *want = p_##p(v ? v : "true", field);                                               \
    return want ? nvl_cli_usage_error(cmd, "%s: \"%.40s\" is not %s%s", opt, v, want, extra) : 0;  \
  }
LP_CLI(text, "")
LP_CLI(order, "")
LP_CLI(mode, "")
LP_CLI(precision, "")
LP_CLI(attn_precision, "")
LP_CLI(runtime, "")
LP_CLI(attn_kernel, "")
LP_CLI(ep_kernel, "")
LP_CLI(size, " (leave the option out for its default)")
LP_CLI(count, "")
LP_CLI(cp_comm, "")
LP_CLI(flag, "")
LP_CLI(zero, "")
LP_CLI(recompute, "")
LP_CLI(skew, "")
LP_CLI(mtp, "")
LP_CLI(accept, "")
LP_CLI(capacity, "")

/* ---- the CSV's view of the resolved layout ---- */

#define SHOW_LONG(f, expr)                                                                         \
  static void show_##f(const nvl_llm_layout *l, char *b, size_t n) {                               \
    snprintf(b, n, "%ld", (long)(expr));                                                           \
  }
#define SHOW_TEXT(f, expr)                                                                         \
  static void show_##f(const nvl_llm_layout *l, char *b, size_t n) { snprintf(b, n, "%s", expr); }
SHOW_TEXT(mode, nvl_llm_mode_name(l->mode))
SHOW_TEXT(precision, nvl_precision_name(l->precision))
SHOW_TEXT(attn_precision, nvl_precision_name(l->attn_precision))
SHOW_TEXT(kv_precision, nvl_precision_name(l->kv_precision))
SHOW_TEXT(runtime, nvl_runtime_name(l->runtime))
SHOW_TEXT(attn_kernel, l->flash2 ? "flash2" : "default")
SHOW_TEXT(ep_kernel, l->ep_low_latency ? "low-latency" : "normal")
SHOW_TEXT(cp_comm, l->cp_a2a ? "a2a" : "p2p")
SHOW_TEXT(order, l->order[0] ? l->order : NVL_LLM_ORDER)
SHOW_TEXT(sp, l->sp ? "true" : "false")
SHOW_TEXT(shared_overlap, l->shared_overlap ? "true" : "false")
SHOW_TEXT(tbo, l->tbo ? "true" : "false")
SHOW_TEXT(recompute, nvl_llm_recompute_name(l->recompute))
SHOW_LONG(batch, l->batch)
SHOW_LONG(seq, l->seq)
SHOW_LONG(microbatches, l->microbatches)
SHOW_LONG(tp, l->tp)
SHOW_LONG(ep, l->ep)
SHOW_LONG(etp, l->etp > 1 ? l->etp : 1)
SHOW_LONG(pp, l->pp)
SHOW_LONG(vp, l->vp > 1 ? l->vp : 1)
SHOW_LONG(first_layers, l->first_layers)
SHOW_LONG(last_layers, l->last_layers)
SHOW_LONG(dp, l->dp)
SHOW_LONG(cp, l->cp > 1 ? l->cp : 1)
SHOW_LONG(zero, l->mode == NVL_LLM_TRAIN ? (l->zero == 3 ? 3 : 1) : 0)
SHOW_LONG(redundant, l->redundant_experts)
SHOW_LONG(node_groups, l->node_groups)
SHOW_LONG(mtp, l->mtp)
static void show_capacity(const nvl_llm_layout *l, char *b, size_t n) {
  snprintf(b, n, "%g", l->capacity);
}
static void show_mtp_accept(const nvl_llm_layout *l, char *b, size_t n) {
  snprintf(b, n, "%g", l->mtp ? l->mtp_accept : 0);
}
static void show_skew(const nvl_llm_layout *l, char *b, size_t n) { snprintf(b, n, "%g", l->skew); }

/* ---- the table ---- */

#define LP_ROW(base, field, name, arg, json, parser, show, help)                                   \
  {name, arg, NVL_LP_##json, offsetof(nvl_llm_ask, field), p_##parser, show, help},
const nvl_llm_param nvl_llm_params[] = {NVL_LLM_STEP_PARAMS(LP_ROW, 0)
                                            NVL_LLM_LAYOUT_PARAMS(LP_ROW, 0)};
const size_t nvl_llm_n_params = sizeof nvl_llm_params / sizeof nvl_llm_params[0];
_Static_assert(sizeof nvl_llm_params / sizeof nvl_llm_params[0] <= NVL_LLM_MAX_PARAMS,
               "NVL_LLM_MAX_PARAMS holds every parameter");

void nvl_llm_param_key(const nvl_llm_param *p, char *buf, size_t len) {
  snprintf(buf, len, "%s", p->name);
  for (char *c = buf; *c; c++)
    *c = *c == '-' ? '_' : *c;
}

const nvl_llm_param *nvl_llm_param_find(const char *key) {
  char k[64];
  for (size_t i = 0; i < nvl_llm_n_params; i++) {
    nvl_llm_param_key(&nvl_llm_params[i], k, sizeof k);
    if (strcmp(k, key) == 0 || strcmp(nvl_llm_params[i].name, key) == 0)
      return &nvl_llm_params[i];
  }
  return NULL;
}

const char *nvl_llm_param_keys(void) {
  static char keys[1024];
  if (!keys[0])
    for (size_t i = 0, at = 0; i < nvl_llm_n_params; i++) {
      char k[64];
      nvl_llm_param_key(&nvl_llm_params[i], k, sizeof k);
      at += (size_t)snprintf(keys + at, sizeof keys - at, "%s%s", i ? ", " : "", k);
    }
  return keys;
}

int nvl_llm_param_set_text(const nvl_llm_param *p, nvl_llm_ask *a, const char *v, char *err,
                           size_t len) {
  if (!*v)
    return 0;
  const char *want = p->parse(v, (char *)a + p->at);
  if (!want)
    return 0;
  char k[64];
  nvl_llm_param_key(p, k, sizeof k);
  snprintf(err, len, "bad %s: \"%.40s\" is not %s", k, v, want);
  return -1;
}

int nvl_llm_param_set_json(const nvl_llm_param *p, nvl_llm_ask *a, json_t *v, char *err,
                           size_t len) {
  char text[64];
  const char *s = NULL;
  switch (p->json) {
  case NVL_LP_TEXT: s = json_is_string(v) ? json_string_value(v) : NULL; break;
  case NVL_LP_BOOL: s = json_is_boolean(v) ? (json_is_true(v) ? "true" : "false") : NULL; break;
  case NVL_LP_INT:
    if (json_is_integer(v))
      snprintf(text, sizeof text, "%lld", (long long)json_integer_value(v)), s = text;
    break;
  case NVL_LP_NUMBER:
    if (json_is_number(v))
      snprintf(text, sizeof text, "%.17g", json_number_value(v)), s = text;
    break;
  }
  /* a value of the wrong type gets the parser's own words for what it should be */
  const char *want = p->parse(s ? s : "", (char *)a + p->at);
  if (s && !want)
    return 0;
  if (!want)
    want = p->json == NVL_LP_TEXT ? "a string" : "of the right type";
  char k[64], *t = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
  nvl_llm_param_key(p, k, sizeof k);
  snprintf(err, len, "%s: %.60s is not %s", k, t ? t : "?", want);
  free(t);
  return -1;
}

/* ---- the CSV ---- */

void nvl_llm_csv_header(FILE *out) {
  fputs("design,llm", out);
  for (size_t i = 0; i < nvl_llm_n_params; i++)
    if (nvl_llm_params[i].show) {
      char k[64];
      nvl_llm_param_key(&nvl_llm_params[i], k, sizeof k);
      fprintf(out, ",%s", k);
    }
  fputc(',', out);
  nvl_llm_csv_figures_header(out);
}

size_t nvl_llm_csv_columns(void) {
  size_t n = 2 + nvl_llm_csv_figures_columns();
  for (size_t i = 0; i < nvl_llm_n_params; i++)
    n += nvl_llm_params[i].show != NULL;
  return n;
}

void nvl_llm_csv_row(const nvl_llm_labels *lb, const nvl_llm_step *st, const nvl_llm_result *r,
                     FILE *out) {
  nvl_csv_field(out, lb->design);
  fputc(',', out);
  nvl_csv_field(out, lb->llm);
  for (size_t i = 0; i < nvl_llm_n_params; i++)
    if (nvl_llm_params[i].show) {
      char v[64];
      nvl_llm_params[i].show(lb->lay, v, sizeof v);
      fputc(',', out);
      nvl_csv_field(out, v);
    }
  fputc(',', out);
  nvl_llm_csv_figures_row(lb, st, r, out);
}

int nvl_llm_csv_write(const nvl_llm_labels *lb, const nvl_llm_step *st, const nvl_llm_result *r,
                      FILE *out) {
  nvl_llm_csv_header(out);
  fputc('\n', out);
  nvl_llm_csv_row(lb, st, r, out);
  fputc('\n', out);
  return ferror(out) ? -1 : 0;
}
