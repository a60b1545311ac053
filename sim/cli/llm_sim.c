/*
 * llm_sim: see llm_sim.h.
 */
#include "cli/llm_sim.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/exit.h"
#include "base/units.h"
#include "base/xalloc.h"
#include "cli/cli.h"
#include "cli/simulate.h"

int nvl_arg_phase_window(void *field, const char *v, const char *opt, const char *cmd) {
  nvl_phase_opts *ph = field;
  double x;
  if (nvl_parse_decimal(v, &x) != 0 || !(x >= 0 && x <= 0.1))
    return nvl_cli_usage_error(cmd, "%s: \"%.40s\" is not a share of a duration from 0 to 0.1", opt,
                               v);
  ph->window = x;
  ph->window_given = true;
  return 0;
}

int nvl_llm_ask_check(const nvl_llm_ask *a, char *err, size_t len) {
  const size_t *counts[] = {&a->tp,  &a->ep,  &a->pp, &a->dp, &a->microbatches, &a->batch,
                            &a->seq, &a->etp, &a->cp, &a->vp, &a->first_layers, &a->last_layers};
  const char *names[] = {"tp",  "ep",  "pp", "dp", "microbatches",       "batch",
                         "seq", "etp", "cp", "vp", "first-stage-layers", "last-stage-layers"};
  for (int i = 0; i < 12; i++)
    if (*counts[i] > 1000000000) {
      snprintf(err, len, "%s: at most 1000000000", names[i]);
      return -1;
    }
  if (a->redundant > 65536) {
    snprintf(err, len, "redundant experts: at most 65536");
    return -1;
  }
  if (a->node_groups > 65536) {
    snprintf(err, len, "node-groups: at most 65536");
    return -1;
  }
  if (!(a->skew >= 0 && a->skew <= 10)) {
    snprintf(err, len, "skew: a Zipf exponent from 0 to 10");
    return -1;
  }
  return 0;
}

/* Options that change nothing in layout l: said, not silently dropped. */
static void warn_ignored(const nvl_llm_ask *a, const nvl_llm *m, const nvl_llm_layout *l,
                         nvl_diags *diags) {
  bool train = a->mode == NVL_LLM_TRAIN;
  bool routed = m->moe && l->ep > 1;
  if (a->redundant && !routed)
    nvl_diag_add(diags, NVL_SEV_WARNING, NVL_DIAG_SCHEMA, "",
                 "--redundant-experts ignored: it places expert copies over an ep > 1 of a MoE "
                 "model");
  if (a->node_groups && !routed)
    nvl_diag_add(diags, NVL_SEV_WARNING, NVL_DIAG_SCHEMA, "",
                 "--node-groups ignored: it limits the routing of a MoE model over ep > 1");
  if (a->skew > 0 && !routed)
    nvl_diag_add(diags, NVL_SEV_WARNING, NVL_DIAG_SCHEMA, "",
                 "--skew ignored: it skews the routing of a MoE model over ep > 1");
  if (a->etp > 1 && !m->moe)
    nvl_diag_add(diags, NVL_SEV_WARNING, NVL_DIAG_SCHEMA, "",
                 "--etp ignored: it splits the experts of a MoE model over tensor-parallel ranks");
  if (a->tbo && (a->mode == NVL_LLM_TRAIN || !m->moe || l->ep == 1))
    nvl_diag_add(diags, NVL_SEV_WARNING, NVL_DIAG_SCHEMA, "",
                 "--two-batch-overlap ignored: it overlaps a MoE model's expert exchange over "
                 "ep > 1 in inference");
  if (a->capacity > 0 && !m->moe)
    nvl_diag_add(diags, NVL_SEV_WARNING, NVL_DIAG_SCHEMA, "",
                 "--capacity-factor ignored: it drops tokens of a MoE model's experts");
  if (m->context > 0 && l->seq > m->context)
    nvl_diag_add(diags, NVL_SEV_WARNING, NVL_DIAG_SCHEMA, "",
                 "--seq %ld is beyond %s's context of %ld tokens (its max_position_embeddings): "
                 "simulated as asked",
                 l->seq, m->name, m->context);
  if (a->ep_kernel >= 0 && !routed)
    nvl_diag_add(diags, NVL_SEV_WARNING, NVL_DIAG_SCHEMA, "",
                 "--ep-kernel ignored: it chooses DeepEP's kernels for the expert exchange of a "
                 "MoE model over ep > 1");
  if (a->recompute > 0 && !train)
    nvl_diag_add(diags, NVL_SEV_WARNING, NVL_DIAG_SCHEMA, "",
                 "--recompute ignored: recomputation trades a training step's activation memory "
                 "for compute");
  if (a->sp && l->tp == 1)
    nvl_diag_add(diags, NVL_SEV_WARNING, NVL_DIAG_SCHEMA, "",
                 "--sp ignored: sequence parallelism splits the sequence over tp > 1");
  if (a->shared_overlap && !m->shared)
    nvl_diag_add(diags, NVL_SEV_WARNING, NVL_DIAG_SCHEMA, "",
                 "--shared-expert-overlap ignored: the model has no shared experts");
  if (a->mtp > 0 && a->mode == NVL_LLM_PREFILL)
    nvl_diag_add(diags, NVL_SEV_WARNING, NVL_DIAG_SCHEMA, "",
                 "--mtp ignored: multi-token prediction trains modules or drafts decode tokens");
  if (a->mtp_accept >= 0 && !(a->mode == NVL_LLM_DECODE && l->mtp > 0))
    nvl_diag_add(diags, NVL_SEV_WARNING, NVL_DIAG_SCHEMA, "",
                 "--mtp-accept ignored: it is the acceptance of decode's drafts (give --mtp N)");
  if (a->cp_a2a && l->cp == 1)
    nvl_diag_add(diags, NVL_SEV_WARNING, NVL_DIAG_SCHEMA, "",
                 "--cp-comm ignored: it chooses the exchange of context parallelism over cp > 1");
}

