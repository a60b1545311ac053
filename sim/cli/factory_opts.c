/*
 * factory_opts: see factory_opts.h.
 */
#include "cli/factory_opts.h"

#include <stdlib.h>
#include <string.h>

#include "base/units.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/llm_params.h"
#include "cli/options.h"
#include "output/plot.h"

/* --rate: requests per second, above 0 and at most 1e9. */
static int arg_rate(void *field, const char *v, const char *opt, const char *cmd) {
  double r;
  if (nvl_parse_decimal(v, &r) != 0 || !(r > 0 && r <= 1e9))
    return nvl_cli_usage_error(cmd, "%s %s: requests per second, above 0 and at most 1e9", opt, v);
  *(double *)field = r;
  return 0;
}

/* --rack-overhead: watts, 0 to 1e8. */
static int arg_watts(void *field, const char *v, const char *opt, const char *cmd) {
  double w;
  if (nvl_parse_decimal(v, &w) != 0 || !(w >= 0 && w <= 1e8))
    return nvl_cli_usage_error(cmd, "%s %s: watts from 0 to 1e8, such as 25000", opt, v);
  *(double *)field = w;
  return 0;
}

/* --kv-memory: a share above 0 and at most 1. */
static int arg_share(void *field, const char *v, const char *opt, const char *cmd) {
  double r;
  if (nvl_parse_decimal(v, &r) != 0 || !(r > 0 && r <= 1))
    return nvl_cli_usage_error(cmd, "%s %s: a share of HBM above 0 and at most 1, such as 0.9", opt,
                               v);
  *(double *)field = r;
  return 0;
}

#define O(kind, s, l, arg, field, help) NVL_OPT_(kind, s, l, arg, nvl_factory_opts, field, help)
#define C(s, l, arg, field, fn, help) NVL_OPT_CALL_(s, l, arg, nvl_factory_opts, field, fn, help)
static const nvl_option options[] = {
    NVL_OPT_GROUP_("model and requests"),
    O(NVL_OPT_STRING, 0, "llm", "MODEL", llm, "builtin:NAME, a JSON file or hf:PATH (as for llm)"),
    C(0, "precision", "P", precision, nvl_lp_cli_precision,
      "GEMMs: bf16, fp8 or fp4 (default: the model's)"),
    C(0, "kv-precision", "P", kv_precision, nvl_lp_cli_precision,
      "the KV cache: bf16, fp8 or fp4 (default: FP8 with FP8 or FP4\nGEMMs, else BF16, as llm)"),
    O(NVL_OPT_COUNT, 0, "isl", "N", isl, "prompt tokens per request (default 1024)"),
    O(NVL_OPT_COUNT, 0, "osl", "N", osl, "output tokens per request (default 1024)"),
    NVL_OPT_GROUP_("search"),
    O(NVL_OPT_STRING, 0, "gpus", "LIST", gpus_text,
      "accelerators per replica (default: MoE 8,16,32,64,72 as EP\nwith attention DP; dense "
      "1,2,4,8 as TP)"),
    O(NVL_OPT_STRING, 0, "tp", "LIST", tp_text,
      "the TP degrees of each replica's layouts (default: MoE 1, EP\nover the replica with "
      "attention data parallel; dense the\nreplica's size): MoE attention TP t with EP over the "
      "replica;\ndense TP t with PP size / t"),
    O(NVL_OPT_STRING, 0, "batch", "LIST", batch_text,
      "concurrent sequences per accelerator (default\n1,2,4,8,16,32,64,128,256)"),
    O(NVL_OPT_TIME, 0, "ttft-max", "TIME", ttft_max_s,
      "keep configurations whose TTFT is at most TIME"),
    O(NVL_OPT_TIME, 0, "itl-max", "TIME", itl_max_s,
      "keep configurations whose inter-token latency is at most TIME"),
    O(NVL_OPT_COUNT, 0, "kv-page", "N", kv_page,
      "KV cache pages of N tokens (default 16, vLLM's block; 1: none)"),
    C(0, "kv-memory", "F", kv_memory, arg_share,
      "the share of HBM weights and KV cache may take (default 0.9,\nvLLM's "
      "gpu_memory_utilization)"),
    C(0, "rack-overhead", "W", rack_W, arg_watts,
      "watts per scale-up domain beyond its boards (switch trays,\nNICs, fans, conversion; "
      "default: 340 W per accelerator of\nit, an estimate from GB200 NVL72's 120 kW rack)"),
    C(0, "rate", "R", rate, arg_rate,
      "requests per second offered to each design (Poisson): each\nconfiguration on the fewest "
      "replicas that serve them within\n--ttft-max, TTFT with the wait for a slot (default: "
      "every\nreplica's batch full)"),
    C(0, "mtp", "N", mtp, nvl_lp_cli_mtp,
      "speculative decoding: N drafted tokens per decode step\n(multi-token prediction; default "
      "0)"),
    C(0, "mtp-accept", "A", mtp_accept, nvl_lp_cli_accept,
      "with --mtp: the chance a draft is accepted (default 0.85)"),
    O(NVL_OPT_FLAG, 0, "disagg", NULL, disagg,
      "also disaggregated serving: prefill replicas of each size\nbeside each decode "
      "configuration, the KV cache moved between\nthem over the fabric"),
    C(0, "shard", "i/N", shard, nvl_arg_shard,
      "simulate only this shard's replica sizes (the u-th size of all\ndesigns with u mod N = i) "
      "into --steps FILE; join the\nshards' logs and run without --shard for the frontier"),
    NVL_OPT_GROUP_("output"),
    O(NVL_OPT_STRING, 0, "csv", "FILE", csv,
      "one row per configuration and design, written atomically"),
    O(NVL_OPT_STRING, 0, "steps", "FILE", steps,
      "a log of the simulated steps: a rerun with the same FILE takes\nthem from it (an "
      "interrupted search resumes)"),
    O(NVL_OPT_STRING, 0, "plot", "OUT", plot,
      "the frontiers, tokens/s per GPU over tokens/s per user, one\nline per design: OUT.png, "
      ".svg or .pdf (gnuplot)"),
    NVL_OPT_QUIET_,
    NVL_OPT_END_};
