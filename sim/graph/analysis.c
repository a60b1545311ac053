/*
 * analysis: see analysis.h.
 */
#include "graph/analysis.h"

#include <stdio.h>
#include <string.h>

#include "base/units.h"

int nvl_analysis_run(const nvl_design *d, const nvl_graph *g, nvl_analysis *out, nvl_diags *diags) {
  memset(out, 0, sizeof *out);
  size_t n;
  const int *parts = nvl_graph_participants(g, &n);
  out->participants = n;
  out->inject_min_dev = -1;
  for (size_t i = 0; i < n; i++) {
    double bw = nvl_graph_injection_Bps(g, parts[i]);
    if (out->inject_min_dev < 0 || bw < out->inject_min_Bps) {
      out->inject_min_Bps = bw;
      out->inject_min_dev = parts[i];
    }
    if (bw > out->inject_max_Bps)
      out->inject_max_Bps = bw;
    out->fabric_bidir_Bps += 2 * bw;
  }
  if (nvl_graph_hops(g, &out->hops, diags) != 0)
    return -1;
  if (n >= 2) {
    if (nvl_graph_bisection(g, &out->bisection, diags) != 0)
      return -1;
    out->has_bisection = true;
  }
  if (nvl_graph_path_diversity(g, &out->diversity, diags) != 0)
    return -1;
  nvl_analysis_oversubscription(d, &out->oversub);
  return 0;
}

static nvl_check *add_check(nvl_check *checks, size_t *n, const char *name, bool passed) {
  if (*n >= NVL_CHECK_MAX)
    return NULL;
  checks[*n] = (nvl_check){name, true, passed};
  return &checks[(*n)++];
}

size_t nvl_analysis_check(const nvl_design *d, const nvl_analysis *a, nvl_diags *diags,
                          nvl_check *checks) {
  size_t nc = 0;
  const nvl_expect *e = &d->expect;
  char want[48], got[48];

  bool reach_required = !e->has_all_reachable || e->all_reachable;
  bool reach_ok = a->hops.unreachable == 0;
  if (reach_required) {
    add_check(checks, &nc, "all_reachable", reach_ok);
    if (!reach_ok)
      nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_DISCONNECTED,
                   e->has_all_reachable ? "/expect/all_reachable" : "/system",
                   "%s cannot reach %s (%zu of %zu ordered accelerator pairs unreachable)",
                   d->devices[a->hops.first_a].name, d->devices[a->hops.first_b].name,
                   a->hops.unreachable, a->participants * (a->participants - 1));
  }
  if (e->has_no_port_over_budget)
    add_check(checks, &nc, "no_port_over_budget", true); /* the loader enforces budgets */
  if (e->has_max_switch_hops) {
    bool ok = a->hops.max_switch_hops <= e->max_switch_hops;
    add_check(checks, &nc, "max_switch_hops", ok);
    if (!ok)
      nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_EXPECT, "/expect/max_switch_hops",
                   "expected at most %d switch hops between accelerators, found %d",
                   e->max_switch_hops, a->hops.max_switch_hops);
  }
  if (e->has_min_bisection) {
    bool ok = a->has_bisection && a->bisection.bw_Bps >= e->min_bisection_Bps * (1 - 1e-9);
    add_check(checks, &nc, "min_bisection_bandwidth", ok);
    if (!ok) {
      nvl_units_fmt_bw(e->min_bisection_Bps, want, sizeof want);
      nvl_units_fmt_bw(a->bisection.bw_Bps, got, sizeof got);
      nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_EXPECT, "/expect/min_bisection_bandwidth",
                   "expected bisection bandwidth of at least %s per direction, found %s", want,
                   got);
    }
  }
  if (e->has_min_injection) {
    bool ok = a->participants > 0 && a->inject_min_Bps >= e->min_injection_Bps * (1 - 1e-9);
    add_check(checks, &nc, "min_injection_bandwidth", ok);
    if (!ok) {
      nvl_units_fmt_bw(e->min_injection_Bps, want, sizeof want);
      nvl_units_fmt_bw(a->inject_min_Bps, got, sizeof got);
      nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_EXPECT, "/expect/min_injection_bandwidth",
                   "expected injection bandwidth of at least %s per endpoint, %s has %s", want,
                   a->inject_min_dev >= 0 ? d->devices[a->inject_min_dev].name : "(none)", got);
    }
  }
  if (e->has_max_oversubscription) {
    bool ok = a->oversub.ratio <= e->max_oversubscription * (1 + 1e-9);
    add_check(checks, &nc, "max_oversubscription", ok);
    if (!ok) {
      nvl_units_fmt_bw(a->oversub.down_Bps, want, sizeof want);
      nvl_units_fmt_bw(a->oversub.up_Bps, got, sizeof got);
      nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_EXPECT, "/expect/max_oversubscription",
                   "expected oversubscription of at most %g:1, %s is %.3g:1 (%s down, %s up)",
                   e->max_oversubscription, d->devices[a->oversub.dev].name, a->oversub.ratio, want,
                   got);
    }
  }
  if (e->has_min_path_diversity) {
    bool ok = a->diversity.min_paths >= e->min_path_diversity;
    add_check(checks, &nc, "min_path_diversity", ok);
    if (!ok)
      nvl_diag_add(
          diags, NVL_SEV_ERROR, NVL_DIAG_EXPECT, "/expect/min_path_diversity",
          "expected at least %d link-disjoint paths per pair, %s -> %s has %d",
          e->min_path_diversity, a->diversity.a >= 0 ? d->devices[a->diversity.a].name : "?",
          a->diversity.b >= 0 ? d->devices[a->diversity.b].name : "?", a->diversity.min_paths);
  }
  return nc;
}
