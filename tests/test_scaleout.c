/*
 * Scale-out: NICs, PCIe and network fabrics (sim/platform through NICs, sim/platform/rings.c
 * across nodes) on the built-in h100-pod-256 (32 HGX H100 nodes, one ConnectX-7 per GPU, a
 * rail-optimized two-tier Quantum-2 fat tree). Simulated times against closed forms under
 * --model ideal (tolerance 1e-6: exact max-min sharing, SimGrid precision 1e-10 s).
 *
 * Notation: k nodes, n ranks, S bytes, B = 50 GB/s (NDR at line rate; PCIe Gen5 x16 is 63),
 * a = the route's latency (same rail: PCIe 0.5 + NIC port 0.1 + leaf 0.6 + NIC port 0.1 +
 * PCIe 0.5 us = 1.8 us; across rails PXN first crosses NVLink to the node's GPU on the
 * destination's rail, 0.35 us more: 2.15 us).
 */
#include "nvl_fixture.h"

#include "graph/graph.h"
#include "models/algorithms.h"
#include "models/tuner.h"

#define TOL 1e-6
#define NIC_BW 50e9

typedef struct {
  const char *ranks; /* a selection, or NULL with n: the first n GPUs */
  int n;
  nvl_coll coll;
  uint64_t bytes;
  nvl_algo algo; /* 0: ring */
} ring_job;

/* Bytes carried up by the logical link named `name` in the last run (link stats), or -1. */
static double g_link_bytes;
static const char *g_link_name;

/* One collective on h100-pod-256 under the ideal model: its time (and, with g_link_name set,
 * that link's bytes up in g_link_bytes). */
static double ring_time(const nvl_fixture *f, ring_job rj, const char *const *failures) {
  nvl_workload_spec spec = {.ctx = nvl_test_ctx(), .model = NVL_MODEL_IDEAL, .seed = 1};
  spec.jobs = calloc(1, sizeof *spec.jobs);
  spec.n_jobs = 1;
  nvl_job *j = &spec.jobs[0];
  snprintf(j->name, sizeof j->name, "ring");
  if (rj.ranks)
    snprintf(j->ranks_sel, sizeof j->ranks_sel, "%s", rj.ranks);
  else
    snprintf(j->ranks_sel, sizeof j->ranks_sel, "gpu[0:%d]", rj.n);
  j->coll = rj.coll;
  j->algo = rj.algo ? rj.algo : NVL_ALGO_RING;
  j->size_bytes = rj.bytes;
  j->proto = NVL_PROTO_SIMPLE;
  nvl_engine_result res;
  nvl_task_graph g;
  nvl_fixture ff = *f;
  if (failures)
    ff = nvl_fixture_load("topologies/h100-pod-256.json", failures, NVL_MODEL_IDEAL);
  nvl_workload_run *wr = nvl_fixture_simulate(&spec, ff.d, ff.p, g_link_name != NULL, &res, &g);
  double t = res.time_s[0];
  g_link_bytes = -1;
  for (size_t l = 0; g_link_name && l < nvl_platform_link_count(ff.p); l++)
    if (strcmp(nvl_platform_link(ff.p, (int)l)->name, g_link_name) == 0)
      g_link_bytes = res.link_bytes[2 * l];
  nvl_engine_result_release(&res);
  nvl_workload_run_free(wr);
  nvl_workload_spec_release(&spec);
  if (failures)
    nvl_fixture_close(&ff);
  return t;
}

/* The route latency from endpoint a to endpoint b (one stripe expected). */
static double route_latency(const nvl_fixture *f, const char *a, const char *b) {
  nvl_stripe st[NVL_MAX_STRIPES];
  int ns = nvl_platform_stripes(f->p, nvl_design_find_device(f->d, a),
                                nvl_design_find_device(f->d, b), st);
  assert_int_equal(ns, 1);
  return nvl_platform_route_latency(f->p, st[0].from_host, st[0].to_host);
}

/* The kinds of the links of the route from a to b, joined by spaces. */
static void route_kinds(const nvl_fixture *f, const char *a, const char *b, char *out, size_t len) {
  nvl_stripe st[NVL_MAX_STRIPES];
  assert_int_equal(nvl_platform_stripes(f->p, nvl_design_find_device(f->d, a),
                                        nvl_design_find_device(f->d, b), st),
                   1);
  int links[64], dirs[64];
  int nl = nvl_platform_route(f->p, st[0].from_host, st[0].to_host, links, dirs, 64);
  out[0] = '\0';
  for (int i = 0; i < nl; i++) {
    size_t used = strlen(out);
    snprintf(out + used, len - used, "%s%s", i ? " " : "", nvl_platform_link(f->p, links[i])->kind);
  }
}

static void test_scaleout__nvlink_inside_a_node_network_between(void **state) {
  (void)state;
  nvl_fixture f = nvl_fixture_open("h100-pod-256.json", NVL_MODEL_IDEAL, false);
  char kinds[256];
  route_kinds(&f, "gpu0", "gpu1", kinds, sizeof kinds); /* one node: NVLink only */
  assert_string_equal(kinds, "port port");
  route_kinds(&f, "gpu0", "gpu8", kinds, sizeof kinds); /* rail 0 of two nodes: one leaf */
  assert_string_equal(kinds, "pcie port port pcie");
  /* across rails: PXN, NVLink to gpu1, then rail 1 (one leaf, no spine) */
  route_kinds(&f, "gpu0", "gpu9", kinds, sizeof kinds);
  assert_string_equal(kinds, "port port pcie port port pcie");
  assert_close(route_latency(&f, "gpu0", "gpu8"), 1.8e-6, 1e-9);
  assert_close(route_latency(&f, "gpu0", "gpu9"), 2.15e-6, 1e-9);
  /* NCCL's nodes: one domain per HGX board */
  for (int g = 0; g < 256; g++) {
    char name[16];
    snprintf(name, sizeof name, "gpu%d", g);
    assert_int_equal(nvl_platform_domain(f.p, nvl_design_find_device(f.d, name)), g / 8);
  }
  /* ranks across nodes are never reduced as alike ranks (their NICs differ) */
  int devs[2] = {nvl_design_find_device(f.d, "gpu0"), nvl_design_find_device(f.d, "gpu8")};
  assert_false(nvl_platform_alike(f.p, devs, 2));
  nvl_fixture_close(&f);
}

