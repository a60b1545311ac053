/*
 * cmd_run: `nvlsim run [options] [FILE]`: simulate collectives, traffic patterns or a workload
 * file on a design, print the nccl-tests table, and write CSV/JSON/link statistics.
 * Without a FILE and workload flags, runs the default job: the built-in GB200 NVL72 all_reduce
 * sweep 8 B .. 8 GiB.
 */
#include <stdlib.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

#include "base/builtin.h"
#include "base/xalloc.h"
#include "cli/argvals.h"
#include "cli/chakra_run.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/options.h"
#include "cli/simulate.h"
#include "engine/engine.h"
#include "engine/limits.h"
#include "output/linkstats.h"
#include "output/results.h"
#include "output/plot.h"
#include "output/rows.h"
#include "output/tuning.h"
#include "platform/platform.h"
#include "workload/run.h"
#include "workload/workload.h"

typedef struct {
  const char *csv, *json, *link_stats, *dump, *workload, *ranks, *matrix, *chakra, *plot;
  nvl_coll coll;
  nvl_algo algo;
  nvl_pattern pattern;
  uint64_t min_b, max_b, chunk;
  nvl_cli_step step;
  int g, shift, proto;
  nvl_model model;
  unsigned long seed;
  bool verbose, explicit_planes, explicit_ranks, coll_given, ecmp, tuning, collnet;
  double time_limit_s, wall_limit_s, mem_limit, flops;
  size_t max_endpoints;
  nvl_cli_failures fail;
  nvl_cli_cfg cfg;
} run_opts;

/* -c, remembered: a collective and a pattern (-p) are two workloads, not one */
static int arg_coll(void *field, const char *v, const char *opt, const char *cmd) {
  ((run_opts *)((char *)field - offsetof(run_opts, coll)))->coll_given = true;
  return nvl_arg_coll(field, v, opt, cmd);
}

