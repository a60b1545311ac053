/*
 * Chakra execution traces (sim/workload/chakra.h): traces written here (tests/chakra_gen.h) run
 * as the same workload expressed natively does, to 1e-9 relative: a single collective of every
 * type on 72 NPUs equals `nvlsim run` of it (all_gather's comm_size being each NPU's input), a
 * compute -> all_reduce -> compute chain adds up in closed form, a send/recv ring equals the
 * native sends, process groups equal their own runs. Bad traces give one specific error each.
 */
#include "nvl_fixture.h"

#include <inttypes.h>
#include <sys/stat.h>
#include <unistd.h>

#include "chakra_gen.h"
#include "cli/simulate.h"
#include "output/npus.h"
#include "workload/chakra.h"

#define TOL 1e-9

static char dir[64];
static double flops; /* --flops of the next run_trace (0: none) */

static int setup(void **state) {
  (void)state;
  snprintf(dir, sizeof dir, "/tmp/nvl-chakra-XXXXXX");
  return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  return system(cmd) == 0 ? 0 : -1;
}

static const char *prefix(const char *name) {
  static char p[160];
  snprintf(p, sizeof p, "%s/%s", dir, name);
  return p;
}

typedef struct {
  nvl_npu_results r;
  int rc;
  char error[NVL_DIAG_MSG_MAX];
} outcome;

/* Runs a trace on the first N participants of `ranks` ("" all) of a reference design. */
static outcome run_trace(const char *pre, const char *design, nvl_model model, const char *ranks) {
  outcome o;
  memset(&o, 0, sizeof o);
  nvl_fixture f = nvl_fixture_open(design, model, false);
  nvl_diags diags = NVL_DIAGS_INIT;
  nvl_workload_spec spec = {.ctx = nvl_test_ctx(), .model = model, .seed = 1};
  spec.jobs = calloc(1, sizeof *spec.jobs);
  spec.n_jobs = 1;
  spec.jobs[0] = (nvl_job){.coll = NVL_COLL_ALL_REDUCE, .algo = NVL_ALGO_AUTO, .proto = -1};
  snprintf(spec.jobs[0].ranks_sel, sizeof spec.jobs[0].ranks_sel, "%s", ranks);
  assert_int_equal(nvl_workload_resolve(&spec, f.d, f.p, &diags), 0);
  nvl_chakra c;
  nvl_wgraph g = NVL_WGRAPH_INIT;
  nvl_ct_map map;
  o.rc = nvl_chakra_load(pre, (size_t)spec.jobs[0].n, 0, &c, &diags);
  if (o.rc == 0) {
    spec.jobs[0].n = (int)c.n;
    c.flops = flops;
    o.rc = nvl_chakra_graph(&c, &spec, &g, &map, &diags);
    nvl_chakra_release(&c);
  }
  if (o.rc == 0) {
    spec.explicit_ranks |= map.n_transfers > 0 || map.n_groups > 0;
    nvl_workload_run *wr = nvl_workload_run_graph(&spec, f.d, f.p, &g);
    assert_non_null(wr);
    nvl_task_graph tg;
    nvl_workload_tasks(wr, &tg);
    nvl_engine_result res;
    o.rc = nvl_engine_run_forked(f.p, &tg, &res, &diags);
    if (o.rc == 0) {
      nvl_npu_results_compute(&map, &res, &o.r);
      nvl_engine_result_release(&res);
    }
    nvl_workload_run_free(wr);
    nvl_ct_map_release(&map);
  }
  if (diags.count)
    snprintf(o.error, sizeof o.error, "%s", diags.items[0].message);
  nvl_wgraph_release(&g);
  nvl_workload_spec_release(&spec);
  nvl_fixture_close(&f);
  nvl_diags_release(&diags);
  return o;
}

