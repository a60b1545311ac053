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

#include "base/xalloc.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/factory_opts.h"
#include "cli/factory_place.h"
#include "cli/factory_steps.h"
#include "cli/llm_sim.h"
#include "cli/options.h"
#include "output/plot.h"
#include "output/serving.h"

/* --rate: the most requests per second a configuration that could not serve the rate serves */
static double g_best_capacity;
static char g_best_what[128];
/* the current design's steps: the log (or none), the keys' design part, the first misfit */
static nvl_factory_stepper g_st;
/* the design's power (boards, CPUs, the racks' overhead), and per watt of its accelerators'
 * boards */
static double g_design_W, g_power_scale = 1;

/* One step of the ask (nvl_factory_step, on this design's stepper). */
static int step(const nvl_design *d, const nvl_llm *m, const nvl_llm_ask *a,
                const nvl_model_ctx *ctx, const char *label, nvl_llm_result *r,
                nvl_llm_memory *mem) {
  return nvl_factory_step(&g_st, d, m, a, ctx, label, r, mem);
}

/* The layout of a replica of g accelerators at TP t (0: the default): MoE, experts over all of
 * them (redundant copies of the hottest experts where g does not divide them, as DeepSeek's load
 * balancer places them) with attention TP t (default 1) and data parallel g / t; dense, TP t
 * (default g) with PP g / t. */
static void replica_layout(const nvl_llm *m, long g, long t, nvl_llm_ask *a) {
  if (t <= 0)
    t = m->moe ? 1 : g;
  a->g = (int)g;
  a->tp = (size_t)t;
  a->ep = m->moe ? (size_t)g : 1;
  a->dp = m->moe ? (size_t)(g / t) : 1;
  a->pp = m->moe ? 1 : (size_t)(g / t);
  a->redundant = m->moe && m->experts % g ? (size_t)(g - m->experts % g) : 0;
}

/* Under --rate: the point's figures at the offered load; false (the point dropped) when no
 * number of replicas serves it within --ttft-max, the most it serves remembered for the error. */
static bool at_rate(nvl_serving_point *p, const nvl_factory_opts *o) {
  if (!(o->rate > 0))
    return true;
  double cap = nvl_serving_capacity(p, (long)o->osl);
  p->rate = o->rate;
  if (nvl_serving_eval_rate(p, (long)o->isl, (long)o->osl, o->ttft_max_s))
    return true;
  if (cap > g_best_capacity) {
    g_best_capacity = cap;
    snprintf(g_best_what, sizeof g_best_what, "%ld per replica (tp %ld, ep %ld), batch %ld%s",
             p->gpus, p->tp, p->ep, p->batch, p->disagg ? ", disaggregated" : "");
  }
  return false;
}

/* The replicas of a size other than the first kind (factory_place.h): their selection, their
 * count and their prompt-token price (fits false: they cannot serve). */
typedef struct {
  char sel[512];
  long count;
  bool fits;
  double prefill_token_s, power_W;
} other_kind;

/* Replicas of g: the kinds past the first, each priced at prefill (a into the caller's ask).
 * Returns how many, or -1 - an exit status on a failed simulation. */
static int other_kinds(const nvl_design *d, const nvl_llm *m, nvl_llm_ask a,
                       const nvl_model_ctx *ctx, const char *label, const int *acc, int nacc,
                       other_kind *ok) {
  nvl_fp_kind kd[NVL_SERVING_KINDS];
  bool more;
  int nk = nvl_fp_kinds(d, acc, nacc, a.g, kd, NVL_SERVING_KINDS, &more), no = 0;
  if (more)
    fprintf(stderr,
            "nvlsim factory: warning: %s: replicas of %d hold more than %d kinds of "
            "accelerators: the rest priced as the first\n",
            label, a.g, NVL_SERVING_KINDS);
  for (int k = 1; k < nk; k++) {
    other_kind *x = &ok[no];
    if (!nvl_fp_selection(d, acc, a.g, kd[k].first, x->sel, sizeof x->sel))
      continue; /* not nameable: priced as the first, as the rest */
    a.ranks = x->sel;
    nvl_llm_result pre;
    int rc = step(d, m, &a, ctx, label, &pre, NULL);
    if (rc > 0)
      return -1 - rc;
    x->count = kd[k].count;
    x->fits = rc == 0;
    x->prefill_token_s = rc == 0 ? pre.step_s / ((double)a.dp * (double)a.seq) : 0;
    x->power_W = nvl_fp_power(d, acc, kd[k].first * a.g, a.g) * g_power_scale;
    no++;
  }
  return no;
}

