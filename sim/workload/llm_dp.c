/*
 * llm_dp: the data-parallel part of a training step (llm_build.h): gradient reduce_scatters,
 * ZeRO-1's parameter all_gather at the end, ZeRO-3's per-layer parameter all_gathers.
 */
#include <stdio.h>

#include "workload/llm_build.h"

/* One collective (dense and expert bytes per rank) on every data-parallel job of stage s, each
 * after the stage's last step in every replica and the job's previous operation; the
 * operations are added to out. */
static void dp_collective(builder *b, long s, nvl_coll coll, double dense, double expert,
                          vec *out) {
  const nvl_llm_layout *l = b->sh->lay;
  b->deps.n = 0;
  for (long q = 0; q < b->sh->streams; q++)
    for (size_t i = 0; i < b->tail[q * l->pp + s].n; i++)
      nvl_lb_vec_push(&b->deps, b->tail[q * l->pp + s].v[i]);
  size_t base = b->deps.n;
  for (int x = 0; x < b->ndd + b->nde; x++) {
    int job = x < b->ndd ? b->dpd_job[s * b->ndd + x] : b->dpe_job[s * b->nde + x - b->ndd];
    double bytes = x < b->ndd ? dense : expert;
    if (job < 0 || bytes <= 0)
      continue;
    b->deps.n = base;
    if (b->dp_last[job] >= 0)
      nvl_lb_vec_push(&b->deps, (size_t)b->dp_last[job]);
    nvl_wop op = {.kind = NVL_WOP_COLLECTIVE, .job = job, .coll = coll, .bytes = (uint64_t)bytes};
    b->dp_last[job] = (long)nvl_lb_add_op(b, &op, NVL_LD_DP, &b->deps);
    nvl_lb_vec_push(out, (size_t)b->dp_last[job]);
  }
}

void nvl_lb_dp_bucket(builder *b, long s, double dense, double expert) {
  dp_collective(b, s, NVL_COLL_REDUCE_SCATTER, dense, expert, &b->rs);
}

void nvl_lb_layer_grads(const llm_shape *sh, long k, double *dense, double *expert) {
  const nvl_llm *m = sh->m;
  const llm_costs *c = &sh->c;
  bool moe = llm_moe_layer(m, k);
  /* weights bytes are 2 per parameter in training: gradients travel in BF16 too */
  *dense = c->attn_weights + (moe ? c->pre_weights : c->mlp_weights);
  *expert = moe ? c->expert_weights * (double)sh->per_rank_slots / (double)llm_etp(sh->lay) : 0;
}

void nvl_lb_dp_gather(builder *b) {
  nvl_wgraph *g = &b->st->g;
  size_t n_rs = b->rs.n;
  for (size_t i = 0; i < n_rs; i++) {
    const nvl_wop *rs = &g->ops[b->rs.v[i]];
    int job = rs->job;
    long s = b->job_stage[job];
    b->deps.n = 0;
    nvl_lb_vec_push(&b->deps, (size_t)b->dp_last[job]);
    for (long q = 0; q < b->sh->streams; q++) {
      const vec *t = &b->tail[q * b->sh->lay->pp + s];
      for (size_t x = 0; x < t->n; x++)
        nvl_lb_vec_push(&b->deps, t->v[x]);
    }
    nvl_wop op = {
        .kind = NVL_WOP_COLLECTIVE, .job = job, .coll = NVL_COLL_ALL_GATHER, .bytes = rs->bytes};
    b->dp_last[job] = (long)nvl_lb_add_op(b, &op, NVL_LD_DP, &b->deps);
  }
}

void nvl_lb_zero3_gather(builder *b, long s, long k, vec *out) {
  double dense, expert;
  nvl_lb_layer_grads(b->sh, k, &dense, &expert);
  dp_collective(b, s, NVL_COLL_ALL_GATHER, dense, expert, out);
}
