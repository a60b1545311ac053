/*
 * results: result rows of `run`, and their three renderings: the nccl-tests table on stdout,
 * tidy CSV (one row per design x workload x size; units in column names) and JSON. Numbers are
 * printed with fixed formats so that the same input and seed give the same bytes.
 */
#ifndef NVL_RESULTS_H
#define NVL_RESULTS_H

#include <stdint.h>
#include <stdio.h>

typedef struct {
  char design[128];
  char job[64];        /* job name ("" for a single workload) */
  char pair[160];      /* "src->dst" for the pairs pattern, else "" */
  char collective[32]; /* or traffic pattern name */
  char algorithm[16];
  char protocol[8]; /* LL, LL128, Simple; "-" under the ideal model */
  char model[16];
  int ranks;
  uint64_t size_bytes;
  uint64_t count;
  const char *type, *redop;
  int root;
  double time_us, algbw_GBps, busbw_GBps;
  unsigned long seed;
  /* traffic patterns: per-flow completion statistics (NaN when not applicable) */
  double flow_p50_us, flow_p99_us, flow_max_us, flow_bw_p50_GBps;
  /* with injected failures: busbw of the same workload on the intact design (NaN otherwise) */
  double busbw_intact_GBps;
} nvl_result_row;

typedef struct {
  nvl_result_row *rows;
  size_t n, cap;
} nvl_results;

#define NVL_RESULTS_INIT                                                                           \
  { NULL, 0, 0 }

nvl_result_row *nvl_results_add(nvl_results *r);
void nvl_results_release(nvl_results *r);

/* nccl-tests style table. `header` lines are printed first, each prefixed with "# ". */
void nvl_results_print_table(const nvl_results *r, FILE *out);
int nvl_results_write_csv(const nvl_results *r, FILE *out);
/* The CSV header and one row, without line ends (for tables that add columns in front). */
void nvl_results_csv_header(FILE *out);
size_t nvl_results_csv_columns(void);
void nvl_results_csv_row(FILE *out, const nvl_result_row *x);
int nvl_results_write_json(const nvl_results *r, FILE *out);

#endif
