/*
 * llm_step: a step as a workload graph (llm.h). Communicators are jobs appended to the spec, from
 * the layout's meshes (llm_layout.c): per stream q of stage s a stage job (the stream's ranks:
 * their compute), its TP groups' and EP groups' jobs, a boundary job (the stream in stages s and
 * s + 1: pipeline transfers), and per stage the data-parallel jobs of dense and of expert
 * gradients (the meshes' dp groups).
 *
 * Each (q, s) is one stream: a chain of steps, each step one operation per communicator of the
 * stream that takes part (a compute step is one operation on the stage job). Blocks (a
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
    b->job_stage = nvl_xrealloc(b->job_stage, b->cap_jobs * sizeof *b->job_stage);
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
  b->job_stage[k] = -1;
  return (int)k;
}

size_t nvl_lb_add_op(builder *b, nvl_wop *op, nvl_llm_dim dim, const vec *deps) {
  op->algo = NVL_ALGO_AUTO;
  size_t id = (size_t)nvl_wgraph_add(&b->st->g, op, deps->v, deps->n);
  if (id >= b->cap_dim) {
    b->cap_dim = 2 * id + 16;
    b->st->dim = nvl_xrealloc(b->st->dim, b->cap_dim);
    b->st->role = nvl_xrealloc(b->st->role, b->cap_dim);
    b->st->ep_fig = nvl_xrealloc(b->st->ep_fig, b->cap_dim * sizeof *b->st->ep_fig);
  }
  b->st->dim[id] = (uint8_t)dim;
  b->st->role[id] = (uint8_t)b->role;
  b->st->ep_fig[id] = b->ep_fig;
  return id;
}

/* A step of stream ds: its operations depend on the stream's tail (and `extra`, -1: none). */
void nvl_lb_step_begin(builder *b, size_t ds, long extra) {
  const vec *t = &b->tail[ds * (size_t)b->H + (size_t)b->half];
  b->deps.n = 0;
  b->cur_ds = ds;
  for (size_t i = 0; i < t->n; i++)
    nvl_lb_vec_push(&b->deps, t->v[i]);
  if (extra >= 0)
    nvl_lb_vec_push(&b->deps, (size_t)extra);
  for (size_t i = 0; i < b->gate.n; i++)
    nvl_lb_vec_push(&b->deps, b->gate.v[i]);
  b->gate.n = 0;
  b->next.n = 0;
}

void nvl_lb_step_add(builder *b, nvl_wop *op, nvl_llm_dim dim) {
  /* two-batch overlap: a half's compute waits for the other's before it (one GPU computes) */
  bool lane = b->H > 1 && dim == NVL_LD_COMPUTE;
  if (lane && b->lane[b->cur_ds] >= 0)
    nvl_lb_vec_push(&b->deps, (size_t)b->lane[b->cur_ds]);
  size_t id = nvl_lb_add_op(b, op, dim, &b->deps);
  nvl_lb_vec_push(&b->next, id);
  if (lane)
    b->lane[b->cur_ds] = (long)id;
}

void nvl_lb_step_end(builder *b, size_t ds) {
  vec *tail = &b->tail[ds * (size_t)b->H + (size_t)b->half], t = *tail;
  *tail = b->next;
  b->next = t;
}

nvl_wop nvl_lb_compute_op(builder *b, long q, long s, llm_step_kind kind, long layer, bool bwd,
                          const double *work, const double *hit) {
  const llm_shape *sh = b->sh;
  size_t ds = (size_t)(q * sh->lay->pp + s);
  nvl_wop op = {.kind = NVL_WOP_COMPUTE, .job = b->stage_job[ds], .src = -1, .has_vals = true};
  op.val_at = nvl_wgraph_vals(&b->st->g, (size_t)sh->stream_size);
  bool first = !b->computed[ds];
  b->computed[ds] = true;
  llm_ops ops;
  if (!work)
    nvl_llm_ops(sh, kind, layer, s, bwd, 0, 0, &ops);
  const nvl_chip *last = NULL;
  double last_s = 0;
  for (int i = 0; i < sh->stream_size; i++) {
    int r = llm_rank(sh, q, s, i);
    if (work) {
      nvl_llm_ops(sh, kind, layer, s, bwd, work[i], hit[i], &ops);
      last_s = nvl_llm_ops_seconds(sh, r, &ops, first);
    } else if (sh->rank_chip[r] != last) { /* ranks of one chip take the same time */
      last = sh->rank_chip[r];
      last_s = nvl_llm_ops_seconds(sh, r, &ops, first);
    }
    b->st->g.vals[op.val_at + (size_t)i] = last_s;
  }
  return op;
}

