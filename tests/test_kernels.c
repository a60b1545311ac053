/* The operation-level compute model (models/kernels.h, models/profile.h, models/context.h):
 * each operation class against its closed form on a chip of round numbers, the runtimes, the
 * profile's correction, and the readers' errors. */
#include "nvl_test.h"

#include "models/context.h"
#include "models/kernels.h"
#include "models/profile.h"

/* Parameters of round numbers (not models/compute.json's): one tile shape, no ramps. */
static nvl_kernel_params round_params(void) {
  nvl_kernel_params kp = {.n_arch = 1,
                          .host_launch_s = 10e-6,
                          .host_fp8_gemm_s = 20e-6,
                          .host_fused_s = 4e-6,
                          .graph_launch_s = 5e-6};
  nvl_arch_params *a = &kp.arch[0];
  snprintf(a->name, sizeof a->name, "round");
  a->sms = 4;
  a->clock_hz = 1e9;
  a->sfu_per_clk = 16;
  a->kernel_s = 1e-6;
  a->hbm_eff = 0.5;
  a->decode_eff = 0.8;
  a->gemm_eff[NVL_KP_BF16] = 0.5;
  a->gemm_eff[NVL_KP_FP8] = 0.25;
  a->k_ramp = 0;
  a->n_tiles = 1;
  a->tile_m[0] = 128, a->tile_n[0] = 256, a->tile_eff[0] = 1;
  a->split_k_min = 1e9; /* no split-k */
  a->wave_quant = 1;    /* every partial wave paid whole */
  for (int r = 0; r < NVL_RT__COUNT; r++)
    a->attn_eff[r] = 0.5, a->attn_bwd_eff[r] = 0.25;
  a->flash2_eff = 0.125, a->flash2_bwd_eff = 0.0625;
  a->attn_seq_ramp = 0;
  a->attn_dim_ramp = 0;
  a->softmax_exposed = 0;
  for (int c = 0; c < NVL_MEM__COUNT; c++)
    for (int r = 0; r < NVL_RT__COUNT; r++) {
      kp.mem[c].traffic[r] = r == NVL_RT_EAGER ? 2 : 1;
      kp.mem[c].launches[r] = r == NVL_RT_EAGER ? 3 : 1;
    }
  return kp;
}

/* 4 SMs of 1e12 FLOP/s each (BF16), 2e12 FP8; 1e12 B/s of HBM. */
static nvl_chip round_chip(const nvl_kernel_params *kp) {
  nvl_chip c = {.arch = &kp->arch[0], .hbm_Bps = 1e12, .sms = 4, .sfu_rate = 64e9};
  c.flops[NVL_KP_BF16] = 4e12;
  c.flops[NVL_KP_FP8] = 8e12;
  return c;
}

static double kernel_of(const nvl_kernel_params *kp, const nvl_chip *c, nvl_kop op) {
  return nvl_kop_price(kp, c, NVL_RT_FUSED, &op).kernel_s;
}

/* A GEMM is its tiles' waves over the SMs at the efficiency, plus the floor; one tile more than
 * fills a wave costs a whole wave (tile quantisation); small m is bounded by its bytes. */