#define O(kind, s, l, arg, field, help) NVL_OPT_(kind, s, l, arg, run_opts, field, help)
#define C(s, l, arg, field, fn, help) NVL_OPT_CALL_(s, l, arg, run_opts, field, fn, help)
static const nvl_option options[] = {
    NVL_OPT_GROUP_("workload"),
    C('c', "collective", "NAME", coll, arg_coll,
      "all_reduce, reduce_scatter, all_gather, broadcast, reduce,\n"
      "alltoall, sendrecv (aliases: allreduce, allgather, ...)"),
    C('p', "pattern", "NAME", pattern, nvl_arg_pattern,
      "pair, bidir, pairs, permutation, uniform, incast, shift, matrix"),
    O(NVL_OPT_BYTES, 'b', "minbytes", "SIZE", min_b,
      "smallest size (default 8 B; nccl-tests K/M/G; 0: count 0)"),
    O(NVL_OPT_BYTES, 'e', "maxbytes", "SIZE", max_b, "largest size (default 8 GiB)"),
    C('f', "stepfactor", "FACTOR", step, nvl_arg_factor, "multiply between sizes (default 2)"),
    C('i', "stepbytes", "SIZE", step, nvl_arg_step_bytes, "add between sizes instead"),
    C('g', "ngpus", "N", g, nvl_arg_gpus, "the first N participants (default: all accelerators)"),
    O(NVL_OPT_STRING, 0, "ranks", "LIST", ranks, "participants: gpu, gpu[0:8], asic, cpu0,gpu0"),
    C(0, "algo", "ALGO", algo, nvl_arg_algo,
      "ring, tree, nvls, nvlstree, p2p, pat, collnet_direct,\ncollnet_chain or auto (default: "
      "NCCL's predicted-time choice)"),
    C(0, "proto", "PROTO", proto, nvl_arg_proto,
      "force NCCL's protocol: LL, LL128, Simple or auto"),
    O(NVL_OPT_FLAG, 0, "collnet", NULL, collnet,
      "CollNet enabled (NCCL_COLLNET_ENABLE=1): where the network's\nswitches reduce (SHARP), "
      "nvls runs across nodes and collnet_direct\nand collnet_chain run"),
    C(0, "shift", "K", shift, nvl_arg_positive, "the shift pattern's distance (default n/2)"),
    O(NVL_OPT_STRING, 0, "matrix", "FILE", matrix, "the matrix pattern's CSV (n x n bytes)"),
    O(NVL_OPT_SIZE, 0, "chunk", "SIZE", chunk,
      "pipeline chunk of chains and trees (ideal model: also NVLS;\n"
      "default 512 KiB; the default model runs NVLS in NCCL's steps)"),
    O(NVL_OPT_STRING, 0, "workload", "FILE", workload, "concurrent jobs from a JSON file"),
    O(NVL_OPT_STRING, 0, "chakra", "PREFIX", chakra,
      "a Chakra execution trace, PREFIX.0.et .. PREFIX.{N-1}.et:\n"
      "NPU i on the i-th participant (--ranks, -g)"),
    C(0, "flops", "RATE", flops, nvl_arg_flops,
      "a trace's compute nodes given as num_ops run at RATE FLOP/s\n(e.g. 1.8e15)"),
    C(0, "seed", "N", seed, nvl_arg_seed, "random seed (echoed in every output; default 1)"),
    NVL_OPT_GROUP_("model"),
    C(0, "model", "MODEL", model, nvl_arg_model,
      "default: NCCL protocols and latencies, calibrated efficiencies;\n"
      "ideal: line rate, link and switch latency only"),
    NVL_OPT_FAILURES_(run_opts, fail),
    O(NVL_OPT_FLAG, 0, "explicit-planes", NULL, explicit_planes,
      "no switch aggregation (verification)"),
    O(NVL_OPT_FLAG, 0, "ecmp", NULL, ecmp,
      "each hop picks one of its equal-cost next switches by a hash of\nthe route's ends and "
      "--seed (ECMP; with --explicit-planes: hash\ncollisions on the spines)"),
    O(NVL_OPT_FLAG, 0, "explicit-ranks", NULL, explicit_ranks,
      "simulate every rank and operation, even where alike ranks\ncould share one lane or alike "
      "jobs fold (verification)"),
    C(0, "cfg", "KEY:VALUE", cfg, nvl_arg_cfg, "a SimGrid option (precision, solver, loopback)"),
    NVL_OPT_GROUP_("output"),
    O(NVL_OPT_STRING, 0, "csv", "FILE", csv, "tidy results (one row per size), written atomically"),
    O(NVL_OPT_FLAG, 0, "tuning", NULL, tuning,
      "also print NCCL's predicted time of every algorithm and\nprotocol per size (NCCL's TUNING "
      "table), the one run marked"),
    O(NVL_OPT_STRING, 0, "json", "FILE", json, "the same as JSON"),
    O(NVL_OPT_STRING, 0, "plot", "OUT", plot,
      "busbw over size, one line per job: OUT.png, .svg or .pdf\n(gnuplot)"),
    O(NVL_OPT_STRING, 0, "link-stats", "FILE", link_stats,
      "per link direction: bytes, busy time, utilization, peak"),
    O(NVL_OPT_STRING, 0, "dump-platform", "FILE", dump,
      "the SimGrid platform XML, which the run then loads"),
    O(NVL_OPT_FLAG, 'v', "verbose", NULL, verbose, "SimGrid's own logging"),
    NVL_OPT_GROUP_("limits"),
    O(NVL_OPT_TIME, 0, "time-limit", "TIME", wall_limit_s,
      "stop after this wall-clock time (exit 4), e.g. 10s"),
    O(NVL_OPT_MEMORY, 0, "memory-limit", "SIZE", mem_limit,
      "stop when resident memory exceeds SIZE (exit 5), e.g. 2GiB"),
    O(NVL_OPT_TIME, 0, "sim-time-limit", "TIME", time_limit_s,
      "stop when the simulated time exceeds TIME (exit 1)"),
    O(NVL_OPT_COUNT, 0, "max-endpoints", "N", max_endpoints,
      "refuse designs with more devices (default 100000)"),
    NVL_OPT_QUIET_,
    NVL_OPT_END_};