/* Paged KV cache: whether a batch of `batch` sequences (the replica's) whose step's fullest
 * rank holds mem fits that rank's KV budget (--kv-memory of its HBM less its weights), its
 * sequences in pages of --kv-page tokens at their mean context (serving.h); with use and max, the
 * share of the budget it takes and the sequences per replica the budget holds. */
static bool kv_room(const nvl_llm_memory *mem, long batch, const nvl_factory_opts *o, double *use,
                    double *max) {
  double seq = (double)(o->isl + o->osl / 2), /* the context the step's KV cache was sized at */
      paged = nvl_serving_kv_tokens((long)o->isl, (long)o->osl, (long)o->kv_page) / seq,
         per = mem->kv_cache * paged / (double)batch,
         room = o->kv_memory * mem->capacity - mem->weights;
  if (use)
    *use = room > 0 ? per * (double)batch / room : INFINITY;
  if (max)
    *max = per > 0 ? fmax(room, 0) / per : INFINITY;
  return per * (double)batch <= room;
}

/* Decode configuration a of a replica of g (the first kind's step in dec, the other kinds'
 * simulated here) as a point appended to pts; returns 0 or an exit status. */
static int add_point(const nvl_design *d, const nvl_llm *m, nvl_llm_ask a,
                     const nvl_llm_result *dec, const nvl_llm_result *pre, double kv_use,
                     long kv_max, const other_kind *ok, int no, const int *acc, int nacc,
                     const nvl_model_ctx *ctx, const char *label, const nvl_factory_opts *o,
                     nvl_serving_point **pts, size_t *n, size_t *cap) {
  nvl_serving_point q = {.gpus = a.g,
                         .design_gpus = nacc,
                         .tp = (long)a.tp,
                         .ep = (long)a.ep,
                         .dp = (long)a.dp,
                         .pp = (long)a.pp,
                         .batch = (long)a.batch,
                         .decode_s = dec->step_s,
                         .step_tokens = dec->tokens_per_s * dec->step_s / (double)a.batch,
                         .prefill_token_s = pre->step_s / ((double)a.dp * (double)o->isl),
                         .power_W = nvl_fp_power(d, acc, 0, a.g) * g_power_scale,
                         .design_W = g_design_W,
                         .kv_use = kv_use,
                         .kv_batch_max = kv_max};
  for (int k = 0; k < no; k++) { /* the other kinds at this batch */
    nvl_serving_kind *x = &q.others[q.n_others++];
    *x = (nvl_serving_kind){ok[k].count, false, 0, ok[k].prefill_token_s, ok[k].power_W};
    nvl_llm_result r;
    nvl_llm_memory om;
    a.ranks = ok[k].sel;
    int rc = ok[k].fits ? step(d, m, &a, ctx, label, &r, &om) : -1;
    if (rc > 0)
      return rc;
    x->serves = rc == 0 && r.step_s > 0 && kv_room(&om, (long)a.batch, o, NULL, NULL);
    x->decode_s = x->serves ? r.step_s : 0;
  }
  nvl_serving_eval(&q, (long)o->isl, (long)o->osl);
  if (*n == *cap)
    *pts = nvl_xrealloc(*pts, (*cap = 2 * *cap + 16) * sizeof **pts);
  (*pts)[(*n)++] = q;
  return 0;
}

/* The decode configurations of a replica (the ask a: its size and layout) over --batch, up to
 * the first that does not fit; where the KV budget ends between two batches of the list, its
 * limit is the last. Appended to pts; returns an exit status. */
