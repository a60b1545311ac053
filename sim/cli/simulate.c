/*
 * simulate: see simulate.h.
 */
#include "cli/simulate.h"

#include <stdlib.h>

#include "output/rows.h"
#include "platform/platform.h"

int nvl_simulate_engine(const nvl_workload_run *wr, const nvl_sim_opts *o, nvl_engine_result *res,
                        nvl_diags *diags) {
  static const nvl_sim_opts none = {0};
  if (!o)
    o = &none;
  nvl_task_graph g;
  nvl_workload_tasks(wr, &g);
  g.link_stats = o->link_stats;
  g.verbose = o->verbose;
  g.progress = o->progress;
  g.time_limit_s = o->time_limit_s;
  g.phase_window = o->phase_window;
  g.phase_min_flows = o->phase_min_flows;
  g.dump_platform = o->dump_platform;
  g.sg_cfg = o->sg_cfg;
  if (o->no_flow_records)
    g.record_flows = false;
  return nvl_workload_engine(wr, &g, o->forked, res, diags);
}

int nvl_simulate(const nvl_design *d, nvl_workload_spec *spec, const nvl_sim_opts *o,
                 nvl_results *rows, nvl_diags *diags) {
  int rc = -1;
  nvl_platform_opts po = {.model = spec->model,
                          .explicit_planes = o && o->explicit_planes,
                          .ecmp = o && o->ecmp,
                          .ecmp_seed = spec->seed};
  nvl_platform *p = nvl_platform_new(d, &po, diags);
  nvl_workload_run *wr = NULL;
  nvl_engine_result res = {0};
  if (!p || nvl_workload_resolve(spec, d, p, diags) != 0)
    goto cleanup;
  wr = nvl_workload_run_new(spec, d, p);
  rc = nvl_simulate_engine(wr, o, &res, diags) != 0 ? -1 : 0;
  if (res.finished)
    nvl_rows_add(wr, &res, rows);
cleanup:
  nvl_engine_result_release(&res);
  nvl_workload_run_free(wr);
  nvl_platform_free(p);
  return rc;
}
