/*
 * cmd_llm: `nvlsim llm [options] [DESIGN]`: one training, prefill or decode step of an LLM on the
 * design (workload/llm.h), with its breakdown, tokens/s and memory check, and a CSV row.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/argvals.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/llm_params.h"
#include "cli/llm_sim.h"
#include "cli/options.h"
#include "engine/limits.h"
#include "output/linkstats.h"
#include "output/llm.h"

typedef struct {
  nvl_llm_ask ask;
  const char *csv, *link_stats;
  size_t rank; /* --rank, or SIZE_MAX: the rank whose last operation ends last */
  bool verbose, explicit_ranks;
  nvl_phase_opts phases;
  double wall_limit_s, mem_limit;
  nvl_cli_failures fail;
  nvl_cli_cfg cfg;
} llm_opts;

#define O(kind, s, l, arg, field, help) NVL_OPT_(kind, s, l, arg, llm_opts, field, help)
#define C(s, l, arg, field, fn, help) NVL_OPT_CALL_(s, l, arg, llm_opts, field, fn, help)
static const nvl_option options[] = {
    NVL_OPT_GROUP_("model and step"),
    NVL_OPT_LLM_ASK_(llm_opts, ask) C('g', "ngpus", "N", ask.g, nvl_arg_gpus,
                                      "the first N participants (default: all accelerators)"),
    O(NVL_OPT_STRING, 0, "ranks", "LIST", ask.ranks, "participants: gpu, gpu[0:64], asic, ..."),
    C(0, "seed", "N", ask.seed, nvl_arg_seed, "routing's random seed (default 1)"),
    NVL_OPT_GROUP_("fabric model"),
    C(0, "model", "MODEL", ask.model, nvl_arg_model, "default or ideal (as for run)"),
    NVL_OPT_FAILURES_(llm_opts, fail),
    O(NVL_OPT_FLAG, 0, "explicit-ranks", NULL, explicit_ranks,
      "simulate every operation of every rank: no folding of\nalike groups (verification)"),
    NVL_OPT_PHASES_(llm_opts, phases),
    C(0, "cfg", "KEY:VALUE", cfg, nvl_arg_cfg, "a SimGrid option"),
    NVL_OPT_GROUP_("output"),
    O(NVL_OPT_COUNT, 0, "rank", "N", rank,
      "the breakdown seen from rank N (default: the rank whose\nlast operation ends last)"),
    O(NVL_OPT_STRING, 0, "csv", "FILE", csv, "one row: the step's figures, written atomically"),
    O(NVL_OPT_STRING, 0, "link-stats", "FILE", link_stats, "per link direction, as for run"),
    O(NVL_OPT_FLAG, 'v', "verbose", NULL, verbose, "SimGrid's own logging"),
    NVL_OPT_GROUP_("limits"),
    O(NVL_OPT_TIME, 0, "time-limit", "TIME", wall_limit_s,
      "stop after this wall-clock time (exit 4)"),
    O(NVL_OPT_MEMORY, 0, "memory-limit", "SIZE", mem_limit,
      "stop when resident memory exceeds SIZE (exit 5)"),
    NVL_OPT_QUIET_,
    NVL_OPT_END_};
#undef O
#undef C

const nvl_cmd_doc nvl_doc_llm = {
    "llm", "nvlsim llm --llm MODEL [options] [DESIGN]",
    "Simulates one step of an LLM on the design (default: the built-in GB200 NVL72): training\n"
    "(step time, tokens/s, MFU), prefill (time to first token) or decode (time per output\n"
    "token, tokens/s per replica and for the design, tokens per joule), with its compute and\n"
    "its TP, CP, EP, PP and DP traffic sharing the fabric. Ranks are tp x cp x pp x dp, TP the\n"
    "fastest-varying (Megatron's order), and the experts' etp x ep x edp fold over them; see\n"
    "README, \"LLM steps\".\n"
    "Examples:\n"
    "  nvlsim llm builtin:gb200-nvl72 --llm builtin:llama3.1-70b --mode prefill --tp 8 -g 16\n"
    "  nvlsim llm --llm builtin:deepseek-v3 --mode decode --ep 72 --redundant-experts 32 "
    "--ep-kernel low-latency\n"
    "  nvlsim llm builtin:hgx-h100 --llm builtin:mpt-1b -g 1 --csv one-gpu.csv\n"
    "  nvlsim llm --llm builtin:llama3.1-70b --tp 8 --pp 2 -g 64 --seq 8192 --recompute full\n"
    "  nvlsim llm --llm builtin:deepseek-v3 --mode decode --ep 16 -g 16 --exact-flows\n"
    "  nvlsim llm --llm builtin:qwen3-235b-a22b --mode prefill --tp 4 --ep 8 --etp 2 -g 16\n"
    "  nvlsim llm --llm builtin:llama3.1-8b --cp 4 --tp 2 -g 8 --seq 65536 --batch 1\n"
    "  nvlsim llm --llm builtin:llama3.1-70b --tp 8 --pp 4 --vp 2 -g 64\n",
    options,
    "exit status: 0 done, 1 invalid design or model, a layout that does not fit in memory or a\n"
    "failed simulation, 2 usage or I/O error (a layout the model or job cannot take),\n"
    "3 out of memory, 4 time limit, 5 memory limit\n"};

