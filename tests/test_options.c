/*
 * Option tables (sim/cli/options.c): getopt_long forms, errors, and help generated from the
 * same table for every command (so help cannot drift from parsing).
 */
#include "nvl_test.h"

#include "base/exit.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/llm_params.h"
#include "cli/options.h"
#include "cli/sweep_llm.h"

typedef struct {
  bool verbose, quiet;
  const char *out;
  uint64_t min_b;
  size_t count;
  double limit_s;
  int calls;
} t_opts;

static int count_call(void *field, const char *v, const char *opt, const char *cmd) {
  (void)v;
  (void)opt;
  (void)cmd;
  (*(int *)field)++;
  return 0;
}

static const nvl_option t_options[] = {
    NVL_OPT_GROUP_("group"),
    NVL_OPT_(NVL_OPT_FLAG, 'v', "verbose", NULL, t_opts, verbose, "be loud"),
    NVL_OPT_(NVL_OPT_FLAG, 'q', "quiet", NULL, t_opts, quiet, "be quiet"),
    NVL_OPT_(NVL_OPT_STRING, 'o', "output", "FILE", t_opts, out, "where"),
    NVL_OPT_(NVL_OPT_SIZE, 'b', "minbytes", "SIZE", t_opts, min_b, "smallest"),
    NVL_OPT_(NVL_OPT_COUNT, 0, "max-count", "N", t_opts, count, "at most"),
    NVL_OPT_(NVL_OPT_TIME, 0, "max-time", "TIME", t_opts, limit_s, "until"),
    NVL_OPT_CALL_(0, "mark", "X", t_opts, calls, count_call, "counted\nsecond line"),
    NVL_OPT_END_};
static const nvl_cmd_doc t_doc = {"t", "nvlsim t [options] FILE", "About.\n", t_options, NULL};

/* Parses a NULL-terminated argument list (argv[0] is the command). */
static int parse(t_opts *o, char **ops, int *n, ...) {
  char *argv[32];
  int argc = 0;
  va_list ap;
  va_start(ap, n);
  for (char *a; (a = va_arg(ap, char *)) != NULL && argc < 31;)
    argv[argc++] = a;
  va_end(ap);
  memset(o, 0, sizeof *o);
  return nvl_options_parse(&t_doc, argc, argv, o, ops, 4, n);
}

static void test_options__getopt_long_forms(void **state) {
  (void)state;
  t_opts o;
  char *ops[4];
  int n;
  /* attached short value, --name=value, bundled flags, a flag bundled before a valued option */
  assert_int_equal(parse(&o, ops, &n, "t", "-b1M", "--output=o.csv", "-qv", "design.json", NULL),
                   0);
  assert_int_equal(o.min_b, 1 << 20);
  assert_string_equal(o.out, "o.csv");
  assert_true(o.verbose && o.quiet);
  assert_int_equal(n, 1);
  assert_string_equal(ops[0], "design.json");
  assert_int_equal(parse(&o, ops, &n, "t", "-vb", "2K", "-o", "x", NULL), 0);
  assert_true(o.verbose);
  assert_int_equal(o.min_b, 2048);
  assert_string_equal(o.out, "x");
  /* options after operands, "-" an operand, "--" ends options */
  assert_int_equal(parse(&o, ops, &n, "t", "a", "-", "--max-count", "7", "--", "-v", NULL), 0);
  assert_int_equal(n, 3);
  assert_string_equal(ops[1], "-");
  assert_string_equal(ops[2], "-v");
  assert_false(o.verbose);
  assert_int_equal(o.count, 7);
  /* unique prefixes; repeated callbacks; units */
  assert_int_equal(
      parse(&o, ops, &n, "t", "--out", "p", "--mark=a", "--mark", "b", "--max-t", "5ms", NULL), 0);
  assert_string_equal(o.out, "p");
  assert_int_equal(o.calls, 2);
  assert_close(o.limit_s, 5e-3, 1e-12);
}