/* nccl-tests' time of one collective of S bytes, natively (`nvlsim run -c COLL -b S -e S`). */
static double native_time(const char *design, nvl_model model, const char *ranks, nvl_coll coll,
                          uint64_t S) {
  nvl_fixture f = nvl_fixture_open(design, model, false);
  nvl_workload_spec spec = {.ctx = nvl_test_ctx(), .model = model, .seed = 1};
  spec.jobs = calloc(1, sizeof *spec.jobs);
  spec.n_jobs = 1;
  spec.jobs[0] = (nvl_job){.coll = coll, .algo = NVL_ALGO_AUTO, .proto = -1, .size_bytes = S};
  snprintf(spec.jobs[0].ranks_sel, sizeof spec.jobs[0].ranks_sel, "%s", ranks);
  nvl_results rows = NVL_RESULTS_INIT;
  nvl_diags diags = NVL_DIAGS_INIT;
  nvl_sim_opts so = {.forked = true};
  assert_int_equal(nvl_simulate(f.d, &spec, &so, &rows, &diags), 0);
  double t = rows.rows[0].time_us * 1e-6;
  nvl_results_release(&rows);
  nvl_workload_spec_release(&spec);
  nvl_fixture_close(&f);
  nvl_diags_release(&diags);
  return t;
}

static void assert_near(double a, double b, double tol) {
  if (fabs(a - b) > tol * fmax(fabs(a), fabs(b)) + 1e-15) {
    print_error("%.17g != %.17g\n", a, b);
    fail();
  }
}

static void test_chakra__single_collectives_equal_native_runs(void **state) {
  /* 72 NPUs on GB200 NVL72, default model: each collective as one node per NPU */
  const int types[6] = {NVL_CT_ALL_REDUCE, NVL_CT_ALL_GATHER, NVL_CT_REDUCE_SCATTER,
                        NVL_CT_ALL_TO_ALL, NVL_CT_BROADCAST,  NVL_CT_REDUCE};
  const nvl_coll colls[6] = {NVL_COLL_ALL_REDUCE, NVL_COLL_ALL_GATHER, NVL_COLL_REDUCE_SCATTER,
                             NVL_COLL_ALLTOALL,   NVL_COLL_BROADCAST,  NVL_COLL_REDUCE};
  const uint64_t S = 72ull * 4 * 65536; /* 18 MiB */
  for (int k = 0; k < 6; k++) {
    const char *pre = prefix("coll");
    uint64_t size = types[k] == NVL_CT_ALL_GATHER ? S / 72 : S; /* ASTRA-sim's convention */
    for (int i = 0; i < 72; i++) {
      FILE *f = ctw_open(pre, i, "1.0.0");
      ctw_coll(f, 7, types[k], size, NULL, NULL, 0);
      fclose(f);
    }
    outcome o = run_trace(pre, "gb200-nvl72.json", NVL_MODEL_DEFAULT, "");
    assert_int_equal(o.rc, 0);
    assert_int_equal(o.r.n, 72);
    double t = native_time("gb200-nvl72.json", NVL_MODEL_DEFAULT, "", colls[k], S);
    assert_near(o.r.end_s, t, TOL);
    for (size_t i = 0; i < 72; i++)
      assert_near(o.r.finish_s[i], t, TOL);
    assert_true(o.r.compute_s[0] == 0);
    nvl_npu_results_release(&o.r);
  }
}

static void test_chakra__compute_collective_compute_chain_adds_up(void **state) {
  /* on 8 NPUs of HGX H100: 30 us of compute, an all_reduce, then 20 us: end = 50 us + T(ar),
   * and the exposed communication is T(ar); schema 0.0.4 reads as 1.0.0 does */
  const uint64_t S = 8ull * 1048576;
  const char *pre = prefix("chain");
  for (int i = 0; i < 8; i++) {
    FILE *f = ctw_open(pre, i, "0.0.4");
    uint64_t d1[1] = {1}, d2[1] = {2};
    ctw_comp(f, 1, 30, NULL, 0);
    ctw_coll(f, 2, NVL_CT_ALL_REDUCE, S, NULL, d1, 1);
    ctw_comp(f, 3, 20, d2, 1);
    fclose(f);
  }
  outcome o = run_trace(pre, "hgx-h100.json", NVL_MODEL_DEFAULT, "");
  assert_int_equal(o.rc, 0);
  double t = native_time("hgx-h100.json", NVL_MODEL_DEFAULT, "", NVL_COLL_ALL_REDUCE, S);
  assert_near(o.r.end_s, 50e-6 + t, TOL);
  assert_near(o.r.compute_s[3], 50e-6, TOL);
  assert_near(o.r.finish_s[3] - o.r.compute_s[3], t, TOL);
  nvl_npu_results_release(&o.r);
}

