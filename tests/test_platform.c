/*
 * The platform (sim/platform/): switch classes by colour refinement, planes, logical links,
 * hosts, stripes and routes, on the reference designs, against what their structure implies;
 * the XML writer against the direct emission it shares.
 */
#include "nvl_fixture.h"

typedef nvl_fixture fixture;

static fixture open_design(const char *name, bool explicit_planes) {
  return nvl_fixture_open(name, NVL_MODEL_IDEAL, explicit_planes);
}

static void close_design(fixture *f) { nvl_fixture_close(f); }

static int dev(const fixture *f, const char *name) {
  int i = nvl_design_find_device(f->d, name);
  assert_true(i >= 0);
  return i;
}

/* The logical link of an endpoint towards a switch class ("gpu0~sw..."). */
static const nvl_plink *port_of(const fixture *f, const char *ep) {
  char prefix[80];
  snprintf(prefix, sizeof prefix, "%s~", ep);
  for (size_t l = 0; l < nvl_platform_link_count(f->p); l++) {
    const nvl_plink *k = nvl_platform_link(f->p, (int)l);
    if (strncmp(k->name, prefix, strlen(prefix)) == 0 && strcmp(k->kind, "port") == 0)
      return k;
  }
  fail_msg("no port link for %s", ep);
  return NULL;
}

static void test_platform__interchangeable_switches_become_one_class(void **state) {
  (void)state;
  /* NVL72: 18 chips, one link from every GPU to each: one class, one plane, one 18-link port of
   * 18 x 50 GB/s per GPU; 72 GPUs, 36 CPUs (C2C direct hosts for both), one reduction host */
  fixture f = open_design("gb200-nvl72.json", false);
  assert_int_equal(nvl_platform_class_count(f.p), 1);
  assert_int_equal(nvl_platform_plane_count(f.p), 1);
  const nvl_plink *k = port_of(&f, "gpu0");
  assert_int_equal(k->physical, 18);
  assert_close(k->bw_Bps, 18 * 50e9, 1e-12);
  assert_close(k->lat_s, 50e-9 + 125e-9, 1e-12); /* link + half the switch */
  assert_int_equal(nvl_platform_host_count(f.p), 72 + 72 + 36 + 1);
  assert_true(nvl_platform_nvls_host(f.p, dev(&f, "gpu0")) >= 0);
  assert_int_equal(nvl_platform_nvls_host(f.p, dev(&f, "gpu0")),
                   nvl_platform_nvls_host(f.p, dev(&f, "gpu71")));
  close_design(&f);
  /* HGX H100: 5/4/4/5 links to four chips are proportional: still one class */
  f = open_design("hgx-h100.json", false);
  assert_int_equal(nvl_platform_class_count(f.p), 1);
  assert_int_equal(port_of(&f, "gpu3")->physical, 18);
  close_design(&f);
  /* NVL576: 8 racks of 18 leaf chips and one spine tier: 8 leaf classes + 1 spine class */
  f = open_design("nvl576.json", false);
  assert_int_equal(nvl_platform_class_count(f.p), 9);
  assert_int_equal(nvl_platform_plane_count(f.p), 1);
  close_design(&f);
}

static void test_platform__explicit_planes_keep_every_chip(void **state) {
  (void)state;
  fixture agg = open_design("gb200-nvl72.json", false), ex = open_design("gb200-nvl72.json", true);
  assert_int_equal(nvl_platform_class_count(ex.p), 18);
  assert_int_equal(nvl_platform_plane_count(ex.p), 18);
  /* the same capacity, spread over 18 stripes of equal weight */
  nvl_stripe st[NVL_MAX_STRIPES];
  int n = nvl_platform_stripes(ex.p, dev(&ex, "gpu0"), dev(&ex, "gpu1"), st);
  assert_int_equal(n, 18);
  double w = 0;
  for (int i = 0; i < n; i++) {
    assert_close(st[i].weight, 1.0 / 18, 1e-12);
    w += st[i].weight;
  }
  assert_close(w, 1, 1e-12);
  n = nvl_platform_stripes(agg.p, dev(&agg, "gpu0"), dev(&agg, "gpu1"), st);
  assert_int_equal(n, 1);
  assert_close(st[0].weight, 1, 1e-12);
  close_design(&agg);
  close_design(&ex);
}

