/*
 * cmd_llm: `nvlsim llm [options] [DESIGN]`: one training, prefill or decode step of an LLM on the
 * design (workload/llm.h), with its breakdown, tokens/s and memory check, and a CSV row.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/xalloc.h"
#include "cli/argvals.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/options.h"
#include "engine/engine.h"
#include "engine/limits.h"
#include "output/linkstats.h"
#include "output/llm.h"
#include "platform/platform.h"
#include "workload/llm.h"
#include "workload/run.h"
#include "workload/workload.h"

typedef struct {
  const char *llm, *csv, *link_stats, *ranks;
  nvl_llm_mode mode;
  int precision; /* nvl_precision, or -1: the model's */
  size_t tp, ep, pp, dp, microbatches, batch, seq, redundant;
  double skew;
  bool sp, verbose;
  int g;
  unsigned long seed;
  nvl_model model;
  double wall_limit_s, mem_limit;
  nvl_cli_failures fail;
  nvl_cli_cfg cfg;
} llm_opts;

static int arg_mode(void *field, const char *v, const char *opt, const char *cmd) {
  if (nvl_llm_mode_parse(v, field) == 0)
    return 0;
  return nvl_cli_usage_error(cmd, "%s: \"%.40s\" is not train, prefill or decode", opt, v);
}

static int arg_precision(void *field, const char *v, const char *opt, const char *cmd) {
  nvl_precision p;
  if (nvl_precision_parse(v, &p) != 0)
    return nvl_cli_usage_error(cmd, "%s: \"%.40s\" is not bf16, fp8 or fp4", opt, v);
  *(int *)field = (int)p;
  return 0;
}

static int arg_skew(void *field, const char *v, const char *opt, const char *cmd) {
  char *end;
  double x = strtod(v, &end);
  if (!*v || *end || !(x >= 0 && x <= 10))
    return nvl_cli_usage_error(cmd, "%s: \"%.40s\" is not a Zipf exponent from 0 to 10", opt, v);
  *(double *)field = x;
  return 0;
}

#define O(kind, s, l, arg, field, help) NVL_OPT_(kind, s, l, arg, llm_opts, field, help)
#define C(s, l, arg, field, fn, help) NVL_OPT_CALL_(s, l, arg, llm_opts, field, fn, help)
static const nvl_option options[] = {
    NVL_OPT_GROUP_("model and step"),
    O(NVL_OPT_STRING, 0, "llm", "MODEL", llm,
      "builtin:llama3.1-70b, builtin:llama3.1-405b, builtin:deepseek-v3\nor a JSON file"),
    C(0, "mode", "MODE", mode, arg_mode, "train (default), prefill or decode"),
    C(0, "precision", "P", precision, arg_precision,
      "bf16, fp8 or fp4 (default: the model's published one)"),
    O(NVL_OPT_COUNT, 0, "batch", "N", batch,
      "sequences per step, whole job (default: train ep x dp x 4pp\n(1 without pp), prefill ep x "
      "dp, "
      "decode 64 x ep x dp)"),
    O(NVL_OPT_COUNT, 0, "seq", "N", seq, "tokens per sequence; decode: the context (default 4096)"),
    O(NVL_OPT_COUNT, 0, "microbatches", "N", microbatches,
      "per data-parallel rank (default: train batch / (ep x dp),\ninference 1, or pp with pp)"),
    NVL_OPT_GROUP_("layout"),
    O(NVL_OPT_COUNT, 0, "tp", "N", tp, "tensor parallel size (default 1)"),
    O(NVL_OPT_COUNT, 0, "ep", "N", ep, "expert parallel size (default 1)"),
    O(NVL_OPT_COUNT, 0, "pp", "N", pp, "pipeline stages (default 1)"),
    O(NVL_OPT_COUNT, 0, "dp", "N", dp,
      "data-parallel replicas of tp x ep x pp ranks (default: the\nranks / (tp x ep x pp))"),
    O(NVL_OPT_FLAG, 0, "sp", NULL, sp, "sequence parallelism (TP reduce_scatter + all_gather)"),
    O(NVL_OPT_COUNT, 0, "redundant-experts", "N", redundant,
      "copies of the hottest experts, so that ep divides experts + N"),
    C(0, "skew", "S", skew, arg_skew, "routing: Zipf exponent over experts (default 0: uniform)"),
    C('g', "ngpus", "N", g, nvl_arg_ranks, "the first N participants (default: all accelerators)"),
    O(NVL_OPT_STRING, 0, "ranks", "LIST", ranks, "participants: gpu, gpu[0:64], asic, ..."),
    C(0, "seed", "N", seed, nvl_arg_seed, "routing's random seed (default 1)"),
    NVL_OPT_GROUP_("fabric model"),
    C(0, "model", "MODEL", model, nvl_arg_model, "default or ideal (as for run)"),
    NVL_OPT_FAILURES_(llm_opts, fail),
    C(0, "cfg", "KEY:VALUE", cfg, nvl_arg_cfg, "a SimGrid option"),
    NVL_OPT_GROUP_("output"),
    O(NVL_OPT_STRING, 0, "csv", "FILE", csv, "one row: the step's figures, written atomically"),
    O(NVL_OPT_STRING, 0, "link-stats", "FILE", link_stats, "per link direction, as for run"),
    O(NVL_OPT_FLAG, 'v', "verbose", NULL, verbose, "SimGrid's own logging"),
    NVL_OPT_GROUP_("limits"),
    O(NVL_OPT_TIME, 0, "time-limit", "TIME", wall_limit_s,
      "stop after this wall-clock time (exit 4)"),
    O(NVL_OPT_MEMORY, 0, "memory-limit", "SIZE", mem_limit,
      "stop when resident memory exceeds SIZE (exit 5)"),
    NVL_OPT_END_};