static void test_chakra__dependencies_serialize_and_independent_nodes_overlap(void **state) {
  /* NPU 0: 10 us, then 20 us (data dependency), then 5 us (control dependency): 35 us. NPU 1:
   * two independent 10 us nodes share the endpoint: both end at 20 us, compute 20 us. A memory
   * and a metadata node in between take no time but keep the order. */
  const char *pre = prefix("deps");
  FILE *f = ctw_open(pre, 0, "1.0.0");
  uint64_t a[1] = {1}, b[1] = {2}, c[1] = {3};
  ctw_comp(f, 1, 10, NULL, 0);
  ctw_node(f, 2, NVL_CT_MEM_LOAD, a, 1, NULL, 0, 0, NULL, 0);
  ctw_comp(f, 3, 20, b, 1);
  ctw_node(f, 4, NVL_CT_METADATA, NULL, 0, c, 1, 0, NULL, 0);
  uint64_t d[1] = {4};
  ctw_node(f, 5, NVL_CT_COMP, NULL, 0, d, 1, 5, NULL, 0);
  fclose(f);
  f = ctw_open(pre, 1, "1.0.0");
  ctw_comp(f, 1, 10, NULL, 0);
  ctw_comp(f, 2, 10, NULL, 0);
  fclose(f);
  outcome o = run_trace(pre, "hgx-h100.json", NVL_MODEL_IDEAL, "");
  assert_int_equal(o.rc, 0);
  assert_int_equal(o.r.n, 2);
  assert_near(o.r.finish_s[0], 35e-6, TOL);
  assert_near(o.r.compute_s[0], 35e-6, TOL);
  assert_near(o.r.finish_s[1], 20e-6, TOL);
  assert_near(o.r.compute_s[1], 20e-6, TOL);
  nvl_npu_results_release(&o.r);
}

static void test_chakra__num_ops_run_at_the_given_rate(void **state) {
  /* 2e9 FLOPs at 1e12 FLOP/s: 2 ms; then 30 us given as a duration (which wins over num_ops) */
  const char *pre = prefix("flops");
  FILE *f = ctw_open(pre, 0, "1.0.0");
  ctw_attr at[1] = {{"num_ops", 2000000000, NULL}};
  ctw_node(f, 1, NVL_CT_COMP, NULL, 0, NULL, 0, 0, at, 1);
  uint64_t d[1] = {1};
  ctw_node(f, 2, NVL_CT_COMP, d, 1, NULL, 0, 30, at, 1);
  fclose(f);
  flops = 1e12;
  outcome o = run_trace(pre, "hgx-h100.json", NVL_MODEL_IDEAL, "");
  flops = 0;
  assert_int_equal(o.rc, 0);
  assert_near(o.r.end_s, 2e-3 + 30e-6, TOL);
  nvl_npu_results_release(&o.r);
}

static void test_chakra__send_recv_ring_equals_closed_form(void **state) {
  /* 8 NPUs of HGX H100, ideal model: NPU i sends S to i + 1 and receives from i - 1, all at
   * once; each uses its own uplink and downlink: a + S/B (B = 450 GB/s, a = 350 ns), as the
   * native sends (tests/test_wgraph.c). The receives end with the transfers. */
  const double S = 64.0 * 1048576, B = 450e9, a = 350e-9;
  const char *pre = prefix("ring");
  for (int i = 0; i < 8; i++) {
    FILE *f = ctw_open(pre, i, "1.0.0");
    ctw_send(f, 1, (i + 1) % 8, 3, (uint64_t)S, NULL, 0);
    ctw_recv(f, 2, (i + 7) % 8, 3, NULL, 0);
    fclose(f);
  }
  outcome o = run_trace(pre, "hgx-h100.json", NVL_MODEL_IDEAL, "");
  assert_int_equal(o.rc, 0);
  for (int i = 0; i < 8; i++)
    assert_near(o.r.finish_s[i], a + S / B, 1e-6);
  nvl_npu_results_release(&o.r);
}

