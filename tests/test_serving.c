/* The serving steady state and the frontier (sim/output/serving.c): closed forms and a class of
 * random point sets. */
#include <gsl/gsl_rng.h>

#include "nvl_test.h"
#include "output/serving.h"

/* Chunked prefill: an iteration is the decode step plus the prompt tokens that keep the batch
 * full (batch x isl / osl) at their price; ITL is the iteration, tokens/s per user its inverse,
 * per GPU batch / (ITL x gpus); TTFT the iterations a prompt takes in chunks of that budget. */
static void test_serving__iteration_is_the_sum_of_its_parts(void **state) {
  (void)state;
  struct {
    long gpus, batch, isl, osl;
    double decode, per_token;
  } cases[] = {{8, 64, 1024, 1024, 0.02, 1e-5},
               {72, 9216, 8192, 1024, 0.025, 2e-7},
               {1, 1, 1024, 256, 0.006, 1e-4},
               {4, 3, 1000, 300, 0.01, 3e-6}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    nvl_serving_point p = {.gpus = cases[i].gpus,
                           .batch = cases[i].batch,
                           .decode_s = cases[i].decode,
                           .prefill_token_s = cases[i].per_token,
                           .power_W = 1000.0 * cases[i].gpus};
    nvl_serving_eval(&p, cases[i].isl, cases[i].osl);
    double P = (double)cases[i].batch * cases[i].isl / cases[i].osl;
    double it = cases[i].decode + P * cases[i].per_token;
    assert_close(p.iter_s, it, 1e-12);
    assert_close(p.tps_user, 1 / it, 1e-12);
    assert_close(p.tps_gpu, cases[i].batch / it / cases[i].gpus, 1e-12);
    assert_close(p.ttft_s, ceil(cases[i].isl / P - 1e-9) * it, 1e-12);
    assert_close(p.tps_mw, cases[i].batch / it / (1000.0 * cases[i].gpus / 1e6), 1e-12);
  }
  /* speculative decoding: k = 1.85 tokens per sequence and step; a request takes osl / k
   * iterations, the prefill budget grows by k, ITL is the iteration over k */
  nvl_serving_point s = {.gpus = 72,
                         .batch = 1152,
                         .decode_s = 0.0127,
                         .step_tokens = 1.85,
                         .prefill_token_s = 1e-6,
                         .power_W = 72 * 1200.0};
  nvl_serving_eval(&s, 1024, 1024);
  double sP = 1152 * 1024 * 1.85 / 1024, sit = 0.0127 + sP * 1e-6;
  assert_close(s.prefill_tokens, sP, 1e-12);
  assert_close(s.iter_s, sit, 1e-12);
  assert_close(s.itl_s, sit / 1.85, 1e-12);
  assert_close(s.tps_user, 1.85 / sit, 1e-12);
  assert_close(s.tps_replica, 1152 * 1.85 / sit, 1e-12);
  /* per GPU and per MW count the design's accelerators: 72 hold one replica of 64 */
  nvl_serving_point r = {
      .gpus = 64, .design_gpus = 72, .batch = 64, .decode_s = 0.01, .power_W = 64 * 1200.0};
  nvl_serving_eval(&r, 1024, 1024);
  assert_close(r.tps_gpu, 64 / r.iter_s / 72, 1e-12);
  assert_close(r.tps_mw, 64 / r.iter_s / (72 * 1200.0 / 1e6), 1e-12);
  r.design_gpus = 144; /* two replicas */
  nvl_serving_eval(&r, 1024, 1024);
  assert_close(r.tps_gpu, 2 * 64 / r.iter_s / 144, 1e-12);
  /* one request (batch 1, osl 1): its whole prompt in one iteration, the decode step beside it */
  nvl_serving_point one = {.gpus = 1, .batch = 1, .decode_s = 0.01, .prefill_token_s = 1e-4};
  nvl_serving_eval(&one, 1000, 1);
  assert_close(one.ttft_s, 0.01 + 1000 * 1e-4, 1e-12);
}

/* Disaggregated pools: 72 accelerators hold decode replicas of 16 (64 sequences, 10 ms steps, OSL
 * 1024: 6.25 requests/s each) beside prefill replicas of 8 (8 sequences per 0.4 s step: 20
 * requests/s): 1 decode + 7 prefill serve 6.25 requests/s, 2 + 5 12.5, 3 + 3 18.75, 4 + 1 20
 * (the prefill pool binds): the design serves 20 x 1024 tokens/s over its 72. ITL is the decode
 * step alone, TTFT the prefill step and the KV transfer. No pair fits when the decode replica
 * leaves no room for a prefill one. */