static void test_kernels__gemm_waves_tiles_and_memory_bound(void **state) {
  (void)state;
  nvl_kernel_params kp = round_params();
  nvl_chip c = round_chip(&kp);
  nvl_kop g = {.kind = NVL_KOP_GEMM, .m = 256, .n = 512, .k = 1024, .groups = 1};
  double wave = 128.0 * 256 * 1024 * 2 / (1e12 * 0.5);     /* one tile on one SM */
  assert_close(kernel_of(&kp, &c, g), 1e-6 + wave, 1e-12); /* 4 tiles: 1 wave */
  g.m = 257;                                               /* 6 tiles: 2 waves */
  assert_close(kernel_of(&kp, &c, g), 1e-6 + 2 * wave, 1e-12);
  g.groups = 2, g.m = 256; /* a grouped GEMM: 8 tiles, 2 waves */
  assert_close(kernel_of(&kp, &c, g), 1e-6 + 2 * wave, 1e-12);
  g.prec = NVL_KP_FP8, g.groups = 1; /* twice the peak at half the efficiency: the same */
  assert_close(kernel_of(&kp, &c, g), 1e-6 + wave, 1e-12);
  /* one token against a large weight on a chip of fast SMs: the weight's bytes at the achieved
   * bandwidth */
  c.flops[NVL_KP_BF16] = 4e16;
  nvl_kop v = {.kind = NVL_KOP_GEMM, .m = 1, .n = 65536, .k = 65536, .groups = 1};
  double bytes = (65536.0 + 65536.0 * 65536) * 2 + 65536.0 * 2;
  assert_close(kernel_of(&kp, &c, v), 1e-6 + bytes / 0.5e12, 1e-9);
  c.flops[NVL_KP_BF16] = 4e12;
  /* a Python loop of 3 GEMMs: three kernels and three dispatches */
  nvl_kop loop = {.kind = NVL_KOP_GEMM, .m = 256, .n = 512, .k = 1024, .groups = 3, .loop = true};
  nvl_kop_time t = nvl_kop_price(&kp, &c, NVL_RT_EAGER, &loop);
  assert_close(t.kernel_s, 3 * (1e-6 + wave), 1e-12);
  assert_close(t.host_s, 3 * 10e-6, 1e-15);
}

/* Attention: its FLOPs (causal: the half computed) at the efficiency, the exposed share of its
 * exponentials at the SFU rate, and the backward at 2.5 times the FLOPs. */
static void test_kernels__attention_flops_sfu_and_backward(void **state) {
  (void)state;
  nvl_kernel_params kp = round_params();
  nvl_chip c = round_chip(&kp);
  nvl_kop a = {.kind = NVL_KOP_ATTN,
               .batch = 2,
               .seq = 1023,
               .ctx = 1023,
               .heads_q = 8,
               .heads_kv = 2,
               .dim_qk = 128,
               .dim_v = 128,
               .causal = true};
  double scores = 2.0 * 8 * 1023 * 512; /* (1023 + 1) / 2 keys per query */
  assert_close(nvl_kop_flops(&a), scores * 2 * 256, 1);
  double mma = scores * 512 / (4e12 * 0.5);
  assert_close(kernel_of(&kp, &c, a), 1e-6 + mma, 1e-12);
  kp.arch[0].softmax_exposed = 0.5; /* a faster SFU (Blackwell Ultra) shortens only this part */
  assert_close(kernel_of(&kp, &c, a), 1e-6 + mma + 0.5 * scores / 64e9, 1e-12);
  c.sfu_rate *= 2;
  assert_close(kernel_of(&kp, &c, a), 1e-6 + mma + 0.25 * scores / 64e9, 1e-12);
  kp.arch[0].softmax_exposed = 0;
  a.kind = NVL_KOP_ATTN_BWD;
  assert_close(kernel_of(&kp, &c, a), 1e-6 + 2.5 * scores * 512 / (4e12 * 0.25), 1e-12);
  a.flash2 = true; /* FlashAttention-2's own efficiency */
  assert_close(kernel_of(&kp, &c, a), 1e-6 + 2.5 * scores * 512 / (4e12 * 0.0625), 1e-12);
  a.kind = NVL_KOP_ATTN;
  assert_close(kernel_of(&kp, &c, a), 1e-6 + scores * 512 / (4e12 * 0.125), 1e-12);
  a.flash2 = false;
  a.causal = false; /* every key */
  a.kind = NVL_KOP_ATTN;
  assert_close(nvl_kop_flops(&a), 2.0 * 8 * 1023 * 1023 * 2 * 256, 1);
}