static void test_scaleout__ring_one_rank_per_node_is_alpha_beta_on_the_nic(void **state) {
  (void)state;
  nvl_fixture f = nvl_fixture_open("h100-pod-256.json", NVL_MODEL_IDEAL, false);
  /* k nodes, one rank each, on one rail (one leaf) or on rails k apart (through the spines) */
  static const struct {
    const char *ranks;
    int k;
    double a;
  } cases[] = {{"gpu0,gpu8", 2, 1.8e-6},
               {"gpu0,gpu8,gpu16", 3, 1.8e-6},
               {"gpu3,gpu11,gpu19,gpu27,gpu35", 5, 1.8e-6},
               {"gpu0,gpu9,gpu18,gpu27", 4, 2.15e-6},
               {"gpu0,gpu9,gpu18,gpu27,gpu36,gpu45,gpu54,gpu63", 8, 2.15e-6}};
  const double sizes[] = {1048576.0, 1073741824.0};
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++)
    for (int s = 0; s < 2; s++) {
      int k = cases[c].k;
      double S = sizes[s], a = cases[c].a;
      uint64_t bytes = nvl_coll_round_size(NVL_COLL_ALL_REDUCE, k, (uint64_t)S);
      double t = ring_time(&f, (ring_job){cases[c].ranks, 0, NVL_COLL_ALL_REDUCE, bytes, 0}, NULL);
      assert_close(t, 2 * (k - 1) * (a + (double)bytes / k / NIC_BW), TOL);
      bytes = nvl_coll_round_size(NVL_COLL_ALL_GATHER, k, (uint64_t)S);
      t = ring_time(&f, (ring_job){cases[c].ranks, 0, NVL_COLL_ALL_GATHER, bytes, 0}, NULL);
      assert_close(t, (k - 1) * (a + (double)bytes / k / NIC_BW), TOL);
    }
  nvl_fixture_close(&f);
}

/* Whole nodes: NCCL's channels leave and enter each node once per ring, spread over the node's
 * eight NICs (rings.c rotates each node's ranks), so a step of ring c moves S / (8 n) over one
 * NIC while the NVLink hops share 450 GB/s among the 8 rings: each step is NIC-bound. Ring c
 * leaves a node from its rank c - 1 through PXN on rail c (a = 2.15 us).
 * t = 2(n-1)(a + S / (8 n B)). With leaf 0 failed, rail 0's share is gone and nothing else: the
 * seven rings that do not enter a node on rail 0 remain, t = 2(n-1)(a + S / (7 n B)). */
static void test_scaleout__two_level_ring_is_bound_by_the_nics(void **state) {
  (void)state;
  nvl_fixture f = nvl_fixture_open("h100-pod-256.json", NVL_MODEL_IDEAL, false);
  const int ns[] = {16, 24, 64};
  const char *const leaf0[] = {"switch:leaf0", NULL};
  for (int i = 0; i < 3; i++) {
    int n = ns[i];
    uint64_t bytes = nvl_coll_round_size(NVL_COLL_ALL_REDUCE, n, 1073741824);
    double t = ring_time(&f, (ring_job){NULL, n, NVL_COLL_ALL_REDUCE, bytes, 0}, NULL);
    assert_close(t, 2 * (n - 1) * (2.15e-6 + (double)bytes / (8.0 * n) / NIC_BW), TOL);
    t = ring_time(&f, (ring_job){NULL, n, NVL_COLL_ALL_REDUCE, bytes, 0}, leaf0);
    assert_close(t, 2 * (n - 1) * (2.15e-6 + (double)bytes / (7.0 * n) / NIC_BW), TOL);
  }
  nvl_fixture_close(&f);
}

/* NVLSTree (models/nvlstree.c) on two and four nodes: NVLS inside each node moves S (1 + 1/g)
 * each way over a rank's NVLink port, the tree between nodes a shard S/g per NIC and direction
 * on two nodes (one tree's root is the other's leaf); pipelined in 64 chunks, the time lies
 * within the fill of three stages above the busiest link's bound. */
static void test_scaleout__nvlstree_moves_shards_between_nodes(void **state) {
  (void)state;
  nvl_fixture f = nvl_fixture_open("h100-pod-256.json", NVL_MODEL_IDEAL, false);
  const double S = 1073741824.0, g = 8;
  g_link_name = "gpu0~sw0..sw3";
  double t = ring_time(
      &f, (ring_job){NULL, 16, NVL_COLL_ALL_REDUCE, (uint64_t)S, NVL_ALGO_NVLSTREE}, NULL);
  assert_close(g_link_bytes, S * (1 + 1 / g), 1e-9);
  double bound = S * (1 + 1 / g) / 450e9;
  assert_true(t >= bound && t <= bound * (1 + 4.0 / 64));
  g_link_name = "nic0~leaf0";
  ring_time(&f, (ring_job){NULL, 16, NVL_COLL_ALL_REDUCE, (uint64_t)S, NVL_ALGO_NVLSTREE}, NULL);
  assert_close(g_link_bytes, S / g, 1e-9);
  /* four nodes: node 0 is the root of tree 0 (two children: it sends half a shard down to
   * each) and a leaf of tree 1 (half a shard up): 3 S / (2 g) */
  ring_time(&f, (ring_job){NULL, 32, NVL_COLL_ALL_REDUCE, (uint64_t)S, NVL_ALGO_NVLSTREE}, NULL);
  assert_close(g_link_bytes, 1.5 * S / g, 1e-9);
  g_link_name = NULL;
  nvl_fixture_close(&f);
}

/* NVLS across nodes with SHARP (--collnet) on the first n GPUs of a design under the ideal
 * model: its time and every link direction's bytes (owned by the caller), or -1 when refused. */
/* The spec's one job, named, on the ranks selected (a selection, or with n > 0 the first n GPUs).
 */
static nvl_job *one_job(nvl_workload_spec *spec, const char *name, const char *ranks, int n) {
  spec->jobs = calloc(1, sizeof *spec->jobs);
  spec->n_jobs = 1;
  nvl_job *j = &spec->jobs[0];
  snprintf(j->name, sizeof j->name, "%s", name);
  if (n > 0)
    snprintf(j->ranks_sel, sizeof j->ranks_sel, "gpu[0:%d]", n);
  else
    snprintf(j->ranks_sel, sizeof j->ranks_sel, "%s", ranks);
  return j;
}

/* Simulates the spec's one job (resolved here; the spec released): its time, and with links every
 * link direction's bytes (owned by the caller), with rails whether one rail stood for all (1
 * shifted, 2 weighted, 0 no); -1 (and no links) when resolving refuses it. */
