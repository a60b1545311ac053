/*
 * Folding (workload/fold.h): a workload whose jobs share devices, symmetric under a rotation of
 * its devices, runs one operation per orbit on canonical links. Folding must not change a
 * number: every operation's start and duration, every link direction's bytes and peak agree
 * with the explicit run (--explicit-ranks) to 1e-6 relative, and where the symmetry breaks (a
 * failed link, random routing, jobs that do not partition the devices) nothing is folded.
 */
#include "nvl_fixture.h"
#include "nvl_llm_test.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "workload/fold.h"
#include "workload/llm.h"
#include "workload/run.h"

#define TOL 1e-6

typedef struct {
  nvl_engine_result res;
  size_t n_links, kept, ops;
  int copies;            /* 0: not folded */
  double max_peak_ratio; /* the largest peak over its link's capacity */
} outcome;

/* |a - b| within tol of the larger, or both (near) zero. */
static bool close_to(double a, double b, double tol) {
  double m = fmax(fabs(a), fabs(b));
  return m < 1e-12 || fabs(a - b) <= tol * m;
}

static void compare(const char *what, const outcome *f, const outcome *e, double tol) {
  assert_int_equal(f->res.n_tasks, e->res.n_tasks);
  for (size_t t = 0; t < f->res.n_tasks; t++)
    if (!close_to(f->res.start_s[t] + f->res.time_s[t], e->res.start_s[t] + e->res.time_s[t],
                  tol) ||
        !close_to(f->res.time_s[t], e->res.time_s[t], tol)) {
      print_error("%s: operation %zu ends %.17g after %.17g s (explicit %.17g, %.17g)\n", what, t,
                  f->res.start_s[t] + f->res.time_s[t], f->res.time_s[t],
                  e->res.start_s[t] + e->res.time_s[t], e->res.time_s[t]);
      fail();
    }
  for (size_t k = 0; k < 2 * f->n_links; k++)
    if (!close_to(f->res.link_bytes[k], e->res.link_bytes[k], tol) ||
        !close_to(f->res.link_peak_Bps[k], e->res.link_peak_Bps[k], tol)) {
      print_error("%s: link direction %zu carries %.17g B, peak %.17g (explicit %.17g, %.17g)\n",
                  what, k, f->res.link_bytes[k], f->res.link_peak_Bps[k], e->res.link_bytes[k],
                  e->res.link_peak_Bps[k]);
      fail();
    }
}

static void outcome_of(outcome *o, nvl_workload_run *wr, const nvl_platform *p) {
  nvl_task_graph g;
  nvl_workload_tasks(wr, &g);
  g.link_stats = true;
  nvl_diags diags = NVL_DIAGS_INIT;
  assert_int_equal(nvl_workload_engine(wr, &g, true, &o->res, &diags), 0);
  nvl_diags_release(&diags);
  o->n_links = nvl_platform_link_count(p);
  for (size_t k = 0; k < 2 * o->n_links; k++) {
    const nvl_plink *l = nvl_platform_link(p, (int)(k / 2));
    double r = l->fatpipe ? 0 : o->res.link_peak_Bps[k] / l->bw_Bps;
    if (r > o->max_peak_ratio)
      o->max_peak_ratio = r;
  }
  o->ops = wr->g.n_ops;
  o->copies = wr->fold ? nvl_fold_copies(wr->fold) : 0;
  o->kept = wr->fold ? nvl_fold_kept(wr->fold) : o->ops;
}

/* Concurrent collectives on a design, every job on its selection, one step. */
typedef struct {
  const char *design;
  nvl_model model;
  const char *const *failures;
  struct {
    const char *ranks;
    nvl_coll coll;
    uint64_t bytes;
  } jobs[6];
} jobs_case;