static void test_platform__asymmetric_planes_stripe_by_capacity(void **state) {
  (void)state;
  /* Fusion: ASICs reach 12 of the 18 chips, so the chips split into two classes and two planes;
   * gpu0 -> gpu1 stripes 12:6 over them, gpu0 -> asic0 uses the 12-chip plane only */
  fixture f = open_design("fusion-gpu-asic.json", false);
  assert_int_equal(nvl_platform_plane_count(f.p), 2);
  nvl_stripe st[NVL_MAX_STRIPES];
  int n = nvl_platform_stripes(f.p, dev(&f, "gpu0"), dev(&f, "gpu1"), st);
  assert_int_equal(n, 2);
  assert_close(st[0].weight + st[1].weight, 1, 1e-12);
  assert_close(fmax(st[0].weight, st[1].weight), 12.0 / 18, 1e-12);
  n = nvl_platform_stripes(f.p, dev(&f, "gpu0"), dev(&f, "asic0"), st);
  assert_int_equal(n, 1);
  /* an endpoint on two classes has no single reduction engine */
  assert_int_equal(nvl_platform_nvls_host(f.p, dev(&f, "gpu0")), -1);
  close_design(&f);
}

static void test_platform__routes_pay_each_switch_once(void **state) {
  (void)state;
  /* NVL576 across racks: leaf, spine, leaf: 4 links of 50 ns and 3 switches of 250 ns */
  fixture f = open_design("nvl576.json", false);
  nvl_stripe st[NVL_MAX_STRIPES];
  assert_int_equal(nvl_platform_stripes(f.p, dev(&f, "gpu0"), dev(&f, "gpu100"), st), 1);
  int links[64], dirs[64];
  assert_int_equal(nvl_platform_route(f.p, st[0].from_host, st[0].to_host, links, dirs, 64), 4);
  assert_int_equal(dirs[0], 1);  /* leaving an endpoint is UP */
  assert_int_equal(dirs[3], -1); /* arriving is DOWN */
  assert_close(nvl_platform_route_latency(f.p, st[0].from_host, st[0].to_host),
               4 * 50e-9 + 3 * 250e-9, 1e-12);
  /* within a rack: one switch */
  assert_int_equal(nvl_platform_stripes(f.p, dev(&f, "gpu0"), dev(&f, "gpu5"), st), 1);
  assert_close(nvl_platform_route_latency(f.p, st[0].from_host, st[0].to_host), 2 * 50e-9 + 250e-9,
               1e-12);
  assert_int_equal(nvl_platform_route(f.p, st[0].from_host, st[0].from_host, links, dirs, 64), -1);
  close_design(&f);
  /* a direct mesh: one direct link per pair, no switch */
  f = open_design("hgx-a100-4gpu.json", false);
  assert_int_equal(nvl_platform_class_count(f.p), 0);
  assert_int_equal(nvl_platform_stripes(f.p, dev(&f, "gpu0"), dev(&f, "gpu3"), st), 1);
  assert_close(nvl_platform_route_latency(f.p, st[0].from_host, st[0].to_host), 50e-9, 1e-12);
  close_design(&f);
}

static void test_platform__reachability_per_twin_set(void **state) {
  (void)state;
  /* NVL72: 72 GPUs, one twin set, every pair reachable from one route check */
  fixture f = open_design("gb200-nvl72.json", false);
  size_t n;
  int *all = malloc(72 * sizeof(int)), a = -1, b = -1;
  for (n = 0; n < 72; n++) {
    char name[16];
    snprintf(name, sizeof name, "gpu%zu", n);
    all[n] = dev(&f, name);
  }
  assert_true(nvl_platform_all_reachable(f.p, all, 72, &a, &b));
  close_design(&f);
  /* a switchless mesh reaches every pair by its direct links; with gpu0-gpu1 failed, that pair
   * is the first unreachable one, in both orders */
  char path[512];
  snprintf(path, sizeof path, "%s/topologies/hgx-a100-4gpu.json", NVL_SOURCE_DIR);
  const char *fail[] = {"link:gpu0-gpu1", NULL};
  nvl_load_opts lo = {.failures = fail};
  nvl_diags diags = NVL_DIAGS_INIT;
  nvl_design *d = NULL;
  assert_int_equal(nvl_design_load_file(path, &lo, &d, &diags), NVL_LOAD_OK);
  nvl_platform *p = nvl_platform_new(d, NULL, &diags);
  int mesh[4] = {nvl_design_find_device(d, "gpu0"), nvl_design_find_device(d, "gpu1"),
                 nvl_design_find_device(d, "gpu2"), nvl_design_find_device(d, "gpu3")};
  assert_false(nvl_platform_all_reachable(p, mesh, 4, &a, &b));
  assert_int_equal(a, 0);
  assert_int_equal(b, 1);
  assert_true(nvl_platform_all_reachable(p, mesh + 1, 3, &a, &b));
  nvl_platform_free(p);
  nvl_design_free(d);
  p = NULL;
  /* intact: all four */
  assert_int_equal(nvl_design_load_file(path, NULL, &d, &diags), NVL_LOAD_OK);
  p = nvl_platform_new(d, NULL, &diags);
  assert_true(nvl_platform_all_reachable(p, mesh, 4, &a, &b));
  nvl_platform_free(p);
  nvl_design_free(d);
  nvl_diags_release(&diags);
  free(all);
}

