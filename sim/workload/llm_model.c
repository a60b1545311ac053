/*
 * llm_model: model descriptions (llm.h), their loader and the names of modes and dimensions.
 * Keys are checked strictly: an unknown key is an error naming it, a count must be a positive
 * integer within bounds, and the shapes must agree (kv_heads divides heads, top_k <= experts).
 */
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/builtin.h"
#include "base/file.h"
#include "base/json.h"
#include "workload/llm.h"
#include "workload/llm_hf.h"

#define LLM_FILE_MAX (1u << 20)

typedef struct {
  nvl_diags *diags;
  size_t errors;
  bool layers_ok; /* checks between sizes are made only on sizes that are valid themselves */
} ctx;

__attribute__((format(printf, 3, 4))) static void bad(ctx *c, const char *ptr, const char *fmt,
                                                      ...) {
  va_list ap;
  va_start(ap, fmt);
  nvl_diag_addv(c->diags, NVL_SEV_ERROR, NVL_DIAG_SCHEMA, ptr, fmt, ap);
  va_end(ap);
  c->errors++;
}

static void check_keys(ctx *c, json_t *o, const char *ptr, const char *const *allowed) {
  const char *k;
  json_t *v;
  json_object_foreach(o, k, v) {
    bool ok = false;
    for (const char *const *a = allowed; *a && !ok; a++)
      ok = strcmp(*a, k) == 0;
    if (!ok) {
      char p[NVL_DIAG_PTR_MAX];
      nvl_ptr_join(p, sizeof p, ptr, k);
      nvl_diag_add(c->diags, NVL_SEV_ERROR, NVL_DIAG_UNKNOWN_KEY, p,
                   "unknown key \"%.60s\" in a model description", k);
      c->errors++;
    }
  }
}

/* A required (or optional, with a default) integer in [lo, hi]. */
static long get_int(ctx *c, json_t *o, const char *ptr, const char *key, bool required, long lo,
                    long hi, long dflt) {
  char p[NVL_DIAG_PTR_MAX];
  nvl_ptr_join(p, sizeof p, ptr, key);
  json_t *v = json_object_get(o, key);
  if (!v) {
    if (required)
      bad(c, p, "missing required key \"%s\"", key);
    return dflt;
  }
  if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi) {
    bad(c, p, "%s must be an integer from %ld to %ld", key, lo, hi);
    return dflt;
  }
  return (long)json_integer_value(v);
}

/* A required (or optional, with a default) integer in [lo, hi]; *ok (if given) says whether it
 * was valid (an absent optional one is). */
static long get_int_ok(ctx *c, json_t *o, const char *ptr, const char *key, bool required, long lo,
                       long hi, long dflt, bool *ok) {
  size_t before = c->errors;
  long v = get_int(c, o, ptr, key, required, lo, hi, dflt);
  *ok = c->errors == before;
  return v;
}

static void get_str(ctx *c, json_t *o, const char *key, char *out, size_t len) {
  json_t *v = json_object_get(o, key);
  char p[NVL_DIAG_PTR_MAX];
  nvl_ptr_join(p, sizeof p, "", key);
  if (v && (!json_is_string(v) || json_string_length(v) >= len))
    bad(c, p, "%s must be a string of at most %zu bytes", key, len - 1);
  else if (v)
    snprintf(out, len, "%s", json_string_value(v));
}

static void parse_mla(ctx *c, json_t *o, nvl_llm *m) {
  static const char *const keys[] = {"q_lora_rank",      "kv_lora_rank", "qk_nope_head_dim",
                                     "qk_rope_head_dim", "v_head_dim",   NULL};
  check_keys(c, o, "/mla", keys);
  m->mla = true;
  m->q_lora = get_int(c, o, "/mla", "q_lora_rank", true, 1, 1 << 20, 1);
  m->kv_lora = get_int(c, o, "/mla", "kv_lora_rank", true, 1, 1 << 20, 1);
  m->qk_nope = get_int(c, o, "/mla", "qk_nope_head_dim", true, 1, 1 << 16, 1);
  m->qk_rope = get_int(c, o, "/mla", "qk_rope_head_dim", true, 0, 1 << 16, 0);
  m->v_head = get_int(c, o, "/mla", "v_head_dim", true, 1, 1 << 16, 1);
}

