/*
 * Symmetry-aware (reduced) simulation against the explicit one (sim/engine/reduced.c,
 * models/program.h, the reduced builders in models/ring.c, p2p.c, nvls.c): where a job's ranks
 * are alike, one lane stands for each class of ranks and each transfer for its orbit. The
 * reduction must not change a number: times, every link direction's bytes and peak, and per-flow
 * percentiles agree with the explicit simulation to 1e-6 relative, under both models, and match
 * the closed forms at 1,024 and 10,000 GPUs.
 *
 * Sizes are multiples of n x 18 x 4 bytes so that no rounding of chunks or stripes differs.
 */
#include "nvl_fixture.h"
#include "design/design.h"
#include "engine/engine.h"
#include "models/algorithms.h"
#include "models/program.h"
#include "platform/platform.h"
#include "workload/run.h"
#include "workload/workload.h"
#include <inttypes.h>
#include <math.h>

#define TOL 1e-6

/* Under the sanitizers, which check memory rather than numbers a second time, the three longest
 * sweeps take every other case (SAN_STRIDE 2); the normal build runs them all. */
#ifdef NVL_SANITIZED
#define SAN_STRIDE 2
#else
#define SAN_STRIDE 1
#endif

typedef struct {
  const char *design; /* under the source tree */
  nvl_model model;
  nvl_coll coll;
  nvl_algo algo;
  uint64_t bytes;
  const char *const *failures;
  const char *ranks[2]; /* concurrent jobs on these ranks (NULL: one job on every accelerator) */
} case_def;

typedef struct {
  nvl_engine_result res;
  size_t n_links;
  size_t lanes; /* of the first task's program */
  int n_ranks;
  bool reduced;
} outcome;

static outcome run(const case_def *c, bool explicit_ranks) {
  outcome o;
  memset(&o, 0, sizeof o);
  nvl_fixture f = nvl_fixture_load(c->design, c->failures, c->model);
  nvl_design *d = f.d;
  nvl_platform *p = f.p;
  nvl_diags diags = NVL_DIAGS_INIT;
  nvl_workload_spec spec = {.ctx = nvl_test_ctx()};
  spec.model = c->model;
  spec.seed = 1;
  spec.explicit_ranks = explicit_ranks;
  size_t nj = c->ranks[1] ? 2 : 1;
  spec.jobs = calloc(nj, sizeof *spec.jobs);
  spec.n_jobs = nj;
  for (size_t k = 0; k < nj; k++) {
    nvl_job *j = &spec.jobs[k];
    snprintf(j->name, sizeof j->name, "j%zu", k);
    if (c->ranks[k])
      snprintf(j->ranks_sel, sizeof j->ranks_sel, "%s", c->ranks[k]);
    j->coll = c->coll;
    j->algo = c->algo;
    j->proto = c->model == NVL_MODEL_IDEAL ? NVL_PROTO_SIMPLE : -1;
    j->size_bytes = c->bytes;
  }
  nvl_task_graph g;
  nvl_workload_run *wr = nvl_fixture_simulate(&spec, d, p, true, &o.res, &g);
  nvl_program prog;
  const int *devs = NULL;
  nvl_program_init(&prog, 0);
  assert_int_equal(g.build(g.ctx, 0, &prog, &devs), 0);
  o.lanes = prog.n_lanes;
  o.reduced = prog.reduced;
  o.n_ranks = prog.n_ranks;
  nvl_program_release(&prog);
  o.n_links = nvl_platform_link_count(p);
  nvl_workload_run_free(wr);
  nvl_workload_spec_release(&spec);
  nvl_fixture_close(&f);
  nvl_diags_release(&diags);
  return o;
}

/* |a - b| within TOL of the larger plus `slack`, or both (near) zero. */
static bool close_to(double a, double b, double slack) {
  double m = fmax(fabs(a), fabs(b));
  return m < 1e-3 || fabs(a - b) <= TOL * m + slack;
}

/* Runs a case reduced and explicit, and compares them. When the size is a multiple of n x 72
 * (every part of every rank alike) every number agrees to TOL. Otherwise ranks' parts differ by
 * a byte, and the reduced run gives every member its representative's: times within 2n bytes at
 * 100 GB/s, each link direction's bytes within 2n bytes. The reduced run must have been reduced
 * (fewer lanes than the explicit run) as `expect_reduced` says (-1: either). */
