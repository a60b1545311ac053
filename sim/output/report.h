/*
 * report: the validation report of `validate` in its machine formats: JUnit XML (one test suite
 * per file, one test case per check, a failing check's diagnostics in its failure) and JSON
 * (per file: validity, counts, diagnostics with line/column or JSON pointer, checks).
 */
#ifndef NVL_REPORT_H
#define NVL_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "base/diag.h"
#include "graph/analysis.h"

/* What validating one file found. */
typedef struct {
  const char *file;
  nvl_diags diags;
  nvl_check checks[NVL_CHECK_MAX + 1];
  size_t n_checks;
  bool io_error;
  bool valid;
} nvl_report_file;

void nvl_report_write_junit(const nvl_report_file *files, size_t n, FILE *out);
void nvl_report_write_json(const nvl_report_file *files, size_t n, FILE *out);

#endif
