/*
 * Simulated times against closed-form alpha-beta values (sim/engine, sim/platform,
 * models/collectives.c), all under --model ideal. Tolerance 1e-6 relative unless stated: the
 * engine runs SimGrid with exact max-min sharing and surf/precision 1e-10 s.
 *
 * Notation: n ranks, S bytes, B per-direction injection bandwidth, a = path latency
 * (link 50 ns + switch 250 ns + link 50 ns = 350 ns on one-hop designs).
 */
#include "nvl_fixture.h"

#include <inttypes.h>
#include "design/design.h"
#include "engine/cfg.h"
#include "engine/engine.h"
#include "workload/run.h"
#include "platform/platform.h"
#include "workload/workload.h"
#include "models/algorithms.h"
#include "models/calibration.h"
#include "models/tuner.h"
#include <math.h>

#define TOL 1e-6
#define A1 350e-9 /* one-hop path latency */

typedef struct {
  const char *ranks;
  nvl_coll coll;
  nvl_algo algo;
  nvl_pattern pattern;
  uint64_t bytes;
} job_def;

typedef struct {
  double time_s[4];
  double link_up_bytes; /* bytes UP on the first endpoint link (link stats runs) */
  nvl_engine_result res;
} outcome;

static nvl_design *load_topology(const char *name) {
  char path[512];
  snprintf(path, sizeof path, "%s/topologies/%s", NVL_SOURCE_DIR, name);
  nvl_design *d = NULL;
  nvl_diags diags = NVL_DIAGS_INIT;
  assert_int_equal(nvl_design_load_file(path, NULL, &d, &diags), NVL_LOAD_OK);
  nvl_diags_release(&diags);
  return d;
}

static const char *const *g_failures;       /* failures injected by the next simulate() */
static nvl_model g_model = NVL_MODEL_IDEAL; /* model of the next simulate() */
static int g_proto = NVL_PROTO_SIMPLE;      /* its protocol (-1: NCCL's choice) */

/* Runs concurrent jobs (one step) on a reference design under the ideal model. */
static outcome simulate(const char *design, const job_def *defs, size_t nj, bool explicit_planes,
                        bool link_stats) {
  outcome o;
  memset(&o, 0, sizeof o);
  nvl_design *d = NULL;
  if (g_failures) {
    char path[512];
    snprintf(path, sizeof path, "%s/topologies/%s", NVL_SOURCE_DIR, design);
    nvl_load_opts lo = {.failures = g_failures};
    nvl_diags ld = NVL_DIAGS_INIT;
    assert_int_equal(nvl_design_load_file(path, &lo, &d, &ld), NVL_LOAD_OK);
    nvl_diags_release(&ld);
  } else {
    d = load_topology(design);
  }
  nvl_platform_opts po = {.model = g_model, .explicit_planes = explicit_planes};
  nvl_diags diags = NVL_DIAGS_INIT;
  nvl_platform *p = nvl_platform_new(d, &po, &diags);
  assert_non_null(p);
  nvl_workload_spec spec = {.ctx = nvl_test_ctx()};
  spec.model = g_model;
  spec.seed = 1;
  spec.jobs = calloc(nj, sizeof *spec.jobs);
  spec.n_jobs = nj;
  for (size_t k = 0; k < nj; k++) {
    nvl_job *j = &spec.jobs[k];
    snprintf(j->name, sizeof j->name, "j%zu", k);
    if (defs[k].ranks)
      snprintf(j->ranks_sel, sizeof j->ranks_sel, "%s", defs[k].ranks);
    j->coll = defs[k].coll;
    j->algo = defs[k].algo                                 ? defs[k].algo
              : nvl_algo_runs(NVL_ALGO_RING, defs[k].coll) ? NVL_ALGO_RING
                                                           : NVL_ALGO_P2P;
    j->pattern = defs[k].pattern;
    j->size_bytes = defs[k].bytes;
    j->proto = g_proto; /* the default model's protocol (the ideal model has none) */
  }
  nvl_task_graph g;
  nvl_workload_run *wr = nvl_fixture_simulate(&spec, d, p, link_stats, &o.res, &g);
  for (size_t k = 0; k < nj && k < 4; k++)
    o.time_s[k] = o.res.time_s[k];
  if (link_stats) {
    /* the logical link of the first rank of job 0 towards its switch class */
    int dev = spec.jobs[0].devs[0];
    char prefix[80];
    snprintf(prefix, sizeof prefix, "%s~", d->devices[dev].name);
    for (size_t l = 0; l < nvl_platform_link_count(p); l++)
      if (strncmp(nvl_platform_link(p, (int)l)->name, prefix, strlen(prefix)) == 0 &&
          strstr(nvl_platform_link(p, (int)l)->name, "sw")) {
        o.link_up_bytes = o.res.link_bytes[2 * l];
        break;
      }
  }
  nvl_workload_run_free(wr);
  nvl_workload_spec_release(&spec);
  nvl_platform_free(p);
  nvl_design_free(d);
  nvl_diags_release(&diags);
  return o;
}

static double sim1(const char *design, job_def j) {
  outcome o = simulate(design, &j, 1, false, false);
  nvl_engine_result_release(&o.res);
  return o.time_s[0];
}

