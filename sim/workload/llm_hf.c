/*
 * llm_hf: a model from its Hugging Face config.json (`--llm hf:PATH`), mapped by model_type:
 * llama, mistral, qwen2, qwen3 (dense GQA decoders), mixtral, qwen2_moe, qwen3_moe, gpt_oss
 * (MoE), deepseek_v3 (MLA and MoE). The keys that size the computation are read strictly (a
 * missing or malformed one is an error naming it); keys that change nothing nvlsim prices (token
 * ids, norms' epsilons, RoPE's base and scaling, dropout, biases, GPT-OSS's attention sinks: one
 * logit per head) are read past. A model_type outside the list is an error naming the keys
 * nvlsim could not map, so that nothing is silently priced as something else.
 *
 * Precision: quantization_config.quant_method fp8 -> fp8, mxfp4 -> fp4 (GPT-OSS's experts; its
 * attention stays BF16 in the release, priced here at the one GEMM precision), else bf16.
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "workload/llm_hf.h"

typedef struct {
  json_t *root;
  const char *what; /* "hf:PATH", for messages */
  nvl_diags *diags;
  int errors;
} hf;

static long num(hf *h, const char *key, bool required, long dflt) {
  json_t *v = json_object_get(h->root, key);
  if (!v || json_is_null(v)) {
    if (required) {
      nvl_diag_add(h->diags, NVL_SEV_ERROR, NVL_DIAG_SCHEMA, NULL,
                   "%s: missing \"%s\", which sizes the model", h->what, key);
      h->errors++;
    }
    return dflt;
  }
  if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > (1L << 30)) {
    nvl_diag_add(h->diags, NVL_SEV_ERROR, NVL_DIAG_SCHEMA, NULL,
                 "%s: \"%s\" must be an integer from 0 to 2^30", h->what, key);
    h->errors++;
    return dflt;
  }
  return (long)json_integer_value(v);
}

static void unmapped(hf *h, const char *why) {
  nvl_diag_add(h->diags, NVL_SEV_ERROR, NVL_DIAG_SCHEMA, NULL, "%s: %s", h->what, why);
  h->errors++;
}

/* Keys that size what nvlsim prices, and keys that change nothing it prices. */
static const char *const known[] = {"model_type",
                                    "architectures",
                                    "hidden_size",
                                    "intermediate_size",
                                    "num_hidden_layers",
                                    "num_attention_heads",
                                    "num_key_value_heads",
                                    "head_dim",
                                    "vocab_size",
                                    "torch_dtype",
                                    "quantization_config",
                                    "num_local_experts",
                                    "num_experts_per_tok",
                                    "experts_per_token",
                                    "num_experts",
                                    "moe_intermediate_size",
                                    "shared_expert_intermediate_size",
                                    "decoder_sparse_step",
                                    "mlp_only_layers",
                                    "n_routed_experts",
                                    "n_shared_experts",
                                    "first_k_dense_replace",
                                    "moe_layer_freq",
                                    "q_lora_rank",
                                    "kv_lora_rank",
                                    "qk_nope_head_dim",
                                    "qk_rope_head_dim",
                                    "v_head_dim",
                                    "sliding_window",
                                    "use_sliding_window",
                                    "max_window_layers",
                                    "layer_types",
                                    "num_nextn_predict_layers",
                                    "bos_token_id",
                                    "eos_token_id",
                                    "pad_token_id",
                                    "hidden_act",
                                    "initializer_range",
                                    "max_position_embeddings",
                                    "rms_norm_eps",
                                    "rope_theta",
                                    "rope_scaling",
                                    "tie_word_embeddings",
                                    "transformers_version",
                                    "use_cache",
                                    "attention_dropout",
                                    "attention_bias",
                                    "mlp_bias",
                                    "pretraining_tp",
                                    "output_router_logits",
                                    "router_aux_loss_coef",
                                    "norm_topk_prob",
                                    "n_group",
                                    "topk_group",
                                    "topk_method",
                                    "routed_scaling_factor",
                                    "scoring_func",
                                    "aux_loss_alpha",
                                    "seq_aux",
                                    "ep_size",
                                    "initial_context_length",
                                    "swiglu_limit",
                                    "router_jitter_noise",
                                    "rope_interleave",
                                    "auto_map",
                                    "_name_or_path",
                                    "qk_layernorm",
                                    "model_name",
                                    "dtype",
                                    NULL};

static bool is_known(const char *k) {
  for (const char *const *p = known; *p; p++)
    if (strcmp(*p, k) == 0)
      return true;
  return false;
}

