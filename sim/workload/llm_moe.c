/*
 * llm_moe: a MoE layer's expert part in the step's graph (llm_build.h): its routing drawn per
 * layer, DeepEP's dispatch and combine over every EP group of a stream, the expert TP exchange,
 * and the experts' compute on each rank's own tokens.
 *
 * DeepEP's normal kernels across nodes (an EP group over several NVLink domains, llm_internal.h's
 * ep_nodes): a token goes once to each destination node over RDMA, to the GPU there at its own
 * place in the node (the same rail), which forwards it over NVLink to the GPUs there that need
 * it; the combine returns the same way reversed. Both legs run side by side (DeepEP's forwarders
 * pipeline them by chunks), so the exchange is one transfer matrix: inside a node the tokens
 * themselves, between nodes the RDMA leg to the same-rail peer plus its NVLink forwards. The
 * low-latency kernels send every token-expert copy straight to its GPU, as inside a node.
 */
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"
#include "workload/llm_build.h"

/* The routing results of the model's layer k in stream q's g-th EP group (tok, then work, then
 * hit). */
static const double *routing(const builder *b, long q, long g, long k) {
  size_t qh = (size_t)q * (size_t)b->H + (size_t)b->half; /* each half its own tokens */
  return b->st->g.vals +
         b->route_at[(qh * (size_t)b->nep + (size_t)g) * (size_t)b->sh->layers_all + (size_t)k];
}

/* The dispatch's transfers in bytes, d[i * ep + j] from rank i to j (the diagonal: what i keeps),
 * and DeepEP's figures per rank (fig[r]: NVLink, fig[ep + r]: RDMA), from the routing. */
static void dispatch_matrix(const llm_shape *sh, const double *tok, double tb, double *d,
                            double *fig) {
  long ep = sh->lay->ep, P = sh->ep_ppn, N = sh->ep_nodes;
  const double *rdma = N > 1 && !sh->lay->ep_low_latency ? tok + ep * ep + 2 * ep : NULL;
  memset(d, 0, (size_t)(ep * ep) * sizeof *d);
  memset(fig, 0, (size_t)(2 * ep) * sizeof *fig);
  for (long i = 0; i < ep; i++)
    for (long j = 0; j < ep; j++) {
      double b = tok[i * ep + j] * tb;
      fig[j] += b;
      long fwd = (j / P) * P + i % P; /* i's same-rail peer in j's node */
      if (!rdma || j / P == i / P)
        d[i * ep + j] += b;
      else if (fwd != j)
        d[fwd * ep + j] += b;
    }
  for (long i = 0; rdma && i < ep; i++)
    for (long J = 0; J < N; J++) {
      double b = rdma[i * N + J] * tb;
      fig[ep + i] += b;
      if (J != i / P)
        d[i * ep + J * P + i % P] += b;
    }
}

/* Tokens to their experts' ranks (dispatch, or in backward the combine's gradient) or back to
 * their owners (combine, or the dispatch's gradient) on every EP job of stream (q, s), from the
 * layer's routing; FP8 with its scales only for a forward dispatch at FP8 or below. */
static void ep_exchange(builder *b, long q, long s, long k, bool combine, bool fp8, bool bwd,
                        const nvl_wop *beside) {
  const llm_shape *sh = b->sh;
  long ep = sh->lay->ep;
  size_t ds = (size_t)(q * sh->lay->pp + s);
  double h = (double)sh->m->hidden, tok_bytes = fp8 ? h + h / 128 * 4 : 2 * h;
  nvl_lb_step_begin(b, ds, -1);
  if (beside) /* the shared experts, overlapping the exchange */
    nvl_lb_step_add(b, (nvl_wop *)beside, NVL_LD_COMPUTE);
  for (long g = 0; g < b->nep; g++) {
    /* DeepEP's kernels; the normal ones' forward dispatch waits for the host to learn the counts
     * (a cached dispatch in backward, and every combine, reuse the dispatch's layout) */
    nvl_wop op = {.kind = NVL_WOP_MATRIX,
                  .job = b->ep_job[ds * (size_t)b->nep + (size_t)g],
                  .has_vals = true,
                  .direct = true,
                  .host_sync = !sh->lay->ep_low_latency && !combine && !bwd};
    op.val_at = nvl_wgraph_vals(&b->st->g, (size_t)(ep * ep)); /* may move vals */
    size_t fig_at = nvl_wgraph_vals(&b->st->g, (size_t)(2 * ep));
    double *d = nvl_xmalloc((size_t)(ep * ep) * sizeof *d);
    dispatch_matrix(sh, routing(b, q, g, k), tok_bytes, d, b->st->g.vals + fig_at);
    double *v = b->st->g.vals + op.val_at;
    double busiest = 0; /* the op's size, as a traffic matrix's: the busiest rank's sends */
    for (long i = 0; i < ep; i++) {
      double row = 0;
      for (long j = 0; j < ep; j++) {
        /* the diagonal is what a rank keeps (never sent) */
        v[i * ep + j] = combine ? d[j * ep + i] : d[i * ep + j];
        row += i == j ? 0 : v[i * ep + j];
      }
      busiest = row > busiest ? row : busiest;
    }
    free(d);
    b->ep_fig = bwd ? 0 : 1 + fig_at;
    op.bytes = (uint64_t)busiest;
    b->role = bwd ? NVL_LR_NONE : combine ? NVL_LR_COMBINE : NVL_LR_DISPATCH;
    nvl_lb_step_add(b, &op, NVL_LD_EP);
    b->role = NVL_LR_NONE;
    b->ep_fig = 0;
  }
  nvl_lb_step_end(b, ds);
}

