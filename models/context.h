/*
 * context: every model parameter a simulation reads, filled once by a command and handed down
 * (spec->ctx) instead of being looked up: NCCL's constants and the collectives' calibration
 * (models/calibration.json), the compute model (models/compute.json), and how the run is to be
 * built (routes through SimGrid's XML). A command fills one from the built-in files, or from the
 * files the environment names for model development (cli/env.c reads the environment, once).
 */
#ifndef NVL_CONTEXT_H
#define NVL_CONTEXT_H

#include <stdbool.h>
#include <stddef.h>

#include "models/calibration.h"
#include "models/kernels.h"

typedef struct {
  nvl_calibration cal;
  nvl_kernel_params kern;
  /* SimGrid reads the routes from an XML platform (NVLSIM_PLATFORM_XML: a check that the
   * platform built through the shim is the one the XML describes); nothing is folded */
  bool platform_xml;
} nvl_model_ctx;

/* What to fill a context from: NULL text means the built-in file. */
typedef struct {
  const char *calibration, *compute; /* JSON text */
  size_t calibration_len, compute_len;
  bool platform_xml;
} nvl_model_sources;

/* Fills ctx. Returns 0, or -1 with "calibration: ..." or "compute: ..." and the first problem in
 * err. */
int nvl_model_ctx_init(nvl_model_ctx *ctx, const nvl_model_sources *src, char *err, size_t len);
/* The built-in context (tests; aborts if the build embedded a broken file). */
void nvl_model_ctx_default(nvl_model_ctx *ctx);

#endif