static void test_serving__disaggregated_pools_balance(void **state) {
  (void)state;
  nvl_serving_point p = {.gpus = 16,
                         .design_gpus = 72,
                         .batch = 64,
                         .decode_s = 0.01,
                         .power_W = 16 * 1000.0,
                         .disagg = true,
                         .prefill_gpus = 8,
                         .prefill_seqs = 8,
                         .prefill_step_s = 0.4,
                         .kv_s = 0.002};
  assert_true(nvl_serving_eval_disagg(&p, 1024, 1024));
  assert_int_equal(p.decode_replicas, 4);
  assert_int_equal(p.prefill_replicas, 1);
  assert_close(p.tps_gpu, 20.0 * 1024 / 72, 1e-12);
  assert_close(p.tps_mw, 20.0 * 1024 / (72 * 1000.0 / 1e6), 1e-12);
  assert_close(p.iter_s, 0.01, 1e-12);
  assert_close(p.ttft_s, 0.402, 1e-12);
  assert_close(p.tps_user, 100, 1e-12);
  p.pool_gpus = 64; /* pools on the first 64 (a mixed design's first kind): 3 + 2 */
  assert_true(nvl_serving_eval_disagg(&p, 1024, 1024));
  assert_int_equal(p.decode_replicas, 3);
  assert_int_equal(p.prefill_replicas, 2);
  assert_close(p.tps_gpu, 18.75 * 1024 / 72, 1e-12);
  p.pool_gpus = 0;
  p.gpus = 68; /* 68 + 8 > 72 */
  assert_false(nvl_serving_eval_disagg(&p, 1024, 1024));
}

/* Unlike replicas: 72 accelerators in replicas of 8, eight of the first kind (10 ms decode steps)
 * and one other (30 ms): the design's tokens/s sums them, ITL and TTFT are the slower's, per MW
 * counts the design's boards; an other kind that cannot serve leaves its 8 idle. */
static void test_serving__unlike_replicas_add_up(void **state) {
  (void)state;
  nvl_serving_point p = {.gpus = 8,
                         .design_gpus = 72,
                         .batch = 64,
                         .decode_s = 0.01,
                         .prefill_token_s = 1e-6,
                         .power_W = 8000,
                         .design_W = 75000,
                         .n_others = 1,
                         .others = {{1, true, 0.03, 2e-6, 11000}}};
  nvl_serving_eval(&p, 1024, 1024);
  double it0 = 0.01 + 64 * 1e-6, it1 = 0.03 + 64 * 2e-6, tps = 8 * 64 / it0 + 64 / it1;
  assert_close(p.iter_s, it1, 1e-12);
  assert_close(p.ttft_s, 16 * it1, 1e-12);
  assert_close(p.tps_user, 1 / it1, 1e-12);
  assert_close(p.tps_gpu, tps / 72, 1e-12);
  assert_close(p.tps_design, tps, 1e-12);
  assert_close(p.tps_mw, tps / 0.075, 1e-9);
  assert_int_equal(p.replicas_used, 9);
  assert_close(nvl_serving_capacity(&p, 1024), tps / 1024, 1e-12);
  p.others[0].serves = false;
  nvl_serving_eval(&p, 1024, 1024);
  assert_close(p.iter_s, it0, 1e-12);
  assert_close(p.tps_gpu, 8 * 64 / it0 / 72, 1e-12);
  assert_int_equal(p.replicas_used, 8);
}

/* Paged KV cache: contexts isl + 1 .. isl + osl each as long; in pages of 16 tokens over 64 whole
 * pages the mean is the mean page end (1,040 .. 2,048: 1,544); pages of one token, the mean
 * context; a context inside one page, that page. */
static void test_serving__kv_pages_hold_the_mean_context(void **state) {
  (void)state;
  assert_close(nvl_serving_kv_tokens(1024, 1024, 16), 1544, 1e-12);
  assert_close(nvl_serving_kv_tokens(1024, 1024, 1), 1024 + 1025 / 2.0, 1e-12);
  assert_close(nvl_serving_kv_tokens(8192, 1000, 1), 8192 + 1001 / 2.0, 1e-12);
  assert_close(nvl_serving_kv_tokens(100, 10, 128), 128, 1e-12);
  for (long page = 1; page <= 256; page *= 2) /* never less than the context, at most a page more */
    for (long isl = 1; isl < 3000; isl += 577) {
      double t = nvl_serving_kv_tokens(isl, 700, page), mean = isl + 701 / 2.0;
      assert_true(t >= mean - 1e-9 && t < mean + (double)page);
    }
}

/* Erlang C by its defining sum (not the recursion serving.c uses): the chance an arrival waits
 * at c servers offered a erlangs. */
