/* JSON pointer assignment used by sweep axes (sim/sweep.c). */
#include "nvl_test.h"
#include "base/json.h"
#include "cli/sweep.h"

static void test_sweep__pointer_set_creates_members(void **state) {
  json_t *doc = json_loads(
      "{\"groups\": {\"rack\": {\"include\": [{\"count\": 1}, {\"count\": 2}]}}}", 0, NULL);
  char err[200];
  json_t *seven = json_integer(7), *bw = json_string("100 GB/s");
  assert_int_equal(
      nvl_json_pointer_set(doc, "/groups/rack/include/1/count", seven, err, sizeof err), 0);
  assert_int_equal(
      json_integer_value(json_object_get(
          json_array_get(
              json_object_get(json_object_get(json_object_get(doc, "groups"), "rack"), "include"),
              1),
          "count")),
      7);
  /* missing object members are created */
  assert_int_equal(nvl_json_pointer_set(doc, "/link_types/nvlink5/bandwidth", bw, err, sizeof err),
                   0);
  assert_string_equal(
      json_string_value(json_object_get(
          json_object_get(json_object_get(doc, "link_types"), "nvlink5"), "bandwidth")),
      "100 GB/s");
  /* RFC 6901 escapes */
  assert_int_equal(nvl_json_pointer_set(doc, "/a~1b/c~0d", json_true(), err, sizeof err), 0);
  assert_true(json_is_true(json_object_get(json_object_get(doc, "a/b"), "c~d")));
  json_decref(seven);
  json_decref(bw);
  json_decref(doc);
}

static void test_sweep__pointer_set_errors(void **state) {
  json_t *doc = json_loads("{\"list\": [1, 2], \"n\": 3}", 0, NULL), *one = json_integer(1);
  char err[200];
  assert_int_equal(nvl_json_pointer_set(doc, "/list/5", one, err, sizeof err), -1);
  assert_string_equal(err, "pointer \"/list/5\": no element \"5\" in an array of 2");
  assert_int_equal(nvl_json_pointer_set(doc, "/n/x", one, err, sizeof err), -1);
  assert_int_equal(nvl_json_pointer_set(doc, "no-slash", one, err, sizeof err), -1);
  assert_string_equal(err, "pointer \"no-slash\" must start with '/'");
  json_decref(one);
  json_decref(doc);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_sweep__pointer_set_creates_members),
    cmocka_unit_test(test_sweep__pointer_set_errors),
};
NVL_TEST_MAIN(tests)