/* Decode attention reads the KV cache at the decode efficiency; memory-bound operations move
 * their bytes times their traffic with a floor per kernel. */
static void test_kernels__decode_and_memory_bound(void **state) {
  (void)state;
  nvl_kernel_params kp = round_params();
  nvl_chip c = round_chip(&kp);
  c.flops[NVL_KP_BF16] = 4e16; /* the cache's bytes, not the math, bound it */
  nvl_kop d = {.kind = NVL_KOP_ATTN_DECODE,
               .batch = 64,
               .seq = 1,
               .ctx = 4096,
               .heads_q = 8,
               .heads_kv = 1,
               .dim_qk = 128,
               .dim_v = 128,
               .kv_bytes = 512};
  assert_close(kernel_of(&kp, &c, d), 1e-6 + 64.0 * 4096 * 512 / (1e12 * 0.8), 1e-12);
  nvl_kop m = {.kind = NVL_KOP_MEM, .mem = NVL_MEM_RMSNORM, .bytes = 1e9};
  nvl_kop_time e = nvl_kop_price(&kp, &c, NVL_RT_EAGER, &m),
               f = nvl_kop_price(&kp, &c, NVL_RT_FUSED, &m),
               g = nvl_kop_price(&kp, &c, NVL_RT_GRAPH, &m);
  assert_close(e.kernel_s, 3e-6 + 2 * 1e9 / 0.5e12, 1e-12); /* eager: 3 kernels, twice the bytes */
  assert_close(e.host_s, 3 * 10e-6, 1e-15);
  assert_close(f.kernel_s, 1e-6 + 1e9 / 0.5e12, 1e-12);
  assert_close(f.host_s, 4e-6, 1e-15);         /* a framework's dispatch */
  assert_close(g.kernel_s, f.kernel_s, 1e-15); /* graphs: the same kernels, no dispatch */
  assert_true(g.host_s == 0);
  assert_close(nvl_kernels_total(1, 2), 2, 0);
}

/* Every operation of any shape and size, down to none and up to absurd, costs a finite time
 * that grows with its size (a seeded property check over every kind and runtime). */
static void test_kernels__every_time_finite_and_monotone(void **state) {
  (void)state;
  const nvl_model_ctx *ctx = nvl_test_ctx();
  nvl_chip c = {.arch = nvl_kernel_arch(&ctx->kern, "hopper"),
                .hbm_Bps = 4.8e12,
                .sms = 132,
                .sfu_rate = 3.9e12};
  c.flops[NVL_KP_BF16] = 989e12;
  c.flops[NVL_KP_FP8] = 1979e12;
  unsigned long x = 12345;
  for (int i = 0; i < 20000; i++) {
    x = x * 6364136223846793005UL + 1442695040888963407UL;
    double s = pow(10, (double)(x >> 40 & 0xffff) / 65535 * 12 - 2); /* 0.01 .. 1e10 */
    nvl_kop op = {.kind = (nvl_kop_kind)(x % NVL_KOP__COUNT),
                  .prec = (nvl_kprec)(x >> 8 & 1),
                  .m = s,
                  .n = 4096,
                  .k = 4096,
                  .groups = 1 + (double)(x >> 12 & 7),
                  .batch = s,
                  .seq = 1 + s / 1e4,
                  .ctx = 1 + s / 1e4,
                  .heads_q = 8,
                  .heads_kv = 1,
                  .dim_qk = 128,
                  .dim_v = 128,
                  .kv_bytes = 256,
                  .mem = (nvl_mem_class)(x >> 20 % NVL_MEM__COUNT),
                  .bytes = s};
    op.mem = (nvl_mem_class)((x >> 20) % NVL_MEM__COUNT);
    for (int r = 0; r < NVL_RT__COUNT; r++) {
      nvl_kop_time t = nvl_kop_price(&ctx->kern, &c, (nvl_runtime)r, &op);
      nvl_kop bigger = op;
      bigger.m *= 2, bigger.batch *= 2, bigger.bytes *= 2;
      nvl_kop_time t2 = nvl_kop_price(&ctx->kern, &c, (nvl_runtime)r, &bigger);
      assert_true(isfinite(t.kernel_s) && t.kernel_s > 0 && isfinite(t.host_s) && t.host_s >= 0);
      assert_true(t2.kernel_s >= t.kernel_s * (1 - 1e-12));
    }
  }
  nvl_kop none = {.kind = NVL_KOP_GEMM, .m = 0, .n = 4096, .k = 4096, .groups = 1};
  nvl_kop_time t = nvl_kop_price(&ctx->kern, &c, NVL_RT_EAGER, &none);
  assert_true(t.kernel_s == 0 && t.host_s == 0);
}