#undef O
#undef C

const nvl_cmd_doc nvl_doc_factory = {
    "factory", "nvlsim factory --llm MODEL [options] [DESIGN ...]",
    "The AI-factory frontier of a model on each design (default: the built-in GB200 NVL72;\n"
    "up to 8, one frontier each, side by side in the CSV and the plot): for\n"
    "each replica size and batch, a replica serving requests of --isl prompt and --osl output\n"
    "tokens under continuous batching with chunked prefill (its decode and prefill steps\n"
    "simulated as `llm` does), its inter-token latency, TTFT, tokens/s per user, per GPU and\n"
    "per MW, and the Pareto frontier of tokens/s per GPU against tokens/s per user (marked *).\n"
    "See README, \"The AI-factory frontier\".\n"
    "Examples:\n"
    "  nvlsim factory --llm builtin:deepseek-v3 --isl 1024 --osl 1024 --gpus 72 --batch 16,64\n"
    "  nvlsim factory builtin:hgx-h100 --llm builtin:llama3.1-8b --gpus 1,8 --itl-max 50ms\n",
    options,
    "exit status: 0 done, 1 invalid design or model, no configuration that fits, none that\n"
    "meets the latency targets (the closest named), none that serves --rate (the most named)\n"
    "or a failed simulation, 2 usage or I/O error\n"};

int nvl_factory_list(const char *text, const char *opt, long_list *out) {
  out->n = 0;
  const char *s = text;
  while (*s) {
    char *end;
    long v = strtol(s, &end, 10);
    if (end == s || v < 1 || v > 1000000 || (*end && *end != ',') || out->n == MAX_LIST ||
        (out->n && v <= out->v[out->n - 1]))
      return nvl_cli_usage_error("factory",
                                 "--%s %s: give ascending positive integers separated by commas "
                                 "(at most %d, each at most 1000000)",
                                 opt, text, MAX_LIST);
    out->v[out->n++] = v;
    s = *end ? end + 1 : end;
  }
  return out->n ? 0 : nvl_cli_usage_error("factory", "--%s: an empty list", opt);
}

int nvl_factory_parse(int argc, char **argv, nvl_factory_opts *o, char **files, int *nf) {
  memset(o, 0, sizeof *o);
  o->precision = o->kv_precision = -1;
  o->mtp_accept = -1;
  o->isl = o->osl = 1024;
  o->kv_page = 16;
  o->kv_memory = 0.9;
  o->rack_W = -1;
  int rc;
  if (!nvl_options_accept(&nvl_doc_factory, argc, argv, o, files, MAX_DESIGNS, nf, &rc))
    return rc == 0 ? NVL_OPTIONS_HELP : rc;
  if (o->plot && nvl_plot_check(o->plot, "factory") != NVL_EXIT_OK)
    return NVL_EXIT_USAGE;
  if (!o->llm)
    return nvl_cli_usage_error("factory", "--llm MODEL is required (builtin:deepseek-v3, "
                                          "builtin:llama3.1-70b or a file)");
  if (o->isl < 1 || o->osl < 1 || o->isl > 1000000 || o->osl > 1000000)
    return nvl_cli_usage_error("factory", "--isl and --osl: 1 to 1000000 tokens");
  if (o->kv_page < 1 || o->kv_page > 65536)
    return nvl_cli_usage_error("factory", "--kv-page %zu: 1 to 65536 tokens", o->kv_page);
  if ((rc = nvl_factory_list(o->batch_text ? o->batch_text : "1,2,4,8,16,32,64,128,256", "batch",
                             &o->batch)))
    return rc;
  if (o->gpus_text && (rc = nvl_factory_list(o->gpus_text, "gpus", &o->gpus)))
    return rc;
  if (o->tp_text && (rc = nvl_factory_list(o->tp_text, "tp", &o->tp)))
    return rc;
  if (o->shard.n && (!o->steps || o->csv || o->plot))
    return nvl_cli_usage_error("factory", "--shard simulates steps into --steps FILE, and writes "
                                          "no --csv or --plot (those come from the joined logs)");
  return 0;
}
