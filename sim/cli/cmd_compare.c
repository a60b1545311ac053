/*
 * cmd_compare: `nvlsim compare A B [C ...] [workload flags] [--csv OUT]`: the architect's figures
 * and a simulated workload of two or more designs side by side, with ratios to A. The workload is
 * a collective size sweep, or with --llm one LLM step (cli/llm_sim.h). Each simulation runs in a
 * child process (one SimGrid engine per process).
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"
#include "cli/argvals.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "base/csv.h"
#include "cli/llm_params.h"
#include "cli/llm_sim.h"
#include "output/figures.h"
#include "output/plot.h"
#include "cli/options.h"
#include "cli/simulate.h"
#include "graph/analysis.h"
#include "graph/graph.h"
#include "models/algorithms.h"
#include "output/results.h"
#include "workload/workload.h"

#define MAX_DESIGNS 26 /* named A to Z */

typedef struct {
  const nvl_model_ctx *ctx;
  nvl_coll coll;
  nvl_algo algo;
  nvl_model model;
  uint64_t min_b, max_b;
  nvl_cli_step step;
  int g;
  const char *ranks;
  const char *csv, *plot;
  unsigned long seed;
  size_t rank; /* --rank, or SIZE_MAX: each design's rank whose last operation ends last */
  nvl_llm_ask ask;
  bool factory; /* --factory: handed to `nvlsim factory` before parsing (its options then) */
} cmp_workload;

#define O(kind, s, l, arg, field, help) NVL_OPT_(kind, s, l, arg, cmp_workload, field, help)
#define C(s, l, arg, field, fn, help) NVL_OPT_CALL_(s, l, arg, cmp_workload, field, fn, help)
static const nvl_option options[] = {
    NVL_OPT_GROUP_("collective (default)"),
    C('c', "collective", "NAME", coll, nvl_arg_coll, "the collective (default all_reduce)"),
    O(NVL_OPT_BYTES, 'b', "minbytes", "SIZE", min_b, "smallest size (default 1 MiB)"),
    O(NVL_OPT_BYTES, 'e', "maxbytes", "SIZE", max_b, "largest size (default 1 GiB)"),
    C('f', "stepfactor", "FACTOR", step, nvl_arg_factor, "multiply between sizes (default 4)"),
    C('i', "stepbytes", "SIZE", step, nvl_arg_step_bytes, "add between sizes instead"),
    C(0, "algo", "ALGO", algo, nvl_arg_algo,
      "ring, tree, nvls, nvlstree, p2p, pat, collnet_direct,\ncollnet_chain or auto (default "
      "auto)"),
    NVL_OPT_GROUP_("or an LLM step (as nvlsim llm)"),
    NVL_OPT_LLM_ASK_(cmp_workload, ask)
        C(0, "seed", "N", seed, nvl_arg_seed, "routing's random seed (default 1)"),
    O(NVL_OPT_COUNT, 0, "rank", "N", rank,
      "the breakdown seen from rank N on every design (default:\neach design's rank whose last "
      "operation ends last)"),
    NVL_OPT_GROUP_("or the serving frontiers"),
    O(NVL_OPT_FLAG, 0, "factory", NULL, factory,
      "the designs' AI-factory frontiers side by side: the rest of\nthe line is `nvlsim factory`'s "
      "(--llm, --isl, --osl, --gpus,\n--batch, --disagg, --mtp, --csv, --plot, ...)"),
    NVL_OPT_GROUP_("both"),
    C('g', "ngpus", "N", g, nvl_arg_ranks, "the first N participants (default: all accelerators)"),
    O(NVL_OPT_STRING, 0, "ranks", "LIST", ranks, "participants: gpu, gpu[0:8], asic, cpu0,gpu0"),
    C(0, "model", "MODEL", model, nvl_arg_model, "default or ideal (default: default)"),
    O(NVL_OPT_STRING, 0, "csv", "OUT", csv,
      "metric,size_bytes,a,b,...,ratio_b_over_a,..., atomically"),
    O(NVL_OPT_STRING, 0, "plot", "OUT", plot,
      "the sweep's busbw over size, one line per design:\nOUT.png, .svg or .pdf (gnuplot)"),
    NVL_OPT_QUIET_,
    NVL_OPT_END_};
