/* A step's layout (workload/llm_layout.c): its communicators are the groups Megatron Core's
 * RankGenerator builds for the same sizes and order (dense and expert meshes, MoE parallel
 * folding), its streams the ranks those groups couple; expert tensor parallelism splits the
 * experts' weights and adds its exchange; expert gradients reduce over the experts' data-parallel
 * ranks. */
#include "nvl_llm_test.h"

#include <gsl/gsl_rng.h>

#include <stdlib.h>
#include <string.h>

#include "workload/llm_internal.h"

static nvl_llm moe_model(void) {
  nvl_llm m = dense_model();
  m.moe = true, m.experts = 8, m.top_k = 2, m.expert_ffn = 1024;
  return m;
}

/* The jobs whose names start with prefix are exactly the groups want[g][0 .. size - 1] (any
 * order of groups, ranks in order). */
static void expect_groups(const built *b, const char *prefix, const int *want, int groups,
                          int size) {
  int found = 0;
  size_t len = strlen(prefix);
  for (size_t k = 0; k < b->spec.n_jobs; k++) {
    if (strncmp(b->spec.jobs[k].name, prefix, len) != 0)
      continue;
    found++;
    assert_int_equal(b->spec.jobs[k].n, size);
    int g = 0;
    while (g < groups && memcmp(want + g * size, b->st.job_ranks[k], (size_t)size * sizeof(int)))
      g++;
    if (g == groups) {
      print_error("%s job %s (first rank %d) is no expected group\n", prefix, b->spec.jobs[k].name,
                  b->st.job_ranks[k][0]);
      fail();
    }
  }
  assert_int_equal(found, groups);
}

/* tp 2, ep 4, etp 2 on 16 ranks (dp 8, edp 2), Megatron's order: rank = t + 2 d (dense) =
 * et + 2 (e + 4 ed) (experts); and with order tp-dp-ep-cp-pp and etp 1 (edp 4), rank = t + 2 d
 * = ed + 4 e, so that each EP group strides over the TP pairs and a stream joins four of them. */
static void test_llm_layout__groups_are_megatrons(void **state) {
  (void)state;
  nvl_llm m = moe_model();
  nvl_llm_layout l = prefill(2, 256);
  l.mode = NVL_LLM_TRAIN, l.ep = 4, l.etp = 2, l.dp = 8, l.batch = 8;
  built b;
  build(&b, &m, &l, 16);
  int tp[16], dp[16], ep[16], etp[16], edp[16], streams[16], n = 0;
  for (int i = 0; i < 16; i++)
    tp[i] = etp[i] = streams[i] = i; /* pairs; two streams of 8 */
  for (int t = 0; t < 2; t++)        /* dense DP group t: t + 2 d */
    for (int d = 0; d < 8; d++)
      dp[n++] = t + 2 * d;
  n = 0;
  for (int ed = 0; ed < 2; ed++) /* EP group (et, ed), et fastest: et + 2 e + 8 ed */
    for (int et = 0; et < 2; et++)
      for (int e = 0; e < 4; e++)
        ep[n++] = et + 2 * e + 8 * ed;
  n = 0;
  for (int e = 0; e < 4; e++) /* expert DP group (et, e) */
    for (int et = 0; et < 2; et++)
      for (int ed = 0; ed < 2; ed++)
        edp[n++] = et + 2 * e + 8 * ed;
  expect_groups(&b, "tp.", tp, 8, 2);
  expect_groups(&b, "dp.", dp, 2, 8);
  expect_groups(&b, "ep.", ep, 4, 4);
  expect_groups(&b, "etp.", etp, 8, 2);
  expect_groups(&b, "dpe.", edp, 8, 2);
  expect_groups(&b, "stage", streams, 2, 8);
  release(&b);

  l.etp = 1;
  snprintf(l.order, sizeof l.order, "tp-dp-ep-cp-pp");
  build(&b, &m, &l, 16);
  int ep2[16], edp2[16], st2[16] = {0, 1, 4, 5, 8, 9, 12, 13, 2, 3, 6, 7, 10, 11, 14, 15};
  for (int i = 0; i < 16; i++) {
    ep2[i] = i / 4 + 4 * (i % 4); /* group ed: ed + 4 e */
    edp2[i] = i;                  /* group e: 4 e + ed */
  }
  expect_groups(&b, "tp.", tp, 8, 2);
  expect_groups(&b, "ep.", ep2, 4, 4);
  expect_groups(&b, "dpe.", edp2, 4, 4);
  expect_groups(&b, "stage", st2, 2, 8);
  assert_int_equal(b.st.replicas, 2);
  release(&b);
}

