/*
 * simulate: see simulate.h.
 */
#include "cli/simulate.h"

#include <stdlib.h>

#include "engine/engine.h"
#include "output/rows.h"
#include "platform/platform.h"
#include "workload/run.h"

int nvl_simulate(const nvl_design *d, nvl_workload_spec *spec, const nvl_simulate_opts *o,
                 nvl_results *rows, nvl_diags *diags) {
  int rc = -1;
  nvl_platform_opts po = {.model = spec->model, .explicit_planes = o && o->explicit_planes};
  nvl_platform *p = nvl_platform_new(d, &po, diags);
  nvl_workload_run *wr = NULL;
  nvl_engine_result res = {0};
  if (!p || nvl_workload_resolve(spec, d, p, diags) != 0)
    goto cleanup;
  spec->fixed_routes |= getenv("NVLSIM_PLATFORM_XML") != NULL;
  wr = nvl_workload_run_new(spec, d, p);
  nvl_task_graph g;
  nvl_workload_tasks(wr, &g);
  g.sg_cfg = o ? o->sg_cfg : NULL;
  rc = nvl_workload_engine(wr, &g, o && o->forked, &res, diags) != 0 ? -1 : 0;
  if (res.finished)
    nvl_rows_add(wr, &res, rows);
cleanup:
  nvl_engine_result_release(&res);
  nvl_workload_run_free(wr);
  nvl_platform_free(p);
  return rc;
}