static void test_options__errors_are_usage_errors(void **state) {
  (void)state;
  t_opts o;
  char *ops[4];
  int n;
  const char *bad[][4] = {
      {"t", "--output", NULL},         /* missing value */
      {"t", "-o", NULL},               /* missing value, short */
      {"t", "--outptu", "x", NULL},    /* unknown (with a suggestion) */
      {"t", "-x", NULL},               /* unknown short */
      {"t", "--verbose=1", NULL},      /* a flag takes no value */
      {"t", "--max", "3", NULL},       /* ambiguous prefix: max-count, max-time */
      {"t", "-b", "12Q", NULL},        /* bad size unit */
      {"t", "--max-count", "-1", NULL} /* not a non-negative integer */
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    char *argv[4];
    int argc = 0;
    while (argc < 4 && bad[i][argc])
      argv[argc] = (char *)bad[i][argc], argc++;
    memset(&o, 0, sizeof o);
    if (nvl_options_parse(&t_doc, argc, argv, &o, ops, 4, &n) != NVL_EXIT_USAGE) {
      print_error("case %zu (%s) was accepted\n", i, bad[i][1]);
      fail();
    }
  }
  /* too many operands */
  char *argv[] = {"t", "a", "b", "c", "d", "e"};
  assert_int_equal(nvl_options_parse(&t_doc, 6, argv, &o, ops, 4, &n), NVL_EXIT_USAGE);
}

/* Options that name two different things are refused, whatever their order: a collective and a
 * pattern, a size factor and a step, --matrix without -p matrix, a workload file and -c. The same
 * option twice keeps the last, as getopt does. */
static void test_options__conflicting_options_are_usage_errors(void **state) {
  (void)state;
  const char *bad[][8] = {{"run", "-c", "all_gather", "-p", "pair", NULL},
                          {"run", "-p", "pair", "-c", "all_gather", NULL},
                          {"run", "-f", "2", "-i", "1M", NULL},
                          {"run", "-i", "1M", "-f", "2", NULL},
                          {"run", "--matrix", "m.csv", NULL},
                          {"run", "-p", "matrix", NULL},
                          {"run", "--workload", "w.json", "-c", "alltoall", NULL},
                          {"compare", "a.json", "b.json", "-f", "2", "-i", "1M", NULL}};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    char *argv[8] = {0};
    int argc = 0;
    while (argc < 8 && bad[i][argc])
      argv[argc] = (char *)bad[i][argc], argc++;
    int rc = strcmp(argv[0], "run") == 0 ? nvl_cmd_run(nvl_test_ctx(), argc, argv)
                                         : nvl_cmd_compare(nvl_test_ctx(), argc, argv);
    if (rc != NVL_EXIT_USAGE) {
      print_error("case %zu (%s %s) gave %d\n", i, bad[i][1], bad[i][3] ? bad[i][3] : "", rc);
      fail();
    }
  }
}

/* The help text (malloc'ed), through a temporary file. */
static char *help_of(const nvl_cmd_doc *doc) {
  FILE *f = tmpfile();
  assert_non_null(f);
  nvl_options_help(doc, f);
  return nvl_test_slurp(f);
}

static void test_options__help_lists_every_option_of_every_command(void **state) {
  (void)state;
  for (const nvl_command *c = nvl_commands; c->name; c++) {
    char *h = help_of(c->doc);
    assert_non_null(strstr(h, "usage: nvlsim "));
    for (const nvl_option *o = c->doc->options; o->kind != NVL_OPT_END; o++) {
      char want[128];
      if (o->kind == NVL_OPT_GROUP)
        snprintf(want, sizeof want, "\n%s\n", o->help);
      else if (o->long_name)
        snprintf(want, sizeof want, "--%s%s%s", o->long_name, o->arg ? " " : "",
                 o->arg ? o->arg : "");
      else
        snprintf(want, sizeof want, "-%c", o->short_name);
      if (!strstr(h, want)) {
        print_error("nvlsim %s: help lacks \"%s\"\n", c->name, want);
        fail();
      }
      if (o->short_name && o->long_name) {
        snprintf(want, sizeof want, "-%c, --%s", o->short_name, o->long_name);
        assert_non_null(strstr(h, want));
      }
    }
    free(h);
  }
  /* continuation lines of a help text are aligned under its first line */
  char *t = help_of(&t_doc);
  size_t first = strstr(t, "counted\n") - t, second = strstr(t, "second line") - t;
  size_t line1 = first;
  while (line1 > 0 && t[line1 - 1] != '\n')
    line1--;
  free(t);
  assert_int_equal(first - line1, second - (first + strlen("counted\n")));
}

