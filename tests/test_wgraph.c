/*
 * The workload graph (sim/workload/wgraph.h, run.h) on the engine, in closed form under the
 * ideal model (tolerance 1e-6 relative, as test_engine): independent operations overlap and
 * share the links they have in common by max-min fairness; dependent ones follow each other;
 * compute shares its endpoint. HGX H100: every GPU reaches the aggregated switch class at
 * B = 450 GB/s per direction over a path of latency a = 350 ns (link, switch, link).
 */
#include "nvl_fixture.h"

#include "engine/engine.h"
#include "platform/platform.h"
#include "workload/comm.h"
#include "workload/run.h"
#include "workload/wgraph.h"
#include "workload/workload.h"

#define TOL 1e-6
#define A1 350e-9
#define B 450e9

/* One job over `ranks` on a reference design (ideal model); runs graph g (taken over). */
static nvl_engine_result run_graph_on(const char *design, const char *ranks, nvl_wgraph *g) {
  nvl_fixture f = nvl_fixture_open(design, NVL_MODEL_IDEAL, false);
  nvl_design *d = f.d;
  nvl_platform *p = f.p;
  nvl_diags diags = NVL_DIAGS_INIT;
  nvl_workload_spec spec = {.ctx = nvl_test_ctx(), .model = NVL_MODEL_IDEAL, .seed = 1};
  spec.jobs = calloc(1, sizeof *spec.jobs);
  spec.n_jobs = 1;
  spec.jobs[0] = (nvl_job){.coll = NVL_COLL_ALL_REDUCE, .algo = NVL_ALGO_RING, .proto = -1};
  snprintf(spec.jobs[0].name, sizeof spec.jobs[0].name, "j");
  snprintf(spec.jobs[0].ranks_sel, sizeof spec.jobs[0].ranks_sel, "%s", ranks);
  assert_int_equal(nvl_workload_resolve(&spec, d, p, &diags), 0);
  nvl_workload_run *wr = nvl_workload_run_graph(&spec, d, p, g);
  assert_non_null(wr);
  nvl_task_graph tg;
  nvl_workload_tasks(wr, &tg);
  nvl_engine_result res;
  int rc = nvl_engine_run_forked(p, &tg, &res, &diags);
  for (size_t i = 0; i < diags.count; i++)
    print_error("%s\n", diags.items[i].message);
  assert_int_equal(rc, 0);
  nvl_workload_run_free(wr);
  nvl_workload_spec_release(&spec);
  nvl_fixture_close(&f);
  nvl_diags_release(&diags);
  return res;
}

/* gpu0..gpu3 of HGX H100 as ranks 0..3. */
static nvl_engine_result run_graph(nvl_wgraph *g) {
  return run_graph_on("hgx-h100.json", "gpu[0:4]", g);
}

static size_t add(nvl_wgraph *g, nvl_wop op, const size_t *deps, size_t n) {
  long i = nvl_wgraph_add(g, &op, deps, n);
  assert_true(i >= 0);
  return (size_t)i;
}

static nvl_wop send(int src, int dst, double bytes) {
  return (nvl_wop){.kind = NVL_WOP_SEND, .src = src, .dst = dst, .bytes = (uint64_t)bytes};
}

static nvl_wop compute(int rank, double s) {
  return (nvl_wop){.kind = NVL_WOP_COMPUTE, .src = rank, .seconds = s};
}

static double end_of(const nvl_engine_result *r, size_t i) { return r->start_s[i] + r->time_s[i]; }

static void test_wgraph__independent_sends_share_a_link(void **state) {
  (void)state;
  /* gpu0 -> gpu1 and gpu0 -> gpu2 at once share gpu0's uplink: B/2 each, both end at a + 2S/B;
   * gpu2 -> gpu3 at the same time shares nothing with them: a + S/B */
  double S = 32.0 * 1048576;
  nvl_wgraph g = NVL_WGRAPH_INIT;
  add(&g, send(0, 1, S), NULL, 0);
  add(&g, send(0, 2, S), NULL, 0);
  add(&g, send(3, 2, S), NULL, 0); /* into gpu2, which also receives the second: shares down */
  nvl_engine_result r = run_graph(&g);
  assert_close(r.start_s[1], 0, TOL);
  assert_close(r.time_s[0], A1 + 2 * S / B, TOL);
  assert_close(r.time_s[1], A1 + 2 * S / B, TOL);
  assert_close(r.time_s[2], A1 + 2 * S / B, TOL);
  nvl_engine_result_release(&r);

  nvl_wgraph h = NVL_WGRAPH_INIT;
  add(&h, send(0, 1, S), NULL, 0);
  add(&h, send(2, 3, S), NULL, 0); /* disjoint links: no slowdown */
  r = run_graph(&h);
  assert_close(r.time_s[0], A1 + S / B, TOL);
  assert_close(r.time_s[1], A1 + S / B, TOL);
  nvl_engine_result_release(&r);
}