static void test_engine__single_transfer_multi_hop(void **state) {
  /* NVL576: gpu0 (rack 0) -> gpu100 (rack 1): leaf, spine, leaf = 4 links and 3 switches */
  double S = 64.0 * 1048576;
  double a = 4 * 50e-9 + 3 * 250e-9;
  double t = sim1("nvl576.json", (job_def){"gpu0,gpu100", 0, 0, NVL_PAT_PAIR, (uint64_t)S});
  assert_close(t, a + S / 900e9, TOL);
  /* same rack: one switch */
  t = sim1("nvl576.json", (job_def){"gpu0,gpu5", 0, 0, NVL_PAT_PAIR, (uint64_t)S});
  assert_close(t, A1 + S / 900e9, TOL);
}

static void test_engine__two_flows_share_a_link(void **state) {
  /* incast: gpu1 and gpu2 both send S to gpu0, whose 450 GB/s downlink they share */
  double S = 32.0 * 1048576;
  double t = sim1("hgx-h100.json", (job_def){"gpu0,gpu1,gpu2", 0, 0, NVL_PAT_INCAST, (uint64_t)S});
  assert_close(t, A1 + 2 * S / 450e9, TOL);
}

static void test_engine__full_duplex(void **state) {
  /* gpu0 <-> gpu1 at once: directions are independent, so no slowdown */
  double S = 32.0 * 1048576;
  double t = sim1("hgx-h100.json", (job_def){"gpu0,gpu1", 0, 0, NVL_PAT_BIDIR, (uint64_t)S});
  assert_close(t, A1 + S / 450e9, TOL);
}

static void test_engine__ring_all_reduce(void **state) {
  int n = 72;
  double S = 72.0 * 1048576, B = 900e9;
  double t =
      sim1("gb200-nvl72.json", (job_def){NULL, NVL_COLL_ALL_REDUCE, NVL_ALGO_RING, 0, (uint64_t)S});
  assert_close(t, 2 * (n - 1) * (A1 + S / n / B), TOL);
  /* 8 x H100 */
  n = 8;
  S = 8.0 * 1048576;
  t = sim1("hgx-h100.json", (job_def){NULL, NVL_COLL_ALL_REDUCE, NVL_ALGO_RING, 0, (uint64_t)S});
  assert_close(t, 2 * (n - 1) * (A1 + S / n / 450e9), TOL);
}

/* The default model's ring pipeline (models/calibration.c, collectives.c) in closed form. With
 * C channels of `chunk` bytes, a loop covers C n chunk bytes; each pass over the ring (a group of
 * whole loops, or the last partial loop) takes 2(n-1) steps, and each step pays the slice costs
 * of its loops, the path latency and its bytes at B / scale. The first pass pays NCCL's hop
 * latency (which includes the path latency) instead. */
static double ring_pipeline_time(double S, int n, double B, int gen, double phys, int links) {
  const nvl_calibration *c = &nvl_test_ctx()->cal;
  nvl_tuner_comm m = {
      .n = n, .generation = gen, .nvlink_Bps = links * nvl_calibration_gen(c, gen)->nccl_link_Bps};
  nvl_ring_pipeline rp =
      nvl_calibration_ring(c, gen, NVL_PROTO_SIMPLE, nvl_tuner_ring_channels(c, &m), B);
  double loop = (double)rp.channels * n * (double)rp.chunk;
  double full = floor(S / loop), rest = S - full * loop;
  double passes = (full < 16 ? full : 16) + (rest > 0 ? 1 : 0);
  double loops = full + (rest > 0 ? 1 : 0);
  double steps = 2.0 * (n - 1);
  return c->device_launch_s + c->base_s[NVL_PROTO_SIMPLE] +
         steps * c->ring_hop_s[NVL_PROTO_SIMPLE] + steps * (passes - 1) * phys +
         steps * loops * rp.slices * rp.slice_s + steps * S / n * rp.scale / B;
}

static void test_engine__default_ring_pipeline_closed_form(void **state) {
  g_model = NVL_MODEL_DEFAULT;
  /* 8 x H100, Simple forced by size: 128 MiB is one partial loop (C n chunk = 384 MiB), 1 GiB is
   * two whole loops and a partial one, 16 GiB is 42 whole loops in 16 passes plus a partial one */
  const double sizes[] = {128.0 * 1048576, 1024.0 * 1048576, 16384.0 * 1048576};
  for (int i = 0; i < 3; i++) {
    job_def j = {NULL, NVL_COLL_ALL_REDUCE, NVL_ALGO_RING, 0, (uint64_t)sizes[i]};
    double t = sim1("hgx-h100.json", j);
    assert_close(t, ring_pipeline_time(sizes[i], 8, 450e9, 4, A1, 18), 1e-6);
  }
  g_model = NVL_MODEL_IDEAL;
}

static void test_engine__small_all_reduce_latency(void **state) {
  /* 8 GPUs, 32 KiB all_reduce, NCCL's own choice (ring/LL): on the device 15 us to start, NCCL's
   * base 6.6 us, 14 hops of 0.6 us and the data at LL's half payload rate, about 30 us; but back
   * to back operations run no faster than the host issues them, 42 us. Measured nccl-tests on
   * 8 x A100: about 44 us (NVLINK-FACTS.md; the interval is fitted between it and the H200
   * curve). */
  g_model = NVL_MODEL_DEFAULT;
  g_proto = -1;
  const nvl_calibration *c = &nvl_test_ctx()->cal;
  job_def j = {NULL, NVL_COLL_ALL_REDUCE, NVL_ALGO_AUTO, 0, 32768};
  double t = sim1("hgx-a100.json", j);
  double device = c->device_launch_s + 6.6e-6 + 14 * 0.6e-6 +
                  14 * 32768.0 / 8 * 2 / (300e9 * nvl_calibration_gen(c, 3)->simple_eff);
  assert_true(device < c->host_interval_s);
  assert_close(t, c->host_interval_s, 1e-9);
  assert_close(t, 44e-6, 0.05);
  /* a larger operation is device-bound: 1 MiB takes what the device takes */
  j.bytes = 1u << 20;
  assert_true(sim1("hgx-a100.json", j) > c->host_interval_s);
  g_model = NVL_MODEL_IDEAL;
  g_proto = NVL_PROTO_SIMPLE;
}

