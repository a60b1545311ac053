/* The default model's calibration (models/calibration.c) and NCCL's tuner as nvlsim reproduces it
 * (models/tuner.c). The tuner's expected values are what NCCL v2.30's code computes by hand for
 * these systems, and where NCCL logs them, what it logs (24 ring channels on 8 x A100 and
 * 8 x H100, 16 NVLS channels on H100). */
#include "nvl_test.h"
#include "models/calibration.h"
#include "models/tuner.h"

#define GiB (1024.0 * 1048576)

/* NCCL's view of a GPU with `links` NVLink links of generation `gen`. */
static nvl_tuner_comm comm(int n, int gen, int links, bool nvls) {
  const nvl_calibration *c = &nvl_test_ctx()->cal;
  return (nvl_tuner_comm){.n = n,
                          .generation = gen,
                          .nvlink_Bps = links * nvl_calibration_gen(c, gen)->nccl_link_Bps,
                          .nvls = nvls};
}

static void test_calibration__constants_match_nccl(void **state) {
  const nvl_calibration *c = &nvl_test_ctx()->cal;
  /* NCCL tuning.cc (NVLINK-FACTS.md): NVLink Ring hop LL 0.6, LL128 1.9, Simple 3.4 us */
  assert_close(c->ring_hop_s[NVL_PROTO_LL], 0.6e-6, 1e-12);
  assert_close(c->ring_hop_s[NVL_PROTO_LL128], 1.9e-6, 1e-12);
  assert_close(c->ring_hop_s[NVL_PROTO_SIMPLE], 3.4e-6, 1e-12);
  assert_close(c->base_s[NVL_PROTO_LL128], 14e-6, 1e-12);
  assert_close(c->nccl.nvls_latency_s, 25e-6, 1e-12);
  assert_close(c->payload[NVL_PROTO_LL], 0.5, 0);
  assert_close(c->payload[NVL_PROTO_LL128], 120.0 / 128, 1e-15);
  assert_close(nvl_calibration_gen(c, 4)->nccl_nvls_eff, 0.85, 0);
  assert_close(nvl_calibration_gen(c, 5)->nccl_nvls_eff, 0.74, 0);
  assert_close(nvl_calibration_gen(c, 3)->nccl_link_Bps, 20e9, 1e-12);   /* SM80_NVLINK_BW */
  assert_close(nvl_calibration_gen(c, 4)->nccl_link_Bps, 20.6e9, 1e-12); /* SM90_NVLINK_BW */
  assert_close(nvl_calibration_gen(c, 5)->nccl_link_Bps, 40.1e9, 1e-12); /* SM100_NVLINK_BW */
  assert_int_equal(c->nccl.nvls_max_heads, 32);                          /* NCCL_MAX_NVLS_ARITY */
  assert_int_equal(nvl_calibration_gen(c, 4)->nvls_channels, 16);
  assert_int_equal(nvl_calibration_gen(c, 5)->nvls_channels, 24);
  assert_close(c->nccl.p2p_channel_Bps, 14e9, 0); /* NCCL_P2P_PER_CHANNEL_NET_BW */
  /* an unknown generation (custom links) falls back to the newest calibrated one */
  assert_ptr_equal(nvl_calibration_gen(c, 0), nvl_calibration_gen(c, 6));
  /* the physical parameters are in range */
  for (int g = 3; g <= 6; g++) {
    const nvl_generation *x = nvl_calibration_gen(c, g);
    assert_true(x->simple_eff > 0.5 && x->simple_eff < 1 && x->p2p_eff > 0.3 && x->p2p_eff < 1);
    assert_true(x->nvls_spread >= 0 && x->sync_share >= 0 && x->sync_share < 0.5);
  }
}

static void test_calibration__ring_graphs_and_channels(void **state) {
  const nvl_calibration *c = &nvl_test_ctx()->cal;
  /* A100: 12 x 20 = 240 GB/s; 6 channels at 40 is perfect, doubled to 12 x 20, run on 24 */
  nvl_tuner_comm a = comm(8, 3, 12, false);
  nvl_tuner_graph g = nvl_tuner_ring_graph(c, &a);
  assert_int_equal(g.channels, 12);
  assert_close(g.bw_GBps, 20, 0);
  assert_int_equal(nvl_tuner_ring_channels(c, &a), 24);
  /* H100: 18 x 20.6 = 370.8; 6 x 60 = 360 is the best, doubled to 12 x 30, run on 24 */
  nvl_tuner_comm h = comm(8, 4, 18, true);
  g = nvl_tuner_ring_graph(c, &h);
  assert_int_equal(g.channels, 12);
  assert_close(g.bw_GBps, 30, 0);
  assert_int_equal(nvl_tuner_ring_channels(c, &h), 24);
  /* B200 / GB200: 18 x 40.1 = 721.8; 8 x 90, doubled to 16 x 45, run on 32 */
  nvl_tuner_comm b = comm(72, 5, 18, true);
  g = nvl_tuner_ring_graph(c, &b);
  assert_int_equal(g.channels, 16);
  assert_close(g.bw_GBps, 45, 0);
  assert_int_equal(nvl_tuner_ring_channels(c, &b), 32);
}

