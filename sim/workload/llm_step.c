/*
 * llm_step: a step as a workload graph (llm.h). Communicators are jobs appended to the spec:
 * per replica d and stage s a stage job (its tp x ep ranks: their compute), TP jobs (per EP
 * index), EP jobs (per TP index), a boundary job (stages s and s + 1: pipeline transfers), and
 * per stage the data-parallel jobs of dense and of expert gradients.
 *
 * Each (d, s) is one stream: a chain of steps, each step one operation per communicator of the
 * stage that takes part (a compute step is one operation on the stage job). Blocks (a
 * micro-batch's forward or backward through a stage) are emitted in 1F1B order, a block once the
 * block it receives from is out; every replica's block together, layer by layer, so that a
 * gradient bucket's reduce_scatter can follow the layer that completes it in every replica.
 * Operations on one data-parallel communicator run in order (as NCCL's do on one stream).
 */
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"
#include "workload/llm_build.h"

void nvl_lb_vec_push(vec *x, size_t v) {
  if (x->n == x->cap) {
    x->cap = x->cap ? 2 * x->cap : 8;
    x->v = nvl_xrealloc(x->v, x->cap * sizeof *x->v);
  }
  x->v[x->n++] = v;
}

static int add_job(builder *b, const char *name, const int *ranks, int n, nvl_coll coll) {
  nvl_workload_spec *spec = b->spec;
  if (spec->n_jobs == b->cap_jobs) {
    b->cap_jobs *= 2;
    spec->jobs = nvl_xrealloc(spec->jobs, b->cap_jobs * sizeof *spec->jobs);
    b->st->job_ranks = nvl_xrealloc(b->st->job_ranks, b->cap_jobs * sizeof *b->st->job_ranks);
    b->dp_last = nvl_xrealloc(b->dp_last, b->cap_jobs * sizeof *b->dp_last);
  }
  size_t k = spec->n_jobs++;
  nvl_job *j = &spec->jobs[k];
  *j = spec->jobs[0];
  snprintf(j->name, sizeof j->name, "%s", name);
  j->coll = coll;
  j->matrix = NULL;
  j->n = n;
  j->devs = nvl_xmalloc((size_t)n * sizeof *j->devs);
  b->st->job_ranks[k] = nvl_xmalloc((size_t)n * sizeof(int));
  for (int i = 0; i < n; i++) {
    j->devs[i] = spec->jobs[0].devs[ranks[i]];
    b->st->job_ranks[k][i] = ranks[i];
  }
  b->dp_last[k] = -1;
  return (int)k;
}

size_t nvl_lb_add_op(builder *b, nvl_wop *op, nvl_llm_dim dim, const vec *deps) {
  op->algo = NVL_ALGO_AUTO;
  size_t id = (size_t)nvl_wgraph_add(&b->st->g, op, deps->v, deps->n);
  if (id >= b->cap_dim) {
    b->cap_dim = 2 * id + 16;
    b->st->dim = nvl_xrealloc(b->st->dim, b->cap_dim);
    b->st->role = nvl_xrealloc(b->st->role, b->cap_dim);
  }
  b->st->dim[id] = (uint8_t)dim;
  b->st->role[id] = (uint8_t)b->role;
  return id;
}

/* A step of stream ds: its operations depend on the stream's tail (and `extra`, -1: none). */
void nvl_lb_step_begin(builder *b, size_t ds, long extra) {
  b->deps.n = 0;
  for (size_t i = 0; i < b->tail[ds].n; i++)
    nvl_lb_vec_push(&b->deps, b->tail[ds].v[i]);
  if (extra >= 0)
    nvl_lb_vec_push(&b->deps, (size_t)extra);
  for (size_t i = 0; i < b->gate.n; i++)
    nvl_lb_vec_push(&b->deps, b->gate.v[i]);
  b->gate.n = 0;
  b->next.n = 0;
}

void nvl_lb_step_add(builder *b, nvl_wop *op, nvl_llm_dim dim) {
  nvl_lb_vec_push(&b->next, nvl_lb_add_op(b, op, dim, &b->deps));
}