static void test_chakra__process_groups_run_as_their_own_communicators(void **state) {
  /* 8 NPUs of HGX H100: NPUs 0-3 all_reduce on group "a" while 4-7 do on "b": each group's time
   * is that of a 4-GPU all_reduce alone (every GPU has its own links) */
  const uint64_t S = 4ull * 1048576;
  const char *pre = prefix("groups");
  for (int i = 0; i < 8; i++) {
    FILE *f = ctw_open(pre, i, "1.0.0");
    ctw_coll(f, 1, NVL_CT_ALL_REDUCE, S, i < 4 ? "a" : "b", NULL, 0);
    fclose(f);
  }
  outcome o = run_trace(pre, "hgx-h100.json", NVL_MODEL_IDEAL, "");
  assert_int_equal(o.rc, 0);
  double t = native_time("hgx-h100.json", NVL_MODEL_IDEAL, "gpu[0:4]", NVL_COLL_ALL_REDUCE, S);
  for (int i = 0; i < 8; i++)
    assert_near(o.r.finish_s[i], t, TOL);
  nvl_npu_results_release(&o.r);
}

/* Each bad trace of 2 NPUs on HGX H100: a non-zero status and the message naming the fault. */
typedef void (*writer)(FILE *f, int npu);

static void expect_error(const char *name, writer w, int npus, const char *needle) {
  const char *pre = prefix(name);
  for (int i = 0; i < npus; i++) {
    FILE *f = ctw_open(pre, i, "1.0.0");
    w(f, i);
    fclose(f);
  }
  outcome o = run_trace(pre, "hgx-h100.json", NVL_MODEL_IDEAL, "");
  if (o.rc == 0 || !strstr(o.error, needle)) {
    print_error("%s: rc %d, error \"%s\" (expected \"%s\")\n", name, o.rc, o.error, needle);
    fail();
  }
  nvl_npu_results_release(&o.r);
}

static void w_missing_dep(FILE *f, int npu) {
  uint64_t d[1] = {99};
  ctw_comp(f, 1, 5, d, 1);
}
static void w_cycle(FILE *f, int npu) {
  uint64_t a[1] = {2}, b[1] = {1};
  ctw_comp(f, 1, 5, a, 1);
  ctw_comp(f, 2, 5, b, 1);
}
static void w_self(FILE *f, int npu) {
  uint64_t a[1] = {1};
  ctw_comp(f, 1, 5, a, 1);
}
static void w_duplicate(FILE *f, int npu) {
  ctw_comp(f, 1, 5, NULL, 0);
  ctw_comp(f, 1, 5, NULL, 0);
}
static void w_size_mismatch(FILE *f, int npu) {
  ctw_coll(f, 1, NVL_CT_ALL_REDUCE, npu ? 1024 : 2048, NULL, NULL, 0);
}
static void w_count_mismatch(FILE *f, int npu) {
  ctw_coll(f, 1, NVL_CT_ALL_REDUCE, 1024, NULL, NULL, 0);
  if (npu == 0)
    ctw_coll(f, 2, NVL_CT_ALL_REDUCE, 1024, NULL, NULL, 0);
}
static void w_unmatched_send(FILE *f, int npu) {
  if (npu == 0)
    ctw_send(f, 1, 1, 0, 1024, NULL, 0);
}
static void w_unmatched_recv(FILE *f, int npu) {
  if (npu == 1)
    ctw_recv(f, 1, 0, 5, NULL, 0);
}
static void w_send_to_self(FILE *f, int npu) { ctw_send(f, 1, npu, 0, 1024, NULL, 0); }
static void w_gather(FILE *f, int npu) { ctw_coll(f, 1, NVL_CT_GATHER, 1024, NULL, NULL, 0); }
static void w_num_ops(FILE *f, int npu) {
  ctw_attr at[1] = {{"num_ops", 1000000, NULL}};
  ctw_node(f, 1, NVL_CT_COMP, NULL, 0, NULL, 0, 0, at, 1);
}
static void w_negative(FILE *f, int npu) {
  ctw_attr at[2] = {{"comm_type", 0, NULL}, {"comm_size", -5, NULL}};
  ctw_node(f, 1, NVL_CT_COLL, NULL, 0, NULL, 0, 0, at, 2);
}
static void w_fine(FILE *f, int npu) { ctw_comp(f, 1, 5, NULL, 0); }
static void w_many_groups(FILE *f, int npu) { /* one more process group than nvlsim takes */
  for (int k = 0; k <= 65536; k++) {
    char pg[16];
    snprintf(pg, sizeof pg, "g%d", k);
    ctw_coll(f, (uint64_t)k + 1, NVL_CT_ALL_REDUCE, 1024, pg, NULL, 0);
  }
}

