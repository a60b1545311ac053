/* Unit tests of the design loader and rule expansion (sim/design.c). */
#include "nvl_test.h"
#include "design/design.h"

static nvl_design *load(const char *json, nvl_diags *diags) {
  nvl_design *d = NULL;
  nvl_design_load_buffer(json, strlen(json), "t.json", NULL, &d, diags);
  return d;
}

static nvl_design *load_ok(const char *json) {
  nvl_diags diags = NVL_DIAGS_INIT;
  nvl_design *d = load(json, &diags);
  for (size_t i = 0; i < diags.count; i++)
    if (diags.items[i].severity == NVL_SEV_ERROR)
      print_error("%s: %s\n", diags.items[i].pointer, diags.items[i].message);
  assert_non_null(d);
  assert_int_equal(diags.errors, 0);
  nvl_diags_release(&diags);
  return d;
}

static int links_between(const nvl_design *d, const char *a, const char *b) {
  int ia = nvl_design_find_device(d, a), ib = nvl_design_find_device(d, b), n = 0;
  for (size_t k = 0; k < d->n_links; k++)
    if ((d->links[k].a == ia && d->links[k].b == ib) ||
        (d->links[k].a == ib && d->links[k].b == ia))
      n += d->links[k].count;
  return n;
}

static void test_design__names_are_global_per_prefix(void **state) {
  nvl_design *d = load_ok(
      "{\"name\":\"t\",\"groups\":{\"tray\":{\"endpoints\":[{\"name\":\"gpu\",\"type\":\"b200\","
      "\"count\":4}]},\"rack\":{\"switches\":[{\"name\":\"sw\",\"type\":\"nvswitch4\",\"count\":2}]"
      ","
      "\"include\":[{\"group\":\"tray\",\"count\":3}],\"wiring\":[{\"rule\":\"full\",\"from\":"
      "\"gpu\","
      "\"to\":\"sw\",\"link\":\"nvlink5\",\"links\":6}]}},\"system\":{\"include\":[{\"group\":"
      "\"rack\","
      "\"count\":2}]}}");
  assert_int_equal(d->n_devices, 2 * (2 + 12));
  assert_true(nvl_design_find_device(d, "gpu23") >= 0);
  assert_int_equal(nvl_design_find_device(d, "gpu24"), -1);
  assert_int_equal(nvl_design_find_device(d, "gpu01"), -1);
  /* wiring stays inside each rack: gpu0..11 with sw0..1, gpu12..23 with sw2..3 */
  assert_int_equal(links_between(d, "gpu0", "sw1"), 6);
  assert_int_equal(links_between(d, "gpu12", "sw2"), 6);
  assert_int_equal(links_between(d, "gpu0", "sw2"), 0);
  assert_int_equal(d->n_links, 2 * 12 * 2);
  nvl_design_free(d);
}

static void test_design__links_list_per_target(void **state) {
  nvl_design *d = load_ok(
      "{\"name\":\"t\",\"system\":{\"endpoints\":[{\"name\":\"gpu\",\"type\":\"h100\",\"count\":2}]"
      ","
      "\"switches\":[{\"name\":\"sw\",\"type\":\"nvswitch3\",\"count\":4}],\"wiring\":[{\"rule\":"
      "\"full\",\"from\":\"gpu\",\"to\":\"sw\",\"link\":\"nvlink4\",\"links\":[5,4,4,5]}]}}");
  assert_int_equal(links_between(d, "gpu1", "sw0"), 5);
  assert_int_equal(links_between(d, "gpu1", "sw1"), 4);
  assert_int_equal(links_between(d, "gpu1", "sw3"), 5);
  nvl_design_free(d);
}