static void check_case(const case_def *c, int expect_reduced) {
  outcome r = run(c, false), e = run(c, true);
  assert_false(e.reduced);
  if ((expect_reduced >= 0 && expect_reduced != r.reduced) || (r.reduced && r.lanes >= e.lanes)) {
    print_error("%s %s/%s: reduced %d with %zu lanes, explicit %zu (expected reduced %d)\n",
                c->design, nvl_coll_name(c->coll), nvl_algo_name(c->algo), r.reduced, r.lanes,
                e.lanes, expect_reduced);
    fail();
  }
  bool exact = c->bytes % ((uint64_t)e.n_ranks * 72) == 0;
  double slack_t = exact ? 0 : 2.0 * e.n_ranks / 100e9, slack_b = exact ? 0 : 2.0 * e.n_ranks;
  assert_int_equal(r.res.n_tasks, e.res.n_tasks);
  for (size_t t = 0; t < r.res.n_tasks; t++)
    if (!close_to(r.res.time_s[t], e.res.time_s[t], slack_t)) {
      print_error("%s %s/%s %s %" PRIu64 " B: %.17g s (explicit %.17g)\n", c->design,
                  nvl_coll_name(c->coll), nvl_algo_name(c->algo), nvl_model_name(c->model),
                  c->bytes, r.res.time_s[t], e.res.time_s[t]);
      fail();
    }
  for (size_t k = 0; k < 2 * r.n_links; k++)
    if (!close_to(r.res.link_bytes[k], e.res.link_bytes[k], slack_b) ||
        !close_to(r.res.link_peak_Bps[k], e.res.link_peak_Bps[k], 0)) {
      print_error("%s %s/%s %s %" PRIu64
                  " B: link direction %zu carries %.17g B peak %.17g (explicit %.17g, %.17g)\n",
                  c->design, nvl_coll_name(c->coll), nvl_algo_name(c->algo),
                  nvl_model_name(c->model), c->bytes, k, r.res.link_bytes[k],
                  r.res.link_peak_Bps[k], e.res.link_bytes[k], e.res.link_peak_Bps[k]);
      fail();
    }
  nvl_engine_result_release(&r.res);
  nvl_engine_result_release(&e.res);
}

static void test_symmetry__reduced_equals_explicit_on_reference_designs(void **state) {
  /* every collective and algorithm that has a reduced builder, on the two designs whose ranks
   * are all twins, under both models */
  static const struct {
    nvl_coll coll;
    nvl_algo algo;
  } cs[] = {{NVL_COLL_ALL_REDUCE, NVL_ALGO_RING},     {NVL_COLL_ALL_GATHER, NVL_ALGO_RING},
            {NVL_COLL_REDUCE_SCATTER, NVL_ALGO_RING}, {NVL_COLL_ALLTOALL, NVL_ALGO_P2P},
            {NVL_COLL_SENDRECV, NVL_ALGO_P2P},        {NVL_COLL_ALL_REDUCE, NVL_ALGO_NVLS}};
  const char *designs[] = {"topologies/gb200-nvl72.json", "topologies/hgx-h100.json"};
  nvl_model models[] = {NVL_MODEL_IDEAL, NVL_MODEL_DEFAULT};
  for (size_t di = 0; di < 2; di++)
    for (size_t mi = 0; mi < 2; mi++)
      for (size_t k = 0; k < sizeof cs / sizeof *cs; k++) {
        /* below a byte per rank (empty transfers), a small size (latency-bound, LL under the
         * default model), a large one, and a power of two (parts a byte apart) */
        uint64_t sizes[4] = {8, 72ull * 18 * 4 * 16, 72ull * 18 * 4 * 16384, 1ull << 20};
        for (int s = 0; s < 4; s += SAN_STRIDE) {
          case_def c = {designs[di], models[mi], cs[k].coll,  cs[k].algo,
                        sizes[s],    NULL,       {NULL, NULL}};
          /* a collective rounded to count 0 is empty (NCCL discards it): nothing to reduce */
          bool empty = cs[k].algo != NVL_ALGO_P2P &&
                       nvl_coll_round_size(cs[k].coll, di == 0 ? 72 : 8, sizes[s]) == 0;
          check_case(&c, !empty);
        }
      }
}