static void w_long_group(FILE *f, int npu) { /* a name longer than nvlsim holds: not cut */
  char pg[80];
  memset(pg, 'g', sizeof pg - 1);
  pg[sizeof pg - 1] = 0;
  ctw_coll(f, 1, NVL_CT_ALL_REDUCE, 1024, pg, NULL, 0);
}
static int bad_type; /* the node type w_bad_type writes */
static void w_bad_type(FILE *f, int npu) { ctw_node(f, 1, bad_type, NULL, 0, NULL, 0, 5, NULL, 0); }

/* Files numbered with a gap (.0, .1, .3 without .2) are refused, not run as the first two. */
static void test_chakra__a_missing_rank_file_is_refused(void **state) {
  (void)state;
  const char *pre = prefix("gap");
  int have[] = {0, 1, 3};
  for (int i = 0; i < 3; i++) {
    FILE *f = ctw_open(pre, have[i], "1.0.0");
    ctw_comp(f, 1, 5, NULL, 0);
    fclose(f);
  }
  outcome o = run_trace(pre, "hgx-h100.json", NVL_MODEL_IDEAL, "");
  if (o.rc == 0 || !strstr(o.error, "gap.2.et is missing, but") || !strstr(o.error, "gap.3.et"))
    print_error("rc %d, error \"%s\"\n", o.rc, o.error), fail();
  nvl_npu_results_release(&o.r);
}

/* The memory budget: a trace that could need more (its nodes at NVL_CT_NODE_BYTES, its
 * dependencies at NVL_CT_DEP_BYTES, over all its files) is refused while it is read, naming the
 * budget and the count where it stopped; one just within the budget is read. Nodes and
 * dependencies, in the first file and in a later one. */
