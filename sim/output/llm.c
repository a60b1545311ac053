/*
 * output/llm: see llm.h.
 */
#include "output/llm.h"

#include <stdlib.h>
#include <string.h>

#include "base/csv.h"
#include "base/xalloc.h"

typedef struct {
  double a, b;
} span;

static int cmp_span(const void *x, const void *y) {
  const span *p = x, *q = y;
  return p->a < q->a ? -1 : p->a > q->a;
}

/* Sorts and merges spans in place; returns how many disjoint ones remain. */
static size_t merge(span *s, size_t n) {
  if (n == 0)
    return 0;
  qsort(s, n, sizeof *s, cmp_span);
  size_t k = 0;
  for (size_t i = 1; i < n; i++) {
    if (s[i].a <= s[k].b) {
      if (s[i].b > s[k].b)
        s[k].b = s[i].b;
    } else {
      s[++k] = s[i];
    }
  }
  return k + 1;
}

static double measure(const span *s, size_t n) {
  double t = 0;
  for (size_t i = 0; i < n; i++)
    t += s[i].b - s[i].a;
  return t;
}

/* Length of the disjoint spans m[] outside the disjoint spans c[] (both sorted). */
static double outside(const span *m, size_t nm, const span *c, size_t nc) {
  double t = 0;
  size_t j = 0;
  for (size_t i = 0; i < nm; i++) {
    double a = m[i].a, covered = 0;
    while (j < nc && c[j].b <= a)
      j++;
    for (size_t q = j; q < nc && c[q].a < m[i].b; q++) {
      double lo = c[q].a > a ? c[q].a : a, hi = c[q].b < m[i].b ? c[q].b : m[i].b;
      if (hi > lo)
        covered += hi - lo;
    }
    t += m[i].b - m[i].a - covered;
  }
  return t;
}

/* The rank whose last operation ends last (the lowest of ties). */
static int critical_rank(const nvl_llm_step *st, const nvl_wgraph *g, const nvl_workload_spec *spec,
                         const nvl_engine_result *res) {
  double *fin = nvl_xcalloc((size_t)st->ranks + 1, sizeof *fin);
  for (size_t i = 0; i < g->n_ops; i++) {
    int job = g->ops[i].job;
    double end = res->start_s[i] + res->time_s[i];
    for (int m = 0; m < spec->jobs[job].n; m++)
      if (end > fin[st->job_ranks[job][m]])
        fin[st->job_ranks[job][m]] = end;
  }
  int best = 0;
  for (int r = 1; r < st->ranks; r++)
    if (fin[r] > fin[best] * (1 + 1e-12))
      best = r;
  free(fin);
  return best;
}

static void rates(const nvl_llm_step *st, const nvl_design *d, nvl_llm_result *r) {
  int acc = 0;
  for (size_t i = 0; i < d->n_devices; i++)
    acc += nvl_kind_is_accelerator(nvl_device_kind(d, (int)i));
  r->tokens_per_s = r->step_s > 0 ? st->tokens / r->step_s : 0;
  r->replica_tokens_per_s = r->tokens_per_s / st->replicas;
  int per_replica = st->ranks / st->replicas;
  r->design_replicas = acc / per_replica;
  r->design_tokens_per_s = r->replica_tokens_per_s * r->design_replicas;
  r->tokens_per_joule = st->power_W > 0 ? r->tokens_per_s / st->power_W : 0;
  r->mfu = r->step_s > 0 && st->peak_flops > 0 ? st->model_flops / (r->step_s * st->peak_flops) : 0;
}

/* DeepEP's figures of the forward dispatches and combines: each rank's tokens received
 * (dispatch) or sent back (combine), those it keeps included, over the operation's time, averaged
 * over ranks and operations (test_intranode.py's "GB/s (NVL)"); and the operations' mean time. */