static void test_design__block_plane_and_slice_rules(void **state) {
  nvl_design *d = load_ok(
      "{\"name\":\"t\",\"switch_types\":{\"s\":{\"base\":\"nvswitch4\",\"ports\":8}},"
      "\"system\":{\"endpoints\":[{\"name\":\"gpu\",\"type\":\"gb200-b200\",\"count\":4},"
      "{\"name\":\"cpu\",\"type\":\"grace\",\"count\":2}],\"switches\":[{\"name\":\"leaf\","
      "\"type\":"
      "\"s\",\"count\":4},{\"name\":\"spine\",\"type\":\"s\",\"count\":2}],\"wiring\":["
      "{\"rule\":\"block\",\"from\":\"cpu\",\"to\":\"gpu\",\"link\":\"nvlink-c2c\"},"
      "{\"rule\":\"full\",\"from\":\"gpu[0:2]\",\"to\":\"leaf[0:2]\",\"link\":\"nvlink5\"},"
      "{\"rule\":\"plane\",\"from\":\"leaf\",\"to\":\"spine\",\"planes\":2,\"link\":\"nvlink5\","
      "\"links\":3}]}}");
  assert_int_equal(links_between(d, "cpu0", "gpu1"), 1);
  assert_int_equal(links_between(d, "cpu1", "gpu2"), 1);
  assert_int_equal(links_between(d, "cpu0", "gpu2"), 0);
  assert_int_equal(links_between(d, "gpu1", "leaf1"), 1);
  assert_int_equal(links_between(d, "gpu2", "leaf0"), 0);
  assert_int_equal(links_between(d, "leaf2", "spine0"), 3); /* plane 0: leaf0, leaf2, spine0 */
  assert_int_equal(links_between(d, "leaf3", "spine0"), 0);
  assert_int_equal(links_between(d, "leaf3", "spine1"), 3);
  nvl_design_free(d);
}

static void test_design__full_rule_within_a_set_is_a_mesh(void **state) {
  /* DGX-1-like direct mesh: every pair linked once, no self-loops */
  nvl_design *d =
      load_ok("{\"name\":\"t\",\"system\":{\"endpoints\":[{\"name\":\"gpu\",\"type\":\"a100\","
              "\"count\":4}],\"wiring\":[{\"rule\":\"full\",\"from\":\"gpu\",\"to\":\"gpu\","
              "\"link\":\"nvlink3\",\"links\":4}]}}");
  assert_int_equal(d->n_links, 6);
  assert_int_equal(links_between(d, "gpu0", "gpu3"), 4);
  assert_int_equal(links_between(d, "gpu2", "gpu1"), 4);
  nvl_design_free(d);
}

static void test_design__base_and_overrides(void **state) {
  nvl_design *d = load_ok(
      "{\"name\":\"t\",\"link_types\":{\"slow\":{\"base\":\"nvlink5\",\"bandwidth\":\"25 GB/s\"}},"
      "\"endpoint_types\":{\"asic8\":{\"base\":\"fusion-asic\",\"ports\":{\"nvlink5\":8}}},"
      "\"system\":{\"endpoints\":[{\"name\":\"a\",\"type\":\"asic8\",\"count\":2}]},\"links\":[{"
      "\"a\":\"a0\",\"b\":\"a1\",\"link\":\"slow\",\"count\":8}]}");
  int lt = nvl_design_find_link_type(d, "slow");
  assert_true(lt >= 0);
  assert_close(d->link_types[lt].bw_Bps, 25e9, 0);
  assert_close(d->link_types[lt].lat_s, 50e-9, 1e-12); /* inherited from nvlink5 */
  int a0 = nvl_design_find_device(d, "a0");
  assert_int_equal(nvl_device_ports(d, a0, nvl_design_find_link_type(d, "nvlink5")), 8);
  assert_int_equal(nvl_device_kind(d, a0), NVL_KIND_ASIC);
  /* "slow" is based on nvlink5, so it plugs into nvlink5 ports: 8 links use all 8 */
  assert_int_equal(nvl_device_ports(d, a0, lt), 8);
  assert_int_equal(d->link_types[lt].family, nvl_design_find_link_type(d, "nvlink5"));
  nvl_design_free(d);
}