static void test_chakra__traces_beyond_the_memory_budget_are_refused(void **state) {
  (void)state;
  const char *pre = prefix("budget");
  for (int npu = 0; npu < 2; npu++) { /* 100 nodes each, node k depending on node k - 1 */
    FILE *f = ctw_open(pre, npu, "1.0.0");
    for (uint64_t k = 1; k <= 100; k++) {
      uint64_t d = k - 1;
      ctw_comp(f, k, 5, k > 1 ? &d : NULL, k > 1);
    }
    fclose(f);
  }
  uint64_t all = 200ull * NVL_CT_NODE_BYTES + 198ull * NVL_CT_DEP_BYTES;
  static const struct {
    uint64_t budget;
    const char *where; /* NULL: read */
  } cases[] = {
      {0, NULL}, /* the default */
      {200ull * NVL_CT_NODE_BYTES + 198ull * NVL_CT_DEP_BYTES, NULL},
      {200ull * NVL_CT_NODE_BYTES + 198ull * NVL_CT_DEP_BYTES - 1, "budget.1.et"},
      {50ull * NVL_CT_NODE_BYTES, "budget.0.et"},
      {100ull * NVL_CT_NODE_BYTES + 99ull * NVL_CT_DEP_BYTES, "budget.1.et"},
  };
  assert_true(cases[1].budget == all);
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    nvl_chakra c;
    nvl_diags diags = NVL_DIAGS_INIT;
    int rc = nvl_chakra_load(pre, 2, cases[i].budget, &c, &diags);
    if (!cases[i].where) {
      assert_int_equal(rc, 0);
      assert_int_equal(c.n, 2);
      nvl_chakra_release(&c);
    } else {
      assert_int_equal(rc, -1);
      const char *m = diags.count ? diags.items[0].message : "";
      char want[64];
      snprintf(want, sizeof want, "(%" PRIu64 " bytes;", cases[i].budget);
      if (!strstr(m, cases[i].where) || !strstr(m, "exceeds its memory budget") || !strstr(m, want))
        print_error("case %zu: %s\n", i, m), fail();
    }
    nvl_diags_release(&diags);
  }
}

/* A prefix of any length is held whole (a 600-byte buffer cut one near 595 characters and read
 * another file): nested folders make a prefix of 700 characters. */
static void test_chakra__long_prefixes_are_held_whole(void **state) {
  (void)state;
  char path[800];
  int n = snprintf(path, sizeof path, "%s", dir);
  for (int k = 0; k < 3; k++) {
    n += snprintf(path + n, sizeof path - (size_t)n, "/%0200d", k);
    assert_int_equal(mkdir(path, 0700), 0);
  }
  snprintf(path + n, sizeof path - (size_t)n, "/trace");
  assert_true(strlen(path) > 600);
  for (int i = 0; i < 2; i++) {
    FILE *f = ctw_open(path, i, "1.0.0");
    assert_non_null(f);
    ctw_coll(f, 1, NVL_CT_ALL_REDUCE, 1024, NULL, NULL, 0);
    fclose(f);
  }
  outcome o = run_trace(path, "hgx-h100.json", NVL_MODEL_IDEAL, "");
  if (o.rc != 0)
    print_error("%s\n", o.error);
  assert_int_equal(o.rc, 0);
  assert_int_equal(o.r.n, 2);
  nvl_npu_results_release(&o.r);
}

static void test_chakra__bad_graphs_are_named(void **state) {
  expect_error("missing", w_missing_dep, 2, "depends on node 99, which this file does not have");
  expect_error("cycle", w_cycle, 2, "dependency cycle");
  expect_error("self", w_self, 2, "depends on itself");
  expect_error("dup", w_duplicate, 2, "a second node with this id");
  expect_error("size", w_size_mismatch, 2, "differs from its match");
  expect_error("count", w_count_mismatch, 2, "every member must take part");
  expect_error("send", w_unmatched_send, 2, "a send that no receive");
  expect_error("recv", w_unmatched_recv, 2, "a receive that no send");
  expect_error("self-send", w_send_to_self, 2, "comm_dst");
  expect_error("gather", w_gather, 2, "comm_type is not one nvlsim runs");
  expect_error("num-ops", w_num_ops, 2, "duration_micros");
  expect_error("negative", w_negative, 2, "not a non-negative integer");
  expect_error("too-many", w_fine, 9, "more NPUs than the 8 participants");
  expect_error("groups", w_many_groups, 1, "more than 65,536 process groups");
  expect_error("long-group", w_long_group, 2, "process group name of 79 bytes (at most 63)");
  int types[] = {0, 8, 99, -1};
  for (size_t i = 0; i < sizeof types / sizeof *types; i++) {
    char name[32];
    snprintf(name, sizeof name, "type%zu", i);
    bad_type = types[i];
    expect_error(name, w_bad_type, 2, "is not a Chakra node type nvlsim runs");
  }
}