static void test_engine__sizes_below_one_byte_per_rank(void **state) {
  /* 8 B over 72 ranks: most ring parts and every alltoall part are empty. An empty transfer still
   * pays its path latency (s4u leaves an empty host-to-host transfer unstarted: the shim starts
   * it), so ring all_reduce takes 2(n-1) hops and alltoall one, each plus at most one byte at line
   * rate; all_gather and reduce_scatter round to count 0 and take no time; explicit ranks as
   * reduced ones */
  const double B = 900e9;
  static const struct {
    nvl_coll coll;
    nvl_algo algo;
    double hops;
  } cs[] = {{NVL_COLL_ALL_REDUCE, NVL_ALGO_RING, 2 * 71},
            {NVL_COLL_ALL_GATHER, NVL_ALGO_RING, 71},
            {NVL_COLL_REDUCE_SCATTER, NVL_ALGO_RING, 71},
            {NVL_COLL_ALLTOALL, NVL_ALGO_P2P, 1},
            {NVL_COLL_SENDRECV, NVL_ALGO_P2P, 1}};
  for (size_t k = 0; k < sizeof cs / sizeof *cs; k++)
    for (uint64_t bytes = 4; bytes <= 8; bytes += 4) {
      double t = sim1("gb200-nvl72.json", (job_def){NULL, cs[k].coll, cs[k].algo, 0, bytes});
      if (cs[k].algo != NVL_ALGO_P2P && nvl_coll_round_size(cs[k].coll, 72, bytes) == 0) {
        assert_true(t == 0); /* count 0 (all_gather, reduce_scatter): NCCL discards it */
        continue;
      }
      assert_true(t >= cs[k].hops * A1 * (1 - 1e-9));
      assert_true(t <= cs[k].hops * (A1 + 8 / B) + 1e-12);
    }
}

static void test_engine__rings_on_a_full_mesh(void **state) {
  /* HGX A100 4-GPU, no switch: six directed rings carry S/6 each, and every link direction
   * (4 NVLink 3 = 100 GB/s) is shared by two of them, so each ring step moves S/(6n) at 50 GB/s
   * over one 50 ns link: all_reduce t = 2(n-1)(a + S/(6n)/50 GB/s), busbw = the full 300 GB/s
   * (one ring order would reach 100) */
  int n = 4;
  double S = 1024.0 * 1048576, a = 50e-9;
  double t = sim1("hgx-a100-4gpu.json",
                  (job_def){NULL, NVL_COLL_ALL_REDUCE, NVL_ALGO_RING, 0, (uint64_t)S});
  assert_close(t, 2 * (n - 1) * (a + S / (6 * n) / 50e9), TOL);
  t = sim1("hgx-a100-4gpu.json",
           (job_def){NULL, NVL_COLL_ALL_GATHER, NVL_ALGO_RING, 0, (uint64_t)S});
  assert_close(t, (n - 1) * (a + S / (6 * n) / 50e9), TOL);
}

static void test_engine__rings_avoid_a_failed_mesh_link(void **state) {
  /* the same board with the gpu0-gpu1 bundle failed: of K4's three cycles only 0-2-1-3 avoids it;
   * both directions carry S/2 each over 100 GB/s links, busbw 200 GB/s:
   * t = 2(n-1)(a + S/(2n)/100 GB/s) */
  static const char *const fail[] = {"link:gpu0-gpu1", NULL};
  g_failures = fail;
  int n = 4;
  double S = 1024.0 * 1048576, a = 50e-9;
  double t = sim1("hgx-a100-4gpu.json",
                  (job_def){NULL, NVL_COLL_ALL_REDUCE, NVL_ALGO_RING, 0, (uint64_t)S});
  g_failures = NULL;
  assert_close(t, 2 * (n - 1) * (a + S / (2 * n) / 100e9), TOL);
}

static void test_engine__all_gather_and_reduce_scatter(void **state) {
  int n = 72;
  double S = 72.0 * 1048576, B = 900e9;
  double t =
      sim1("gb200-nvl72.json", (job_def){NULL, NVL_COLL_ALL_GATHER, NVL_ALGO_RING, 0, (uint64_t)S});
  assert_close(t, (n - 1) * (A1 + S / n / B), TOL);
  t = sim1("gb200-nvl72.json",
           (job_def){NULL, NVL_COLL_REDUCE_SCATTER, NVL_ALGO_RING, 0, (uint64_t)S});
  assert_close(t, (n - 1) * (A1 + S / n / B), TOL);
}

static void test_engine__alltoall_limited_by_injection(void **state) {
  int n = 72;
  double S = 72.0 * 1048576, B = 900e9;
  double t =
      sim1("gb200-nvl72.json", (job_def){NULL, NVL_COLL_ALLTOALL, NVL_ALGO_P2P, 0, (uint64_t)S});
  assert_close(t, A1 + (n - 1) * S / n / B, TOL);
}