static outcome run_jobs(const jobs_case *c, bool explicit_ranks) {
  nvl_fixture f = nvl_fixture_load(c->design, c->failures, c->model);
  nvl_design *d = f.d;
  nvl_platform *p = f.p;
  nvl_diags diags = NVL_DIAGS_INIT;
  nvl_workload_spec spec = {
      .ctx = nvl_test_ctx(), .model = c->model, .seed = 1, .explicit_ranks = explicit_ranks};
  while (spec.n_jobs < 6 && c->jobs[spec.n_jobs].ranks)
    spec.n_jobs++;
  spec.jobs = calloc(spec.n_jobs, sizeof *spec.jobs);
  for (size_t k = 0; k < spec.n_jobs; k++) {
    nvl_job *j = &spec.jobs[k];
    snprintf(j->name, sizeof j->name, "j%zu", k);
    snprintf(j->ranks_sel, sizeof j->ranks_sel, "%s", c->jobs[k].ranks);
    j->coll = c->jobs[k].coll;
    j->algo = c->jobs[k].coll == NVL_COLL_ALLTOALL ? NVL_ALGO_P2P : NVL_ALGO_RING;
    j->proto = -1;
    j->size_bytes = c->jobs[k].bytes;
  }
  assert_int_equal(nvl_workload_resolve(&spec, d, p, &diags), 0);
  nvl_workload_run *wr = nvl_workload_run_new(&spec, d, p);
  outcome o = {0};
  outcome_of(&o, wr, p);
  nvl_workload_run_free(wr);
  nvl_workload_spec_release(&spec);
  nvl_fixture_close(&f);
  nvl_diags_release(&diags);
  return o;
}

static void test_fold__concurrent_jobs_on_alike_racks(void **state) {
  /* 4 racks of 8 GPUs on a spine: a ring all_reduce in every rack and an all_gather over all 32
   * GPUs, which shares every GPU: the rack shift maps the design and the jobs onto themselves
   * (k = 4), so one rack's all_reduce runs, on canonical links, with the all_gather shifted */
  jobs_case c = {"tests/designs/racks-4x8.json",
                 NVL_MODEL_IDEAL,
                 NULL,
                 {{"gpu[0:8]", NVL_COLL_ALL_REDUCE, 64 << 20},
                  {"gpu[8:16]", NVL_COLL_ALL_REDUCE, 64 << 20},
                  {"gpu[16:24]", NVL_COLL_ALL_REDUCE, 64 << 20},
                  {"gpu[24:32]", NVL_COLL_ALL_REDUCE, 64 << 20},
                  {"gpu", NVL_COLL_ALL_GATHER, 32 << 20}}};
  for (int mi = 0; mi < 2; mi++) {
    c.model = mi ? NVL_MODEL_DEFAULT : NVL_MODEL_IDEAL;
    outcome f = run_jobs(&c, false), e = run_jobs(&c, true);
    assert_int_equal(f.copies, 4);
    assert_int_equal(f.kept, 2);
    assert_int_equal(e.copies, 0);
    compare(mi ? "racks, default model" : "racks, ideal model", &f, &e, TOL);
    nvl_engine_result_release(&f.res);
    nvl_engine_result_release(&e.res);
  }
}

static void test_fold__jobs_on_the_same_gpus(void **state) {
  /* a ring all_reduce and an alltoall on the same 4 GPUs of NVL72: the rotation of the 4 maps both
   * onto themselves, each runs reduced to one class (the alltoall's transfer standing for 3 on
   * each port link) and the two contend as explicitly */
  jobs_case c = {
      "topologies/gb200-nvl72.json",
      NVL_MODEL_IDEAL,
      NULL,
      {{"gpu[0:4]", NVL_COLL_ALL_REDUCE, 4 << 20}, {"gpu[0:4]", NVL_COLL_ALLTOALL, 4 << 20}}};
  for (int mi = 0; mi < 2; mi++) {
    c.model = mi ? NVL_MODEL_DEFAULT : NVL_MODEL_IDEAL;
    outcome f = run_jobs(&c, false), e = run_jobs(&c, true);
    assert_int_equal(f.copies, 4);
    compare(mi ? "same GPUs, default model" : "same GPUs, ideal model", &f, &e, TOL);
    nvl_engine_result_release(&f.res);
    nvl_engine_result_release(&e.res);
  }
}

