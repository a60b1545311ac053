/* Model descriptions (workload/llm_model.c, llm_hf.c): a Hugging Face config.json of each mapped
 * architecture gives the built-in's model exactly; configs nvlsim cannot map are errors that name
 * what; sliding-window attention prices the keys a window holds and caches only them. */
#include "nvl_llm_test.h"

#include <jansson.h>
#include <string.h>

#include "workload/llm_hf.h"
#include "workload/llm_internal.h"

static nvl_llm load(const char *what) {
  nvl_llm m;
  nvl_diags diags = NVL_DIAGS_INIT;
  if (nvl_llm_load(what, &m, &diags) != 0) {
    print_error("%s: %s\n", what, diags.count ? diags.items[0].message : "?");
    fail();
  }
  nvl_diags_release(&diags);
  memset(m.name, 0, sizeof m.name);
  memset(m.source, 0, sizeof m.source);
  return m;
}

/* tests/hf holds the published config.json of each (copied from Hugging Face), and for the
 * architectures without a built-in (Mistral, Qwen2, Qwen3 dense, Qwen2-MoE) the model
 * description of the same sizes (NAME.model.json) they must give. */
static void test_llm_model__hf_configs_equal_the_builtins(void **state) {
  (void)state;
  static const char *const models[] = {"llama3.1-8b",     "mixtral-8x7b", "qwen3-30b-a3b",
                                       "qwen3-235b-a22b", "deepseek-v3",  "gpt-oss-120b"};
  for (size_t i = 0; i < sizeof models / sizeof *models; i++) {
    char hf[256], builtin[64];
    snprintf(hf, sizeof hf, "hf:%s/tests/hf/%s.json", NVL_SOURCE_DIR, models[i]);
    snprintf(builtin, sizeof builtin, "builtin:%s", models[i]);
    nvl_llm a = load(hf), b = load(builtin);
    if (memcmp(&a, &b, sizeof a) != 0) {
      print_error("%s: the config.json and the built-in differ (layers %ld/%ld, hidden %ld/%ld, "
                  "experts %ld/%ld, window %ld/%ld, precision %d/%d)\n",
                  models[i], a.layers, b.layers, a.hidden, b.hidden, a.experts, b.experts, a.window,
                  b.window, (int)a.precision, (int)b.precision);
      fail();
    }
  }
}

static void test_llm_model__hf_configs_equal_their_descriptions(void **state) {
  (void)state;
  static const char *const models[] = {"mistral-7b-v0.1", "qwen2-7b", "qwen3-8b",
                                       "qwen1.5-moe-a2.7b"};
  for (size_t i = 0; i < sizeof models / sizeof *models; i++) {
    char hf[256], desc[256];
    snprintf(hf, sizeof hf, "hf:%s/tests/hf/%s.json", NVL_SOURCE_DIR, models[i]);
    snprintf(desc, sizeof desc, "%s/tests/hf/%s.model.json", NVL_SOURCE_DIR, models[i]);
    nvl_llm a = load(hf), b = load(desc);
    if (memcmp(&a, &b, sizeof a) != 0) {
      print_error("%s: the config.json and the description differ (layers %ld/%ld, shared "
                  "%ld/%ld, window %ld/%ld)\n",
                  models[i], a.layers, b.layers, a.shared, b.shared, a.window, b.window);
      fail();
    }
  }
}