static void parse_moe(ctx *c, json_t *o, nvl_llm *m) {
  static const char *const keys[] = {"experts",    "shared_experts",     "top_k",
                                     "expert_ffn", "first_dense_layers", NULL};
  check_keys(c, o, "/moe", keys);
  m->moe = true;
  bool experts_ok, top_k_ok, dense_ok;
  m->experts = get_int_ok(c, o, "/moe", "experts", true, 1, 1 << 16, 1, &experts_ok);
  m->shared = get_int(c, o, "/moe", "shared_experts", false, 0, 64, 0);
  m->top_k = get_int_ok(c, o, "/moe", "top_k", true, 1, 256, 1, &top_k_ok);
  m->expert_ffn = get_int(c, o, "/moe", "expert_ffn", true, 1, 1 << 20, 1);
  m->first_dense = get_int_ok(c, o, "/moe", "first_dense_layers", false, 0, 1 << 16, 0, &dense_ok);
  if (experts_ok && top_k_ok && m->top_k > m->experts)
    bad(c, "/moe/top_k", "top_k must not exceed the %ld experts", m->experts);
  if (c->layers_ok && dense_ok && m->first_dense > m->layers)
    bad(c, "/moe/first_dense_layers", "first_dense_layers exceeds the %ld layers", m->layers);
}

/* "window": {"tokens": N, "every": E (default 1), "first": F (default 0)}: sliding-window
 * attention on layers F, F + E, ... */
static void parse_window(ctx *c, json_t *o, nvl_llm *m) {
  static const char *const keys[] = {"tokens", "every", "first", NULL};
  check_keys(c, o, "/window", keys);
  m->window = get_int(c, o, "/window", "tokens", true, 1, 1L << 30, 0);
  m->window_every = get_int(c, o, "/window", "every", false, 1, NVL_LLM_MAX_LAYERS, 1);
  m->window_first = get_int(c, o, "/window", "first", false, 0, NVL_LLM_MAX_LAYERS, 0);
}

static int parse(json_t *root, nvl_llm *m, nvl_diags *diags) {
  ctx c = {.diags = diags};
  memset(m, 0, sizeof *m);
  if (!json_is_object(root)) {
    bad(&c, "", "a model description is a JSON object, not %s", nvl_json_type_name(root));
    return -1;
  }
  static const char *const keys[] = {
      "name",    "source",   "note",     "layers",         "hidden",          "ffn",
      "heads",   "kv_heads", "head_dim", "vocab",          "precision",       "mla",
      "moe",     "mlp",      "window",   "parallel_block", "tied_embeddings", "mtp_layers",
      "context", NULL};
  check_keys(&c, root, "", keys);
  snprintf(m->name, sizeof m->name, "model");
  get_str(&c, root, "name", m->name, sizeof m->name);
  get_str(&c, root, "source", m->source, sizeof m->source);
  bool hidden_ok, heads_ok, kv_ok;
  m->layers = get_int_ok(&c, root, "", "layers", true, 1, NVL_LLM_MAX_LAYERS, 1, &c.layers_ok);
  m->hidden = get_int_ok(&c, root, "", "hidden", true, 1, 1 << 20, 1, &hidden_ok);
  m->ffn = get_int(&c, root, "", "ffn", true, 1, 1 << 22, 1);
  m->heads = get_int_ok(&c, root, "", "heads", true, 1, 1 << 14, 1, &heads_ok);
  m->kv_heads = get_int_ok(&c, root, "", "kv_heads", false, 1, 1 << 14, m->heads, &kv_ok);
  m->head_dim = get_int(&c, root, "", "head_dim", false, 1, 1 << 16, m->hidden / m->heads);
  /* a derived size of 0 is no model */
  if (hidden_ok && heads_ok && m->head_dim < 1 && !json_object_get(root, "mla"))
    bad(&c, "/heads", "%ld heads over hidden %ld leave a head dimension of 0: give head_dim",
        m->heads, m->hidden);
  m->vocab = get_int(&c, root, "", "vocab", true, 1, 1 << 24, 1);
  m->context = get_int(&c, root, "", "context", false, 1, 1 << 30, 0);
  if (heads_ok && kv_ok && (m->kv_heads > m->heads || m->heads % m->kv_heads != 0))
    bad(&c, "/kv_heads", "kv_heads must divide the %ld heads", m->heads);
  char mlp[16] = "swiglu";
  get_str(&c, root, "mlp", mlp, sizeof mlp);
  m->mlp_mats = strcmp(mlp, "swiglu") == 0 ? 3 : strcmp(mlp, "gelu") == 0 ? 2 : 0;
  if (!m->mlp_mats)
    bad(&c, "/mlp", "mlp \"%.10s\" is not swiglu or gelu", mlp);
  char prec[16] = "bf16";
  get_str(&c, root, "precision", prec, sizeof prec);
  if (nvl_precision_parse(prec, &m->precision) != 0)
    bad(&c, "/precision", "precision \"%.10s\" is not bf16, fp8 or fp4", prec);
  json_t *mla = json_object_get(root, "mla"), *moe = json_object_get(root, "moe");
  if (mla && !json_is_object(mla))
    bad(&c, "/mla", "mla must be an object");
  else if (mla)
    parse_mla(&c, mla, m);
  if (moe && !json_is_object(moe))
    bad(&c, "/moe", "moe must be an object");
  else if (moe)
    parse_moe(&c, moe, m);
  const char *flags[] = {"parallel_block", "tied_embeddings"};
  bool *fields[] = {&m->parallel_block, &m->tied_embeddings};
  for (int i = 0; i < 2; i++) {
    json_t *f = json_object_get(root, flags[i]);
    char p[NVL_DIAG_PTR_MAX];
    nvl_ptr_join(p, sizeof p, "", flags[i]);
    if (f && !json_is_boolean(f))
      bad(&c, p, "%s must be true or false", flags[i]);
    *fields[i] = json_is_true(f);
  }
  m->mtp = get_int(&c, root, "", "mtp_layers", false, 0, 16, 0);
  json_t *win = json_object_get(root, "window");
  if (win && !json_is_object(win))
    bad(&c, "/window", "window must be an object");
  else if (win)
    parse_window(&c, win, m);
  return c.errors ? -1 : 0;
}

