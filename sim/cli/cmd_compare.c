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
#include "cli/cli.h"
#include "cli/commands.h"
#include "engine/engine.h"
#include "graph/graph.h"
#include "platform/platform.h"
#include "output/results.h"
#include "base/units.h"
#include "cli/simulate.h"
#include "workload/workload.h"

/* "ring, tree, nvls, p2p or auto" */
static const char *algo_names(void) {
  static char names[128];
  nvl_algo_names(", ", names, sizeof names);
  return names;
}

typedef struct {
  nvl_coll coll;
  nvl_algo algo;
  nvl_model model;
  uint64_t min_b, max_b;
  double factor;
  int g;
  const char *ranks;
} cmp_workload;

/* Simulates the workload on one design; fills rows. Returns 0 or -1 (message printed). */
static int simulate(const nvl_design *d, const cmp_workload *cw, nvl_results *rows) {
  nvl_diags diags = NVL_DIAGS_INIT;
  nvl_workload_spec spec = {.model = cw->model, .seed = 1};
  char err[200];
  int rc = -1;
  if (nvl_workload_sizes(cw->min_b, cw->max_b, cw->factor, 0, &spec.sizes, &spec.n_sizes, err,
                         sizeof err) != 0) {
    fprintf(stderr, "nvlsim compare: %s\n", err);
    goto out;
  }
  spec.jobs = calloc(1, sizeof *spec.jobs);
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

int nvl_cmd_compare(int argc, char **argv) {
  const char *files[2] = {NULL, NULL}, *csv_path = NULL;
  int nf = 0;
  cmp_workload cw = {
      NVL_COLL_ALL_REDUCE, NVL_ALGO_AUTO, NVL_MODEL_DEFAULT, 1 << 20, 1ull << 30, 4, 0, NULL};
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    char err[160];
    bool takes = strcmp(a, "-c") == 0 || strcmp(a, "-b") == 0 || strcmp(a, "-e") == 0 ||
                 strcmp(a, "-f") == 0 || strcmp(a, "-g") == 0 || strcmp(a, "--algo") == 0 ||
                 strcmp(a, "--model") == 0 || strcmp(a, "--ranks") == 0 || strcmp(a, "--csv") == 0;
    if (takes && !v)
      return nvl_cli_usage_error("compare", "%s needs a value", a);
    if (strcmp(a, "-c") == 0) {
      if (nvl_coll_parse(v, &cw.coll) != 0)
        return nvl_cli_usage_error("compare", "unknown collective \"%s\"", v);
    } else if (strcmp(a, "-b") == 0 || strcmp(a, "-e") == 0) {
      if (nvl_units_parse_cli_size(v, a[1] == 'b' ? &cw.min_b : &cw.max_b, err, sizeof err) != 0)
        return nvl_cli_usage_error("compare", "%s: %s", a, err);
    } else if (strcmp(a, "-f") == 0) {
      char *end;
      cw.factor = strtod(v, &end);
      if (*end || !(cw.factor > 1))
        return nvl_cli_usage_error("compare", "-f needs a factor > 1");
    } else if (strcmp(a, "-g") == 0) {
      size_t g;
      if (!nvl_cli_parse_size_t("compare", a, v, &g) || g < 2 || g > 1000000)
        return nvl_cli_usage_error("compare", "-g needs at least 2 ranks");
      cw.g = (int)g;
    } else if (strcmp(a, "--algo") == 0) {
      if (nvl_algo_parse(v, &cw.algo) != 0)
        return nvl_cli_usage_error("compare", "--algo must be %s", algo_names());
    } else if (strcmp(a, "--model") == 0) {
      if (strcmp(v, "ideal") && strcmp(v, "default"))
        return nvl_cli_usage_error("compare", "--model must be ideal or default");
      cw.model = strcmp(v, "ideal") == 0 ? NVL_MODEL_IDEAL : NVL_MODEL_DEFAULT;
    } else if (strcmp(a, "--ranks") == 0) {
      cw.ranks = v;
    } else if (strcmp(a, "--csv") == 0) {
      csv_path = v;
    } else if (a[0] == '-' && a[1]) {
      return nvl_cli_usage_error("compare", "unknown option \"%s\"", a);
    } else if (nf == 2) {
      return nvl_cli_usage_error("compare", "two designs, A and B");
    } else {
      files[nf++] = a;
      continue;
    }
    if (takes)
      i++;
  }
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
    nvl_graph *g = nvl_graph_new(d[k]);
    if (nvl_analysis_run(d[k], g, &an[k]) != 0)
      rc = NVL_EXIT_FAIL;
    nvl_graph_free(g);
  }
  if (rc == NVL_EXIT_OK && csv_path && nvl_outfile_open(&out, csv_path, "compare") != 0)
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
  printf("%-30s %14s %14s %9s\n", "#figure", "A", "B", "B/A");
  line(out.fp, "accelerators", 0, (double)an[0].participants, (double)an[1].participants, "");
  line(out.fp, "injection_min_GBps", 0, an[0].inject_min_Bps / 1e9, an[1].inject_min_Bps / 1e9,
       "GB/s per direction");
  line(out.fp, "fabric_bidir_TBps", 0, an[0].fabric_bidir_Bps / 1e12, an[1].fabric_bidir_Bps / 1e12,
       "TB/s");
  line(out.fp, "bisection_TBps", 0, an[0].bisection.bw_Bps / 1e12, an[1].bisection.bw_Bps / 1e12,
       "TB/s per direction");
  line(out.fp, "diameter_switch_hops", 0, an[0].hops.max_switch_hops, an[1].hops.max_switch_hops,
       "");
  line(out.fp, "path_diversity_min", 0, an[0].diversity.min_paths, an[1].diversity.min_paths, "");
  printf("#\n# %s, %s model\n", nvl_coll_name(cw.coll),
         cw.model == NVL_MODEL_IDEAL ? "ideal" : "default");
  printf("#%12s %12s %12s %7s %10s %10s %7s  %s\n", "size (B)", "A time (us)", "B time (us)", "B/A",
         "A busbw", "B busbw", "B/A", "algorithms A / B");
  for (size_t i = 0; i < rows[0].n && i < rows[1].n; i++) {
    const nvl_result_row *a = &rows[0].rows[i], *b = &rows[1].rows[i];
    printf(" %12llu %12.2f %12.2f %7.3f %10.2f %10.2f %7.3f  %s/%s %s/%s\n",
           (unsigned long long)a->size_bytes, a->time_us, b->time_us, b->time_us / a->time_us,
           a->busbw_GBps, b->busbw_GBps, b->busbw_GBps / a->busbw_GBps, a->algorithm, a->protocol,
           b->algorithm, b->protocol);
    if (out.fp) {
      fprintf(out.fp, "time_us,%llu,%.6f,%.6f,%.6f\n", (unsigned long long)a->size_bytes,
              a->time_us, b->time_us, b->time_us / a->time_us);
      fprintf(out.fp, "busbw_GBps,%llu,%.6f,%.6f,%.6f\n", (unsigned long long)a->size_bytes,
              a->busbw_GBps, b->busbw_GBps, b->busbw_GBps / a->busbw_GBps);
    }
  }
  if (out.fp && nvl_outfile_commit(&out, "compare") != 0)
    rc = NVL_EXIT_USAGE;
done:
  nvl_outfile_abort(&out);
  for (int k = 0; k < 2; k++) {
    nvl_results_release(&rows[k]);
    nvl_design_free(d[k]);
  }
  return rc;
}