void nvl_lb_step_end(builder *b, size_t ds) {
  vec t = b->tail[ds];
  b->tail[ds] = b->next;
  b->next = t;
}

/* A compute step of stream (d, s): its operations (llm_ops.c) on every rank of the stage; the
 * routed experts' step has each rank's own work (work[i], hit[i] for stage rank i). */
static void compute(builder *b, long d, long s, llm_step_kind kind, long layer, bool bwd,
                    const double *work, const double *hit) {
  const llm_shape *sh = b->sh;
  size_t ds = (size_t)(d * sh->lay->pp + s);
  nvl_wop op = {.kind = NVL_WOP_COMPUTE, .job = b->stage_job[ds], .src = -1, .has_vals = true};
  op.val_at = nvl_wgraph_vals(&b->st->g, (size_t)sh->tpep);
  bool first = !b->computed[ds];
  b->computed[ds] = true;
  llm_ops ops;
  if (!work)
    nvl_llm_ops(sh, kind, layer, s, bwd, 0, 0, &ops);
  const nvl_chip *last = NULL;
  double last_s = 0;
  for (int i = 0; i < sh->tpep; i++) {
    int r = llm_rank(sh, i % sh->lay->tp, i / sh->lay->tp, d, s);
    if (work) {
      nvl_llm_ops(sh, kind, layer, s, bwd, work[i], hit[i], &ops);
      last_s = nvl_llm_ops_seconds(sh, r, &ops, first);
    } else if (sh->rank_chip[r] != last) { /* ranks of one chip take the same time */
      last = sh->rank_chip[r];
      last_s = nvl_llm_ops_seconds(sh, r, &ops, first);
    }
    b->st->g.vals[op.val_at + (size_t)i] = last_s;
  }
  nvl_lb_step_begin(b, ds, -1);
  nvl_lb_step_add(b, &op, NVL_LD_COMPUTE);
  nvl_lb_step_end(b, ds);
}

/* A collective on every TP job of stream (d, s). */
static void tp_coll(builder *b, long d, long s, nvl_coll coll, double bytes) {
  const llm_shape *sh = b->sh;
  if (sh->lay->tp == 1)
    return;
  size_t ds = (size_t)(d * sh->lay->pp + s);
  nvl_lb_step_begin(b, ds, -1);
  for (long e = 0; e < sh->lay->ep; e++) {
    nvl_wop op = {.kind = NVL_WOP_COLLECTIVE,
                  .job = b->tp_job[ds * (size_t)sh->lay->ep + (size_t)e],
                  .coll = coll,
                  .bytes = (uint64_t)bytes};
    nvl_lb_step_add(b, &op, NVL_LD_TP);
  }
  nvl_lb_step_end(b, ds);
}

/* The TP exchange after attention or the MLP: all_reduce, or reduce_scatter + all_gather. */
static void tp_exchange(builder *b, long d, long s) {
  double bytes = b->sh->tokens_mb * (double)b->sh->m->hidden * 2;
  if (b->sh->lay->sp) {
    tp_coll(b, d, s, NVL_COLL_REDUCE_SCATTER, bytes);
    tp_coll(b, d, s, NVL_COLL_ALL_GATHER, bytes);
  } else {
    tp_coll(b, d, s, NVL_COLL_ALL_REDUCE, bytes);
  }
}

/* The routing results of layer k of stream ds for TP index t (tok, then work, then hit). */
static const double *routing(const builder *b, size_t ds, long t, long k) {
  const llm_shape *sh = b->sh;
  return b->st->g.vals +
         b->route_at[(ds * (size_t)sh->lay->tp + (size_t)t) * (size_t)sh->layers_stage + (size_t)k];
}

/* Tokens to their experts' ranks (dispatch, or in backward the combine's gradient) or back to
 * their owners (combine, or the dispatch's gradient) on every EP job of stream (d, s), from the
 * layer's routing; FP8 with its scales only for a forward dispatch at FP8 or below. */
