/*
 * cmd_run: `nvlsim run [options] [FILE]`: simulate collectives, traffic patterns or a workload
 * file on a design, print the nccl-tests table, and write CSV/JSON/link statistics.
 * Without a FILE and workload flags, runs the default job: the built-in GB200 NVL72 all_reduce
 * sweep 8 B .. 8 GiB.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "models/algorithms.h"
#include "base/builtin.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/simulate.h"
#include "engine/cfg.h"
#include "engine/engine.h"
#include "engine/limits.h"
#include "platform/platform.h"
#include "output/results.h"
#include "output/rows.h"
#include "workload/run.h"
#include "base/units.h"
#include "workload/workload.h"

/* "ring, tree, nvls, p2p or auto" */
static const char *algo_names(void) {
  static char names[128];
  nvl_algo_names(", ", names, sizeof names);
  return names;
}

typedef struct {
  const char *sg_cfg[33];
  int n_cfg;
  const char *file, *csv, *json, *link_stats, *dump, *workload, *ranks, *matrix;
  nvl_coll coll;
  nvl_algo algo;
  nvl_pattern pattern;
  uint64_t min_b, max_b, step_b, chunk;
  double factor;
  int g, shift, proto;
  nvl_model model;
  unsigned long seed;
  bool verbose, explicit_planes;
  double time_limit_s, wall_limit_s, mem_limit;
  nvl_load_opts load;
} run_opts;

static const char *need(int argc, char **argv, int *i) {
  if (*i + 1 >= argc) {
    nvl_cli_usage_error("run", "%s needs a value", argv[*i]);
    return NULL;
  }
  return argv[++*i];
}

static int parse_size_opt(const char *opt, const char *v, uint64_t *out) {
  char err[160];
  if (nvl_units_parse_cli_size(v, out, err, sizeof err) != 0)
    return nvl_cli_usage_error("run", "%s: %s", opt, err);
  return 0;
}