static void test_calibration__nvls_graphs_heads_and_chunks(void **state) {
  const nvl_calibration *c = &nvl_test_ctx()->cal;
  /* heads: one per rank, at most 32 (a 72-GPU domain reduces through 32 heads) */
  assert_int_equal(nvl_tuner_nvls_heads(c, 8), 8);
  assert_int_equal(nvl_tuner_nvls_heads(c, 72), 32);
  /* each head's link carries heads + 1 shares: H100 8 ranks 9 x 40 <= 370.8, bwInter raised to
   * 60; B200 8 ranks 9 x 80 <= 721.8, raised to 90; NVL72 72 ranks 33 x 20, raised to 40 */
  nvl_tuner_comm h = comm(8, 4, 18, true), b8 = comm(8, 5, 18, true), b72 = comm(72, 5, 18, true);
  nvl_tuner_graph g = nvl_tuner_nvls_graph(c, &h);
  assert_int_equal(g.channels, 8);
  assert_close(g.bw_GBps, 40, 0);
  assert_close(g.bw_inter_GBps, 60, 0);
  g = nvl_tuner_nvls_graph(c, &b8);
  assert_close(g.bw_GBps, 80, 0);
  assert_close(g.bw_inter_GBps, 90, 0);
  g = nvl_tuner_nvls_graph(c, &b72);
  assert_int_equal(g.channels, 32);
  assert_close(g.bw_GBps, 20, 0);
  assert_close(g.bw_inter_GBps, 40, 0);
  /* the chunk shrinks below 64, 8 and 2 rounds of channels x heads x chunk: on 72 ranks (24 x 32
   * pipelines) 128 KiB from 6 GiB, 64 KiB from 384 MiB, 32 KiB from 48 MiB */
  assert_int_equal(nvl_tuner_nvls_chunk(c, &b72, (uint64_t)(8 * GiB)), 131072);
  assert_int_equal(nvl_tuner_nvls_chunk(c, &b72, (uint64_t)(4 * GiB)), 65536);
  assert_int_equal(nvl_tuner_nvls_chunk(c, &b72, 512u << 20), 65536);
  assert_int_equal(nvl_tuner_nvls_chunk(c, &b72, 256u << 20), 32768);
  assert_int_equal(nvl_tuner_nvls_chunk(c, &b72, 32u << 20), 16384);
  /* so 4 GiB and 8 GiB run the same number of steps per pipeline (85), 512 MiB 11 */
  assert_int_equal(nvl_tuner_nvls_steps(c, &b72, (uint64_t)(4 * GiB)), 86);
  assert_int_equal(nvl_tuner_nvls_steps(c, &b72, (uint64_t)(8 * GiB)), 86);
  assert_int_equal(nvl_tuner_nvls_steps(c, &b72, 512u << 20), 11);
}

/* NVLSTree's own plan (nvls.cc ncclNvlsTuning, ncclNvlsTreeSm100Tuning; enqueue.cc): a class of
 * node shapes and NICs, each against NCCL's table, and the chunk's halvings by size. */