static void test_engine__sendrecv_and_pipelined_broadcast(void **state) {
  double S = 64.0 * 1048576, B = 900e9;
  double t =
      sim1("gb200-nvl72.json", (job_def){NULL, NVL_COLL_SENDRECV, NVL_ALGO_P2P, 0, (uint64_t)S});
  assert_close(t, A1 + S / B, TOL);
  /* chain of 72 in K = 128 chunks of 512 KiB: (K + n - 2)(a + c/B) */
  int n = 72, K = 128;
  t = sim1("gb200-nvl72.json", (job_def){NULL, NVL_COLL_BROADCAST, NVL_ALGO_RING, 0, (uint64_t)S});
  assert_close(t, (K + n - 2) * (A1 + S / K / B), TOL);
  t = sim1("gb200-nvl72.json", (job_def){NULL, NVL_COLL_REDUCE, NVL_ALGO_RING, 0, (uint64_t)S});
  assert_close(t, (K + n - 2) * (A1 + S / K / B), TOL);
}

static void test_engine__heterogeneous_ring_runs_at_slowest_member(void **state) {
  /* 3 GPUs (900 GB/s) and one 12-port ASIC (600 GB/s): every step waits for the ASIC hop */
  int n = 4;
  double S = 16.0 * 1048576;
  double t = sim1("fusion-gpu-asic.json",
                  (job_def){"gpu[0:3],asic0", NVL_COLL_ALL_REDUCE, NVL_ALGO_RING, 0, (uint64_t)S});
  assert_close(t, 2 * (n - 1) * (A1 + S / n / 600e9), TOL);
  /* the same ring of 4 GPUs runs at 900 GB/s: GPU transfers stripe over both plane groups */
  double tg = sim1("fusion-gpu-asic.json",
                   (job_def){"gpu[0:4]", NVL_COLL_ALL_REDUCE, NVL_ALGO_RING, 0, (uint64_t)S});
  assert_close(tg, 2 * (n - 1) * (A1 + S / n / 900e9), TOL);
}

static void test_engine__concurrent_jobs_share_planes(void **state) {
  /* job A gpu0 -> gpu1 and job B gpu0 -> gpu2 share gpu0's uplink: each gets 225 GB/s */
  double S = 32.0 * 1048576;
  job_def jobs[2] = {{"gpu0,gpu1", 0, 0, NVL_PAT_PAIR, (uint64_t)S},
                     {"gpu0,gpu2", 0, 0, NVL_PAT_PAIR, (uint64_t)S}};
  outcome o = simulate("hgx-h100.json", jobs, 2, false, false);
  assert_close(o.time_s[0], A1 + 2 * S / 450e9, TOL);
  assert_close(o.time_s[1], A1 + 2 * S / 450e9, TOL);
  nvl_engine_result_release(&o.res);
  /* two rings on disjoint halves of NVL72 do not interfere */
  double S2 = 36.0 * 1048576;
  job_def rings[2] = {{"gpu[0:36]", NVL_COLL_ALL_REDUCE, NVL_ALGO_RING, 0, (uint64_t)S2},
                      {"gpu[36:72]", NVL_COLL_ALL_REDUCE, NVL_ALGO_RING, 0, (uint64_t)S2}};
  o = simulate("gb200-nvl72.json", rings, 2, false, false);
  assert_close(o.time_s[0], 2 * 35 * (A1 + S2 / 36 / 900e9), TOL);
  assert_close(o.time_s[1], o.time_s[0], TOL);
  nvl_engine_result_release(&o.res);
  /* a ring over gpu0..3 and an alltoall over gpu0..3 at once: both take longer than alone */
  double S3 = 4.0 * 1048576;
  job_def mixed[2] = {{"gpu[0:4]", NVL_COLL_ALL_REDUCE, NVL_ALGO_RING, 0, (uint64_t)S3},
                      {"gpu[0:4]", NVL_COLL_ALLTOALL, NVL_ALGO_P2P, 0, (uint64_t)S3}};
  o = simulate("gb200-nvl72.json", mixed, 2, false, false);
  double alone_ring = 2 * 3 * (A1 + S3 / 4 / 900e9), alone_a2a = A1 + 3 * S3 / 4 / 900e9;
  assert_true(o.time_s[0] > alone_ring * 1.01);
  assert_true(o.time_s[1] > alone_a2a * 1.01);
  nvl_engine_result_release(&o.res);
}

static void test_engine__nvl72_all_reduce_1gib_ideal(void **state) {
  double S = 1073741824.0;
  int n = 72;
  double t =
      sim1("gb200-nvl72.json", (job_def){NULL, NVL_COLL_ALL_REDUCE, NVL_ALGO_RING, 0, (uint64_t)S});
  double busbw = S / t * 2 * (n - 1) / n / 1e9;
  /* 900 GB/s minus latency: 2(n-1) steps of 350 ns on 16.6 us chunks */
  assert_true(busbw > 880.0 && busbw < 900.0);
  uint64_t chunk = (uint64_t)S / n + 1; /* 1 GiB is not a multiple of 72: the largest chunk rules */
  assert_close(t, 2 * (n - 1) * (A1 + chunk / 900e9), TOL);
}

