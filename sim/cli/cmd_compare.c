/*
 * cmd_compare: `nvlsim compare A B [workload flags] [--csv OUT]`: the architect's figures and a
 * simulated collective sweep of two designs side by side, with B/A ratios. Each simulation runs in
 * a child process (one SimGrid engine per process).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "models/algorithms.h"
#include "graph/analysis.h"
#include "base/xalloc.h"
#include "cli/argvals.h"
#include "cli/cli.h"
#include "cli/options.h"
#include "cli/commands.h"
#include "engine/engine.h"
#include "graph/graph.h"
#include "platform/platform.h"
#include "output/results.h"
#include "base/units.h"
#include "cli/simulate.h"
#include "workload/workload.h"

typedef struct {
  nvl_coll coll;
  nvl_algo algo;
  nvl_model model;
  uint64_t min_b, max_b;
  nvl_cli_step step;
  int g;
  const char *ranks;
  const char *csv;
} cmp_workload;

#define O(kind, s, l, arg, field, help) NVL_OPT_(kind, s, l, arg, cmp_workload, field, help)
#define C(s, l, arg, field, fn, help) NVL_OPT_CALL_(s, l, arg, cmp_workload, field, fn, help)
static const nvl_option options[] = {
    C('c', "collective", "NAME", coll, nvl_arg_coll, "the collective (default all_reduce)"),
    O(NVL_OPT_SIZE, 'b', "minbytes", "SIZE", min_b, "smallest size (default 1 MiB)"),
    O(NVL_OPT_SIZE, 'e', "maxbytes", "SIZE", max_b, "largest size (default 1 GiB)"),
    C('f', "stepfactor", "FACTOR", step, nvl_arg_factor, "multiply between sizes (default 4)"),
    C('i', "stepbytes", "SIZE", step, nvl_arg_step_bytes, "add between sizes instead"),
    C('g', "ngpus", "N", g, nvl_arg_ranks, "the first N participants (default: all accelerators)"),
    O(NVL_OPT_STRING, 0, "ranks", "LIST", ranks, "participants: gpu, gpu[0:8], asic, cpu0,gpu0"),
    C(0, "algo", "ALGO", algo, nvl_arg_algo, "ring, tree, nvls, p2p or auto (default auto)"),
    C(0, "model", "MODEL", model, nvl_arg_model, "default or ideal (default: default)"),
    O(NVL_OPT_STRING, 0, "csv", "OUT", csv, "metric,size_bytes,a,b,ratio_b_over_a, atomically"),
    NVL_OPT_END_};
#undef O
#undef C

const nvl_cmd_doc nvl_doc_compare = {
    "compare", "nvlsim compare A B [options]",
    "Prints the info figures of A and B (accelerators, injection, fabric, bisection, diameter,\n"
    "path diversity) and, per size of the sweep (default all_reduce 1 MiB .. 1 GiB, factor 4),\n"
    "simulated time and busbw, each with the ratio B/A.\n",
    options, NULL};

/* Simulates the workload on one design; fills rows. Returns 0 or -1 (message printed). */
static int simulate(const nvl_design *d, const cmp_workload *cw, nvl_results *rows) {
  nvl_diags diags = NVL_DIAGS_INIT;
  nvl_workload_spec spec = {.model = cw->model, .seed = 1};
  char err[200];
  int rc = -1;
  if (nvl_workload_sizes(cw->min_b, cw->max_b, cw->step.factor, cw->step.bytes, &spec.sizes,
                         &spec.n_sizes, err, sizeof err) != 0) {
    fprintf(stderr, "nvlsim compare: %s\n", err);
    goto out;
  }
  spec.jobs = nvl_xcalloc(1, sizeof *spec.jobs);
  spec.n_jobs = 1;
  spec.jobs[0] = (nvl_job){.coll = cw->coll, .algo = cw->algo, .proto = -1, .n_limit = cw->g};
  snprintf(spec.jobs[0].name, sizeof spec.jobs[0].name, "job0");
  if (cw->ranks)
    snprintf(spec.jobs[0].ranks_sel, sizeof spec.jobs[0].ranks_sel, "%s", cw->ranks);
  if (nvl_simulate(d, &spec, &(nvl_simulate_opts){.forked = true}, rows, &diags) != 0)
    nvl_cli_print_diags(&diags, d->file, stderr);
  else
    rc = 0;
out:
  nvl_workload_spec_release(&spec);
  nvl_diags_release(&diags);
  return rc;
}

static void line(FILE *csv, const char *metric, uint64_t size, double a, double b,
                 const char *unit) {
  double r = a != 0 ? b / a : NAN;
  printf("%-30s %14.6g %14.6g %9.3f  %s\n", metric, a, b, r, unit);
  if (csv)
    fprintf(csv, "%s,%llu,%.6f,%.6f,%.6f\n", metric, (unsigned long long)size, a, b, r);
}