static const char table[] = "kind,dtype,M,N,K,seconds,tokens,width,backward,bytes\n"
                            "gemm,bf16,1024,4096,4096,0.0001,,,,\n"
                            "gemm,bf16,4096,4096,4096,0.0008,,,,\n"
                            "add,bf16,,,,0.002,65536,8192,,\n";

/* A profile reproduces its own rows, interpolates between them (a shape halfway in log m gets
 * the geometric mean of their ratios), and leaves shapes far from every row to the mechanism. */
static void test_kernels__profile_reproduces_interpolates_and_fades(void **state) {
  (void)state;
  nvl_kernel_params kp = round_params();
  kp.arch[0].split_k_min = 512;
  nvl_chip c = round_chip(&kp);
  c.flops[NVL_KP_BF16] = 1e15, c.hbm_Bps = 4e12;
  nvl_profile p;
  char err[200];
  assert_int_equal(nvl_profile_parse(&p, "t", table, sizeof table - 1, err, sizeof err), 0);
  assert_int_equal(p.n, 3);
  nvl_profile_fit *f = nvl_profile_fit_new(&p, &kp, &c);
  nvl_chip pc = c;
  pc.profile = f;
  for (size_t i = 0; i < p.n; i++)
    assert_close(nvl_profile_row_model(&kp, &pc, &p.rows[i], false), p.rows[i].seconds,
                 1e-9 * p.rows[i].seconds);
  nvl_kop a = p.rows[0].ops[0], b = p.rows[1].ops[0], mid = a;
  mid.m = 2048;
  double ra = p.rows[0].seconds / nvl_kop_mechanism(&kp, &c, NVL_RT_EAGER, &a).kernel_s,
         rb = p.rows[1].seconds / nvl_kop_mechanism(&kp, &c, NVL_RT_EAGER, &b).kernel_s;
  assert_close(nvl_profile_ratio(f, &mid), sqrt(ra * rb), 1e-9);
  nvl_kop far = a;
  far.m = 4096, far.n = 4096 * 64, far.k = 4096 * 64; /* a factor 64 away in two dimensions */
  assert_close(nvl_profile_ratio(f, &far), 1, 1e-12);
  nvl_kop other = a;
  other.prec = NVL_KP_FP8; /* no FP8 row: the mechanism's */
  assert_close(nvl_profile_ratio(f, &other), 1, 1e-12);
  nvl_profile_fit_free(f);
  nvl_profile_release(&p);
}