typedef struct {
  size_t hosts, links, routes;
} counts;

static void c_host(void *c, int h, const char *n) {
  (void)h;
  (void)n;
  ((counts *)c)->hosts++;
}
static void c_link(void *c, int i, const nvl_plink *l) {
  (void)i;
  (void)l;
  ((counts *)c)->links++;
}
static void c_route(void *c, int a, int b, const int *l, const int *d, int n) {
  (void)a;
  (void)b;
  (void)l;
  (void)d;
  (void)n;
  ((counts *)c)->routes++;
}

static size_t count_lines(const char *text, const char *what) {
  size_t n = 0;
  for (const char *p = text; (p = strstr(p, what)) != NULL; p++)
    n++;
  return n;
}

/* The GPUs gpu0 .. gpu<n-1> of a design, in order. */
static int *gpus(const fixture *f, int n) {
  int *devs = malloc((size_t)n * sizeof *devs);
  char name[32];
  for (int r = 0; r < n; r++) {
    snprintf(name, sizeof name, "gpu%d", r);
    devs[r] = dev(f, name);
  }
  return devs;
}

static void test_platform__rank_shifts(void **state) {
  /* NVL72: the GPUs are twins, any shift holds. NVL576: a shift by a multiple of 72 moves whole
   * racks onto racks (their leaves onto leaves, trunks onto trunks); any other shift moves part of
   * a rack into the next and not the rest. The shift by 72 maps each port link to the port link
   * of the GPU 72 further, both directions. */
  fixture f = open_design("gb200-nvl72.json", false);
  int *devs = gpus(&f, 72);
  assert_true(nvl_platform_shift(f.p, devs, 72, 1, NULL));
  assert_true(nvl_platform_shift(f.p, devs, 72, 8, NULL));
  assert_false(nvl_platform_shift(f.p, devs, 72, 7, NULL)); /* not a divisor */
  assert_false(nvl_platform_shift(f.p, devs, 72, 72, NULL));
  free(devs);
  close_design(&f);
  f = open_design("nvl576.json", false);
  devs = gpus(&f, 576);
  int *map = malloc(2 * nvl_platform_link_count(f.p) * sizeof *map);
  assert_true(nvl_platform_shift(f.p, devs, 576, 72, map));
  assert_true(nvl_platform_shift(f.p, devs, 576, 144, NULL));
  assert_false(nvl_platform_shift(f.p, devs, 576, 1, NULL));
  assert_false(nvl_platform_shift(f.p, devs, 576, 36, NULL));
  assert_false(nvl_platform_shift(f.p, devs, 576, 24, NULL));
  const nvl_plink *a = port_of(&f, "gpu3"), *b = port_of(&f, "gpu75");
  int la = (int)(a - nvl_platform_link(f.p, 0)), lb = (int)(b - nvl_platform_link(f.p, 0));
  assert_int_equal(map[2 * la], 2 * lb);
  assert_int_equal(map[2 * la + 1], 2 * lb + 1);
  free(map);
  free(devs);
  close_design(&f);
}

static void test_platform__xml_writer_emits_what_the_engine_builds(void **state) {
  (void)state;
  fixture f = open_design("hgx-h100.json", false);
  counts c = {0};
  nvl_platform_sink sink = {c_host, c_link, c_route};
  nvl_platform_emit(f.p, &sink, &c);
  assert_int_equal(c.hosts, nvl_platform_host_count(f.p));
  assert_int_equal(c.links, nvl_platform_link_count(f.p));
  /* every ordered pair of GPU hosts, and each GPU to and from the reduction host */
  assert_int_equal(c.routes, 8 * 7 + 2 * 8);
  FILE *t = tmpfile();
  assert_int_equal(nvl_platform_write_xml(f.p, t), 0);
  char *text = nvl_test_slurp(t);
  assert_int_equal(count_lines(text, "<host "), c.hosts);
  assert_int_equal(count_lines(text, "<link "), c.links);
  assert_int_equal(count_lines(text, "<route "), c.routes);
  free(text);
  close_design(&f);
}