static void test_wgraph__max_min_with_unequal_sizes(void **state) {
  (void)state;
  /* S and 3S from gpu0 at once: both at B/2 until the small one ends at a + 2S/B; the large one
   * then has 2S left at B: it ends at a + 4S/B (the work conserved) */
  double S = 16.0 * 1048576;
  nvl_wgraph g = NVL_WGRAPH_INIT;
  add(&g, send(0, 1, S), NULL, 0);
  add(&g, send(0, 2, 3 * S), NULL, 0);
  nvl_engine_result r = run_graph(&g);
  assert_close(r.time_s[0], A1 + 2 * S / B, TOL);
  assert_close(r.time_s[1], A1 + 4 * S / B, TOL);
  nvl_engine_result_release(&r);
}

static void test_wgraph__dependent_operations_add_up(void **state) {
  (void)state;
  /* a chain send -> send -> compute: each starts when the previous ends */
  double S = 32.0 * 1048576, c = 20e-6;
  nvl_wgraph g = NVL_WGRAPH_INIT;
  size_t a = add(&g, send(0, 1, S), NULL, 0);
  size_t b = add(&g, send(0, 2, S), &a, 1);
  add(&g, compute(2, c), &b, 1);
  nvl_engine_result r = run_graph(&g);
  assert_close(r.time_s[0], A1 + S / B, TOL);
  assert_close(r.start_s[1], A1 + S / B, TOL);
  assert_close(end_of(&r, 1), 2 * (A1 + S / B), TOL);
  assert_close(r.time_s[2], c, TOL);
  assert_close(end_of(&r, 2), 2 * (A1 + S / B) + c, TOL);
  assert_close(r.end_s, end_of(&r, 2), TOL);
  nvl_engine_result_release(&r);
}

static void test_wgraph__join_waits_for_the_slowest(void **state) {
  (void)state;
  /* two independent branches (a send, a longer compute) joined by a third operation: it starts
   * at the later of the two ends */
  double S = 8.0 * 1048576, c = 100e-6;
  nvl_wgraph g = NVL_WGRAPH_INIT;
  size_t deps[2];
  deps[0] = add(&g, send(0, 1, S), NULL, 0);
  deps[1] = add(&g, compute(2, c), NULL, 0);
  add(&g, send(1, 3, S), deps, 2);
  nvl_engine_result r = run_graph(&g);
  assert_true(c > A1 + S / B);
  assert_close(r.start_s[2], c, TOL);
  assert_close(end_of(&r, 2), c + A1 + S / B, TOL);
  nvl_engine_result_release(&r);
}

static void test_wgraph__compute_shares_its_endpoint(void **state) {
  (void)state;
  /* two computes on gpu0 at once share it (each 2c); on gpu0 and gpu1 they do not; compute
   * overlaps communication on the same endpoint */
  double c = 50e-6, S = 32.0 * 1048576;
  nvl_wgraph g = NVL_WGRAPH_INIT;
  add(&g, compute(0, c), NULL, 0);
  add(&g, compute(0, c), NULL, 0);
  add(&g, compute(1, c), NULL, 0);
  add(&g, send(0, 3, S), NULL, 0);
  nvl_engine_result r = run_graph(&g);
  assert_close(r.time_s[0], 2 * c, TOL);
  assert_close(r.time_s[1], 2 * c, TOL);
  assert_close(r.time_s[2], c, TOL);
  assert_close(r.time_s[3], A1 + S / B, TOL);
  nvl_engine_result_release(&r);
}

static void test_wgraph__collective_beside_a_send(void **state) {
  (void)state;
  /* a ring all_reduce on the 4 ranks alone: 2(n-1)(a + S/(nB)); beside an independent send
   * gpu0 -> gpu1 of the same duration it is slower (they share gpu0's uplink), and the graph
   * ends when the later one does */
  double S = 64.0 * 1048576;
  int n = 4;
  nvl_wgraph g = NVL_WGRAPH_INIT;
  add(&g,
      (nvl_wop){.kind = NVL_WOP_COLLECTIVE,
                .coll = NVL_COLL_ALL_REDUCE,
                .algo = NVL_ALGO_RING,
                .bytes = (uint64_t)S},
      NULL, 0);
  nvl_engine_result r = run_graph(&g);
  double alone = 2 * (n - 1) * (A1 + S / n / B);
  assert_close(r.time_s[0], alone, TOL);
  nvl_engine_result_release(&r);
  nvl_wgraph h = NVL_WGRAPH_INIT;
  add(&h,
      (nvl_wop){.kind = NVL_WOP_COLLECTIVE,
                .coll = NVL_COLL_ALL_REDUCE,
                .algo = NVL_ALGO_RING,
                .bytes = (uint64_t)S},
      NULL, 0);
  add(&h, send(0, 1, S), NULL, 0);
  r = run_graph(&h);
  assert_true(r.time_s[0] > alone * 1.05);
  assert_true(r.time_s[1] > (A1 + S / B) * 1.05);
  assert_close(r.end_s, fmax(end_of(&r, 0), end_of(&r, 1)), TOL);
  nvl_engine_result_release(&r);
}