/* The layout from the ask, with the defaults that depend on the job's n ranks. Returns 0, or -1
 * with a diagnostic. */
static int make_layout(const nvl_llm_ask *a, const nvl_llm *m, int n, nvl_llm_layout *l,
                       nvl_diags *diags) {
  memset(l, 0, sizeof *l);
  l->mode = a->mode;
  l->tp = a->tp ? (long)a->tp : 1;
  l->ep = a->ep ? (long)a->ep : 1;
  l->pp = a->pp ? (long)a->pp : 1;
  l->etp = a->etp && m->moe ? (long)a->etp : 1; /* a dense model: warned below */
  l->cp = a->cp ? (long)a->cp : 1;
  l->vp = a->vp ? (long)a->vp : 1;
  l->first_layers = (long)a->first_layers;
  l->last_layers = (long)a->last_layers;
  l->cp_a2a = a->cp_a2a;
  snprintf(l->order, sizeof l->order, "%s", a->order[0] ? a->order : NVL_LLM_ORDER);
  /* products of sizes (each at most 1e9) are checked against the job before they are used */
  long tpp, all;
  char dims[96]; /* the sizes dp multiplies, as said in messages (cp when given) */
  if (l->cp > 1)
    snprintf(dims, sizeof dims, "tp %ld x cp %ld x pp %ld", l->tp, l->cp, l->pp);
  else
    snprintf(dims, sizeof dims, "tp %ld x pp %ld", l->tp, l->pp);
  bool over =
      __builtin_mul_overflow(l->tp, l->pp, &tpp) || __builtin_mul_overflow(tpp, l->cp, &tpp);
  if (over || tpp > n) {
    nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_SCHEMA, "",
                 "%s%s exceeds the job's %d ranks (place it with --ranks or -g)", dims,
                 over ? " (beyond 2^63)" : "", n);
    return -1;
  }
  if (l->ep > n) {
    nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_SCHEMA, "",
                 "ep %ld exceeds the job's %d ranks (place it with --ranks or -g)", l->ep, n);
    return -1;
  }
  over = a->dp && __builtin_mul_overflow(tpp, (long)a->dp, &all);
  if (a->dp && (over || all != n)) {
    char prod[32] = "more than 2^63";
    if (!over)
      snprintf(prod, sizeof prod, "%ld", all);
    nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_SCHEMA, "",
                 "%s x dp %zu = %s ranks, but the job has %d (place it with --ranks or -g)", dims,
                 a->dp, prod, n);
    return -1;
  }
  if (!a->dp && n % tpp) {
    nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_SCHEMA, "",
                 "%s = %ld does not divide the job's %d ranks (give --dp, -g or --ranks)", dims,
                 tpp, n);
    return -1;
  }
  l->dp = a->dp ? (long)a->dp : n / tpp;
  l->seq = a->seq ? (long)a->seq : 4096;
  l->precision = a->precision >= 0 ? (nvl_precision)a->precision : m->precision;
  l->attn_precision = a->attn_precision >= 0 ? (nvl_precision)a->attn_precision : NVL_PREC_BF16;
  l->kv_precision = a->kv_precision >= 0            ? (nvl_precision)a->kv_precision
                    : l->precision == NVL_PREC_BF16 ? NVL_PREC_BF16
                                                    : NVL_PREC_FP8;
  l->flash2 = a->attn_kernel == 1;
  l->ep_low_latency = a->ep_kernel >= 0 ? a->ep_kernel == 1 : a->mode == NVL_LLM_DECODE;
  l->runtime = a->runtime >= 0             ? (nvl_runtime)a->runtime
               : a->mode == NVL_LLM_DECODE ? NVL_RT_GRAPH
                                           : NVL_RT_FUSED;
  long dpw = l->dp;
  bool train = a->mode == NVL_LLM_TRAIN;
  l->batch = a->batch                     ? (long)a->batch
             : train                      ? dpw * (l->pp > 1 ? 4 * l->pp : 1)
             : a->mode == NVL_LLM_PREFILL ? dpw
                                          : 64 * dpw;
  long per_rank = l->batch / dpw > 0 ? l->batch / dpw : 1;
  l->microbatches = a->microbatches                      ? (long)a->microbatches
                    : train                              ? per_rank
                    : l->pp > 1 && per_rank % l->pp == 0 ? l->pp
                                                         : 1;
  l->sp = a->sp;
  l->shared_overlap = a->shared_overlap;
  l->mtp = a->mtp >= 0 ? a->mtp : train ? m->mtp : 0;
  if (a->mode == NVL_LLM_PREFILL)
    l->mtp = 0; /* warned */
  l->mtp_accept = a->mtp_accept >= 0 ? a->mtp_accept : NVL_LLM_MTP_ACCEPT;
  l->capacity = a->capacity;
  l->tbo = a->tbo && !train && m->moe && l->ep > 1; /* else warned */
  l->redundant_experts = (long)a->redundant;
  l->node_groups = (long)a->node_groups;
  l->zero = a->zero > 3 ? 4 : (int)a->zero;
  l->recompute = a->recompute > 0 && train ? (nvl_llm_recompute)a->recompute : NVL_RECOMPUTE_NONE;
  l->skew = a->skew;
  l->seed = a->seed;
  warn_ignored(a, m, l, diags);
  return 0;
}