void nvl_lb_compute(builder *b, long q, long s, llm_step_kind kind, long layer, bool bwd,
                    const double *work, const double *hit) {
  size_t ds = (size_t)(q * b->sh->lay->pp + s);
  nvl_wop op = nvl_lb_compute_op(b, q, s, kind, layer, bwd, work, hit);
  nvl_lb_step_begin(b, ds, -1);
  nvl_lb_step_add(b, &op, NVL_LD_COMPUTE);
  nvl_lb_step_end(b, ds);
}

/* A collective on every TP job of stream (q, s). */
static void tp_coll(builder *b, long q, long s, nvl_coll coll, double bytes) {
  const llm_shape *sh = b->sh;
  if (sh->lay->tp == 1)
    return;
  size_t ds = (size_t)(q * sh->lay->pp + s);
  nvl_lb_step_begin(b, ds, -1);
  for (int g = 0; g < b->ntp; g++) {
    nvl_wop op = {.kind = NVL_WOP_COLLECTIVE,
                  .job = b->tp_job[ds * (size_t)b->ntp + (size_t)g],
                  .coll = coll,
                  .bytes = (uint64_t)bytes};
    nvl_lb_step_add(b, &op, NVL_LD_TP);
  }
  nvl_lb_step_end(b, ds);
}

/* The TP exchange after attention or the MLP: all_reduce, or reduce_scatter + all_gather. */
static void tp_exchange(builder *b, long q, long s) {
  double bytes = b->sh->tokens_mb * (double)b->sh->m->hidden * 2;
  if (b->sh->lay->sp) {
    tp_coll(b, q, s, NVL_COLL_REDUCE_SCATTER, bytes);
    tp_coll(b, q, s, NVL_COLL_ALL_GATHER, bytes);
  } else {
    tp_coll(b, q, s, NVL_COLL_ALL_REDUCE, bytes);
  }
}

/* The model's layer g in stream (q, s), forward or backward (its steps in reverse, each compute
 * step as its operations' backward: llm_ops.c; under full recomputation the forward first). A
 * parallel block (GPT-J, PaLM: attention and MLP on the same input, their outputs summed) has
 * one TP exchange per layer each way. */
static void layer(builder *b, long q, long s, long g, bool bwd) {
  const llm_shape *sh = b->sh;
  double tok = sh->tokens_mb;
  bool moe = llm_moe_layer(sh->m, g), par = sh->m->parallel_block && !moe;
  if (bwd && sh->lay->recompute == NVL_RECOMPUTE_FULL)
    layer(b, q, s, g, false); /* its forward again, communication included, from its input */
  if (!bwd) {
    nvl_lb_attention(b, q, s, g, false);
    if (!par)
      tp_exchange(b, q, s);
  }
  if (moe) {
    nvl_lb_compute(b, q, s, LS_MOE_PRE, g, bwd, NULL, NULL);
    bool fp8 = !bwd && sh->lay->precision != NVL_PREC_BF16;
    nvl_lb_experts(b, q, s, g, bwd, fp8);
    tp_coll(b, q, s, NVL_COLL_ALL_GATHER, tok * (double)sh->m->hidden * 2);
  } else {
    nvl_lb_compute(b, q, s, LS_MLP, g, bwd, NULL, NULL);
    if (!(par && bwd))
      tp_exchange(b, q, s);
  }
  if (bwd) {
    nvl_lb_attention(b, q, s, g, true);
    tp_exchange(b, q, s);
  }
}

/* Activations (or their gradients) of stream q out of virtual stage vs to vs + 1 (vs - 1): from
 * its pipeline stage to the next (the previous; with vp, the last and the first are next). The
 * boundary job of stages a and a + 1 (mod pp) lists a's ranks, then a + 1's. */
