/*
 * Output stage (sim/output/) and the base modules it writes with (sim/base/csv, u64map, file):
 * CSV that reads back field for field (quoting of commas, quotes and line breaks), JSON that
 * parses with NaN as null, the nccl-tests table, link statistics and the JUnit report.
 */
#include "nvl_fixture.h"

#include <jansson.h>
#include <math.h>
#include <unistd.h>
#include <sys/wait.h>
#include <sys/stat.h>

#include "base/csv.h"
#include "base/file.h"
#include "base/json.h"
#include "output/figures.h"
#include "base/outfile.h"
#include "base/u64map.h"
#include "design/design.h"
#include "output/linkstats.h"
#include "output/report.h"
#include "output/results.h"
#include "platform/platform.h"

static char *render(int (*fn)(const nvl_results *, FILE *), const nvl_results *r) {
  FILE *t = tmpfile();
  assert_int_equal(fn(r, t), 0);
  return nvl_test_slurp(t);
}

static nvl_results sample_rows(void) {
  nvl_results r = NVL_RESULTS_INIT;
  nvl_result_row *x = nvl_results_add(&r);
  snprintf(x->design, sizeof x->design, "rack \"A\", rev 2");
  snprintf(x->job, sizeof x->job, "tp\nline");
  snprintf(x->collective, sizeof x->collective, "all_reduce");
  snprintf(x->algorithm, sizeof x->algorithm, "ring");
  snprintf(x->protocol, sizeof x->protocol, "Simple");
  snprintf(x->model, sizeof x->model, "default");
  x->ranks = 8;
  x->size_bytes = 1 << 20;
  x->count = x->size_bytes / 4;
  x->redop = "sum";
  x->time_us = 12.5;
  x->algbw_GBps = 83.886080;
  x->busbw_GBps = 146.80064;
  x->seed = 7;
  nvl_result_row *y = nvl_results_add(&r);
  *y = *x;
  snprintf(y->design, sizeof y->design, "plain");
  y->job[0] = '\0';
  y->flow_p50_us = 1.5;
  return r;
}

static void test_output__csv_reads_back_field_for_field(void **state) {
  (void)state;
  nvl_results r = sample_rows();
  char *text = render(nvl_results_write_csv, &r);
  nvl_csv_reader rd;
  nvl_csv_reader_init(&rd, text, strlen(text));
  char err[160];
  assert_int_equal(nvl_csv_read(&rd, err, sizeof err), 1);
  size_t cols = rd.n_fields;
  int design = nvl_csv_find(&rd, "design"), job = nvl_csv_find(&rd, "job"),
      p50 = nvl_csv_find(&rd, "flow_p50_us"), seed = nvl_csv_find(&rd, "seed");
  assert_true(design >= 0 && job >= 0 && p50 >= 0 && seed >= 0);
  assert_int_equal(nvl_csv_read(&rd, err, sizeof err), 1);
  assert_int_equal(rd.n_fields, cols);
  assert_string_equal(rd.fields[design], "rack \"A\", rev 2");
  assert_string_equal(rd.fields[job], "tp\nline");
  assert_string_equal(rd.fields[p50], ""); /* NaN: empty */
  assert_string_equal(rd.fields[seed], "7");
  assert_int_equal(nvl_csv_read(&rd, err, sizeof err), 1);
  assert_int_equal(rd.n_fields, cols);
  assert_string_equal(rd.fields[design], "plain");
  assert_string_equal(rd.fields[p50], "1.500000");
  assert_int_equal(nvl_csv_read(&rd, err, sizeof err), 0);
  nvl_csv_reader_release(&rd);
  /* a plain name is not quoted */
  assert_non_null(strstr(text, "\nplain,,"));
  free(text);
  nvl_results_release(&r);
}

static void test_output__csv_reader_rejects_malformed_quotes(void **state) {
  (void)state;
  const char *bad[] = {"a,\"b\n", "a,b\"c\"\n", "\"a\"x,b\n"};
  for (size_t i = 0; i < 3; i++) {
    nvl_csv_reader rd;
    nvl_csv_reader_init(&rd, bad[i], strlen(bad[i]));
    char err[160];
    assert_int_equal(nvl_csv_read(&rd, err, sizeof err), -1);
    assert_true(rd.line == 1 && rd.column >= 1);
    nvl_csv_reader_release(&rd);
  }
  /* CRLF line ends, an empty last field */
  nvl_csv_reader rd;
  const char *ok = "a,b,\r\n1,2,3\r\n";
  nvl_csv_reader_init(&rd, ok, strlen(ok));
  char err[160];
  assert_int_equal(nvl_csv_read(&rd, err, sizeof err), 1);
  assert_int_equal(rd.n_fields, 3);
  assert_string_equal(rd.fields[2], "");
  assert_int_equal(nvl_csv_read(&rd, err, sizeof err), 1);
  assert_string_equal(rd.fields[2], "3");
  assert_int_equal(rd.line, 2);
  nvl_csv_reader_release(&rd);
}