static int parse_opts(int argc, char **argv, run_opts *o) {
  memset(o, 0, sizeof *o);
  o->coll = NVL_COLL_ALL_REDUCE;
  o->algo = NVL_ALGO_AUTO;
  o->min_b = 8;
  o->max_b = 8ull << 30;
  o->factor = 2.0;
  o->seed = 1;
  o->model = NVL_MODEL_DEFAULT;
  o->proto = -1;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v;
#define OPT(s) (strcmp(a, s) == 0)
#define VAL()                                                                                      \
  do {                                                                                             \
    if (!(v = need(argc, argv, &i)))                                                               \
      return NVL_EXIT_USAGE;                                                                       \
  } while (0)
    if (OPT("-c") || OPT("--collective")) {
      VAL();
      if (nvl_coll_parse(v, &o->coll) != 0)
        return nvl_cli_usage_error("run",
                                   "unknown collective \"%s\"; expected all_reduce, "
                                   "reduce_scatter, all_gather, broadcast, reduce, alltoall or "
                                   "sendrecv",
                                   v);
    } else if (OPT("-p") || OPT("--pattern")) {
      VAL();
      if (nvl_pattern_parse(v, &o->pattern) != 0)
        return nvl_cli_usage_error("run",
                                   "unknown traffic pattern \"%s\"; expected pair, bidir, "
                                   "pairs, permutation, uniform, incast, shift or matrix",
                                   v);
    } else if (OPT("-b") || OPT("--minbytes")) {
      VAL();
      if (parse_size_opt(a, v, &o->min_b))
        return NVL_EXIT_USAGE;
    } else if (OPT("-e") || OPT("--maxbytes")) {
      VAL();
      if (parse_size_opt(a, v, &o->max_b))
        return NVL_EXIT_USAGE;
    } else if (OPT("-i") || OPT("--stepbytes")) {
      VAL();
      if (parse_size_opt(a, v, &o->step_b))
        return NVL_EXIT_USAGE;
      o->factor = 0;
    } else if (OPT("-f") || OPT("--stepfactor")) {
      VAL();
      char *end;
      o->factor = strtod(v, &end);
      if (*end || !(o->factor > 1.0) || !isfinite(o->factor))
        return nvl_cli_usage_error("run", "-f: factor must be a number greater than 1");
      o->step_b = 0;
    } else if (OPT("-g") || OPT("--ngpus")) {
      VAL();
      size_t g;
      if (!nvl_cli_parse_size_t("run", a, v, &g))
        return NVL_EXIT_USAGE;
      if (g < 2 || g > INT_MAX)
        return nvl_cli_usage_error("run", "-g needs at least 2 ranks");
      o->g = (int)g;
    } else if (OPT("--ranks")) {
      VAL();
      o->ranks = v;
    } else if (OPT("--algo")) {
      VAL();
      if (nvl_algo_parse(v, &o->algo) != 0)
        return nvl_cli_usage_error("run", "--algo must be %s", algo_names());
    } else if (OPT("--proto")) {
      VAL();
      nvl_proto pr;
      if (strcmp(v, "auto") == 0)
        o->proto = -1;
      else if (nvl_proto_parse(v, &pr) == 0)
        o->proto = (int)pr;
      else
        return nvl_cli_usage_error("run", "--proto must be LL, LL128, Simple or auto");
    } else if (OPT("--model")) {
      VAL();
      if (strcmp(v, "ideal") == 0)
        o->model = NVL_MODEL_IDEAL;
      else if (strcmp(v, "default") == 0)
        o->model = NVL_MODEL_DEFAULT;
      else
        return nvl_cli_usage_error("run", "--model must be ideal or default");
    } else if (OPT("--seed")) {
      VAL();
      size_t s;
      if (!nvl_cli_parse_size_t("run", a, v, &s))
        return NVL_EXIT_USAGE;
      o->seed = (unsigned long)s;
    } else if (OPT("--shift")) {
      VAL();
      size_t s;
      if (!nvl_cli_parse_size_t("run", a, v, &s) || s == 0 || s > INT_MAX)
        return nvl_cli_usage_error("run", "--shift needs a positive integer");
      o->shift = (int)s;
    } else if (OPT("--chunk")) {
      VAL();
      if (parse_size_opt(a, v, &o->chunk))
        return NVL_EXIT_USAGE;
    } else if (OPT("--matrix")) {
      VAL();
      o->matrix = v;
    } else if (OPT("--workload")) {
      VAL();
      o->workload = v;
    } else if (OPT("--csv")) {
      VAL();
      o->csv = v;
    } else if (OPT("--json")) {
      VAL();
      o->json = v;
    } else if (OPT("--link-stats")) {
      VAL();
      o->link_stats = v;
    } else if (OPT("--dump-platform")) {
      VAL();
      o->dump = v;
    } else if (OPT("--sim-time-limit")) {
      VAL();
      char err[160];
      if (nvl_units_parse(v, NVL_QTY_TIME, &o->time_limit_s, err, sizeof err) != 0)
        return nvl_cli_usage_error("run", "--sim-time-limit: %s", err);
    } else if (OPT("--time-limit")) {
      VAL();
      char err[160];
      if (nvl_units_parse(v, NVL_QTY_TIME, &o->wall_limit_s, err, sizeof err) != 0)
        return nvl_cli_usage_error("run", "--time-limit: %s", err);
    } else if (OPT("--memory-limit")) {
      VAL();
      char err[160];
      if (nvl_units_parse(v, NVL_QTY_SIZE, &o->mem_limit, err, sizeof err) != 0)
        return nvl_cli_usage_error("run", "--memory-limit: %s", err);
    } else if (OPT("--max-endpoints")) {
      VAL();
      if (!nvl_cli_parse_size_t("run", a, v, &o->load.max_endpoints))
        return NVL_EXIT_USAGE;
    } else if (strncmp(a, "--cfg=", 6) == 0) {
      if (o->n_cfg == 32)
        return nvl_cli_usage_error("run", "at most 32 --cfg options");
      char err[400];
      if (nvl_engine_check_cfg(a, err, sizeof err) != 0)
        return nvl_cli_usage_error("run", "%s", err);
      o->sg_cfg[o->n_cfg++] = a;
    } else if (nvl_cli_failure_option("run", argc, argv, &i, &o->load) != 0) {
      if (!o->load.failures || !o->load.failures[0])
        return NVL_EXIT_USAGE;
      /* consumed --fail/--degrade (a usage error returns above when nothing was stored) */
    } else if (OPT("--explicit-planes")) {
      o->explicit_planes = true;
    } else if (OPT("-v") || OPT("--verbose")) {
      o->verbose = true;
    } else if (a[0] == '-' && a[1]) {
      return nvl_cli_usage_error("run", "unknown option \"%s\"", a);
    } else if (o->file) {
      return nvl_cli_usage_error("run", "one design at a time");
    } else {
      o->file = a;
    }
#undef OPT
#undef VAL
  }
  if (o->workload && (o->pattern || o->ranks || o->g))
    return nvl_cli_usage_error("run", "--workload replaces -c/-p/--ranks/-g");
  return 0;
}

/* With failures: the same workload on the intact design (kept by the damaged one), in a child
 * process (SimGrid allows one engine per process), to report the busbw lost. Fills `base` (left
 * empty on failure). */