static double run_job(const nvl_fixture *f, nvl_workload_spec *spec, double **links, int *rails) {
  nvl_diags diags = NVL_DIAGS_INIT;
  double t = -1;
  if (links)
    *links = NULL;
  if (nvl_workload_resolve(spec, f->d, f->p, &diags) == 0) {
    nvl_engine_result res;
    nvl_task_graph g;
    nvl_workload_run *wr = nvl_fixture_simulate(spec, f->d, f->p, links != NULL, &res, &g);
    t = res.time_s[0];
    if (rails)
      *rails = wr->comms[0].mode.rails ? 1 : wr->rails_weighted ? 2 : 0;
    size_t nl = 2 * nvl_platform_link_count(f->p);
    if (links) {
      *links = malloc(nl * sizeof **links);
      memcpy(*links, res.link_bytes, nl * sizeof **links);
    }
    nvl_engine_result_release(&res);
    nvl_workload_run_free(wr);
  }
  nvl_diags_release(&diags);
  nvl_workload_spec_release(spec);
  return t;
}

static double sharp_algo_run(const nvl_fixture *f, int n, bool collnet, nvl_algo algo,
                             double **links);

static double sharp_run(const nvl_fixture *f, int n, bool collnet, double **links) {
  return sharp_algo_run(f, n, collnet, NVL_ALGO_NVLS, links);
}

static double sharp_algo_run(const nvl_fixture *f, int n, bool collnet, nvl_algo algo,
                             double **links) {
  nvl_workload_spec spec = {
      .ctx = nvl_test_ctx(), .model = NVL_MODEL_IDEAL, .seed = 1, .collnet = collnet};
  nvl_job *j = one_job(&spec, "sharp", NULL, n);
  j->coll = NVL_COLL_ALL_REDUCE;
  j->algo = algo;
  j->size_bytes = 1u << 30;
  j->proto = NVL_PROTO_SIMPLE;
  return run_job(f, &spec, links, NULL);
}

/* Bytes up (dir 0) or down (1) of the link named `name`, -1 if none. */
static double named_bytes(const nvl_fixture *f, const double *links, const char *name, int dir) {
  for (size_t l = 0; l < nvl_platform_link_count(f->p); l++)
    if (strcmp(nvl_platform_link(f->p, (int)l)->name, name) == 0)
      return links[2 * l + (size_t)dir];
  return -1;
}

/* NVLS across nodes, SHARP between them: each node's switch reduces (NVLS) and each rank, head
 * of a shard S/g, sends that shard once through its NIC into its rail's aggregation tree of
 * network switches, which returns the sum: per NIC S/g each way (NVLSTree's tree moves up to
 * 3 S/(2 g)), NVLink as NVLS (S (1 + 1/g)), and time within the pipeline's fill (64 chunks, a
 * few stages) of the busier of the two. On h100-pod-256 each rail's tree is its leaf (no trunk
 * carries anything); on gb200-nvl72-x16 (a leaf serves a tray position of several racks) rails
 * meet at the spines: every trunk direction then carries whole shards, as much down as up.
 * Without --collnet, or without switches that reduce, it is refused. */
static void test_scaleout__nvls_across_nodes_reduces_in_the_network(void **state) {
  (void)state;
  const double S = 1073741824.0;
  nvl_fixture f = nvl_fixture_open("h100-pod-256.json", NVL_MODEL_IDEAL, false);
  double *links;
  assert_true(sharp_run(&f, 32, false, &links) < 0); /* CollNet not enabled */
  for (int n = 16; n <= 64; n *= 2) {
    double t = sharp_run(&f, n, true, &links), g = 8;
    assert_close(named_bytes(&f, links, "nic0~leaf0", 0), S / g, 1e-9);
    assert_close(named_bytes(&f, links, "nic0~leaf0", 1), S / g, 1e-9);
    assert_close(named_bytes(&f, links, "gpu0~sw0..sw3", 0), S * (1 + 1 / g), 1e-9);
    assert_close(named_bytes(&f, links, "leaf0~spine0..spine3", 0), 0, 0);
    double bound = fmax(S * (1 + 1 / g) / 450e9, S / g / NIC_BW);
    assert_true(t >= bound && t <= bound * (1 + 6.0 / 64));
    free(links);
  }
  nvl_fixture_close(&f);
  f = nvl_fixture_open("gb200-nvl72-x16.json", NVL_MODEL_IDEAL, false);
  double t = sharp_run(&f, 288, true, &links), shard = S / 72, trunk = 0;
  assert_true(t > 0);
  assert_close(named_bytes(&f, links, "nic0~leaf0", 0), shard, 1e-5); /* whole bytes per chunk */
  for (size_t l = 0; l < nvl_platform_link_count(f.p); l++) {
    if (strcmp(nvl_platform_link(f.p, (int)l)->kind, "trunk") != 0)
      continue;
    double up = links[2 * l], k = up / shard;
    assert_close(links[2 * l + 1], up, 1e-9);
    assert_true(fabs(k - round(k)) < 1e-4);
    trunk += up;
  }
  assert_true(trunk > 0);
  free(links);
  nvl_fixture_close(&f);
  f = nvl_fixture_open("a4-roce-x2.json", NVL_MODEL_IDEAL, false); /* RoCE: no SHARP */
  assert_true(sharp_run(&f, 16, true, &links) < 0);
  assert_true(sharp_algo_run(&f, 16, true, NVL_ALGO_COLLNET_DIRECT, &links) < 0);
  nvl_fixture_close(&f);
}

/* CollNet Direct and Chain: SHARP between the nodes as above (S/g per NIC each way), but no
 * switch that reduces inside: Direct sends each head its shard's parts and the head sends the sum
 * back to every rank, Chain passes partial sums up a chain per place and the sum back down, so
 * either moves 2 S (g - 1)/g through each rank's NVLink port each way, as a ring (NVLS: S (1 +
 * 1/g)). Ideal time within the fill of the busier of NVLink and the NIC; refused without
 * --collnet. */
static void test_scaleout__collnet_direct_and_chain(void **state) {
  (void)state;
  const double S = 1073741824.0, g = 8;
  nvl_fixture f = nvl_fixture_open("h100-pod-256.json", NVL_MODEL_IDEAL, false);
  nvl_algo algos[] = {NVL_ALGO_COLLNET_DIRECT, NVL_ALGO_COLLNET_CHAIN};
  double *links;
  for (int a = 0; a < 2; a++) {
    assert_true(sharp_algo_run(&f, 32, false, algos[a], &links) < 0);
    for (int n = 16; n <= 32; n *= 2) {
      double t = sharp_algo_run(&f, n, true, algos[a], &links);
      assert_close(named_bytes(&f, links, "nic0~leaf0", 0), S / g, 1e-5);
      assert_close(named_bytes(&f, links, "nic0~leaf0", 1), S / g, 1e-5);
      assert_close(named_bytes(&f, links, "gpu0~sw0..sw3", 0), 2 * S * (g - 1) / g, 1e-5);
      assert_close(named_bytes(&f, links, "gpu0~sw0..sw3", 1), 2 * S * (g - 1) / g, 1e-5);
      double bound = fmax(2 * S * (g - 1) / g / 450e9, S / g / NIC_BW);
      assert_true(t >= bound && t <= bound * (1 + 10.0 / 64));
      free(links);
    }
  }
  nvl_fixture_close(&f);
}

