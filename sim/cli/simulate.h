/*
 * simulate: the whole pipeline for one workload on one design, as `run`, `compare`, sweeps and
 * validate-model use it: platform (spec->model), resolution, workload graph, engine, rows.
 */
#ifndef NVL_SIMULATE_H
#define NVL_SIMULATE_H

#include <stdbool.h>

#include "base/diag.h"
#include "design/design.h"
#include "output/results.h"
#include "workload/workload.h"

typedef struct {
  bool forked;          /* run the engine in a child process (the caller may simulate again) */
  bool explicit_planes; /* platform without switch aggregation */
  const char *const *sg_cfg;
} nvl_simulate_opts;

/* Appends the result rows of `spec` on `d`. Returns 0, or -1 with diags set; a simulation that
 * stopped (a deadlock, the simulated-time limit) still appends the rows of the operations that
 * finished. */
int nvl_simulate(const nvl_design *d, nvl_workload_spec *spec, const nvl_simulate_opts *o,
                 nvl_results *rows, nvl_diags *diags);

#endif