static void test_engine__aggregated_equals_explicit_planes(void **state) {
  /* NVL72: 18 explicit planes vs one aggregated switch; HGX H100: 5/4/4/5 planes vs one class.
   * (NVL72 alltoall with explicit planes is left out: 92,000 concurrent stripes take a minute.) */
  const char *designs[2] = {"gb200-nvl72.json", "hgx-h100.json"};
  nvl_coll colls[2] = {NVL_COLL_ALL_REDUCE, NVL_COLL_ALLTOALL};
  for (int di = 0; di < 2; di++)
    for (int c = 0; c < 2; c++) {
      if (di == 0 && c == 1)
        continue;
      /* sizes divisible by ranks x 18 stripes, so no byte rounding differs */
      job_def j = {NULL, colls[c], 0, 0, 72ull * 18 * 8 * 65536};
      outcome agg = simulate(designs[di], &j, 1, false, false);
      outcome exp = simulate(designs[di], &j, 1, true, false);
      assert_close(exp.time_s[0], agg.time_s[0], TOL);
      nvl_engine_result_release(&agg.res);
      nvl_engine_result_release(&exp.res);
    }
}

static void test_engine__asymmetric_planes_differ_physically(void **state) {
  /* ASIC alltoall partner: asic0 reaches 12 of 18 planes. Pair gpu0 -> asic0 is limited to the
   * 12 planes (600 GB/s), gpu0 -> gpu1 uses all 18 (900 GB/s). Explicit planes agree. */
  double S = 64.0 * 1048576;
  double t_asic =
      sim1("fusion-gpu-asic.json", (job_def){"gpu0,asic0", 0, 0, NVL_PAT_PAIR, (uint64_t)S});
  double t_gpu =
      sim1("fusion-gpu-asic.json", (job_def){"gpu0,gpu1", 0, 0, NVL_PAT_PAIR, (uint64_t)S});
  assert_close(t_asic, A1 + S / 600e9, TOL);
  assert_close(t_gpu, A1 + S / 900e9, TOL);
  job_def j = {"gpu0,asic0", 0, 0, NVL_PAT_PAIR, 18 * 65536 * 12};
  outcome agg = simulate("fusion-gpu-asic.json", &j, 1, false, false);
  outcome exp = simulate("fusion-gpu-asic.json", &j, 1, true, false);
  assert_close(exp.time_s[0], agg.time_s[0], TOL);
  nvl_engine_result_release(&agg.res);
  nvl_engine_result_release(&exp.res);
}

static void test_engine__nvls_in_switch_reduction(void **state) {
  /* each GPU sends S(n+1)/n up in K chunks and gets as much back: (K + 1)(a' + c(n+1)/(nB)),
   * a' = 50 + 250 ns; 64 MiB in chunks of 512 KiB would be 128, capped at 64 chunks of 1 MiB */
  double S = 64.0 * 1048576, B = 450e9, a = 300e-9;
  int K = 64, n = 8;
  double t =
      sim1("hgx-h100.json", (job_def){NULL, NVL_COLL_ALL_REDUCE, NVL_ALGO_NVLS, 0, (uint64_t)S});
  assert_close(t, (K + 1) * (a + S / K * (n + 1) / n / B), TOL);
}

static void test_engine__nvls_through_32_heads(void **state) {
  /* 72 ranks reduce through NCCL's 32 heads: a head moves S(H+1)/H each way, the other ranks S,
   * so the heads set the time: (K + 1)(a' + c(H+1)/(HB)) with H = 32 (not n = 72) */
  double S = 64.0 * 1048576, B = 900e9, a = 300e-9;
  int K = 64, H = 32;
  double t =
      sim1("gb200-nvl72.json", (job_def){NULL, NVL_COLL_ALL_REDUCE, NVL_ALGO_NVLS, 0, (uint64_t)S});
  assert_close(t, (K + 1) * (a + S / K * (H + 1) / H / B), TOL);
}

static void test_engine__nvls_steps_and_spread_closed_form(void **state) {
  /* default model, 72 ranks, 4 GiB: NCCL's 86 steps of 24 x 32 x 64 KiB simulated in 64 groups at
   * the NVLS rate, after the device start and NCCL's 25 us, then the slowest of 72 ranks:
   * spread x step x sqrt(2 x 86 x ln 72) */
  g_model = NVL_MODEL_DEFAULT;
  const nvl_calibration *c = &nvl_test_ctx()->cal;
  const nvl_generation *g = nvl_calibration_gen(c, 5);
  double S = 4.0 * 1024 * 1048576, B = 900e9, a = 300e-9, H = 32, n = 72, N = 86;
  int K = 64;
  double scale = 1 / (g->simple_eff * g->nvls_eff);
  double step = 24 * H * 65536 * (H + 1) / H * scale / B;
  double t =
      sim1("gb200-nvl72.json", (job_def){NULL, NVL_COLL_ALL_REDUCE, NVL_ALGO_NVLS, 0, (uint64_t)S});
  double want = c->device_launch_s + c->nccl.nvls_latency_s +
                (K + 1) * (a + S / K * (H + 1) / H * scale / B) +
                g->nvls_spread * step * sqrt(2 * N * log(n));
  g_model = NVL_MODEL_IDEAL;
  assert_close(t, want, 1e-6);
}

static void test_engine__p2p_channels_cap_sendrecv(void **state) {
  /* default model, 8 x A100 sendrecv: 128 MiB goes on 8 of NCCL's P2P channels of 14 GB/s each,
   * 112 GB/s, less than the link; 512 MiB on 32 channels is bound by the link instead */
  g_model = NVL_MODEL_DEFAULT;
  const nvl_calibration *c = &nvl_test_ctx()->cal;
  double start = c->device_launch_s + c->base_s[NVL_PROTO_SIMPLE];
  double S = 128.0 * 1048576;
  double t =
      sim1("hgx-a100.json", (job_def){NULL, NVL_COLL_SENDRECV, NVL_ALGO_AUTO, 0, (uint64_t)S});
  assert_close(t, start + A1 + S / (8 * c->nccl.p2p_channel_Bps), 1e-6);
  S = 512.0 * 1048576;
  t = sim1("hgx-a100.json", (job_def){NULL, NVL_COLL_SENDRECV, NVL_ALGO_AUTO, 0, (uint64_t)S});
  assert_close(t, start + A1 + S / (300e9 * nvl_calibration_gen(c, 3)->p2p_eff), 1e-6);
  g_model = NVL_MODEL_IDEAL;
}