#undef O
#undef C

const nvl_cmd_doc nvl_doc_compare = {
    "compare", "nvlsim compare A B [C ...] [options]",
    "Prints the info figures of the designs (accelerators, injection, fabric, bisection,\n"
    "diameter, path diversity) and a simulated workload on each, with the ratio of every\n"
    "design to A: per size of a collective sweep (default all_reduce 1 MiB .. 1 GiB, factor 4)\n"
    "time and busbw, or with --llm one step's time, tokens/s, tokens per joule, MFU and\n"
    "breakdown. Up to 26 designs.\n"
    "Examples:\n"
    "  nvlsim compare builtin:gb200-nvl72 builtin:fusion-gpu-asic --plot cmp.png --csv cmp.csv\n"
    "  nvlsim plot cmp.csv size_bytes value --series design --where metric=busbw_GBps -o b.png\n"
    "  nvlsim compare builtin:gb200-nvl72 builtin:gb300-nvl72 --llm builtin:llama3.1-70b --mode "
    "prefill --tp 8 -g 16\n",
    options, NULL};

typedef struct {
  int n;
  const char *names[MAX_DESIGNS];   /* the files as given */
  const char *designs[MAX_DESIGNS]; /* their designs' names */
  FILE *csv;
} table;

/* The CSV is long-form, one row per design and figure (design as a column), so that plotting
 * tools take it as it is: design,file,label (A, B, ...),metric,size_bytes,value,ratio_to_a. */
static void csv_header(const table *t) {
  if (t->csv)
    fputs("design,file,label,metric,size_bytes,value,ratio_to_a\n", t->csv);
}

static void col_header(const table *t, const char *first) {
  printf("%-30s", first);
  for (int k = 0; k < t->n; k++)
    printf(" %14c", 'A' + k);
  for (int k = 1; k < t->n; k++)
    printf(" %7c/A", 'A' + k);
  putchar('\n');
}

/* Whether design k's figure has a ratio to A's: A's is a figure at its resolution
 * (output/figures.h) and k's measures the same thing (same: NULL when every design's does). */
static bool has_ratio(const table *t, const double *v, const bool *same, int k) {
  return nvl_fig_ratio_ok(v[0], nvl_fig_top(v, (size_t)t->n)) && (!same || same[k]);
}

/* The CSV record of one figure: an empty ratio where there is none. */
static void csv_only(const table *t, const char *metric, uint64_t size, const double *v,
                     const bool *same) {
  double top = nvl_fig_top(v, (size_t)t->n);
  for (int k = 0; k < t->n; k++) {
    nvl_csv_field(t->csv, t->designs[k]);
    fputc(',', t->csv);
    nvl_csv_field(t->csv, t->names[k]);
    fprintf(t->csv, ",%c,%s,%llu,%.6f,", 'A' + k, metric, (unsigned long long)size,
            nvl_fig_shown(v[k], top));
    if (has_ratio(t, v, same, k))
      fprintf(t->csv, "%.6f", v[k] / v[0]);
    fputc('\n', t->csv);
  }
}

/* One figure of every design, its ratios to A ("-" where there is none: has_ratio), in the
 * table and the CSV; figures at their resolution (output/figures.h). */
static void line(const table *t, const char *metric, uint64_t size, const double *v,
                 const bool *same, const char *unit) {
  double top = nvl_fig_top(v, (size_t)t->n);
  printf("%-30s", metric);
  for (int k = 0; k < t->n; k++)
    printf(" %14.6g", nvl_fig_shown(v[k], top));
  for (int k = 1; k < t->n; k++)
    if (has_ratio(t, v, same, k))
      printf(" %9.3f", v[k] / v[0]);
    else
      printf(" %9s", "-");
  printf("  %s\n", unit);
  if (t->csv)
    csv_only(t, metric, size, v, same);
}