static void print_figures(FILE *csv, const nvl_analysis *an) {
  printf("%-30s %14s %14s %9s\n", "#figure", "A", "B", "B/A");
  line(csv, "accelerators", 0, (double)an[0].participants, (double)an[1].participants, "");
  line(csv, "injection_min_GBps", 0, an[0].inject_min_Bps / 1e9, an[1].inject_min_Bps / 1e9,
       "GB/s per direction");
  line(csv, "fabric_bidir_TBps", 0, an[0].fabric_bidir_Bps / 1e12, an[1].fabric_bidir_Bps / 1e12,
       "TB/s");
  line(csv, "bisection_TBps", 0, an[0].bisection.bw_Bps / 1e12, an[1].bisection.bw_Bps / 1e12,
       "TB/s per direction");
  line(csv, "diameter_switch_hops", 0, an[0].hops.max_switch_hops, an[1].hops.max_switch_hops, "");
  line(csv, "path_diversity_min", 0, an[0].diversity.min_paths, an[1].diversity.min_paths, "");
}

static void print_sweep(FILE *csv, const cmp_workload *cw, const nvl_results *rows) {
  printf("#\n# %s, %s model\n", nvl_coll_name(cw->coll), nvl_model_name(cw->model));
  printf("#%12s %12s %12s %7s %10s %10s %7s  %s\n", "size (B)", "A time (us)", "B time (us)", "B/A",
         "A busbw", "B busbw", "B/A", "algorithms A / B");
  for (size_t i = 0; i < rows[0].n && i < rows[1].n; i++) {
    const nvl_result_row *a = &rows[0].rows[i], *b = &rows[1].rows[i];
    printf(" %12llu %12.2f %12.2f %7.3f %10.2f %10.2f %7.3f  %s/%s %s/%s\n",
           (unsigned long long)a->size_bytes, a->time_us, b->time_us, b->time_us / a->time_us,
           a->busbw_GBps, b->busbw_GBps, b->busbw_GBps / a->busbw_GBps, a->algorithm, a->protocol,
           b->algorithm, b->protocol);
    if (csv) {
      fprintf(csv, "time_us,%llu,%.6f,%.6f,%.6f\n", (unsigned long long)a->size_bytes, a->time_us,
              b->time_us, b->time_us / a->time_us);
      fprintf(csv, "busbw_GBps,%llu,%.6f,%.6f,%.6f\n", (unsigned long long)a->size_bytes,
              a->busbw_GBps, b->busbw_GBps, b->busbw_GBps / a->busbw_GBps);
    }
  }
}

int nvl_cmd_compare(int argc, char **argv) {
  char *files[2] = {NULL, NULL};
  int nf = 0;
  cmp_workload cw = {NVL_COLL_ALL_REDUCE,
                     NVL_ALGO_AUTO,
                     NVL_MODEL_DEFAULT,
                     1 << 20,
                     1ull << 30,
                     {4, 0},
                     0,
                     NULL,
                     NULL};
  int status;
  if (!nvl_options_accept(&nvl_doc_compare, argc, argv, &cw, files, 2, &nf, &status))
    return status;
  const char *csv_path = cw.csv;
  if (nf != 2)
    return nvl_cli_usage_error("compare",
                               "usage: nvlsim compare A B [-c COLL] [-b MIN -e MAX -f F]");
  nvl_design *d[2] = {NULL, NULL};
  nvl_analysis an[2];
  nvl_results rows[2] = {NVL_RESULTS_INIT, NVL_RESULTS_INIT};
  nvl_outfile out = {0};
  int rc = NVL_EXIT_OK;
  for (int k = 0; k < 2 && rc == NVL_EXIT_OK; k++) {
    rc = nvl_cli_load(files[k], NULL, false, &d[k]);
    if (rc != NVL_EXIT_OK)
      break;
    nvl_diags diags = NVL_DIAGS_INIT;
    nvl_graph *g = nvl_graph_new(d[k], &diags);
    if (!g || nvl_analysis_run(d[k], g, &an[k], &diags) != 0) {
      nvl_cli_print_diags(&diags, files[k], stderr);
      rc = NVL_EXIT_FAIL;
    }
    nvl_graph_free(g);
    nvl_diags_release(&diags);
  }
  if (rc == NVL_EXIT_OK && csv_path && nvl_cli_output_open(&out, csv_path, "compare") != 0)
    rc = NVL_EXIT_USAGE;
  for (int k = 0; k < 2 && rc == NVL_EXIT_OK; k++)
    if (simulate(d[k], &cw, &rows[k]) != 0)
      rc = NVL_EXIT_FAIL;
  if (rc != NVL_EXIT_OK)
    goto done;
  if (out.fp)
    fprintf(out.fp, "metric,size_bytes,a,b,ratio_b_over_a\n");
  printf("# nvlsim compare: A = %s (%s), B = %s (%s)\n", d[0]->name, d[0]->file, d[1]->name,
         d[1]->file);
  print_figures(out.fp, an);
  print_sweep(out.fp, &cw, rows);
  if (out.fp && nvl_cli_output_commit(&out, "compare") != 0)
    rc = NVL_EXIT_USAGE;
done:
  nvl_outfile_abort(&out);
  for (int k = 0; k < 2; k++) {
    nvl_results_release(&rows[k]);
    nvl_design_free(d[k]);
  }
  return rc;
}
