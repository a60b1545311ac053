/*
 * context: see context.h.
 */
#include "models/context.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/builtin.h"

int nvl_model_ctx_init(nvl_model_ctx *ctx, const nvl_model_sources *src, char *err, size_t len) {
  memset(ctx, 0, sizeof *ctx);
  char e[400];
  const char *cal = src && src->calibration ? src->calibration : nvl_calibration_json;
  size_t cal_len = src && src->calibration ? src->calibration_len : nvl_calibration_json_len;
  if (nvl_calibration_load(&ctx->cal, cal, cal_len, e, sizeof e) != 0) {
    snprintf(err, len, "calibration: %s", e);
    return -1;
  }
  const char *kern = src && src->compute ? src->compute : nvl_compute_json;
  size_t kern_len = src && src->compute ? src->compute_len : nvl_compute_json_len;
  if (nvl_kernel_params_load(&ctx->kern, kern, kern_len, e, sizeof e) != 0) {
    snprintf(err, len, "compute: %s", e);
    return -1;
  }
  ctx->platform_xml = src && src->platform_xml;
  return 0;
}

void nvl_model_ctx_default(nvl_model_ctx *ctx) {
  char err[512];
  if (nvl_model_ctx_init(ctx, NULL, err, sizeof err) != 0) {
    fprintf(stderr, "nvlsim: internal error: built-in %s\n", err);
    abort();
  }
}