#undef O
#undef C

const nvl_cmd_doc nvl_doc_llm = {
    "llm", "nvlsim llm --llm MODEL [options] [DESIGN]",
    "Simulates one step of an LLM on the design (default: the built-in GB200 NVL72): training\n"
    "(step time, tokens/s, MFU), prefill (time to first token) or decode (time per output\n"
    "token, tokens/s per replica and for the design, tokens per joule), with its compute and\n"
    "its TP, EP, PP and DP traffic sharing the fabric. Ranks are tp x ep x pp x dp, TP the\n"
    "fastest-varying (Megatron's order); see README, \"LLM steps\".\n",
    options,
    "exit status: 0 done, 1 invalid design or model, a layout that does not fit in memory or a\n"
    "failed simulation, 2 usage or I/O error (a layout the model or job cannot take),\n"
    "3 out of memory, 4 time limit, 5 memory limit\n"};

static int parse_opts(int argc, char **argv, llm_opts *o, const char **file) {
  memset(o, 0, sizeof *o);
  o->precision = -1;
  o->seed = 1;
  o->model = NVL_MODEL_DEFAULT;
  char *operands[1];
  int n = 0, rc;
  if (!nvl_options_accept(&nvl_doc_llm, argc, argv, o, operands, 1, &n, &rc))
    return rc == 0 ? NVL_OPTIONS_HELP : rc;
  *file = n ? operands[0] : NULL;
  if (!o->llm)
    return nvl_cli_usage_error("llm", "--llm MODEL is required (builtin:llama3.1-70b, "
                                      "builtin:llama3.1-405b, builtin:deepseek-v3 or a file)");
  const size_t *counts[] = {&o->tp, &o->ep, &o->pp, &o->dp, &o->microbatches, &o->batch, &o->seq};
  const char *names[] = {"--tp", "--ep", "--pp", "--dp", "--microbatches", "--batch", "--seq"};
  for (int i = 0; i < 7; i++)
    if (*counts[i] > 1000000000)
      return nvl_cli_usage_error("llm", "%s: at most 1000000000", names[i]);
  if (o->redundant > 65536)
    return nvl_cli_usage_error("llm", "--redundant-experts: at most 65536");
  return 0;
}