/* Every rank computing X seconds (one step of the job, as an LLM step's compute) beside an
 * independent ring all_reduce of closed-form time T: the graph takes max(X, T), the collective
 * keeps its time (compute uses no link); made dependent, it takes X + T. */
static void test_wgraph__compute_beside_an_independent_collective_takes_the_max(void **state) {
  (void)state;
  double S = 64.0 * 1048576;
  int n = 4;
  double T = 2 * (n - 1) * (A1 + S / n / B);
  double xs[] = {0.5 * T, 2 * T};
  for (int dep = 0; dep < 2; dep++)
    for (int k = 0; k < 2; k++) {
      nvl_wgraph g = NVL_WGRAPH_INIT;
      nvl_wop c = {.kind = NVL_WOP_COMPUTE, .src = -1, .has_vals = true};
      c.val_at = nvl_wgraph_vals(&g, (size_t)n);
      for (int r = 0; r < n; r++)
        g.vals[c.val_at + (size_t)r] = xs[k];
      size_t ci = add(&g, c, NULL, 0);
      size_t ai = add(&g,
                      (nvl_wop){.kind = NVL_WOP_COLLECTIVE,
                                .coll = NVL_COLL_ALL_REDUCE,
                                .algo = NVL_ALGO_RING,
                                .bytes = (uint64_t)S},
                      dep ? &ci : NULL, dep ? 1 : 0);
      nvl_engine_result r = run_graph(&g);
      assert_close(r.time_s[ci], xs[k], TOL);
      assert_close(r.time_s[ai], T, TOL);
      assert_close(r.end_s, dep ? xs[k] + T : fmax(xs[k], T), TOL);
      nvl_engine_result_release(&r);
    }
}

static void test_wgraph__sharing_ignores_route_latency(void **state) {
  (void)state;
  /* NVL576: gpu0 sends S to gpu5 (same rack, L1 = 350 ns) and S to gpu100 (another rack, L2 =
   * 950 ns) at once over its 900 GB/s uplink. Max-min shares a link equally whatever the round
   * trip (SimGrid's CM02 would weigh shares by 1/latency): the near transfer runs alone from L1 to
   * L2, then both at B/2, so it ends at 2 L1 - L2 + 2S/B, and the far one, the link never idle, at
   * L1 + 2S/B. */
  double S = 64.0 * 1048576, B9 = 900e9, L1 = 350e-9, L2 = 4 * 50e-9 + 3 * 250e-9;
  nvl_wgraph g = NVL_WGRAPH_INIT;
  add(&g, send(0, 1, S), NULL, 0);
  add(&g, send(0, 2, S), NULL, 0);
  nvl_engine_result r = run_graph_on("nvl576.json", "gpu0,gpu5,gpu100", &g);
  assert_close(r.time_s[0], 2 * L1 - L2 + 2 * S / B9, TOL);
  assert_close(r.time_s[1], L1 + 2 * S / B9, TOL);
  nvl_engine_result_release(&r);
}

static void test_wgraph__rejects_bad_operations(void **state) {
  (void)state;
  nvl_wgraph g = NVL_WGRAPH_INIT;
  nvl_wop op = send(0, 1, 1);
  size_t later = 5;
  assert_int_equal(nvl_wgraph_add(&g, &op, &later, 1), -1); /* not an earlier operation */
  assert_int_equal(nvl_wgraph_add(&g, &op, NULL, 0), 0);
  size_t self = 1;
  assert_int_equal(nvl_wgraph_add(&g, &op, &self, 1), -1); /* itself: a cycle */
  assert_int_equal(g.n_ops, 1);
  nvl_wgraph_release(&g);
}

/* The one guard where operations enter the engine: a compute time or a matrix entry that is
 * negative, non-finite or beyond 1e9 s / 1e18 B refuses the graph, whoever made it. */
