/* LLM steps (workload/llm.h): closed forms, the memory check and the layout's errors. */
#include "nvl_fixture.h"

#include <gsl/gsl_rng.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "output/llm.h"
#include "workload/llm.h"
#include "workload/llm_internal.h"

#include "nvl_llm_test.h"

/* A compute step: the operations' kernels and host dispatches, max of the two sums. */
typedef struct {
  const nvl_kernel_params *kp;
  const nvl_chip *c;
  nvl_runtime rt;
  double kernel, host, total;
} step_sum;

static void add_op(step_sum *s, nvl_kop op) {
  if (op.kind == NVL_KOP_GEMM && op.groups == 0)
    op.groups = 1;
  nvl_kop_time t = nvl_kop_price(s->kp, s->c, s->rt, &op);
  assert_true(t.kernel_s > 0 && isfinite(t.kernel_s) && t.host_s >= 0);
  s->kernel += t.kernel_s;
  s->host += t.host_s;
}

static void end_step(step_sum *s) {
  s->total += s->kernel > s->host ? s->kernel : s->host;
  s->kernel = s->host = 0;
}

/* A prefill of one sequence of t tokens through the dense model on one GPU, listed operation by
 * operation (llm_ops.c's list, written out here): its expected step time. */
static void dense_layers_by_hand(step_sum *sp, const nvl_llm *m, double t);
static double dense_prefill_by_hand(const nvl_llm *m, const nvl_chip *c, double t) {
  const nvl_model_ctx *ctx = nvl_test_ctx();
  step_sum s = {&ctx->kern, c, NVL_RT_FUSED, 0, 0, 0};
  double h = (double)m->hidden;
  dense_layers_by_hand(&s, m, t);
  /* the output layer: the last position of the sequence */
  add_op(&s, (nvl_kop){.kind = NVL_KOP_MEM, .mem = NVL_MEM_RMSNORM, .bytes = 4 * h});
  add_op(&s, (nvl_kop){.kind = NVL_KOP_GEMM, .m = 1, .n = (double)m->vocab, .k = h});
  end_step(&s);
  return s.total + ctx->kern.step_host_s; /* and the serving step's host work, once */
}

/* The dense model's layers forward over t tokens (the first with the embedding), into s. */
static void dense_layers_by_hand(step_sum *sp, const nvl_llm *m, double t) {
  step_sum s = *sp;
  double h = (double)m->hidden, f = (double)m->ffn, d = 128, q = 32, kv = 8;
  double mats = m->mlp_mats ? m->mlp_mats : 3;
  for (long k = 0; k < m->layers; k++) {
    if (k == 0)
      add_op(&s, (nvl_kop){.kind = NVL_KOP_MEM, .mem = NVL_MEM_EMBED, .bytes = 4 * t * h});
    add_op(&s, (nvl_kop){.kind = NVL_KOP_MEM, .mem = NVL_MEM_RMSNORM, .bytes = 4 * t * h});
    add_op(&s, (nvl_kop){.kind = NVL_KOP_GEMM, .m = t, .n = (q + 2 * kv) * d, .k = h});
    add_op(&s, (nvl_kop){.kind = NVL_KOP_MEM, .mem = NVL_MEM_ROPE, .bytes = 4 * t * (q + kv) * d});
    add_op(&s, (nvl_kop){.kind = NVL_KOP_ATTN,
                         .batch = 1,
                         .seq = t,
                         .ctx = t,
                         .heads_q = q,
                         .heads_kv = kv,
                         .dim_qk = d,
                         .dim_v = d,
                         .causal = true});
    add_op(&s, (nvl_kop){.kind = NVL_KOP_GEMM, .m = t, .n = h, .k = q * d});
    add_op(&s, (nvl_kop){.kind = NVL_KOP_MEM, .mem = NVL_MEM_ADD, .bytes = 6 * t * h});
    end_step(&s);
    add_op(&s, (nvl_kop){.kind = NVL_KOP_MEM, .mem = NVL_MEM_RMSNORM, .bytes = 4 * t * h});
    add_op(&s, (nvl_kop){.kind = NVL_KOP_GEMM, .m = t, .n = (mats - 1) * f, .k = h});
    add_op(&s, (nvl_kop){.kind = NVL_KOP_MEM,
                         .mem = NVL_MEM_SILU_MUL,
                         .bytes = (mats == 3 ? 6 : 4) * t * f});
    add_op(&s, (nvl_kop){.kind = NVL_KOP_GEMM, .m = t, .n = h, .k = f});
    add_op(&s, (nvl_kop){.kind = NVL_KOP_MEM, .mem = NVL_MEM_ADD, .bytes = 6 * t * h});
    end_step(&s);
  }
  *sp = s;
}