/* Tables read with a header: a byte order mark skipped; a repeated column, a row of another width
 * and a control character are errors with their line (every table reader uses these). */
static void test_output__csv_tables_header_width_and_controls(void **state) {
  (void)state;
  static const struct {
    const char *text;
    int header, row; /* nvl_csv_header's and the first row's result */
    const char *why;
  } cases[] = {
      {"\xef\xbb\xbf"
       "case,x\n1,2\n",
       1, 1, NULL},
      {"case,x,case\n1,2,3\n", -1, 0, "appears twice"},
      {"a,b\n1,2,3\n", 1, -1, "3 fields where the header has 2"},
      {"a,b\n1\n", 1, -1, "1 field where the header has 2"},
      {"a,b\n\n1,2\n", 1, 1, NULL}, /* a blank line is no row */
      {"a,b\n1,\x1b[2J\n", 1, -1, "control character U+001B"},
      {"a,b\n1,\x7f\n", 1, -1, "control character U+007F"},
      {"a,b\n1,\xc2\x9b\n", 1, -1, "control character U+009B"},
      {"a,\x07"
       "b\n1,2\n",
       -1, 0, "control character U+0007"},
      {"a,b\n1,\"x\ny\"\n", 1, 1, NULL}, /* RFC 4180: a line break inside quotes */
      {"a,b\n1,\tx\n", 1, 1, NULL},      /* TAB is text */
      {"a,b\n1,\xc3\xa9\n", 1, 1, NULL}, /* UTF-8 text */
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    nvl_csv_reader rd;
    nvl_csv_reader_init(&rd, cases[i].text, strlen(cases[i].text));
    char err[160] = "";
    int h = nvl_csv_header(&rd, err, sizeof err);
    if (i == 0) /* the mark is not part of the first column's name */
      assert_int_equal(nvl_csv_find(&rd, "case"), 0);
    int r = h == 1 ? nvl_csv_read(&rd, err, sizeof err) : 0;
    if (r == 1 && rd.n_fields == 1 && !rd.fields[0][0])
      r = nvl_csv_read(&rd, err, sizeof err);
    if (h != cases[i].header || r != cases[i].row || (cases[i].why && !strstr(err, cases[i].why)))
      print_error("case %zu: header %d row %d: %s\n", i, h, r, err);
    assert_int_equal(h, cases[i].header);
    assert_int_equal(r, cases[i].row);
    if (cases[i].why)
      assert_non_null(strstr(err, cases[i].why));
    nvl_csv_reader_release(&rd);
  }
}

/* Figures at their resolution: below a billionth of the row's largest a figure is 0 and no ratio
 * is taken to it (or to 0, or to a non-finite one); above, both are kept. */
static void test_output__figures_below_their_resolution_are_zero(void **state) {
  (void)state;
  static const struct {
    double v[3];
    bool ratio;   /* a ratio to v[0] */
    double shown; /* v[0] as shown */
  } cases[] = {
      {{8.67362e-13, 5000, 4000}, false, 0},
      {{0, 5000, 4000}, false, 0},
      {{-1e-12, 2, 3}, false, 0},
      {{6e-6, 5000, 0}, true, 6e-6},
      {{5000, 4000, 1e-13}, true, 5000},
      {{1e-12, 1e-12, 2e-12}, true, 1e-12},
      {{NAN, 1, 2}, false, NAN},
      {{1, 1, 1}, true, 1},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    double top = nvl_fig_top(cases[i].v, 3);
    assert_int_equal(nvl_fig_ratio_ok(cases[i].v[0], top), cases[i].ratio);
    double s = nvl_fig_shown(cases[i].v[0], top);
    assert_true(isnan(cases[i].shown) ? isnan(s) : s == cases[i].shown);
  }
  assert_true(nvl_fig_shown(1e-13, nvl_fig_top((double[]){5000, 1e-13}, 2)) == 0);
}