void nvl_llm_builtin_names(char *buf, size_t len) {
  buf[0] = '\0';
  for (const nvl_builtin *b = nvl_builtin_llms; b->name; b++)
    snprintf(buf + strlen(buf), len - strlen(buf), "%s%s", b == nvl_builtin_llms ? "" : " ",
             b->name);
}

int nvl_llm_load(const char *what, nvl_llm *m, nvl_diags *diags) {
  char *text = NULL;
  size_t len = 0;
  if (strncmp(what, "builtin:", 8) == 0) {
    for (const nvl_builtin *b = nvl_builtin_llms; b->name && !text; b++)
      if (strcmp(b->name, what + 8) == 0) {
        text = malloc(b->len + 1);
        if (!text)
          abort();
        memcpy(text, b->data, b->len + 1);
        len = b->len;
      }
    if (!text) {
      char names[512];
      nvl_llm_builtin_names(names, sizeof names);
      nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_IO, NULL,
                   "unknown built-in model \"%.60s\"; built-in: %s", what + 8, names);
      return -1;
    }
  } else if (nvl_file_read(strncmp(what, "hf:", 3) == 0 ? what + 3 : what, "model description",
                           LLM_FILE_MAX, &text, &len, diags) != 0) {
    return -1;
  }
  json_t *root = nvl_json_load_user(text, len, diags);
  free(text);
  if (!root)
    return -1;
  int rc =
      strncmp(what, "hf:", 3) == 0 ? nvl_llm_from_hf(root, what, m, diags) : parse(root, m, diags);
  json_decref(root);
  return rc;
}

const char *nvl_llm_mode_name(nvl_llm_mode m) {
  return m == NVL_LLM_TRAIN ? "train" : m == NVL_LLM_PREFILL ? "prefill" : "decode";
}

int nvl_llm_mode_parse(const char *s, nvl_llm_mode *out) {
  for (int m = 0; m < 3; m++)
    if (strcmp(s, nvl_llm_mode_name((nvl_llm_mode)m)) == 0) {
      *out = (nvl_llm_mode)m;
      return 0;
    }
  return -1;
}

const char *nvl_llm_recompute_name(nvl_llm_recompute r) {
  return r == NVL_RECOMPUTE_FULL ? "full" : r == NVL_RECOMPUTE_SELECTIVE ? "selective" : "none";
}

int nvl_llm_recompute_parse(const char *s, nvl_llm_recompute *out) {
  for (int r = 0; r < 3; r++)
    if (strcmp(s, nvl_llm_recompute_name((nvl_llm_recompute)r)) == 0) {
      *out = (nvl_llm_recompute)r;
      return 0;
    }
  return -1;
}

const char *nvl_llm_dim_name(nvl_llm_dim d) {
  static const char *const names[] = {"compute", "tp", "ep", "pp", "dp", "cp"};
  return d < NVL_LD__COUNT ? names[d] : "?";
}