/* Expert TP 2 holds half of each expert (the weights in memory: exactly) and adds an all_gather
 * before the experts and a reduce_scatter after them per MoE layer and expert TP group. */
static void test_llm_layout__expert_tp_splits_the_experts(void **state) {
  (void)state;
  nvl_llm m = moe_model();
  double weights[2];
  size_t etp_ops[2];
  for (int k = 0; k < 2; k++) {
    nvl_llm_layout l = prefill(2, 1024);
    l.ep = 4 / (k + 1), l.etp = k + 1, l.dp = 4, l.batch = 4;
    built b;
    build(&b, &m, &l, 8);
    weights[k] = b.st.mem.weights;
    etp_ops[k] = 0;
    for (size_t i = 0; i < b.st.g.n_ops; i++)
      etp_ops[k] += strncmp(b.spec.jobs[b.st.g.ops[i].job].name, "etp.", 4) == 0;
    release(&b);
  }
  /* etp 1 x ep 4: 2 of the 8 experts per rank; etp 2 x ep 2: 4 experts, half of each */
  double expert = 3.0 * 4096 * 1024 * 2 /* BF16 */ * (double)m.layers;
  assert_close(weights[1] - weights[0], 4 * expert / 2 - 2 * expert, 1e-9);
  assert_int_equal(etp_ops[0], 0);
  assert_int_equal(etp_ops[1], 2 * 4 * 4); /* 2 per layer, 4 layers, 4 expert TP groups */
}

/* Training with tp 2 x ep 2 on 4 ranks: experts whole on each rank (etp 1) are copies over the
 * experts' data-parallel ranks (edp 2): their gradients reduce_scatter over them, every byte
 * (4 experts per rank, BF16 gradients). */
static void test_llm_layout__expert_gradients_reduce_over_edp(void **state) {
  (void)state;
  nvl_llm m = moe_model();
  nvl_llm_layout l = prefill(2, 512);
  l.mode = NVL_LLM_TRAIN, l.ep = 2, l.dp = 2, l.batch = 2, l.zero = 1;
  built b;
  build(&b, &m, &l, 4);
  int edp[4] = {0, 2, 1, 3};
  expect_groups(&b, "dpe.", edp, 2, 2);
  double rs = 0;
  for (size_t i = 0; i < b.st.g.n_ops; i++) {
    const nvl_wop *op = &b.st.g.ops[i];
    if (strncmp(b.spec.jobs[op->job].name, "dpe.", 4) == 0 && op->coll == NVL_COLL_REDUCE_SCATTER)
      rs += (double)op->bytes;
  }
  double per_rank = 3.0 * 4096 * 1024 * 4 * 2 * (double)m.layers; /* 2 groups */
  assert_close(rs, 2 * per_rank, 1e-6);
  release(&b);
}

/* The attention kernel's FLOPs of layer 1 on a rank of layout l (4 GPUs). */
static double attention_flops(const nvl_llm *m, const nvl_llm_layout *l) {
  nvl_fixture f = nvl_fixture_open("gb200-nvl72.json", NVL_MODEL_DEFAULT, false);
  nvl_diags diags = NVL_DIAGS_INIT;
  nvl_workload_spec spec = first_ranks(&f, 4, &diags);
  llm_shape sh;
  nvl_llm_memory mem;
  assert_int_equal(nvl_llm_shape(nvl_test_ctx(), m, l, f.d, &spec.jobs[0], &sh, &mem, &diags), 0);
  llm_ops ops;
  nvl_llm_ops(&sh, LS_ATTN, 1, 0, false, 0, 0, &ops);
  double flops = 0;
  for (int i = 0; i < ops.n; i++)
    if (ops.op[i].kind == NVL_KOP_ATTN)
      flops += nvl_kop_flops(&ops.op[i]);
  nvl_llm_shape_release(&sh);
  nvl_workload_spec_release(&spec);
  nvl_diags_release(&diags);
  nvl_fixture_close(&f);
  return flops;
}