/* Platform, the job's ranks, the layout and the step. Returns an exit status. */
static int prepare(const nvl_model_ctx *ctx, const nvl_design *d, const nvl_llm *m,
                   const nvl_llm_ask *a, nvl_llm_sim *x, nvl_diags *diags) {
  nvl_platform_opts popts = {.model = a->model};
  x->p = nvl_platform_new(d, &popts, diags);
  x->spec.ctx = ctx;
  x->spec.model = a->model;
  x->spec.seed = a->seed;
  x->spec.one_rank_ok = true;
  x->spec.back_to_back = true;
  x->spec.jobs = nvl_xcalloc(1, sizeof *x->spec.jobs);
  x->spec.n_jobs = 1;
  nvl_job *j = &x->spec.jobs[0];
  snprintf(j->name, sizeof j->name, "llm");
  j->coll = NVL_COLL_SENDRECV;
  j->algo = NVL_ALGO_AUTO;
  j->proto = -1;
  j->n_limit = a->g;
  if (a->ranks)
    snprintf(j->ranks_sel, sizeof j->ranks_sel, "%s", a->ranks);
  if (!x->p || nvl_workload_resolve(&x->spec, d, x->p, diags) != 0)
    return NVL_EXIT_FAIL;
  x->layout_error = true;
  if (make_layout(a, m, x->spec.jobs[0].n, &x->lay, diags) != 0)
    return NVL_EXIT_USAGE;
  if (nvl_llm_step_build(ctx, m, &x->lay, d, &x->spec, &x->st, diags) != 0)
    return diags->count && diags->items[diags->count - 1].code == NVL_DIAG_LIMIT ? NVL_EXIT_FAIL
                                                                                 : NVL_EXIT_USAGE;
  x->layout_error = false;
  return NVL_EXIT_OK;
}

