/* Shared by the unit tests: cmocka, a main that runs one named case, and small helpers. */
#ifndef NVL_TEST_H
#define NVL_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nvl_ctx.h"

/* Relative closeness: |a - b| <= tol * |b|. */
#define assert_close(a, b, tol)                                                                    \
  do {                                                                                             \
    double a_ = (a), b_ = (b);                                                                     \
    if (!(fabs(a_ - b_) <= (tol)*fabs(b_))) {                                                      \
      print_error("%s = %.12g, expected %.12g (rel. tol %g)\n", #a, a_, b_, (double)(tol));        \
      fail();                                                                                      \
    }                                                                                              \
  } while (0)

/* Everything written so far to a temporary file (tmpfile()), malloc'ed and NUL-terminated; the
 * file is closed. */
static inline char *nvl_test_slurp(FILE *f) {
  long len = ftell(f);
  char *text = calloc((size_t)len + 1, 1);
  rewind(f);
  if (!text || fread(text, 1, (size_t)len, f) != (size_t)len) {
    print_error("cannot read back a temporary file\n");
    fail();
  }
  fclose(f);
  return text;
}

/* Runs all tests, or the one named by argv[1]; a name that matches no test is a failure (so
 * that a ctest entry can never pass by running nothing). */
#define NVL_TEST_MAIN(tests)                                                                       \
  int main(int argc, char **argv) {                                                                \
    if (argc > 1) {                                                                                \
      size_t found = 0;                                                                            \
      for (size_t i = 0; i < sizeof(tests) / sizeof(tests[0]); i++)                                \
        found += strcmp(tests[i].name, argv[1]) == 0;                                              \
      if (found != 1) {                                                                            \
        fprintf(stderr, "no test named %s\n", argv[1]);                                            \
        return 1;                                                                                  \
      }                                                                                            \
      cmocka_set_test_filter(argv[1]);                                                             \
    }                                                                                              \
    return cmocka_run_group_tests(tests, NULL, NULL);                                              \
  }

#endif