static void ep_exchange(builder *b, long d, long s, long k, bool combine, bool fp8, bool bwd) {
  const llm_shape *sh = b->sh;
  long ep = sh->lay->ep, tp = sh->lay->tp;
  size_t ds = (size_t)(d * sh->lay->pp + s);
  double h = (double)sh->m->hidden, tok_bytes = fp8 ? h + h / 128 * 4 : 2 * h;
  nvl_lb_step_begin(b, ds, -1);
  for (long t = 0; t < tp; t++) {
    /* DeepEP's kernels; the normal ones' forward dispatch waits for the host to learn the counts
     * (a cached dispatch in backward, and every combine, reuse the dispatch's layout) */
    nvl_wop op = {.kind = NVL_WOP_MATRIX,
                  .job = b->ep_job[ds * (size_t)tp + (size_t)t],
                  .has_vals = true,
                  .direct = true,
                  .host_sync = !sh->lay->ep_low_latency && !combine && !bwd};
    op.val_at = nvl_wgraph_vals(&b->st->g, (size_t)(ep * ep)); /* may move vals */
    const double *tok = routing(b, ds, t, k);
    double *v = b->st->g.vals + op.val_at;
    double busiest = 0; /* the op's size, as a traffic matrix's: the busiest rank's sends */
    for (long i = 0; i < ep; i++) {
      double row = 0;
      for (long j = 0; j < ep; j++) {
        /* the diagonal is what a rank keeps (never sent): DeepEP's bandwidths count it */
        v[i * ep + j] = (combine ? tok[j * ep + i] : tok[i * ep + j]) * tok_bytes;
        row += i == j ? 0 : v[i * ep + j];
      }
      busiest = row > busiest ? row : busiest;
    }
    op.bytes = (uint64_t)busiest;
    b->role = bwd ? NVL_LR_NONE : combine ? NVL_LR_COMBINE : NVL_LR_DISPATCH;
    nvl_lb_step_add(b, &op, NVL_LD_EP);
    b->role = NVL_LR_NONE;
  }
  nvl_lb_step_end(b, ds);
}

/* The expert step of a MoE layer: each rank's token-expert pairs and experts hit. */
static void experts(builder *b, long d, long s, long k, bool bwd) {
  const llm_shape *sh = b->sh;
  long ep = sh->lay->ep, tp = sh->lay->tp;
  size_t ds = (size_t)(d * sh->lay->pp + s);
  double *work = nvl_xmalloc((size_t)sh->tpep * sizeof *work);
  double *hit = nvl_xmalloc((size_t)sh->tpep * sizeof *hit);
  for (long t = 0; t < tp; t++) {
    const double *r = routing(b, ds, t, k);
    for (long e = 0; e < ep; e++) {
      work[e * tp + t] = r[ep * ep + e];
      hit[e * tp + t] = r[ep * ep + ep + e];
    }
  }
  compute(b, d, s, LS_EXPERTS, s * sh->layers_stage + k, bwd, work, hit);
  free(work);
  free(hit);
}

/* Layer k (of the stage) of stream (d, s), forward or backward (its steps in reverse, each
 * compute step as its operations' backward: llm_ops.c; under full recomputation the forward
 * first). */
static void layer(builder *b, long d, long s, long k, bool bwd) {
  const llm_shape *sh = b->sh;
  double tok = sh->tokens_mb;
  long g = s * sh->layers_stage + k; /* the model's layer */
  bool moe = llm_moe_layer(sh->m, g);
  if (bwd && sh->lay->recompute == NVL_RECOMPUTE_FULL)
    layer(b, d, s, k, false); /* its forward again, communication included, from its input */
  if (!bwd) {
    compute(b, d, s, LS_ATTN, g, false, NULL, NULL);
    tp_exchange(b, d, s);
  }
  if (moe) {
    compute(b, d, s, LS_MOE_PRE, g, bwd, NULL, NULL);
    bool fp8 = !bwd && sh->lay->precision != NVL_PREC_BF16;
    if (sh->lay->ep > 1)
      ep_exchange(b, d, s, k, false, fp8, bwd);
    experts(b, d, s, k, bwd);
    if (sh->lay->ep > 1)
      ep_exchange(b, d, s, k, true, false, bwd);
    tp_coll(b, d, s, NVL_COLL_ALL_GATHER, tok * (double)sh->m->hidden * 2);
  } else {
    compute(b, d, s, LS_MLP, g, bwd, NULL, NULL);
    tp_exchange(b, d, s);
  }
  if (bwd) {
    compute(b, d, s, LS_ATTN, g, true, NULL, NULL);
    tp_exchange(b, d, s);
  }
}

