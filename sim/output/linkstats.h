/*
 * linkstats: what the links carried during a run: the three busiest link directions (bytes
 * carried over bandwidth, the table's footer) and the per-link CSV of --link-stats (bytes, busy
 * time, mean utilisation over the run, peak utilisation, the largest load read at transfer events,
 * engine/linkstats.c).
 */
#ifndef NVL_LINKSTATS_H
#define NVL_LINKSTATS_H

#include <stdio.h>

#include "engine/engine.h"
#include "platform/platform.h"

void nvl_linkstats_print_busiest(const nvl_platform *p, const nvl_engine_result *res, FILE *out);
/* Returns 0, or -1 on a write error. */
int nvl_linkstats_write_csv(const nvl_platform *p, const nvl_engine_result *res, FILE *out);

#endif
