/*
 * npus: the results of a Chakra trace per NPU (workload/chakra.h): when each NPU's last
 * operation ends, how long it computes (the union of its compute nodes' intervals) and the
 * exposed communication, the rest of its time (finish - compute: waiting for collectives,
 * transfers and other NPUs). The trace's end-to-end time is the last finish.
 */
#ifndef NVL_NPUS_H
#define NVL_NPUS_H

#include <stdio.h>

#include "design/design.h"
#include "engine/engine.h"
#include "workload/chakra.h"
#include "workload/workload.h"

typedef struct {
  size_t n;
  double *finish_s, *compute_s;
  double end_s;
} nvl_npu_results;

void nvl_npu_results_compute(const nvl_ct_map *map, const nvl_engine_result *res,
                             nvl_npu_results *out);
/* The table (NPU i on device devs[i]); `header` lines are printed first, each after "# ". */
void nvl_npu_results_print(const nvl_npu_results *r, const nvl_design *d, const int *devs,
                           const char *const *header, FILE *out);
/* CSV: npu,device,finish_us,compute_us,exposed_comm_us (RFC 4180). Returns 0, or -1 (I/O). */
int nvl_npu_results_write_csv(const nvl_npu_results *r, const nvl_design *d, const int *devs,
                              FILE *out);
void nvl_npu_results_release(nvl_npu_results *r);

#endif
