/* Unit tests of the quantity parser (sim/units.c). */
#include "nvl_test.h"
#include "base/units.h"

static double ok(const char *s, nvl_qty_kind k) {
  double v = -1;
  char err[160];
  int rc = nvl_units_parse(s, k, &v, err, sizeof err);
  if (rc != 0)
    print_error("\"%s\": %s\n", s, err);
  assert_int_equal(rc, 0);
  return v;
}

static const char *bad(const char *s, nvl_qty_kind k) {
  static char err[160];
  double v;
  assert_int_equal(nvl_units_parse(s, k, &v, err, sizeof err), -1);
  return err;
}

static void test_units__bandwidth_bytes_and_bits(void **state) {
  assert_close(ok("50 GB/s", NVL_QTY_BANDWIDTH), 50e9, 1e-15);
  assert_close(ok("1.8 TB/s", NVL_QTY_BANDWIDTH), 1.8e12, 1e-15);
  assert_close(ok("400 Gb/s", NVL_QTY_BANDWIDTH), 50e9, 1e-15);
  assert_close(ok("50GB/s", NVL_QTY_BANDWIDTH), 50e9, 1e-15);
  assert_close(ok("1 GiB/s", NVL_QTY_BANDWIDTH), 1073741824.0, 1e-15);
  assert_close(ok("2.5e1 GB/s", NVL_QTY_BANDWIDTH), 25e9, 1e-15);
}

static void test_units__time(void **state) {
  assert_close(ok("100 ns", NVL_QTY_TIME), 100e-9, 1e-15);
  assert_close(ok("0.6 us", NVL_QTY_TIME), 0.6e-6, 1e-15);
  assert_close(ok("1.5 ms", NVL_QTY_TIME), 1.5e-3, 1e-15);
  assert_close(ok("2 s", NVL_QTY_TIME), 2.0, 1e-15);
  double v;
  char err[160];
  assert_int_equal(nvl_units_parse_time0("0 ns", &v, err, sizeof err), 0);
  assert_true(v == 0.0);
}

static void test_units__size(void **state) {
  assert_close(ok("64 MiB", NVL_QTY_SIZE), 64.0 * 1048576, 0);
  assert_close(ok("1 GB", NVL_QTY_SIZE), 1e9, 0);
  assert_close(ok("8 B", NVL_QTY_SIZE), 8, 0);
  assert_string_equal(bad("1.5 B", NVL_QTY_SIZE), "size \"1.5 B\" is not a whole number of bytes");
}

static void test_units__rejects_absurd(void **state) {
  assert_string_equal(bad("50", NVL_QTY_BANDWIDTH),
                      "bandwidth \"50\" has no unit; write e.g. \"50 GB/s\" or \"400 Gb/s\"");
  assert_string_equal(bad("50 GB/h", NVL_QTY_BANDWIDTH),
                      "unknown bandwidth unit \"GB/h\" in \"50 GB/h\"");
  assert_string_equal(bad("0 GB/s", NVL_QTY_BANDWIDTH),
                      "bandwidth \"0 GB/s\" must be greater than zero");
  assert_string_equal(bad("-5 ns", NVL_QTY_TIME), "negative time \"-5 ns\"");
  assert_string_equal(bad("NaN GB/s", NVL_QTY_BANDWIDTH),
                      "\"NaN GB/s\" is not a bandwidth; write e.g. \"50 GB/s\" or \"400 Gb/s\"");
  assert_string_equal(bad("inf GB/s", NVL_QTY_BANDWIDTH),
                      "\"inf GB/s\" is not a bandwidth; write e.g. \"50 GB/s\" or \"400 Gb/s\"");
  assert_string_equal(bad("1e400 GB/s", NVL_QTY_BANDWIDTH),
                      "bandwidth \"1e400 GB/s\" is out of range");
  assert_string_equal(bad("0x10 GB/s", NVL_QTY_BANDWIDTH),
                      "unknown bandwidth unit \"x10 GB/s\" in \"0x10 GB/s\"");
  assert_string_equal(bad("", NVL_QTY_TIME), "empty time; write e.g. \"100 ns\" or \"0.6 us\"");
  assert_string_equal(bad("5  ns", NVL_QTY_TIME), "unknown time unit \" ns\" in \"5  ns\"");
  assert_string_equal(bad("5 ns extra", NVL_QTY_TIME),
                      "unknown time unit \"ns extra\" in \"5 ns extra\"");
}