static void test_options__help_option_stops_parsing(void **state) {
  (void)state;
  t_opts o;
  char *ops[4];
  int n;
  FILE *saved = stdout;
  stdout = fopen("/dev/null", "w");
  int rc = parse(&o, ops, &n, "t", "-v", "--help", "--bogus", NULL);
  int rc2 = parse(&o, ops, &n, "t", "-h", NULL);
  fclose(stdout);
  stdout = saved;
  assert_int_equal(rc, NVL_OPTIONS_HELP);
  assert_int_equal(rc2, NVL_OPTIONS_HELP);
  /* after "--", --help is an operand */
  assert_int_equal(parse(&o, ops, &n, "t", "--", "--help", NULL), 0);
  assert_int_equal(n, 1);
}

/* Every LLM parameter reaches every surface from its one row: an option of llm and compare (by
 * its name, setting its field), a sweep key and axis, a validate-model column (a good value set,
 * a bad one refused with the column's name), and the parsers agree across them. */
static void test_options__llm_params_reach_every_surface(void **state) {
  (void)state;
  const nvl_cmd_doc *docs[] = {&nvl_doc_llm, &nvl_doc_compare};
  for (size_t i = 0; i < nvl_llm_n_params; i++) {
    const nvl_llm_param *p = &nvl_llm_params[i];
    char key[64], err[200];
    nvl_llm_param_key(p, key, sizeof key);
    for (size_t d = 0; d < 2; d++) {
      int found = 0;
      for (const nvl_option *o = docs[d]->options; o->kind != NVL_OPT_END; o++)
        found += o->long_name && strcmp(o->long_name, p->name) == 0;
      if (found != 1)
        print_error("%s: --%s %d times\n", docs[d]->name, p->name, found);
      assert_int_equal(found, 1);
    }
    assert_int_equal(nvl_sweep_llm_param(key), (int)i);
    assert_ptr_equal(nvl_llm_param_find(key), p);
    /* a value of the kind, then one no parser takes */
    nvl_llm_ask a = NVL_LLM_ASK_INIT;
    const char *field = (const char *)&a + p->at;
    if (p->json == NVL_LP_INT) { /* 3: a size, a count and a ZeRO stage */
      assert_int_equal(nvl_llm_param_set_text(p, &a, "3", err, sizeof err), 0);
      assert_int_equal(*(const size_t *)field, 3);
    } else if (p->json == NVL_LP_BOOL) {
      assert_int_equal(nvl_llm_param_set_text(p, &a, "true", err, sizeof err), 0);
      assert_true(*(const bool *)field);
    } else if (p->json == NVL_LP_NUMBER) {
      assert_int_equal(nvl_llm_param_set_text(p, &a, "0.5", err, sizeof err), 0);
      assert_close(*(const double *)field, 0.5, 0);
    }
    if (strcmp(key, "llm") != 0 && strcmp(key, "order") != 0) {
      assert_int_equal(nvl_llm_param_set_text(p, &a, "-x-", err, sizeof err), -1);
      char want[128];
      snprintf(want, sizeof want, "bad %s: \"-x-\" is not ", key);
      assert_non_null(strstr(err, want));
      json_t *s = json_string("-x-");
      assert_int_equal(nvl_llm_param_set_json(p, &a, s, err, sizeof err), -1);
      json_decref(s);
      assert_non_null(strstr(err, key));
    }
  }
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_options__llm_params_reach_every_surface),
    cmocka_unit_test(test_options__getopt_long_forms),
    cmocka_unit_test(test_options__errors_are_usage_errors),
    cmocka_unit_test(test_options__conflicting_options_are_usage_errors),
    cmocka_unit_test(test_options__help_lists_every_option_of_every_command),
    cmocka_unit_test(test_options__help_option_stops_parsing),
};
NVL_TEST_MAIN(tests)
