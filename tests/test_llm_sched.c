/* Pipelines of LLM steps (workload/llm_sched.c, llm_layout.c): the order of a stage's blocks is
 * Megatron Core's (1F1B; interleaved 1F1B from its schedule table), the simulated bubble follows
 * (p - 1) / (v m), interleaving's activation memory Korthikanti's 1 + (p - 1) / (p v), and uneven
 * first and last stages hold the layers asked for. */
#include "nvl_llm_test.h"

#include <stdlib.h>
#include <string.h>

#include "workload/llm_internal.h"

/* The schedule of stage s as "F2.0 B2.0 ..." (F or B, virtual stage, micro-batch). */
static void order(long p, long v, long m, bool train, long s, char *out, size_t len) {
  llm_block *b = calloc((size_t)(2 * m * v), sizeof *b);
  long n = nvl_llm_schedule(p, v, m, train, s, b);
  assert_int_equal(n, (train ? 2 : 1) * m * v);
  size_t at = 0;
  out[0] = '\0';
  for (long i = 0; i < n; i++)
    at += (size_t)snprintf(out + at, len - at, "%s%c%ld.%ld", i ? " " : "", b[i].bwd ? 'B' : 'F',
                           b[i].vs, b[i].j);
  free(b);
}

/* Worked from Megatron's get_schedule_table and warm-up counts: pp 2, vp 2, 4 micro-batches
 * (table: (0,c0) (1,c0) (0,c1) (1,c1) (2,c0) (3,c0) (2,c1) (3,c1)); stage 0 warms up with 4
 * forwards, stage 1 with 2; and 1F1B's pp 4 stage 1: 2 warm-up forwards. */
