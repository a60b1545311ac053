/*
 * validate_ops: `nvlsim validate-model --ops`: an operation table (models/profile.h) against the
 * kernel model (models/kernels.h) on a design's GPU.
 */
#ifndef NVL_VALIDATE_OPS_H
#define NVL_VALIDATE_OPS_H

#include <stdio.h>

#include "design/design.h"
#include "models/context.h"
#include "models/profile.h"

/* Prints every row of p (named `table`) measured against the mechanism, the model with the row
 * held out and the model, and with out their CSV. Returns NVL_EXIT_OK when every row's model is
 * within tol, NVL_EXIT_FAIL otherwise, NVL_EXIT_USAGE when d has no GPU. */
int nvl_validate_ops(const nvl_model_ctx *ctx, const nvl_design *d, const char *table,
                     const nvl_profile *p, double tol, FILE *out);

#endif