static double erlang_c_sum(long c, double a) {
  double term = 1, sum = 0;
  for (long k = 0; k < c; k++) {
    sum += term;
    term *= a / (double)(k + 1);
  }
  double last = term * (double)c / ((double)c - a);
  return last / (sum + last);
}

/* Offered load, closed forms. One slot per replica is M/D/1, whose mean wait is exact
 * (Pollaczek-Khinchine: rho S / (2 (1 - rho))): replicas of 1 accelerator, 1 sequence, 10 ms
 * steps, OSL 100 (S = 1 s: 1 request/s each), 2.5 requests/s: 3 replicas (rho 5/6, wait 2.5 s,
 * TTFT the prompt's 100 iterations plus it); within a TTFT of 2 s, 4 (wait 5/6 s); 1.5 s or 4.5
 * requests/s: none. Two slots offered one erlang: M/M/2 waits S/3, M/D/2 taken as S/6. */
static void test_serving__offered_load_queues(void **state) {
  (void)state;
  nvl_serving_point b = {.gpus = 1, .design_gpus = 4, .batch = 1, .decode_s = 0.01, .power_W = 700};
  nvl_serving_eval(&b, 100, 100);
  nvl_serving_point p = b;
  p.rate = 2.5;
  assert_true(nvl_serving_eval_rate(&p, 100, 100, 0));
  assert_int_equal(p.replicas_used, 3);
  assert_close(p.utilization, 2.5 / 3, 1e-12);
  assert_close(p.wait_s, (2.5 / 3) / (2 * (1 - 2.5 / 3)), 1e-12);
  assert_close(p.ttft_s, 1 + p.wait_s, 1e-12);
  assert_close(p.tps_gpu, 2.5 * 100 / 3, 1e-12);
  assert_close(p.tps_mw, 2.5 * 100 / (3 * 700 / 1e6), 1e-9);
  assert_close(p.iter_s, 0.01, 1e-12);
  p = b, p.rate = 2.5;
  assert_true(nvl_serving_eval_rate(&p, 100, 100, 2.0));
  assert_int_equal(p.replicas_used, 4);
  assert_close(p.ttft_s, 1 + 0.625 / (2 * 0.375), 1e-12);
  p = b, p.rate = 2.5;
  assert_false(nvl_serving_eval_rate(&p, 100, 100, 1.5));
  p = b, p.rate = 4.5;
  assert_false(nvl_serving_eval_rate(&p, 100, 100, 0));
  nvl_serving_point two = {.gpus = 1, .batch = 2, .decode_s = 0.01};
  nvl_serving_eval(&two, 100, 100);
  two.rate = 1;
  assert_true(nvl_serving_eval_rate(&two, 100, 100, 0));
  assert_close(erlang_c_sum(2, 1), 1.0 / 3, 1e-12);
  assert_close(two.wait_s, 1.0 / 6, 1e-12);
  assert_close(two.ttft_s, 50 * 0.01 + 1.0 / 6, 1e-12);
}

/* Disaggregated under load: decode replicas of 16 (64 slots, S = 1024 x 10 ms), prefill replicas
 * of 8 (8 sequences per 0.4 s step), 10 requests/s: decode needs 2 replicas (102.4 erlangs over
 * 128 slots), prefill 1 (4 erlangs over 8): 40 accelerators; TTFT the prefill step, the KV
 * transfer and both waits. */
static void test_serving__disaggregated_under_load(void **state) {
  (void)state;
  nvl_serving_point p = {.gpus = 16,
                         .design_gpus = 72,
                         .batch = 64,
                         .decode_s = 0.01,
                         .power_W = 16000,
                         .disagg = true,
                         .prefill_gpus = 8,
                         .prefill_seqs = 8,
                         .prefill_step_s = 0.4,
                         .kv_s = 0.002,
                         .rate = 10};
  assert_true(nvl_serving_eval_disagg(&p, 1024, 1024));
  assert_true(nvl_serving_eval_rate(&p, 1024, 1024, 0));
  assert_int_equal(p.decode_replicas, 2);
  assert_int_equal(p.prefill_replicas, 1);
  double wd = 0.5 * erlang_c_sum(128, 102.4) * 10.24 / (128 - 102.4),
         wp = 0.5 * erlang_c_sum(8, 4) * 0.4 / 4;
  assert_close(p.ttft_s, 0.402 + wd + wp, 1e-9);
  assert_close(p.utilization, 0.8, 1e-12);
  assert_close(p.tps_gpu, 10.0 * 1024 / 40, 1e-12);
  assert_close(p.iter_s, 0.01, 1e-12);
}

/* A class: random configurations and rates; the replicas chosen are the fewest that keep the
 * queue stable and TTFT within the target (the one before fails), every figure follows. */
