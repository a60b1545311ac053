/* The phase solver (platform/phase.h) against closed forms: processor sharing on one link, a
 * hand-solved two-link case, weights, bounds and delays, stops, and the window's error on random
 * exchanges against the exact run. */
#include "nvl_test.h"
#include "platform/phase.h"

static double urand(uint64_t *s) {
  *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
  return (double)(*s >> 11) / 9007199254740992.0;
}

static int by_value(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* n flows on one link of capacity C share it equally: the k-th smallest ends at the sum over
 * j <= k of (s_j - s_(j-1)) (n - j + 1) / C. */
static void test_phase__one_link_is_processor_sharing(void **state) {
  (void)state;
  uint64_t seed = 7;
  for (int trial = 0; trial < 20; trial++) {
    int n = 1 + (int)(urand(&seed) * 60);
    double cap = 1e9 * (1 + urand(&seed) * 900), sizes[64], sorted[64];
    nvl_phase *ph = nvl_phase_new();
    int l = nvl_phase_link(ph, cap);
    for (int i = 0; i < n; i++) {
      sizes[i] = sorted[i] = 1 + floor(urand(&seed) * 1e6);
      nvl_phase_flow(ph, sizes[i], 0, 0, &l, NULL, 1);
    }
    qsort(sorted, (size_t)n, sizeof(double), by_value);
    nvl_phase_run(ph, 0, 0, 0, NULL);
    for (int i = 0; i < n; i++) {
      double t = 0, prev = 0;
      for (int j = 0; j < n && sorted[j] <= sizes[i]; j++) {
        t += (sorted[j] - prev) * (n - j) / cap;
        prev = sorted[j];
      }
      assert_close(nvl_phase_end(ph, (size_t)i), t, 1e-9);
    }
    nvl_phase_free(ph);
  }
}

/* Links A and B of 1 B/s; f1 (1 B) on A, f2 (2 B) on A and B, f3 (4 B) on B. Until 2 s every
 * flow moves at 0.5 B/s; f1 ends; f2 (1 B left) is then held to B's share, 0.5, beside f3; it
 * ends at 4 s, and f3 (2 B left) at 6 s. */
static nvl_phase *two_links(void) {
  nvl_phase *ph = nvl_phase_new();
  int a = nvl_phase_link(ph, 1), b = nvl_phase_link(ph, 1), ab[2] = {a, b};
  nvl_phase_flow(ph, 1, 0, 0, &a, NULL, 1);
  nvl_phase_flow(ph, 2, 0, 0, ab, NULL, 2);
  nvl_phase_flow(ph, 4, 0, 0, &b, NULL, 1);
  return ph;
}

static void test_phase__two_links_hand_solved(void **state) {
  (void)state;
  nvl_phase *ph = two_links();
  nvl_phase_run(ph, 0, 0, 0, NULL);
  assert_close(nvl_phase_end(ph, 0), 2, 1e-12);
  assert_close(nvl_phase_end(ph, 1), 4, 1e-12);
  assert_close(nvl_phase_end(ph, 2), 6, 1e-12);
  nvl_phase_free(ph);
}

/* Step by step, the same case: a partial advance moves the flows without ending any, time never
 * goes back, and the event ends the flow due. */
static void test_phase__steps_move_without_ending_and_never_go_back(void **state) {
  (void)state;
  nvl_phase *ph = two_links();
  nvl_phase_begin(ph, 0, 0);
  assert_close(nvl_phase_next(ph, NULL), 2, 1e-12);
  nvl_phase_advance(ph, 1);
  size_t n = 9;
  nvl_phase_take_ended(ph, &n);
  assert_int_equal(n, 0);
  assert_close(nvl_phase_left(ph, 0, NULL), 0.5, 1e-12);
  assert_close(nvl_phase_left(ph, 1, NULL), 1.5, 1e-12);
  assert_close(nvl_phase_next(ph, NULL), 2, 1e-12); /* nothing changed: the same event */
  nvl_phase_advance(ph, 0.5);                       /* not back: still at 1 */
  assert_close(nvl_phase_left(ph, 0, NULL), 0.5, 1e-12);
  nvl_phase_advance(ph, 2);
  const size_t *ended = nvl_phase_take_ended(ph, &n);
  assert_int_equal(n, 1);
  assert_int_equal(ended[0], 0);
  assert_close(nvl_phase_end(ph, 0), 2, 1e-12);
  assert_close(nvl_phase_next(ph, NULL), 4, 1e-12);
  nvl_phase_free(ph);
}

/* A weight of 2 takes two shares of a link; a bound caps a flow and leaves the rest to others; a
 * delay holds a flow back; peaks are the largest loads. */
static void test_phase__weights_bounds_and_delays(void **state) {
  (void)state;
  nvl_phase *ph = nvl_phase_new();
  int l = nvl_phase_link(ph, 3);
  double two = 2;
  nvl_phase_flow(ph, 1, 0, 0, &l, &two, 1); /* rate 1 (consumes 2) */
  nvl_phase_flow(ph, 1, 0, 0, &l, NULL, 1); /* rate 1 */
  double peak[1] = {0};
  nvl_phase_run(ph, 0, 0, 0, peak);
  assert_close(nvl_phase_end(ph, 0), 1, 1e-12);
  assert_close(nvl_phase_end(ph, 1), 1, 1e-12);
  assert_close(peak[0], 3, 1e-12);
  nvl_phase_free(ph);

  ph = nvl_phase_new();
  l = nvl_phase_link(ph, 1);
  nvl_phase_flow(ph, 0.25, 0, 0.25, &l, NULL, 1); /* bound 0.25: ends at 1 s */
  nvl_phase_flow(ph, 3, 0, 0, &l, NULL, 1);       /* 0.75 B/s, then 1: ends at 3.25 s */
  nvl_phase_flow(ph, 1, 4, 0, &l, NULL, 1);       /* moves from 4 s: ends at 5 s */
  nvl_phase_flow(ph, 0, 4.5, 0, &l, NULL, 1);     /* no bytes: ends when its delay does */
  assert_int_equal(nvl_phase_links(ph), 2);       /* the bound is a link of its own */
  nvl_phase_run(ph, 0, 0, 0, NULL);
  assert_close(nvl_phase_end(ph, 0), 1, 1e-12);
  assert_close(nvl_phase_end(ph, 1), 3.25, 1e-12);
  assert_close(nvl_phase_end(ph, 2), 5, 1e-12);
  assert_close(nvl_phase_end(ph, 3), 4.5, 1e-12);
  nvl_phase_free(ph);
}

/* Stopped at 2 s, two flows of 2 and 4 B on a link of 1 B/s have each moved 1 B; a flow whose
 * delay runs past the stop is still waiting, with all its bytes. */
static void test_phase__stop_leaves_bytes_and_waiting_flows(void **state) {
  (void)state;
  nvl_phase *ph = nvl_phase_new();
  int l = nvl_phase_link(ph, 1);
  nvl_phase_flow(ph, 2, 0, 0, &l, NULL, 1);
  nvl_phase_flow(ph, 4, 0, 0, &l, NULL, 1);
  nvl_phase_flow(ph, 7, 3, 0, &l, NULL, 1);
  nvl_phase_run(ph, 10, 0, 12, NULL);
  bool waiting = true;
  for (size_t f = 0; f < 3; f++)
    assert_true(nvl_phase_end(ph, f) < 0);
  assert_close(nvl_phase_left(ph, 0, &waiting), 1, 1e-12);
  assert_false(waiting);
  assert_close(nvl_phase_left(ph, 1, &waiting), 3, 1e-12);
  assert_close(nvl_phase_left(ph, 2, &waiting), 7, 1e-12);
  assert_true(waiting);
  nvl_phase_free(ph);
}

/* Random expert exchanges (n ranks, one up and one down link each, sizes of tokens routed to 8 of
 * n ranks): with window 1e-3, every flow ends within 0.5 % of its exact end, in fewer solves. */
static void test_phase__window_error_on_random_exchanges(void **state) {
  (void)state;
  uint64_t seed = 11;
  for (int trial = 0; trial < 6; trial++) {
    int n = 8 + (int)(urand(&seed) * 40);
    double tokens = 32 + floor(urand(&seed) * 512);
    nvl_phase *ex = nvl_phase_new(), *win = nvl_phase_new();
    for (int k = 0; k < 2 * n; k++) {
      nvl_phase_link(ex, 1e9);
      nvl_phase_link(win, 1e9);
    }
    for (int a = 0; a < n; a++)
      for (int b = 0; b < n; b++) {
        if (a == b)
          continue;
        double bytes = 7168 * floor(tokens * 8 / n * (0.5 + urand(&seed)));
        int ls[2] = {a, n + b};
        nvl_phase_flow(ex, bytes, 1e-6, 0, ls, NULL, 2);
        nvl_phase_flow(win, bytes, 1e-6, 0, ls, NULL, 2);
      }
    size_t exact = nvl_phase_run(ex, 0, 0, 0, NULL), fewer = nvl_phase_run(win, 0, 1e-3, 0, NULL);
    assert_true(fewer < exact);
    for (size_t f = 0; f < nvl_phase_flows(ex); f++)
      assert_close(nvl_phase_end(win, f), nvl_phase_end(ex, f), 5e-3);
    nvl_phase_free(ex);
    nvl_phase_free(win);
  }
}

/* A link that no flow saturates still records its load as its peak: one flow over a link of 1 B/s
 * and one of 10 B/s loads both with 1 B/s (an unsaturated trunk's peak used to read 0). */
static void test_phase__unsaturated_links_record_their_peaks(void **state) {
  (void)state;
  nvl_phase *ph = nvl_phase_new();
  int a = nvl_phase_link(ph, 1), b = nvl_phase_link(ph, 10), ab[2] = {a, b};
  nvl_phase_flow(ph, 5, 0, 0, ab, NULL, 2);
  double peaks[2] = {0, 0};
  nvl_phase_run(ph, 0, 0, 0, peaks);
  assert_close(peaks[0], 1, 1e-12);
  assert_close(peaks[1], 1, 1e-12);
  nvl_phase_free(ph);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_phase__unsaturated_links_record_their_peaks),
    cmocka_unit_test(test_phase__one_link_is_processor_sharing),
    cmocka_unit_test(test_phase__two_links_hand_solved),
    cmocka_unit_test(test_phase__steps_move_without_ending_and_never_go_back),
    cmocka_unit_test(test_phase__weights_bounds_and_delays),
    cmocka_unit_test(test_phase__stop_leaves_bytes_and_waiting_flows),
    cmocka_unit_test(test_phase__window_error_on_random_exchanges),
};
NVL_TEST_MAIN(tests)