/* A malformed table is refused with its line and what is wrong. */
static void test_kernels__profile_errors_name_the_row(void **state) {
  (void)state;
  struct {
    const char *text, *msg;
  } cases[] = {
      {"", "no header"},
      {"dtype,M\ngemm,1\n", "missing column \"kind\""},
      {"kind,seconds\n", "no rows"},
      {"kind,dtype,M,N,K,seconds\ngemm,bf16,1,2,3,abc\n", "line 2: seconds \"abc\""},
      {"kind,dtype,M,N,K,seconds\ngemm,bf16,1,2,3,1e-300\n", "line 2: seconds"},
      {"kind,dtype,M,N,K,seconds\ngemm,bf16,1,2,3,nan\n", "line 2: seconds"},
      {"kind,dtype,M,N,K,seconds\ngemm,bf16,0,2,3,1e-3\n", "line 2: M \"0\""},
      {"kind,dtype,M,N,K,seconds\ngemm,bf16,1e13,2,3,1e-3\n", "line 2: M"},
      {"kind,dtype,M,N,K,seconds\ngemm,bf16,1.5,2,3,1e-3\n", "whole number"},
      {"kind,dtype,M,N,K,seconds\ngemm,int4,1,2,3,1e-3\n", "line 2: dtype \"int4\""},
      {"kind,dtype,M,N,K,seconds\nconv2d,bf16,1,2,3,1e-3\n", "line 2: unknown kind \"conv2d\""},
      {"kind,dtype,M,N,K,seconds\ngemm,bf16,1,2,,1e-3\n", "line 2: K"},
      {"kind,dtype,tokens,width,backward,seconds\nrmsnorm,bf16,1,2,2,1e-3\n", "backward \"2\""},
      {"kind,seconds\n\"gemm,1\n", "line 2"},
  };
  nvl_kernel_params kp = round_params();
  (void)kp;
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    nvl_profile p;
    char err[200] = "";
    assert_int_equal(
        nvl_profile_parse(&p, "t", cases[i].text, strlen(cases[i].text), err, sizeof err), -1);
    if (!strstr(err, cases[i].msg))
      print_error("case %zu: \"%s\" lacks \"%s\"\n", i, err, cases[i].msg);
    assert_non_null(strstr(err, cases[i].msg));
  }
}

/* The built-in context loads; a broken calibration or compute file is an error naming the file
 * and the key, never an abort. */
static void test_kernels__context_errors_are_messages(void **state) {
  (void)state;
  nvl_model_ctx ctx;
  char err[512];
  assert_int_equal(nvl_model_ctx_init(&ctx, NULL, err, sizeof err), 0);
  assert_non_null(nvl_kernel_arch(&ctx.kern, "hopper"));
  assert_non_null(nvl_kernel_arch(&ctx.kern, "blackwell-ultra"));
  struct {
    bool cal;
    const char *text, *msg;
  } cases[] = {
      {true, "{", "calibration: line"},
      {true, "[]", "calibration: not a JSON object"},
      {true, "{}", "calibration: protocols"},
      {false, "{", "compute: line"},
      {false, "{\"host\": {}}", "compute: host/launch: missing"},
      {false,
       "{\"host\": {\"launch\": \"1 us\", \"fp8_gemm_launch\": \"1 us\", \"fused_launch\": "
       "\"1 us\", \"graph_launch\": \"1 us\", \"inference_step\": \"-1 us\"}}",
       "host/inference_step"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    nvl_model_sources src = {0};
    if (cases[i].cal)
      src.calibration = cases[i].text, src.calibration_len = strlen(cases[i].text);
    else
      src.compute = cases[i].text, src.compute_len = strlen(cases[i].text);
    assert_int_equal(nvl_model_ctx_init(&ctx, &src, err, sizeof err), -1);
    if (!strstr(err, cases[i].msg))
      print_error("case %zu: \"%s\" lacks \"%s\"\n", i, err, cases[i].msg);
    assert_non_null(strstr(err, cases[i].msg));
  }
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_kernels__gemm_waves_tiles_and_memory_bound),
    cmocka_unit_test(test_kernels__attention_flops_sfu_and_backward),
    cmocka_unit_test(test_kernels__decode_and_memory_bound),
    cmocka_unit_test(test_kernels__every_time_finite_and_monotone),
    cmocka_unit_test(test_kernels__profile_reproduces_interpolates_and_fades),
    cmocka_unit_test(test_kernels__profile_errors_name_the_row),
    cmocka_unit_test(test_kernels__context_errors_are_messages),
};

NVL_TEST_MAIN(tests)
