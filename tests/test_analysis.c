/* The info figures of every reference design (sim/graph.c, sim/analysis.c). */
#include "nvl_test.h"
#include "graph/analysis.h"
#include "design/design.h"
#include "graph/graph.h"

/* diagnostics of the graph calls (igraph failures would land here) */
static nvl_diags g_diags = NVL_DIAGS_INIT;

typedef struct {
  nvl_design *d;
  nvl_graph *g;
  nvl_analysis a;
} loaded;

static loaded load_ref(const char *name) {
  char path[512];
  snprintf(path, sizeof path, "%s/topologies/%s", NVL_SOURCE_DIR, name);
  loaded L = {0};
  nvl_diags diags = NVL_DIAGS_INIT;
  assert_int_equal(nvl_design_load_file(path, NULL, &L.d, &diags), NVL_LOAD_OK);
  nvl_diags_release(&diags);
  L.g = nvl_graph_new(L.d, &g_diags);
  assert_int_equal(nvl_analysis_run(L.d, L.g, &L.a, &g_diags), 0);
  nvl_check checks[NVL_CHECK_MAX];
  size_t n = nvl_analysis_check(L.d, &L.a, &diags, checks);
  assert_int_equal(diags.errors, 0); /* every reference design meets its own expect block */
  assert_true(n >= 3);
  nvl_diags_release(&diags);
  return L;
}

static void release(loaded *L) {
  nvl_graph_free(L->g);
  nvl_design_free(L->d);
}

/* Oversubscription: a switch's down bandwidth per up bandwidth, tiers counted from the
 * endpoints, the largest over the switches with up links: one tier (HGX H100) has none; the
 * rail-optimized pod and the GB200 racks on InfiniBand are non-blocking (a leaf's 32 NICs at 50
 * GB/s against 32 uplinks), NVL576's rack switches 2:1 (72 GPU links against 36 to the spines);
 * a leaf of 8 NICs with 2 uplinks is 4:1. */
static void test_analysis__oversubscription(void **state) {
  (void)state;
  const char *names[] = {"hgx-h100.json", "h100-pod-256.json", "gb200-nvl72-x16.json",
                         "nvl576.json"};
  double want[] = {0, 1, 1, 2};
  for (int i = 0; i < 4; i++) {
    loaded L = load_ref(names[i]);
    assert_close(L.a.oversub.ratio, want[i], 1e-9);
    assert_true((L.a.oversub.dev >= 0) == (want[i] > 0));
    release(&L);
  }
  char path[512];
  snprintf(path, sizeof path, "%s/tests/designs/hgx-h100-shared-leaves.json", NVL_SOURCE_DIR);
  nvl_design *d;
  nvl_diags diags = NVL_DIAGS_INIT;
  assert_int_equal(nvl_design_load_file(path, NULL, &d, &diags), NVL_LOAD_OK);
  nvl_oversub o;
  nvl_analysis_oversubscription(d, &o);
  assert_close(o.ratio, 4, 1e-9);
  assert_close(o.down_Bps, 8 * 50e9, 1e-9);
  assert_string_equal(d->devices[o.dev].name, "leaf0");
  nvl_design_free(d);
  nvl_diags_release(&diags);
}

static void test_analysis__gb200_nvl72(void **state) {
  loaded L = load_ref("gb200-nvl72.json");
  assert_int_equal(L.a.participants, 72);
  assert_close(L.a.fabric_bidir_Bps, 129.6e12, 1e-12);
  assert_close(L.a.bisection.bw_Bps, 32.4e12, 1e-12);
  assert_close(L.a.inject_min_Bps, 900e9, 1e-12);
  assert_int_equal(L.a.hops.max_switch_hops, 1);
  assert_int_equal(L.a.diversity.min_paths, 18);
  assert_int_equal(L.d->n_devices, 72 + 36 + 18);
  /* all 72 GPUs are interchangeable (their C2C links lead to CPUs, which do not forward): one
   * class of equivalent pairs covers all 5112, exactly */
  assert_int_equal(L.a.diversity.pairs, 1);
  assert_false(L.a.diversity.sampled);
  release(&L);
}

static void test_analysis__gb300_nvl72_same_fabric(void **state) {
  loaded L = load_ref("gb300-nvl72.json");
  assert_close(L.a.fabric_bidir_Bps, 129.6e12, 1e-12);
  assert_close(L.a.bisection.bw_Bps, 32.4e12, 1e-12);
  release(&L);
}

static void test_analysis__hgx_h100(void **state) {
  loaded L = load_ref("hgx-h100.json");
  assert_close(L.a.inject_min_Bps, 450e9, 1e-12);
  assert_close(L.a.inject_max_Bps, 450e9, 1e-12);
  /* NVIDIA quotes 3.6 TB/s bidirectional bisection: 1.8 TB/s per direction */
  assert_close(L.a.bisection.bw_Bps, 1.8e12, 1e-12);
  assert_int_equal(L.a.diversity.min_paths, 18);
  release(&L);
}