static long pp_send(builder *b, long q, long vs, bool bwd) {
  const llm_shape *sh = b->sh;
  long pp = sh->lay->pp, s = vs % pp, lower = bwd ? (vs - 1) % pp : s;
  size_t ds = (size_t)(q * pp + s);
  int ss = sh->stream_size, n = 2 * ss, job = b->bound_job[(size_t)(q * pp + lower)];
  nvl_wop op = {.kind = NVL_WOP_PATTERN, .job = job};
  op.bytes = (uint64_t)(sh->tokens_mb * (double)sh->m->hidden * 2 /
                        (sh->lay->sp ? (double)sh->lay->tp : 1));
  op.dst_at = nvl_wgraph_dsts(&b->st->g, (size_t)n);
  int *dst = b->st->g.dsts + op.dst_at;
  for (int i = 0; i < n; i++)
    dst[i] = -1;
  for (int i = 0; i < ss; i++) {
    if (bwd)
      dst[i + ss] = i;
    else
      dst[i] = i + ss;
  }
  nvl_lb_step_begin(b, ds, -1);
  nvl_lb_step_add(b, &op, NVL_LD_PP);
  nvl_lb_step_end(b, ds);
  return (long)b->tail[ds * (size_t)b->H + (size_t)b->half].v[0];
}

/* The gradients of the model's layer g of stage s: ZeRO-3's reduce_scatter after every
 * backward, or, on the last micro-batch, into the bucket that reduce_scatters when full or at the
 * block's end. */
static void gradients(builder *b, long s, long g, long j, bool end) {
  const nvl_llm_layout *l = b->sh->lay;
  double dg, eg;
  nvl_lb_layer_grads(b->sh, g, &dg, &eg);
  if (l->zero == 3) {
    nvl_lb_dp_bucket(b, s, dg, eg);
    return;
  }
  if (j != l->microbatches - 1)
    return;
  double bucket = fmax(b->sh->mctx->kern.dp_bucket_params, 1e6 * (double)(l->dp * llm_cp(l))) * 2;
  b->bucket_dense += dg;
  b->bucket_expert += eg;
  if (b->bucket_dense + b->bucket_expert >= bucket || end) {
    nvl_lb_dp_bucket(b, s, b->bucket_dense, b->bucket_expert);
    b->bucket_dense = b->bucket_expert = 0;
  }
}

/* The multi-token-prediction modules of stream (q, s), the last stage (DeepSeek-V3's, Megatron's
 * --mtp-num-layers): after the output layer in forward, each its input (llm_ops.c), its
 * transformer layer (the model's layers + k) and the shared output layer; before the output layer
 * in backward, in reverse. In decode they draft tokens (reused for drafts beyond the model's). */
static void mtp_modules(builder *b, long q, long s, bool bwd) {
  long n = b->sh->lay->mtp, L = b->sh->m->layers;
  for (long x = 0; x < n; x++) {
    long g = L + (bwd ? n - 1 - x : x);
    nvl_lb_compute(b, q, s, bwd ? LS_HEAD : LS_MTP, g, bwd, NULL, NULL);
    layer(b, q, s, g, bwd);
    nvl_lb_compute(b, q, s, bwd ? LS_MTP : LS_HEAD, g, bwd, NULL, NULL);
  }
}

/* Two-batch overlap (DeepSeek's decode and prefill): layer g of stream (q, s) for both halves of
 * its micro-batch, a MoE layer interleaved so that one half's exchange runs while the other
 * computes: A's attention and router, A's dispatch beside B's attention and router, A's experts
 * beside B's dispatch, B's experts beside A's combine (and B's combine beside the next layer's A):
 * the halves share the compute lane (nvl_lb_step_add). A dense layer runs A then B. */
static void layer_halves(builder *b, long q, long s, long g) {
  const llm_shape *sh = b->sh;
  bool fp8 = sh->lay->precision != NVL_PREC_BF16;
  if (!llm_moe_layer(sh->m, g)) {
    for (b->half = 0; b->half < 2; b->half++)
      layer(b, q, s, g, false);
    b->half = 0;
    return;
  }
  for (b->half = 0; b->half < 2; b->half++) {
    nvl_lb_attention(b, q, s, g, false);
    tp_exchange(b, q, s);
    nvl_lb_compute(b, q, s, LS_MOE_PRE, g, false, NULL, NULL);
    nvl_lb_experts_front(b, q, s, g, false, fp8);
  }
  for (b->half = 0; b->half < 2; b->half++) {
    nvl_lb_experts_back(b, q, s, g, false);
    tp_coll(b, q, s, NVL_COLL_ALL_GATHER, sh->tokens_mb * (double)sh->m->hidden * 2);
  }
  b->half = 0;
}