static void test_symmetry__every_reference_design(void **state) {
  /* the default model's all_reduce (NCCL's algorithm choice) and alltoall at two sizes on every
   * reference design: reduced where its accelerators are twins, explicit elsewhere (NVL576's
   * alltoall is left out: SimGrid's link-load plugin, which gives the peaks, takes minutes on
   * its 330,000 concurrent transfers) */
  static const struct {
    const char *design;
    bool alike;
  } ds[] = {{"topologies/gb200-nvl72.json", true},      {"topologies/gb300-nvl72.json", true},
            {"topologies/hgx-h100.json", true},         {"topologies/hgx-b200.json", true},
            {"topologies/hgx-a100.json", true},         {"topologies/hgx-a100-4gpu.json", false},
            {"topologies/fusion-gpu-asic.json", false}, {"topologies/fusion-custom-cpu.json", true},
            {"topologies/nvl576.json", false}};
  nvl_coll colls[2] = {NVL_COLL_ALL_REDUCE, NVL_COLL_ALLTOALL};
  for (size_t di = 0; di < sizeof ds / sizeof *ds; di++)
    for (int k = 0; k < (strstr(ds[di].design, "nvl576") ? 1 : 2); k++)
      for (uint64_t bytes = 72ull * 18 * 4 * 64; bytes <= 72ull * 18 * 4 * 65536; bytes *= 1024) {
        if ((strstr(ds[di].design, "nvl576") || SAN_STRIDE > 1) && bytes > 72ull * 18 * 4 * 64)
          continue; /* NVL576: 1.3 million explicit transfers, minutes under the sanitizers */
        case_def c = {ds[di].design, NVL_MODEL_DEFAULT, colls[k], NVL_ALGO_AUTO, bytes,
                      NULL,          {NULL, NULL}};
        /* NCCL's choice may be a tree, which has no reduced builder */
        check_case(&c, colls[k] == NVL_COLL_ALLTOALL ? ds[di].alike : -1);
      }
}

static void test_symmetry__broken_symmetry_falls_back_to_explicit(void **state) {
  /* a failed link or a degraded one makes its GPU unlike the others: no reduction, same
   * numbers as the explicit run (checked by check_case all the same) */
  static const char *const failed[] = {"link:gpu3-sw7", NULL};
  static const char *const degraded[] = {"link:gpu3-sw7=50%", NULL};
  case_def c = {"topologies/gb200-nvl72.json", NVL_MODEL_IDEAL, NVL_COLL_ALL_REDUCE, NVL_ALGO_RING,
                72ull * 18 * 4 * 1024,         failed,          {NULL, NULL}};
  check_case(&c, false);
  c.failures = degraded;
  c.coll = NVL_COLL_ALLTOALL;
  c.algo = NVL_ALGO_P2P;
  check_case(&c, false);
}

static void test_symmetry__a_failed_switch_keeps_the_gpus_alike(void **state) {
  /* a failed switch chip is lost to every GPU alike: still reduced, still exact */
  static const char *const failed[] = {"switch:sw4", NULL};
  case_def c = {"topologies/gb200-nvl72.json",
                NVL_MODEL_DEFAULT,
                NVL_COLL_ALL_REDUCE,
                NVL_ALGO_RING,
                72ull * 17 * 4 * 4096,
                failed,
                {NULL, NULL}};
  check_case(&c, true);
}

static void test_symmetry__concurrent_jobs(void **state) {
  /* two jobs on the two halves of NVL72 share no GPU: each is reduced, and the pair matches the
   * explicit run; jobs that share GPUs load their links unlike the other members': explicit */
  case_def c = {"topologies/gb200-nvl72.json", NVL_MODEL_DEFAULT,
                NVL_COLL_ALL_REDUCE,           NVL_ALGO_RING,
                36ull * 18 * 4 * 4096,         NULL,
                {"gpu[0:36]", "gpu[36:72]"}};
  check_case(&c, true);
  c.coll = NVL_COLL_ALLTOALL;
  c.algo = NVL_ALGO_P2P;
  check_case(&c, true);
  c.ranks[1] = "gpu[18:54]";
  check_case(&c, false);
}

