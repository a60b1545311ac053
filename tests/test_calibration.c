/* The default model's calibration and NCCL-style protocol choice (models/calibration.c). */
#include "nvl_test.h"
#include "calibration.h"

static void test_calibration__constants_match_nccl(void **state) {
  const nvl_calibration *c = nvl_calibration_get();
  /* NCCL tuning.cc (NVLINK-FACTS.md): NVLink Ring hop LL 0.6, LL128 1.9, Simple 3.4 us */
  assert_close(c->ring_hop_s[NVL_PROTO_LL], 0.6e-6, 1e-12);
  assert_close(c->ring_hop_s[NVL_PROTO_LL128], 1.9e-6, 1e-12);
  assert_close(c->ring_hop_s[NVL_PROTO_SIMPLE], 3.4e-6, 1e-12);
  assert_close(c->base_s[NVL_PROTO_LL128], 14e-6, 1e-12);
  assert_close(c->nvls_latency_s, 25e-6, 1e-12);
  assert_close(c->payload[NVL_PROTO_LL], 0.5, 0);
  assert_close(c->payload[NVL_PROTO_LL128], 120.0 / 128, 1e-15);
  assert_close(nvl_calibration_nvls_eff(c, 4), 0.85, 0);
  assert_close(nvl_calibration_nvls_eff(c, 5), 0.74, 0);
  /* an unknown generation (custom links) falls back to the newest calibrated one */
  assert_close(nvl_calibration_simple_eff(c, 0), nvl_calibration_simple_eff(c, 6), 0);
}

static void test_calibration__protocol_choice_by_size(void **state) {
  const nvl_calibration *c = nvl_calibration_get();
  double bw = 450e9;
  assert_int_equal(nvl_proto_pick(c, NVL_COLL_ALL_REDUCE, NVL_ALGO_RING, 8, 8, bw, 4), NVL_PROTO_LL);
  assert_int_equal(nvl_proto_pick(c, NVL_COLL_ALL_REDUCE, NVL_ALGO_RING, 8, 16 << 20, bw, 4),
                   NVL_PROTO_LL128);
  assert_int_equal(nvl_proto_pick(c, NVL_COLL_ALL_REDUCE, NVL_ALGO_RING, 8, 1ull << 30, bw, 4),
                   NVL_PROTO_SIMPLE);
  assert_int_equal(nvl_proto_pick(c, NVL_COLL_ALL_REDUCE, NVL_ALGO_NVLS, 8, 8, bw, 4),
                   NVL_PROTO_SIMPLE);
  /* the chosen protocol is the fastest by NCCL's own prediction */
  for (uint64_t s = 8; s <= (1ull << 34); s *= 8) {
    nvl_proto p = nvl_proto_pick(c, NVL_COLL_ALL_GATHER, NVL_ALGO_RING, 8, s, bw, 4);
    for (int q = 0; q < NVL_PROTO__COUNT; q++)
      assert_true(nvl_proto_predict(c, NVL_COLL_ALL_GATHER, NVL_ALGO_RING, 8, s, bw, 4, p) <=
                  nvl_proto_predict(c, NVL_COLL_ALL_GATHER, NVL_ALGO_RING, 8, s, bw, 4, (nvl_proto)q));
  }
}

static void test_calibration__nvls_busbw_follows_from_physical_factors(void **state) {
  /* H200 NVLS all_reduce moves S(n+1)/n per direction at 450 GB/s x Simple efficiency x NVLS
   * efficiency: busbw = 2(n-1)/n x S / t must land within 2 % of the measured 480 GB/s (case H1),
   * with neither factor fitted to H1. */
  const nvl_calibration *c = nvl_calibration_get();
  double S = 16.0 * (1ull << 30);
  int n = 8;
  double t = nvl_proto_predict(c, NVL_COLL_ALL_REDUCE, NVL_ALGO_NVLS, n, (uint64_t)S, 450e9, 4,
                               NVL_PROTO_SIMPLE);
  double busbw = S / t * 2 * (n - 1) / n / 1e9;
  assert_close(busbw, 480.0, 0.02);
}

static void test_calibration__protocol_names(void **state) {
  nvl_proto p;
  assert_int_equal(nvl_proto_parse("ll128", &p), 0);
  assert_int_equal(p, NVL_PROTO_LL128);
  assert_int_equal(nvl_proto_parse("simple", &p), 0);
  assert_int_equal(nvl_proto_parse("LL64", &p), -1);
  assert_string_equal(nvl_proto_name(NVL_PROTO_SIMPLE), "Simple");
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_calibration__constants_match_nccl),
    cmocka_unit_test(test_calibration__protocol_choice_by_size),
    cmocka_unit_test(test_calibration__nvls_busbw_follows_from_physical_factors),
    cmocka_unit_test(test_calibration__protocol_names),
};
NVL_TEST_MAIN(tests)