/* A block: micro-batch j through virtual stage vs, forward or backward, every stream. */
static void block(builder *b, long vs, long j, bool bwd) {
  const llm_shape *sh = b->sh;
  const nvl_llm_layout *l = sh->lay;
  long pp = l->pp, V = sh->vstages, m = l->microbatches, s = vs % pp;
  long L = llm_vlayers(sh, vs), first = sh->vfirst[vs];
  bool last = vs == V - 1, train = l->mode == NVL_LLM_TRAIN;
  long H = b->H;
  for (long q = 0; q < sh->streams; q++) /* the block's first step waits for its input */
    for (b->half = 0; b->half < H; b->half++) {
      long in = bwd ? (last ? -1 : b->bsend[((q * V + vs + 1) * m + j) * H + b->half])
                    : (vs == 0 ? -1 : b->fsend[((q * V + vs - 1) * m + j) * H + b->half]);
      if (bwd && last) {
        mtp_modules(b, q, s, true);
        nvl_lb_compute(b, q, s, LS_HEAD, 0, true, NULL, NULL);
      } else if (in >= 0) {
        nvl_lb_vec_push(&b->tail[(q * pp + s) * H + b->half], (size_t)in);
      }
    }
  b->half = 0;
  for (long k = 0; bwd && last && train && k < l->mtp; k++)
    gradients(b, s, sh->m->layers + k, j, false);
  /* ZeRO-3 (FSDP's full shard): every layer's parameters gathered before it runs, one layer
   * ahead, in forward and backward, and its gradients reduce_scattered after its backward */
  bool z3 = l->zero == 3 && train;
  vec ag = {0}, next_ag = {0};
  if (z3)
    nvl_lb_zero3_gather(b, s, first + (bwd ? L - 1 : 0), &ag);
  for (long x = 0; x < L; x++) {
    long g = first + (bwd ? L - 1 - x : x);
    next_ag.n = 0;
    if (z3 && x + 1 < L)
      nvl_lb_zero3_gather(b, s, bwd ? g - 1 : g + 1, &next_ag);
    for (long q = 0; q < sh->streams; q++) {
      for (size_t i = 0; i < ag.n; i++)
        nvl_lb_vec_push(&b->gate, ag.v[i]);
      if (H > 1)
        layer_halves(b, q, s, g);
      else
        layer(b, q, s, g, bwd);
    }
    vec t = ag;
    ag = next_ag, next_ag = t;
    if (bwd && train)
      gradients(b, s, g, j, x == L - 1);
  }
  for (long q = 0; q < sh->streams; q++)
    for (b->half = 0; b->half < H; b->half++) {
      long at = ((q * V + vs) * m + j) * H + b->half;
      if (!bwd && last) {
        nvl_lb_compute(b, q, s, LS_HEAD, 0, false, NULL, NULL);
        mtp_modules(b, q, s, false);
      } else if (!bwd)
        b->fsend[at] = pp_send(b, q, vs, false);
      else if (vs > 0)
        b->bsend[at] = pp_send(b, q, vs, true);
    }
  b->half = 0;
  free(ag.v);
  free(next_ag.v);
}

/* The ranks of stream q of stage s at the positions pos[0 .. n - 1] into r. */
static void stream_ranks(const llm_shape *sh, long q, long s, const int *pos, int n, int *r) {
  for (int i = 0; i < n; i++)
    r[i] = llm_rank(sh, q, s, pos ? pos[i] : i);
}

/* The data-parallel jobs of the groups of mask (of mesh m), by stage into jobs[s * per + i]. */
static void dp_jobs(builder *b, const nvl_mesh *m, const char *dims, const char *what, bool wanted,
                    int *jobs, int per) {
  unsigned mask = nvl_mesh_mask(m, dims);
  long n = nvl_mesh_group_size(m, mask), groups = m->world / n;
  int ppd = nvl_mesh_dim_index(m, "pp"), *r = nvl_xmalloc((size_t)n * sizeof *r);
  int *fill = nvl_xcalloc((size_t)b->sh->lay->pp, sizeof *fill);
  char name[64];
  for (long g = 0; g < groups; g++) {
    nvl_mesh_group(m, mask, g, r);
    long s = nvl_mesh_coord(m, r[0], ppd);
    int *at = &jobs[s * per + fill[s]++];
    snprintf(name, sizeof name, "%s.s%ld.%d", what, s, fill[s] - 1);
    *at = wanted && n > 1 ? add_job(b, name, r, (int)n, NVL_COLL_REDUCE_SCATTER) : -1;
    if (*at >= 0)
      b->job_stage[*at] = (int)s;
  }
  free(r);
  free(fill);
}