static void test_design__all_errors_in_document_order(void **state) {
  nvl_diags diags = NVL_DIAGS_INIT;
  nvl_design *d =
      load("{\"name\":\"t\",\"link_types\":{\"x\":{\"bandwidth\":\"5 GB/h\",\"latency\":\"0 ns\"},"
           "\"y\":{\"bandwith\":\"5 GB/s\",\"latency\":\"1 ns\"}},\"system\":{}}",
           &diags);
  assert_null(d);
  assert_int_equal(diags.errors, 3);
  assert_string_equal(diags.items[0].pointer, "/link_types/x/bandwidth");
  assert_string_equal(diags.items[1].pointer, "/link_types/y/bandwith");
  assert_string_equal(diags.items[1].message,
                      "unknown key \"bandwith\" (did you mean \"bandwidth\"?)");
  assert_string_equal(diags.items[2].pointer, "/link_types/y");
  assert_string_equal(diags.items[2].message, "missing required key \"bandwidth\"");
  nvl_diags_release(&diags);
}

static void test_design__max_endpoints_refused_before_allocation(void **state) {
  nvl_diags diags = NVL_DIAGS_INIT;
  nvl_design *d = load("{\"name\":\"t\",\"system\":{\"endpoints\":[{\"name\":\"gpu\",\"type\":"
                       "\"b200\",\"count\":1000000000}]}}",
                       &diags);
  assert_null(d);
  assert_int_equal(diags.errors, 1);
  assert_int_equal(diags.items[0].code, NVL_DIAG_LIMIT);
  assert_string_equal(
      diags.items[0].message,
      "design has 1000000000 devices and group instances; the limit is 100000 (raise it with "
      "--max-endpoints)");
  nvl_diags_release(&diags);
}

static void test_design__catalog_matches_reference_facts(void **state) {
  /* NVLINK-FACTS.md: link generations, switch chips, C2C. Every catalog entry has a source. */
  nvl_design *d = nvl_design_load_default();
  struct {
    const char *name;
    double bw;
  } links[] = {{"nvlink3", 25e9}, {"nvlink4", 25e9}, {"nvlink5", 50e9}, {"nvlink-c2c", 450e9}};
  for (size_t i = 0; i < 4; i++) {
    int lt = nvl_design_find_link_type(d, links[i].name);
    assert_true(lt >= 0);
    assert_close(d->link_types[lt].bw_Bps, links[i].bw, 0);
  }
  struct {
    const char *name;
    int ports;
    bool red;
  } sws[] = {{"nvswitch2", 36, false}, {"nvswitch3", 64, true}, {"nvswitch4", 72, true}};
  for (size_t i = 0; i < 3; i++) {
    bool found = false;
    for (size_t t = 0; t < d->n_switch_types; t++)
      if (strcmp(d->switch_types[t].name, sws[i].name) == 0) {
        found = true;
        assert_int_equal(d->switch_types[t].ports, sws[i].ports);
        assert_int_equal(d->switch_types[t].reduction, sws[i].red);
      }
    assert_true(found);
  }
  for (size_t t = 0; t < d->n_link_types; t++)
    assert_true(strlen(d->link_types[t].source) > 10);
  for (size_t t = 0; t < d->n_switch_types; t++)
    assert_true(strlen(d->switch_types[t].source) > 10);
  for (size_t t = 0; t < d->n_endpoint_types; t++)
    assert_true(strlen(d->endpoint_types[t].source) > 10);
  nvl_design_free(d);
}

static void test_design__per_gpu_link_budget(void **state) {
  /* GPU port counts per NVLINK-FACTS: A100 12, H100 18, H800 8, B200 18. */
  nvl_design *d = nvl_design_load_default();
  struct {
    const char *name, *lt;
    int ports;
  } gpus[] = {{"a100", "nvlink3", 12},
              {"h100", "nvlink4", 18},
              {"h800", "nvlink4", 8},
              {"b200", "nvlink5", 18}};
  for (size_t i = 0; i < 4; i++)
    for (size_t t = 0; t < d->n_endpoint_types; t++)
      if (strcmp(d->endpoint_types[t].name, gpus[i].name) == 0)
        assert_int_equal(d->endpoint_types[t].ports[nvl_design_find_link_type(d, gpus[i].lt)],
                         gpus[i].ports);
  nvl_design_free(d);
}

