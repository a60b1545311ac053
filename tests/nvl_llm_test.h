/* Shared by the LLM step tests: a small dense model, a prefill layout, a job of the first n GPUs.
 */
#ifndef NVL_LLM_TEST_H
#define NVL_LLM_TEST_H

#include "nvl_fixture.h"
#include "output/llm.h"
#include "workload/llm.h"
#include "workload/run.h"

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

typedef struct {
  nvl_fixture f;
  nvl_workload_spec spec;
  nvl_llm_step st;
  nvl_llm_result r;     /* seen from the rank whose last operation ends last */
  nvl_llm_result *seen; /* seen from each rank (st.ranks of them) */
} step_run;

/* The step of m under l on the first n GPUs of a design (NULL: gb200-nvl72), simulated. */
static inline void run_step_on(step_run *x, const char *design, const nvl_llm *m,
                               const nvl_llm_layout *l, int n) {
  memset(x, 0, sizeof *x);
  if (design) {
    nvl_diags dd = NVL_DIAGS_INIT;
    assert_int_equal(nvl_design_load_file(design, NULL, &x->f.d, &dd), NVL_LOAD_OK);
    nvl_platform_opts po = {.model = NVL_MODEL_DEFAULT};
    x->f.p = nvl_platform_new(x->f.d, &po, &dd);
    assert_non_null(x->f.p);
    nvl_diags_release(&dd);
  } else {
    x->f = nvl_fixture_open("gb200-nvl72.json", NVL_MODEL_DEFAULT, false);
  }
  x->spec.ctx = nvl_test_ctx();
  x->spec.one_rank_ok = true;
  x->spec.back_to_back = true; /* as nvlsim llm runs a step (cli/llm_sim.c) */
  x->spec.seed = 1;
  x->spec.jobs = calloc(1, sizeof *x->spec.jobs);
  x->spec.n_jobs = 1;
  x->spec.jobs[0].algo = NVL_ALGO_AUTO;
  x->spec.jobs[0].proto = -1;
  x->spec.jobs[0].n_limit = n;
  nvl_diags diags = NVL_DIAGS_INIT;
  assert_int_equal(nvl_workload_resolve(&x->spec, x->f.d, x->f.p, &diags), 0);
  assert_int_equal(nvl_llm_step_build(nvl_test_ctx(), m, l, x->f.d, &x->spec, &x->st, &diags), 0);
  nvl_workload_run *wr = nvl_workload_run_graph(&x->spec, x->f.d, x->f.p, &x->st.g);
  assert_non_null(wr);
  nvl_task_graph g;
  nvl_workload_tasks(wr, &g);
  nvl_engine_result res = {0};
  assert_int_equal(nvl_engine_run_forked(x->f.p, &g, &res, &diags), 0);
  nvl_llm_result_compute(&x->st, &wr->g, &x->spec, x->f.d, &res, -1, &x->r);
  x->seen = calloc((size_t)x->st.ranks, sizeof *x->seen);
  for (int r = 0; r < x->st.ranks; r++)
    nvl_llm_result_compute(&x->st, &wr->g, &x->spec, x->f.d, &res, r, &x->seen[r]);
  nvl_engine_result_release(&res);
  nvl_workload_run_free(wr);
  nvl_diags_release(&diags);
}

static inline void run_step(step_run *x, const nvl_llm *m, const nvl_llm_layout *l, int n) {
  run_step_on(x, NULL, m, l, n);
}

static inline void step_close(step_run *x) {
  free(x->seen);
  nvl_llm_step_release(&x->st, x->spec.n_jobs);
  nvl_workload_spec_release(&x->spec);
  nvl_fixture_close(&x->f);
}

/* A step of m under l on the first n GPUs of NVL72, built only (not simulated). */
typedef struct {
  nvl_fixture f;
  nvl_workload_spec spec;
  nvl_llm_step st;
} built;

/* The step on the first n GPUs of a design (a path from the source tree), built only. */
static inline void build_on(built *b, const char *design, const nvl_llm *m, const nvl_llm_layout *l,
                            int n) {
  b->f = nvl_fixture_load(design, NULL, NVL_MODEL_DEFAULT);
  nvl_diags diags = NVL_DIAGS_INIT;
  b->spec = first_ranks(&b->f, n, &diags);
  if (nvl_llm_step_build(nvl_test_ctx(), m, l, b->f.d, &b->spec, &b->st, &diags) != 0) {
    print_error("%s\n", diags.count ? diags.items[0].message : "?");
    fail();
  }
  nvl_diags_release(&diags);
}

/* The same on NVL72. */
static inline void build(built *b, const nvl_llm *m, const nvl_llm_layout *l, int n) {
  build_on(b, "topologies/gb200-nvl72.json", m, l, n);
}

static inline void release(built *b) {
  nvl_llm_step_release(&b->st, b->spec.n_jobs);
  nvl_workload_spec_release(&b->spec);
  nvl_fixture_close(&b->f);
}

#endif