/* The communicators. */
static void make_jobs(builder *b) {
  const llm_shape *sh = b->sh;
  const nvl_llm_layout *l = sh->lay;
  long tp = l->tp, ep = l->ep, pp = l->pp;
  int ss = sh->stream_size, *r = nvl_xmalloc((size_t)(2 * ss + 1) * sizeof *r);
  char name[64];
  size_t nds = (size_t)sh->streams * (size_t)pp;
  long cp = llm_cp(l);
  b->ntp = (int)(ss / tp), b->nep = (int)(ss / ep), b->ncp = (int)(ss / cp);
  b->ndd = (int)(sh->ranks / pp / (l->dp * cp)), b->nde = (int)(sh->ranks / pp / sh->edp);
  b->stage_job = nvl_xmalloc(nds * sizeof(int));
  b->tp_job = nvl_xmalloc(nds * (size_t)b->ntp * sizeof(int));
  b->ep_job = nvl_xmalloc(nds * (size_t)b->nep * sizeof(int));
  b->cp_job = nvl_xmalloc(nds * (size_t)b->ncp * sizeof(int));
  b->etp_job = nvl_xmalloc(nds * (size_t)(ss / llm_etp(l)) * sizeof(int));
  b->bound_job = nvl_xmalloc(nds * sizeof(int));
  b->dpd_job = nvl_xmalloc((size_t)(pp * b->ndd) * sizeof(int));
  b->dpe_job = nvl_xmalloc((size_t)(pp * b->nde) * sizeof(int));
  for (long s = 0; s < pp; s++)
    for (long q = 0; q < sh->streams; q++) {
      size_t ds = (size_t)(q * pp + s);
      const int *tpos = sh->tp_pos + (size_t)q * (size_t)ss,
                *epos = sh->ep_pos + (size_t)q * (size_t)ss;
      stream_ranks(sh, q, s, NULL, ss, r);
      snprintf(name, sizeof name, "stage%ld.%ld", s, q);
      b->stage_job[ds] = add_job(b, name, r, ss, NVL_COLL_SENDRECV);
      for (int g = 0; g < b->ntp; g++) {
        stream_ranks(sh, q, s, tpos + g * tp, (int)tp, r);
        snprintf(name, sizeof name, "tp.s%ld.%ld.%d", s, q, g);
        b->tp_job[ds * (size_t)b->ntp + (size_t)g] =
            tp > 1 ? add_job(b, name, r, (int)tp, NVL_COLL_ALL_REDUCE) : -1;
      }
      for (int g = 0; cp > 1 && g < b->ncp; g++) {
        stream_ranks(sh, q, s, sh->cp_pos + (size_t)q * (size_t)ss + g * cp, (int)cp, r);
        snprintf(name, sizeof name, "cp.s%ld.%ld.%d", s, q, g);
        b->cp_job[ds * (size_t)b->ncp + (size_t)g] =
            add_job(b, name, r, (int)cp, NVL_COLL_ALL_GATHER);
      }
      for (int g = 0; g < b->nep; g++) {
        stream_ranks(sh, q, s, epos + g * ep, (int)ep, r);
        snprintf(name, sizeof name, "ep.s%ld.%ld.%d", s, q, g);
        b->ep_job[ds * (size_t)b->nep + (size_t)g] =
            ep > 1 ? add_job(b, name, r, (int)ep, NVL_COLL_ALLTOALL) : -1;
      }
      long etp = llm_etp(l);
      for (int g = 0; etp > 1 && g < ss / etp; g++) {
        stream_ranks(sh, q, s, sh->etp_pos + (size_t)q * (size_t)ss + g * etp, (int)etp, r);
        snprintf(name, sizeof name, "etp.s%ld.%ld.%d", s, q, g);
        b->etp_job[ds * (size_t)(ss / etp) + (size_t)g] =
            add_job(b, name, r, (int)etp, NVL_COLL_ALL_GATHER);
      }
      if (s + 1 < pp || (sh->vstages > pp && pp > 1)) { /* with vp, the last stage to the first */
        stream_ranks(sh, q, s, NULL, ss, r);
        stream_ranks(sh, q, (s + 1) % pp, NULL, ss, r + ss);
        snprintf(name, sizeof name, "pp.s%ld.%ld", s, q);
        b->bound_job[ds] = add_job(b, name, r, 2 * ss, NVL_COLL_SENDRECV);
      }
    }
  bool train = l->mode == NVL_LLM_TRAIN;
  dp_jobs(b, &sh->dense, "dp-cp", "dp", train, b->dpd_job, b->ndd);
  dp_jobs(b, &sh->expert, "dp", "dpe", train && sh->m->moe, b->dpe_job, b->nde);
  free(r);
}