/* Activations (or their gradients) from stage s to s + 1 (s - 1) of replica d. */
static long pp_send(builder *b, long d, long s, bool bwd) {
  const llm_shape *sh = b->sh;
  long pp = sh->lay->pp;
  size_t ds = (size_t)(d * pp + s);
  int n = 2 * sh->tpep, job = b->bound_job[(size_t)(d * pp) + (size_t)(bwd ? s - 1 : s)];
  nvl_wop op = {.kind = NVL_WOP_PATTERN, .job = job};
  op.bytes = (uint64_t)(sh->tokens_mb * (double)sh->m->hidden * 2 /
                        (sh->lay->sp ? (double)sh->lay->tp : 1));
  op.dst_at = nvl_wgraph_dsts(&b->st->g, (size_t)n);
  int *dst = b->st->g.dsts + op.dst_at;
  for (int i = 0; i < n; i++)
    dst[i] = -1;
  for (int i = 0; i < sh->tpep; i++) {
    if (bwd)
      dst[i + sh->tpep] = i;
    else
      dst[i] = i + sh->tpep;
  }
  nvl_lb_step_begin(b, ds, -1);
  nvl_lb_step_add(b, &op, NVL_LD_PP);
  nvl_lb_step_end(b, ds);
  return (long)b->tail[ds].v[0];
}

/* A block: micro-batch j through stage s, forward or backward, every replica. */
static void block(builder *b, long s, long j, bool bwd) {
  const llm_shape *sh = b->sh;
  const nvl_llm_layout *l = sh->lay;
  long pp = l->pp, m = l->microbatches, L = sh->layers_stage;
  bool last = s == pp - 1;
  for (long d = 0; d < l->dp; d++) { /* the block's first step waits for its input */
    long in = bwd ? (last ? -1 : b->bsend[((d * pp + s + 1) * m) + j])
                  : (s == 0 ? -1 : b->fsend[((d * pp + s - 1) * m) + j]);
    if (bwd && last)
      compute(b, d, s, LS_HEAD, 0, true, NULL, NULL);
    else if (in >= 0)
      nvl_lb_vec_push(&b->tail[d * pp + s], (size_t)in);
  }
  double bucket = fmax(sh->mctx->kern.dp_bucket_params, 1e6 * (double)(l->ep * l->dp)) * 2;
  /* ZeRO-3 (FSDP's full shard): every layer's parameters gathered before it runs, one layer
   * ahead, in forward and backward, and its gradients reduce_scattered after its backward */
  bool z3 = l->zero == 3 && l->mode == NVL_LLM_TRAIN;
  vec ag = {0}, next_ag = {0};
  if (z3)
    nvl_lb_zero3_gather(b, s, bwd ? L - 1 : 0, &ag);
  for (long q = 0; q < L; q++) {
    long k = bwd ? L - 1 - q : q;
    next_ag.n = 0;
    if (z3 && q + 1 < L)
      nvl_lb_zero3_gather(b, s, bwd ? k - 1 : k + 1, &next_ag);
    for (long d = 0; d < l->dp; d++) {
      for (size_t i = 0; i < ag.n; i++)
        nvl_lb_vec_push(&b->gate, ag.v[i]);
      layer(b, d, s, k, bwd);
    }
    vec t = ag;
    ag = next_ag, next_ag = t;
    if (bwd && z3) {
      double dg, eg;
      nvl_lb_layer_grads(sh, s, k, &dg, &eg);
      nvl_lb_dp_bucket(b, s, dg, eg);
    } else if (bwd && j == m - 1 && l->mode == NVL_LLM_TRAIN) {
      double dg, eg;
      nvl_lb_layer_grads(sh, s, k, &dg, &eg);
      b->bucket_dense += dg;
      b->bucket_expert += eg;
      if (b->bucket_dense + b->bucket_expert >= bucket || q == L - 1) {
        nvl_lb_dp_bucket(b, s, b->bucket_dense, b->bucket_expert);
        b->bucket_dense = b->bucket_expert = 0;
      }
    }
  }
  for (long d = 0; d < l->dp; d++) {
    if (!bwd && last)
      compute(b, d, s, LS_HEAD, 0, false, NULL, NULL);
    else if (!bwd)
      b->fsend[(d * pp + s) * m + j] = pp_send(b, d, s, false);
    else if (s > 0)
      b->bsend[(d * pp + s) * m + j] = pp_send(b, d, s, true);
  }
  free(ag.v);
  free(next_ag.v);
}