/* The experts' TP exchange of layer k on every expert TP group of stream (q, s): before the
 * experts, the tokens each member received all_gathered (in the dispatch's bytes per token);
 * after them, their partial outputs reduce_scattered (BF16), as Megatron's token dispatcher does
 * over its expert TP group. A group's size is the tokens its members received. */
/* Member x of stream q's g-th expert TP group: its EP group's routing of layer k, and its place
 * in that EP group (*j). */
static const double *etp_member(const builder *b, long q, size_t g, long x, long k, long *j) {
  const llm_shape *sh = b->sh;
  size_t ss = (size_t)sh->stream_size, etp = (size_t)llm_etp(sh->lay);
  long ep = sh->lay->ep,
       gj = sh->ep_of[(size_t)q * ss + (size_t)sh->etp_pos[(size_t)q * ss + g * etp + (size_t)x]];
  *j = gj % ep;
  return routing(b, q, gj / ep, k);
}

static void etp_coll(builder *b, long q, long s, long k, nvl_coll coll, double tok_bytes) {
  const llm_shape *sh = b->sh;
  long ep = sh->lay->ep, etp = llm_etp(sh->lay);
  if (etp == 1)
    return;
  size_t ds = (size_t)(q * sh->lay->pp + s), ss = (size_t)sh->stream_size;
  nvl_lb_step_begin(b, ds, -1);
  for (size_t g = 0; g < ss / (size_t)etp; g++) {
    double tokens = 0;
    for (long x = 0; x < etp; x++) {
      long j;
      const double *r = etp_member(b, q, g, x, k, &j);
      for (long i = 0; i < ep; i++)
        tokens += r[i * ep + j];
    }
    nvl_wop op = {.kind = NVL_WOP_COLLECTIVE,
                  .job = b->etp_job[ds * (ss / (size_t)etp) + g],
                  .coll = coll,
                  .bytes = (uint64_t)(tokens * tok_bytes)};
    nvl_lb_step_add(b, &op, NVL_LD_EP);
  }
  nvl_lb_step_end(b, ds);
}

/* The expert step of a MoE layer: each rank's token-expert pairs and experts hit. */
static void experts(builder *b, long q, long s, long k, bool bwd) {
  const llm_shape *sh = b->sh;
  long ep = sh->lay->ep;
  size_t ss = (size_t)sh->stream_size;
  long etp = llm_etp(sh->lay);
  double *work = nvl_xmalloc(ss * sizeof *work);
  double *hit = nvl_xmalloc(ss * sizeof *hit);
  const int *pos = sh->etp_pos + (size_t)q * ss;
  double slots = (double)sh->per_rank_slots;
  for (size_t g = 0; g < ss / (size_t)etp; g++) {
    /* an expert TP group computes every token its members received, each member a 1/etp slice
     * of the experts (llm_ops.c); the experts it hits are the union of its members' (taken as
     * independent draws: slots (1 - prod (1 - hit / slots))) */
    double w = 0, miss = 1, one = 0;
    for (long x = 0; x < etp; x++) {
      long j;
      const double *r = etp_member(b, q, g, x, k, &j);
      w += r[ep * ep + j];
      one = r[ep * ep + ep + j];
      miss *= slots > 0 ? 1 - one / slots : 0;
    }
    for (long x = 0; x < etp; x++) {
      size_t i = (size_t)pos[g * (size_t)etp + (size_t)x];
      work[i] = w;
      hit[i] = etp == 1 ? one : slots * (1 - miss);
    }
  }
  nvl_lb_compute(b, q, s, LS_EXPERTS, k, bwd, work, hit);
  free(work);
  free(hit);
}

/* Dispatch, expert TP all_gather, experts, expert TP reduce_scatter, combine; with the shared
 * experts overlapped (shared_overlap), their compute beside the dispatch (or alone first when
 * nothing is exchanged). */
void nvl_lb_experts(builder *b, long q, long s, long k, bool bwd, bool fp8) {
  nvl_lb_experts_front(b, q, s, k, bwd, fp8);
  nvl_lb_experts_back(b, q, s, k, bwd);
}