static void test_calibration__nvlstree_channels_and_chunks(void **state) {
  (void)state;
  const nvl_calibration *c = &nvl_test_ctx()->cal;
  struct {
    int gen, nodes, ppn;
    double nic_GBps;
    int channels;
    uint64_t chunk_8g; /* the chunk of an 8 GiB all_reduce: the tuned ceiling */
  } cases[] = {
      {4, 2, 8, 50, 16, 131072},   /* H100, two nodes: SM90 defaults */
      {4, 4, 8, 50, 16, 65536},    /* four nodes and more: a 64 KiB tree chunk */
      {5, 2, 8, 50, 32, 65536},    /* B200, two nodes, CX-7 through PCIe */
      {5, 2, 4, 50, 32, 262144},   /* four ranks per node: 256 KiB */
      {5, 2, 8, 100, 32, 131072},  /* CX-8 at 8 ranks: 128 KiB */
      {5, 16, 72, 50, 24, 65536},  /* 16 NVL72 racks on CX-7 */
      {5, 16, 72, 100, 32, 65536}, /* on CX-8: 32 channels, 64 KiB from 32 ranks per node */
      {5, 16, 8, 100, 24, 262144}, /* 16 HGX B300 nodes on CX-8 */
      {5, 16, 16, 100, 32, 131072},
      {5, 16, 8, 25, 32, 65536}, /* a slower NIC: NCCL's defaults (64 KiB from 4 nodes) */
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    nvl_tuner_comm m = comm(cases[i].nodes * cases[i].ppn, cases[i].gen, 18, true);
    m.nodes = cases[i].nodes;
    m.ppn = cases[i].ppn;
    m.nic_Bps = cases[i].nic_GBps * 1e9;
    nvl_tuner_nvlstree_plan pl = nvl_tuner_nvlstree_plan_of(c, &m, (uint64_t)(8 * GiB));
    assert_int_equal(pl.channels, cases[i].channels);
    assert_int_equal(pl.chunk, cases[i].chunk_8g);
    uint64_t ops = (uint64_t)pl.channels * (uint64_t)nvl_tuner_nvls_heads(c, cases[i].ppn);
    assert_int_equal(pl.steps, (8 * GiB + ops * pl.chunk - 1) / (ops * pl.chunk));
  }
  /* H100 two nodes (16 x 8 pipelines, 128 KiB): 64 KiB below 4 rounds (64 MiB), 32 KiB below
   * one round of 64 KiB (8 MiB); so 2 steps at 16 MiB and 8 at 128 MiB */
  nvl_tuner_comm h = comm(16, 4, 18, true);
  h.nodes = 2;
  h.ppn = 8;
  h.nic_Bps = 50e9;
  assert_int_equal(nvl_tuner_nvlstree_plan_of(c, &h, 128u << 20).chunk, 131072);
  assert_int_equal(nvl_tuner_nvlstree_plan_of(c, &h, 128u << 20).steps, 8);
  assert_int_equal(nvl_tuner_nvlstree_plan_of(c, &h, 16u << 20).chunk, 65536);
  assert_int_equal(nvl_tuner_nvlstree_plan_of(c, &h, 16u << 20).steps, 2);
  assert_int_equal(nvl_tuner_nvlstree_plan_of(c, &h, 4u << 20).chunk, 32768);
  assert_int_equal(nvl_tuner_nvlstree_plan_of(c, &h, 4u << 20).steps, 1);
}

static void test_calibration__nccl_choices(void **state) {
  const nvl_calibration *c = &nvl_test_ctx()->cal;
  nvl_tuner_comm h = comm(8, 4, 18, true);
  /* ring protocols by size, NVLS for large all_reduce where it is possible */
  assert_int_equal(nvl_tuner_proto(c, &h, NVL_COLL_ALL_REDUCE, NVL_ALGO_RING, 8), NVL_PROTO_LL);
  assert_int_equal(nvl_tuner_proto(c, &h, NVL_COLL_ALL_REDUCE, NVL_ALGO_RING, 1ull << 30),
                   NVL_PROTO_SIMPLE);
  assert_int_equal(nvl_tuner_proto(c, &h, NVL_COLL_ALL_REDUCE, NVL_ALGO_NVLS, 8), NVL_PROTO_SIMPLE);
  assert_int_equal(nvl_tuner_algo(c, &h, NVL_COLL_ALL_REDUCE, 8), NVL_ALGO_RING);
  assert_int_equal(nvl_tuner_algo(c, &h, NVL_COLL_ALL_REDUCE, 1ull << 30), NVL_ALGO_NVLS);
  h.nvls = false;
  assert_int_equal(nvl_tuner_algo(c, &h, NVL_COLL_ALL_REDUCE, 1ull << 30), NVL_ALGO_RING);
  /* 576 ranks: LL's bus bandwidth is capped at NCCL's llMaxBw (282 GB/s on Blackwell), so a
   * 512 MiB ring takes LL128, not LL (NCCL's prediction: about 3.9 ms against 4.5) */
  nvl_tuner_comm big = comm(576, 5, 18, false);
  assert_int_equal(nvl_tuner_proto(c, &big, NVL_COLL_ALL_REDUCE, NVL_ALGO_RING, 512u << 20),
                   NVL_PROTO_LL128);
  assert_close(
      nvl_tuner_time(c, &big, NVL_COLL_ALL_REDUCE, NVL_ALGO_RING, NVL_PROTO_LL, 512u << 20),
      6.6e-6 + 1150 * 0.6e-6 + 536870912.0 / (282e9 * 576 / 1150), 1e-9);
  /* the chosen protocol is the fastest by NCCL's own prediction */
  for (uint64_t s = 8; s <= (1ull << 34); s *= 8) {
    nvl_proto p = nvl_tuner_proto(c, &h, NVL_COLL_ALL_GATHER, NVL_ALGO_RING, s);
    for (int q = 0; q < NVL_PROTO__COUNT; q++)
      assert_true(nvl_tuner_time(c, &h, NVL_COLL_ALL_GATHER, NVL_ALGO_RING, p, s) <=
                  nvl_tuner_time(c, &h, NVL_COLL_ALL_GATHER, NVL_ALGO_RING, (nvl_proto)q, s));
  }
}