#undef O
#undef C

const nvl_cmd_doc nvl_doc_run = {
    "run", "nvlsim run [options] [FILE]",
    "Simulates a collective (nccl-tests flags), a traffic pattern or a workload file on the\n"
    "design (default: the built-in GB200 NVL72 all_reduce sweep 8 B .. 8 GiB). See README.\n"
    "Examples:\n"
    "  nvlsim run builtin:hgx-h100 -c all_reduce -b 1M -e 1G -f 4 --csv ar.csv --plot ar.png\n"
    "  nvlsim run builtin:gb200-nvl72 -c alltoall -b 64M -e 64M --link-stats links.csv\n"
    "  nvlsim run builtin:fusion-gpu-asic -q --algo ring -b 1G -e 1G\n",
    options,
    "exit status: 0 done, 1 invalid design or failed simulation, 2 usage or I/O error,\n"
    "3 out of memory, 4 time limit, 5 memory limit\n"
    "\n"
    "environment: NVLSIM_NO_HUGEPAGES=1 keeps the normal heap (run, sweep, compare and\n"
    "validate-model otherwise restart once with glibc's huge-page heap, see README)\n"};

static int parse_opts(int argc, char **argv, run_opts *o, const char **file) {
  memset(o, 0, sizeof *o);
  o->coll = NVL_COLL_ALL_REDUCE;
  o->algo = NVL_ALGO_AUTO;
  o->min_b = 8;
  o->max_b = 8ull << 30;
  o->step.factor = 2.0;
  o->seed = 1;
  o->model = NVL_MODEL_DEFAULT;
  o->proto = -1;
  char *operands[1];
  int n = 0, rc;
  if (!nvl_options_accept(&nvl_doc_run, argc, argv, o, operands, 1, &n, &rc))
    return rc == 0 ? NVL_OPTIONS_HELP : rc;
  *file = n ? operands[0] : NULL;
  if (o->workload && (o->pattern || o->ranks || o->g || o->coll_given))
    return nvl_cli_usage_error("run", "--workload replaces -c/-p/--ranks/-g");
  if (o->coll_given && o->pattern != NVL_PAT_NONE)
    return nvl_cli_usage_error("run", "-c (a collective) and -p (a traffic pattern) are two "
                                      "workloads: give one");
  if (o->matrix && o->pattern != NVL_PAT_MATRIX && !o->chakra)
    return nvl_cli_usage_error("run", "--matrix is the traffic of -p matrix (give both)");
  if (o->pattern == NVL_PAT_MATRIX && !o->matrix)
    return nvl_cli_usage_error("run", "-p matrix needs --matrix FILE (n x n bytes, row = source)");
  if (o->flops > 0 && !o->chakra)
    return nvl_cli_usage_error("run", "--flops is for traces (--chakra)");
  if (o->chakra && (o->workload || o->pattern || o->matrix || o->json || o->plot))
    return nvl_cli_usage_error("run", "--chakra replaces --workload, -p and --matrix, and "
                                      "writes --csv (per NPU), not --json or --plot");
  if (o->plot && nvl_plot_check(o->plot, "run") != NVL_EXIT_OK)
    return NVL_EXIT_USAGE;
  return 0;
}