/* The layout from the flags, with the defaults that depend on the job's n ranks. */
static int make_layout(const llm_opts *o, const nvl_llm *m, int n, nvl_llm_layout *l) {
  memset(l, 0, sizeof *l);
  l->mode = o->mode;
  l->tp = o->tp ? (long)o->tp : 1;
  l->ep = o->ep ? (long)o->ep : 1;
  l->pp = o->pp ? (long)o->pp : 1;
  long tep = l->tp * l->ep * l->pp;
  if (!o->dp && n % tep)
    return nvl_cli_usage_error("llm",
                               "tp %ld x ep %ld x pp %ld = %ld does not divide the job's %d "
                               "ranks (give --dp, -g or --ranks)",
                               l->tp, l->ep, l->pp, tep, n);
  l->dp = o->dp ? (long)o->dp : n / tep;
  l->seq = o->seq ? (long)o->seq : 4096;
  l->precision = o->precision >= 0 ? (nvl_precision)o->precision : m->precision;
  long dpw = l->ep * l->dp;
  bool train = o->mode == NVL_LLM_TRAIN;
  l->batch = o->batch                     ? (long)o->batch
             : train                      ? dpw * (l->pp > 1 ? 4 * l->pp : 1)
             : o->mode == NVL_LLM_PREFILL ? dpw
                                          : 64 * dpw;
  long per_rank = l->batch / dpw > 0 ? l->batch / dpw : 1;
  l->microbatches = o->microbatches                      ? (long)o->microbatches
                    : train                              ? per_rank
                    : l->pp > 1 && per_rank % l->pp == 0 ? l->pp
                                                         : 1;
  l->sp = o->sp;
  l->redundant_experts = (long)o->redundant;
  l->skew = o->skew;
  l->seed = o->seed;
  return 0;
}

typedef struct {
  nvl_design *d;
  nvl_platform *p;
  nvl_workload_spec spec;
  nvl_llm_step st;
  nvl_workload_run *wr;
  nvl_engine_result res;
  nvl_outfile csv, links;
} llm_run;

static int simulate(const llm_opts *o, llm_run *x, const char *label, nvl_llm_result *r) {
  nvl_diags diags = NVL_DIAGS_INIT;
  int rc = NVL_EXIT_FAIL;
  x->wr = nvl_workload_run_graph(&x->spec, x->d, x->p, &x->st.g);
  if (!x->wr) {
    fprintf(stderr, "nvlsim llm: internal error: invalid step graph\n");
    return NVL_EXIT_FAIL;
  }
  nvl_task_graph g;
  nvl_workload_tasks(x->wr, &g);
  g.link_stats = o->link_stats != NULL;
  g.verbose = o->verbose;
  /* events within 1 us merge (SimGrid's surf/precision): a step's all-to-alls of thousands of
   * flows finish in seconds, within 0.5 % of exact; --cfg surf/precision:1e-9 overrides */
  const char *cfg[34] = {"--cfg=surf/precision:1e-6"};
  for (int i = 0; i < o->cfg.n && i < 32; i++)
    cfg[i + 1] = o->cfg.args[i];
  g.sg_cfg = cfg;
  g.progress = isatty(2);
  if (nvl_engine_run(x->p, &g, &x->res, &diags) != 0) {
    nvl_cli_print_diags(&diags, label, stderr);
  } else {
    nvl_llm_result_compute(&x->st, &x->wr->g, &x->spec, x->d, &x->res, r);
    rc = NVL_EXIT_OK;
  }
  nvl_diags_release(&diags);
  return rc;
}