/* Each class of config nvlsim cannot map says what it could not. */
static void test_llm_model__unmapped_configs_name_what(void **state) {
  (void)state;
  static const struct {
    const char *json, *says;
  } cases[] = {
      {"{\"model_type\": \"phi3\", \"hidden_size\": 3072, \"partial_rotary_factor\": 0.5}",
       "model_type \"phi3\" is not one nvlsim maps"},
      {"{\"model_type\": \"phi3\", \"hidden_size\": 3072, \"partial_rotary_factor\": 0.5}",
       "keys it could not map: partial_rotary_factor"},
      {"{\"hidden_size\": 4096}", "model_type \"(none)\""},
      {"[1, 2]", "model_type \"(none)\""},
      {"{\"model_type\": \"llama\", \"num_hidden_layers\": 2, \"num_attention_heads\": 8, "
       "\"intermediate_size\": 64, \"vocab_size\": 100}",
       "missing \"hidden_size\""},
      {"{\"model_type\": \"llama\", \"hidden_size\": -4, \"num_hidden_layers\": 2, "
       "\"num_attention_heads\": 8, \"intermediate_size\": 64, \"vocab_size\": 100}",
       "\"hidden_size\" must be an integer"},
      {"{\"model_type\": \"llama\", \"hidden_size\": 64, \"num_hidden_layers\": 99999, "
       "\"num_attention_heads\": 8, \"intermediate_size\": 64, \"vocab_size\": 100}",
       "layers above 16384"},
      {"{\"model_type\": \"qwen3_moe\", \"hidden_size\": 64, \"num_hidden_layers\": 2, "
       "\"num_attention_heads\": 8, \"intermediate_size\": 64, \"vocab_size\": 100, "
       "\"num_experts\": 4, \"num_experts_per_tok\": 2, \"moe_intermediate_size\": 32, "
       "\"decoder_sparse_step\": 2}",
       "MoE layers interleaved with dense ones"},
      {"{\"model_type\": \"gpt_oss\", \"hidden_size\": 64, \"num_hidden_layers\": 3, "
       "\"num_attention_heads\": 8, \"intermediate_size\": 64, \"vocab_size\": 100, "
       "\"num_local_experts\": 4, \"num_experts_per_tok\": 2, \"sliding_window\": 8, "
       "\"layer_types\": [\"sliding_attention\", \"sliding_attention\", \"full_attention\"]}",
       "layer_types is not a periodic pattern"},
      {"{\"model_type\": \"gpt_oss\", \"hidden_size\": 64, \"num_hidden_layers\": 3, "
       "\"num_attention_heads\": 8, \"intermediate_size\": 64, \"vocab_size\": 100, "
       "\"num_local_experts\": 4, \"num_experts_per_tok\": 2, \"sliding_window\": 8}",
       "sliding_window without layer_types"},
      {"{\"model_type\": \"qwen2\", \"hidden_size\": 64, \"num_hidden_layers\": 2, "
       "\"num_attention_heads\": 8, \"intermediate_size\": 64, \"vocab_size\": 100, "
       "\"use_sliding_window\": true}",
       "use_sliding_window"},
      {"{\"model_type\": \"llama\", \"hidden_size\": 64, \"num_hidden_layers\": 2, "
       "\"num_attention_heads\": 8, \"intermediate_size\": 64, \"vocab_size\": 100, "
       "\"quantization_config\": {\"quant_method\": \"awq\"}}",
       "quant_method is not fp8 or mxfp4"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    json_t *root = json_loads(cases[i].json, 0, NULL);
    assert_non_null(root);
    nvl_llm m;
    nvl_diags diags = NVL_DIAGS_INIT;
    assert_int_equal(nvl_llm_from_hf(root, "hf:x.json", &m, &diags), -1);
    if (!strstr(diags.items[0].message, cases[i].says)) {
      print_error("case %zu: \"%s\" lacks \"%s\"\n", i, diags.items[0].message, cases[i].says);
      fail();
    }
    nvl_diags_release(&diags);
    json_decref(root);
  }
}

/* A window of w over a whole sequence of S > w tokens: query i sees min(i, w) keys, on average
 * (w (w + 1) / 2 + (S - w) w) / S; in decode, w; a layer without one: (S + 1) / 2 and S. Its KV
 * cache holds w tokens: GPT-OSS's decode at 8192 tokens caches 18 layers of 128 and 18 of 8192. */
static void test_llm_model__sliding_windows_price_and_cache_their_keys(void **state) {
  (void)state;
  nvl_llm m = load("builtin:gpt-oss-120b");
  double S = 8192, w = 128;
  assert_close(nvl_llm_keys(&m, 0, 8192, false), (w * (w + 1) / 2 + (S - w) * w) / S, 1e-12);
  assert_close(nvl_llm_keys(&m, 1, 8192, false), (S + 1) / 2, 1e-12);
  assert_close(nvl_llm_keys(&m, 2, 8192, true), w, 0);
  assert_close(nvl_llm_keys(&m, 3, 8192, true), S, 0);
  assert_close(nvl_llm_keys(&m, 0, 100, false), 101.0 / 2, 1e-12); /* shorter than the window */
  nvl_fixture f = nvl_fixture_open("gb200-nvl72.json", NVL_MODEL_DEFAULT, false);
  nvl_diags diags = NVL_DIAGS_INIT;
  nvl_workload_spec spec = first_ranks(&f, 8, &diags);
  nvl_llm_layout l = prefill(1, 8192);
  l.mode = NVL_LLM_DECODE, l.ep = 8, l.dp = 8, l.batch = 64, l.kv_precision = NVL_PREC_BF16;
  l.precision = NVL_PREC_FP4;
  llm_shape sh;
  nvl_llm_memory mem;
  assert_int_equal(nvl_llm_shape(nvl_test_ctx(), &m, &l, f.d, &spec.jobs[0], &sh, &mem, &diags), 0);
  double per_token = 2.0 * 8 * 64 * 2; /* K and V, 8 KV heads of 64, BF16 */
  assert_close(mem.kv_cache, 8 * (18 * 128 + 18 * 8192) * per_token, 1e-12);
  nvl_llm_shape_release(&sh);
  nvl_workload_spec_release(&spec);
  nvl_diags_release(&diags);
  nvl_fixture_close(&f);
}

/* Ops of dimension dim, and their bytes, in a built (not simulated) step of m under l on n GPUs;
 * *weights the memory check's weights. */
static size_t count_ops(const nvl_llm *m, const nvl_llm_layout *l, int n, nvl_llm_dim dim,
                        double *bytes, double *weights) {
  built b;
  build(&b, m, l, n);
  size_t k = 0;
  *bytes = 0;
  for (size_t i = 0; i < b.st.g.n_ops; i++)
    if (b.st.dim[i] == dim) {
      k++;
      *bytes += (double)b.st.g.ops[i].bytes;
    }
  *weights = b.st.mem.weights;
  release(&b);
  return k;
}

/* A parallel block has one TP exchange per layer each way instead of two; tied embeddings hold
 * one matrix on a single stage and, over stages, all_reduce its gradients between the first and
 * the last (h x vocab / tp BF16 bytes per rank). */
static void test_llm_model__parallel_blocks_and_tied_embeddings(void **state) {
  (void)state;
  nvl_llm m = dense_model();
  nvl_llm_layout l = prefill(2, 1024);
  double bytes, w0, w1;
  size_t seq = count_ops(&m, &l, 2, NVL_LD_TP, &bytes, &w0);
  m.parallel_block = true;
  assert_int_equal(count_ops(&m, &l, 2, NVL_LD_TP, &bytes, &w1), seq / 2);
  m.parallel_block = false, m.tied_embeddings = true;
  count_ops(&m, &l, 2, NVL_LD_TP, &bytes, &w1);
  assert_close(w0 - w1, 4096.0 * 32000 / 2 * 2 /* BF16 */, 1e-12);
  l.mode = NVL_LLM_TRAIN, l.pp = 2, l.batch = 2, l.microbatches = 2;
  double before, after, w;
  nvl_llm untied = dense_model();
  size_t dp0 = count_ops(&untied, &l, 4, NVL_LD_DP, &before, &w);
  size_t dp1 = count_ops(&m, &l, 4, NVL_LD_DP, &after, &w);
  assert_int_equal(dp1 - dp0, 2); /* one per rank of a stage */
  assert_close(after - before, 2 * 4096.0 * 32000 / 2 * 2, 1e-12);
}

/* Multi-token prediction: in training each module adds its projection, one layer and the output
 * layer to the model FLOPs (3 x tokens x (2 x 2h x h + layer + head)), with its ops on the last
 * stage; in decode n drafts verified together make 1 + a + ... + a^n tokens per sequence. */
static void test_llm_model__mtp_trains_modules_and_drafts_tokens(void **state) {
  (void)state;
  nvl_llm m = dense_model();
  m.mtp = 1;
  nvl_llm_layout l = prefill(1, 512);
  l.mode = NVL_LLM_TRAIN, l.pp = 2, l.batch = 2, l.microbatches = 2;
  double flops[2];
  for (int k = 0; k < 2; k++) {
    l.mtp = k;
    step_run x;
    run_step(&x, &m, &l, 2);
    flops[k] = x.st.model_flops;
    step_close(&x);
  }
  double h = 4096, T = 2 * 512, q = 32 * 128, kv = 8 * 128;
  double layer = 2 * (h * (q + 2 * kv) + q * h + 3 * h * 14336) + 4 * q * (512 + 1) / 2.0;
  assert_close(flops[1] - flops[0], 3 * T * (2 * 2 * h * h + layer + 2 * h * 32000), 1e-9);
  l = prefill(1, 1024);
  l.mode = NVL_LLM_DECODE, l.batch = 8, l.runtime = NVL_RT_GRAPH;
  for (long n = 0; n <= 3; n++) {
    l.mtp = n, l.mtp_accept = 0.8;
    step_run x;
    run_step(&x, &m, &l, 1);
    double want = 0;
    for (long i = 0; i <= n; i++)
      want += pow(0.8, (double)i);
    assert_close(x.st.tokens, 8 * want, 1e-12);
    step_close(&x);
  }
  nvl_llm plain = dense_model(); /* drafting needs the model's own module */
  nvl_fixture f = nvl_fixture_open("gb200-nvl72.json", NVL_MODEL_DEFAULT, false);
  nvl_diags diags = NVL_DIAGS_INIT;
  nvl_workload_spec spec = first_ranks(&f, 1, &diags);
  nvl_llm_step st;
  assert_int_equal(nvl_llm_step_build(nvl_test_ctx(), &plain, &l, f.d, &spec, &st, &diags), -1);
  assert_non_null(strstr(diags.items[0].message, "drafts with the model's own"));
  nvl_workload_spec_release(&spec);
  nvl_diags_release(&diags);
  nvl_fixture_close(&f);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_llm_model__mtp_trains_modules_and_drafts_tokens),
    cmocka_unit_test(test_llm_model__parallel_blocks_and_tied_embeddings),
    cmocka_unit_test(test_llm_model__hf_configs_equal_the_builtins),
    cmocka_unit_test(test_llm_model__hf_configs_equal_their_descriptions),
    cmocka_unit_test(test_llm_model__unmapped_configs_name_what),
    cmocka_unit_test(test_llm_model__sliding_windows_price_and_cache_their_keys),
};
NVL_TEST_MAIN(tests)