static void test_fold__alike_jobs_finish_together(void **state) {
  /* an all_reduce in each of four alike racks beside an alltoall over all of them: explicitly, the
   * four finish together and no link carries more than its capacity. SimGrid's selective update
   * had left some racks' links unsolved when a transfer's latency ended (sg_shim.cpp): racks 0 and
   * 3 took 41.8 us where 1 and 2 took 36.5 */
  jobs_case c = {"tests/designs/racks-4x8.json",
                 NVL_MODEL_IDEAL,
                 NULL,
                 {{"gpu[0:8]", NVL_COLL_ALL_REDUCE, 1 << 20},
                  {"gpu[8:16]", NVL_COLL_ALL_REDUCE, 1 << 20},
                  {"gpu[16:24]", NVL_COLL_ALL_REDUCE, 1 << 20},
                  {"gpu[24:32]", NVL_COLL_ALL_REDUCE, 1 << 20},
                  {"gpu", NVL_COLL_ALLTOALL, 8 << 20}}};
  for (int mi = 0; mi < 2; mi++) {
    c.model = mi ? NVL_MODEL_DEFAULT : NVL_MODEL_IDEAL;
    outcome e = run_jobs(&c, true), f = run_jobs(&c, false);
    for (int k = 1; k < 4; k++)
      assert_close(e.res.time_s[k], e.res.time_s[0], 1e-9);
    assert_true(e.max_peak_ratio <= 1 + 1e-9);
    compare(mi ? "racks and an alltoall, default" : "racks and an alltoall, ideal", &f, &e, TOL);
    nvl_engine_result_release(&e.res);
    nvl_engine_result_release(&f.res);
  }
}

static void test_fold__broken_symmetry_is_not_folded(void **state) {
  /* a failed link in rack 0, jobs that do not partition the GPUs, unlike jobs: explicit */
  static const char *const failed[] = {"link:gpu0-sw0", NULL};
  jobs_case c = {"tests/designs/racks-4x8.json",
                 NVL_MODEL_IDEAL,
                 failed,
                 {{"gpu[0:8]", NVL_COLL_ALL_REDUCE, 64 << 20},
                  {"gpu[8:16]", NVL_COLL_ALL_REDUCE, 64 << 20},
                  {"gpu[16:24]", NVL_COLL_ALL_REDUCE, 64 << 20},
                  {"gpu[24:32]", NVL_COLL_ALL_REDUCE, 64 << 20},
                  {"gpu", NVL_COLL_ALL_GATHER, 32 << 20}}};
  outcome o = run_jobs(&c, false);
  assert_int_equal(o.copies, 0);
  nvl_engine_result_release(&o.res);
  c.failures = NULL;
  c.jobs[3].bytes = 32 << 20; /* one rack's job unlike the others' */
  o = run_jobs(&c, false);
  assert_int_equal(o.copies, 0);
  nvl_engine_result_release(&o.res);
  c.jobs[3].bytes = 64 << 20;
  c.jobs[3].ranks = "gpu[20:28]"; /* overlapping: no partition */
  o = run_jobs(&c, false);
  assert_int_equal(o.copies, 0);
  nvl_engine_result_release(&o.res);
}

/* A training step of a small dense decoder on the first n GPUs of NVL72. */
static outcome run_llm_cp(nvl_model model, long tp, long pp, long dp, double skew, bool moe,
                          bool explicit_ranks, long cp, long vp) {
  nvl_fixture f = nvl_fixture_open("gb200-nvl72.json", model, false);
  nvl_llm m = dense_model();
  if (moe) {
    m.moe = true;
    m.experts = 16;
    m.top_k = 2;
    m.expert_ffn = 2048;
  }
  nvl_llm_layout l = {.mode = NVL_LLM_TRAIN,
                      .tp = tp,
                      .ep = moe ? 2 : 1,
                      .pp = pp,
                      .dp = dp * (moe ? 2 : 1),
                      .microbatches = 4,
                      .batch = 4 * dp * (moe ? 2 : 1),
                      .seq = 2048,
                      .precision = NVL_PREC_BF16,
                      .zero = 1,
                      .skew = skew,
                      .cp = cp,
                      .vp = vp,
                      .seed = 1};
  nvl_workload_spec spec = {.ctx = nvl_test_ctx(), .one_rank_ok = true, .seed = 1, .model = model};
  spec.explicit_ranks = explicit_ranks;
  spec.jobs = calloc(1, sizeof *spec.jobs);
  spec.n_jobs = 1;
  spec.jobs[0].algo = NVL_ALGO_AUTO;
  spec.jobs[0].proto = -1;
  spec.jobs[0].n_limit = (int)(tp * pp * dp * l.ep * (cp > 1 ? cp : 1));
  nvl_diags diags = NVL_DIAGS_INIT;
  assert_int_equal(nvl_workload_resolve(&spec, f.d, f.p, &diags), 0);
  nvl_llm_step st;
  if (nvl_llm_step_build(nvl_test_ctx(), &m, &l, f.d, &spec, &st, &diags) != 0) {
    for (size_t i = 0; i < diags.count; i++)
      print_error("%s\n", diags.items[i].message);
    fail();
  }
  nvl_workload_run *wr = nvl_workload_run_graph(&spec, f.d, f.p, &st.g);
  assert_non_null(wr);
  outcome o = {0};
  outcome_of(&o, wr, f.p);
  nvl_workload_run_free(wr);
  nvl_llm_step_release(&st, spec.n_jobs);
  nvl_workload_spec_release(&spec);
  nvl_fixture_close(&f);
  nvl_diags_release(&diags);
  return o;
}