static void dense(hf *h, nvl_llm *m) {
  m->layers = num(h, "num_hidden_layers", true, 1);
  m->hidden = num(h, "hidden_size", true, 1);
  m->ffn = num(h, "intermediate_size", true, 1);
  m->heads = num(h, "num_attention_heads", true, 1);
  m->kv_heads = num(h, "num_key_value_heads", false, m->heads);
  m->head_dim = num(h, "head_dim", false, m->heads ? m->hidden / m->heads : 1);
  m->vocab = num(h, "vocab_size", true, 1);
  m->context = num(h, "max_position_embeddings", false, 0);
  m->mlp_mats = 3;
}

/* Sliding windows: "sliding_window" on every layer (Mistral), or on the layers "layer_types"
 * marks sliding_attention, which must repeat with a period (GPT-OSS: every other). */
static void windows(hf *h, nvl_llm *m, bool every_layer) {
  long w = num(h, "sliding_window", false, 0);
  json_t *types = json_object_get(h->root, "layer_types");
  if (!w)
    return;
  if (every_layer) {
    m->window = w, m->window_every = 1, m->window_first = 0;
    return;
  }
  size_t n = json_array_size(types);
  if (n == 0) {
    unmapped(h, "sliding_window without layer_types (which layers slide is not said)");
    return;
  }
  long first = -1, every = 0;
  for (size_t i = 0; i < n; i++) {
    const char *t = json_string_value(json_array_get(types, i));
    bool sliding = t && strcmp(t, "sliding_attention") == 0;
    if (sliding && first < 0)
      first = (long)i;
    else if (sliding && !every)
      every = (long)i - first;
  }
  for (size_t i = 0; first >= 0 && i < n; i++) { /* the pattern must be first + k every */
    const char *t = json_string_value(json_array_get(types, i));
    bool sliding = t && strcmp(t, "sliding_attention") == 0;
    bool want = (long)i >= first && ((long)i - first) % (every ? every : 1) == 0;
    if (sliding != want || (!sliding && (!t || strcmp(t, "full_attention") != 0))) {
      unmapped(h, "layer_types is not a periodic pattern of sliding_attention and "
                  "full_attention layers (nvlsim maps windows on every E-th layer from F)");
      return;
    }
  }
  if (first >= 0)
    m->window = w, m->window_every = every ? every : 1, m->window_first = first;
}

static void moe(hf *h, nvl_llm *m, const char *experts, const char *top_k, const char *ffn) {
  m->moe = true;
  m->experts = num(h, experts, true, 1);
  m->top_k = num(h, top_k, !json_object_get(h->root, "experts_per_token"), 1);
  if (!json_object_get(h->root, top_k))
    m->top_k = num(h, "experts_per_token", true, 1);
  m->expert_ffn = num(h, ffn, true, 1);
  if (num(h, "decoder_sparse_step", false, 1) != 1 || num(h, "moe_layer_freq", false, 1) != 1 ||
      json_array_size(json_object_get(h->root, "mlp_only_layers")) > 0)
    unmapped(h, "MoE layers interleaved with dense ones (decoder_sparse_step, moe_layer_freq or "
                "mlp_only_layers) are not mapped: nvlsim's MoE layers follow first_dense_layers");
}

/* The mapping of each model_type. */
static void map(hf *h, const char *type, nvl_llm *m) {
  dense(h, m);
  if (strcmp(type, "mistral") == 0 || strcmp(type, "mixtral") == 0)
    windows(h, m, true);
  if (strcmp(type, "gpt_oss") == 0)
    windows(h, m, false);
  if ((strcmp(type, "qwen2") == 0 || strcmp(type, "qwen3") == 0 || strcmp(type, "qwen2_moe") == 0 ||
       strcmp(type, "qwen3_moe") == 0) &&
      json_is_true(json_object_get(h->root, "use_sliding_window")))
    unmapped(h, "use_sliding_window (windows from max_window_layers on) is not mapped");
  if (strcmp(type, "mixtral") == 0 || strcmp(type, "gpt_oss") == 0)
    moe(h, m, "num_local_experts", "num_experts_per_tok", "intermediate_size");
  if (strcmp(type, "qwen2_moe") == 0 || strcmp(type, "qwen3_moe") == 0) {
    moe(h, m, "num_experts", "num_experts_per_tok", "moe_intermediate_size");
    long shared = num(h, "shared_expert_intermediate_size", false, 0);
    if (shared % (m->expert_ffn ? m->expert_ffn : 1))
      unmapped(h, "shared_expert_intermediate_size is not a whole number of experts' widths");
    m->shared = shared / (m->expert_ffn ? m->expert_ffn : 1);
  }
  if (strcmp(type, "deepseek_v3") == 0) {
    moe(h, m, "n_routed_experts", "num_experts_per_tok", "moe_intermediate_size");
    m->shared = num(h, "n_shared_experts", false, 0);
    m->first_dense = num(h, "first_k_dense_replace", false, 0);
    m->mla = true;
    m->q_lora = num(h, "q_lora_rank", true, 1);
    m->kv_lora = num(h, "kv_lora_rank", true, 1);
    m->qk_nope = num(h, "qk_nope_head_dim", true, 1);
    m->qk_rope = num(h, "qk_rope_head_dim", true, 0);
    m->v_head = num(h, "v_head_dim", true, 1);
    m->head_dim = m->v_head;
  }
}

