/*
 * chakra_run: `nvlsim run --chakra PREFIX`: a Chakra trace (workload/chakra.h) on the
 * participants of the design, its per-NPU results (output/npus.h) printed and written.
 */
#ifndef NVL_CHAKRA_RUN_H
#define NVL_CHAKRA_RUN_H

#include <stdbool.h>

#include "design/design.h"
#include "platform/platform.h"
#include "workload/workload.h"

typedef struct {
  const char *prefix;
  const char *csv, *link_stats, *dump; /* outputs (NULL: none) */
  const char *const *sg_cfg;
  double time_limit_s;
  double flops;      /* FLOP/s of compute nodes given as num_ops (0: refused) */
  double mem_budget; /* bytes the trace may take (--memory-limit; 0: the default) */
  bool verbose;
} nvl_chakra_args;

/* Runs the trace on spec's one resolved job (the participants). Returns an exit status. */
int nvl_chakra_run(const nvl_chakra_args *a, const nvl_design *d, const nvl_platform *p,
                   nvl_workload_spec *spec);

#endif
