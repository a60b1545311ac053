/*
 * rows: the result rows of a simulated workload (output/results.h), one per reporting operation
 * in graph order: nccl-tests' columns (algbw = S / t, busbw = algbw x the collective's factor;
 * patterns: busbw = algbw) and, for traffic patterns, per-flow completion percentiles.
 */
#ifndef NVL_ROWS_H
#define NVL_ROWS_H

#include "engine/engine.h"
#include "output/results.h"
#include "workload/run.h"

/* Appends the rows of `wr` from the engine's result: of the operations that finished, when the
 * simulation stopped before the end. */
void nvl_rows_add(const nvl_workload_run *wr, const nvl_engine_result *res, nvl_results *rows);

#endif