static void ep_bandwidths(const nvl_llm_step *st, const nvl_wgraph *g, const nvl_engine_result *res,
                          const nvl_workload_spec *spec, nvl_llm_result *out) {
  double sum_bw[3] = {0}, sum_t[3] = {0}, n_bw[3] = {0}, n_op[3] = {0}, sum_rd[3] = {0};
  for (size_t i = 0; i < g->n_ops; i++) {
    int role = st->role[i];
    const nvl_wop *op = &g->ops[i];
    if (role == NVL_LR_NONE || !st->ep_fig[i] || !(res->time_s[i] > 0))
      continue;
    size_t n = (size_t)spec->jobs[op->job].n;
    const double *fig = g->vals + st->ep_fig[i] - 1;
    for (size_t r = 0; r < n; r++) {
      sum_bw[role] += fig[r] / res->time_s[i];
      sum_rd[role] += fig[n + r] / res->time_s[i];
      n_bw[role]++;
    }
    sum_t[role] += res->time_s[i];
    n_op[role]++;
  }
  out->ep_dispatch_s = n_op[1] ? sum_t[1] / n_op[1] : 0;
  out->ep_combine_s = n_op[2] ? sum_t[2] / n_op[2] : 0;
  out->ep_dispatch_Bps = n_bw[1] ? sum_bw[1] / n_bw[1] : 0;
  out->ep_combine_Bps = n_bw[2] ? sum_bw[2] / n_bw[2] : 0;
  out->ep_dispatch_rdma_Bps = n_bw[1] ? sum_rd[1] / n_bw[1] : 0;
  out->ep_combine_rdma_Bps = n_bw[2] ? sum_rd[2] / n_bw[2] : 0;
}

void nvl_llm_result_compute(const nvl_llm_step *st, const nvl_wgraph *g,
                            const nvl_workload_spec *spec, const nvl_design *d,
                            const nvl_engine_result *res, int rank, nvl_llm_result *out) {
  memset(out, 0, sizeof *out);
  out->n_ops = g->n_ops;
  out->rank_asked = rank >= 0;
  out->rank = rank >= 0 ? rank : critical_rank(st, g, spec, res);
  span *cs = nvl_xmalloc((g->n_ops + 1) * sizeof *cs),
       *ms = nvl_xmalloc((g->n_ops + 1) * sizeof *ms);
  size_t nc = 0, nm = 0;
  for (size_t i = 0; i < g->n_ops; i++) {
    const nvl_wop *op = &g->ops[i];
    double a = res->start_s[i], b = a + res->time_s[i];
    if (b > out->step_s)
      out->step_s = b;
    const nvl_job *j = &spec->jobs[op->job];
    int m = 0;
    while (m < j->n && st->job_ranks[op->job][m] != out->rank)
      m++;
    if (m == j->n)
      continue;
    if (st->dim[i] == NVL_LD_COMPUTE) {
      double own = op->has_vals ? g->vals[op->val_at + (size_t)m] : op->seconds;
      cs[nc++] = (span){a, a + own};
    } else {
      out->comm_s[st->dim[i]] += b - a;
      ms[nm++] = (span){a, b};
    }
  }
  nc = merge(cs, nc);
  nm = merge(ms, nm);
  out->compute_s = measure(cs, nc);
  out->comm_total_s = measure(ms, nm);
  out->exposed_s = outside(ms, nm, cs, nc);
  /* a difference of simulated times: below a billionth of the step it is their rounding, not time
   * (it printed as 8.67e-13 us) */
  out->bubble_s = out->step_s - out->compute_s - out->exposed_s;
  if (out->bubble_s < 1e-9 * out->step_s)
    out->bubble_s = 0;
  free(cs);
  free(ms);
  ep_bandwidths(st, g, res, spec, out);
  rates(st, d, out);
}

static void print_time(FILE *out, const char *what, double s, double step) {
  fprintf(out, "  %-26s %12.1f us  %5.1f %%\n", what, s * 1e6, step > 0 ? 100 * s / step : 0);
}