static void test_engine__one_node_tree_is_a_chain(void **state) {
  /* NCCL's tree inside one node is the chain of its ranks (connect.cc: tree.up the previous,
   * tree.down[0] the next): reduced up the chain, broadcast down it, in K = 64 chunks (256 MiB in
   * 4 MiB: 8n chunks at most, as chains). Every rank but the ends sends 2S over its B, so
   * t >= 2S/B; the K steps and the chain's 2(n - 1) of fill each move a chunk at no less than
   * half its link: t <= 2S/B (1 + 2(n - 1)/K). The fill grows with the chain: 2, 4 and 8 ranks
   * take longer in that order. */
  double S = 256.0 * 1048576, B = 450e9, K = 64;
  const char *sel[] = {"gpu[0:2]", "gpu[0:4]", "gpu[0:8]"};
  double prev = 0;
  for (int i = 0; i < 3; i++) {
    double n = 2 << i, t = sim1("hgx-h100.json", (job_def){sel[i], NVL_COLL_ALL_REDUCE,
                                                           NVL_ALGO_TREE, 0, (uint64_t)S});
    assert_true(t >= 2 * S / B * (n > 2 ? 1 : 0.5));
    assert_true(t <= 2 * S / B * (1 + 2 * (n - 1) / K));
    assert_true(t > prev);
    prev = t;
  }
}

static void test_engine__link_stats_count_bytes(void **state) {
  double S = 8.0 * 1048576;
  job_def j = {"gpu0,gpu1", 0, 0, NVL_PAT_PAIR, (uint64_t)S};
  outcome o = simulate("gb200-nvl72.json", &j, 1, false, true);
  assert_close(o.link_up_bytes, S, 0);
  nvl_engine_result_release(&o.res);
}

static void test_engine__failed_switch_keeps_17_of_18(void **state) {
  /* NVL72 all_reduce (ring, ideal) with one of 18 chips failed: the bandwidth term scales by
   * 17/18, the latency term does not: t = 2(n-1)(a + S/(n x 850 GB/s)) */
  int n = 72;
  double S = 72.0 * 1048576 * 16;
  job_def j = {NULL, NVL_COLL_ALL_REDUCE, NVL_ALGO_RING, 0, (uint64_t)S};
  const char *fails[] = {"switch:sw4", NULL};
  g_failures = fails;
  double t_fail = sim1("gb200-nvl72.json", j);
  /* one failed link on gpu3 slows the whole ring to gpu3's 850 GB/s: the same time */
  const char *link[] = {"link:gpu3-sw7", NULL};
  g_failures = link;
  double t_link = sim1("gb200-nvl72.json", j);
  g_failures = NULL;
  double t_ok = sim1("gb200-nvl72.json", j);
  assert_close(t_fail, 2 * (n - 1) * (A1 + S / n / 850e9), TOL);
  assert_close(t_link, t_fail, TOL);
  assert_close(t_ok, 2 * (n - 1) * (A1 + S / n / 900e9), TOL);
  double ratio = t_ok / t_fail; /* busbw ratio */
  assert_close(ratio, 17.0 / 18.0, 0.005);
}

static int build_deadlock(void *ctx, size_t task, nvl_program *prog, const int **devs) {
  static int two[2];
  const nvl_design *d = ctx;
  two[0] = nvl_design_find_device(d, "gpu0");
  two[1] = nvl_design_find_device(d, "gpu1");
  *devs = two;
  int a = nvl_program_lane(prog, 0, -1), b = nvl_program_lane(prog, 1, -1);
  if (task == 0) { /* a transfer that ends */
    nvl_program_op(prog, a, NVL_OP_SEND, b, 1 << 20);
    nvl_program_op(prog, b, NVL_OP_RECV, a, 1 << 20);
  } else {
    nvl_program_op(prog, a, NVL_OP_RECV, b, 0); /* waits for a transfer nobody sends */
  }
  return 0;
}

static void test_engine__deadlock_is_an_error(void **state) {
  nvl_design *d = load_topology("hgx-h100.json");
  nvl_diags diags = NVL_DIAGS_INIT;
  nvl_platform *p = nvl_platform_new(d, NULL, &diags);
  /* task 1 waits for task 0, which ends: its time survives the deadlock after it */
  size_t dep_start[] = {0, 0, 1}, deps[] = {0};
  nvl_task_graph g = {
      .n_tasks = 2, .dep_start = dep_start, .deps = deps, .build = build_deadlock, .ctx = d};
  nvl_engine_result res;
  assert_int_equal(nvl_engine_run_forked(p, &g, &res, &diags), -1);
  assert_true(diags.errors >= 1);
  assert_non_null(strstr(diags.items[0].message, "did not complete"));
  assert_non_null(strstr(diags.items[0].message, "lane 0 of task 1"));
  assert_non_null(res.finished);
  assert_int_equal(res.finished[0], 1);
  assert_int_equal(res.finished[1], 0);
  assert_true(res.time_s[0] > 1e-6);
  nvl_engine_result_release(&res);
  nvl_platform_free(p);
  nvl_design_free(d);
  nvl_diags_release(&diags);
}