static void test_output__json_parses_with_nan_as_null(void **state) {
  (void)state;
  nvl_results r = sample_rows();
  char *text = render(nvl_results_write_json, &r);
  json_error_t je;
  json_t *root = json_loads(text, 0, &je);
  assert_non_null(root);
  json_t *rows = json_object_get(root, "results");
  assert_int_equal(json_array_size(rows), 2);
  json_t *a = json_array_get(rows, 0);
  assert_string_equal(json_string_value(json_object_get(a, "design")), "rack \"A\", rev 2");
  assert_true(json_is_null(json_object_get(a, "flow_p50_us")));
  assert_close(json_real_value(json_object_get(a, "busbw_GBps")), 146.80064, 1e-12);
  assert_int_equal(json_integer_value(json_object_get(a, "size_bytes")), 1 << 20);
  json_decref(root);
  free(text);
  nvl_results_release(&r);
}

static int print_table(const nvl_results *r, FILE *out) {
  nvl_results_print_table(r, out);
  return 0;
}

static void test_output__table_groups_rows_under_one_header(void **state) {
  (void)state;
  nvl_results r = sample_rows();
  char *text = render(print_table, &r);
  /* two designs: two headers; the pattern columns appear because one row has flow times */
  size_t headers = 0;
  for (const char *p = text; (p = strstr(p, "# nvlsim: design ")) != NULL; p++)
    headers++;
  assert_int_equal(headers, 2);
  assert_non_null(strstr(text, "flow p50"));
  assert_non_null(strstr(text, "     1048576        262144     float     sum"));
  assert_non_null(strstr(text, "      12.50     83.89    146.80"));
  free(text);
  nvl_results_release(&r);
}

static void test_output__link_stats_two_rows_per_link(void **state) {
  (void)state;
  nvl_fixture f = nvl_fixture_open("hgx-h100.json", NVL_MODEL_IDEAL, false);
  nvl_platform *p = f.p;
  size_t nl = nvl_platform_link_count(p), shown = 0;
  double bytes[64] = {0}, peaks[64] = {0};
  assert_true(2 * nl <= 64);
  bytes[0] = 4.5e9; /* one second of the first port link, up */
  peaks[0] = 4.5e11 / 2;
  nvl_engine_result res = {.n_links = nl, .link_bytes = bytes, .link_peak_Bps = peaks, .end_s = 2};
  for (size_t l = 0; l < nl; l++)
    shown += !nvl_platform_link(p, (int)l)->fatpipe;
  FILE *t = tmpfile();
  assert_int_equal(nvl_linkstats_write_csv(p, &res, t), 0);
  char *text = nvl_test_slurp(t);
  nvl_csv_reader rd;
  nvl_csv_reader_init(&rd, text, strlen(text));
  char err[160];
  size_t rows = 0;
  assert_int_equal(nvl_csv_read(&rd, err, sizeof err), 1);
  int util = nvl_csv_find(&rd, "utilization"), peak = nvl_csv_find(&rd, "peak_utilization");
  while (nvl_csv_read(&rd, err, sizeof err) == 1) {
    if (rows == 0) { /* 4.5 GB over 450 GB/s = 10 ms busy of 2 s; peak half the bandwidth */
      assert_string_equal(rd.fields[util], "0.005000");
      assert_string_equal(rd.fields[peak], "0.500000");
    }
    rows++;
  }
  assert_int_equal(rows, 2 * shown);
  nvl_csv_reader_release(&rd);
  free(text);
  nvl_fixture_close(&f);
}

static void test_output__junit_escapes_and_counts_failures(void **state) {
  (void)state;
  nvl_report_file f[2] = {0};
  f[0].file = "a&b<c>.json";
  f[0].checks[0] = (nvl_check){"load", true, true};
  f[0].n_checks = 1;
  f[0].valid = true;
  f[1].file = "bad.json";
  f[1].checks[0] = (nvl_check){"load", true, false};
  f[1].n_checks = 1;
  nvl_diag_add(&f[1].diags, NVL_SEV_ERROR, NVL_DIAG_SCHEMA, "/links/0", "expected \"x\" & <y>");
  FILE *t = tmpfile();
  nvl_report_write_junit(f, 2, t);
  char *text = nvl_test_slurp(t);
  assert_non_null(strstr(text, "tests=\"2\" failures=\"1\""));
  assert_non_null(strstr(text, "a&amp;b&lt;c&gt;.json"));
  assert_non_null(strstr(text, "expected &quot;x&quot; &amp; &lt;y&gt;"));
  assert_null(strstr(text, "<y>"));
  free(text);
  nvl_diags_release(&f[1].diags);
}

/* Every class of byte string a file name can be: well-formed UTF-8 of each length is kept, and
 * every malformed class (stray continuation, truncated, overlong, surrogate, past U+10FFFF,
 * 0xFE/0xFF) becomes U+FFFD, one per byte; line breaks and tabs become references. */
