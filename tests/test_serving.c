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
  p.gpus = 68; /* 68 + 8 > 72 */
  assert_false(nvl_serving_eval_disagg(&p, 1024, 1024));
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
    }
    size_t k = nvl_serving_frontier(p, n);
    size_t marked = 0;
    for (size_t i = 0; i < n; i++) {
      marked += p[i].frontier;
      bool dominated = false, by_marked = false;
      for (size_t j = 0; j < n; j++) {
        bool d = j != i && p[j].tps_user >= p[i].tps_user && p[j].tps_gpu >= p[i].tps_gpu &&
                 (p[j].tps_user > p[i].tps_user || p[j].tps_gpu > p[i].tps_gpu);
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
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