static int batches(const nvl_design *d, const nvl_llm *m, nvl_llm_ask a, const nvl_llm_result *pre,
                   const other_kind *ok, int no, const int *acc, int nacc, const nvl_model_ctx *ctx,
                   const char *label, const nvl_factory_opts *o, nvl_serving_point **pts, size_t *n,
                   size_t *cap, size_t *done) {
  long g = a.g, prev = 0;
  double max = INFINITY; /* sequences per replica the KV budget holds, as the last step says */
  for (int bi = 0; bi < o->batch.n; bi++, (*done)++) {
    long per = o->batch.v[bi];
    bool last = (double)(per * g) > max; /* past the KV budget: its limit instead, if new */
    if (last && (per = (long)floor(max / (double)g)) <= prev)
      break;
    a.mode = NVL_LLM_DECODE;
    a.mtp = o->mtp;
    a.mtp_accept = o->mtp > 0 ? o->mtp_accept : -1;
    a.batch = (size_t)(per * g);
    a.seq = o->isl + o->osl / 2;
    if (isatty(2))
      fprintf(stderr, "\rfactory: %zu/%zu configurations (%ld per replica, batch %zu)   ",
              *done + 1, (size_t)(o->gpus.n * o->batch.n * (o->tp.n ? o->tp.n : 1)), g, a.batch);
    nvl_llm_result dec;
    nvl_llm_memory dm;
    int rd = step(d, m, &a, ctx, label, &dec, &dm);
    if (rd != 0) /* larger batches do not fit either */
      return rd > 0 ? rd : NVL_EXIT_OK;
    double use;
    if (!kv_room(&dm, (long)a.batch, o, &use, &max)) {
      if (!g_st.misfit[0] && isfinite(use))
        snprintf(g_st.misfit, sizeof g_st.misfit,
                 "%ld per replica, batch %zu: its KV cache in pages of %zu tokens needs %.0f %% "
                 "of what --kv-memory %.2f of HBM leaves beside the weights",
                 g, a.batch, o->kv_page, use * 100, o->kv_memory);
      else if (!g_st.misfit[0])
        snprintf(g_st.misfit, sizeof g_st.misfit,
                 "%ld per replica: its weights take more than --kv-memory %.2f of HBM", g,
                 o->kv_memory);
      break;
    }
    if (!(dec.step_s > 0)) /* no time, no rate: nothing to serve at */
      continue;
    int rc = add_point(d, m, a, &dec, pre, use, (long)fmin(max, 1e15), ok, no, acc, nacc, ctx,
                       label, o, pts, n, cap);
    if (rc != NVL_EXIT_OK)
      return rc;
    /* bounded: a decode step alone past --itl-max only grows with the batch (prefill and
     * disaggregation add to it, never take from it) */
    double k = dec.tokens_per_s * dec.step_s / (double)a.batch;
    if (last || (o->itl_max_s > 0 && dec.step_s / (k > 0 ? k : 1) > o->itl_max_s))
      break;
    prev = per;
  }
  return NVL_EXIT_OK;
}

/* One layout of a replica of g (TP t): its prefill (a prefill pool of size gi where it is the
 * cheapest per sequence so far), its other kinds and its batches. Returns an exit status. */
static int one_layout(const nvl_design *d, const nvl_llm *m, const nvl_factory_opts *o,
                      const nvl_model_ctx *ctx, const char *label, long g, long t, int gi,
                      const int *acc, int nacc, nvl_serving_point **pts, size_t *n, size_t *cap,
                      size_t *done, nvl_fp_pool *pools, bool *unlike) {
  other_kind ok[NVL_SERVING_KINDS];
  nvl_llm_ask a = NVL_LLM_ASK_INIT;
  a.llm = o->llm;
  a.precision = o->precision;
  a.kv_precision = o->kv_precision;
  replica_layout(m, g, t, &a);
  a.mode = NVL_LLM_PREFILL; /* a prompt token's price: one sequence per data-parallel rank */
  a.batch = a.dp;
  a.seq = o->isl;
  nvl_llm_result pre;
  nvl_llm_memory pm;
  int rs = step(d, m, &a, ctx, label, &pre, &pm);
  if (rs == 0 && pools && /* a prefill pool of g: its step, sequences, one request's KV */
      (!pools[gi].ok || pre.step_s / (double)a.dp < pools[gi].step_s / (double)pools[gi].seqs))
    pools[gi] =
        (nvl_fp_pool){g, (long)a.dp, (long)a.tp, pre.step_s, pm.kv_cache * (double)a.tp, true};
  int no = rs == 0 ? other_kinds(d, m, a, ctx, label, acc, nacc, ok) : 0;
  int rc = rs > 0 ? rs : no < 0 ? -1 - no : NVL_EXIT_OK;
  *unlike |= no > 0;
  if (rs == 0 && rc == NVL_EXIT_OK)
    rc = batches(d, m, a, &pre, ok, no < 0 ? 0 : no, acc, nacc, ctx, label, o, pts, n, cap, done);
  return rc;
}