/* Figure i of an analysis (the order of print_figures). */
static double figure(const nvl_analysis *a, int i) {
  switch (i) {
  case 0: return (double)a->participants;
  case 1: return a->inject_min_Bps / 1e9;
  case 2: return a->fabric_bidir_Bps / 1e12;
  case 3: return a->bisection.bw_Bps / 1e12;
  case 4: return a->hops.max_switch_hops;
  default: return a->diversity.min_paths;
  }
}

static void print_figures(const table *t, const nvl_analysis *an) {
  static const char *const names[] = {"accelerators",         "injection_min_GBps",
                                      "fabric_bidir_TBps",    "bisection_TBps",
                                      "diameter_switch_hops", "path_diversity_min"};
  static const char *const units[] = {"", "GB/s per direction", "TB/s", "TB/s per direction", "",
                                      ""};
  col_header(t, "#figure");
  for (int i = 0; i < 6; i++) {
    double v[MAX_DESIGNS];
    for (int k = 0; k < t->n; k++)
      v[k] = figure(&an[k], i);
    line(t, names[i], 0, v, NULL, units[i]);
  }
}

/* Simulates the collective sweep on one design; fills rows. Returns 0 or -1 (message printed). */
static int simulate(const nvl_design *d, const cmp_workload *cw, nvl_results *rows) {
  nvl_diags diags = NVL_DIAGS_INIT;
  nvl_workload_spec spec = {.ctx = cw->ctx, .model = cw->model, .seed = 1};
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
  if (nvl_simulate(d, &spec, &(nvl_sim_opts){.forked = true}, rows, &diags) != 0)
    nvl_cli_print_diags(&diags, d->file, stderr);
  else
    rc = 0;
out:
  nvl_workload_spec_release(&spec);
  nvl_diags_release(&diags);
  return rc;
}

/* Per size: the times, their ratios, the busbws, their ratios, the algorithms. */
static void print_sweep(const table *t, const cmp_workload *cw, const nvl_results *rows) {
  printf("#\n# %s, %s model\n#%12s", nvl_coll_name(cw->coll), nvl_model_name(cw->model),
         "size (B)");
  for (int k = 0; k < t->n; k++)
    printf("  %c time (us)", 'A' + k);
  for (int k = 1; k < t->n; k++)
    printf(" %5c/A", 'A' + k);
  for (int k = 0; k < t->n; k++)
    printf("    %c busbw", 'A' + k);
  for (int k = 1; k < t->n; k++)
    printf(" %5c/A", 'A' + k);
  printf("  algorithms");
  for (int k = 0; k < t->n; k++)
    printf(" %s%c", k ? "/ " : "", 'A' + k);
  putchar('\n');
  size_t n = rows[0].n;
  for (int k = 1; k < t->n; k++)
    n = rows[k].n < n ? rows[k].n : n;
  for (size_t i = 0; i < n; i++) {
    const nvl_result_row *a = &rows[0].rows[i];
    printf(" %12llu", (unsigned long long)a->size_bytes);
    double tm[MAX_DESIGNS], bw[MAX_DESIGNS];
    for (int k = 0; k < t->n; k++)
      tm[k] = rows[k].rows[i].time_us, bw[k] = rows[k].rows[i].busbw_GBps;
    for (int k = 0; k < t->n; k++)
      printf(" %12.2f", tm[k]);
    for (int k = 1; k < t->n; k++) /* no ratio to a figure of 0 (count 0): "-" */
      if (has_ratio(t, tm, NULL, k))
        printf(" %7.3f", tm[k] / tm[0]);
      else
        printf(" %7s", "-");
    for (int k = 0; k < t->n; k++)
      printf(" %10.2f", bw[k]);
    for (int k = 1; k < t->n; k++)
      if (has_ratio(t, bw, NULL, k))
        printf(" %7.3f", bw[k] / bw[0]);
      else
        printf(" %7s", "-");
    putchar(' ');
    for (int k = 0; k < t->n; k++)
      printf(" %s/%s", rows[k].rows[i].algorithm, rows[k].rows[i].protocol);
    putchar('\n');
    if (!t->csv)
      continue;
    csv_only(t, "time_us", a->size_bytes, tm, NULL);
    csv_only(t, "busbw_GBps", a->size_bytes, bw, NULL);
  }
}