/* The communicators. */
static void make_jobs(builder *b) {
  const llm_shape *sh = b->sh;
  const nvl_llm_layout *l = sh->lay;
  long tp = l->tp, ep = l->ep, pp = l->pp, dp = l->dp;
  int *r = nvl_xmalloc((size_t)(2 * sh->ranks + 1) * sizeof *r);
  int *er = nvl_xmalloc((size_t)(ep + 1) * sizeof *er); /* an EP group's ranks */
  char name[64];
  size_t nds = (size_t)(dp * pp);
  b->stage_job = nvl_xmalloc(nds * sizeof(int));
  b->tp_job = nvl_xmalloc(nds * (size_t)ep * sizeof(int));
  b->ep_job = nvl_xmalloc(nds * (size_t)tp * sizeof(int));
  b->bound_job = nvl_xmalloc(nds * sizeof(int));
  b->dpd_job = nvl_xmalloc((size_t)(pp * tp) * sizeof(int));
  b->dpe_job = nvl_xmalloc((size_t)(pp * ep * tp) * sizeof(int));
  for (long s = 0; s < pp; s++)
    for (long d = 0; d < dp; d++) {
      size_t ds = (size_t)(d * pp + s);
      int n = 0;
      for (long i = 0; i < tp * ep; i++)
        r[n++] = llm_rank(sh, i % tp, i / tp, d, s);
      snprintf(name, sizeof name, "stage%d.dp%d", (int)s, (int)d);
      b->stage_job[ds] = add_job(b, name, r, n, NVL_COLL_SENDRECV);
      for (long e = 0; e < ep; e++) {
        snprintf(name, sizeof name, "tp.s%d.d%d.e%d", (int)s, (int)d, (int)e);
        b->tp_job[ds * (size_t)ep + (size_t)e] =
            tp > 1 ? add_job(b, name, r + e * tp, (int)tp, NVL_COLL_ALL_REDUCE) : -1;
      }
      for (long t = 0; t < tp; t++) {
        int ne = 0;
        for (long e = 0; e < ep; e++)
          er[ne++] = llm_rank(sh, t, e, d, s);
        snprintf(name, sizeof name, "ep.s%d.d%d.t%d", (int)s, (int)d, (int)t);
        b->ep_job[ds * (size_t)tp + (size_t)t] =
            ep > 1 ? add_job(b, name, er, ne, NVL_COLL_ALLTOALL) : -1;
      }
      if (s + 1 < pp) {
        for (long i = 0; i < tp * ep; i++)
          r[n++] = llm_rank(sh, i % tp, i / tp, d, s + 1);
        snprintf(name, sizeof name, "pp.s%d.d%d", (int)s, (int)d);
        b->bound_job[ds] = add_job(b, name, r, n, NVL_COLL_SENDRECV);
      }
    }
  for (long s = 0; s < pp; s++)
    for (long t = 0; t < tp; t++) {
      int n = 0;
      for (long d = 0; d < dp; d++)
        for (long e = 0; e < ep; e++)
          r[n++] = llm_rank(sh, t, e, d, s);
      snprintf(name, sizeof name, "dp.s%d.t%d", (int)s, (int)t);
      b->dpd_job[s * tp + t] =
          n > 1 && l->mode == NVL_LLM_TRAIN ? add_job(b, name, r, n, NVL_COLL_REDUCE_SCATTER) : -1;
      for (long e = 0; e < ep; e++) {
        n = 0;
        for (long d = 0; d < dp; d++)
          r[n++] = llm_rank(sh, t, e, d, s);
        snprintf(name, sizeof name, "dpe.s%d.e%d.t%d", (int)s, (int)e, (int)t);
        b->dpe_job[(s * ep + e) * tp + t] =
            n > 1 && sh->m->moe && ep > 1 && l->mode == NVL_LLM_TRAIN
                ? add_job(b, name, r, n, NVL_COLL_REDUCE_SCATTER)
                : -1;
      }
    }
  free(r);
  free(er);
}