/* NCCL's rating of PCIe (topo.cc: width x speed / 80): x16 Gen4 24, Gen5 48, Gen6 96 GB/s, and
 * x8 Gen5 as x16 Gen4; a NIC faster than its rated path is seen at the path's rating: ConnectX-8
 * (800 Gb/s) on Gen5 x16 gives NCCL's ring the NICs at 48 GB/s each (on Gen6: 96). */
static void test_calibration__pcie_ratings(void **state) {
  (void)state;
  const nvl_calibration *c = &nvl_test_ctx()->cal;
  assert_close(nvl_calibration_pcie_rating(c, 31), 24, 0);
  assert_close(nvl_calibration_pcie_rating(c, 31.5), 24, 0);
  assert_close(nvl_calibration_pcie_rating(c, 63), 48, 0);
  assert_close(nvl_calibration_pcie_rating(c, 121), 96, 0);
  assert_close(nvl_calibration_pcie_rating(c, 8), 0, 0);
  nvl_tuner_comm m = comm(16, 5, 18, false);
  m.nodes = 2, m.ppn = 8, m.nics = 8, m.nic_Bps = 100e9;
  uint64_t S = 16ull << 30;
  m.pcie_GBps = 96;
  double gen6 = nvl_tuner_time_ring(c, &m, NVL_COLL_ALL_REDUCE, NVL_PROTO_SIMPLE, S);
  m.pcie_GBps = 48;
  double gen5 = nvl_tuner_time_ring(c, &m, NVL_COLL_ALL_REDUCE, NVL_PROTO_SIMPLE, S);
  /* on Gen5 the NICs bind: 8 x 48 GB/s of ring bus bandwidth, algorithm bandwidth x 16/30 */
  assert_close(gen5, (double)S / (8 * 48e9 * 16 / 30), 0.01);
  assert_true(gen5 > 1.2 * gen6);
}

static void test_calibration__p2p_channels(void **state) {
  const nvl_calibration *c = &nvl_test_ctx()->cal;
  nvl_tuner_comm n8 = comm(8, 4, 18, true), n72 = comm(72, 5, 18, false);
  /* 8 ranks: at least 4 channels per peer (4 x 8 = 32), doubled while a part exceeds 16 MiB */
  assert_int_equal(nvl_tuner_p2p_channels(c, &n8, 64u << 20), 4);
  assert_int_equal(nvl_tuner_p2p_channels(c, &n8, 128u << 20), 8);
  assert_int_equal(nvl_tuner_p2p_channels(c, &n8, 256u << 20), 16);
  assert_int_equal(nvl_tuner_p2p_channels(c, &n8, 512u << 20), 32);
  assert_int_equal(nvl_tuner_p2p_channels(c, &n8, 1u << 30), 32);
  /* small sends take fewer channels, and LL up to 16 KiB per channel */
  assert_int_equal(nvl_tuner_p2p_channels(c, &n8, 100000), 2);
  assert_int_equal(nvl_tuner_p2p_proto(c, &n8, 16384), NVL_PROTO_LL);
  assert_int_equal(nvl_tuner_p2p_proto(c, &n8, 32768), NVL_PROTO_SIMPLE); /* one channel */
  assert_int_equal(nvl_tuner_p2p_proto(c, &n8, 1u << 20), NVL_PROTO_SIMPLE);
  /* 72 ranks: one channel per peer unless parts are large */
  assert_int_equal(nvl_tuner_p2p_channels(c, &n72, 8u << 20), 1);
  assert_int_equal(nvl_tuner_p2p_channels(c, &n72, 64u << 20), 4);
  /* across nodes, NCCL's NET rules: a NET peer takes ceil(50 / 14) = 4 channels (a NIC of 50
   * GB/s per GPU, or p5's four of 12.5), halved while ceil(n / 8) batches of them exceed 32;
   * parts of 64-128 KiB: two HGX nodes, 64 MiB on 4 channels, 100 kB on 2 */
  struct {
    int n, nodes, nics;
    double nic_GBps;
    int per_peer, ch_64m, ch_100k;
  } net[] = {{16, 2, 8, 50, 4, 4, 2},   {16, 2, 32, 12.5, 4, 4, 2}, {64, 8, 8, 50, 4, 4, 1},
             {128, 16, 8, 50, 2, 2, 1}, {256, 32, 8, 50, 1, 1, 1},  {144, 2, 72, 50, 1, 1, 1},
             {32, 4, 8, 100, 8, 8, 1}};
  for (size_t i = 0; i < sizeof net / sizeof net[0]; i++) {
    nvl_tuner_comm m = comm(net[i].n, 4, 18, true);
    m.nodes = net[i].nodes;
    m.ppn = net[i].n / net[i].nodes;
    m.nics = net[i].nics;
    m.nic_Bps = net[i].nic_GBps * 1e9;
    assert_int_equal(nvl_tuner_p2p_per_peer(c, &m), net[i].per_peer);
    assert_int_equal(nvl_tuner_p2p_channels(c, &m, 64u << 20), net[i].ch_64m);
    assert_int_equal(nvl_tuner_p2p_channels(c, &m, 100000), net[i].ch_100k);
  }
}