void nvl_llm_result_print(const nvl_llm_labels *lb, const nvl_llm_step *st, const nvl_llm_result *r,
                          FILE *out) {
  const nvl_llm_layout *l = lb->lay;
  const nvl_llm_memory *mm = &st->mem;
  fprintf(out, "# nvlsim llm: design %s, model %s (%s), %s\n", lb->design, lb->m->name,
          nvl_precision_name(l->precision), nvl_llm_mode_name(l->mode));
  char cp[96] = "", pp[96] = "";
  if (l->cp > 1)
    snprintf(cp, sizeof cp, " x cp %ld", l->cp);
  if (l->vp > 1)
    snprintf(pp, sizeof pp, " (vp %ld: interleaved 1F1B)", l->vp);
  fprintf(out,
          "# layout: tp %ld%s x pp %ld%s x dp %ld = %d rank%s, %ld micro-batches, batch %ld "
          "sequences x seq %ld%s%s, seed %lu\n",
          l->tp, cp, l->pp, pp, l->dp, st->ranks, st->ranks == 1 ? "" : "s", l->microbatches,
          l->batch, l->seq, l->sp ? ", sequence parallel" : "",
          l->cp > 1 ? (l->cp_a2a ? ", context parallel by all-to-all (Ulysses)"
                                 : ", context parallel by a KV ring (p2p)")
                    : "",
          l->seed);
  if (lb->m->moe)
    fprintf(out, "# experts: etp %ld x ep %ld x edp %ld (folded over tp x dp, order %s)\n",
            l->etp > 1 ? l->etp : 1, l->ep, st->ranks / l->pp / (l->ep * (l->etp > 1 ? l->etp : 1)),
            l->order[0] ? l->order : NVL_LLM_ORDER);
  if (lb->m->moe && l->ep > 1)
    fprintf(out, "# expert exchange: DeepEP's %s kernels\n",
            l->ep_low_latency ? "low-latency (no dedup per rank, no host synchronisation)"
                              : "normal (dedup per rank; the dispatch waits for the host)");
  if (l->mode == NVL_LLM_TRAIN)
    fprintf(out, "# data parallel: %s\n",
            l->zero == 3 ? "ZeRO-3 (FSDP full shard: per-layer parameter all_gather, gradient "
                           "reduce_scatter every micro-batch)"
                         : "ZeRO-1 (distributed optimizer: bucketed gradient reduce_scatter, "
                           "parameter all_gather at the end)");
  if (l->mtp && l->mode == NVL_LLM_TRAIN)
    fprintf(out, "# multi-token prediction: %ld module%s on the last stage\n", l->mtp,
            l->mtp == 1 ? "" : "s");
  else if (l->mtp)
    fprintf(out,
            "# multi-token prediction: %ld draft%s per step, each accepted with chance %g: %.3f "
            "tokens per sequence and step\n",
            l->mtp, l->mtp == 1 ? "" : "s", l->mtp_accept, st->tokens / (double)l->batch);
  if (l->recompute == NVL_RECOMPUTE_FULL)
    fprintf(out, "# recomputation: full (each layer's forward again before its backward; only "
                 "layer inputs kept)\n");
  else if (l->recompute == NVL_RECOMPUTE_SELECTIVE)
    fprintf(out, "# recomputation: selective (the attention core's forward again before its "
                 "backward)\n");
  fprintf(out,
          "# memory of rank %d (the fullest): %.1f GB of %.1f GB (weights %.1f, gradients %.1f, "
          "optimizer %.1f, activations %.1f, KV cache %.1f)\n",
          mm->rank, mm->total / 1e9, mm->capacity / 1e9, mm->weights / 1e9, mm->grads / 1e9,
          mm->optimizer / 1e9, mm->activations / 1e9, mm->kv_cache / 1e9);
  char folded[96] = "";
  if (r->fold_copies > 0 && r->n_simulated == r->n_ops) /* every operation kept, on fewer lanes */
    snprintf(folded, sizeof folded, ", each simulated as one of its %d alike copies",
             r->fold_copies);
  else if (r->fold_copies > 0)
    snprintf(folded, sizeof folded, " (%zu simulated: %d alike copies folded)", r->n_simulated,
             r->fold_copies);
  fprintf(out, "# %zu operations%s; breakdown seen from rank %d (%s)\n", r->n_ops, folded, r->rank,
          r->rank_asked ? "--rank" : "its last operation ends last");
  fprintf(out, "%s time %28.1f us\n",
          l->mode == NVL_LLM_DECODE    ? "token"
          : l->mode == NVL_LLM_PREFILL ? "prefill"
                                       : "step",
          r->step_s * 1e6);
  print_time(out, "compute", r->compute_s, r->step_s);
  for (int k = NVL_LD_TP; k < NVL_LD__COUNT; k++) {
    char what[40];
    snprintf(what, sizeof what, "%s communication", nvl_llm_dim_name((nvl_llm_dim)k));
    if (r->comm_s[k] > 0)
      print_time(out, what, r->comm_s[k], r->step_s);
  }
  if (r->ep_dispatch_s > 0)
    fprintf(out,
            "  %-26s %12.1f us  %7.1f GB/s per rank (DeepEP's figure; combine %.1f us, %.1f "
            "GB/s)\n",
            "a dispatch (mean)", r->ep_dispatch_s * 1e6, r->ep_dispatch_Bps / 1e9,
            r->ep_combine_s * 1e6, r->ep_combine_Bps / 1e9);
  if (r->ep_dispatch_rdma_Bps > 0)
    fprintf(out, "  %-26s %12s     %7.1f GB/s per rank (DeepEP's RDMA figure; combine %.1f GB/s)\n",
            "  across nodes", "", r->ep_dispatch_rdma_Bps / 1e9, r->ep_combine_rdma_Bps / 1e9);
  print_time(out, "exposed communication", r->exposed_s, r->step_s);
  print_time(out, "bubble and waiting", r->bubble_s, r->step_s);
  fprintf(out, "tokens/s %30.1f  (%s)\n", r->tokens_per_s,
          l->mode == NVL_LLM_DECODE ? "generated, all replicas of the job" : "processed");
  fprintf(out, "tokens/s per replica %18.1f  (%d ranks that TP, CP, EP and PP couple)\n",
          r->replica_tokens_per_s, st->ranks / st->replicas);
  fprintf(out, "tokens/s for the design %15.1f  (%d replicas fit its accelerators)\n",
          r->design_tokens_per_s, r->design_replicas);
  fprintf(out, "tokens per joule %22.3f  (board power %.1f kW)\n", r->tokens_per_joule,
          st->power_W / 1e3);
  if (l->mode == NVL_LLM_TRAIN)
    fprintf(out, "MFU %35.1f %%\n", 100 * r->mfu);
}