/* k tasks at once, each a ping of n transfers between gpu0 and gpu1 (ctx: the design). */
static int build_pings(void *ctx, size_t task, nvl_program *prog, const int **devs) {
  (void)task;
  static int two[2];
  const nvl_design *d = ctx;
  two[0] = nvl_design_find_device(d, "gpu0");
  two[1] = nvl_design_find_device(d, "gpu1");
  *devs = two;
  int a = nvl_program_lane(prog, 0, -1), b = nvl_program_lane(prog, 1, -1);
  for (int i = 0; i < 1000; i++) {
    nvl_program_op(prog, a, NVL_OP_SEND, b, 4096);
    nvl_program_op(prog, b, NVL_OP_RECV, a, 0);
  }
  return 0;
}

/* The programs' memory budget: a program that outgrows it, alone or beside those already running,
 * is refused before it runs with the budget in the message, its memory bounded while it was
 * built; within the budget the same tasks run; nothing stays counted after a run. */
static void test_engine__programs_beyond_the_memory_budget_are_refused(void **state) {
  nvl_design *d = load_topology("hgx-h100.json");
  nvl_diags diags = NVL_DIAGS_INIT;
  nvl_platform *p = nvl_platform_new(d, NULL, &diags);
  /* one task: 2 lanes x 1024 operations x 16 bytes, about 33 KB */
  nvl_program one;
  nvl_program_init(&one, 2);
  nvl_program_budget(0);
  build_pings(d, 0, &one, &(const int *){NULL});
  assert_false(one.over_budget);
  size_t need = one.bytes;
  nvl_program_release(&one);
  assert_true(nvl_program_live() == 0);
  static const struct {
    size_t tasks;
    uint64_t budget;
    bool runs;
  } cases[] = {{1, 0, true},         {1, 1 << 20, true},    {1, 16384, false},
               {4, 4 * 33000, true}, {4, 3 * 33000, false}, {8, 1 << 20, true}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    nvl_program_budget(cases[i].budget);
    nvl_task_graph g = {.n_tasks = cases[i].tasks, .build = build_pings, .ctx = d};
    nvl_engine_result res;
    nvl_diags dg = NVL_DIAGS_INIT;
    int rc = nvl_engine_run_forked(p, &g, &res, &dg);
    if ((rc == 0) != cases[i].runs)
      print_error("case %zu (%zu tasks of %zu bytes, budget %" PRIu64 "): rc %d %s\n", i,
                  cases[i].tasks, need, cases[i].budget, rc, dg.count ? dg.items[0].message : "");
    assert_int_equal(rc == 0, cases[i].runs);
    if (!cases[i].runs)
      assert_non_null(strstr(dg.items[0].message, "need more than the memory budget"));
    nvl_engine_result_release(&res);
    nvl_diags_release(&dg);
  }
  /* while it is built, an over-budget program stays within the budget and one slot per lane */
  nvl_program_budget(8192);
  nvl_program big;
  nvl_program_init(&big, 2);
  build_pings(d, 0, &big, &(const int *){NULL});
  assert_true(big.over_budget);
  assert_true(big.bytes <= 8192 + 2 * 2 * sizeof(nvl_op) + sizeof(nvl_lane));
  nvl_program_release(&big);
  assert_true(nvl_program_live() == 0);
  nvl_program_budget(0);
  nvl_platform_free(p);
  nvl_design_free(d);
  nvl_diags_release(&diags);
}

/* Unlike members (issue 26): a ring through the 8 Fusion ASICs of 600 GB/s among GB200 GPUs of
 * 900 GB/s is never faster than the same ring whose members are all as slow (every GPU wired to
 * the ASICs' 12 planes): per step, each hop's synchronisation is serial with its own transfers, so
 * the slowest hop sets the pace. Every protocol, sizes from latency- to bandwidth-bound, ring and
 * all_gather; and the ideal model, where the two are equal (the slow hop's line rate). */
static void test_engine__a_ring_of_unlike_members_never_beats_its_slowest(void **state) {
  static const nvl_coll colls[] = {NVL_COLL_ALL_REDUCE, NVL_COLL_ALL_GATHER};
  static const int protos[] = {NVL_PROTO_LL, NVL_PROTO_LL128, NVL_PROTO_SIMPLE};
  static const uint64_t sizes[] = {1u << 20, 64u << 20, 1u << 30};
  g_model = NVL_MODEL_DEFAULT;
  for (size_t c = 0; c < 2; c++)
    for (size_t k = 0; k < 3; k++)
      for (size_t i = 0; i < 3; i++) {
        g_proto = protos[k];
        job_def j = {NULL, colls[c], NVL_ALGO_RING, NVL_PAT_NONE, sizes[i]};
        double mixed = sim1("fusion-gpu-asic.json", j);
        double slow = sim1("../tests/designs/fusion-uniform-slow.json", j);
        if (mixed < slow * (1 - 1e-5))
          print_error("%s proto %d %" PRIu64 " B: unlike %.9g s < uniformly slow %.9g s\n",
                      nvl_coll_name(colls[c]), protos[k], sizes[i], mixed, slow);
        assert_true(mixed >= slow * (1 - 1e-5)); /* 1e-5: route latencies (ns) */
      }
  g_model = NVL_MODEL_IDEAL;
  g_proto = NVL_PROTO_SIMPLE;
  job_def j = {NULL, NVL_COLL_ALL_REDUCE, NVL_ALGO_RING, NVL_PAT_NONE, 1u << 30};
  assert_close(sim1("fusion-gpu-asic.json", j),
               sim1("../tests/designs/fusion-uniform-slow.json", j), 1e-6);
}