/* Design, platform, the job's ranks, the layout and the step. */
static int prepare(const llm_opts *o, const char *file, const nvl_llm *m, llm_run *x,
                   nvl_llm_layout *lay) {
  nvl_diags diags = NVL_DIAGS_INIT;
  const char *label = file ? file : "builtin:gb200-nvl72";
  nvl_load_opts load = {.failures = o->fail.n ? o->fail.specs : NULL};
  int rc = nvl_cli_load(file, &load, false, &x->d);
  if (rc != NVL_EXIT_OK)
    return rc;
  nvl_platform_opts popts = {.model = o->model};
  x->p = nvl_platform_new(x->d, &popts, &diags);
  x->spec.model = o->model;
  x->spec.seed = o->seed;
  x->spec.one_rank_ok = true;
  x->spec.jobs = nvl_xcalloc(1, sizeof *x->spec.jobs);
  x->spec.n_jobs = 1;
  nvl_job *j = &x->spec.jobs[0];
  snprintf(j->name, sizeof j->name, "llm");
  j->coll = NVL_COLL_SENDRECV;
  j->algo = NVL_ALGO_AUTO;
  j->proto = -1;
  j->n_limit = o->g;
  if (o->ranks)
    snprintf(j->ranks_sel, sizeof j->ranks_sel, "%s", o->ranks);
  rc = NVL_EXIT_FAIL;
  if (!x->p || nvl_workload_resolve(&x->spec, x->d, x->p, &diags) != 0)
    nvl_cli_print_diags(&diags, label, stderr);
  else if ((rc = make_layout(o, m, x->spec.jobs[0].n, lay)) == NVL_EXIT_OK &&
           nvl_llm_step_build(m, lay, x->d, &x->spec, &x->st, &diags) != 0) {
    for (size_t i = 0; i < diags.count; i++)
      fprintf(stderr, "nvlsim llm: %s\n", diags.items[i].message);
    rc = diags.count && diags.items[0].code == NVL_DIAG_LIMIT ? NVL_EXIT_FAIL : NVL_EXIT_USAGE;
  }
  nvl_diags_release(&diags);
  return rc;
}

int nvl_cmd_llm(int argc, char **argv) {
  llm_opts o;
  const char *file;
  int rc = parse_opts(argc, argv, &o, &file);
  if (rc)
    return rc == NVL_OPTIONS_HELP ? NVL_EXIT_OK : rc;
  nvl_limits_set(o.wall_limit_s, o.mem_limit);
  nvl_llm m;
  nvl_diags diags = NVL_DIAGS_INIT;
  if (nvl_llm_load(o.llm, &m, &diags) != 0) {
    nvl_cli_print_diags(&diags, strncmp(o.llm, "builtin:", 8) ? o.llm : NULL, stderr);
    rc = diags.count && diags.items[0].code == NVL_DIAG_IO ? NVL_EXIT_USAGE : NVL_EXIT_FAIL;
    nvl_diags_release(&diags);
    return rc;
  }
  llm_run x;
  memset(&x, 0, sizeof x);
  nvl_llm_layout lay;
  nvl_llm_result r;
  const char *label = file ? file : "builtin:gb200-nvl72";
  if ((o.csv && nvl_cli_output_open(&x.csv, o.csv, "llm") != 0) ||
      (o.link_stats && nvl_cli_output_open(&x.links, o.link_stats, "llm") != 0)) {
    rc = NVL_EXIT_USAGE;
    goto done;
  }
  if ((rc = prepare(&o, file, &m, &x, &lay)) != NVL_EXIT_OK ||
      (rc = simulate(&o, &x, label, &r)) != NVL_EXIT_OK)
    goto done;
  nvl_llm_labels lb = {.design = label, .llm = o.llm, .m = &m, .lay = &lay};
  nvl_llm_result_print(&lb, &x.st, &r, stdout);
  nvl_linkstats_print_busiest(x.p, &x.res, stdout);
  fflush(stdout);
  if (o.csv &&
      nvl_cli_output_finish(&x.csv, nvl_llm_result_write_csv(&lb, &x.st, &r, x.csv.fp), "llm"))
    rc = NVL_EXIT_USAGE;
  if (o.link_stats &&
      nvl_cli_output_finish(&x.links, nvl_linkstats_write_csv(x.p, &x.res, x.links.fp), "llm"))
    rc = NVL_EXIT_USAGE;
done:
  nvl_outfile_abort(&x.csv);
  nvl_outfile_abort(&x.links);
  nvl_workload_run_free(x.wr);
  nvl_engine_result_release(&x.res);
  nvl_llm_step_release(&x.st, x.spec.n_jobs);
  nvl_workload_spec_release(&x.spec);
  nvl_platform_free(x.p);
  nvl_design_free(x.d);
  nvl_diags_release(&diags);
  return rc;
}