static void test_calibration__ring_pipeline(void **state) {
  const nvl_calibration *c = &nvl_test_ctx()->cal;
  /* NCCL's buffers: Simple 4 MiB in 8 steps, chunks of 4 steps in slices of 2; LL 512 KiB in 8
   * steps, half of it data; LL128 4,915,200 B in 8 steps, 120 of 128 bytes data */
  nvl_ring_pipeline s = nvl_calibration_ring(c, 4, NVL_PROTO_SIMPLE, 24, 450e9);
  assert_int_equal(s.chunk, 2 * 1048576);
  assert_int_equal(s.slices, 2);
  assert_int_equal(s.channels, 24);
  nvl_ring_pipeline ll = nvl_calibration_ring(c, 4, NVL_PROTO_LL, 24, 450e9);
  assert_int_equal(ll.chunk, 32768);
  assert_close(ll.slice_s, 0, 0); /* flags travel with the data: nothing to synchronise */
  assert_int_equal(nvl_calibration_ring(c, 4, NVL_PROTO_LL128, 24, 450e9).chunk, 576000);
  /* a full step (every channel a whole chunk) takes what the Simple efficiency says, for every
   * generation, channel count and bandwidth: the synchronisation share moves time, it does not
   * add any */
  for (int g = 3; g <= 6; g++)
    for (int ch = 8; ch <= 32; ch += 8)
      for (double bw = 100e9; bw <= 1000e9; bw *= 3) {
        nvl_ring_pipeline r = nvl_calibration_ring(c, g, NVL_PROTO_SIMPLE, ch, bw);
        double D = (double)r.channels * (double)r.chunk;
        assert_close(r.slices * r.slice_s + D * r.scale / bw,
                     D / (bw * nvl_calibration_gen(c, g)->simple_eff), 1e-12);
        assert_true(r.slice_s > 0 && r.scale >= 1.0);
      }
  /* a third of a full step costs (1 + 2 x share) / 3 of it: the medium-size penalty */
  nvl_ring_pipeline a = nvl_calibration_ring(c, 3, NVL_PROTO_SIMPLE, 24, 300e9);
  double D = (double)a.channels * (double)a.chunk,
         full = D / (300e9 * nvl_calibration_gen(c, 3)->simple_eff);
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
    cmocka_unit_test(test_calibration__ring_graphs_and_channels),
    cmocka_unit_test(test_calibration__nvls_graphs_heads_and_chunks),
    cmocka_unit_test(test_calibration__nvlstree_channels_and_chunks),
    cmocka_unit_test(test_calibration__nccl_choices),
    cmocka_unit_test(test_calibration__pcie_ratings),
    cmocka_unit_test(test_calibration__p2p_channels),
    cmocka_unit_test(test_calibration__ring_pipeline),
    cmocka_unit_test(test_calibration__protocol_names),
};
NVL_TEST_MAIN(tests)