/* Every stage's blocks in its schedule's order (llm_sched.c), each emitted once its input is. */
static void schedule(builder *b) {
  const llm_shape *sh = b->sh;
  long pp = sh->lay->pp, m = sh->lay->microbatches, V = sh->vstages;
  bool train = sh->lay->mode == NVL_LLM_TRAIN;
  long len = (train ? 2 : 1) * m * (V / pp), left = pp * len;
  llm_block *order = nvl_xmalloc((size_t)(pp * len) * sizeof *order);
  long *pos = nvl_xcalloc((size_t)pp, sizeof *pos);
  for (long s = 0; s < pp; s++)
    nvl_llm_schedule(pp, V / pp, m, train, s, order + s * len);
  while (left > 0)
    for (long s = 0; s < pp; s++)
      while (pos[s] < len) {
        const llm_block *k = &order[s * len + pos[s]];
        long H = b->H; /* the first half's send is made with the last's */
        bool ready = k->bwd ? k->vs == V - 1 || b->bsend[((k->vs + 1) * m + k->j) * H] >= 0
                            : k->vs == 0 || b->fsend[((k->vs - 1) * m + k->j) * H] >= 0;
        if (!ready)
          break;
        block(b, k->vs, k->j, k->bwd);
        pos[s]++, left--;
      }
  free(pos);
  free(order);
}

/* Training with tied embeddings over pp > 1 stages: the first stage's embedding and the last's
 * output layer are one matrix held twice, so their gradients all_reduce between the two (BF16,
 * h x vocab / tp per rank: Megatron's embedding group), after both stages' last step. */
static void embedding_grads(builder *b) {
  const llm_shape *sh = b->sh;
  long pp = sh->lay->pp;
  if (!sh->m->tied_embeddings || pp == 1)
    return;
  char name[64];
  for (long q = 0; q < sh->streams; q++)
    for (int i = 0; i < sh->stream_size; i++) {
      int r[2] = {llm_rank(sh, q, 0, i), llm_rank(sh, q, pp - 1, i)};
      snprintf(name, sizeof name, "emb.%ld.%d", q, i);
      nvl_wop op = {.kind = NVL_WOP_COLLECTIVE,
                    .job = add_job(b, name, r, 2, NVL_COLL_ALL_REDUCE),
                    .coll = NVL_COLL_ALL_REDUCE,
                    .bytes = (uint64_t)((double)sh->m->hidden * (double)sh->m->vocab /
                                        (double)sh->lay->tp * 2)};
      b->deps.n = 0;
      for (long s = 0; s < pp; s += pp - 1)
        for (size_t x = 0; x < b->tail[q * pp + s].n; x++)
          nvl_lb_vec_push(&b->deps, b->tail[q * pp + s].v[x]);
      nvl_lb_vec_push(&b->emb, nvl_lb_add_op(b, &op, NVL_LD_DP, &b->deps));
    }
}

/* Training: each stream's optimizer step once its stage's gradients are reduced (the
 * parameters' all_gather follows it). */
