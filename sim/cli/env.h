/*
 * env: the environment nvlsim reads, read once at start (main.c) into the model context that the
 * simulating commands receive. Nothing deeper reads the environment.
 *   NVLSIM_CALIBRATION=FILE   collectives' calibration in models/calibration.json's form
 *   NVLSIM_COMPUTE=FILE       compute model in models/compute.json's form (tools/fit_compute.py)
 *   NVLSIM_PLATFORM_XML=0|1   1: SimGrid loads the platform from its XML, nothing is folded (a
 *                             check that the shim's platform is the XML's)
 * A bad value is a usage error (exit 2) naming the variable.
 */
#ifndef NVL_ENV_H
#define NVL_ENV_H

#include "models/context.h"

/* Fills ctx from the built-in files and the environment. Returns NVL_EXIT_OK, or prints the
 * problem and returns NVL_EXIT_USAGE. */
int nvl_cli_env_context(nvl_model_ctx *ctx);

#endif