static void test_units__cli_sizes_follow_nccl_tests(void **state) {
  uint64_t v;
  char err[160];
  assert_int_equal(nvl_units_parse_cli_size("8", false, &v, err, sizeof err), 0);
  assert_int_equal(v, 8);
  assert_int_equal(nvl_units_parse_cli_size("64M", false, &v, err, sizeof err), 0);
  assert_int_equal(v, 64ull << 20);
  assert_int_equal(nvl_units_parse_cli_size("8G", false, &v, err, sizeof err), 0);
  assert_int_equal(v, 8ull << 30);
  assert_int_equal(nvl_units_parse_cli_size("1 GB", false, &v, err, sizeof err), 0);
  assert_int_equal(v, 1000000000ull);
  assert_int_equal(nvl_units_parse_cli_size("0", false, &v, err, sizeof err), -1);
  assert_int_equal(nvl_units_parse_cli_size("0 B", false, &v, err, sizeof err), -1);
  /* a message of count 0, as nccl-tests runs it */
  v = 1;
  assert_int_equal(nvl_units_parse_cli_size("0", true, &v, err, sizeof err), 0);
  assert_int_equal(v, 0);
  v = 1;
  assert_int_equal(nvl_units_parse_cli_size("0 B", true, &v, err, sizeof err), 0);
  assert_int_equal(v, 0);
  assert_int_equal(nvl_units_parse_cli_size("-1", true, &v, err, sizeof err), -1);
  assert_int_equal(nvl_units_parse_cli_size("12Q", true, &v, err, sizeof err), -1);
}

/* Plain numbers in tables and options: decimal only, whatever strtod would also take. */
static void test_units__plain_numbers_are_decimal(void **state) {
  (void)state;
  static const char *const good[] = {"8", "0", "-3", "1.5", ".5", "5.", "2e3", "2E-3", "1e+2"};
  static const double want[] = {8, 0, -3, 1.5, 0.5, 5, 2000, 0.002, 100};
  for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
    double v = NAN;
    assert_int_equal(nvl_parse_decimal(good[i], &v), 0);
    assert_true(v == want[i]);
  }
  static const char *const bad[] = {"",    "+8",    " 8", "8 ",  "0x4E20", "0x1p3",
                                    "inf", "nan",   "1e", "e5",  ".",      "1,5",
                                    "--1", "1e999", "8%", "1e-", "1.2.3",  "８"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    double v = 42;
    if (nvl_parse_decimal(bad[i], &v) == 0)
      print_error("\"%s\" taken as %g\n", bad[i], v);
    assert_int_equal(nvl_parse_decimal(bad[i], &v), -1);
  }
  uint64_t u = 0;
  assert_int_equal(nvl_parse_uint("18446744073709551615", &u), 0);
  assert_true(u == UINT64_MAX);
  assert_int_equal(nvl_parse_uint("18446744073709551616", &u), -2);
  assert_int_equal(nvl_parse_uint("99999999999999999999999", &u), -2);
  static const char *const bad_uint[] = {"", "+1", "-1", " 1", "1.0", "0x10", "1e3"};
  for (size_t i = 0; i < sizeof bad_uint / sizeof bad_uint[0]; i++)
    assert_int_equal(nvl_parse_uint(bad_uint[i], &u), -1);
  double f = 0;
  assert_int_equal(nvl_parse_fraction("5%", &f), 0);
  assert_true(fabs(f - 0.05) < 1e-15);
  assert_int_equal(nvl_parse_fraction("0.05", &f), 0);
  assert_true(f == 0.05);
  assert_int_equal(nvl_parse_fraction("+5%", &f), -1);
  assert_int_equal(nvl_parse_fraction("5%%", &f), -1);
  assert_int_equal(nvl_parse_fraction("%", &f), -1);
}

static void test_units__formatting(void **state) {
  char b[48];
  nvl_units_fmt_bw(129.6e12, b, sizeof b);
  assert_string_equal(b, "129.6 TB/s");
  nvl_units_fmt_bw(900e9, b, sizeof b);
  assert_string_equal(b, "900 GB/s");
  nvl_units_fmt_size(1073741824.0, b, sizeof b);
  assert_string_equal(b, "1 GiB");
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_units__bandwidth_bytes_and_bits),
    cmocka_unit_test(test_units__time),
    cmocka_unit_test(test_units__size),
    cmocka_unit_test(test_units__rejects_absurd),
    cmocka_unit_test(test_units__cli_sizes_follow_nccl_tests),
    cmocka_unit_test(test_units__plain_numbers_are_decimal),
    cmocka_unit_test(test_units__formatting),
};
NVL_TEST_MAIN(tests)