/* The LLM step's results on every design. */
typedef struct {
  nvl_llm_result r[MAX_DESIGNS];
  nvl_llm_memory mem[MAX_DESIGNS];
  nvl_llm_layout lay[MAX_DESIGNS]; /* each design's: the defaults depend on its size */
} llm_outcome;

/* The LLM step on every design, each in a child process. Returns an exit status. */
static int simulate_llm(const table *t, cmp_workload *cw, nvl_design **d, llm_outcome *o) {
  nvl_llm m;
  int rc = nvl_cli_llm_load(cw->ask.llm, &m);
  if (rc != NVL_EXIT_OK)
    return rc;
  cw->ask.g = cw->g;
  cw->ask.ranks = cw->ranks;
  cw->ask.model = cw->model;
  cw->ask.seed = cw->seed;
  nvl_llm_result *r = o->r;
  nvl_llm_memory *mem = o->mem;
  for (int k = 0; k < t->n && rc == NVL_EXIT_OK; k++) {
    nvl_llm_sim x;
    nvl_diags diags = NVL_DIAGS_INIT;
    nvl_llm_sim_opts so = {
        .ctx = cw->ctx, .forked = true, .rank = cw->rank != SIZE_MAX ? &cw->rank : NULL};
    rc = nvl_llm_simulate(d[k], &m, &cw->ask, &so, &x, &diags);
    char who[8];
    snprintf(who, sizeof who, "%c", 'A' + k);
    if (rc != NVL_EXIT_OK)
      nvl_cli_llm_print_failure(&x, &diags, "compare", t->names[k], who);
    else
      nvl_cli_llm_print_warnings(&diags, "compare", who);
    r[k] = x.r;
    mem[k] = x.st.mem;
    o->lay[k] = x.lay;
    nvl_llm_sim_release(&x);
    nvl_diags_release(&diags);
  }
  return rc;
}

/* Each design's layout (defaults depend on its size): every numeric LLM parameter's resolved
 * value (cli/llm_params.h), as figures. */
static void print_layouts(const table *t, const llm_outcome *o) {
  col_header(t, "#layout");
  for (size_t i = 0; i < nvl_llm_n_params; i++) {
    const nvl_llm_param *p = &nvl_llm_params[i];
    if (p->json != NVL_LP_INT || !p->show)
      continue;
    double v[MAX_DESIGNS];
    for (int k = 0; k < t->n; k++) {
      char text[64];
      p->show(&o->lay[k], text, sizeof text);
      v[k] = strtod(text, NULL);
    }
    char key[64];
    nvl_llm_param_key(p, key, sizeof key);
    line(t, key, 0, v, NULL,
         strcmp(key, "batch") == 0 ? "sequences"
         : strcmp(key, "seq") == 0 ? "tokens"
                                   : "");
  }
}