static void test_serving__load_takes_the_fewest_replicas(void **state) {
  (void)state;
  gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(rng, 11);
  long sizes[] = {1, 2, 4, 8};
  for (int t = 0; t < 300; t++) {
    long g = sizes[gsl_rng_uniform_int(rng, 4)], M = 1 + (long)gsl_rng_uniform_int(rng, 20),
         c = 1 + (long)gsl_rng_uniform_int(rng, 64), isl = 1 + (long)gsl_rng_uniform_int(rng, 4096),
         osl = 1 + (long)gsl_rng_uniform_int(rng, 2048);
    nvl_serving_point p = {.gpus = g,
                           .design_gpus = g * M,
                           .batch = c,
                           .decode_s = 0.002 + 0.05 * gsl_rng_uniform(rng),
                           .prefill_token_s = 1e-5 * gsl_rng_uniform(rng),
                           .power_W = 1000.0 * g};
    nvl_serving_eval(&p, isl, osl);
    double S = (double)osl * p.iter_s, cap = (double)M * (double)c / S;
    double ttft_max = gsl_rng_uniform(rng) < 0.5 ? 0 : p.ttft_s * (1 + 3 * gsl_rng_uniform(rng));
    p.rate = cap * (0.05 + 1.1 * gsl_rng_uniform(rng));
    long want = 0;
    double want_ttft = 0;
    for (long m = 1; m <= M && !want; m++) {
      double a = p.rate * S / (double)m;
      if (!(a < (double)c))
        continue;
      double w = 0.5 * erlang_c_sum(c, a) * S / ((double)c - a), ttft = p.ttft_s + w;
      if (ttft_max <= 0 || ttft <= ttft_max)
        want = m, want_ttft = ttft;
    }
    double rate = p.rate;
    bool ok = nvl_serving_eval_rate(&p, isl, osl, ttft_max);
    assert_int_equal(ok, want > 0);
    if (!ok)
      continue;
    assert_int_equal(p.replicas_used, want);
    assert_close(p.ttft_s, want_ttft, 1e-9);
    assert_true(p.utilization < 1);
    assert_close(p.tps_gpu, rate * (double)osl / (double)(want * g), 1e-12);
  }
  gsl_rng_free(rng);
}

/* The frontier, on random sets of points: no marked point is dominated, and every unmarked one
 * is dominated by a marked one; sorting keeps the marks and orders by tokens/s per user. */
static void test_serving__frontier_has_no_dominated_point(void **state) {
  (void)state;
  gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(rng, 7);
  for (int set = 0; set < 50; set++) {
    size_t n = 1 + gsl_rng_uniform_int(rng, 200);
    nvl_serving_point *p = calloc(n, sizeof *p);
    for (size_t i = 0; i < n; i++) {
      p[i].tps_user = (double)(1 + gsl_rng_uniform_int(rng, 50)); /* ties on purpose */
      p[i].tps_gpu = (double)(1 + gsl_rng_uniform_int(rng, 50));
      p[i].ttft_s = (double)(1 + gsl_rng_uniform_int(rng, 3)); /* ties broken by TTFT */
    }
    size_t k = nvl_serving_frontier(p, n);
    size_t marked = 0;
    for (size_t i = 0; i < n; i++) {
      marked += p[i].frontier;
      bool dominated = false, by_marked = false;
      for (size_t j = 0; j < n; j++) {
        bool d = j != i && p[j].tps_user >= p[i].tps_user && p[j].tps_gpu >= p[i].tps_gpu &&
                 (p[j].tps_user > p[i].tps_user || p[j].tps_gpu > p[i].tps_gpu ||
                  p[j].ttft_s < p[i].ttft_s);
        dominated |= d;
        by_marked |= d && p[j].frontier;
      }
      assert_true(p[i].frontier == !dominated);
      assert_true(p[i].frontier || by_marked);
    }
    assert_int_equal(k, marked);
    nvl_serving_sort(p, n);
    for (size_t i = 1; i < n; i++)
      assert_true(p[i - 1].tps_user >= p[i].tps_user);
    free(p);
  }
  gsl_rng_free(rng);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_serving__iteration_is_the_sum_of_its_parts),
      cmocka_unit_test(test_serving__frontier_has_no_dominated_point),
      cmocka_unit_test(test_serving__disaggregated_pools_balance),
      cmocka_unit_test(test_serving__unlike_replicas_add_up),
      cmocka_unit_test(test_serving__offered_load_queues),
      cmocka_unit_test(test_serving__kv_pages_hold_the_mean_context),
      cmocka_unit_test(test_serving__disaggregated_under_load),
      cmocka_unit_test(test_serving__load_takes_the_fewest_replicas),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