/* The spec from the flags (one job) or the workload file. Returns an exit status. */
static int make_spec(const nvl_model_ctx *ctx, const run_opts *o, nvl_workload_spec *spec) {
  char err[256];
  spec->ctx = ctx;
  if (nvl_workload_sizes(o->min_b, o->max_b, o->step.factor, o->step.bytes, &spec->sizes,
                         &spec->n_sizes, err, sizeof err) != 0)
    return nvl_cli_usage_error("run", "%s", err);
  spec->model = o->model;
  spec->seed = o->seed;
  spec->chunk_bytes = o->chunk;
  spec->explicit_ranks = o->explicit_ranks;
  spec->collnet = o->collnet;
  spec->one_rank_ok = true; /* a collective of one rank: nothing crosses the fabric, time 0 */
  spec->fixed_routes = o->dump != NULL;
  if (o->workload) {
    nvl_diags diags = NVL_DIAGS_INIT;
    int rc = NVL_EXIT_OK;
    if (nvl_workload_load_file(o->workload, spec, &diags) != 0) {
      nvl_cli_print_diags(&diags, o->workload, stderr);
      rc = diags.items && diags.items[0].code == NVL_DIAG_IO ? NVL_EXIT_USAGE : NVL_EXIT_FAIL;
    }
    nvl_diags_release(&diags);
    return rc;
  }
  spec->jobs = nvl_xcalloc(1, sizeof *spec->jobs);
  spec->n_jobs = 1;
  nvl_job *j = &spec->jobs[0];
  snprintf(j->name, sizeof j->name, "job0");
  j->coll = o->coll;
  j->algo = o->algo;
  j->pattern = o->pattern;
  j->proto = o->proto;
  j->n_limit = o->g;
  j->shift = o->shift;
  if (o->ranks)
    snprintf(j->ranks_sel, sizeof j->ranks_sel, "%s", o->ranks);
  if (o->matrix)
    snprintf(j->matrix_file, sizeof j->matrix_file, "%s", o->matrix);
  return NVL_EXIT_OK;
}

/* With failures: the same workload on the intact design (kept by the damaged one), in a child
 * process (SimGrid allows one engine per process), to report the busbw lost. Fills `base` (left
 * empty on failure). */
static void run_intact(const run_opts *o, const nvl_design *d, const nvl_workload_spec *spec,
                       nvl_results *base) {
  nvl_diags diags = NVL_DIAGS_INIT;
  nvl_workload_spec s2 = *spec;
  s2.jobs = nvl_xcalloc(spec->n_jobs, sizeof *s2.jobs);
  s2.sizes = nvl_xmalloc(spec->n_sizes * sizeof *s2.sizes + 1);
  memcpy(s2.sizes, spec->sizes, spec->n_sizes * sizeof *s2.sizes);
  for (size_t k = 0; k < spec->n_jobs; k++) {
    s2.jobs[k] = spec->jobs[k];
    s2.jobs[k].devs = NULL;
    s2.jobs[k].matrix = NULL;
  }
  nvl_sim_opts so = {.forked = true,
                     .explicit_planes = o->explicit_planes,
                     .ecmp = o->ecmp,
                     .sg_cfg = o->cfg.args};
  if (nvl_simulate(d->intact, &s2, &so, base, &diags) != 0)
    fprintf(stderr, "nvlsim run: the intact design could not be simulated for comparison%s%s\n",
            diags.count ? ": " : "", diags.count ? diags.items[0].message : "");
  nvl_workload_spec_release(&s2);
  nvl_diags_release(&diags);
}

typedef struct {
  nvl_outfile csv, json, links;
} run_outputs;

/* Outputs are opened (as temporary files) before anything is simulated, so an unwritable path
 * fails at once; they appear under their names only when complete. */
static int open_outputs(const run_opts *o, run_outputs *out) {
  memset(out, 0, sizeof *out);
  if ((o->csv && nvl_cli_output_open(&out->csv, o->csv, "run") != 0) ||
      (o->json && nvl_cli_output_open(&out->json, o->json, "run") != 0) ||
      (o->link_stats && nvl_cli_output_open(&out->links, o->link_stats, "run") != 0))
    return NVL_EXIT_USAGE;
  if (o->dump) {
    nvl_outfile probe;
    if (nvl_cli_output_open(&probe, o->dump, "run") != 0)
      return NVL_EXIT_USAGE;
    nvl_outfile_abort(&probe);
  }
  return NVL_EXIT_OK;
}