static outcome run_llm(nvl_model model, long tp, long pp, long dp, double skew, bool moe,
                       bool explicit_ranks) {
  return run_llm_cp(model, tp, pp, dp, skew, moe, explicit_ranks, 0, 0);
}

static void test_fold__llm_step_with_cp_and_vp_equals_explicit(void **state) {
  /* tp 2 x cp 2 x pp 2 (vp 2) on 8 GPUs: folding still finds the step's symmetry with context
   * parallelism and an interleaved pipeline, and every figure agrees with the explicit step */
  (void)state;
  outcome f = run_llm_cp(NVL_MODEL_DEFAULT, 2, 2, 1, 0, false, false, 2, 2),
          e = run_llm_cp(NVL_MODEL_DEFAULT, 2, 2, 1, 0, false, true, 2, 2);
  assert_true(f.copies > 1);
  compare("llm with cp and vp", &f, &e, TOL);
  nvl_engine_result_release(&f.res);
  nvl_engine_result_release(&e.res);
}

static void test_fold__llm_step_equals_explicit(void **state) {
  /* tp 4 x pp 2 x dp 2: the rotation of every TP group's ranks maps the step onto itself (k = 4):
   * TP collectives reduced to one class, pipeline sends and computing by one rank in four, one
   * data-parallel group in four; every operation's times and every link direction agree with the
   * explicit step, under both models. */
  for (int mi = 0; mi < 2; mi++) {
    nvl_model model = mi ? NVL_MODEL_DEFAULT : NVL_MODEL_IDEAL;
    outcome f = run_llm(model, 4, 2, 2, 0, false, false),
            e = run_llm(model, 4, 2, 2, 0, false, true);
    assert_int_equal(f.copies, 4);
    assert_true(f.kept < f.ops); /* the data-parallel groups: one in four */
    compare(mi ? "llm, default model" : "llm, ideal model", &f, &e, TOL);
    nvl_engine_result_release(&f.res);
    nvl_engine_result_release(&e.res);
  }
}

static void test_fold__no_link_above_its_capacity(void **state) {
  /* tp 8 x pp 4 on 32 GPUs, default model: a rate-capped pipeline send and an NVLS multicast into
   * one GPU port share it (they had read 104.8 % of it: SimGrid's selective update, sg_shim.cpp),
   * explicitly and folded */
  for (int x = 0; x < 2; x++) {
    outcome o = run_llm(NVL_MODEL_DEFAULT, 8, 4, 1, 0, false, x == 1);
    if (o.max_peak_ratio > 1 + 1e-9) {
      print_error("%s: a link at %.6f of its capacity\n", x ? "explicit" : "folded",
                  o.max_peak_ratio);
      fail();
    }
    nvl_engine_result_release(&o.res);
  }
}

static void test_fold__random_routing_is_not_folded(void **state) {
  /* a MoE step's expert routing is drawn per TP index: no two groups alike, nothing folded */
  outcome o = run_llm(NVL_MODEL_IDEAL, 2, 1, 2, 1.0, true, false);
  assert_int_equal(o.copies, 0);
  nvl_engine_result_release(&o.res);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_fold__concurrent_jobs_on_alike_racks),
    cmocka_unit_test(test_fold__jobs_on_the_same_gpus),
    cmocka_unit_test(test_fold__alike_jobs_finish_together),
    cmocka_unit_test(test_fold__broken_symmetry_is_not_folded),
    cmocka_unit_test(test_fold__llm_step_equals_explicit),
    cmocka_unit_test(test_fold__llm_step_with_cp_and_vp_equals_explicit),
    cmocka_unit_test(test_fold__no_link_above_its_capacity),
    cmocka_unit_test(test_fold__random_routing_is_not_folded),
};

NVL_TEST_MAIN(tests)