static void run_intact(const run_opts *o, const nvl_design *d, const nvl_workload_spec *spec,
                       nvl_results *base) {
  nvl_diags diags = NVL_DIAGS_INIT;
  nvl_workload_spec s2 = *spec;
  s2.jobs = calloc(spec->n_jobs, sizeof *s2.jobs);
  s2.sizes = malloc(spec->n_sizes * sizeof *s2.sizes + 1);
  memcpy(s2.sizes, spec->sizes, spec->n_sizes * sizeof *s2.sizes);
  for (size_t k = 0; k < spec->n_jobs; k++) {
    s2.jobs[k] = spec->jobs[k];
    s2.jobs[k].devs = NULL;
    s2.jobs[k].matrix = NULL;
  }
  nvl_simulate_opts so = {
      .forked = true, .explicit_planes = o->explicit_planes, .sg_cfg = o->sg_cfg};
  if (nvl_simulate(d->intact, &s2, &so, base, &diags) != 0)
    fprintf(stderr, "nvlsim run: the intact design could not be simulated for comparison%s%s\n",
            diags.count ? ": " : "", diags.count ? diags.items[0].message : "");
  nvl_workload_spec_release(&s2);
  nvl_diags_release(&diags);
}

/* The bottleneck summary: the most loaded link directions (bytes / bandwidth). */
static void print_bottlenecks(const nvl_platform *p, const nvl_engine_result *res) {
  size_t nl = res->n_links, top[3] = {0};
  double busy[3] = {-1, -1, -1};
  for (size_t k = 0; k < 2 * nl; k++) {
    const nvl_plink *l = nvl_platform_link(p, (int)(k / 2));
    if (l->fatpipe)
      continue;
    double b = res->link_bytes[k] / l->bw_Bps;
    for (int t = 0; t < 3; t++)
      if (b > busy[t]) {
        for (int u = 2; u > t; u--)
          busy[u] = busy[u - 1], top[u] = top[u - 1];
        busy[t] = b;
        top[t] = k;
        break;
      }
  }
  printf("#\n# busiest link directions (bytes carried / bandwidth, over the whole run):\n");
  for (int t = 0; t < 3 && busy[t] > 0; t++) {
    const nvl_plink *l = nvl_platform_link(p, (int)(top[t] / 2));
    printf("#   %-40s %-4s %12.6f ms busy, %.3g GB carried\n", l->name, top[t] % 2 ? "down" : "up",
           busy[t] * 1e3, res->link_bytes[top[t]] / 1e9);
  }
}

static int write_link_stats(const nvl_platform *p, const nvl_engine_result *res, nvl_outfile *out) {
  nvl_outfile o = *out;
  out->fp = NULL;
  double span = res->end_s > 0 ? res->end_s : 1;
  fprintf(o.fp, "link,kind,direction,physical_links,bandwidth_GBps,bytes,busy_time_us,utilization,"
                "peak_utilization\n");
  for (size_t l = 0; l < res->n_links; l++) {
    const nvl_plink *k = nvl_platform_link(p, (int)l);
    if (k->fatpipe)
      continue;
    for (int dir = 0; dir < 2; dir++) {
      double bytes = res->link_bytes[2 * l + dir];
      double busy = bytes / k->bw_Bps;
      fprintf(o.fp, "%s,%s,%s,%d,%.6f,%.0f,%.6f,%.6f,%.6f\n", k->name, k->kind, dir ? "down" : "up",
              k->physical, k->bw_Bps / 1e9, bytes, busy * 1e6, busy / span,
              res->link_peak_Bps[2 * l + dir] / k->bw_Bps);
    }
  }
  return nvl_outfile_commit(&o, "run");
}

static int write_results(const nvl_results *rows, nvl_outfile *out, bool json) {
  nvl_outfile o = *out;
  out->fp = NULL;
  int rc = json ? nvl_results_write_json(rows, o.fp) : nvl_results_write_csv(rows, o.fp);
  if (rc != 0) {
    nvl_outfile_abort(&o);
    return -1;
  }
  return nvl_outfile_commit(&o, "run");
}