/* A shift pattern (rank r to r + k) on the listed ranks of a design under the ideal model. */
static double shift_time(const nvl_fixture *f, const char *ranks, int k) {
  nvl_workload_spec spec = {.ctx = nvl_test_ctx(), .model = NVL_MODEL_IDEAL, .seed = 1};
  nvl_job *j = one_job(&spec, "shift", ranks, 0);
  j->pattern = NVL_PAT_SHIFT;
  j->shift = k;
  j->size_bytes = 1u << 30;
  return run_job(f, &spec, NULL, NULL);
}

/* NICs behind PCIe switches: a GPU reaches every NIC under its PCIe switch, over one logical
 * PCIe path of the path's narrowest link and summed latency (links and the switch), and a NIC's
 * own PCIe link into the switch caps what all its GPUs push through it. hgx-pcie-switch-x2 (two
 * GPUs and a NIC per Gen5 switch): across nodes PCIe 0.5 + switch 0.15 + PCIe 0.5, NIC port 0.1
 * + half the leaf 0.3 each way, 3.1 us; the PCIe switches are no switch hops (one: the leaf).
 * pcie-shared-nic (the NIC's link into its switch trained at Gen4, 31 GB/s): one GPU's transfer
 * across nodes moves at 31 GB/s, two GPUs' at once at 15.5 each. */
static void test_scaleout__nics_behind_pcie_switches(void **state) {
  (void)state;
  nvl_fixture f = nvl_fixture_load("tests/designs/hgx-pcie-switch-x2.json", NULL, NVL_MODEL_IDEAL);
  char kinds[128];
  route_kinds(&f, "gpu0", "gpu8", kinds, sizeof kinds);
  assert_string_equal(kinds, "pcie port port pcie");
  assert_close(route_latency(&f, "gpu0", "gpu8"), 3.1e-6, 1e-12);
  nvl_diags diags = NVL_DIAGS_INIT;
  nvl_graph *g = nvl_graph_new(f.d, &diags);
  nvl_hops h;
  assert_int_equal(nvl_graph_hops(g, &h, &diags), 0);
  assert_int_equal(h.max_switch_hops, 1);
  assert_int_equal(h.unreachable, 0);
  nvl_graph_free(g);
  nvl_diags_release(&diags);
  nvl_fixture_close(&f);
  f = nvl_fixture_load("tests/designs/pcie-shared-nic.json", NULL, NVL_MODEL_IDEAL);
  const double S = 1073741824.0, lat = route_latency(&f, "gpu0", "gpu2");
  assert_close(shift_time(&f, "gpu0,gpu2", 1), lat + S / 31e9, 1e-6);
  assert_close(shift_time(&f, "gpu0,gpu1,gpu2,gpu3", 2), lat + S / 15.5e9, 1e-6);
  nvl_fixture_close(&f);
}

/* The capacity of the link named `name`, -1 if none. */
static double named_bw(const nvl_fixture *f, const char *name) {
  for (size_t l = 0; l < nvl_platform_link_count(f->p); l++)
    if (strcmp(nvl_platform_link(f->p, (int)l)->name, name) == 0)
      return nvl_platform_link(f->p, (int)l)->bw_Bps;
  return -1;
}

/* Multi-plane Ethernet (tests/designs/spectrum-x-multiplane.json: each SuperNIC's four 200G ports
 * on four planes, no link between the planes): the planes are alike, so they aggregate into one
 * class whose port carries 4 x 25 GB/s (spraying over the planes); with explicit planes a
 * transfer between nodes stripes a quarter over each plane; a failed plane leaves three quarters
 * of every NIC's port. */
static void test_scaleout__multiplane_ethernet(void **state) {
  (void)state;
  const char *rel = "tests/designs/spectrum-x-multiplane.json";
  nvl_fixture f = nvl_fixture_load(rel, NULL, NVL_MODEL_IDEAL);
  assert_close(named_bw(&f, "nic0~plane0..plane3"), 4 * 25e9, 1e-12);
  nvl_stripe st[NVL_MAX_STRIPES];
  int a = nvl_design_find_device(f.d, "gpu0"), b = nvl_design_find_device(f.d, "gpu8");
  assert_int_equal(nvl_platform_stripes(f.p, a, b, st), 1);
  nvl_platform_opts po = {.model = NVL_MODEL_IDEAL, .explicit_planes = true};
  nvl_diags diags = NVL_DIAGS_INIT;
  nvl_platform *ep = nvl_platform_new(f.d, &po, &diags);
  assert_non_null(ep);
  assert_int_equal(nvl_platform_stripes(ep, a, b, st), 4);
  for (int i = 0; i < 4; i++)
    assert_close(st[i].weight, 0.25, 1e-12);
  nvl_platform_free(ep);
  nvl_diags_release(&diags);
  nvl_fixture_close(&f);
  const char *const plane0[] = {"switch:plane0", NULL};
  f = nvl_fixture_load(rel, plane0, NVL_MODEL_IDEAL);
  assert_close(named_bw(&f, "nic0~plane1..plane3"), 3 * 25e9, 1e-12);
  nvl_fixture_close(&f);
}

/* NVLSTree under the default model on the first n GPUs of a design: its time and every link
 * direction's bytes (links[2 x link count], owned by the caller); whether one rail stood for all.
 */
static double nvlstree_run(const nvl_fixture *f, int n, bool explicit_ranks, double **links,
                           int *rails) {
  nvl_workload_spec spec = {.ctx = nvl_test_ctx(), .seed = 1, .explicit_ranks = explicit_ranks};
  nvl_job *j = one_job(&spec, "tree", NULL, n);
  j->coll = NVL_COLL_ALL_REDUCE;
  j->algo = NVL_ALGO_NVLSTREE;
  j->size_bytes = 1u << 30;
  j->proto = NVL_PROTO_SIMPLE;
  return run_job(f, &spec, links, rails);
}