static void test_wgraph__non_finite_values_never_reach_the_engine(void **state) {
  (void)state;
  nvl_fixture f = nvl_fixture_open("hgx-h100.json", NVL_MODEL_IDEAL, false);
  nvl_diags diags = NVL_DIAGS_INIT;
  nvl_workload_spec spec = {.ctx = nvl_test_ctx(), .model = NVL_MODEL_IDEAL, .seed = 1};
  spec.jobs = calloc(1, sizeof *spec.jobs);
  spec.n_jobs = 1;
  spec.jobs[0] = (nvl_job){.coll = NVL_COLL_ALL_REDUCE, .algo = NVL_ALGO_RING, .proto = -1};
  snprintf(spec.jobs[0].ranks_sel, sizeof spec.jobs[0].ranks_sel, "gpu[0:2]");
  assert_int_equal(nvl_workload_resolve(&spec, f.d, f.p, &diags), 0);
  double bad[] = {NAN, INFINITY, -1, 1e10, 1e-3};
  for (int matrix = 0; matrix < 2; matrix++)
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
      nvl_wgraph g = NVL_WGRAPH_INIT;
      nvl_wop op = {
          .kind = matrix ? NVL_WOP_MATRIX : NVL_WOP_COMPUTE, .job = 0, .has_vals = true, .src = -1};
      size_t n = matrix ? 4 : 2;
      op.val_at = nvl_wgraph_vals(&g, n);
      for (size_t k = 0; k < n; k++)
        g.vals[op.val_at + k] = 1e-3;
      g.vals[op.val_at + 1] = matrix && bad[i] == 1e10 ? 1e19 : bad[i];
      add(&g, op, NULL, 0);
      nvl_workload_run *wr = nvl_workload_run_graph(&spec, f.d, f.p, &g);
      if (bad[i] == 1e-3)
        assert_non_null(wr); /* the control: a sane value passes */
      else
        assert_null(wr);
      nvl_workload_run_free(wr);
      nvl_wgraph_release(&g);
    }
  nvl_workload_spec_release(&spec);
  nvl_fixture_close(&f);
  nvl_diags_release(&diags);
}

/* A communicator of unlike members takes the slowest member's links for its pipeline and for
 * NCCL's view (as NCCL's graph search sets a ring's speed by its slowest GPU), whichever rank
 * comes first: B200 GPUs (900 GB/s) with a 12-port Fusion ASIC (600 GB/s). */
static void test_wgraph__unlike_members_take_the_slowest_links(void **state) {
  (void)state;
  nvl_fixture f = nvl_fixture_open("fusion-gpu-asic.json", NVL_MODEL_DEFAULT, false);
  const char *sel[] = {"gpu[0:4],asic0", "asic0,gpu[0:4]", "gpu[0:4]"};
  double want[] = {600e9, 600e9, 900e9};
  for (int i = 0; i < 3; i++) {
    nvl_diags diags = NVL_DIAGS_INIT;
    nvl_workload_spec spec = {
        .ctx = nvl_test_ctx(), .model = NVL_MODEL_DEFAULT, .seed = 1, .explicit_ranks = true};
    spec.jobs = calloc(1, sizeof *spec.jobs);
    spec.n_jobs = 1;
    spec.jobs[0] = (nvl_job){.coll = NVL_COLL_ALL_REDUCE, .algo = NVL_ALGO_RING, .proto = -1};
    snprintf(spec.jobs[0].ranks_sel, sizeof spec.jobs[0].ranks_sel, "%s", sel[i]);
    assert_int_equal(nvl_workload_resolve(&spec, f.d, f.p, &diags), 0);
    nvl_comm c;
    nvl_comm_init(&c, &nvl_test_ctx()->cal, &spec.jobs[0], f.d, f.p, &spec);
    assert_close(c.bw_Bps, want[i], 1e-9 * want[i]);
    assert_int_equal(c.generation, 5);
    nvl_comm_release(&c);
    nvl_workload_spec_release(&spec);
    nvl_diags_release(&diags);
  }
  nvl_fixture_close(&f);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_wgraph__unlike_members_take_the_slowest_links),
    cmocka_unit_test(test_wgraph__non_finite_values_never_reach_the_engine),
    cmocka_unit_test(test_wgraph__independent_sends_share_a_link),
    cmocka_unit_test(test_wgraph__max_min_with_unequal_sizes),
    cmocka_unit_test(test_wgraph__dependent_operations_add_up),
    cmocka_unit_test(test_wgraph__join_waits_for_the_slowest),
    cmocka_unit_test(test_wgraph__compute_shares_its_endpoint),
    cmocka_unit_test(test_wgraph__collective_beside_a_send),
    cmocka_unit_test(test_wgraph__compute_beside_an_independent_collective_takes_the_max),
    cmocka_unit_test(test_wgraph__sharing_ignores_route_latency),
    cmocka_unit_test(test_wgraph__rejects_bad_operations),
};
NVL_TEST_MAIN(tests)
