/*
 * chakra_run: see chakra_run.h.
 */
#include "cli/chakra_run.h"

#include "cli/simulate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/exit.h"
#include "cli/cli.h"
#include "engine/engine.h"
#include "output/linkstats.h"
#include "output/npus.h"
#include "workload/chakra.h"
#include "workload/run.h"

static void print_trace_diags(const nvl_diags *diags) {
  for (size_t i = 0; i < diags->count; i++)
    fprintf(stderr, "%s: %s\n", diags->items[i].severity == NVL_SEV_ERROR ? "error" : "warning",
            diags->items[i].message);
}

typedef struct {
  nvl_outfile csv, links;
} outputs;

/* Opened (as temporary files) before the simulation, so that an unwritable path fails at once. */
static int open_outputs(const nvl_chakra_args *a, outputs *o) {
  memset(o, 0, sizeof *o);
  if ((a->csv && nvl_cli_output_open(&o->csv, a->csv, "run") != 0) ||
      (a->link_stats && nvl_cli_output_open(&o->links, a->link_stats, "run") != 0))
    return -1;
  return 0;
}

static int write_outputs(const nvl_chakra_args *a, outputs *o, const nvl_npu_results *r,
                         const nvl_design *d, const int *devs, const nvl_platform *p,
                         const nvl_engine_result *res) {
  bool bad = false;
  if (a->csv)
    bad |= nvl_cli_output_finish(&o->csv, nvl_npu_results_write_csv(r, d, devs, o->csv.fp),
                                 "run") != 0;
  if (a->link_stats)
    bad |=
        nvl_cli_output_finish(&o->links, nvl_linkstats_write_csv(p, res, o->links.fp), "run") != 0;
  return bad ? NVL_EXIT_USAGE : NVL_EXIT_OK;
}

static void print_results(const nvl_chakra_args *a, const nvl_chakra *c, const nvl_ct_map *map,
                          size_t n_ops, const nvl_design *d, const nvl_workload_spec *spec,
                          const nvl_npu_results *r) {
  char l1[1024], l2[256], l3[256];
  snprintf(l1, sizeof l1, "nvlsim: design %s, Chakra trace %s (%zu NPUs, schema %s), model %s",
           d->name, a->prefix, c->n, c->npus[0].version, nvl_model_name(spec->model));
  snprintf(l2, sizeof l2, "%zu operations, %d process groups besides every NPU's, %d transfers",
           n_ops, map->n_groups, map->n_transfers);
  snprintf(l3, sizeof l3,
           "all_gather's comm_size is each NPU's input (ASTRA-sim): nvlsim runs nccl-tests' "
           "S = n x comm_size");
  const char *header[] = {l1, l2, l3, NULL};
  nvl_npu_results_print(r, d, spec->jobs[0].devs, header, stdout);
}

int nvl_chakra_run(const nvl_chakra_args *a, const nvl_design *d, const nvl_platform *p,
                   nvl_workload_spec *spec) {
  nvl_diags diags = NVL_DIAGS_INIT;
  nvl_chakra c = {0};
  nvl_wgraph g = NVL_WGRAPH_INIT;
  nvl_ct_map map = {0};
  nvl_workload_run *wr = NULL;
  nvl_engine_result res = {0};
  nvl_npu_results r = {0};
  int rc = NVL_EXIT_FAIL;
  outputs out;
  if (open_outputs(a, &out) != 0) {
    rc = NVL_EXIT_USAGE;
    goto done;
  }
  if (nvl_chakra_load(a->prefix, (size_t)spec->jobs[0].n, (uint64_t)a->mem_budget, &c, &diags) !=
      0) {
    rc = diags.count && diags.items[0].code == NVL_DIAG_IO ? NVL_EXIT_USAGE : NVL_EXIT_FAIL;
    goto done;
  }
  spec->jobs[0].n = (int)c.n; /* NPU i on the i-th participant */
  c.flops = a->flops;
  if (nvl_chakra_graph(&c, spec, &g, &map, &diags) != 0)
    goto done;
  nvl_chakra_drop_nodes(&c);
  spec->explicit_ranks |= map.n_transfers > 0 || map.n_groups > 0;
  size_t n_ops = g.n_ops;
  wr = nvl_workload_run_graph(spec, d, p, &g);
  if (!wr) {
    nvl_diag_add(&diags, NVL_SEV_ERROR, NVL_DIAG_TRACE, NULL, "internal error: invalid graph");
    goto done;
  }
  nvl_sim_opts so = {.link_stats = a->link_stats != NULL,
                     .verbose = a->verbose,
                     .time_limit_s = a->time_limit_s,
                     .sg_cfg = a->sg_cfg,
                     .dump_platform = a->dump,
                     .progress = isatty(2)};
  if (nvl_simulate_engine(wr, &so, &res, &diags) != 0)
    goto done;
  nvl_npu_results_compute(&map, &res, &r);
  print_results(a, &c, &map, n_ops, d, spec, &r);
  nvl_linkstats_print_busiest(p, &res, stdout);
  fflush(stdout);
  rc = write_outputs(a, &out, &r, d, spec->jobs[0].devs, p, &res);
done:
  nvl_outfile_abort(&out.csv); /* no-ops once committed */
  nvl_outfile_abort(&out.links);
  print_trace_diags(&diags);
  nvl_npu_results_release(&r);
  nvl_engine_result_release(&res);
  nvl_workload_run_free(wr);
  nvl_wgraph_release(&g);
  nvl_ct_map_release(&map);
  nvl_chakra_release(&c);
  nvl_diags_release(&diags);
  return rc;
}