/* One rail stands for every rail where the rails are alike: NVLSTree then runs place 0's ranks
 * only, with the same time and the same bytes on every link direction as every rank simulated
 * (--explicit-ranks). On h100-pod-256 (rail k on leaf k, each with uplinks of its own) as a
 * shifted program (1); where the rails share links (each node's eight NICs on a leaf of its own,
 * its uplinks 4:1 oversubscribed) over canonical links, a transfer on a shared link weighing as
 * the eight rails crossing it (2): one rail standing for eight without the weights would leave
 * the shared uplinks an eighth as loaded (4.6 ms instead of 17.2 ms at 1 GiB). A failed NIC
 * breaks the symmetry: every rank runs (0). */
static void test_scaleout__nvlstree_runs_one_rail_for_alike_rails(void **state) {
  (void)state;
  static const struct {
    const char *design, *failed; /* a NIC failed, or NULL */
    int n;
    int rails; /* 0 every rank, 1 shifted, 2 weighted */
  } cases[] = {{"topologies/h100-pod-256.json", NULL, 16, 1},
               {"topologies/h100-pod-256.json", NULL, 24, 1},
               {"topologies/h100-pod-256.json", NULL, 64, 1},
               {"topologies/h100-pod-256.json", "nic:nic9", 16, 0},
               {"tests/designs/hgx-h100-shared-leaves.json", NULL, 16, 2},
               {"tests/designs/hgx-h100-shared-leaves.json", NULL, 32, 2}};
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    const char *failures[] = {cases[i].failed, NULL};
    nvl_fixture f = nvl_fixture_load(cases[i].design, failures, NVL_MODEL_DEFAULT);
    double *la, *lb;
    int ra, rb;
    double ta = nvlstree_run(&f, cases[i].n, false, &la, &ra);
    double tb = nvlstree_run(&f, cases[i].n, true, &lb, &rb);
    print_message("%s, %d ranks: %.3f us (one rail: %d), every rank %.3f us\n", cases[i].design,
                  cases[i].n, ta * 1e6, ra, tb * 1e6);
    assert_int_equal(ra, cases[i].rails);
    assert_int_equal(rb, 0);
    assert_close(ta, tb, 1e-9 * tb);
    for (size_t k = 0; k < 2 * nvl_platform_link_count(f.p); k++)
      assert_close(la[k], lb[k], 1e-9 * lb[k] + 1);
    free(la);
    free(lb);
    nvl_fixture_close(&f);
  }
}

/* NCCL's tree across nodes, forced, ideal model: g/2 pairs of trees, each with its head on its
 * own place, chains inside the nodes and a binary tree of the heads between them. On two HGX
 * H100 nodes (g = 8) each of the 8 trees carries S/8, and node 0's head is the root of the four
 * unmirrored trees and a leaf of the four mirrored ones: every NIC carries S/8 each way. Inside
 * a node a GPU is each tree's chain member once: it passes S/8 up and S/8 down at six places, and
 * one way at the head and at the tail, 7S/4 out through its NVLink ports, which bind (NCCL's
 * model too prices the tree on two nodes by its NVLink graph): the time is 7S/4 over 450 GB/s
 * within the pipeline's fill. */
static void test_scaleout__tree_across_nodes_chains_inside_every_nic_between(void **state) {
  (void)state;
  nvl_fixture f = nvl_fixture_open("h100-pod-256.json", NVL_MODEL_IDEAL, false);
  const double S = 1073741824.0;
  ring_job tree = {NULL, 16, NVL_COLL_ALL_REDUCE, (uint64_t)S, NVL_ALGO_TREE};
  for (int nic = 0; nic < 8; nic++) {
    char name[32];
    snprintf(name, sizeof name, "nic%d~leaf%d", nic, nic);
    g_link_name = name;
    ring_time(&f, tree, NULL);
    assert_close(g_link_bytes, S / 8, 1e-9 * S);
  }
  g_link_name = "gpu3~sw0..sw3";
  double t = ring_time(&f, tree, NULL);
  assert_close(g_link_bytes, 1.75 * S, 1e-9 * S);
  double bound = 1.75 * S / 450e9;
  print_message("tree: %.1f us, NVLink bound %.1f us (NICs: %.1f us)\n", t * 1e6, bound * 1e6,
                S / 8 / NIC_BW * 1e6);
  assert_true(t >= bound && t <= bound * (1 + 10.0 / 64));
  g_link_name = NULL;
  nvl_fixture_close(&f);
}

/* PAT at one rank per node (GPU 0 of 16 or of 5 HGX H100 nodes), ideal model: each rank moves
 * (n - 1) S / n through its NIC each way, as a ring, in ceil(log2 n) dimensions; the time is that
 * over the NIC's rate within the pipeline's fill (a few chunks of 64 per dimension). NCCL's
 * model and choice there: PAT for small operations (latency 8 us + log2(nodes) x 14 / 3.5 us +
 * 2.8 us per rank, below the ring's 15 NET hops), the ring for large ones (PAT's bandwidth is
 * 0.75 of the NICs'). PAT needs one rank per node. */
static void test_scaleout__pat_moves_a_rings_bytes_in_log_steps(void **state) {
  (void)state;
  nvl_fixture f = nvl_fixture_open("h100-pod-256.json", NVL_MODEL_IDEAL, false);
  const double S = 268435456.0;
  static const struct {
    const char *ranks;
    int n;
  } sets[] = {{"gpu0,gpu8,gpu16,gpu24,gpu32,gpu40,gpu48,gpu56,gpu64,gpu72,gpu80,gpu88,gpu96,"
               "gpu104,gpu112,gpu120",
               16},
              {"gpu0,gpu8,gpu16,gpu24,gpu32", 5}};
  for (size_t i = 0; i < sizeof sets / sizeof *sets; i++)
    for (int k = 0; k < 2; k++) {
      nvl_coll coll = k == 0 ? NVL_COLL_ALL_GATHER : NVL_COLL_REDUCE_SCATTER;
      int n = sets[i].n;
      g_link_name = "nic8~leaf0"; /* node 1's NIC 0 */
      double t = ring_time(&f, (ring_job){sets[i].ranks, 0, coll, (uint64_t)S, NVL_ALGO_PAT}, NULL);
      double moved = (n - 1) * S / n, bound = moved / NIC_BW;
      print_message("PAT %s, %d nodes: %.1f us, bound %.1f us\n", nvl_coll_name(coll), n, t * 1e6,
                    bound * 1e6);
      assert_close(g_link_bytes, moved, 1e-6 * moved);
      assert_true(t >= bound && t <= bound * (1 + 6.0 / 64));
    }
  g_link_name = NULL;
  nvl_fixture_close(&f);
  f = nvl_fixture_open("h100-pod-256.json", NVL_MODEL_DEFAULT, false);
  nvl_workload_spec spec = {.ctx = nvl_test_ctx(), .model = NVL_MODEL_DEFAULT, .seed = 1};
  spec.jobs = calloc(1, sizeof *spec.jobs);
  spec.n_jobs = 1;
  snprintf(spec.jobs[0].ranks_sel, sizeof spec.jobs[0].ranks_sel, "%s", sets[0].ranks);
  spec.jobs[0].coll = NVL_COLL_ALL_GATHER;
  nvl_diags diags = NVL_DIAGS_INIT;
  assert_int_equal(nvl_workload_resolve(&spec, f.d, f.p, &diags), 0);
  nvl_workload_run *wr = nvl_workload_run_new(&spec, f.d, f.p);
  const nvl_tuner_comm *tc = &wr->comms[0].tc;
  const nvl_calibration *c = &nvl_test_ctx()->cal;
  assert_int_equal(tc->nodes, 16);
  double lat = 8e-6 + 4 * 14e-6 / 3.5 + 16 * 2.8e-6;
  assert_close(nvl_tuner_time_pat(c, tc, NVL_COLL_ALL_GATHER, NVL_PROTO_SIMPLE, 1u << 20),
               lat + (double)(1u << 20) / (48e9 * 0.75), 1e-9);
  assert_int_equal(nvl_tuner_algo(c, tc, NVL_COLL_ALL_GATHER, 1u << 20), NVL_ALGO_PAT);
  assert_int_equal(nvl_tuner_algo(c, tc, NVL_COLL_REDUCE_SCATTER, 1u << 20), NVL_ALGO_PAT);
  assert_int_equal(nvl_tuner_algo(c, tc, NVL_COLL_ALL_GATHER, 1u << 30), NVL_ALGO_RING);
  nvl_workload_run_free(wr);
  nvl_workload_spec_release(&spec);
  nvl_diags_release(&diags);
  nvl_fixture_close(&f);
}

