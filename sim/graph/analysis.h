/*
 * analysis: the structural figures of a design (what `info` prints and `expect` asserts) and the
 * graph-level checks of `validate`.
 *
 * Figures are computed once from the topology graph. Bandwidths are per direction unless named
 * "bidir"; the total fabric bandwidth is the sum of every participant's injection bandwidth in
 * both directions (the number NVIDIA quotes as "130 TB/s" for NVL72).
 */
#ifndef NVL_ANALYSIS_H
#define NVL_ANALYSIS_H

#include <stdbool.h>

#include "design/design.h"
#include "base/diag.h"
#include "graph/graph.h"

/* Oversubscription (graph/tiers.c): the largest ratio of a switch's down to up bandwidth over the
 * switches with up links (tiers counted from the endpoints), and that switch; ratio 0 and dev -1
 * in a design of one tier. */
typedef struct {
  double ratio;
  int dev;
  double down_Bps, up_Bps;
} nvl_oversub;
void nvl_analysis_oversubscription(const nvl_design *d, nvl_oversub *out);

typedef struct {
  size_t participants;
  double inject_min_Bps, inject_max_Bps;
  int inject_min_dev;
  double fabric_bidir_Bps;
  nvl_hops hops;
  bool has_bisection;
  nvl_bisection bisection;
  nvl_diversity diversity;
  nvl_oversub oversub;
} nvl_analysis;

/* Computes all figures. Returns 0, or -1 with the igraph failure in diags. */
int nvl_analysis_run(const nvl_design *d, const nvl_graph *g, nvl_analysis *out, nvl_diags *diags);

/* One named check, for JUnit/JSON reports: passed, or failed with the diagnostics it raised. */
typedef struct {
  const char *name;
  bool ran;
  bool passed;
} nvl_check;

#define NVL_CHECK_MAX 8

/* Runs reachability and the expect assertions, appending errors to diags and filling `checks`
 * (at most NVL_CHECK_MAX) with one entry per check run. Returns the number of checks. */
size_t nvl_analysis_check(const nvl_design *d, const nvl_analysis *a, nvl_diags *diags,
                          nvl_check *checks);

#endif