static const char llm_csv_figures[] =
    "step_time_us,tokens_per_s,compute_us,comm_us,exposed_comm_us,bubble_us,tp_comm_us,"
    "ep_comm_us,pp_comm_us,dp_comm_us,cp_comm_us,mfu,tokens_per_s_replica,tokens_per_s_design,"
    "tokens_per_joule,memory_gb,seed,ep_dispatch_us,ep_combine_us,ep_dispatch_GBps,"
    "ep_combine_GBps,ep_dispatch_rdma_GBps,ep_combine_rdma_GBps";

void nvl_llm_csv_figures_header(FILE *out) { fputs(llm_csv_figures, out); }

size_t nvl_llm_csv_figures_columns(void) {
  size_t n = 1;
  for (const char *c = llm_csv_figures; *c; c++)
    n += *c == ',';
  return n;
}

void nvl_llm_csv_figures_row(const nvl_llm_labels *lb, const nvl_llm_step *st,
                             const nvl_llm_result *r, FILE *out) {
  fprintf(out,
          "%.3f,%.3f,%.3f,%.3f,%.3f,%.3f,%.3f,%.3f,%.3f,%.3f,%.3f,%.6f,%.3f,%.3f,%.6f,%.3f,%lu,"
          "%.3f,%.3f,%.3f,%.3f,%.3f,%.3f",
          r->step_s * 1e6, r->tokens_per_s, r->compute_s * 1e6, r->comm_total_s * 1e6,
          r->exposed_s * 1e6, r->bubble_s * 1e6, r->comm_s[NVL_LD_TP] * 1e6,
          r->comm_s[NVL_LD_EP] * 1e6, r->comm_s[NVL_LD_PP] * 1e6, r->comm_s[NVL_LD_DP] * 1e6,
          r->comm_s[NVL_LD_CP] * 1e6, r->mfu, r->replica_tokens_per_s, r->design_tokens_per_s,
          r->tokens_per_joule, st->mem.total / 1e9, lb->lay->seed, r->ep_dispatch_s * 1e6,
          r->ep_combine_s * 1e6, r->ep_dispatch_Bps / 1e9, r->ep_combine_Bps / 1e9,
          r->ep_dispatch_rdma_Bps / 1e9, r->ep_combine_rdma_Bps / 1e9);
}
