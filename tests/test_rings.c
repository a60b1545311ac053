/* Ring orders of ring collectives (sim/rings.c) on switched fabrics and on a direct mesh. */
#include "nvl_test.h"
#include "design/design.h"
#include "platform/platform.h"
#include "platform/rings.h"

#include <stdbool.h>

static nvl_platform *platform_of(const char *name, nvl_design **d) {
  char path[512];
  if (strchr(name, '/')) /* a test design, relative to the source tree */
    snprintf(path, sizeof path, "%s/%s", NVL_SOURCE_DIR, name);
  else
    snprintf(path, sizeof path, "%s/topologies/%s", NVL_SOURCE_DIR, name);
  nvl_diags diags = NVL_DIAGS_INIT;
  assert_int_equal(nvl_design_load_file(path, NULL, d, &diags), NVL_LOAD_OK);
  nvl_platform_opts po = {.model = NVL_MODEL_IDEAL};
  nvl_platform *p = nvl_platform_new(*d, &po, &diags);
  assert_non_null(p);
  nvl_diags_release(&diags);
  return p;
}

/* Rings found for the first n accelerators of a reference design. */
static int rings_of(const char *name, int n, int *orders) {
  nvl_design *d = NULL;
  nvl_platform *p = platform_of(name, &d);
  int devs[128], k = 0;
  for (int i = 0; k < n && i < (int)d->n_devices; i++)
    if (nvl_kind_is_accelerator(nvl_device_kind(d, i)))
      devs[k++] = i;
  assert_int_equal(k, n);
  int r = nvl_rings_find(p, devs, n, 24, orders);
  nvl_platform_free(p);
  nvl_design_free(d);
  return r;
}

static void assert_permutation(const int *order, int n) {
  int seen[128] = {0};
  for (int i = 0; i < n; i++) {
    assert_true(order[i] >= 0 && order[i] < n);
    seen[order[i]]++;
  }
  for (int i = 0; i < n; i++)
    assert_int_equal(seen[i], 1);
}

static void test_rings__full_mesh_uses_every_link_direction_evenly(void **state) {
  /* HGX A100 4-GPU: K4 has three undirected Hamiltonian cycles; in both directions they are six
   * directed rings, and each of the 12 link directions carries exactly two of them */
  int orders[24 * 4];
  int r = rings_of("hgx-a100-4gpu.json", 4, orders);
  assert_int_equal(r, 6);
  int arcs[4][4] = {{0}};
  for (int k = 0; k < r; k++) {
    assert_permutation(orders + 4 * k, 4);
    for (int i = 0; i < 4; i++)
      arcs[orders[4 * k + i]][orders[4 * k + (i + 1) % 4]]++;
  }
  for (int a = 0; a < 4; a++)
    for (int b = 0; b < 4; b++)
      assert_int_equal(arcs[a][b], a == b ? 0 : 2);
}

static void test_rings__switched_fabrics_keep_one_ring_in_rank_order(void **state) {
  /* through a switch every order loads each rank's injection once: more rings gain nothing */
  int orders[24 * 72];
  const struct {
    const char *design;
    int n;
  } cases[] = {{"hgx-h100.json", 8}, {"hgx-a100.json", 8}, {"gb200-nvl72.json", 72}};
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    assert_int_equal(rings_of(cases[c].design, cases[c].n, orders), 1);
    for (int i = 0; i < cases[c].n; i++)
      assert_int_equal(orders[i], i);
  }
  /* two ranks: one ring (both directions are the same pair of transfers) */
  assert_int_equal(rings_of("hgx-a100-4gpu.json", 2, orders), 1);
}

static void test_rings__torus_above_eight_ranks_gets_cycles_over_neighbours(void **state) {
  /* 16 ASICs in a 4x4 torus, no switch: no multiplier order r -> k r mod 16 has only neighbour
   * hops, so the search walks Hamiltonian cycles over the direct links. The torus splits into two
   * edge-disjoint ones; both ways round they are four rings that use each of the 64 link
   * directions exactly once (all_reduce at the full 600 GB/s: tests/cases/cli/run-torus-rings) */
  int orders[24 * 16];
  int r = rings_of("tests/cases/cli/run-torus-rings/design.json", 16, orders);
  assert_int_equal(r, 4);
  int arcs[16][16] = {{0}};
  for (int k = 0; k < r; k++) {
    const int *o = orders + 16 * k;
    assert_permutation(o, 16);
    for (int i = 0; i < 16; i++)
      arcs[o[i]][o[(i + 1) % 16]]++;
  }
  for (int a = 0; a < 16; a++)
    for (int b = 0; b < 16; b++) {
      int ra = a / 4, ca = a % 4, rb = b / 4, cb = b % 4;
      bool neighbours = (ra == rb && ((ca + 1) % 4 == cb || (cb + 1) % 4 == ca)) ||
                        (ca == cb && ((ra + 1) % 4 == rb || (rb + 1) % 4 == ra));
      assert_int_equal(arcs[a][b], neighbours ? 1 : 0);
    }
}