void nvl_lb_experts_front(builder *b, long q, long s, long k, bool bwd, bool fp8) {
  const llm_shape *sh = b->sh;
  double h = (double)sh->m->hidden;
  bool shared = sh->lay->shared_overlap && sh->m->shared > 0;
  nvl_wop beside;
  if (shared)
    beside = nvl_lb_compute_op(b, q, s, LS_SHARED, k, bwd, NULL, NULL);
  if (shared && sh->lay->ep == 1) {
    size_t ds = (size_t)(q * sh->lay->pp + s);
    nvl_lb_step_begin(b, ds, -1);
    nvl_lb_step_add(b, &beside, NVL_LD_COMPUTE);
    nvl_lb_step_end(b, ds);
  }
  if (sh->lay->ep > 1)
    ep_exchange(b, q, s, k, false, fp8, bwd, shared ? &beside : NULL);
  etp_coll(b, q, s, k, NVL_COLL_ALL_GATHER, fp8 ? h + h / 128 * 4 : 2 * h);
}

void nvl_lb_experts_back(builder *b, long q, long s, long k, bool bwd) {
  const llm_shape *sh = b->sh;
  double h = (double)sh->m->hidden;
  experts(b, q, s, k, bwd);
  etp_coll(b, q, s, k, NVL_COLL_REDUCE_SCATTER, 2 * h);
  if (sh->lay->ep > 1)
    ep_exchange(b, q, s, k, true, false, bwd, NULL);
}

/* Every MoE layer's routing, drawn in a fixed order from the seeded generator. */
void nvl_lb_draw_routing(builder *b) {
  const llm_shape *sh = b->sh;
  const nvl_llm_layout *l = sh->lay;
  long ep = l->ep, L = sh->layers_all;
  size_t n = (size_t)sh->streams * (size_t)b->H * (size_t)(b->nep * L);
  b->route_at = nvl_xcalloc(n + 1, sizeof *b->route_at);
  if (!sh->m->moe)
    return;
  long nr = sh->ep_nodes > 1 && !l->ep_low_latency ? ep * sh->ep_nodes : 0; /* rdma's */
  llm_routing rt = {nvl_xmalloc((size_t)(ep * ep) * sizeof(double)),
                    nvl_xmalloc((size_t)ep * sizeof(double)),
                    nvl_xmalloc((size_t)ep * sizeof(double)),
                    nr ? nvl_xmalloc((size_t)nr * sizeof(double)) : NULL};
  for (size_t i = 0; i < n; i++) {
    if (!llm_moe_layer(sh->m, (long)(i % (size_t)L)))
      continue;
    nvl_llm_route(sh, sh->tokens_mb / (double)l->tp, b->rng, &rt); /* each TP rank its share */
    size_t at = nvl_wgraph_vals(&b->st->g, (size_t)(ep * ep + 2 * ep + nr));
    memcpy(b->st->g.vals + at, rt.tok, (size_t)(ep * ep) * sizeof(double));
    memcpy(b->st->g.vals + at + ep * ep, rt.work, (size_t)ep * sizeof(double));
    memcpy(b->st->g.vals + at + ep * ep + ep, rt.hit, (size_t)ep * sizeof(double));
    if (nr)
      memcpy(b->st->g.vals + at + ep * ep + 2 * ep, rt.rdma, (size_t)nr * sizeof(double));
    b->route_at[i] = at;
  }
  free(rt.tok), free(rt.work), free(rt.hit), free(rt.rdma);
}

static void find_ep_nodes(llm_shape *sh) {
  long ep = sh->lay->ep;
  sh->ep_nodes = 1;
  sh->ep_ppn = ep;
  if (!sh->m->moe || ep < 2)
    return;
  int *dom = nvl_xmalloc((sh->d->n_devices + 1) * sizeof *dom);
  nvl_design_nvlink_domains(sh->d, dom);
  int *of = nvl_xmalloc((size_t)ep * sizeof *of); /* stream 0's group 0 of stage 0: domains */
  for (long j = 0; j < ep; j++)
    of[j] = dom[sh->devs[sh->at[sh->ep_pos[j]]]];
  long P = 1;
  while (P < ep && of[P] == of[0])
    P++;
  bool ok = ep % P == 0 && P < ep;
  for (long j = 0; j < ep && ok; j++) /* whole blocks of P, each its own domain */
    for (long x = 0; x < ep && ok; x++)
      ok = (of[j] == of[x]) == (j / P == x / P);
  if (ok) {
    sh->ep_nodes = ep / P;
    sh->ep_ppn = P;
  }
  free(of);
  free(dom);
}

int nvl_llm_ep_nodes(llm_shape *sh, nvl_diags *diags) {
  find_ep_nodes(sh);
  const nvl_llm *m = sh->m;
  long M = sh->lay->node_groups, N = sh->ep_nodes;
  if (M > 0 && N > 1 && M * (m->experts / N) < m->top_k) {
    nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_SCHEMA, "",
                 "--node-groups %ld: %ld of the EP group's %ld nodes hold %ld experts, fewer than "
                 "the %ld each token picks",
                 M, M, N, M * (m->experts / N), m->top_k);
    return -1;
  }
  if (M > 0 && m->moe && sh->lay->ep > 1 && N == 1)
    nvl_diag_add(diags, NVL_SEV_WARNING, NVL_DIAG_SCHEMA, "",
                 "--node-groups ignored: each EP group is inside one node (NVLink domain)");
  return 0;
}