int nvl_llm_build(const nvl_design *d, const nvl_llm *m, const nvl_llm_ask *a,
                  const nvl_model_ctx *ctx, nvl_llm_sim *x, nvl_diags *diags) {
  memset(x, 0, sizeof *x);
  return prepare(ctx, d, m, a, x, diags);
}

int nvl_llm_simulate(const nvl_design *d, const nvl_llm *m, const nvl_llm_ask *a,
                     const nvl_llm_sim_opts *o, nvl_llm_sim *x, nvl_diags *diags) {
  memset(x, 0, sizeof *x);
  int rc = prepare(o->ctx, d, m, a, x, diags);
  if (rc != NVL_EXIT_OK)
    return rc;
  if (o->rank && *o->rank >= (size_t)x->st.ranks) {
    x->layout_error = true;
    nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_LIMIT, "",
                 "--rank %zu: the layout has %d rank%s (0 .. %d)", *o->rank, x->st.ranks,
                 x->st.ranks == 1 ? "" : "s", x->st.ranks - 1);
    return NVL_EXIT_USAGE;
  }
  x->spec.explicit_ranks = o->explicit_ranks;
  x->wr = nvl_workload_run_graph(&x->spec, d, x->p, &x->st.g);
  if (!x->wr) {
    nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_LIMIT, "", "internal error: invalid step graph");
    return NVL_EXIT_FAIL;
  }
  nvl_sim_opts so = {.forked = o->forked,
                     .link_stats = o->link_stats,
                     .no_flow_records = true, /* a step's figures use no per-flow times */
                     .verbose = o->verbose,
                     .progress = o->progress,
                     .phase_window = o->phases.window_given ? o->phases.window : NVL_PHASE_WINDOW,
                     .phase_min_flows = o->phases.exact_flows ? 0
                                        : o->phases.min       ? o->phases.min
                                                              : NVL_PHASE_MIN,
                     .sg_cfg = o->sg_cfg};
  if (nvl_simulate_engine(x->wr, &so, &x->res, diags) != 0)
    return NVL_EXIT_FAIL;
  nvl_llm_result_compute(&x->st, &x->wr->g, &x->spec, d, &x->res, o->rank ? (int)*o->rank : -1,
                         &x->r);
  x->r.n_simulated = x->wr->fold ? nvl_fold_kept(x->wr->fold) : x->r.n_ops;
  x->r.fold_copies = x->wr->fold ? nvl_fold_copies(x->wr->fold) : 0;
  return NVL_EXIT_OK;
}

void nvl_llm_sim_release(nvl_llm_sim *x) {
  nvl_workload_run_free(x->wr);
  nvl_engine_result_release(&x->res);
  nvl_llm_step_release(&x->st, x->spec.n_jobs);
  nvl_workload_spec_release(&x->spec);
  nvl_platform_free(x->p);
  memset(x, 0, sizeof *x);
}

int nvl_cli_llm_load(const char *what, nvl_llm *m) {
  nvl_diags diags = NVL_DIAGS_INIT;
  int rc = NVL_EXIT_OK;
  if (nvl_llm_load(what, m, &diags) != 0) {
    nvl_cli_print_diags(&diags, what, stderr); /* a built-in's problems name it, builtin:NAME */
    rc = diags.count && diags.items[0].code == NVL_DIAG_IO ? NVL_EXIT_USAGE : NVL_EXIT_FAIL;
  }
  nvl_diags_release(&diags);
  return rc;
}

void nvl_cli_llm_print_warnings(const nvl_diags *diags, const char *cmd, const char *who) {
  for (size_t i = 0; i < diags->count; i++)
    if (diags->items[i].severity == NVL_SEV_WARNING)
      fprintf(stderr, "nvlsim %s: warning: %s%s%s\n", cmd, who ? who : "", who ? ": " : "",
              diags->items[i].message);
}

void nvl_cli_llm_print_failure(const nvl_llm_sim *x, const nvl_diags *diags, const char *cmd,
                               const char *label, const char *who) {
  if (!x->layout_error) {
    nvl_cli_print_diags(diags, label, stderr);
    return;
  }
  for (size_t i = 0; i < diags->count; i++)
    if (diags->items[i].severity == NVL_SEV_ERROR) {
      if (who)
        fprintf(stderr, "nvlsim %s: %s (%s): %s\n", cmd, who, label, diags->items[i].message);
      else
        fprintf(stderr, "nvlsim %s: %s\n", cmd, diags->items[i].message);
    }
}