static void print_llm(const table *t, const cmp_workload *cw, const llm_outcome *o) {
  const nvl_llm_result *r = o->r;
  const nvl_llm_memory *mem = o->mem;
  /* a step's times compare only between designs that ran the same work: the same tokens */
  bool same[MAX_DESIGNS], all_same = true;
  for (int k = 0; k < t->n; k++) {
    same[k] = o->lay[k].batch == o->lay[0].batch && o->lay[k].seq == o->lay[0].seq;
    all_same = all_same && same[k];
  }
  printf("#\n# %s %s, %s, %s model\n", cw->ask.llm, nvl_llm_mode_name(o->lay[0].mode),
         nvl_precision_name(o->lay[0].precision), nvl_model_name(cw->model));
  print_layouts(t, o);
  if (!all_same)
    printf("# the designs ran different batches: times have no ratio (\"-\") where the work "
           "differs; rates per token, per joule and MFU compare\n");
  bool one = true; /* every breakdown seen from the same rank */
  printf("# breakdown seen from rank");
  for (int k = 0; k < t->n; k++) {
    printf(" %d (%c)%s", r[k].rank, 'A' + k, k + 1 < t->n ? "," : "");
    one &= r[k].rank == r[0].rank;
  }
  printf("%s\n", one ? "" : ": ranks of other stages see other breakdowns; --rank N compares one");
  col_header(t, "#step");
  static const char *const names[] = {
      "step_time_us",     "tokens_per_s", "tokens_per_s_replica", "tokens_per_s_design",
      "tokens_per_joule", "mfu",          "compute_us",           "comm_us",
      "exposed_comm_us",  "bubble_us",    "tp_comm_us",           "ep_comm_us",
      "pp_comm_us",       "dp_comm_us",   "cp_comm_us",           "memory_gb"};
  static const char *const units[] = {"us", "tokens/s", "tokens/s", "tokens/s",   "tokens/J", "",
                                      "us", "us",       "us",       "us",         "us",       "us",
                                      "us", "us",       "us",       "GB per rank"};
  /* rates (tokens/s .. MFU) and memory per rank compare whatever the work; times only for the
   * same work */
  static const bool rate[] = {false, true,  true,  true,  true,  true,  false, false,
                              false, false, false, false, false, false, false, true};
  for (int i = 0; i < 16; i++) {
    double v[MAX_DESIGNS];
    for (int k = 0; k < t->n; k++) {
      const nvl_llm_result *x = &r[k];
      double all[16] = {x->step_s * 1e6,
                        x->tokens_per_s,
                        x->replica_tokens_per_s,
                        x->design_tokens_per_s,
                        x->tokens_per_joule,
                        x->mfu,
                        x->compute_s * 1e6,
                        x->comm_total_s * 1e6,
                        x->exposed_s * 1e6,
                        x->bubble_s * 1e6,
                        x->comm_s[NVL_LD_TP] * 1e6,
                        x->comm_s[NVL_LD_EP] * 1e6,
                        x->comm_s[NVL_LD_PP] * 1e6,
                        x->comm_s[NVL_LD_DP] * 1e6,
                        x->comm_s[NVL_LD_CP] * 1e6,
                        mem[k].total / 1e9};
      v[k] = all[i];
    }
    line(t, names[i], 0, v, rate[i] ? NULL : same, units[i]);
  }
}

/* Loads and analyses every design. Returns an exit status. */
static int load_all(table *t, char **files, nvl_design **d, nvl_analysis *an) {
  for (int k = 0; k < t->n; k++) {
    int rc = nvl_cli_load(files[k], NULL, false, &d[k]);
    if (rc != NVL_EXIT_OK)
      return rc;
    t->names[k] = files[k];
    t->designs[k] = d[k]->name;
    nvl_diags diags = NVL_DIAGS_INIT;
    nvl_graph *g = nvl_graph_new(d[k], &diags);
    if (!g || nvl_analysis_run(d[k], g, &an[k], &diags) != 0) {
      nvl_cli_print_diags(&diags, files[k], stderr);
      rc = NVL_EXIT_FAIL;
    }
    nvl_graph_free(g);
    nvl_diags_release(&diags);
    if (rc != NVL_EXIT_OK)
      return rc;
  }
  return NVL_EXIT_OK;
}