static void test_analysis__hgx_a100(void **state) {
  loaded L = load_ref("hgx-a100.json");
  assert_close(L.a.inject_min_Bps, 300e9, 1e-12);
  assert_close(L.a.bisection.bw_Bps, 1.2e12, 1e-12);
  assert_int_equal(L.a.diversity.min_paths, 12);
  release(&L);
}

static void test_analysis__hgx_b200(void **state) {
  loaded L = load_ref("hgx-b200.json");
  assert_close(L.a.inject_min_Bps, 900e9, 1e-12);
  assert_close(L.a.bisection.bw_Bps, 3.6e12, 1e-12);
  release(&L);
}

static void test_analysis__nvl576_two_tiers(void **state) {
  loaded L = load_ref("nvl576.json");
  assert_int_equal(L.a.participants, 576);
  assert_int_equal(L.a.hops.max_switch_hops, 3);
  /* 2:1 taper: half the racks inject 259.2 TB/s, their uplinks carry 129.6 TB/s */
  assert_close(L.a.bisection.bw_Bps, 129.6e12, 1e-12);
  assert_close(L.a.fabric_bidir_Bps, 576 * 1.8e12, 1e-12);
  assert_int_equal(L.a.diversity.min_paths, 18);
  /* one group per rack; the racks are alike, so two classes of pairs: within a rack, across */
  assert_int_equal(L.a.diversity.pairs, 2);
  release(&L);
}

static void test_analysis__fusion_asic_planes(void **state) {
  loaded L = load_ref("fusion-gpu-asic.json");
  assert_int_equal(L.a.participants, 72);
  assert_close(L.a.inject_min_Bps, 600e9, 1e-12); /* 12 ports x 50 GB/s */
  assert_close(L.a.inject_max_Bps, 900e9, 1e-12);
  assert_string_equal(L.d->devices[L.a.inject_min_dev].name, "asic0");
  assert_int_equal(L.a.diversity.min_paths, 12);
  /* halves: gpu0..35 | gpu36..63 + asic0..7: 36 x 18 links vs 28 x 18 + 8 x 12 */
  assert_close(L.a.bisection.bw_Bps, 600 * 50e9, 1e-12);
  release(&L);
}

static void test_analysis__fusion_custom_cpu(void **state) {
  loaded L = load_ref("fusion-custom-cpu.json");
  assert_int_equal(L.a.participants, 36);
  assert_close(L.a.bisection.bw_Bps, 16.2e12, 1e-12);
  assert_close(nvl_graph_c2c_Bps(L.g, nvl_design_find_device(L.d, "gpu0")), 450e9, 1e-12);
  release(&L);
}

static void test_analysis__expect_failures_are_reported(void **state) {
  const char *json =
      "{\"name\":\"t\",\"system\":{\"endpoints\":[{\"name\":\"gpu\",\"type\":\"h100\",\"count\":4}]"
      ","
      "\"switches\":[{\"name\":\"sw\",\"type\":\"nvswitch3\",\"count\":2}],\"wiring\":[{\"rule\":"
      "\"full\",\"from\":\"gpu[0:2]\",\"to\":\"sw[0:1]\",\"link\":\"nvlink4\",\"links\":18},"
      "{\"rule\":\"full\",\"from\":\"gpu[2:4]\",\"to\":\"sw[1:2]\",\"link\":\"nvlink4\",\"links\":"
      "18}]},"
      "\"expect\":{\"max_switch_hops\":0,\"min_bisection_bandwidth\":\"1 TB/s\"}}";
  nvl_diags diags = NVL_DIAGS_INIT;
  nvl_design *d = NULL;
  assert_int_equal(nvl_design_load_buffer(json, strlen(json), "t", NULL, &d, &diags), NVL_LOAD_OK);
  nvl_graph *g = nvl_graph_new(d, &g_diags);
  nvl_analysis a;
  assert_int_equal(nvl_analysis_run(d, g, &a, &g_diags), 0);
  assert_int_equal(a.hops.unreachable, 8); /* 2 x 2 pairs, both directions */
  assert_close(a.bisection.bw_Bps, 0, 0);
  nvl_check checks[NVL_CHECK_MAX];
  size_t before = diags.errors;
  size_t n = nvl_analysis_check(d, &a, &diags, checks);
  assert_int_equal(n, 3);
  assert_int_equal(diags.errors - before, 3);
  assert_false(checks[0].passed);
  assert_string_equal(checks[0].name, "all_reachable");
  nvl_diags_release(&diags);
  nvl_graph_free(g);
  nvl_design_free(d);
}