static int write_outputs(const run_opts *o, run_outputs *out, const nvl_results *rows,
                         const nvl_platform *p, const nvl_engine_result *res) {
  bool bad = false;
  if (o->csv)
    bad |= nvl_cli_output_finish(&out->csv, nvl_results_write_csv(rows, out->csv.fp), "run") != 0;
  if (o->json)
    bad |=
        nvl_cli_output_finish(&out->json, nvl_results_write_json(rows, out->json.fp), "run") != 0;
  if (o->link_stats)
    bad |= nvl_cli_output_finish(&out->links, nvl_linkstats_write_csv(p, res, out->links.fp),
                                 "run") != 0;
  return bad ? NVL_EXIT_USAGE : NVL_EXIT_OK;
}

static void close_outputs(run_outputs *out) { /* no-ops once committed */
  nvl_outfile_abort(&out->csv);
  nvl_outfile_abort(&out->json);
  nvl_outfile_abort(&out->links);
}

/* The table, with the busbw of the intact design when failures were injected. */
static void print_table(const nvl_design *d, nvl_results *rows, const nvl_results *intact) {
  if (d->n_failures) {
    printf("#\n# failures injected:");
    for (size_t f = 0; f < d->n_failures; f++)
      printf("%s %s", f ? "," : "", d->failures[f].what);
    printf(" (\"intact\" is the same workload without them)\n");
    for (size_t i = 0; i < rows->n && i < intact->n; i++)
      rows->rows[i].busbw_intact_GBps = intact->rows[i].busbw_GBps;
  }
  nvl_results_print_table(rows, stdout);
}

/* Simulates the resolved spec in this process and prints and writes the results. */
static int simulate_here(const run_opts *o, const nvl_design *d, const nvl_platform *p,
                         const nvl_workload_spec *spec, run_outputs *out, const char *label) {
  nvl_results rows = NVL_RESULTS_INIT, intact = NVL_RESULTS_INIT;
  nvl_engine_result res = {0};
  nvl_diags diags = NVL_DIAGS_INIT;
  int rc = NVL_EXIT_FAIL;
  /* with failures, the intact design first: forked before this process starts its own engine */
  if (d->intact)
    run_intact(o, d, spec, &intact);
  nvl_workload_run *wr = nvl_workload_run_new(spec, d, p);
  nvl_sim_opts so = {.link_stats = o->link_stats != NULL,
                     .verbose = o->verbose,
                     .time_limit_s = o->time_limit_s,
                     .sg_cfg = o->cfg.args,
                     .dump_platform = o->dump,
                     /* operations done and simulated time, over itself, on a terminal */
                     .progress = isatty(2)};
  if (nvl_simulate_engine(wr, &so, &res, &diags) != 0) {
    /* the sizes that finished are shown; no output file is written */
    if (res.finished)
      nvl_rows_add(wr, &res, &rows);
    if (rows.n) {
      print_table(d, &rows, &intact);
      printf("# stopped: %zu of the run's results above; the rest did not finish\n", rows.n);
      fflush(stdout);
    }
    nvl_cli_print_diags(&diags, label, stderr);
    goto cleanup;
  }
  nvl_rows_add(wr, &res, &rows);
  if (wr->fold && nvl_fold_kept(wr->fold) == wr->g.n_ops) /* what ran (workload/fold.h) */
    printf("# %zu operations, each simulated as one of its %d alike copies\n", wr->g.n_ops,
           nvl_fold_copies(wr->fold));
  else if (wr->fold) /* --explicit-ranks runs every operation */
    printf("# %zu operations (%zu simulated: %d alike copies folded)\n", wr->g.n_ops,
           nvl_fold_kept(wr->fold), nvl_fold_copies(wr->fold));
  print_table(d, &rows, &intact);
  if (o->tuning)
    nvl_tuning_print(wr, stdout);
  nvl_linkstats_print_busiest(p, &res, stdout);
  fflush(stdout);
  rc = write_outputs(o, out, &rows, p, &res);
  if (rc == NVL_EXIT_OK && o->plot) {
    nvl_plot pl = {.title = d->name};
    rc = nvl_plot_results(&pl, &rows, "") ? nvl_plot_write(&pl, o->plot, "run") : NVL_EXIT_FAIL;
    if (pl.n == NVL_PLOT_MAX_SERIES)
      fprintf(stderr, "nvlsim run: --plot: more than %d jobs to draw\n", NVL_PLOT_MAX_SERIES);
    nvl_plot_release(&pl);
  }
cleanup:
  nvl_workload_run_free(wr);
  nvl_engine_result_release(&res);
  nvl_results_release(&rows);
  nvl_results_release(&intact);
  nvl_diags_release(&diags);
  return rc;
}