/* Context parallelism over 4 ranks: each computes 1/4 of the causal attention (the ring's
 * load-balanced chunks, or Ulysses' quarter of the heads), exactly; the ring all_gathers the
 * sequence's K and V once per layer in forward (seq x 2 x kv_heads x head_dim x 2 bytes) and
 * again, with their gradients' reduce_scatter, in backward; activations and the optimizer's
 * shard (dense gradients reduce over dp x cp) are a quarter. */
static void test_llm_layout__context_parallel_splits_attention_and_rings_kv(void **state) {
  (void)state;
  nvl_llm m = dense_model();
  nvl_llm_layout one = prefill(1, 4096), ring = one, a2a = one;
  one.dp = 4, one.batch = 4;
  ring.cp = a2a.cp = 4, a2a.cp_a2a = true;
  double whole = attention_flops(&m, &one);
  assert_close(attention_flops(&m, &ring), whole / 4, 1e-12);
  assert_close(attention_flops(&m, &a2a), whole / 4, 1e-12);

  ring.mode = one.mode = NVL_LLM_TRAIN, one.batch = 1, one.dp = 1;
  built b, ref;
  build(&b, &m, &ring, 4);
  build(&ref, &m, &one, 1);
  double kv = 4096.0 * 2 * 8 * 128 * 2, ag = 0, rs = 0;
  int dp_ranks = 0;
  for (size_t i = 0; i < b.st.g.n_ops; i++) {
    const nvl_wop *op = &b.st.g.ops[i];
    const char *job = b.spec.jobs[op->job].name;
    if (strncmp(job, "cp.", 3) == 0) {
      assert_int_equal(b.st.dim[i], NVL_LD_CP);
      ag += op->coll == NVL_COLL_ALL_GATHER ? (double)op->bytes : 0;
      rs += op->coll == NVL_COLL_REDUCE_SCATTER ? (double)op->bytes : 0;
    }
    if (strncmp(job, "dp.", 3) == 0)
      dp_ranks = b.spec.jobs[op->job].n;
  }
  assert_close(ag, 2 * 4 * kv, 1e-9); /* 4 layers, forward and backward */
  assert_close(rs, 4 * kv, 1e-9);
  assert_int_equal(dp_ranks, 4);
  assert_close(b.st.mem.activations, ref.st.mem.activations / 4, 1e-9);
  assert_close(b.st.mem.optimizer, ref.st.mem.optimizer / 4, 1e-9);
  release(&b);
  release(&ref);
}

/* The shared experts beside the dispatch: the compute nearly the same (their kernels become a step
 * of their own, whose host dispatch is counted apart: within 2 %), the step shorter (each MoE
 * layer hides them under its dispatch), and a model without shared experts steps exactly as
 * before. */
static void test_llm_layout__shared_experts_overlap_the_dispatch(void **state) {
  (void)state;
  for (int shared = 0; shared < 2; shared++) {
    nvl_llm m = moe_model();
    m.shared = shared, m.experts = 16;
    double step[2], compute[2];
    for (int k = 0; k < 2; k++) {
      nvl_llm_layout l = prefill(1, 1024);
      l.ep = 8, l.dp = 8, l.batch = 8, l.shared_overlap = k;
      step_run x;
      run_step(&x, &m, &l, 8);
      step[k] = x.r.step_s, compute[k] = x.r.compute_s;
      step_close(&x);
    }
    assert_close(compute[1], compute[0], 0.02);
    if (!shared) {
      assert_close(step[1], step[0], 1e-12);
      continue;
    }
    /* the shared expert: gate/up and down of 1024 over 1024 tokens of 4096, on a B200 at least
     * 1 us per layer; its 4 layers hide at most what they compute */
    print_message("step %.1f us -> %.1f us\n", step[0] * 1e6, step[1] * 1e6);
    assert_true(step[1] < step[0] - 4e-6);
    assert_true(step[0] - step[1] < 0.25 * step[0]);
  }
}