/* Every MoE layer's routing, drawn in a fixed order from the seeded generator. */
static void draw_routing(builder *b) {
  const llm_shape *sh = b->sh;
  const nvl_llm_layout *l = sh->lay;
  long ep = l->ep, tp = l->tp, L = sh->layers_stage;
  size_t n = (size_t)(l->dp * l->pp * tp * L);
  b->route_at = nvl_xcalloc(n + 1, sizeof *b->route_at);
  if (!sh->m->moe)
    return;
  llm_routing rt = {nvl_xmalloc((size_t)(ep * ep) * sizeof(double)),
                    nvl_xmalloc((size_t)ep * sizeof(double)),
                    nvl_xmalloc((size_t)ep * sizeof(double))};
  for (size_t i = 0; i < n; i++) {
    long k = (long)(i % (size_t)L), s = (long)((i / (size_t)(L * tp)) % (size_t)l->pp);
    if (!llm_moe_layer(sh->m, s * L + k))
      continue;
    nvl_llm_route(sh, sh->tokens_mb / (double)tp, b->rng, &rt);
    size_t at = nvl_wgraph_vals(&b->st->g, (size_t)(ep * ep + 2 * ep));
    memcpy(b->st->g.vals + at, rt.tok, (size_t)(ep * ep) * sizeof(double));
    memcpy(b->st->g.vals + at + ep * ep, rt.work, (size_t)ep * sizeof(double));
    memcpy(b->st->g.vals + at + ep * ep + ep, rt.hit, (size_t)ep * sizeof(double));
    b->route_at[i] = at;
  }
  free(rt.tok), free(rt.work), free(rt.hit);
}

/* Blocks in 1F1B order per stage (forward only for inference), emitted as their inputs are. */
static void schedule(builder *b) {
  const nvl_llm_layout *l = b->sh->lay;
  long pp = l->pp, m = l->microbatches;
  bool train = l->mode == NVL_LLM_TRAIN;
  long *pos = nvl_xcalloc((size_t)pp, sizeof *pos), len = train ? 2 * m : m, left = pp * len;
  while (left > 0) {
    for (long s = 0; s < pp; s++)
      while (pos[s] < len) {
        long w = train ? (pp - s - 1 < m ? pp - s - 1 : m) : m, i = pos[s], j;
        bool bwd;
        if (i < w) { /* warm-up forwards, then alternate, then the cool-down backwards */
          j = i, bwd = false;
        } else if (i < w + 2 * (m - w)) {
          long q = i - w;
          bwd = q % 2 == 1, j = bwd ? q / 2 : w + q / 2;
        } else {
          j = i - m, bwd = true;
        }
        bool ready = bwd ? s == pp - 1 || b->bsend[(s + 1) * m + j] >= 0
                         : s == 0 || b->fsend[(s - 1) * m + j] >= 0;
        if (!ready)
          break;
        block(b, s, j, bwd);
        pos[s]++, left--;
      }
  }
  free(pos);
}

/* Training: each stream's optimizer step once its stage's gradients are reduced (the
 * parameters' all_gather follows it). */