static void test_analysis__failed_switch_costs_one_eighteenth(void **state) {
  /* NVL72 with one of its 18 chips failed keeps 17/18 of its bisection and injection */
  const char *fails[] = {"switch:sw4", NULL};
  nvl_load_opts opts = {.failures = fails};
  char path[512];
  snprintf(path, sizeof path, "%s/topologies/gb200-nvl72.json", NVL_SOURCE_DIR);
  nvl_diags diags = NVL_DIAGS_INIT;
  nvl_design *d = NULL;
  assert_int_equal(nvl_design_load_file(path, &opts, &d, &diags), NVL_LOAD_OK);
  assert_int_equal(d->n_failures, 1);
  assert_int_equal(d->failures[0].links, 72);
  nvl_graph *g = nvl_graph_new(d, &g_diags);
  nvl_analysis a;
  assert_int_equal(nvl_analysis_run(d, g, &a, &g_diags), 0);
  assert_close(a.bisection.bw_Bps, 32.4e12 * 17 / 18, 1e-12);
  assert_close(a.inject_min_Bps, 850e9, 1e-12);
  assert_int_equal(a.diversity.min_paths, 17);
  assert_int_equal(a.hops.unreachable, 0);
  nvl_graph_free(g);
  nvl_design_free(d);
  /* a degraded link lowers only its endpoint's injection */
  const char *deg[] = {"link:gpu3-sw7=50%", NULL};
  opts.failures = deg;
  assert_int_equal(nvl_design_load_file(path, &opts, &d, &diags), NVL_LOAD_OK);
  g = nvl_graph_new(d, &g_diags);
  assert_int_equal(nvl_analysis_run(d, g, &a, &g_diags), 0);
  assert_close(a.inject_min_Bps, 875e9, 1e-12);
  assert_string_equal(d->devices[a.inject_min_dev].name, "gpu3");
  nvl_graph_free(g);
  nvl_design_free(d);
  nvl_diags_release(&diags);
}

static void test_analysis__export_dot_and_graphml(void **state) {
  nvl_design *d = nvl_design_load_default();
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  assert_int_equal(nvl_graph_export(d, "dot", f, &g_diags), 0);
  fclose(f);
  size_t edges = 0;
  for (char *p = buf; (p = strstr(p, " -- ")); p++)
    edges++;
  assert_int_equal(edges, d->n_links); /* 1296 GPU-switch + 72 C2C bundles */
  assert_int_equal(edges, 1296 + 72);
  free(buf);
  f = open_memstream(&buf, &len);
  assert_int_equal(nvl_graph_export(d, "graphml", f, &g_diags), 0);
  fclose(f);
  assert_non_null(strstr(buf, "<graphml"));
  assert_non_null(strstr(buf, "bandwidth_GBps"));
  free(buf);
  assert_int_equal(nvl_graph_export(d, "svg", stdout, &g_diags), -1);
  nvl_design_free(d);
}

static void test_analysis__igraph_errors_become_diagnostics(void **state) {
  (void)state;
  /* igraph fails to write to a stream opened for reading: the error handler keeps its reason,
   * IGRAPH_FINALLY frees what the call held (the sanitizer build would see a leak), and the
   * caller gets -1 and the reason */
  nvl_design *d = nvl_design_load_default();
  FILE *ro = fopen("/dev/null", "r");
  assert_non_null(ro);
  nvl_diags diags = NVL_DIAGS_INIT;
  assert_int_equal(nvl_graph_export(d, "dot", ro, &diags), -1);
  fclose(ro);
  assert_int_equal(diags.errors, 1);
  assert_non_null(strstr(diags.items[0].message, "export: igraph: "));
  /* and the next call works as before */
  FILE *null = fopen("/dev/null", "w");
  nvl_diags ok = NVL_DIAGS_INIT;
  assert_int_equal(nvl_graph_export(d, "graphml", null, &ok), 0);
  assert_int_equal(ok.errors, 0);
  fclose(null);
  nvl_diags_release(&diags);
  nvl_design_free(d);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_analysis__oversubscription),
    cmocka_unit_test(test_analysis__gb200_nvl72),
    cmocka_unit_test(test_analysis__gb300_nvl72_same_fabric),
    cmocka_unit_test(test_analysis__hgx_h100),
    cmocka_unit_test(test_analysis__hgx_a100),
    cmocka_unit_test(test_analysis__hgx_b200),
    cmocka_unit_test(test_analysis__nvl576_two_tiers),
    cmocka_unit_test(test_analysis__fusion_asic_planes),
    cmocka_unit_test(test_analysis__fusion_custom_cpu),
    cmocka_unit_test(test_analysis__expect_failures_are_reported),
    cmocka_unit_test(test_analysis__failed_switch_costs_one_eighteenth),
    cmocka_unit_test(test_analysis__export_dot_and_graphml),
    cmocka_unit_test(test_analysis__igraph_errors_become_diagnostics),
};
NVL_TEST_MAIN(tests)