/* One GPU computes only: the step is the sum of its operations' times, compute step by compute
 * step (each the larger of its kernels and its host dispatches), with nothing else in it. */
static void test_llm__compute_only_step_is_the_sum_of_its_operations(void **state) {
  (void)state;
  for (int mats = 2; mats <= 3; mats++) { /* GELU's two matrices and SwiGLU's three */
    nvl_llm m = dense_model();
    m.mlp_mats = mats;
    nvl_llm_layout l = prefill(1, 4096);
    step_run x;
    run_step(&x, &m, &l, 1);
    nvl_chip c;
    nvl_llm_chip(nvl_test_ctx(),
                 &x.f.d->endpoint_types[x.f.d->devices[x.spec.jobs[0].devs[0]].type].compute, &c);
    double want = dense_prefill_by_hand(&m, &c, 4096);
    print_message("%d matrices: step %.1f us, by hand %.1f us\n", mats, x.r.step_s * 1e6,
                  want * 1e6);
    assert_close(x.r.step_s, want, 1e-9 * want);
    assert_close(x.r.compute_s, want, 1e-9 * want);
    assert_true(x.r.exposed_s == 0 && x.r.comm_total_s == 0);
    step_close(&x);
  }
}

/* Recomputation on one GPU (compute only): full runs each layer's forward again before its
 * backward, so the step's compute grows by exactly the layers' forward (listed by hand) and the
 * activations shrink to the layers' inputs plus one layer's; selective runs the attention core's
 * forward again, once per layer. */
static void test_llm__recomputation_costs_its_forward_and_saves_activations(void **state) {
  (void)state;
  nvl_llm m = dense_model();
  double t = 4096, h = 4096;
  step_run x[3];
  for (int r = 0; r < 3; r++) {
    nvl_llm_layout l = prefill(1, 4096);
    l.mode = NVL_LLM_TRAIN, l.recompute = (nvl_llm_recompute)r;
    run_step(&x[r], &m, &l, 1);
  }
  nvl_chip c;
  nvl_llm_chip(nvl_test_ctx(),
               &x[0].f.d->endpoint_types[x[0].f.d->devices[x[0].spec.jobs[0].devs[0]].type].compute,
               &c);
  step_sum fwd = {&nvl_test_ctx()->kern, &c, NVL_RT_FUSED, 0, 0, 0};
  dense_layers_by_hand(&fwd, &m, t);
  double none = x[NVL_RECOMPUTE_NONE].r.compute_s, full = x[NVL_RECOMPUTE_FULL].r.compute_s;
  print_message("compute: none %.1f us, full %.1f us, the layers' forward %.1f us\n", none * 1e6,
                full * 1e6, fwd.total * 1e6);
  assert_close(full - none, fwd.total, 1e-9 * full);
  nvl_kop core = {.kind = NVL_KOP_ATTN,
                  .batch = 1,
                  .seq = t,
                  .ctx = t,
                  .heads_q = 32,
                  .heads_kv = 8,
                  .dim_qk = 128,
                  .dim_v = 128,
                  .causal = true};
  double one = nvl_kop_price(&nvl_test_ctx()->kern, &c, NVL_RT_FUSED, &core).kernel_s;
  assert_close(x[NVL_RECOMPUTE_SELECTIVE].r.compute_s - none, (double)m.layers * one, 1e-6);
  double per_layer = (10 + 24) * t * h; /* tp 1, no SP: Korthikanti's (10 + 24/t) sbh */
  assert_close(x[NVL_RECOMPUTE_NONE].st.mem.activations, m.layers * per_layer, 1e-12);
  assert_close(x[NVL_RECOMPUTE_SELECTIVE].st.mem.activations, m.layers * per_layer, 1e-12);
  assert_close(x[NVL_RECOMPUTE_FULL].st.mem.activations, m.layers * 2 * t * h + per_layer, 1e-12);
  for (int r = 0; r < 3; r++)
    step_close(&x[r]);
}