static void test_engine__aggregation_classes(void **state) {
  /* the refinement merges what is interchangeable and nothing else */
  struct {
    const char *design;
    size_t classes, planes;
  } cases[] = {{"gb200-nvl72.json", 1, 1},
               {"hgx-h100.json", 1, 1},
               {"hgx-a100.json", 1, 1},
               {"nvl576.json", 9, 1},
               {"fusion-gpu-asic.json", 2, 2}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    nvl_design *d = load_topology(cases[i].design);
    nvl_diags diags = NVL_DIAGS_INIT;
    nvl_platform *p = nvl_platform_new(d, NULL, &diags);
    assert_int_equal(nvl_platform_class_count(p), cases[i].classes);
    assert_int_equal(nvl_platform_plane_count(p), cases[i].planes);
    nvl_platform_free(p);
    nvl_design_free(d);
    nvl_diags_release(&diags);
  }
}

static void test_engine__cfg_values_simgrid_cannot_survive_are_refused(void **state) {
  /* each of these made SimGrid 3.32 abort, crash, hang or deadlock before it was refused */
  const char *bad[] = {"--cfg=maxmin/precision:-1",
                       "--cfg=maxmin/precision:1",
                       "--cfg=maxmin/precision:0.5",
                       "--cfg=maxmin/precision:abc",
                       "--cfg=surf/precision:0",
                       "--cfg=maxmin/concurrency-limit:0",
                       "--cfg=maxmin/concurrency-limit:x",
                       "--cfg=network/maxmin-selective-update:no",
                       "--cfg=network/maxmin-selective-update:maybe",
                       "--cfg=network/solver:foo",
                       "--cfg=network/loopback-bw:fast",
                       "--cfg=contexts/stack-size:1",
                       "--cfg=contexts/stack-size:0",
                       "--cfg=contexts/guard-size:-1",
                       "--cfg=contexts/factory:foo",
                       "--cfg=contexts/factory:thread", /* no actors: contexts mean nothing */
                       "--cfg=network/model:LV08",
                       "--cfg=surf/precision",
                       "--cfg=:1"};
  const char *good[] = {
      "--cfg=maxmin/precision:1e-9",       "--cfg=maxmin/precision:0.1",
      "--cfg=maxmin/concurrency-limit:-1", "--cfg=maxmin/concurrency-limit:5",
      "--cfg=surf/precision:1e-9",         "--cfg=network/maxmin-selective-update:yes",
      "--cfg=network/solver:bmf",          "--cfg=network/loopback-bw:1e9",
      "--cfg=network/loopback-lat:0"};
  char err[800];
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    err[0] = '\0';
    if (nvl_engine_check_cfg(bad[i], err, sizeof err) == 0) {
      print_error("accepted %s\n", bad[i]);
      fail();
    }
    assert_true(strlen(err) > 10);
  }
  for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
    if (nvl_engine_check_cfg(good[i], err, sizeof err) != 0) {
      print_error("refused %s: %s\n", good[i], err);
      fail();
    }
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_engine__cfg_values_simgrid_cannot_survive_are_refused),
    cmocka_unit_test(test_engine__programs_beyond_the_memory_budget_are_refused),
    cmocka_unit_test(test_engine__a_ring_of_unlike_members_never_beats_its_slowest),
    cmocka_unit_test(test_engine__single_transfer_multi_hop),
    cmocka_unit_test(test_engine__two_flows_share_a_link),
    cmocka_unit_test(test_engine__full_duplex),
    cmocka_unit_test(test_engine__ring_all_reduce),
    cmocka_unit_test(test_engine__default_ring_pipeline_closed_form),
    cmocka_unit_test(test_engine__small_all_reduce_latency),
    cmocka_unit_test(test_engine__sizes_below_one_byte_per_rank),
    cmocka_unit_test(test_engine__rings_on_a_full_mesh),
    cmocka_unit_test(test_engine__rings_avoid_a_failed_mesh_link),
    cmocka_unit_test(test_engine__all_gather_and_reduce_scatter),
    cmocka_unit_test(test_engine__alltoall_limited_by_injection),
    cmocka_unit_test(test_engine__sendrecv_and_pipelined_broadcast),
    cmocka_unit_test(test_engine__heterogeneous_ring_runs_at_slowest_member),
    cmocka_unit_test(test_engine__concurrent_jobs_share_planes),
    cmocka_unit_test(test_engine__nvl72_all_reduce_1gib_ideal),
    cmocka_unit_test(test_engine__aggregated_equals_explicit_planes),
    cmocka_unit_test(test_engine__asymmetric_planes_differ_physically),
    cmocka_unit_test(test_engine__nvls_in_switch_reduction),
    cmocka_unit_test(test_engine__nvls_through_32_heads),
    cmocka_unit_test(test_engine__nvls_steps_and_spread_closed_form),
    cmocka_unit_test(test_engine__p2p_channels_cap_sendrecv),
    cmocka_unit_test(test_engine__one_node_tree_is_a_chain),
    cmocka_unit_test(test_engine__link_stats_count_bytes),
    cmocka_unit_test(test_engine__failed_switch_keeps_17_of_18),
    cmocka_unit_test(test_engine__deadlock_is_an_error),
    cmocka_unit_test(test_engine__aggregation_classes),
};
NVL_TEST_MAIN(tests)
