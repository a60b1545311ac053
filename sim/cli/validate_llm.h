/*
 * validate_llm: the LLM-step half of `nvlsim validate-model` (--llm): a table of measured LLM
 * figures (default: the built-in copy of models/measured-llm.csv) against their simulation.
 */
#ifndef NVL_VALIDATE_LLM_H
#define NVL_VALIDATE_LLM_H

#include <stddef.h>
#include <stdio.h>

#include "models/context.h"

/* Checks every row of the table `text` (named csv_in in messages), printing the comparison, and
 * with out the CSV of measured vs simulated. Returns 0 when every row is within tol, 1 when one
 * is not (or the table has no row), 2 on a malformed table. */
int nvl_validate_llm(const nvl_model_ctx *ctx, const char *csv_in, const char *text, size_t len,
                     double tol, FILE *out);
/* Reads the table and every row's ask as nvl_validate_llm does, without a design or a
 * simulation, printing nothing (the fuzz target's entry). Returns the number of rows read whole,
 * or -1 on a malformed table. */
int nvl_validate_llm_read(const char *text, size_t len);

#endif