/* TP without overlap: every all_reduce waits for compute and compute for it, so the step is the
 * compute plus the collectives' simulated time, all of it exposed. */
static void test_llm__tp_step_is_compute_plus_its_collectives(void **state) {
  (void)state;
  nvl_llm m = dense_model();
  nvl_llm_layout l = prefill(4, 2048);
  step_run x;
  run_step(&x, &m, &l, 4);
  assert_true(x.r.comm_s[NVL_LD_TP] > 0);
  assert_close(x.r.step_s, x.r.compute_s + x.r.comm_s[NVL_LD_TP], 1e-9 * x.r.step_s);
  assert_close(x.r.exposed_s, x.r.comm_s[NVL_LD_TP], 1e-9 * x.r.step_s);
  /* 2 all_reduces per layer of tokens x hidden x 2 bytes: at least that over 4 GPUs' links */
  double bytes = 2048.0 * 4096 * 2, bus = 2.0 * 3 / 4 * bytes; /* ring all_reduce per rank */
  assert_true(x.r.comm_s[NVL_LD_TP] > 8 * bus / 900e9);
  step_close(&x);
}

/* The breakdown seen from any rank (llm --rank): each rank's compute, exposed communication and
 * bubble add up to the step; the default view is the rank whose last operation ends last; ranks
 * alike (the same stage and TP place in another data-parallel replica) see the same breakdown,
 * while the two pipeline stages see their own (so two designs' breakdowns compare only from the
 * same rank). tp 2 x dp 2 x pp 2 training on 8 GPUs. */
static void test_llm__every_rank_sees_a_whole_step(void **state) {
  (void)state;
  nvl_llm m = dense_model();
  nvl_llm_layout l = prefill(2, 1024);
  l.mode = NVL_LLM_TRAIN, l.pp = 2, l.dp = 2, l.batch = 8, l.microbatches = 4;
  step_run x;
  run_step(&x, &m, &l, 8);
  assert_int_equal(x.st.ranks, 8);
  const nvl_llm_result *c = &x.seen[x.r.rank];
  assert_false(x.r.rank_asked);
  assert_true(c->rank_asked);
  assert_close(c->compute_s, x.r.compute_s, 0);
  assert_close(c->exposed_s, x.r.exposed_s, 0);
  for (int k = 0; k < NVL_LD__COUNT; k++)
    assert_close(c->comm_s[k], x.r.comm_s[k], 0);
  for (int r = 0; r < 8; r++) {
    const nvl_llm_result *s = &x.seen[r];
    assert_int_equal(s->rank, r);
    assert_close(s->step_s, x.r.step_s, 0);
    assert_close(s->compute_s + s->exposed_s + s->bubble_s, s->step_s, 1e-9 * s->step_s);
    assert_true(s->comm_s[NVL_LD_TP] > 0 && s->comm_s[NVL_LD_PP] > 0 && s->comm_s[NVL_LD_DP] > 0);
    const nvl_llm_result *twin = &x.seen[r ^ 2]; /* the other data-parallel replica */
    assert_close(s->compute_s, twin->compute_s, 1e-9 * s->step_s);
    assert_close(s->comm_s[NVL_LD_DP], twin->comm_s[NVL_LD_DP], 1e-9 * s->step_s);
    assert_close(s->bubble_s, twin->bubble_s, 1e-9 * s->step_s);
  }
  /* the stages differ: the last one computes the output layer and its loss */
  assert_true(x.seen[4].compute_s > x.seen[0].compute_s * 1.001);
  step_close(&x);
}