int nvl_cmd_run(const nvl_model_ctx *ctx, int argc, char **argv) {
  run_opts o;
  const char *file;
  int rc = parse_opts(argc, argv, &o, &file);
  if (rc)
    return rc == NVL_OPTIONS_HELP ? NVL_EXIT_OK : rc;
  nvl_limits_set(o.wall_limit_s, o.mem_limit);
  nvl_design *d = NULL;
  nvl_platform *p = NULL;
  nvl_workload_spec spec = {0};
  nvl_diags diags = NVL_DIAGS_INIT;
  const char *label = file ? file : NVL_DEFAULT_DESIGN_NAME;
  run_outputs out;
  nvl_load_opts load = {.max_endpoints = o.max_endpoints,
                        .failures = o.fail.n ? o.fail.specs : NULL};
  memset(&out, 0, sizeof out);
  if ((!o.chakra && (rc = open_outputs(&o, &out)) != NVL_EXIT_OK) ||
      (rc = nvl_cli_load(file, &load, false, &d)) != NVL_EXIT_OK ||
      (rc = make_spec(ctx, &o, &spec)) != NVL_EXIT_OK)
    goto cleanup;
  nvl_platform_opts popts = {.model = o.model,
                             .explicit_planes = o.explicit_planes,
                             .ecmp = o.ecmp,
                             .ecmp_seed = spec.seed};
  p = nvl_platform_new(d, &popts, &diags);
  if (!p || nvl_workload_resolve(&spec, d, p, &diags) != 0) {
    nvl_cli_print_diags(&diags, label, stderr);
    /* an unreadable traffic matrix is an I/O error, as any unreadable input */
    rc = diags.errors && diags.items[diags.count - 1].code == NVL_DIAG_IO ? NVL_EXIT_USAGE
                                                                          : NVL_EXIT_FAIL;
    goto cleanup;
  }
  nvl_cli_print_diags(&diags, label, stderr); /* warnings of the selection (-g on mixed types) */
  nvl_diags_release(&diags);
  diags = (nvl_diags)NVL_DIAGS_INIT;
  if (o.chakra) {
    nvl_chakra_args ca = {.prefix = o.chakra,
                          .csv = o.csv,
                          .link_stats = o.link_stats,
                          .dump = o.dump,
                          .sg_cfg = o.cfg.args,
                          .time_limit_s = o.time_limit_s,
                          .flops = o.flops,
                          .mem_budget = o.mem_limit,
                          .verbose = o.verbose};
    rc = nvl_chakra_run(&ca, d, p, &spec);
  } else {
    rc = simulate_here(&o, d, p, &spec, &out, label);
  }
cleanup:
  close_outputs(&out);
  nvl_workload_spec_release(&spec);
  nvl_platform_free(p);
  nvl_design_free(d);
  nvl_diags_release(&diags);
  return rc;
}