/* The tuner's choice is the least time of NCCL's table (what `run --tuning` prints), over the
 * candidates NCCL weighs there (inside one NVLink domain the tree only on request), for every size
 * from 8 B to 8 GiB, on one HGX H100 node, two, sixteen at one rank each, two NVL72 racks and the
 * validation's two-node systems (p5 on EFA, A4 on RoCE, and A4 at one rank per node). */
static void test_scaleout__the_choice_is_the_least_predicted_time(void **state) {
  (void)state;
  static const struct {
    const char *design, *ranks;
  } jobs[] = {{"topologies/h100-pod-256.json", "gpu[0:8]"},
              {"topologies/h100-pod-256.json", "gpu[0:16]"},
              {"topologies/h100-pod-256.json",
               "gpu0,gpu8,gpu16,gpu24,gpu32,gpu40,gpu48,gpu56,"
               "gpu64,gpu72,gpu80,gpu88,gpu96,gpu104,gpu112,gpu120"},
              {"topologies/gb200-nvl72-x16.json", "gpu[0:144]"},
              {"topologies/p5-efa-x2.json", "gpu[0:16]"},
              {"topologies/a4-roce-x2.json", "gpu[0:16]"},
              {"topologies/a4-roce-x2.json", "gpu0,gpu8"}};
  const nvl_calibration *c = &nvl_test_ctx()->cal;
  for (size_t i = 0; i < sizeof jobs / sizeof *jobs; i++) {
    nvl_fixture f = nvl_fixture_load(jobs[i].design, NULL, NVL_MODEL_DEFAULT);
    nvl_workload_spec spec = {.ctx = nvl_test_ctx(), .model = NVL_MODEL_DEFAULT, .seed = 1};
    spec.jobs = calloc(1, sizeof *spec.jobs);
    spec.n_jobs = 1;
    snprintf(spec.jobs[0].ranks_sel, sizeof spec.jobs[0].ranks_sel, "%s", jobs[i].ranks);
    nvl_diags diags = NVL_DIAGS_INIT;
    assert_int_equal(nvl_workload_resolve(&spec, f.d, f.p, &diags), 0);
    nvl_workload_run *wr = nvl_workload_run_new(&spec, f.d, f.p);
    const nvl_tuner_comm *tc = &wr->comms[0].tc;
    nvl_coll colls[] = {NVL_COLL_ALL_REDUCE, NVL_COLL_ALL_GATHER, NVL_COLL_REDUCE_SCATTER};
    for (size_t k = 0; k < 3; k++)
      for (uint64_t S = 8; S <= (8ull << 30); S *= 8) {
        nvl_algo a = nvl_tuner_algo(c, tc, colls[k], S);
        double chosen =
            nvl_tuner_time(c, tc, colls[k], a, nvl_tuner_proto(c, tc, colls[k], a, S), S);
        for (int b = NVL_ALGO_AUTO + 1; b < NVL_ALGO__COUNT; b++) {
          if (!nvl_algo_runs((nvl_algo)b, colls[k]) || (b == NVL_ALGO_TREE && tc->nodes < 2))
            continue;
          for (int p = 0; p < NVL_PROTO__COUNT; p++) {
            double t = nvl_tuner_time(c, tc, colls[k], (nvl_algo)b, (nvl_proto)p, S);
            if (!(chosen <= t)) {
              print_error("%s %s, %llu B: %s/%s %.3f us beats the choice %s %.3f us\n",
                          jobs[i].ranks, nvl_coll_name(colls[k]), (unsigned long long)S,
                          nvl_algo_name((nvl_algo)b), nvl_proto_name((nvl_proto)p), t * 1e6,
                          nvl_algo_name(a), chosen * 1e6);
              fail();
            }
          }
        }
      }
    nvl_workload_run_free(wr);
    nvl_workload_spec_release(&spec);
    nvl_diags_release(&diags);
    nvl_fixture_close(&f);
  }
}

/* NCCL's choice across two HGX H100 nodes: the tree (LL, then LL128) for small and medium
 * operations, NVLSTree from a few MiB, as NCCL's own model predicts (tuning.cc: the tree's
 * latency, 2 (7 NVLink + 1 NET hops), is below the ring's 28 + 2; NVLSTree's 8 channels at the
 * Hopper 2-node cap of 57.7 GB/s, 462 GB/s, beat the ring's 8 NICs x 48 GB/s). */