/* DeepEP's normal kernels across nodes (h800-ib-x8: 8 GPUs per node, one NIC each): in every
 * forward dispatch and combine a transfer between nodes joins two GPUs at the same place of their
 * nodes (the RDMA leg rides its own rail; NVLink forwards the rest), and DeepEP's RDMA count per
 * rank is its tokens times the nodes each reaches (its own included): with --node-groups M at
 * most M, exactly 1 with M = 1, and without a limit on 4 nodes 4 (1 - C(48, 8) / C(64, 8)), 3.67,
 * for 8 distinct experts of 64 spread evenly (a node missed when all 8 fall on the other 48).
 * Inside one node the count is 0. */
static void test_llm__deepep_internode_rides_the_rails(void **state) {
  (void)state;
  nvl_llm m = dense_model();
  m.layers = 1, m.moe = true, m.experts = 64, m.top_k = 8, m.expert_ffn = 1024;
  static const struct {
    int n, groups;
    double lo, hi; /* the count over the tokens */
  } cases[] = {{32, 1, 1, 1}, {32, 2, 1.9, 2}, {32, 0, 3.62, 3.72}, {8, 0, 0, 0}};
  for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
    nvl_llm_layout l = prefill(1, 1024);
    l.ep = cases[c].n, l.dp = cases[c].n, l.batch = cases[c].n, l.node_groups = cases[c].groups;
    built x;
    build_on(&x, "topologies/h800-ib-x8.json", &m, &l, cases[c].n);
    int n = cases[c].n, ops = 0;
    for (size_t i = 0; i < x.st.g.n_ops; i++) {
      if (x.st.role[i] == NVL_LR_NONE)
        continue;
      ops++;
      const nvl_wop *op = &x.st.g.ops[i];
      const double *v = x.st.g.vals + op->val_at, *fig = x.st.g.vals + x.st.ep_fig[i] - 1;
      for (int a = 0; a < n; a++)
        for (int b = 0; b < n; b++)
          if (a / 8 != b / 8 && v[a * n + b] > 0)
            assert_int_equal(a % 8, b % 8);
      double tok_bytes = 2 * 4096; /* bf16 */
      for (int r = 0; r < n; r++) {
        double count = fig[n + r] / (1024 * tok_bytes);
        if (r == 0)
          print_message("%d ranks, node groups %d: %.3f nodes per token\n", n, cases[c].groups,
                        count);
        assert_true(count >= cases[c].lo - 1e-9 && count <= cases[c].hi + 1e-9);
      }
    }
    assert_int_equal(ops, 2);
    release(&x);
  }
}

/* The design file of NVL72 with every NVLink 5 link at `bw` (a temporary file, path in out). */
static void nvl72_at(const char *bw, char *out, size_t len) {
  char src[512];
  snprintf(src, sizeof src, "%s/topologies/gb200-nvl72.json", NVL_SOURCE_DIR);
  FILE *in = fopen(src, "r");
  assert_non_null(in);
  fseek(in, 0, SEEK_END);
  char *text = nvl_test_slurp(in); /* closes it */
  char *at = strstr(text, "\"groups\"");
  assert_non_null(at);
  snprintf(out, len, "/tmp/nvlsim-test-bw-XXXXXX");
  int fd = mkstemp(out);
  assert_true(fd >= 0);
  FILE *f = fdopen(fd, "w");
  fprintf(f,
          "%.*s\"link_types\": {\"nvlink5\": {\"base\": \"nvlink5\", \"bandwidth\": \"%s\"}}, %s",
          (int)(at - text), text, bw, at);
  fclose(f);
  free(text);
}