/* Every configuration of the search into pts (grown), and per replica size its prefill into
 * pools (or NULL); returns an exit status. */
static int search(const nvl_design *d, const nvl_llm *m, const nvl_factory_opts *o,
                  const nvl_model_ctx *ctx, const char *label, nvl_serving_point **pts, size_t *n,
                  nvl_fp_pool *pools) {
  size_t cap = *n, done = 0;
  int *acc, nacc = nvl_fp_accelerators(d, &acc), rc = NVL_EXIT_OK;
  bool tty = isatty(2), unlike = false;
  int tried = 0; /* layouts */
  for (int gi = 0; gi < o->gpus.n && rc == NVL_EXIT_OK && o->gpus.v[gi] <= nacc; gi++) {
    long g = o->gpus.v[gi];
    if (o->shard.n && (size_t)(o->design * o->gpus.n + gi) % o->shard.n != o->shard.i)
      continue; /* another shard's */
    for (int ti = 0; ti < (o->tp.n ? o->tp.n : 1) && rc == NVL_EXIT_OK; ti++) {
      long t = o->tp.n ? o->tp.v[ti] : 0;
      if (t > g || (t > 0 && g % t))
        continue; /* no layout of this replica */
      tried++;
      rc =
          one_layout(d, m, o, ctx, label, g, t, gi, acc, nacc, pts, n, &cap, &done, pools, &unlike);
    }
  }
  if (tty)
    fprintf(stderr, "\r%70s\r", "");
  if (!tried && !g_st.misfit[0])
    snprintf(g_st.misfit, sizeof g_st.misfit,
             "no layout: no --tp value divides a replica size of --gpus up to the design's %d "
             "accelerators",
             nacc);
  if (unlike && o->disagg)
    fprintf(stderr,
            "nvlsim factory: warning: %s: its replicas hold unlike accelerators: disaggregated "
            "pools take only the first kind's (%s) and are priced as those\n",
            label, nvl_device_type_name(d, acc[0]));
  free(acc);
  return rc;
}

/* One design's frontier: searched, kept within the targets, marked and sorted, printed, and
 * appended to the CSV and the plot. Returns an exit status. */
