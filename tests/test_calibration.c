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
  assert_int_equal(nvl_proto_pick(c, NVL_COLL_ALL_REDUCE, NVL_ALGO_RING, 8, 8, bw, 4),
                   NVL_PROTO_LL);
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
      assert_true(
          nvl_proto_predict(c, NVL_COLL_ALL_GATHER, NVL_ALGO_RING, 8, s, bw, 4, p) <=
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

static void test_calibration__ring_pipeline(void **state) {
  const nvl_calibration *c = nvl_calibration_get();
  /* NCCL's buffers: Simple 4 MiB in 8 steps, chunks of 4 steps in slices of 2; LL 512 KiB in 8
   * steps, half of it data; LL128 4,915,200 B in 8 steps, 120 of 128 bytes data */
  nvl_ring_pipeline s = nvl_calibration_ring(c, 4, NVL_PROTO_SIMPLE, 450e9);
  assert_int_equal(s.chunk, 2 * 1048576);
  assert_int_equal(s.slices, 2);
  assert_int_equal(s.channels, 24);
  nvl_ring_pipeline ll = nvl_calibration_ring(c, 4, NVL_PROTO_LL, 450e9);
  assert_int_equal(ll.chunk, 32768);
  assert_close(ll.slice_s, 0, 0); /* flags travel with the data: nothing to synchronise */
  assert_int_equal(nvl_calibration_ring(c, 4, NVL_PROTO_LL128, 450e9).chunk, 576000);
  /* a full step (every channel a whole chunk) takes what the Simple efficiency says, for every
   * generation and bandwidth: the synchronisation share moves time, it does not add any */
  for (int g = 3; g <= 6; g++)
    for (double bw = 100e9; bw <= 1000e9; bw *= 3) {
      nvl_ring_pipeline r = nvl_calibration_ring(c, g, NVL_PROTO_SIMPLE, bw);
      double D = (double)r.channels * (double)r.chunk;
      assert_close(r.slices * r.slice_s + D * r.scale / bw,
                   D / (bw * nvl_calibration_simple_eff(c, g)), 1e-12);
      assert_true(r.slice_s > 0 && r.scale >= 1.0);
    }
  /* a third of a full step costs (1 + 2 x share) / 3 of it: the medium-size penalty */
  nvl_ring_pipeline a = nvl_calibration_ring(c, 3, NVL_PROTO_SIMPLE, 300e9);
  double D = (double)a.channels * (double)a.chunk,
         full = D / (300e9 * nvl_calibration_simple_eff(c, 3));
  double third = a.slices * a.slice_s + D / 3 * a.scale / 300e9;
  assert_close(third / (full / 3), 1 + 2 * c->gen[3].sync_share, 1e-12);
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
    cmocka_unit_test(test_calibration__ring_pipeline),
    cmocka_unit_test(test_calibration__protocol_names),
};
NVL_TEST_MAIN(tests)