/* A bandwidth-bound step (a large prefill's dispatch and combine at EP 72) on NVL72 with every
 * NVLink 5 link at half its bandwidth: its EP time nearly doubles, less only by its latency
 * share (launch, per-hop and P2P start costs stay). "Only": at a quarter of the bandwidth the
 * time grows by exactly twice what halving added (t = L + B / share), and the compute is the
 * same. */
static void test_llm__half_bandwidth_nearly_doubles_ep_time(void **state) {
  (void)state;
  nvl_llm m = {.layers = 2,
               .hidden = 7168,
               .ffn = 18432,
               .heads = 128,
               .kv_heads = 128,
               .head_dim = 128,
               .vocab = 129280,
               .precision = NVL_PREC_FP8,
               .mla = true,
               .q_lora = 1536,
               .kv_lora = 512,
               .qk_nope = 128,
               .qk_rope = 64,
               .v_head = 128,
               .moe = true,
               .experts = 256,
               .shared = 1,
               .top_k = 8,
               .expert_ffn = 2048,
               .first_dense = 1};
  nvl_llm_layout l = prefill(1, 4096);
  l.ep = 72, l.dp = 72, l.batch = 72, l.redundant_experts = 32, l.precision = NVL_PREC_FP8;
  char half[64], quarter[64];
  nvl72_at("25 GB/s", half, sizeof half);
  nvl72_at("12.5 GB/s", quarter, sizeof quarter);
  step_run full, slow, slower;
  run_step(&full, &m, &l, 72);
  run_step_on(&slow, half, &m, &l, 72);
  run_step_on(&slower, quarter, &m, &l, 72);
  unlink(half);
  unlink(quarter);
  double t1 = full.r.comm_s[NVL_LD_EP], t2 = slow.r.comm_s[NVL_LD_EP],
         t4 = slower.r.comm_s[NVL_LD_EP];
  print_message("EP time %.1f us -> %.1f us at half bandwidth (x %.3f), %.1f us at a quarter\n",
                t1 * 1e6, t2 * 1e6, t2 / t1, t4 * 1e6);
  assert_true(t2 / t1 > 1.75 && t2 / t1 <= 2.0 + 1e-9); /* latency under a quarter of it */
  assert_close((t4 - t2) / (t2 - t1), 2.0, 0.02);       /* the rest is bandwidth */
  assert_close(slow.r.compute_s, full.r.compute_s, 1e-9 * full.r.compute_s);
  step_close(&full);
  step_close(&slow);
  step_close(&slower);
}

/* DeepEP's two kernels on a DeepSeek-V3-shaped MoE, EP 8 on HGX H100 (32 experts a rank, top-8:
 * a token reaches about 5 ranks, each with 1.6 of its experts): the low-latency kernels send one
 * copy per token and expert (no dedup per rank: more bytes, by the copies per rank) and never wait
 * for the host; the normal ones dedup per rank and their forward dispatch waits one host launch
 * for the counts. So the low-latency dispatch is shorter for a decode batch (latency-bound) and
 * longer for a prefill of 4,096 tokens a rank (bandwidth-bound), and the normal dispatch's extra
 * start is the host launch exactly where there is nothing to send. */