static void test_design__twins_share_a_switch_neighbourhood(void **state) {
  (void)state;
  /* NVL72: the 72 GPUs are twins (each has its own CPU, which does not count), the 36 CPUs
   * (no switch links) another set */
  nvl_design *d = nvl_design_load_default();
  int *twin = malloc(d->n_devices * sizeof(int));
  assert_int_equal(nvl_design_twins(d, false, twin), 2);
  int gpu0 = nvl_design_find_device(d, "gpu0"), cpu0 = nvl_design_find_device(d, "cpu0");
  for (size_t i = 0; i < d->n_devices; i++) {
    if (d->devices[i].is_switch)
      assert_int_equal(twin[i], -1);
    else
      assert_int_equal(twin[i],
                       nvl_device_kind(d, (int)i) == NVL_KIND_GPU ? twin[gpu0] : twin[cpu0]);
  }
  assert_int_equal(twin[gpu0], 0); /* numbered by first member */
  /* a link degraded to half makes its GPU unlike the others */
  nvl_design_free(d);
  char path[512];
  snprintf(path, sizeof path, "%s/topologies/gb200-nvl72.json", NVL_SOURCE_DIR);
  const char *fail[] = {"link:gpu5-sw3=50%", NULL};
  nvl_load_opts lo = {.failures = fail};
  nvl_diags diags = NVL_DIAGS_INIT;
  assert_int_equal(nvl_design_load_file(path, &lo, &d, &diags), NVL_LOAD_OK);
  assert_int_equal(nvl_design_twins(d, false, twin), 3);
  int gpu5 = nvl_design_find_device(d, "gpu5");
  assert_int_not_equal(twin[gpu5], twin[nvl_design_find_device(d, "gpu0")]);
  free(twin);
  nvl_design_free(d);
  nvl_diags_release(&diags);
}

/* Through NICs (gb300-nvl72-x16: NIC i on leaf i mod 16): the GPUs of a rack whose NICs share a
 * leaf are twins (gpu0 and gpu16 of rack 0), those on other leaves or in other racks are not;
 * in the NVLink fabric alone a rack's 72 GPUs are one set. */
static void test_design__twins_through_nics_share_their_leaves(void **state) {
  (void)state;
  nvl_design *d = NULL;
  nvl_diags diags = NVL_DIAGS_INIT;
  assert_int_equal(nvl_design_load("builtin:gb300-nvl72-x16", NULL, &d, &diags), NVL_LOAD_OK);
  int *net = malloc(d->n_devices * sizeof(int)), *nvl = malloc(d->n_devices * sizeof(int));
  nvl_design_twins(d, true, net);
  nvl_design_twins(d, false, nvl);
  int g[5];
  const char *names[5] = {"gpu0", "gpu16", "gpu1", "gpu72", "gpu71"};
  for (int i = 0; i < 5; i++)
    g[i] = nvl_design_find_device(d, names[i]);
  assert_int_equal(net[g[0]], net[g[1]]);
  assert_int_not_equal(net[g[0]], net[g[2]]);
  assert_int_not_equal(net[g[0]], net[g[3]]); /* rack 1's NVSwitches */
  assert_int_equal(nvl[g[0]], nvl[g[2]]);
  assert_int_equal(nvl[g[0]], nvl[g[4]]);
  assert_int_not_equal(nvl[g[0]], nvl[g[3]]);
  /* 16 racks x 16 leaves: 256 sets of GPUs (each rack's 72 NICs fall on all 16 leaves) */
  size_t gpu_sets = 0;
  bool *seen = calloc(d->n_devices, sizeof(bool));
  for (size_t i = 0; i < d->n_devices; i++)
    if (nvl_device_kind(d, (int)i) == NVL_KIND_GPU && !seen[net[i]])
      seen[net[i]] = true, gpu_sets++;
  assert_int_equal(gpu_sets, 256);
  free(seen);
  free(net);
  free(nvl);
  nvl_design_free(d);
  nvl_diags_release(&diags);
}