static int parse_opts(int argc, char **argv, llm_opts *o, const char **file) {
  memset(o, 0, sizeof *o);
  o->ask = (nvl_llm_ask)NVL_LLM_ASK_INIT;
  o->rank = SIZE_MAX;
  char *operands[1];
  int n = 0, rc;
  if (!nvl_options_accept(&nvl_doc_llm, argc, argv, o, operands, 1, &n, &rc))
    return rc == 0 ? NVL_OPTIONS_HELP : rc;
  *file = n ? operands[0] : NULL;
  if (!o->ask.llm)
    return nvl_cli_usage_error("llm", "--llm MODEL is required (builtin:llama3.1-70b, "
                                      "builtin:llama3.1-405b, builtin:deepseek-v3 or a file)");
  char err[120];
  if (nvl_llm_ask_check(&o->ask, err, sizeof err) != 0)
    return nvl_cli_usage_error("llm", "--%s", err);
  return 0;
}

int nvl_cmd_llm(const nvl_model_ctx *ctx, int argc, char **argv) {
  llm_opts o;
  const char *file;
  int rc = parse_opts(argc, argv, &o, &file);
  if (rc)
    return rc == NVL_OPTIONS_HELP ? NVL_EXIT_OK : rc;
  nvl_limits_set(o.wall_limit_s, o.mem_limit);
  nvl_llm m;
  if ((rc = nvl_cli_llm_load(o.ask.llm, &m)) != NVL_EXIT_OK)
    return rc;
  nvl_llm_sim x;
  memset(&x, 0, sizeof x);
  nvl_outfile csv = {0}, links = {0};
  nvl_design *d = NULL;
  nvl_diags diags = NVL_DIAGS_INIT;
  const char *label = file ? file : "builtin:gb200-nvl72";
  if ((o.csv && nvl_cli_output_open(&csv, o.csv, "llm") != 0) ||
      (o.link_stats && nvl_cli_output_open(&links, o.link_stats, "llm") != 0)) {
    rc = NVL_EXIT_USAGE;
    goto done;
  }
  nvl_load_opts load = {.failures = o.fail.n ? o.fail.specs : NULL};
  if ((rc = nvl_cli_load(file, &load, false, &d)) != NVL_EXIT_OK)
    goto done;
  nvl_llm_sim_opts so = {.ctx = ctx,
                         .link_stats = o.link_stats != NULL,
                         .explicit_ranks = o.explicit_ranks,
                         .phases = o.phases,
                         .verbose = o.verbose,
                         .progress = isatty(2),
                         .sg_cfg = o.cfg.args,
                         .rank = o.rank != SIZE_MAX ? &o.rank : NULL};
  if ((rc = nvl_llm_simulate(d, &m, &o.ask, &so, &x, &diags)) != NVL_EXIT_OK) {
    nvl_cli_llm_print_failure(&x, &diags, "llm", label, NULL);
    goto done;
  }
  nvl_cli_llm_print_warnings(&diags, "llm", NULL);
  nvl_llm_labels lb = {.design = label, .llm = o.ask.llm, .m = &m, .lay = &x.lay};
  nvl_llm_result_print(&lb, &x.st, &x.r, stdout);
  nvl_linkstats_print_busiest(x.p, &x.res, stdout);
  fflush(stdout);
  if (o.csv && nvl_cli_output_finish(&csv, nvl_llm_csv_write(&lb, &x.st, &x.r, csv.fp), "llm"))
    rc = NVL_EXIT_USAGE;
  if (o.link_stats &&
      nvl_cli_output_finish(&links, nvl_linkstats_write_csv(x.p, &x.res, links.fp), "llm"))
    rc = NVL_EXIT_USAGE;
done:
  nvl_outfile_abort(&csv);
  nvl_outfile_abort(&links);
  nvl_llm_sim_release(&x);
  nvl_design_free(d);
  nvl_diags_release(&diags);
  return rc;
}
