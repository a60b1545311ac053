/* The named-dimension mesh (workload/mesh.h) against Megatron Core's RankGenerator: the groups
 * its docstrings list, and every group of every dimension set of random sizes and orders against
 * generate_masked_orthogonal_rank_groups, transcribed below as Megatron writes it (prefix
 * products, decompose, inner products), including the expert mesh of MoE parallel folding. */
#include "nvl_test.h"
#include "workload/mesh.h"

static nvl_mesh make(const char *order, long tp, long cp, long ep, long dp, long pp) {
  nvl_mesh_dim dims[] = {{"tp", tp}, {"pp", pp}, {"dp", dp}, {"ep", ep}, {"cp", cp}};
  nvl_mesh m;
  char err[160];
  if (nvl_mesh_init(&m, order, dims, 5, err, sizeof err) != 0) {
    print_error("%s\n", err);
    fail();
  }
  return m;
}

/* Group g of mask as a string "a,b,c". */
static void group_str(const nvl_mesh *m, const char *names, long g, char *out, size_t len) {
  unsigned mask = nvl_mesh_mask(m, names);
  assert_true(mask != 0);
  long n = nvl_mesh_group_size(m, mask);
  int r[64];
  assert_true(n <= 64);
  nvl_mesh_group(m, mask, g, r);
  size_t at = 0;
  for (long i = 0; i < n; i++)
    at += (size_t)snprintf(out + at, len - at, i ? ",%d" : "%d", r[i]);
}

/* Megatron's initialize_model_parallel docstring: 16 GPUs, tp 2, pp 4 (order tp-cp-ep-dp-pp);
 * generate_masked_orthogonal_rank_groups' docstring: sizes tp 2, dp 3, pp 4 and tp-pp-dp 2-2-2;
 * the context parallel example: 8 GPUs, tp 4, cp 2. */