static void test_scaleout__tuner_picks_nvlstree_for_large_operations_across_nodes(void **state) {
  (void)state;
  nvl_fixture f = nvl_fixture_open("h100-pod-256.json", NVL_MODEL_DEFAULT, false);
  nvl_workload_spec spec = {.ctx = nvl_test_ctx(), .model = NVL_MODEL_DEFAULT, .seed = 1};
  spec.jobs = calloc(1, sizeof *spec.jobs);
  spec.n_jobs = 1;
  snprintf(spec.jobs[0].ranks_sel, sizeof spec.jobs[0].ranks_sel, "gpu[0:16]");
  nvl_diags diags = NVL_DIAGS_INIT;
  assert_int_equal(nvl_workload_resolve(&spec, f.d, f.p, &diags), 0);
  nvl_workload_run *wr = nvl_workload_run_new(&spec, f.d, f.p);
  const nvl_tuner_comm *tc = &wr->comms[0].tc;
  const nvl_calibration *c = &nvl_test_ctx()->cal;
  assert_int_equal(tc->nodes, 2);
  assert_int_equal(tc->ppn, 8);
  assert_int_equal(tc->nics, 8);
  assert_close(tc->nic_Bps, 50e9, 1e-12);
  assert_true(tc->nvls_tree && !tc->nvls);
  /* NCCL's tree for small and medium operations (LL, then LL128), NVLSTree for large ones */
  assert_int_equal(nvl_tuner_algo(c, tc, NVL_COLL_ALL_REDUCE, 8), NVL_ALGO_TREE);
  assert_int_equal(nvl_tuner_proto(c, tc, NVL_COLL_ALL_REDUCE, NVL_ALGO_TREE, 8), NVL_PROTO_LL);
  assert_int_equal(nvl_tuner_algo(c, tc, NVL_COLL_ALL_REDUCE, 2u << 20), NVL_ALGO_TREE);
  assert_int_equal(nvl_tuner_proto(c, tc, NVL_COLL_ALL_REDUCE, NVL_ALGO_TREE, 2u << 20),
                   NVL_PROTO_LL128);
  assert_int_equal(nvl_tuner_algo(c, tc, NVL_COLL_ALL_REDUCE, 16u << 20), NVL_ALGO_NVLSTREE);
  assert_int_equal(nvl_tuner_algo(c, tc, NVL_COLL_ALL_REDUCE, 1u << 30), NVL_ALGO_NVLSTREE);
  /* the ring across the two nodes in NCCL's model: 28 NVLink and 2 NET steps of latency, the
   * bus bandwidth the lesser of the NVLink graph's and the 8 NICs' 8 x 48 GB/s; LL at most
   * NCCL's 2-node cap of 39 GB/s */
  nvl_tuner_graph gr = nvl_tuner_ring_graph(c, tc);
  double S = 1u << 30, ring_bus = fmin(gr.channels * gr.bw_GBps, 8 * 48.0) * 1e9;
  double ring_lat = c->base_s[NVL_PROTO_SIMPLE] + 28 * c->ring_hop_s[NVL_PROTO_SIMPLE] +
                    2 * c->ring_net_hop_s[NVL_PROTO_SIMPLE];
  assert_close(nvl_tuner_time_ring(c, tc, NVL_COLL_ALL_REDUCE, NVL_PROTO_SIMPLE, 1u << 30),
               ring_lat + S / (ring_bus * 16 / 30.0), 1e-9);
  double ll_lat = c->base_s[NVL_PROTO_LL] + 28 * c->ring_hop_s[NVL_PROTO_LL] +
                  2 * c->ring_net_hop_s[NVL_PROTO_LL];
  assert_close(nvl_tuner_time_ring(c, tc, NVL_COLL_ALL_REDUCE, NVL_PROTO_LL, 1u << 30),
               ll_lat + S / (fmin(39e9, ring_bus * 0.5) * 16 / 30.0), 1e-9);
  /* the tree in NCCL's model on two nodes: the graph's bandwidth x 0.92, at most 41.4 GB/s per
   * channel, half of it algorithm bandwidth; latency base + 2 (7 NVLink hops + 1 NET hop) */
  double tree_bus = fmin(gr.channels * gr.bw_GBps * 0.92, gr.channels * 41.4) * 1e9;
  double tree_lat = c->base_s[NVL_PROTO_SIMPLE] +
                    2 * (7 * c->tree_hop_s[NVL_PROTO_SIMPLE] + c->tree_net_hop_s[NVL_PROTO_SIMPLE]);
  assert_close(nvl_tuner_time_tree(c, tc, NVL_COLL_ALL_REDUCE, NVL_PROTO_SIMPLE, 1u << 30),
               tree_lat + S / (tree_bus * 0.5), 1e-9);
  /* NVLSTree's bus bandwidth in NCCL's model: 8 x min(40 x 0.85 x 7/8 x 2, 8 x 48 / 8 x 2, 57.7) */
  double t = nvl_tuner_time_nvlstree(c, tc, NVL_COLL_ALL_REDUCE, NVL_PROTO_SIMPLE, 1u << 30);
  double lat = 25e-6 + 2 * 20.9e-6, bus = 8 * 57.7e9;
  assert_close(t, lat + (double)(1u << 30) / (bus * 16 / 30.0), 1e-9);
  nvl_workload_run_free(wr);
  nvl_workload_spec_release(&spec);
  nvl_diags_release(&diags);
  nvl_fixture_close(&f);
}

/* A GPU whose NIC failed still sends and receives through a rack-mate's NIC and NVLink (PXN
 * both ways), so every pair stays reachable and no transfer is lost: out of gpu0 over NVLink to
 * gpu8's rail (gpu0 itself is rail 0), into gpu0 by the source's rail (gpu8: rail 0, whose NIC
 * on node 0 is gone: the closest peer NIC, gpu1's, then NVLink). */
static void test_scaleout__a_failed_nic_is_routed_around(void **state) {
  (void)state;
  const char *const nic0[] = {"nic:nic0", NULL};
  nvl_fixture f = nvl_fixture_load("topologies/h100-pod-256.json", nic0, NVL_MODEL_IDEAL);
  char kinds[256];
  route_kinds(&f, "gpu0", "gpu8", kinds, sizeof kinds);
  assert_string_equal(kinds, "port port pcie port trunk trunk port pcie");
  route_kinds(&f, "gpu8", "gpu0", kinds, sizeof kinds);
  assert_string_equal(kinds, "pcie port trunk trunk port pcie port port");
  int devs[16], a, b;
  for (int g = 0; g < 16; g++) {
    char name[16];
    snprintf(name, sizeof name, "gpu%d", g);
    devs[g] = nvl_design_find_device(f.d, name);
  }
  assert_true(nvl_platform_all_reachable(f.p, devs, 16, &a, &b));
  nvl_fixture_close(&f);
}

/* The spine a route from gpu a to gpu b climbs to on gb300-nvl72-x16 with explicit planes (the
 * index of the "spine" device its first trunk reaches), -1 if none. */