/* A dims[0] x dims[1] x dims[2] torus of 12-port ASICs, 2 links to each of its 6 neighbours, no
 * switch, numbered x + X y + X Y z as a generator writes one. */
static nvl_design *torus(const int *dims) {
  int X = dims[0], Y = dims[1], Z = dims[2], n = X * Y * Z;
  char *json = NULL;
  size_t len = 0;
  FILE *m = open_memstream(&json, &len);
  fprintf(m,
          "{\"nvlsim\": 1, \"name\": \"torus\", \"expect\": {\"all_reachable\": false}, "
          "\"system\": {\"endpoints\": [{\"name\": \"asic\", \"type\": \"fusion-asic\", "
          "\"count\": %d}]}, \"links\": [",
          n);
  for (int r = 0; r < n; r++) {
    int x = r % X, y = r / X % Y, z = r / (X * Y);
    int next[3] = {(x + 1) % X + X * (y + Y * z), x + X * ((y + 1) % Y + Y * z),
                   x + X * (y + Y * ((z + 1) % Z))};
    for (int k = 0; k < 3; k++)
      fprintf(m, "%s{\"a\": \"asic%d\", \"b\": \"asic%d\", \"link\": \"nvlink5\", \"count\": 2}",
              r + k ? ", " : "", r, next[k]);
  }
  fputs("]}", m);
  fclose(m);
  nvl_design *d = NULL;
  nvl_diags diags = NVL_DIAGS_INIT;
  assert_int_equal(nvl_design_load_buffer(json, len, "torus", NULL, &d, &diags), NVL_LOAD_OK);
  nvl_diags_release(&diags);
  free(json);
  return d;
}

static void test_rings__3d_tori_get_dimension_ordered_rings(void **state) {
  /* no multiplier order has only neighbour hops on a 3-D torus, and above a few dozen ranks the
   * depth-first search gives up: the dimension-ordered cycles (one per dimension order, translated,
   * both ways round) are the rings. Every hop is a neighbour; together the rings load no link
   * direction more than rings / 2 times (all_reduce at a third of the injection bandwidth or
   * better; 4x4x4 reaches a half: rings / 3) */
  static const int cases[][4] = {{4, 4, 4, 3}, {8, 8, 8, 2}, {3, 5, 7, 2}, {6, 4, 8, 2}};
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    nvl_design *d = torus(cases[c]);
    int n = cases[c][0] * cases[c][1] * cases[c][2], X = cases[c][0], Y = cases[c][1];
    nvl_diags diags = NVL_DIAGS_INIT;
    nvl_platform_opts po = {.model = NVL_MODEL_IDEAL};
    nvl_platform *p = nvl_platform_new(d, &po, &diags);
    assert_non_null(p);
    int *devs = malloc((size_t)n * sizeof(int)), *orders = malloc((size_t)24 * n * sizeof(int));
    int *arcs = calloc((size_t)n * 6, sizeof(int)); /* [rank][dimension, +/-] */
    for (int i = 0; i < n; i++)
      devs[i] = i; /* the ASICs are the design's only devices, in name order */
    int r = nvl_rings_find(p, devs, n, 24, orders);
    assert_true(r >= 2);
    int most = 0;
    for (int k = 0; k < r; k++)
      for (int i = 0; i < n; i++) {
        int a = orders[(size_t)k * n + i], b = orders[(size_t)k * n + (i + 1) % n];
        int dim = -1, sign = 0;
        int ca[3] = {a % X, a / X % Y, a / (X * Y)}, cb[3] = {b % X, b / X % Y, b / (X * Y)};
        for (int e = 0; e < 3; e++)
          if (ca[e] != cb[e]) {
            assert_int_equal(dim, -1); /* one dimension only */
            dim = e;
            sign = (ca[e] + 1) % cases[c][e] == cb[e] ? 0 : 1;
            assert_true(sign == 0 || (cb[e] + 1) % cases[c][e] == ca[e]);
          }
        assert_true(dim >= 0);
        int u = ++arcs[(size_t)a * 6 + 2 * dim + sign];
        most = u > most ? u : most;
      }
    assert_true(r >= cases[c][3] * most);
    free(devs);
    free(orders);
    free(arcs);
    nvl_platform_free(p);
    nvl_design_free(d);
    nvl_diags_release(&diags);
  }
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_rings__torus_above_eight_ranks_gets_cycles_over_neighbours),
    cmocka_unit_test(test_rings__3d_tori_get_dimension_ordered_rings),
    cmocka_unit_test(test_rings__full_mesh_uses_every_link_direction_evenly),
    cmocka_unit_test(test_rings__switched_fabrics_keep_one_ring_in_rank_order),
};
NVL_TEST_MAIN(tests)