static int one_design(const nvl_model_ctx *ctx, const nvl_factory_opts *o, const nvl_llm *m,
                      const char *file, bool header, FILE *csv, nvl_plot *pl) {
  nvl_design *d = NULL;
  nvl_serving_point *pts = NULL;
  size_t n = 0;
  const char *label = file ? file : "builtin:gb200-nvl72";
  g_st.misfit[0] = g_best_what[0] = '\0';
  g_best_capacity = 0;
  nvl_platform *p = NULL; /* for the design's power and the pools' KV route */
  int rc = nvl_cli_load(file, NULL, false, &d);
  if (rc == NVL_EXIT_OK) {
    nvl_factory_stepper_design(&g_st, label, d->n_devices, d->n_links);
    nvl_diags diags = NVL_DIAGS_INIT;
    nvl_platform_opts po = {.model = NVL_MODEL_DEFAULT};
    p = nvl_platform_new(d, &po, &diags);
    if (!p) {
      nvl_cli_print_diags(&diags, label, stderr);
      rc = NVL_EXIT_FAIL;
    }
    nvl_diags_release(&diags);
  }
  if (rc == NVL_EXIT_OK) {
    int *acc, na = nvl_fp_accelerators(d, &acc);
    double boards = nvl_fp_power(d, acc, 0, na);
    g_design_W = nvl_fp_design_power(d, p, o->rack_W);
    g_power_scale = boards > 0 ? g_design_W / boards : 1;
    free(acc);
  }
  nvl_fp_pool pools[MAX_LIST];
  memset(pools, 0, sizeof pools);
  if (rc == NVL_EXIT_OK)
    rc = search(d, m, o, ctx, label, &pts, &n, o->disagg ? pools : NULL);
  if (rc == NVL_EXIT_OK && o->shard.n) { /* its steps are in the log: no frontier */
    printf("# nvlsim factory: design %s: shard %zu/%zu simulated, its steps in %s\n", label,
           o->shard.i, o->shard.n, o->steps);
    nvl_platform_free(p);
    nvl_design_free(d);
    free(pts);
    return NVL_EXIT_OK;
  }
  if (rc == NVL_EXIT_OK && o->disagg)
    rc = nvl_fp_add_disagg(d, p, pools, o->gpus.n, &pts, &n, (long)o->isl, (long)o->osl);
  size_t served = 0; /* under --rate, the configurations that serve it */
  for (size_t i = 0; rc == NVL_EXIT_OK && i < n; i++)
    if (at_rate(&pts[i], o))
      pts[served++] = pts[i];
  n = rc == NVL_EXIT_OK ? served : n;
  if (rc == NVL_EXIT_OK && n == 0 && g_best_capacity > 0) {
    fprintf(stderr,
            "nvlsim factory: %s: no configuration serves %.6g requests/s%s; the most: %.6g "
            "requests/s (%s, every replica's batch full)\n",
            label, o->rate, o->ttft_max_s > 0 ? " within --ttft-max" : "", g_best_capacity,
            g_best_what);
    rc = NVL_EXIT_FAIL;
  } else if (rc == NVL_EXIT_OK && n == 0) {
    fprintf(stderr,
            "nvlsim factory: %s: no configuration fits the design (replica sizes up to its "
            "accelerators, each in memory)%s%s\n",
            label, g_st.misfit[0] ? "; the first: " : "", g_st.misfit);
    rc = NVL_EXIT_FAIL;
  }
  size_t kept = rc == NVL_EXIT_OK ? nvl_serving_within(pts, n, o->ttft_max_s, o->itl_max_s) : 0;
  if (rc == NVL_EXIT_OK && kept == 0) {
    nvl_serving_print_closest("factory", label, pts, n, o->ttft_max_s, o->itl_max_s, stderr);
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
  nvl_platform_free(p);
  nvl_design_free(d);
  free(pts);
  return rc;
}

int nvl_cmd_factory(const nvl_model_ctx *ctx, int argc, char **argv) {
  nvl_factory_opts o;
  char *files[MAX_DESIGNS];
  int nf = 0;
  int rc = nvl_factory_parse(argc, argv, &o, files, &nf);
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
    nvl_factory_list(m.moe ? "8,16,32,64,72" : "1,2,4,8", "gpus", &o.gpus);
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
  g_st.log = o.steps ? &log : NULL;
  for (int i = 0; i < (nf ? nf : 1) && rc == NVL_EXIT_OK; i++) {
    o.design = i;
    rc = one_design(ctx, &o, &m, nf ? files[i] : NULL, i == 0, o.csv ? csv.fp : NULL,
                    o.plot ? &pl : NULL);
  }
  if (rc == NVL_EXIT_OK && o.csv && nvl_cli_output_finish(&csv, ferror(csv.fp) ? -1 : 0, "factory"))
    rc = NVL_EXIT_USAGE;
  if (rc == NVL_EXIT_OK && o.plot)
    rc = nvl_plot_write(&pl, o.plot, "factory");
  nvl_outfile_abort(&csv);
  nvl_plot_release(&pl);
  if (g_st.log)
    nvl_factory_steps_close(g_st.log);
  g_st.log = NULL;
  return rc;
}