int nvl_cmd_compare(const nvl_model_ctx *ctx, int argc, char **argv) {
  for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
    if (strcmp(argv[i], "--factory") == 0) { /* the serving frontiers: factory's own line */
      char **fa = nvl_xmalloc(((size_t)argc + 1) * sizeof *fa);
      int k = 0;
      fa[k++] = "factory";
      for (int j = 1; j < argc; j++)
        if (j != i)
          fa[k++] = argv[j];
      fa[k] = NULL;
      int rc = nvl_cmd_factory(ctx, k, fa);
      free(fa);
      return rc;
    }
  char *files[MAX_DESIGNS + 1];
  int nf = 0;
  cmp_workload cw = {.ctx = ctx,
                     .coll = NVL_COLL_ALL_REDUCE,
                     .algo = NVL_ALGO_AUTO,
                     .model = NVL_MODEL_DEFAULT,
                     .min_b = 1 << 20,
                     .max_b = 1ull << 30,
                     .step = {.factor = 4},
                     .seed = 1,
                     .rank = SIZE_MAX,
                     .ask = NVL_LLM_ASK_INIT};
  int status;
  if (!nvl_options_accept(&nvl_doc_compare, argc, argv, &cw, files, MAX_DESIGNS, &nf, &status))
    return status;
  if (nf < 2)
    return nvl_cli_usage_error("compare", "usage: nvlsim compare A B [C ...] [-c COLL] [-b MIN -e "
                                          "MAX -f F] or [--llm MODEL ...]");
  if (cw.rank != SIZE_MAX && !cw.ask.llm)
    return nvl_cli_usage_error("compare", "--rank is for an LLM step's breakdown (--llm MODEL)");
  char err[120];
  if (cw.ask.llm && nvl_llm_ask_check(&cw.ask, err, sizeof err) != 0)
    return nvl_cli_usage_error("compare", "--%s", err);
  if (cw.plot && cw.ask.llm)
    return nvl_cli_usage_error("compare", "--plot draws the collective sweep's curves; an LLM "
                                          "step is one point per design (use --csv)");
  if (cw.plot && nvl_plot_check(cw.plot, "compare") != NVL_EXIT_OK)
    return NVL_EXIT_USAGE;
  nvl_design *d[MAX_DESIGNS] = {0};
  nvl_analysis *an = nvl_xcalloc((size_t)nf, sizeof *an);
  nvl_results rows[MAX_DESIGNS];
  for (int k = 0; k < nf; k++)
    rows[k] = (nvl_results)NVL_RESULTS_INIT;
  nvl_outfile out = {0};
  table t = {.n = nf};
  int rc = load_all(&t, files, d, an);
  if (rc == NVL_EXIT_OK && cw.csv && nvl_cli_output_open(&out, cw.csv, "compare") != 0)
    rc = NVL_EXIT_USAGE;
  llm_outcome *lo = cw.ask.llm ? nvl_xcalloc(1, sizeof *lo) : NULL;
  if (rc == NVL_EXIT_OK && lo)
    rc = simulate_llm(&t, &cw, d, lo);
  for (int k = 0; k < nf && rc == NVL_EXIT_OK && !lo; k++)
    if (simulate(d[k], &cw, &rows[k]) != 0)
      rc = NVL_EXIT_FAIL;
  if (rc != NVL_EXIT_OK)
    goto done;
  t.csv = out.fp;
  csv_header(&t);
  printf("# nvlsim compare:");
  for (int k = 0; k < nf; k++)
    printf("%s %c = %s (%s)", k ? "," : "", 'A' + k, d[k]->name, d[k]->file);
  putchar('\n');
  print_figures(&t, an);
  if (lo)
    print_llm(&t, &cw, lo);
  else
    print_sweep(&t, &cw, rows);
  if (rc == NVL_EXIT_OK && out.fp && nvl_cli_output_commit(&out, "compare") != 0)
    rc = NVL_EXIT_USAGE;
  if (rc == NVL_EXIT_OK && cw.plot) { /* one line per design: "A gb200-nvl72", ... */
    nvl_plot pl = {.title = "compare"};
    for (int k = 0; k < nf && rc == NVL_EXIT_OK; k++) {
      char prefix[160];
      snprintf(prefix, sizeof prefix, "%c %.120s ", 'A' + k, d[k]->name);
      if (!nvl_plot_results(&pl, &rows[k], prefix))
        rc = NVL_EXIT_FAIL;
    }
    if (rc == NVL_EXIT_OK)
      rc = nvl_plot_write(&pl, cw.plot, "compare");
    nvl_plot_release(&pl);
  }
done:
  nvl_outfile_abort(&out);
  for (int k = 0; k < nf; k++) {
    nvl_results_release(&rows[k]);
    nvl_design_free(d[k]);
  }
  free(an);
  free(lo);
  return rc;
}
