/*
 * cmd_factory: `nvlsim factory --llm MODEL [options] [DESIGN]`: the AI-factory frontier of a
 * model on a design: for each replica size and batch, a serving replica's steady state under
 * continuous batching with chunked prefill (output/serving.h), its decode and prefill steps
 * simulated as `llm` does, and the Pareto frontier of tokens/s per GPU (and per MW) against
 * tokens/s per user, within the latency targets asked for.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/u64map.h"
#include "base/xalloc.h"
#include "cli/argvals.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/factory_steps.h"
#include "cli/llm_params.h"
#include "cli/llm_sim.h"
#include "cli/options.h"
#include "output/plot.h"
#include "output/serving.h"
#include "platform/platform.h"

#define MAX_LIST 32
#define MAX_DESIGNS 8

typedef struct {
  long v[MAX_LIST];
  int n;
} long_list;

typedef struct {
  const char *llm, *csv, *plot, *steps, *gpus_text, *batch_text;
  int precision;
  size_t isl, osl;
  double ttft_max_s, itl_max_s;
  bool disagg;
  long mtp;          /* drafts per decode step (0: none) */
  double mtp_accept; /* -1: NVL_LLM_MTP_ACCEPT */
  long_list gpus, batch;
} factory_opts;

#define O(kind, s, l, arg, field, help) NVL_OPT_(kind, s, l, arg, factory_opts, field, help)
#define C(s, l, arg, field, fn, help) NVL_OPT_CALL_(s, l, arg, factory_opts, field, fn, help)
static const nvl_option options[] = {
    NVL_OPT_GROUP_("model and requests"),
    O(NVL_OPT_STRING, 0, "llm", "MODEL", llm, "builtin:NAME, a JSON file or hf:PATH (as for llm)"),
    C(0, "precision", "P", precision, nvl_lp_cli_precision,
      "GEMMs: bf16, fp8 or fp4 (default: the model's)"),
    O(NVL_OPT_COUNT, 0, "isl", "N", isl, "prompt tokens per request (default 1024)"),
    O(NVL_OPT_COUNT, 0, "osl", "N", osl, "output tokens per request (default 1024)"),
    NVL_OPT_GROUP_("search"),
    O(NVL_OPT_STRING, 0, "gpus", "LIST", gpus_text,
      "accelerators per replica (default: MoE 8,16,32,64,72 as EP\nwith attention DP; dense "
      "1,2,4,8 as TP)"),
    O(NVL_OPT_STRING, 0, "batch", "LIST", batch_text,
      "concurrent sequences per accelerator (default\n1,2,4,8,16,32,64,128,256)"),
    O(NVL_OPT_TIME, 0, "ttft-max", "TIME", ttft_max_s,
      "keep configurations whose TTFT is at most TIME"),
    O(NVL_OPT_TIME, 0, "itl-max", "TIME", itl_max_s,
      "keep configurations whose inter-token latency is at most TIME"),
    C(0, "mtp", "N", mtp, nvl_lp_cli_mtp,
      "speculative decoding: N drafted tokens per decode step\n(multi-token prediction; default "
      "0)"),
    C(0, "mtp-accept", "A", mtp_accept, nvl_lp_cli_accept,
      "with --mtp: the chance a draft is accepted (default 0.85)"),
    O(NVL_OPT_FLAG, 0, "disagg", NULL, disagg,
      "also disaggregated serving: prefill replicas of each size\nbeside each decode "
      "configuration, the KV cache moved between\nthem over the fabric"),
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
    "meets the latency targets (the closest named) or a failed simulation, 2 usage or I/O error\n"};