static void write_bytes(const char *pre, int npu, const void *b, size_t n) {
  char path[200];
  snprintf(path, sizeof path, "%s.%d.et", pre, npu);
  FILE *f = fopen(path, "wb");
  fwrite(b, 1, n, f);
  fclose(f);
}

static void expect_file_error(const char *pre, const char *needle) {
  outcome o = run_trace(pre, "hgx-h100.json", NVL_MODEL_IDEAL, "");
  if (o.rc == 0 || !strstr(o.error, needle)) {
    print_error("%s: rc %d, error \"%s\" (expected \"%s\")\n", pre, o.rc, o.error, needle);
    fail();
  }
}

static void test_chakra__corrupt_files_are_refused(void **state) {
  /* truncated: every cut of a good file short of its end (but the one after the metadata,
   * which leaves a valid trace without nodes) */
  const char *pre = prefix("cut");
  FILE *f = ctw_open(pre, 0, "1.0.0");
  long meta = ftell(f);
  ctw_coll(f, 1, NVL_CT_ALL_REDUCE, 1024, NULL, NULL, 0);
  long len = ftell(f);
  fclose(f);
  char path[200];
  snprintf(path, sizeof path, "%s.0.et", pre);
  unsigned char whole[256];
  f = fopen(path, "rb");
  assert_int_equal(fread(whole, 1, (size_t)len, f), (size_t)len);
  fclose(f);
  for (long cut = 1; cut < len; cut++) {
    if (cut == meta)
      continue;
    write_bytes(pre, 0, whole, (size_t)cut);
    outcome o = run_trace(pre, "hgx-h100.json", NVL_MODEL_IDEAL, "");
    assert_int_not_equal(o.rc, 0);
    assert_true(strstr(o.error, "truncated") || strstr(o.error, "corrupt") ||
                strstr(o.error, "GlobalMetadata"));
  }
  write_bytes(prefix("empty"), 0, "", 0);
  expect_file_error(prefix("empty"), "empty");
  static const unsigned char junk[] = {0x05, 0xff, 0xff, 0xff, 0xff, 0xff};
  write_bytes(prefix("junk"), 0, junk, sizeof junk);
  expect_file_error(prefix("junk"), "GlobalMetadata");
  static const unsigned char huge[] = {0xff, 0xff, 0xff, 0xff, 0x0f, 0x00};
  write_bytes(prefix("huge"), 0, huge, sizeof huge);
  expect_file_error(prefix("huge"), "corrupt");
  f = ctw_open(prefix("version"), 0, "2.0.0");
  fclose(f);
  expect_file_error(prefix("version"), "version \"2.0.0\" is not one nvlsim reads");
  expect_file_error(prefix("absent"), "PREFIX.0.et, PREFIX.1.et");
  char fifo[200];
  snprintf(fifo, sizeof fifo, "%s.0.et", prefix("fifo"));
  assert_int_equal(mkfifo(fifo, 0600), 0);
  expect_file_error(prefix("fifo"), "not a regular file");
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_chakra__single_collectives_equal_native_runs, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(test_chakra__compute_collective_compute_chain_adds_up, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(
        test_chakra__dependencies_serialize_and_independent_nodes_overlap, setup, teardown),
    cmocka_unit_test_setup_teardown(test_chakra__num_ops_run_at_the_given_rate, setup, teardown),
    cmocka_unit_test_setup_teardown(test_chakra__send_recv_ring_equals_closed_form, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(test_chakra__process_groups_run_as_their_own_communicators,
                                    setup, teardown),
    cmocka_unit_test_setup_teardown(test_chakra__bad_graphs_are_named, setup, teardown),
    cmocka_unit_test_setup_teardown(test_chakra__a_missing_rank_file_is_refused, setup, teardown),
    cmocka_unit_test_setup_teardown(test_chakra__long_prefixes_are_held_whole, setup, teardown),
    cmocka_unit_test_setup_teardown(test_chakra__traces_beyond_the_memory_budget_are_refused, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(test_chakra__corrupt_files_are_refused, setup, teardown),
};

NVL_TEST_MAIN(tests)