static void test_llm__deepep_low_latency_kernels_trade_bytes_for_latency(void **state) {
  (void)state;
  nvl_llm m = dense_model();
  m.moe = true, m.experts = 256, m.top_k = 8, m.expert_ffn = 2048, m.layers = 2;
  m.first_dense = 0;
  struct {
    nvl_llm_mode mode;
    long batch, seq;
    bool ll_faster;
  } cases[] = {{NVL_LLM_DECODE, 64, 1024, true}, {NVL_LLM_PREFILL, 8, 4096, false}};
  for (size_t i = 0; i < 2; i++) {
    nvl_llm_layout l = prefill(1, cases[i].seq);
    l.mode = cases[i].mode, l.ep = 8, l.dp = 8, l.batch = cases[i].batch;
    if (l.mode == NVL_LLM_DECODE)
      l.runtime = NVL_RT_GRAPH;
    step_run normal, ll;
    l.ep_low_latency = false;
    run_step(&normal, &m, &l, 8);
    l.ep_low_latency = true;
    run_step(&ll, &m, &l, 8);
    double dn = normal.r.ep_dispatch_s, dl = ll.r.ep_dispatch_s;
    print_message("%s: dispatch normal %.2f us, low-latency %.2f us; combine %.2f / %.2f us\n",
                  nvl_llm_mode_name(l.mode), dn * 1e6, dl * 1e6, normal.r.ep_combine_s * 1e6,
                  ll.r.ep_combine_s * 1e6);
    assert_true(cases[i].ll_faster ? dl < dn : dl > dn);
    /* same routing, more bytes: the low-latency combine moves the copies back */
    assert_true(ll.r.ep_combine_s > normal.r.ep_combine_s);
    assert_close(ll.r.compute_s, normal.r.compute_s, 1e-9 * normal.r.compute_s);
    step_close(&normal);
    step_close(&ll);
  }
}

/* A layout that does not fit is refused with its numbers. */
static void test_llm__memory_check_refuses_with_the_numbers(void **state) {
  (void)state;
  nvl_llm m = dense_model();
  m.layers = 800; /* about 580 GB of BF16 weights on one GPU */
  nvl_llm_layout l = prefill(1, 4096);
  nvl_fixture f = nvl_fixture_open("gb200-nvl72.json", NVL_MODEL_DEFAULT, false);
  nvl_diags diags = NVL_DIAGS_INIT;
  nvl_workload_spec spec = first_ranks(&f, 1, &diags);
  nvl_llm_step st;
  assert_int_equal(nvl_llm_step_build(nvl_test_ctx(), &m, &l, f.d, &spec, &st, &diags), -1);
  assert_int_equal(diags.items[0].code, NVL_DIAG_LIMIT);
  assert_non_null(strstr(diags.items[0].message, "does not fit"));
  assert_non_null(strstr(diags.items[0].message, "of its 186.0 GB"));
  nvl_diags_release(&diags);
  /* 1 MB over: printed with the digits that show it */
  m.layers = 400;
  l.seq = 6710;
  nvl_llm_step st2;
  assert_int_equal(nvl_llm_step_build(nvl_test_ctx(), &m, &l, f.d, &spec, &st2, &diags), -1);
  if (!strstr(diags.items[0].message, "needs 186.001 GB") ||
      !strstr(diags.items[0].message, "of its 186.000 GB"))
    print_error("%s\n", diags.items[0].message), fail();
  nvl_diags_release(&diags);
  nvl_workload_spec_release(&spec);
  nvl_fixture_close(&f);
}