static int spine_of(const nvl_fixture *f, int a, int b) {
  char na[16], nb[16];
  snprintf(na, sizeof na, "gpu%d", a);
  snprintf(nb, sizeof nb, "gpu%d", b);
  nvl_stripe st[NVL_MAX_STRIPES];
  if (nvl_platform_stripes(f->p, nvl_design_find_device(f->d, na), nvl_design_find_device(f->d, nb),
                           st) < 1)
    return -1;
  int links[64], dirs[64];
  int nl = nvl_platform_route(f->p, st[0].from_host, st[0].to_host, links, dirs, 64);
  for (int i = 0; i < nl; i++) {
    const char *s = strstr(nvl_platform_link(f->p, links[i])->name, "spine");
    if (s)
      return atoi(s + 5);
  }
  return -1;
}

/* ECMP (--ecmp): with explicit planes each route hashes among its equal-cost spines, by its
 * ends and the seed: the same seed gives the same path, pairs spread over the spines, where the
 * lowest-numbered choice puts every pair on spine 0. */
static void test_scaleout__ecmp_hashes_routes_over_the_spines(void **state) {
  (void)state;
  nvl_design *d = NULL;
  nvl_diags diags = NVL_DIAGS_INIT;
  assert_int_equal(nvl_design_load("builtin:gb300-nvl72-x16", NULL, &d, &diags), NVL_LOAD_OK);
  int used[2][8] = {{0}};
  for (int ecmp = 0; ecmp < 2; ecmp++) {
    nvl_platform_opts po = {
        .model = NVL_MODEL_IDEAL, .explicit_planes = true, .ecmp = ecmp, .ecmp_seed = 7};
    nvl_fixture f = {d, nvl_platform_new(d, &po, &diags)};
    assert_non_null(f.p);
    for (int r = 0; r < 64; r++) { /* gpu r to its place in the next rack: another leaf */
      int s = spine_of(&f, r, r + 72);
      assert_true(s >= 0 && s < 8);
      used[ecmp][s]++;
      assert_int_equal(spine_of(&f, r, r + 72), s); /* the same route, the same path */
    }
    nvl_platform_free(f.p);
  }
  assert_int_equal(used[0][0], 64);
  int spread = 0;
  for (int s = 0; s < 8; s++)
    spread += used[1][s] > 0;
  assert_true(spread >= 6);
  nvl_design_free(d);
  nvl_diags_release(&diags);
}

/* NCCL's nodes as `info` counts them: scale-up domains, joined by NVLink only. */
static void test_scaleout__info_counts_scale_up_domains(void **state) {
  (void)state;
  static const struct {
    const char *design;
    size_t domains, size;
  } cases[] = {{"builtin:h100-pod-256", 32, 8},
               {"builtin:gb300-nvl72-x16", 16, 72},
               {"builtin:p5-efa-x2", 2, 8},
               {"builtin:nvl576", 1, 576},
               {"builtin:gb200-nvl72", 1, 72}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    nvl_design *d = NULL;
    nvl_diags diags = NVL_DIAGS_INIT;
    assert_int_equal(nvl_design_load(cases[i].design, NULL, &d, &diags), NVL_LOAD_OK);
    nvl_graph *g = nvl_graph_new(d, &diags);
    size_t fewest, most;
    assert_int_equal(nvl_graph_domains(g, &fewest, &most), cases[i].domains);
    assert_int_equal(fewest, cases[i].size);
    assert_int_equal(most, cases[i].size);
    nvl_graph_free(g);
    nvl_design_free(d);
    nvl_diags_release(&diags);
  }
}

/* A switchless NVLink mesh (hgx-a100-4gpu: direct links only) is one node: one scale-up domain,
 * so NCCL's single-node model applies (ring/LL for small sizes, no NET hops), as before NICs. */
static void test_scaleout__a_switchless_mesh_is_one_node(void **state) {
  (void)state;
  nvl_fixture f = nvl_fixture_open("hgx-a100-4gpu.json", NVL_MODEL_DEFAULT, false);
  for (int g = 0; g < 4; g++) {
    char name[16];
    snprintf(name, sizeof name, "gpu%d", g);
    assert_int_equal(nvl_platform_domain(f.p, nvl_design_find_device(f.d, name)), 0);
  }
  nvl_workload_spec spec = {.ctx = nvl_test_ctx(), .model = NVL_MODEL_DEFAULT, .seed = 1};
  spec.jobs = calloc(1, sizeof *spec.jobs);
  spec.n_jobs = 1;
  nvl_diags diags = NVL_DIAGS_INIT;
  assert_int_equal(nvl_workload_resolve(&spec, f.d, f.p, &diags), 0);
  nvl_workload_run *wr = nvl_workload_run_new(&spec, f.d, f.p);
  assert_int_equal(wr->comms[0].tc.nodes, 1);
  assert_null(wr->comms[0].node_of);
  assert_int_equal(nvl_tuner_proto(&nvl_test_ctx()->cal, &wr->comms[0].tc, NVL_COLL_ALL_REDUCE,
                                   NVL_ALGO_RING, 8),
                   NVL_PROTO_LL);
  nvl_workload_run_free(wr);
  nvl_workload_spec_release(&spec);
  nvl_diags_release(&diags);
  nvl_fixture_close(&f);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_scaleout__nvlstree_runs_one_rail_for_alike_rails),
    cmocka_unit_test(test_scaleout__pat_moves_a_rings_bytes_in_log_steps),
    cmocka_unit_test(test_scaleout__the_choice_is_the_least_predicted_time),
    cmocka_unit_test(test_scaleout__tree_across_nodes_chains_inside_every_nic_between),
    cmocka_unit_test(test_scaleout__a_switchless_mesh_is_one_node),
    cmocka_unit_test(test_scaleout__info_counts_scale_up_domains),
    cmocka_unit_test(test_scaleout__ecmp_hashes_routes_over_the_spines),
    cmocka_unit_test(test_scaleout__a_failed_nic_is_routed_around),
    cmocka_unit_test(test_scaleout__nvlstree_moves_shards_between_nodes),
    cmocka_unit_test(test_scaleout__nvls_across_nodes_reduces_in_the_network),
    cmocka_unit_test(test_scaleout__nics_behind_pcie_switches),
    cmocka_unit_test(test_scaleout__collnet_direct_and_chain),
    cmocka_unit_test(test_scaleout__multiplane_ethernet),
    cmocka_unit_test(test_scaleout__tuner_picks_nvlstree_for_large_operations_across_nodes),
    cmocka_unit_test(test_scaleout__nvlink_inside_a_node_network_between),
    cmocka_unit_test(test_scaleout__ring_one_rank_per_node_is_alpha_beta_on_the_nic),
    cmocka_unit_test(test_scaleout__two_level_ring_is_bound_by_the_nics),
};
NVL_TEST_MAIN(tests)