static void test_platform__link_names_are_whole_at_the_longest_names(void **state) {
  (void)state;
  /* device and switch names of the longest allowed length (51): every logical link's name holds
   * its endpoint's whole name and the whole class, and no two links share a name */
  char g[52], a[52], b[52], json[2048];
  memset(g, 'g', 50), g[50] = 'x', g[51] = '\0';
  memset(a, 's', 50), a[50] = 'a', a[51] = '\0';
  memcpy(b, a, sizeof b), b[50] = 'b';
  snprintf(json, sizeof json,
           "{\"nvlsim\": 1, \"name\": \"long\", \"system\": {"
           "\"endpoints\": [{\"name\": \"%s\", \"type\": \"h100\", \"count\": 8}],"
           "\"switches\": [{\"name\": \"%s\", \"type\": \"nvswitch3\", \"count\": 2},"
           "{\"name\": \"%s\", \"type\": \"nvswitch3\", \"count\": 3}],"
           "\"wiring\": [{\"rule\": \"full\", \"from\": \"%s\", \"to\": \"%s\", \"link\": "
           "\"nvlink4\", \"links\": 4}, {\"rule\": \"full\", \"from\": \"%s\", \"to\": \"%s\", "
           "\"link\": \"nvlink4\", \"links\": 3}]}}",
           g, a, b, g, a, g, b);
  nvl_design *d = NULL;
  nvl_diags diags = NVL_DIAGS_INIT;
  assert_int_equal(nvl_design_load_buffer(json, strlen(json), "t", NULL, &d, &diags), NVL_LOAD_OK);
  for (int explicit_planes = 0; explicit_planes < 2; explicit_planes++) {
    nvl_platform_opts po = {.model = NVL_MODEL_IDEAL, .explicit_planes = explicit_planes};
    nvl_platform *p = nvl_platform_new(d, &po, &diags);
    assert_non_null(p);
    size_t n = nvl_platform_link_count(p);
    assert_true(n >= 8);
    for (size_t i = 0; i < n; i++) {
      const char *ni = nvl_platform_link(p, (int)i)->name;
      assert_non_null(strstr(ni, g));
      if (strcmp(nvl_platform_link(p, (int)i)->kind, "port") == 0)
        assert_true(strstr(ni, a) || strstr(ni, b));
      for (size_t k = i + 1; k < n; k++)
        assert_string_not_equal(ni, nvl_platform_link(p, (int)k)->name);
    }
    nvl_platform_free(p);
  }
  nvl_design_free(d);
  nvl_diags_release(&diags);
}

static void test_platform__xml_comment_holds_any_design_name(void **state) {
  (void)state;
  /* the design name goes into an XML comment: markup, quotes, "--", a trailing '-', controls and
   * bytes past ASCII must all leave a well-formed comment (none of "--" inside, no '-' before
   * the closing "-->") */
  static const char *const names[] = {
      "x-->y<tag/>", "a--b", "a-", "-", "---", "q\"&'<>", "tab\there", "\xc3\xa9t\xc3\xa9", ""};
  fixture f = open_design("hgx-h100.json", false);
  for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
    snprintf(f.d->name, sizeof f.d->name, "%s", names[k]);
    FILE *t = tmpfile();
    assert_int_equal(nvl_platform_write_xml(f.p, t), 0);
    char *text = nvl_test_slurp(t);
    char *open = strstr(text, "<!--"), *end = open ? strstr(open + 4, "-->") : NULL;
    assert_non_null(end);
    for (char *c = open + 4; c < end; c++) {
      assert_false(c[0] == '-' && c[1] == '-' && c + 1 < end);
      assert_true(*c >= 0x20 && *c < 0x7f && *c != '<' && *c != '>' && *c != '&');
    }
    assert_true(end[-1] != '-');
    free(text);
  }
  close_design(&f);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_platform__xml_comment_holds_any_design_name),
    cmocka_unit_test(test_platform__link_names_are_whole_at_the_longest_names),
    cmocka_unit_test(test_platform__interchangeable_switches_become_one_class),
    cmocka_unit_test(test_platform__explicit_planes_keep_every_chip),
    cmocka_unit_test(test_platform__asymmetric_planes_stripe_by_capacity),
    cmocka_unit_test(test_platform__routes_pay_each_switch_once),
    cmocka_unit_test(test_platform__rank_shifts),
    cmocka_unit_test(test_platform__xml_writer_emits_what_the_engine_builds),
    cmocka_unit_test(test_platform__reachability_per_twin_set),
};
NVL_TEST_MAIN(tests)