/* A comma-separated list of positive integers (at most 1e6 each, MAX_LIST of them), ascending. */
static int parse_list(const char *text, const char *opt, long_list *out) {
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

static int parse_opts(int argc, char **argv, factory_opts *o, char **files, int *nf) {
  memset(o, 0, sizeof *o);
  o->precision = -1;
  o->mtp_accept = -1;
  o->isl = o->osl = 1024;
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
  if ((rc = parse_list(o->batch_text ? o->batch_text : "1,2,4,8,16,32,64,128,256", "batch",
                       &o->batch)))
    return rc;
  if (o->gpus_text && (rc = parse_list(o->gpus_text, "gpus", &o->gpus)))
    return rc;
  return 0;
}

/* Why the first configuration that does not fit does not (for the error when none fits). */
static char g_misfit[512];
/* --steps: the log of simulated steps, and the current design's part of their keys (NULL log:
 * none) */
static nvl_factory_steps *g_log;
static char g_design_key[64];

/* A text's hash, for the keys. */
static uint64_t fnv(const char *s) { return nvl_fnv1a(NVL_FNV1A_BASIS, s, strlen(s)); }

/* The ask's key in the log: the design, the model and every field the step depends on. */
static void step_key(const nvl_llm_ask *a, char *key, size_t len) {
  snprintf(key, len, "%s|%016llx|p%d|m%d|g%d|tp%zu|ep%zu|dp%zu|r%zu|b%zu|s%zu|mtp%ld|a%.6g",
           g_design_key, (unsigned long long)fnv(a->llm), a->precision, (int)a->mode, a->g, a->tp,
           a->ep, a->dp, a->redundant, a->batch, a->seq, a->mtp, a->mtp_accept);
}

/* One step of the ask: its result in *r. -1 when the layout does not fit (or the model cannot
 * take it), 0 done, else an exit status (printed). */
static int step(const nvl_design *d, const nvl_llm *m, const nvl_llm_ask *a,
                const nvl_model_ctx *ctx, const char *label, nvl_llm_result *r, double *kv) {
  char key[1024], bad[160];
  if (nvl_llm_ask_check(a, bad, sizeof bad) != 0) { /* a size past what a step takes */
    if (!g_misfit[0])
      snprintf(g_misfit, sizeof g_misfit, "%d per replica, batch %zu: --%s", a->g, a->batch, bad);
    return -1;
  }
  step_key(a, key, sizeof key);
  const nvl_fs_entry *had = g_log ? nvl_factory_steps_find(g_log, key) : NULL;
  if (had && !had->fits) {
    if (!g_misfit[0])
      snprintf(g_misfit, sizeof g_misfit, "%s", had->reason);
    return -1;
  }
  if (had) { /* simulated before: the log's figures */
    memset(r, 0, sizeof *r);
    r->step_s = had->step_s;
    r->tokens_per_s = had->tokens_per_s;
    r->tokens_per_joule = had->tokens_per_joule;
    if (kv)
      *kv = had->kv_bytes;
    return 0;
  }
  nvl_llm_sim x;
  memset(&x, 0, sizeof x);
  nvl_diags diags = NVL_DIAGS_INIT;
  nvl_llm_sim_opts so = {.ctx = ctx, .forked = true}; /* the engine again for the next */
  int rc = nvl_llm_simulate(d, m, a, &so, &x, &diags);
  bool misfit = false; /* the model cannot take the layout, or it does not fit in memory */
  for (size_t i = 0; i < diags.count && rc != NVL_EXIT_OK; i++)
    misfit |= diags.items[i].severity == NVL_SEV_ERROR && diags.items[i].code == NVL_DIAG_LIMIT;
  if (rc != NVL_EXIT_OK && (x.layout_error || misfit)) {
    rc = -1;
    char why[512] = "";
    for (size_t i = 0; i < diags.count && !why[0]; i++) /* the first reason, for the error */
      if (diags.items[i].severity == NVL_SEV_ERROR)
        snprintf(why, sizeof why, "%d per replica, batch %zu: %s", a->g, a->batch,
                 diags.items[i].message);
    if (!g_misfit[0])
      snprintf(g_misfit, sizeof g_misfit, "%s", why);
    if (g_log)
      nvl_factory_steps_add(g_log, &(nvl_fs_entry){.key = key, .reason = why});
  } else if (rc != NVL_EXIT_OK)
    nvl_cli_llm_print_failure(&x, &diags, "factory", label, NULL);
  else {
    *r = x.r;
    if (kv) /* one rank's KV cache: its share of its sequences' */
      *kv = x.st.mem.kv_cache;
    if (g_log)
      nvl_factory_steps_add(g_log, &(nvl_fs_entry){key, true, x.r.step_s, x.r.tokens_per_s,
                                                   x.r.tokens_per_joule, x.st.mem.kv_cache, ""});
  }
  nvl_llm_sim_release(&x);
  nvl_diags_release(&diags);
  return rc;
}

/* The layout of a replica of g accelerators: experts over all of them with attention data
 * parallel (MoE; redundant copies of the hottest experts where g does not divide them, as
 * DeepSeek's load balancer places them), else tensor parallel. */
static void replica_layout(const nvl_llm *m, long g, nvl_llm_ask *a) {
  a->g = (int)g;
  a->tp = m->moe ? 1 : (size_t)g;
  a->ep = m->moe ? (size_t)g : 1;
  a->dp = m->moe ? (size_t)g : 1;
  a->redundant = m->moe && m->experts % g ? (size_t)(g - m->experts % g) : 0;
}

/* A replica size's prefill, for disaggregated pools: its step over `seqs` sequences of isl
 * tokens (one per data-parallel rank) and one request's KV cache over all its ranks. */
typedef struct {
  long gpus, seqs, tp;
  double step_s, kv_bytes;
  bool ok;
} prefill_pool;

/* Every configuration of the search into pts (grown), and per replica size its prefill into
 * pools (or NULL); returns an exit status. */
static int search(const nvl_design *d, const nvl_llm *m, const factory_opts *o,
                  const nvl_model_ctx *ctx, const char *label, nvl_serving_point **pts, size_t *n,
                  prefill_pool *pools) {
  size_t cap = 0, acc = 0, total = (size_t)(o->gpus.n * o->batch.n), done = 0;
  int first = -1, other = -1; /* the first accelerator, and one of another type */
  for (size_t i = 0; i < d->n_devices; i++) {
    if (d->devices[i].is_switch || !nvl_kind_is_accelerator(nvl_device_kind(d, (int)i)))
      continue;
    acc++;
    if (first < 0)
      first = (int)i;
    else if (other < 0 && d->devices[i].type != d->devices[first].type)
      other = (int)i;
  }
  if (other >= 0) /* every replica priced as the first one: say so where they differ */
    fprintf(stderr,
            "nvlsim factory: warning: %s: its accelerators are not alike (%s, %s): a replica "
            "of R is priced on the first R, and every replica taken to be like it\n",
            label, nvl_device_type_name(d, first), nvl_device_type_name(d, other));
  bool tty = isatty(2);
  for (int gi = 0; gi < o->gpus.n; gi++) {
    long g = o->gpus.v[gi];
    if ((size_t)g > acc)
      break;
    nvl_llm_ask a = NVL_LLM_ASK_INIT;
    a.llm = o->llm;
    a.precision = o->precision;
    replica_layout(m, g, &a);
    a.mode = NVL_LLM_PREFILL; /* a prompt token's price: one sequence per data-parallel rank */
    a.batch = a.dp;
    a.seq = o->isl;
    nvl_llm_result pre, dec;
    double kv = 0;
    int rc = step(d, m, &a, ctx, label, &pre, &kv);
    if (rc == 0 && pools) /* a prefill pool of g: its step, sequences, one request's KV */
      pools[gi] = (prefill_pool){g, (long)a.dp, (long)a.tp, pre.step_s, kv * (double)a.tp, true};
    if (rc > 0)
      return rc;
    for (int bi = 0; rc == 0 && bi < o->batch.n; bi++, done++) {
      a.mode = NVL_LLM_DECODE;
      a.mtp = o->mtp;
      a.mtp_accept = o->mtp > 0 ? o->mtp_accept : -1;
      a.batch = (size_t)(o->batch.v[bi] * g);
      a.seq = o->isl + o->osl / 2;
      if (tty)
        fprintf(stderr, "\rfactory: %zu/%zu configurations (%ld per replica, batch %zu)   ",
                done + 1, total, g, a.batch);
      int rd = step(d, m, &a, ctx, label, &dec, NULL);
      if (rd > 0)
        return rd;
      if (rd < 0) /* larger batches do not fit either */
        break;
      if (!(dec.step_s > 0)) /* no time, no rate: nothing to serve at */
        continue;
      if (*n == cap)
        *pts = nvl_xrealloc(*pts, (cap = 2 * cap + 16) * sizeof **pts);
      nvl_serving_point *p = &(*pts)[(*n)++];
      *p = (nvl_serving_point){
          .gpus = g,
          .design_gpus = (long)acc,
          .tp = (long)a.tp,
          .ep = (long)a.ep,
          .dp = (long)a.dp,
          .batch = (long)a.batch,
          .decode_s = dec.step_s,
          .step_tokens = dec.tokens_per_s * dec.step_s / (double)a.batch,
          .prefill_token_s = pre.step_s / ((double)a.dp * (double)o->isl),
          .power_W = dec.tokens_per_joule > 0 ? dec.tokens_per_s / dec.tokens_per_joule : 0};
      nvl_serving_eval(p, (long)o->isl, (long)o->osl);
      /* bounded: a decode step alone past --itl-max only grows with the batch (prefill and
       * disaggregation add to it, never take from it) */
      if (o->itl_max_s > 0 &&
          p->decode_s / (p->step_tokens > 0 ? p->step_tokens : 1) > o->itl_max_s)
        break;
    }
  }
  if (tty)
    fprintf(stderr, "\r%70s\r", "");
  return NVL_EXIT_OK;
}

/* Keeps the points within the targets (pts compacted); returns how many. */
static size_t within(nvl_serving_point *pts, size_t n, const factory_opts *o) {
  size_t k = 0;
  for (size_t i = 0; i < n; i++)
    if ((o->ttft_max_s <= 0 || pts[i].ttft_s <= o->ttft_max_s) &&
        (o->itl_max_s <= 0 || pts[i].iter_s <= o->itl_max_s))
      pts[k++] = pts[i];
  return k;
}

/* How far a point misses the targets: the larger ratio of its latency to the target. */
static double miss(const nvl_serving_point *p, const factory_opts *o) {
  double r = 0;
  if (o->ttft_max_s > 0)
    r = fmax(r, p->ttft_s / o->ttft_max_s);
  if (o->itl_max_s > 0)
    r = fmax(r, p->iter_s / o->itl_max_s);
  return r;
}

static void print_closest(const char *label, nvl_serving_point *pts, size_t n,
                          const factory_opts *o) {
  for (size_t i = 0; i < n; i++) /* the closest first: selection by the miss */
    for (size_t j = i + 1; j < n; j++)
      if (miss(&pts[j], o) < miss(&pts[i], o)) {
        nvl_serving_point t = pts[i];
        pts[i] = pts[j];
        pts[j] = t;
      }
  fprintf(stderr, "nvlsim factory: %s: no configuration meets the latency targets; the closest:\n",
          label);
  for (size_t i = 0; i < n && i < 3; i++)
    fprintf(stderr, "  %ld per replica (tp %ld, ep %ld), batch %ld: ITL %.3f ms, TTFT %.1f ms\n",
            pts[i].gpus, pts[i].tp, pts[i].ep, pts[i].batch, pts[i].iter_s * 1e3,
            pts[i].ttft_s * 1e3);
}

/* What one transfer from endpoint a to b gets alone on the fabric: the least over its stripes of
 * their bottleneck over their share, and its slowest stripe's latency (as `nvlsim route`). */
static void pair_rate(const nvl_platform *p, int a, int b, double *Bps, double *lat) {
  nvl_stripe st[NVL_MAX_STRIPES];
  int ns = nvl_platform_stripes(p, a, b, st);
  *Bps = 0;
  *lat = 0;
  for (int s = 0; s < ns; s++) {
    int links[64], dirs[64],
        nl = nvl_platform_route(p, st[s].from_host, st[s].to_host, links, dirs, 64);
    double low = 0;
    for (int i = 0; i < nl; i++) {
      const nvl_plink *k = nvl_platform_link(p, links[i]);
      if (!k->fatpipe && (low == 0 || k->bw_Bps < low))
        low = k->bw_Bps;
    }
    double r = st[s].weight > 0 ? low / st[s].weight : 0;
    *Bps = s == 0 || r < *Bps ? r : *Bps;
    double l = nvl_platform_route_latency(p, st[s].from_host, st[s].to_host);
    *lat = l > *lat ? l : *lat;
  }
}

/* The disaggregated configurations: every aggregated one's decode replica beside each replica
 * size's prefill pool, where both fit the design, the KV cache moved between the first
 * accelerator of a prefill replica and the first of a decode replica placed after it, over as
 * many rank pairs as the lesser TP of the two (each pair its share). Appended to pts. */
static int add_disagg(const nvl_design *d, const prefill_pool *pools, int npools,
                      nvl_serving_point **pts, size_t *n, const factory_opts *o) {
  nvl_diags diags = NVL_DIAGS_INIT;
  nvl_platform_opts po = {.model = NVL_MODEL_DEFAULT};
  nvl_platform *p = nvl_platform_new(d, &po, &diags);
  nvl_diags_release(&diags);
  if (!p)
    return NVL_EXIT_FAIL;
  int *acc = nvl_xmalloc((d->n_devices + 1) * sizeof(int)), na = 0;
  for (size_t i = 0; i < d->n_devices; i++)
    if (!d->devices[i].is_switch && nvl_kind_is_accelerator(nvl_device_kind(d, (int)i)))
      acc[na++] = (int)i;
  size_t n0 = *n, cap = *n;
  for (size_t i = 0; i < n0; i++)
    for (int k = 0; k < npools; k++) {
      const prefill_pool *pp = &pools[k];
      if (!pp->ok || pp->gpus + (*pts)[i].gpus > na)
        continue;
      double Bps, lat;
      pair_rate(p, acc[0], acc[pp->gpus], &Bps, &lat);
      long pairs = pp->tp < (*pts)[i].tp ? pp->tp : (*pts)[i].tp;
      nvl_serving_point q = (*pts)[i];
      q.disagg = true;
      q.prefill_gpus = pp->gpus;
      q.prefill_seqs = pp->seqs;
      q.prefill_step_s = pp->step_s;
      if (!(Bps > 0)) /* the pools do not reach each other: no such pair */
        continue;
      q.kv_s = lat + pp->kv_bytes / (double)pairs / Bps;
      if (!nvl_serving_eval_disagg(&q, (long)o->isl, (long)o->osl))
        continue;
      if (*n == cap)
        *pts = nvl_xrealloc(*pts, (cap = 2 * cap + 16) * sizeof **pts);
      (*pts)[(*n)++] = q;
    }
  free(acc);
  nvl_platform_free(p);
  return NVL_EXIT_OK;
}

/* One design's frontier: searched, kept within the targets, marked and sorted, printed, and
 * appended to the CSV and the plot. Returns an exit status. */
static int one_design(const nvl_model_ctx *ctx, const factory_opts *o, const nvl_llm *m,
                      const char *file, bool header, FILE *csv, nvl_plot *pl) {
  nvl_design *d = NULL;
  nvl_serving_point *pts = NULL;
  size_t n = 0;
  const char *label = file ? file : "builtin:gb200-nvl72";
  g_misfit[0] = '\0';
  int rc = nvl_cli_load(file, NULL, false, &d);
  if (rc == NVL_EXIT_OK)
    snprintf(g_design_key, sizeof g_design_key, "%016llx|%zu|%zu", (unsigned long long)fnv(label),
             d->n_devices, d->n_links); /* fixed length: a long path cannot cut the key short */
  prefill_pool pools[MAX_LIST];
  memset(pools, 0, sizeof pools);
  if (rc == NVL_EXIT_OK)
    rc = search(d, m, o, ctx, label, &pts, &n, o->disagg ? pools : NULL);
  if (rc == NVL_EXIT_OK && o->disagg)
    rc = add_disagg(d, pools, o->gpus.n, &pts, &n, o);
  if (rc == NVL_EXIT_OK && n == 0) {
    fprintf(stderr,
            "nvlsim factory: %s: no configuration fits the design (replica sizes up to its "
            "accelerators, each in memory)%s%s\n",
            label, g_misfit[0] ? "; the first: " : "", g_misfit);
    rc = NVL_EXIT_FAIL;
  }
  size_t kept = rc == NVL_EXIT_OK ? within(pts, n, o) : 0;
  if (rc == NVL_EXIT_OK && kept == 0) {
    print_closest(label, pts, n, o);
    rc = NVL_EXIT_FAIL;
  }
  if (rc == NVL_EXIT_OK) {
    nvl_serving_frontier(pts, kept);
    nvl_serving_sort(pts, kept);
    printf("# nvlsim factory: design %s, %s, ISL %zu, OSL %zu: %zu configurations, * the "
           "frontier\n",
           label, o->llm, o->isl, o->osl, kept);
    nvl_serving_print(pts, kept, stdout);
    fflush(stdout);
    if (csv && nvl_serving_csv(pts, kept, label, (long)o->isl, (long)o->osl, header, csv) != 0)
      rc = NVL_EXIT_USAGE;
    nvl_plot_series *s = pl ? nvl_plot_series_of(pl, label) : NULL;
    for (size_t i = kept; s && i-- > 0;) /* the frontier, slowest per user first */
      if (pts[i].frontier)
        nvl_plot_add(s, pts[i].tps_user, pts[i].tps_gpu);
  }
  nvl_design_free(d);
  free(pts);
  return rc;
}

int nvl_cmd_factory(const nvl_model_ctx *ctx, int argc, char **argv) {
  factory_opts o;
  char *files[MAX_DESIGNS];
  int nf = 0;
  int rc = parse_opts(argc, argv, &o, files, &nf);
  if (rc)
    return rc == NVL_OPTIONS_HELP ? NVL_EXIT_OK : rc;
  nvl_llm m;
  if ((rc = nvl_cli_llm_load(o.llm, &m)) != NVL_EXIT_OK)
    return rc;
  if (m.context > 0 && (long)(o.isl + o.osl) > m.context)
    return nvl_cli_usage_error("factory",
                               "--isl %zu + --osl %zu = %zu tokens: beyond %s's context of %ld "
                               "tokens (its max_position_embeddings)",
                               o.isl, o.osl, o.isl + o.osl, m.name, m.context);
  if (!o.gpus_text)
    parse_list(m.moe ? "8,16,32,64,72" : "1,2,4,8", "gpus", &o.gpus);
  nvl_outfile csv = {0};
  nvl_plot pl = {.xlabel = "tokens/s per user",
                 .ylabel = "tokens/s per GPU",
                 .title = "the AI-factory frontier",
                 .series_label = "design=",
                 .logy = true};
  if (o.csv && nvl_cli_output_open(&csv, o.csv, "factory") != 0)
    return NVL_EXIT_USAGE;
  nvl_factory_steps log;
  char err[600];
  if (o.steps && nvl_factory_steps_open(&log, o.steps, err, sizeof err) != 0) {
    nvl_outfile_abort(&csv);
    return nvl_cli_usage_error("factory", "--steps %s", err);
  }
  g_log = o.steps ? &log : NULL;
  for (int i = 0; i < (nf ? nf : 1) && rc == NVL_EXIT_OK; i++)
    rc = one_design(ctx, &o, &m, nf ? files[i] : NULL, i == 0, o.csv ? csv.fp : NULL,
                    o.plot ? &pl : NULL);
  if (rc == NVL_EXIT_OK && o.csv && nvl_cli_output_finish(&csv, ferror(csv.fp) ? -1 : 0, "factory"))
    rc = NVL_EXIT_USAGE;
  if (rc == NVL_EXIT_OK && o.plot)
    rc = nvl_plot_write(&pl, o.plot, "factory");
  nvl_outfile_abort(&csv);
  nvl_plot_release(&pl);
  if (g_log)
    nvl_factory_steps_close(g_log);
  g_log = NULL;
  return rc;
}