static void optimizer_steps(builder *b) {
  const nvl_llm_layout *l = b->sh->lay;
  int per_stage = b->sh->ranks / (int)l->pp;
  for (long s = 0; s < l->pp; s++)
    for (long d = 0; d < l->dp; d++) {
      for (size_t i = 0; i < b->rs.n; i++) {
        int job = b->st->g.ops[b->rs.v[i]].job;
        if (b->st->job_ranks[job][0] / per_stage == s)
          nvl_lb_vec_push(&b->gate, b->rs.v[i]);
      }
      size_t ds = (size_t)(d * l->pp + s);
      nvl_lb_step_begin(b, ds, -1);
      nvl_wop op = {.kind = NVL_WOP_COMPUTE, .job = b->stage_job[ds], .src = -1, .has_vals = true};
      op.val_at = nvl_wgraph_vals(&b->st->g, (size_t)b->sh->tpep);
      llm_ops ops;
      nvl_llm_ops(b->sh, LS_OPTIMIZER, 0, s, false, 0, 0, &ops);
      for (int i = 0; i < b->sh->tpep; i++) {
        int r = llm_rank(b->sh, i % l->tp, i / l->tp, d, s);
        b->st->g.vals[op.val_at + (size_t)i] = nvl_llm_ops_seconds(b->sh, r, &ops, false);
      }
      nvl_lb_step_add(b, &op, NVL_LD_COMPUTE);
      nvl_lb_step_end(b, ds);
    }
}

int nvl_llm_step_build(const nvl_model_ctx *ctx, const nvl_llm *m, const nvl_llm_layout *lay,
                       const nvl_design *d, nvl_workload_spec *spec, nvl_llm_step *st,
                       nvl_diags *diags) {
  memset(st, 0, sizeof *st);
  llm_shape sh;
  if (nvl_llm_shape(ctx, m, lay, d, &spec->jobs[0], &sh, &st->mem, diags) != 0)
    return -1;
  builder b = {.sh = &sh, .spec = spec, .st = st, .cap_jobs = spec->n_jobs + 16};
  spec->jobs = nvl_xrealloc(spec->jobs, b.cap_jobs * sizeof *spec->jobs);
  st->job_ranks = nvl_xcalloc(b.cap_jobs, sizeof *st->job_ranks);
  b.dp_last = nvl_xcalloc(b.cap_jobs, sizeof *b.dp_last);
  st->job_ranks[0] = nvl_xmalloc((size_t)sh.ranks * sizeof(int));
  for (int r = 0; r < sh.ranks; r++)
    st->job_ranks[0][r] = r;
  spec->jobs[0].coll = NVL_COLL_SENDRECV;
  b.rng = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(b.rng, lay->seed);
  size_t nds = (size_t)(lay->dp * lay->pp), nb = nds * (size_t)lay->microbatches;
  b.tail = nvl_xcalloc(nds, sizeof *b.tail);
  b.fsend = nvl_xmalloc(nb * sizeof *b.fsend);
  b.bsend = nvl_xmalloc(nb * sizeof *b.bsend);
  b.computed = nvl_xcalloc(nds, sizeof *b.computed);
  for (size_t i = 0; i < nb; i++)
    b.fsend[i] = b.bsend[i] = -1;
  make_jobs(&b);
  draw_routing(&b);
  schedule(&b);
  if (lay->mode == NVL_LLM_TRAIN)
    optimizer_steps(&b);
  if (lay->zero != 3)
    nvl_lb_dp_gather(&b);
  nvl_llm_totals(&sh, &st->model_flops, &st->tokens);
  st->ranks = sh.ranks;
  st->replicas = (int)lay->dp;
  for (int r = 0; r < sh.ranks; r++) {
    const nvl_compute *c = &d->endpoint_types[d->devices[spec->jobs[0].devs[r]].type].compute;
    st->power_W += c->power_W;
    st->peak_flops += c->flops[lay->precision];
  }
  for (size_t i = 0; i < nds; i++)
    free(b.tail[i].v);
  free(b.tail), free(b.gate.v), free(b.deps.v), free(b.next.v), free(b.rs.v), free(b.fsend),
      free(b.bsend);
  free(b.route_at), free(b.stage_job), free(b.tp_job), free(b.ep_job), free(b.bound_job);
  free(b.dpd_job), free(b.dpe_job), free(b.dp_last), free(b.computed);
  gsl_rng_free(b.rng);
  nvl_llm_shape_release(&sh);
  return 0;
}

void nvl_llm_step_release(nvl_llm_step *st, size_t n_jobs) {
  nvl_wgraph_release(&st->g);
  free(st->dim);
  free(st->role);
  if (st->job_ranks)
    for (size_t k = 0; k < n_jobs; k++)
      free(st->job_ranks[k]);
  free(st->job_ranks);
  memset(st, 0, sizeof *st);
}