static void test_output__junit_names_are_always_utf8(void **state) {
  (void)state;
  static const struct {
    const char *name, *want;
  } cases[] = {
      {"caf\xc3\xa9"
       "-\xe2\x82\xac-\xf0\x9f\x98\x80.json",
       "caf\xc3\xa9-\xe2\x82\xac-\xf0\x9f\x98\x80.json"},
      {"a\x80"
       "b",
       "a\xef\xbf\xbd"
       "b"},
      {"a\xc3", "a\xef\xbf\xbd"},
      {"a\xe2\x82", "a\xef\xbf\xbd\xef\xbf\xbd"},
      {"\xc0\xaf", "\xef\xbf\xbd\xef\xbf\xbd"},
      {"\xe0\x80\xaf", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"},
      {"\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"},
      {"\xf4\x90\x80\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"},
      {"\xfe\xff", "\xef\xbf\xbd\xef\xbf\xbd"},
      {"l1\nl2\tx\x01", "l1&#10;l2&#9;x?"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    nvl_report_file f = {0};
    f.file = cases[i].name;
    f.checks[0] = (nvl_check){"load", true, true};
    f.n_checks = 1;
    FILE *t = tmpfile();
    nvl_report_write_junit(&f, 1, t);
    char *text = nvl_test_slurp(t), want[128];
    snprintf(want, sizeof want, "<testsuite name=\"%s\"", cases[i].want);
    assert_non_null(strstr(text, want));
    free(text);
    json_t *j = nvl_json_text(cases[i].name); /* JSON reports keep the same characters */
    assert_non_null(j);
    json_decref(j);
  }
}

static void test_output__u64map_keeps_every_key(void **state) {
  (void)state;
  nvl_u64map m = NVL_U64MAP_INIT;
  for (uint32_t i = 0; i < 5000; i++) { /* keys differing in the high half only, and low only */
    assert_int_equal(nvl_u64map_get_or_add(&m, nvl_u64map_pair(i, 7), 2 * i, NULL), 2 * i);
    assert_int_equal(nvl_u64map_get_or_add(&m, nvl_u64map_pair(7, i + 10000), 2 * i + 1, NULL),
                     2 * i + 1);
  }
  assert_int_equal(m.n, 10000);
  bool added = true;
  assert_int_equal(nvl_u64map_get_or_add(&m, nvl_u64map_pair(4999, 7), 0, &added), 9998);
  assert_false(added);
  assert_int_equal(nvl_u64map_find(&m, nvl_u64map_pair(5000, 7)), UINT32_MAX);
  nvl_u64map_release(&m);
  assert_int_equal(nvl_u64map_find(&m, 1), UINT32_MAX);
}

static void test_output__file_read_refuses_what_is_not_a_regular_file(void **state) {
  (void)state;
  char *text;
  size_t len;
  nvl_diags diags = NVL_DIAGS_INIT;
  assert_int_equal(nvl_file_read("/tmp", "design", 1 << 20, &text, &len, &diags), -1);
  assert_int_equal(nvl_file_read("/dev/zero", "design", 1 << 20, &text, &len, &diags), -1);
  assert_int_equal(nvl_file_read("/nonexistent/x", "design", 1 << 20, &text, &len, &diags), -1);
  char path[512];
  snprintf(path, sizeof path, "%s/topologies/hgx-h100.json", NVL_SOURCE_DIR);
  assert_int_equal(nvl_file_read(path, "design", 16, &text, &len, &diags), -1); /* too large */
  assert_int_equal(diags.errors, 4);
  assert_int_equal(nvl_file_read(path, "design", 1 << 20, &text, &len, &diags), 0);
  assert_int_equal(strlen(text), len);
  free(text);
  nvl_diags_release(&diags);
}

/* Writes "hello\n" through an output at `path`; the status of open and commit. */
static int write_hello(const char *path) {
  nvl_outfile o;
  nvl_diags d = NVL_DIAGS_INIT;
  int rc = nvl_outfile_open(&o, path, &d);
  if (rc == 0) {
    fputs("hello\n", o.fp);
    rc = nvl_outfile_commit(&o, &d);
  }
  nvl_diags_release(&d);
  return rc;
}

static char *read_all(const char *path) {
  FILE *f = fopen(path, "rb");
  assert_non_null(f);
  fseek(f, 0, SEEK_END); /* nvl_test_slurp reads up to where the file is */
  return nvl_test_slurp(f);
}

static void test_output__outputs_keep_what_the_path_is(void **state) {
  /* a symbolic link (relative, absolute, a chain, dangling) is followed: its target gets the
   * output, the link stays a link; a device or FIFO is written through and stays what it is; a
   * directory is an error; a full device is an error at commit */
  char dir[] = "/tmp/nvl-out-XXXXXX", p[256], q[256];
  assert_non_null(mkdtemp(dir));
  snprintf(p, sizeof p, "%s/target.csv", dir);
  snprintf(q, sizeof q, "%s/rel.csv", dir);
  assert_int_equal(symlink("target.csv", q), 0); /* dangling until written */
  assert_int_equal(write_hello(q), 0);
  struct stat st;
  assert_int_equal(lstat(q, &st), 0);
  assert_true(S_ISLNK(st.st_mode));
  char *t = read_all(p);
  assert_string_equal(t, "hello\n");
  free(t);
  char chain[256];
  snprintf(chain, sizeof chain, "%s/chain.csv", dir);
  assert_int_equal(symlink(q, chain), 0); /* absolute, to the relative one */
  assert_int_equal(write_hello(chain), 0);
  assert_int_equal(lstat(chain, &st), 0);
  assert_true(S_ISLNK(st.st_mode));
  char loop[256];
  snprintf(loop, sizeof loop, "%s/loop.csv", dir);
  assert_int_equal(symlink("loop.csv", loop), 0);
  assert_int_not_equal(write_hello(loop), 0);
  char fifo[256];
  snprintf(fifo, sizeof fifo, "%s/fifo", dir);
  assert_int_equal(mkfifo(fifo, 0600), 0);
  pid_t reader = fork();
  if (reader == 0) {
    FILE *f = fopen(fifo, "rb");
    char buf[64] = {0};
    size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    _exit(n == 6 && strcmp(buf, "hello\n") == 0 ? 0 : 1);
  }
  assert_int_equal(write_hello(fifo), 0);
  int status;
  waitpid(reader, &status, 0);
  assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  assert_int_equal(stat(fifo, &st), 0);
  assert_true(S_ISFIFO(st.st_mode));
  assert_int_equal(write_hello("/dev/null"), 0);
  assert_int_equal(stat("/dev/null", &st), 0);
  assert_true(S_ISCHR(st.st_mode));
  assert_int_not_equal(write_hello("/dev/full"), 0);
  assert_int_not_equal(write_hello(dir), 0);
  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  assert_int_equal(system(cmd), 0);
}

static void test_output__own_descriptors_are_written_through(void **state) {
  /* /dev/fd/N, /proc/self/fd/N (and /dev/stdout): the descriptor's file is written at the
   * descriptor's offset, after what was written there, and is not replaced */
  (void)state;
  char path[] = "/tmp/nvl-fd-XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, "table\n", 6), 6);
  struct stat before, after;
  assert_int_equal(fstat(fd, &before), 0);
  char a[64], b[64];
  snprintf(a, sizeof a, "/dev/fd/%d", fd);
  snprintf(b, sizeof b, "/proc/self/fd/%d", fd);
  assert_int_equal(write_hello(a), 0);
  assert_int_equal(write_hello(b), 0);
  assert_int_equal(write(fd, "end\n", 4), 4);
  close(fd);
  assert_int_equal(stat(path, &after), 0);
  assert_int_equal(before.st_ino, after.st_ino);
  char *t = read_all(path);
  assert_string_equal(t, "table\nhello\nhello\nend\n");
  free(t);
  unlink(path);
  assert_int_not_equal(write_hello("/dev/fd/999999"), 0); /* not open: an error */
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_output__outputs_keep_what_the_path_is),
    cmocka_unit_test(test_output__own_descriptors_are_written_through),
    cmocka_unit_test(test_output__csv_reads_back_field_for_field),
    cmocka_unit_test(test_output__csv_reader_rejects_malformed_quotes),
    cmocka_unit_test(test_output__csv_tables_header_width_and_controls),
    cmocka_unit_test(test_output__figures_below_their_resolution_are_zero),
    cmocka_unit_test(test_output__json_parses_with_nan_as_null),
    cmocka_unit_test(test_output__table_groups_rows_under_one_header),
    cmocka_unit_test(test_output__link_stats_two_rows_per_link),
    cmocka_unit_test(test_output__junit_escapes_and_counts_failures),
    cmocka_unit_test(test_output__junit_names_are_always_utf8),
    cmocka_unit_test(test_output__u64map_keeps_every_key),
    cmocka_unit_test(test_output__file_read_refuses_what_is_not_a_regular_file),
};
NVL_TEST_MAIN(tests)