/* Each class of bad layout gets its own message. */
static void test_llm__bad_layouts_are_named(void **state) {
  (void)state;
  struct {
    long tp, ep, pp, dp, batch, mb;
    bool moe;
    const char *msg;
  } cases[] = {
      {2, 1, 1, 1, 1, 1, false, "= 2 ranks, but the job has 4"},
      {3, 1, 1, 1, 1, 1, false, "does not divide the model's 32 heads"},
      {1, 4, 1, 4, 4, 1, false, "needs a mixture-of-experts model"},
      {1, 1, 3, 1, 1, 1, false, "does not divide the model's 4 layers"},
      {1, 4, 1, 4, 3, 1, false, "needs a mixture-of-experts"},
      {1, 3, 1, 3, 3, 1, true, "--redundant-experts 1"},
      {1, 4, 1, 4, 6, 1, true, "batch 6 does not split"},
      {2, 4, 1, 3, 6, 1, true, "etp 1 x ep 4 = 4 does not divide the 6 ranks"},
  };
  nvl_fixture f = nvl_fixture_open("gb200-nvl72.json", NVL_MODEL_DEFAULT, false);
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    nvl_llm m = dense_model();
    if (cases[i].moe) {
      m.moe = true;
      m.experts = 8, m.top_k = 2, m.expert_ffn = 1024;
    }
    nvl_llm_layout l = prefill(cases[i].tp, 512);
    l.ep = cases[i].ep, l.pp = cases[i].pp, l.dp = cases[i].dp, l.batch = cases[i].batch;
    l.microbatches = cases[i].mb;
    long n = cases[i].msg[0] == '=' ? 4 : l.tp * l.pp * l.dp;
    nvl_diags diags = NVL_DIAGS_INIT;
    nvl_workload_spec spec = first_ranks(&f, (int)n, &diags);
    nvl_llm_step st;
    assert_int_equal(nvl_llm_step_build(nvl_test_ctx(), &m, &l, f.d, &spec, &st, &diags), -1);
    if (!strstr(diags.items[0].message, cases[i].msg))
      print_error("case %zu: \"%s\" lacks \"%s\"\n", i, diags.items[0].message, cases[i].msg);
    assert_non_null(strstr(diags.items[0].message, cases[i].msg));
    nvl_diags_release(&diags);
    nvl_workload_spec_release(&spec);
  }
  nvl_fixture_close(&f);
}

/* ZeRO-3 on 8 GPUs: weights, gradients and Adam state sharded 8 ways plus two gathered layers,
 * exactly; per layer an all_gather in forward, another in backward and a reduce_scatter (no
 * all_gather at the end); prefetched one layer ahead, most of that traffic hides under the
 * compute. */
static void test_llm__zero3_shards_memory_and_hides_its_gathers(void **state) {
  (void)state;
  nvl_llm m = dense_model();
  m.layers = 16;
  nvl_llm_layout l = prefill(1, 4096);
  l.mode = NVL_LLM_TRAIN, l.dp = 8, l.batch = 8, l.zero = 3;
  step_run x;
  run_step(&x, &m, &l, 8);
  double h = 4096, q = 32 * 128, kv = 8 * 128;
  double layer = h * (q + 2 * kv) + q * h + 3 * h * 14336, all = 16 * layer + 2 * h * 32000;
  assert_close(x.st.mem.weights, 2 * all / 8 + 2 * 2 * layer, 1e-9 * x.st.mem.weights);
  assert_close(x.st.mem.grads, 4 * all / 8 + 4 * layer, 1e-9 * x.st.mem.grads);
  assert_close(x.st.mem.optimizer, 12 * all / 8, 1e-9 * x.st.mem.optimizer);
  size_t dp = 0; /* the graph went to the engine; its dimensions stay */
  for (size_t i = 0; i < x.r.n_ops; i++)
    dp += x.st.dim[i] == NVL_LD_DP;
  assert_int_equal(dp, 3 * 16); /* ZeRO-1 would have 1 reduce_scatter (one bucket) + 1 gather */
  print_message("DP %.1f us, exposed %.1f us of a %.1f us step\n", x.r.comm_s[NVL_LD_DP] * 1e6,
                x.r.exposed_s * 1e6, x.r.step_s * 1e6);
  assert_true(x.r.comm_s[NVL_LD_DP] > 0);
  assert_true(x.r.exposed_s < 0.2 * x.r.comm_s[NVL_LD_DP]);
  step_close(&x);
}

/* Routing draws top_k distinct experts in bounded time at every Zipf exponent of the documented
 * range (0 to 10; at 10 nearly all the mass is on one expert, where redrawing duplicates took
 * about a billion draws per token): every token reaches top_k distinct experts. */