int nvl_llm_from_hf(json_t *root, const char *what, nvl_llm *m, nvl_diags *diags) {
  static const char *const types[] = {"llama",     "mistral",   "qwen2",   "qwen3",       "mixtral",
                                      "qwen2_moe", "qwen3_moe", "gpt_oss", "deepseek_v3", NULL};
  hf h = {.root = root, .what = what, .diags = diags};
  memset(m, 0, sizeof *m);
  const char *type = json_string_value(json_object_get(root, "model_type"));
  const char *const *t = types;
  while (type && *t && strcmp(*t, type) != 0)
    t++;
  if (!json_is_object(root) || !type || !*t) {
    char keys[400] = "";
    const char *k;
    json_t *v;
    size_t at = 0;
    json_object_foreach(root, k, v) if (!is_known(k) && at < sizeof keys - 64) at +=
        (size_t)snprintf(keys + at, sizeof keys - at, "%s%.40s", at ? ", " : "", k);
    nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_SCHEMA, NULL,
                 "%s: model_type \"%.40s\" is not one nvlsim maps (llama, mistral, qwen2, qwen3, "
                 "mixtral, qwen2_moe, qwen3_moe, gpt_oss, deepseek_v3); keys it could not map: %s",
                 what, type ? type : "(none)", at ? keys : "(none)");
    return -1;
  }
  map(&h, type, m);
  m->tied_embeddings = json_is_true(json_object_get(root, "tie_word_embeddings"));
  m->mtp = num(&h, "num_nextn_predict_layers", false, 0);
  if (m->mtp > 16)
    unmapped(&h, "num_nextn_predict_layers above 16");
  json_t *q = json_object_get(root, "quantization_config");
  const char *method = json_string_value(json_object_get(q, "quant_method"));
  m->precision = !method                        ? NVL_PREC_BF16
                 : strcmp(method, "fp8") == 0   ? NVL_PREC_FP8
                 : strcmp(method, "mxfp4") == 0 ? NVL_PREC_FP4
                                                : NVL_PREC_BF16;
  if (method && m->precision == NVL_PREC_BF16)
    unmapped(&h, "quantization_config.quant_method is not fp8 or mxfp4");
  snprintf(m->name, sizeof m->name, "hf-%s", type);
  snprintf(m->source, sizeof m->source, "Hugging Face config.json %.400s (model_type %s)", what,
           type);
  /* the bounds of a model file's keys (llm_model.c) */
  if (!h.errors &&
      (m->layers < 1 || m->layers > NVL_LLM_MAX_LAYERS || m->hidden < 1 || m->hidden > 1L << 20 ||
       m->ffn < 1 || m->ffn > 1L << 22 || m->heads < 1 || m->heads > 1L << 14 || m->vocab < 1 ||
       m->vocab > 1L << 24 || m->kv_heads < 1 || m->heads % m->kv_heads || m->head_dim < 1 ||
       m->head_dim > 1L << 16 ||
       (m->moe && (m->experts < 1 || m->experts > 1L << 16 || m->top_k < 1 || m->top_k > 256 ||
                   m->top_k > m->experts || m->shared > 64 || m->expert_ffn < 1 ||
                   m->expert_ffn > 1L << 20 || m->first_dense > m->layers)) ||
       (m->mla && (m->q_lora < 1 || m->kv_lora < 1 || m->qk_nope < 1 || m->v_head < 1 ||
                   m->q_lora > 1L << 20 || m->kv_lora > 1L << 20 || m->qk_nope > 1L << 16 ||
                   m->qk_rope > 1L << 16 || m->v_head > 1L << 16))))
    unmapped(&h, "sizes outside a model description's bounds (a count of 0, layers above 16384, "
                 "kv heads not dividing the heads, top_k above the experts, ...)");
  return h.errors ? -1 : 0;
}