static void test_mesh__megatron_docstring_groups(void **state) {
  (void)state;
  static const struct {
    const char *order;
    long tp, cp, ep, dp, pp;
    const char *dims;
    long g;
    const char *ranks;
  } cases[] = {
      {"tp-cp-ep-dp-pp", 2, 1, 1, 2, 4, "dp", 0, "0,2"},
      {"tp-cp-ep-dp-pp", 2, 1, 1, 2, 4, "dp", 3, "5,7"},
      {"tp-cp-ep-dp-pp", 2, 1, 1, 2, 4, "dp", 7, "13,15"},
      {"tp-cp-ep-dp-pp", 2, 1, 1, 2, 4, "tp", 5, "10,11"},
      {"tp-cp-ep-dp-pp", 2, 1, 1, 2, 4, "pp", 0, "0,4,8,12"},
      {"tp-cp-ep-dp-pp", 2, 1, 1, 2, 4, "pp", 3, "3,7,11,15"},
      {"tp-dp-pp", 2, 1, 1, 3, 4, "dp", 0, "0,2,4"},
      {"tp-dp-pp", 2, 1, 1, 3, 4, "dp", 1, "1,3,5"},
      {"tp-dp-pp", 2, 1, 1, 3, 4, "dp", 7, "19,21,23"},
      {"tp-pp-dp", 2, 1, 1, 2, 2, "dp", 0, "0,4"},
      {"tp-pp-dp", 2, 1, 1, 2, 2, "dp", 3, "3,7"},
      {"tp-cp-ep-dp-pp", 4, 2, 1, 1, 1, "cp", 0, "0,4"},
      {"tp-cp-ep-dp-pp", 4, 2, 1, 1, 1, "cp", 3, "3,7"},
      {"tp-cp-ep-dp-pp", 4, 2, 1, 1, 1, "tp", 1, "4,5,6,7"},
      /* the expert mesh of tp 2 x ep 4 folded on 8 ranks (etp 1, edp 2): EP over the TP pairs */
      {"tp-cp-ep-dp-pp", 1, 1, 4, 2, 1, "ep", 1, "4,5,6,7"},
      {"tp-cp-ep-dp-pp", 1, 1, 4, 2, 1, "dp", 2, "2,6"},
      {"tp-cp-ep-dp-pp", 2, 1, 2, 2, 1, "tp-ep", 1, "4,5,6,7"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    nvl_mesh m =
        make(cases[i].order, cases[i].tp, cases[i].cp, cases[i].ep, cases[i].dp, cases[i].pp);
    char got[256];
    group_str(&m, cases[i].dims, cases[i].g, got, sizeof got);
    if (strcmp(got, cases[i].ranks) != 0) {
      print_error("case %zu: %s group %ld of %s is %s, expected %s\n", i, cases[i].dims, cases[i].g,
                  cases[i].order, got, cases[i].ranks);
      fail();
    }
  }
}

/* generate_masked_orthogonal_rank_groups, as Megatron writes it: the rank of group g, position
 * i, from prefix products of the masked and unmasked sizes. */
static long megatron_rank(const long *size, int n, unsigned mask, long g, long i) {
  long gstride[9] = {1};
  for (int k = 0; k < n; k++)
    gstride[k + 1] = gstride[k] * size[k];
  long mshape[8], mstride[8], ushape[8], ustride[8];
  int nm = 0, nu = 0;
  for (int k = 0; k < n; k++) {
    if (mask >> k & 1)
      mshape[nm] = size[k], mstride[nm++] = gstride[k];
    else
      ushape[nu] = size[k], ustride[nu++] = gstride[k];
  }
  long r = 0, d = 1; /* decompose(i, masked_shape) . masked_stride */
  for (int k = 0; k < nm; k++)
    r += (i / d) % mshape[k] * mstride[k], d *= mshape[k];
  d = 1; /* decompose(g, unmasked_shape) . unmasked_stride */
  for (int k = 0; k < nu; k++)
    r += (g / d) % ushape[k] * ustride[k], d *= ushape[k];
  return r;
}

static void test_mesh__every_group_equals_megatron(void **state) {
  (void)state;
  static const char *const orders[] = {"tp-cp-ep-dp-pp", "tp-cp-dp-ep-pp", "tp-pp-dp-cp-ep",
                                       "pp-dp-ep-cp-tp", "cp-tp-dp-pp-ep"};
  static const long choices[] = {1, 1, 2, 3, 4};
  uint64_t s = 11;
  for (int trial = 0; trial < 300; trial++) {
    long sz[5];
    for (int k = 0; k < 5; k++) {
      s = s * 6364136223846793005ULL + 1442695040888963407ULL;
      sz[k] = choices[(s >> 33) % 5];
    }
    const char *order = orders[trial % 5];
    nvl_mesh m = make(order, sz[0], sz[1], sz[2], sz[3], sz[4]);
    assert_int_equal(m.world, sz[0] * sz[1] * sz[2] * sz[3] * sz[4]);
    for (unsigned mask = 1; mask < 32; mask++) {
      long n = nvl_mesh_group_size(&m, mask), groups = m.world / n;
      int *r = malloc((size_t)n * sizeof *r);
      for (long g = 0; g < groups; g++) {
        nvl_mesh_group(&m, mask, g, r);
        for (long i = 0; i < n; i++) {
          assert_int_equal(r[i], megatron_rank(m.size, m.n, mask, g, i));
          long pos, at = nvl_mesh_group_of(&m, mask, r[i], &pos);
          assert_int_equal(at, g);
          assert_int_equal(pos, i);
        }
      }
      free(r);
    }
  }
}

/* Bad orders say what is wrong; a dimension left out of the order goes last when its size is 1. */
static void test_mesh__orders_checked(void **state) {
  (void)state;
  nvl_mesh_dim dims[] = {{"tp", 2}, {"cp", 1}, {"dp", 4}, {"pp", 2}};
  nvl_mesh m;
  char err[160];
  static const struct {
    const char *order, *says;
  } bad[] = {{"tp-dp-tp-pp", "named twice"},
             {"tp-xp-dp-pp", "\"xp\" is not a dimension"},
             {"tp-dp", "leaves out pp, whose size is 2"},
             {"tp-dp-pp-", "ends with '-'"},
             {"", "leaves out tp"}};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    assert_int_equal(nvl_mesh_init(&m, bad[i].order, dims, 4, err, sizeof err), -1);
    if (!strstr(err, bad[i].says)) {
      print_error("order \"%s\": %s (expected \"%s\")\n", bad[i].order, err, bad[i].says);
      fail();
    }
  }
  assert_int_equal(nvl_mesh_init(&m, "dp-tp-pp", dims, 4, err, sizeof err), 0);
  assert_string_equal(m.name[3], "cp");
  assert_int_equal(m.stride[1], 4); /* tp after dp */
  assert_int_equal(nvl_mesh_mask(&m, "tp-pp"), 0x6u);
  assert_int_equal(nvl_mesh_mask(&m, "tp-ep"), 0u);
  nvl_mesh_dim huge[] = {{"tp", 1L << 20}, {"dp", 1L << 12}};
  assert_int_equal(nvl_mesh_init(&m, "tp-dp", huge, 2, err, sizeof err), -1);
  assert_non_null(strstr(err, "2^31"));
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_mesh__megatron_docstring_groups),
    cmocka_unit_test(test_mesh__every_group_equals_megatron),
    cmocka_unit_test(test_mesh__orders_checked),
};
NVL_TEST_MAIN(tests)
