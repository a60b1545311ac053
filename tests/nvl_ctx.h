/* The built-in model context (models/context.h) for the unit tests and the fuzz targets, filled
 * on first use. */
#ifndef NVL_CTX_TEST_H
#define NVL_CTX_TEST_H

#include "models/context.h"

static inline const nvl_model_ctx *nvl_test_ctx(void) {
  static nvl_model_ctx ctx;
  static int done;
  if (!done) {
    nvl_model_ctx_default(&ctx);
    done = 1;
  }
  return &ctx;
}

#endif