static void optimizer_steps(builder *b) {
  const nvl_llm_layout *l = b->sh->lay;
  for (long s = 0; s < l->pp; s++)
    for (long q = 0; q < b->sh->streams; q++) {
      for (size_t i = 0; i < b->rs.n; i++) {
        int job = b->st->g.ops[b->rs.v[i]].job;
        if (b->job_stage[job] == s)
          nvl_lb_vec_push(&b->gate, b->rs.v[i]);
      }
      for (size_t i = 0; (s == 0 || s == l->pp - 1) && i < b->emb.n; i++)
        nvl_lb_vec_push(&b->gate, b->emb.v[i]);
      size_t ds = (size_t)(q * l->pp + s);
      nvl_lb_step_begin(b, ds, -1);
      nvl_wop op = {.kind = NVL_WOP_COMPUTE, .job = b->stage_job[ds], .src = -1, .has_vals = true};
      op.val_at = nvl_wgraph_vals(&b->st->g, (size_t)b->sh->stream_size);
      llm_ops ops;
      nvl_llm_ops(b->sh, LS_OPTIMIZER, 0, s, false, 0, 0, &ops);
      for (int i = 0; i < b->sh->stream_size; i++) {
        int r = llm_rank(b->sh, q, s, i);
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
  if (nvl_llm_ep_nodes(&sh, diags) != 0) {
    nvl_llm_shape_release(&sh);
    return -1;
  }
  builder b = {.sh = &sh, .spec = spec, .st = st, .cap_jobs = spec->n_jobs + 16};
  spec->jobs = nvl_xrealloc(spec->jobs, b.cap_jobs * sizeof *spec->jobs);
  st->job_ranks = nvl_xcalloc(b.cap_jobs, sizeof *st->job_ranks);
  b.dp_last = nvl_xcalloc(b.cap_jobs, sizeof *b.dp_last);
  b.job_stage = nvl_xcalloc(b.cap_jobs, sizeof *b.job_stage);
  st->job_ranks[0] = nvl_xmalloc((size_t)sh.ranks * sizeof(int));
  for (int r = 0; r < sh.ranks; r++)
    st->job_ranks[0][r] = r;
  spec->jobs[0].coll = NVL_COLL_SENDRECV;
  b.rng = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(b.rng, lay->seed);
  b.H = lay->tbo ? 2 : 1;
  size_t nds = (size_t)sh.streams * (size_t)lay->pp;
  size_t nb = (size_t)sh.streams * (size_t)sh.vstages * (size_t)lay->microbatches * (size_t)b.H;
  b.tail = nvl_xcalloc(nds * (size_t)b.H, sizeof *b.tail);
  b.lane = nvl_xmalloc(nds * sizeof *b.lane);
  for (size_t i = 0; i < nds; i++)
    b.lane[i] = -1;
  b.fsend = nvl_xmalloc(nb * sizeof *b.fsend);
  b.bsend = nvl_xmalloc(nb * sizeof *b.bsend);
  b.computed = nvl_xcalloc(nds, sizeof *b.computed);
  for (size_t i = 0; i < nb; i++)
    b.fsend[i] = b.bsend[i] = -1;
  make_jobs(&b);
  nvl_lb_draw_routing(&b);
  schedule(&b);
  if (lay->mode == NVL_LLM_TRAIN) {
    embedding_grads(&b);
    optimizer_steps(&b);
  }
  if (lay->zero != 3)
    nvl_lb_dp_gather(&b);
  nvl_llm_totals(&sh, &st->model_flops, &st->tokens);
  st->ranks = sh.ranks;
  st->replicas = sh.streams;
  for (int r = 0; r < sh.ranks; r++) {
    const nvl_compute *c = &d->endpoint_types[d->devices[spec->jobs[0].devs[r]].type].compute;
    st->power_W += c->power_W;
    st->peak_flops += c->flops[lay->precision];
  }
  for (size_t i = 0; i < nds * (size_t)b.H; i++)
    free(b.tail[i].v);
  free(b.lane);
  free(b.tail), free(b.gate.v), free(b.emb.v), free(b.deps.v), free(b.next.v), free(b.rs.v),
      free(b.fsend), free(b.bsend);
  free(b.route_at), free(b.stage_job), free(b.tp_job), free(b.ep_job), free(b.etp_job),
      free(b.cp_job), free(b.bound_job);
  free(b.dpd_job), free(b.dpe_job), free(b.dp_last), free(b.job_stage), free(b.computed);
  gsl_rng_free(b.rng);
  nvl_llm_shape_release(&sh);
  return 0;
}

void nvl_llm_step_release(nvl_llm_step *st, size_t n_jobs) {
  nvl_wgraph_release(&st->g);
  free(st->dim);
  free(st->role);
  free(st->ep_fig);
  if (st->job_ranks)
    for (size_t k = 0; k < n_jobs; k++)
      free(st->job_ranks[k]);
  free(st->job_ranks);
  memset(st, 0, sizeof *st);
}
