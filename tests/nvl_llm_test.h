/* Shared by the LLM step tests: a small dense model, a prefill layout, a job of the first n GPUs.
 */
#ifndef NVL_LLM_TEST_H
#define NVL_LLM_TEST_H

#include "nvl_fixture.h"
#include "workload/llm.h"

/* A small dense decoder, compute-bound in prefill. */
static inline nvl_llm dense_model(void) {
  nvl_llm m = {.layers = 4,
               .hidden = 4096,
               .ffn = 14336,
               .heads = 32,
               .kv_heads = 8,
               .head_dim = 128,
               .vocab = 32000,
               .precision = NVL_PREC_BF16};
  snprintf(m.name, sizeof m.name, "test-dense");
  return m;
}

static inline nvl_llm_layout prefill(long tp, long seq) {
  nvl_llm_layout l = {.mode = NVL_LLM_PREFILL,
                      .tp = tp,
                      .ep = 1,
                      .pp = 1,
                      .dp = 1,
                      .microbatches = 1,
                      .batch = 1,
                      .seq = seq,
                      .runtime = NVL_RT_FUSED,
                      .seed = 1};
  return l;
}

/* A step's job over the first n GPUs of the fixture's design, resolved. */
static inline nvl_workload_spec first_ranks(const nvl_fixture *f, int n, nvl_diags *diags) {
  nvl_workload_spec spec = {.ctx = nvl_test_ctx(), .one_rank_ok = true};
  spec.jobs = calloc(1, sizeof *spec.jobs);
  spec.n_jobs = 1;
  spec.jobs[0].n_limit = n;
  assert_int_equal(nvl_workload_resolve(&spec, f->d, f->p, diags), 0);
  return spec;
}

#endif