/* Token dropping: with a capacity factor C no expert slot takes more than C x the group's token
 * copies / slots, so no rank more than its slots' worth; skewed routing drops copies; without a
 * capacity every copy is kept. */
static void test_llm_layout__capacity_drops_tokens_past_an_experts_share(void **state) {
  (void)state;
  nvl_llm m = moe_model();
  m.experts = 16;
  double tokens = 4096, total[2];
  for (int k = 0; k < 2; k++) {
    nvl_llm_layout l = prefill(1, 512);
    l.ep = 4, l.skew = 2, l.capacity = k ? 1.0 : 0;
    llm_shape sh = {.mctx = nvl_test_ctx(), .m = &m, .lay = &l, .slots = 16, .per_rank_slots = 4};
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 3);
    llm_routing rt = {calloc(16, sizeof(double)), calloc(4, sizeof(double)),
                      calloc(4, sizeof(double)), NULL};
    nvl_llm_route(&sh, tokens, rng, &rt);
    double cap = 1.0 * 4 * tokens * 2 / 16;
    total[k] = 0;
    for (int r = 0; r < 4; r++) {
      total[k] += rt.work[r];
      if (k)
        assert_true(rt.work[r] <= 4 * cap * (1 + 1e-9));
    }
    free(rt.tok), free(rt.work), free(rt.hit);
    gsl_rng_free(rng);
  }
  assert_close(total[0], 4 * tokens * 2, 1e-9);
  assert_true(total[1] < 0.95 * total[0]); /* Zipf 2 over 16 experts: the hot ones overflow */
}

/* Two-batch overlap in decode: the halves' exchanges hide under each other's compute (no exposed
 * communication is left here), while one rank never computes two things at once: its compute
 * time is the sum of its compute operations, exactly. */
static void test_llm_layout__two_batch_overlap_shares_one_compute_lane(void **state) {
  (void)state;
  nvl_llm m = moe_model();
  m.experts = 64;
  double exposed[2];
  for (int k = 0; k < 2; k++) {
    nvl_llm_layout l = prefill(1, 2048);
    l.mode = NVL_LLM_DECODE, l.runtime = NVL_RT_GRAPH, l.ep = 8, l.dp = 8, l.batch = 1024;
    l.tbo = k;
    built b; /* the same step, built only: its operations' times per rank */
    build(&b, &m, &l, 8);
    step_run x;
    run_step(&x, &m, &l, 8);
    exposed[k] = x.r.exposed_s;
    double sum = 0;
    for (size_t i = 0; i < b.st.g.n_ops; i++)
      if (b.st.dim[i] == NVL_LD_COMPUTE)
        sum += b.st.g.vals[b.st.g.ops[i].val_at + (size_t)x.r.rank];
    assert_close(x.r.compute_s, sum, 1e-9);
    release(&b);
    step_close(&x);
  }
  assert_true(exposed[0] > 0);
  assert_true(exposed[1] < 0.05 * exposed[0]);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_llm_layout__two_batch_overlap_shares_one_compute_lane),
    cmocka_unit_test(test_llm_layout__capacity_drops_tokens_past_an_experts_share),
    cmocka_unit_test(test_llm_layout__shared_experts_overlap_the_dispatch),
    cmocka_unit_test(test_llm_layout__groups_are_megatrons),
    cmocka_unit_test(test_llm_layout__expert_tp_splits_the_experts),
    cmocka_unit_test(test_llm_layout__expert_gradients_reduce_over_edp),
    cmocka_unit_test(test_llm_layout__context_parallel_splits_attention_and_rings_kv),
};
NVL_TEST_MAIN(tests)