static void test_llm__routing_is_bounded_and_distinct_at_every_skew(void **state) {
  (void)state;
  nvl_llm m = dense_model();
  m.moe = true, m.experts = 256, m.top_k = 8, m.expert_ffn = 2048;
  double skews[] = {0, 0.5, 1, 2, 4, 7, 10};
  for (size_t i = 0; i < sizeof skews / sizeof *skews; i++) {
    nvl_llm_layout l = prefill(1, 512);
    l.ep = 8, l.skew = skews[i];
    llm_shape sh = {.mctx = nvl_test_ctx(), .m = &m, .lay = &l, .slots = 256, .per_rank_slots = 32};
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 7);
    llm_routing rt = {calloc(64, sizeof(double)), calloc(8, sizeof(double)),
                      calloc(8, sizeof(double)), NULL};
    double tokens = 1024;
    nvl_llm_route(&sh, tokens, rng, &rt);
    double pairs = 0, hit = 0, sent = 0;
    for (int r = 0; r < 8; r++) {
      pairs += rt.work[r];
      hit += rt.hit[r];
      for (int j = 0; j < 8; j++)
        sent += rt.tok[r * 8 + j];
    }
    /* every sampled token of every rank: top_k pairs, on at least one rank, at most top_k */
    assert_close(pairs, 8 * tokens * 8, 1e-6 * pairs);
    assert_true(hit >= 8 && hit <= 256);
    assert_true(sent >= 8 * tokens - 1e-6 && sent <= 8 * tokens * 8 + 1e-6);
    if (skews[i] >= 7) /* the hottest expert takes nearly every token's first pick */
      assert_true(hit < 256);
    free(rt.tok), free(rt.work), free(rt.hit);
    gsl_rng_free(rng);
  }
}

/* An EP group of any size keeps every member (no fixed-size array): EP 4,608 over 4,608 GPUs. */
static void test_llm__large_ep_groups_keep_every_member(void **state) {
  (void)state;
  nvl_fixture f = nvl_fixture_load("tools/bench/flat-10000.json", NULL, NVL_MODEL_DEFAULT);
  nvl_llm m = dense_model();
  m.layers = 1, m.moe = true, m.experts = 4608, m.top_k = 2, m.expert_ffn = 512;
  nvl_llm_layout l = prefill(1, 16);
  l.mode = NVL_LLM_DECODE, l.ep = 4608, l.dp = 4608, l.batch = 4608;
  nvl_diags diags = NVL_DIAGS_INIT;
  nvl_workload_spec spec = first_ranks(&f, 4608, &diags);
  nvl_llm_step st;
  assert_int_equal(nvl_llm_step_build(nvl_test_ctx(), &m, &l, f.d, &spec, &st, &diags), 0);
  int found = 0;
  for (size_t k = 0; k < spec.n_jobs; k++)
    if (strncmp(spec.jobs[k].name, "ep.", 3) == 0) {
      found++;
      assert_int_equal(spec.jobs[k].n, 4608);
    }
  assert_int_equal(found, 1);
  nvl_llm_step_release(&st, spec.n_jobs);
  nvl_diags_release(&diags);
  nvl_workload_spec_release(&spec);
  nvl_fixture_close(&f);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_llm__compute_only_step_is_the_sum_of_its_operations),
    cmocka_unit_test(test_llm__recomputation_costs_its_forward_and_saves_activations),
    cmocka_unit_test(test_llm__tp_step_is_compute_plus_its_collectives),
    cmocka_unit_test(test_llm__every_rank_sees_a_whole_step),
    cmocka_unit_test(test_llm__deepep_internode_rides_the_rails),
    cmocka_unit_test(test_llm__half_bandwidth_nearly_doubles_ep_time),
    cmocka_unit_test(test_llm__deepep_low_latency_kernels_trade_bytes_for_latency),
    cmocka_unit_test(test_llm__memory_check_refuses_with_the_numbers),
    cmocka_unit_test(test_llm__zero3_shards_memory_and_hides_its_gathers),
    cmocka_unit_test(test_llm__bad_layouts_are_named),
    cmocka_unit_test(test_llm__routing_is_bounded_and_distinct_at_every_skew),
    cmocka_unit_test(test_llm__large_ep_groups_keep_every_member),
};

NVL_TEST_MAIN(tests)