static void test_llm_sched__orders_are_megatrons(void **state) {
  (void)state;
  static const struct {
    long p, v, m, s;
    bool train;
    const char *want;
  } cases[] = {
      {2, 2, 4, 0, true,
       "F0.0 F0.1 F2.0 F2.1 F0.2 B2.0 F0.3 B2.1 F2.2 B0.0 F2.3 B0.1 B2.2 B2.3 B0.2 B0.3"},
      {2, 2, 4, 1, true,
       "F1.0 F1.1 F3.0 B3.0 F3.1 B3.1 F1.2 B1.0 F1.3 B1.1 F3.2 B3.2 F3.3 B3.3 B1.2 B1.3"},
      {2, 2, 4, 1, false, "F1.0 F1.1 F3.0 F3.1 F1.2 F1.3 F3.2 F3.3"},
      {4, 1, 4, 1, true, "F1.0 F1.1 F1.2 B1.0 F1.3 B1.1 B1.2 B1.3"},
      {4, 1, 2, 0, true, "F0.0 F0.1 B0.0 B0.1"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    char got[512];
    order(cases[i].p, cases[i].v, cases[i].m, cases[i].train, cases[i].s, got, sizeof got);
    if (strcmp(got, cases[i].want) != 0) {
      print_error("case %zu:\n  got  %s\n  want %s\n", i, got, cases[i].want);
      fail();
    }
  }
}

/* A model of 16 alike layers and a negligible output layer, one GPU per stage, pp 4, 8
 * micro-batches: the bubble (the step less compute and exposed communication) is
 * (p - 1) / (v m) of the compute for v = 1, 2, 4, less a little: the optimizer's share of the
 * compute (a few %) and the pipeline sends that show as exposed communication inside it (more of
 * them as v grows: 7-15 % in all). */
static void test_llm_sched__interleaving_divides_the_bubble(void **state) {
  (void)state;
  nvl_llm m = dense_model();
  m.layers = 16, m.vocab = 256;
  double bubble[3];
  for (int k = 0; k < 3; k++) {
    long v = 1L << k;
    nvl_llm_layout l = prefill(1, 2048);
    l.mode = NVL_LLM_TRAIN, l.pp = 4, l.vp = v, l.batch = 8, l.microbatches = 8;
    step_run x;
    run_step(&x, &m, &l, 4);
    double want = 3.0 / (double)(v * 8);
    bubble[k] = x.r.bubble_s / x.r.compute_s;
    print_message("vp %ld: bubble %.4f of compute, (p - 1) / (v m) = %.4f\n", v, bubble[k], want);
    assert_true(bubble[k] > 0.8 * want && bubble[k] < 1.0 * want);
    step_close(&x);
  }
}

/* The activations of stage 0 with vp chunks: 2 (p - 1) + (v - 1) p + 1 chunks of L / (p v)
 * layers in flight, 1 + (p - 1) / (p v) times 1F1B's p micro-batches of L / p layers. */
static void test_llm_sched__interleaved_activations_follow_korthikanti(void **state) {
  (void)state;
  nvl_llm m = dense_model();
  m.layers = 16;
  double act[2];
  for (int k = 0; k < 2; k++) {
    nvl_llm_layout l = prefill(1, 1024);
    l.mode = NVL_LLM_TRAIN, l.pp = 4, l.vp = k + 1, l.batch = 8, l.microbatches = 8;
    step_run x;
    run_step(&x, &m, &l, 4);
    act[k] = x.st.mem.activations;
    assert_int_equal(x.st.mem.rank, 0); /* the first stage holds the most */
    step_close(&x);
  }
  assert_close(act[1] / act[0], 1 + 3.0 / 8, 1e-9);
}

/* The layers of each (virtual) stage; bad splits say why. */
static void test_llm_sched__uneven_stages_hold_the_layers_asked(void **state) {
  (void)state;
  static const struct {
    long layers, pp, vp, first, last;
    const char *want; /* layers per virtual stage, or the error's words */
  } cases[] = {
      {61, 4, 1, 16, 15, "16 15 15 15"},
      {61, 4, 1, 13, 0, "13 16 16 16"},
      {16, 2, 2, 0, 0, "4 4 4 4"},
      {18, 2, 2, 3, 3, "3 6 6 3"},
      {61, 4, 1, 0, 0, "pp 4 does not divide the model's 61 layers (give --first-stage-layers"},
      {16, 4, 8, 0, 0, "pp 4 x vp 8 = 32 stages does not divide the model's 16 layers"},
      {61, 4, 1, 15, 15, "less 15 on the first stage and 15 on the last do not split evenly"},
      {16, 1, 2, 0, 0, "vp 2 interleaves a pipeline's chunks: give pp > 1"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    nvl_llm m = dense_model();
    m.layers = cases[i].layers;
    nvl_llm_layout l = prefill(1, 1024);
    l.pp = cases[i].pp, l.vp = cases[i].vp, l.microbatches = cases[i].pp, l.batch = l.pp;
    l.first_layers = cases[i].first, l.last_layers = cases[i].last;
    llm_shape sh = {.m = &m, .lay = &l};
    nvl_diags diags = NVL_DIAGS_INIT;
    char got[NVL_DIAG_MSG_MAX] = "";
    if (nvl_llm_stages(&sh, &diags) == 0) {
      size_t at = 0;
      for (long vs = 0; vs < sh.vstages; vs++)
        at +=
            (size_t)snprintf(got + at, sizeof got - at, vs ? " %ld" : "%ld", llm_vlayers(&sh, vs));
      free(sh.vfirst);
    } else {
      snprintf(got, sizeof got, "%s", diags.items[0].message);
    }
    if (!strstr(got, cases[i].want)) {
      print_error("case %zu: \"%s\" lacks \"%s\"\n", i, got, cases[i].want);
      fail();
    }
    nvl_diags_release(&diags);
  }
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_llm_sched__orders_are_megatrons),
    cmocka_unit_test(test_llm_sched__interleaving_divides_the_bubble),
    cmocka_unit_test(test_llm_sched__interleaved_activations_follow_korthikanti),
    cmocka_unit_test(test_llm_sched__uneven_stages_hold_the_layers_asked),
};
NVL_TEST_MAIN(tests)