int nvl_cmd_run(int argc, char **argv) {
  run_opts o;
  int rc = parse_opts(argc, argv, &o);
  if (rc != 0)
    return rc;
  nvl_limits_set(o.wall_limit_s, o.mem_limit);
  nvl_design *d = NULL;
  nvl_platform *p = NULL;
  nvl_workload_spec spec = {0};
  nvl_workload_run *wr = NULL;
  nvl_engine_result res = {0};
  nvl_results rows = NVL_RESULTS_INIT, intact_rows = NVL_RESULTS_INIT;
  nvl_diags diags = NVL_DIAGS_INIT;
  const char *label = o.file ? o.file : NVL_DEFAULT_DESIGN_NAME;
  /* outputs are opened (as temporary files) before anything is simulated, so an unwritable path
   * fails at once; they appear under their names only when complete */
  nvl_outfile out_csv = {0}, out_json = {0}, out_links = {0};
  if ((o.csv && nvl_outfile_open(&out_csv, o.csv, "run") != 0) ||
      (o.json && nvl_outfile_open(&out_json, o.json, "run") != 0) ||
      (o.link_stats && nvl_outfile_open(&out_links, o.link_stats, "run") != 0)) {
    rc = NVL_EXIT_USAGE;
    goto out;
  }
  if (o.dump) {
    nvl_outfile probe;
    if (nvl_outfile_open(&probe, o.dump, "run") != 0) {
      rc = NVL_EXIT_USAGE;
      goto out;
    }
    nvl_outfile_abort(&probe);
  }

  rc = nvl_cli_load(o.file, &o.load, false, &d);
  if (rc != NVL_EXIT_OK)
    goto out;
  char err[256];
  if (nvl_workload_sizes(o.min_b, o.max_b, o.factor, o.step_b, &spec.sizes, &spec.n_sizes, err,
                         sizeof err) != 0) {
    rc = nvl_cli_usage_error("run", "%s", err);
    goto out;
  }
  spec.model = o.model;
  spec.seed = o.seed;
  spec.chunk_bytes = o.chunk;
  if (o.workload) {
    if (nvl_workload_load_file(o.workload, &spec, &diags) != 0) {
      nvl_cli_print_diags(&diags, o.workload, stderr);
      rc = diags.items && diags.items[0].code == NVL_DIAG_IO ? NVL_EXIT_USAGE : NVL_EXIT_FAIL;
      goto out;
    }
  } else {
    spec.jobs = calloc(1, sizeof *spec.jobs);
    spec.n_jobs = 1;
    nvl_job *j = &spec.jobs[0];
    snprintf(j->name, sizeof j->name, "job0");
    j->coll = o.coll;
    j->algo = o.algo;
    j->pattern = o.pattern;
    j->proto = o.proto;
    j->n_limit = o.g;
    j->shift = o.shift;
    if (o.ranks)
      snprintf(j->ranks_sel, sizeof j->ranks_sel, "%s", o.ranks);
    if (o.matrix)
      snprintf(j->matrix_file, sizeof j->matrix_file, "%s", o.matrix);
  }
  nvl_platform_opts popts = {.model = o.model, .explicit_planes = o.explicit_planes};
  p = nvl_platform_new(d, &popts, &diags);
  if (!p || nvl_workload_resolve(&spec, d, p, &diags) != 0) {
    nvl_cli_print_diags(&diags, label, stderr);
    rc = NVL_EXIT_FAIL;
    goto out;
  }
  /* with failures, the intact design first: forked before this process starts its own engine */
  if (d->intact)
    run_intact(&o, d, &spec, &intact_rows);
  wr = nvl_workload_run_new(&spec, d, p);
  nvl_task_graph g;
  nvl_workload_tasks(wr, &g);
  g.link_stats = o.link_stats != NULL;
  g.verbose = o.verbose;
  g.time_limit_s = o.time_limit_s;
  g.sg_cfg = o.sg_cfg;
  g.dump_platform = o.dump;
  if (nvl_engine_run(p, &g, &res, &diags) != 0) {
    nvl_cli_print_diags(&diags, label, stderr);
    rc = NVL_EXIT_FAIL;
    goto out;
  }
  nvl_rows_add(wr, &res, &rows);
  if (d->n_failures) {
    printf("#\n# failures injected:");
    for (size_t f = 0; f < d->n_failures; f++)
      printf("%s %s", f ? "," : "", d->failures[f].what);
    printf(" (\"intact\" is the same workload without them)\n");
    for (size_t i = 0; i < rows.n && i < intact_rows.n; i++)
      rows.rows[i].busbw_intact_GBps = intact_rows.rows[i].busbw_GBps;
  }
  nvl_results_print_table(&rows, stdout);
  print_bottlenecks(p, &res);
  fflush(stdout);
  if ((o.csv && write_results(&rows, &out_csv, false) != 0) ||
      (o.json && write_results(&rows, &out_json, true) != 0) ||
      (o.link_stats && write_link_stats(p, &res, &out_links) != 0))
    rc = NVL_EXIT_USAGE;
out:
  nvl_results_release(&intact_rows);
  nvl_outfile_abort(&out_csv); /* no-ops once committed */
  nvl_outfile_abort(&out_json);
  nvl_outfile_abort(&out_links);
  nvl_results_release(&rows);
  nvl_engine_result_release(&res);
  nvl_workload_run_free(wr);
  nvl_workload_spec_release(&spec);
  nvl_platform_free(p);
  nvl_design_free(d);
  nvl_diags_release(&diags);
  return rc;
}