static void test_symmetry__racks_on_a_spine_run_shifted(void **state) {
  /* 4 racks of 8 GPUs on a spine (tests/designs/racks-4x8.json): rank r + 8 stands where rank r
   * stands, so rings run 8 lanes for 32 ranks and match the explicit run, every link direction's
   * bytes and peak included (the cross-rack trunks too), under both models; NVL576 likewise
   * (72 lanes for 576 ranks). sendrecv and alltoall likewise; an alltoall's transfers from rack 0
   * into the other racks run over the links into rack 0 that stand for theirs (rerouted), so the
   * trunks into every rack carry what they carry explicitly. A failed link in rack 0 breaks the
   * symmetry: explicit. */
  nvl_coll colls[5] = {NVL_COLL_ALL_REDUCE, NVL_COLL_ALL_GATHER, NVL_COLL_REDUCE_SCATTER,
                       NVL_COLL_ALLTOALL, NVL_COLL_SENDRECV};
  nvl_model models[2] = {NVL_MODEL_IDEAL, NVL_MODEL_DEFAULT};
  for (int mi = SAN_STRIDE - 1; mi < 2; mi++) /* sanitizers: the default model only */
    for (int k = 0; k < 5; k++)
      for (int exact = 0; exact < 2; exact++) {
        nvl_algo algo = colls[k] == NVL_COLL_ALLTOALL || colls[k] == NVL_COLL_SENDRECV
                            ? NVL_ALGO_P2P
                            : NVL_ALGO_RING;
        case_def c = {"tests/designs/racks-4x8.json",        models[mi], colls[k],    algo,
                      exact ? 72ull * 32 * 256 : 1ull << 20, NULL,       {NULL, NULL}};
        check_case(&c, true);
      }
  case_def c = {"topologies/nvl576.json",
                NVL_MODEL_DEFAULT,
                NVL_COLL_ALL_REDUCE,
                NVL_ALGO_RING,
                576ull * 72 * 16,
                NULL,
                {NULL, NULL}};
  check_case(&c, true); /* not the NVL576 alltoall: its explicit run takes minutes with peaks */
  static const char *const failed[] = {"link:gpu0-sw0", NULL};
  c.design = "tests/designs/racks-4x8.json";
  c.bytes = 72ull * 32 * 256;
  c.failures = failed;
  check_case(&c, false);
}

/* One reduced run's time for a case. */
static double reduced_time(const case_def *c) {
  outcome o = run(c, false);
  assert_true(o.reduced);
  double t = o.res.time_s[0];
  nvl_engine_result_release(&o.res);
  return t;
}

static void test_symmetry__closed_forms_at_1024_and_10000_gpus(void **state) {
  /* one switch tier of 18 chips, one NVLink 5 link (50 GB/s per direction) from every GPU to
   * every chip: B = 900 GB/s per GPU and direction, a = 50 + 250 + 50 ns per hop.
   * ring all_reduce: 2(n-1) steps of a + S/(nB); alltoall: every rank sends S/n to each of
   * the n-1 others at once, limited by its injection: a + (n-1)S/(nB). */
  const double B = 900e9, a = 350e-9, S = 1073741824.0;
  const char *designs[2] = {"tools/bench/flat-1024.json", "tools/bench/flat-10000.json"};
  int ns[2] = {1024, 10000};
  for (int i = 0; i < 2; i++) {
    double n = ns[i];
    uint64_t bytes = (uint64_t)ns[i] * 18 * 4 * 4096; /* about 1 GiB, a multiple of n x 18 */
    if (i == 0)
      bytes = (uint64_t)S;
    case_def c = {designs[i], NVL_MODEL_IDEAL, NVL_COLL_ALL_REDUCE, NVL_ALGO_RING, bytes,
                  NULL,       {NULL, NULL}};
    assert_close(reduced_time(&c), 2 * (n - 1) * (a + (double)bytes / n / B), TOL);
    c.coll = NVL_COLL_ALLTOALL;
    c.algo = NVL_ALGO_P2P;
    assert_close(reduced_time(&c), a + (n - 1) * ((double)bytes / n) / B, TOL);
  }
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_symmetry__reduced_equals_explicit_on_reference_designs),
    cmocka_unit_test(test_symmetry__every_reference_design),
    cmocka_unit_test(test_symmetry__broken_symmetry_falls_back_to_explicit),
    cmocka_unit_test(test_symmetry__a_failed_switch_keeps_the_gpus_alike),
    cmocka_unit_test(test_symmetry__racks_on_a_spine_run_shifted),
    cmocka_unit_test(test_symmetry__concurrent_jobs),
    cmocka_unit_test(test_symmetry__closed_forms_at_1024_and_10000_gpus),
};

NVL_TEST_MAIN(tests)
