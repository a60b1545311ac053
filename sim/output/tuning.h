/*
 * tuning: NCCL's predicted-time table of a run's collectives (NCCL_DEBUG_SUBSYS=TUNING's view):
 * for each collective job and operation size, NCCL's model's time of every algorithm and
 * protocol that can run it (models/tuner.h, as tuning.cc computes it), the one that ran marked.
 */
#ifndef NVL_TUNING_H
#define NVL_TUNING_H

#include <stdio.h>

#include "workload/run.h"

/* Prints the table of every collective job of wr as comment lines ("# ..."). */
void nvl_tuning_print(const nvl_workload_run *wr, FILE *out);

#endif