/* Selectors slice as Python does: negative indices from the end, a positive step, any part
 * left out; a slice selecting nothing, reaching past the devices, or with step 0 or below is an
 * error that names it (never an empty or silently clamped selection). */
static void test_design__selectors_slice_as_python(void **state) {
  (void)state;
  nvl_design *d = nvl_design_load_default(); /* 72 gpus, 18 switches */
  static const struct {
    const char *sel;
    int n, first, last;
  } ok[] = {{"gpu[-3:]", 3, 69, 71}, {"gpu[0:8:2]", 4, 0, 6},    {"gpu[:4]", 4, 0, 3},
            {"gpu[::36]", 2, 0, 36}, {"gpu[-8:-4]", 4, 64, 67},  {"gpu[1:2]", 1, 1, 1},
            {"gpu[70:]", 2, 70, 71}, {"gpu[0:72:71]", 2, 0, 71}, {"gpu3,gpu[0:2]", 3, 3, 1}};
  for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
    int *ids;
    size_t n;
    char err[200];
    int rc = nvl_design_select(d, ok[i].sel, &ids, &n, err, sizeof err);
    if (rc != 0)
      print_error("%s: %s\n", ok[i].sel, err);
    assert_int_equal(rc, 0);
    assert_int_equal(n, ok[i].n);
    char first[16], last[16];
    snprintf(first, sizeof first, "gpu%d", ok[i].first);
    snprintf(last, sizeof last, "gpu%d", ok[i].last);
    assert_string_equal(d->devices[ids[0]].name, first);
    assert_string_equal(d->devices[ids[n - 1]].name, last);
    free(ids);
  }
  static const char *const bad[] = {"gpu[0:8:0]", "gpu[0:8:-1]", "gpu[70:80]", "gpu[5:5]",
                                    "gpu[-80:]",  "gpu[4:2]",    "gpu[x:2]",   "gpu[1:2:3:4]"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    int *ids = NULL;
    size_t n = 0;
    char err[200] = "";
    assert_int_equal(nvl_design_select(d, bad[i], &ids, &n, err, sizeof err), -1);
    assert_non_null(strstr(err, bad[i]));
  }
  nvl_design_free(d);
  /* the same slices in wiring rules: every other GPU to the last switch */
  d = load_ok("{\"name\":\"t\",\"system\":{\"endpoints\":[{\"name\":\"gpu\",\"type\":"
              "\"gb200-b200\",\"count\":4}],\"switches\":[{\"name\":\"sw\",\"type\":"
              "\"nvswitch4\",\"count\":3}],\"wiring\":[{\"rule\":\"full\",\"from\":\"gpu\","
              "\"to\":\"sw[:-1]\",\"link\":\"nvlink5\"},{\"rule\":\"full\",\"from\":"
              "\"gpu[::2]\",\"to\":\"sw[-1:]\",\"link\":\"nvlink5\"}]},"
              "\"expect\":{\"all_reachable\":true}}");
  assert_int_equal(links_between(d, "gpu0", "sw2"), 1);
  assert_int_equal(links_between(d, "gpu1", "sw2"), 0);
  assert_int_equal(links_between(d, "gpu2", "sw2"), 1);
  assert_int_equal(links_between(d, "gpu3", "sw1"), 1);
  nvl_design_free(d);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_design__names_are_global_per_prefix),
    cmocka_unit_test(test_design__selectors_slice_as_python),
    cmocka_unit_test(test_design__links_list_per_target),
    cmocka_unit_test(test_design__block_plane_and_slice_rules),
    cmocka_unit_test(test_design__full_rule_within_a_set_is_a_mesh),
    cmocka_unit_test(test_design__base_and_overrides),
    cmocka_unit_test(test_design__all_errors_in_document_order),
    cmocka_unit_test(test_design__max_endpoints_refused_before_allocation),
    cmocka_unit_test(test_design__catalog_matches_reference_facts),
    cmocka_unit_test(test_design__per_gpu_link_budget),
    cmocka_unit_test(test_design__twins_share_a_switch_neighbourhood),
    cmocka_unit_test(test_design__twins_through_nics_share_their_leaves),
};
NVL_TEST_MAIN(tests)
