/*
 * llm_route: the routing of one MoE layer in one EP group (llm_internal.h). Each sampled token
 * picks top_k distinct experts with probability proportional to their weights (uniform, or Zipf
 * 1 / (i + 1)^skew over an expert order drawn for the layer); a token reaches each rank holding
 * one of its experts once (DeepEP sends a token once per rank). Redundant copies serve the
 * hottest experts (the first of the order), alternating between original and copy.
 * Expert e's original is slot e, the copy of the i-th hottest slot experts + i; slot k lives on
 * rank k / per_rank_slots. With a capacity factor C (token dropping, GShard's and Megatron's
 * --moe-expert-capacity-factor) a slot takes at most C x (the group's token copies) / slots;
 * copies past it are dropped (neither sent nor computed), first come first served: the ranks'
 * tokens in order (Megatron's default drops by router probability; the count dropped is the
 * same, which tokens differs).
 *
 * Distinct experts are drawn without replacement in bounded time: a draw from the whole
 * distribution that lands on an expert already picked is redrawn a few times (exact: the
 * accepted draw follows the remaining mass), then drawn directly from the remaining mass, by a
 * uniform over the mass left and a binary search of the cumulative weights that skips the picked
 * experts (O(top_k log experts) per pick). At Zipf exponent 10 nearly all the mass is on one
 * expert, so redrawing alone would take about a billion draws per token.
 */
#include <gsl/gsl_randist.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"
#include "workload/llm_internal.h"

static bool is_picked(const long *picked, long np, long e) {
  for (long q = 0; q < np; q++)
    if (picked[q] == e)
      return true;
  return false;
}

/* The nodes a token may use under group-limited routing: M of the N nodes, drawn without
 * replacement in proportion to their experts' weight (uniform weights: any M alike), into ok[]. */
static void allowed_nodes(gsl_rng *rng, const double *mass, long N, long M, bool *ok) {
  double left = 0;
  for (long J = 0; J < N; J++) {
    ok[J] = false;
    left += mass[J];
  }
  for (long c = 0; c < M && c < N; c++) {
    double x = gsl_rng_uniform(rng) * left;
    long J = 0;
    for (;; J++) {
      if (ok[J])
        continue;
      if (x < mass[J] || J == N - 1)
        break;
      x -= mass[J];
    }
    while (ok[J]) /* rounding left x past the last node still open */
      J--;
    ok[J] = true;
    left -= mass[J];
  }
}

/* One more expert, distinct from the np picked: redraws first, then the remaining mass. */
static long pick(gsl_rng *rng, gsl_ran_discrete_t *tab, const double *cum, const size_t *order,
                 const long *pos, const long *picked, long np, long E) {
  for (int tries = 0; tries < 8; tries++) {
    long e = (long)gsl_ran_discrete(rng, tab);
    if (!is_picked(picked, np, e))
      return e;
  }
  /* the picked experts' places in the order, ascending (np <= top_k: insertion sort) */
  long at[256], n = 0; /* top_k <= 256 (llm_model.c) */
  for (long q = 0; q < np && n < 256; q++) {
    long p = pos[picked[q]], i = n++;
    for (; i > 0 && at[i - 1] > p; i--)
      at[i] = at[i - 1];
    at[i] = p;
  }
  double left = cum[E];
  for (long i = 0; i < n; i++)
    left -= cum[at[i] + 1] - cum[at[i]];
  /* a point of the remaining mass, then moved past every picked interval at or before it */
  double x = gsl_rng_uniform(rng) * (left > 0 ? left : 0);
  for (long i = 0; i < n; i++)
    if (cum[at[i]] <= x)
      x += cum[at[i] + 1] - cum[at[i]];
  long lo = 0, hi = E - 1; /* the last place whose interval starts at or before x */
  while (lo < hi) {
    long mid = (lo + hi + 1) / 2;
    if (cum[mid] <= x)
      lo = mid;
    else
      hi = mid - 1;
  }
  /* rounding may land on a picked or empty place: the next free one (one always is: np < E) */
  for (long k = 0; k < E; k++) {
    long e = (long)order[(lo + k) % E];
    if (!is_picked(picked, np, e))
      return e;
  }
  return (long)order[0];
}

void nvl_llm_route(const llm_shape *sh, double tokens, gsl_rng *rng, llm_routing *out) {
  const nvl_llm *m = sh->m;
  long E = m->experts, K = m->top_k, ep = sh->lay->ep, R = sh->lay->redundant_experts;
  size_t *order = nvl_xmalloc((size_t)E * sizeof *order);
  double *w = nvl_xmalloc((size_t)E * sizeof *w);
  long *copy = nvl_xmalloc((size_t)E * sizeof *copy), *flip = nvl_xcalloc((size_t)E, sizeof *flip);
  for (long e = 0; e < E; e++)
    order[e] = (size_t)e;
  gsl_ran_shuffle(rng, order, (size_t)E, sizeof *order);
  for (long i = 0; i < E; i++) {
    w[order[i]] = sh->lay->skew > 0 ? pow((double)i + 1, -sh->lay->skew) : 1.0;
    copy[order[i]] = i < R ? E + i : -1;
  }
  gsl_ran_discrete_t *tab = gsl_ran_discrete_preproc((size_t)E, w);
  /* cum[i]: the weight of the i hottest experts (order[0 .. i-1]); pos[e]: e's place in order */
  double *cum = nvl_xmalloc((size_t)(E + 1) * sizeof *cum);
  long *pos = nvl_xmalloc((size_t)E * sizeof *pos);
  cum[0] = 0;
  for (long i = 0; i < E; i++) {
    cum[i + 1] = cum[i] + w[order[i]];
    pos[order[i]] = i;
  }
  double *hitmark = nvl_xcalloc((size_t)sh->slots, sizeof *hitmark);
  long *picked = nvl_xmalloc((size_t)K * sizeof *picked),
       *ranks = nvl_xmalloc((size_t)K * sizeof *ranks);
  memset(out->tok, 0, (size_t)(ep * ep) * sizeof *out->tok);
  memset(out->work, 0, (size_t)ep * sizeof *out->work);
  memset(out->hit, 0, (size_t)ep * sizeof *out->hit);
  if (out->rdma)
    memset(out->rdma, 0, (size_t)(ep * sh->ep_nodes) * sizeof *out->rdma);
  double samples = fmin(tokens, sh->mctx->kern.route_samples);
  long ns = (long)ceil(samples);
  double scale = ns > 0 ? tokens / (double)ns : 0;
  double cap = sh->lay->capacity > 0
                   ? sh->lay->capacity * (double)ep * tokens * (double)K / (double)sh->slots
                   : INFINITY;
  double *load = nvl_xcalloc((size_t)sh->slots, sizeof *load);
  /* group-limited routing: an expert's group is the node of its original slot */
  long N = sh->ep_nodes, M = sh->lay->node_groups;
  bool limit = N > 1 && M > 0 && M < N;
  double *mass = nvl_xcalloc((size_t)N, sizeof *mass);
  bool *ok = nvl_xcalloc((size_t)N, sizeof *ok);
  for (long e = 0; limit && e < E; e++)
    mass[e / sh->per_rank_slots / sh->ep_ppn] += w[e];
  for (long i = 0; i < ep; i++)
    for (long t = 0; t < ns; t++) {
      long np = 0, nr = 0;
      if (limit)
        allowed_nodes(rng, mass, N, M, ok);
      for (int tries = 0; np < K;) { /* K distinct experts (K <= E), on allowed nodes */
        long e = pick(rng, tab, cum, order, pos, picked, np, E);
        if (limit && !ok[e / sh->per_rank_slots / sh->ep_ppn] && ++tries < 1000)
          continue;
        picked[np++] = e;
        tries = 0;
      }
      for (long q = 0; q < K; q++) {
        long e = picked[q], slot = copy[e] >= 0 && (flip[e]++ & 1) ? copy[e] : e;
        long r = slot / sh->per_rank_slots;
        if (load[slot] + scale > cap * (1 + 1e-12))
          continue; /* the slot is full: this copy of the token is dropped */
        load[slot] += scale;
        out->work[r] += scale;
        if (sh->lay->ep_low_latency) /* one message per token and expert: no dedup per rank */
          out->tok[i * ep + r] += scale;
        hitmark[slot] = 1;
        bool seen = false;
        for (long x = 0; x < nr && !seen; x++)
          seen = ranks[x] == r;
        if (!seen)
          ranks[nr++] = r;
      }
      for (long x = 0; x < nr && !sh->lay->ep_low_latency; x++) /* normal: once per rank */
        out->tok[i * ep + ranks[x]] += scale;
      for (long J = 0; out->rdma && J < sh->ep_nodes; J++) { /* internode: once per node */
        bool to = false;
        for (long x = 0; x < nr && !to; x++)
          to = ranks[x] / sh->ep_ppn == J;
        if (to)
          out->rdma[i * sh->ep_nodes + J] += scale;
      }
    }
  for (long k = 0; k < sh->slots; k++)
    out->hit[k / sh->per_rank_slots] += hitmark[k];
  gsl_ran_discrete_free(tab);
  free(cum), free(pos);
  free(order), free(w), free(copy), free(flip), free(hitmark), free(picked), free(ranks);
  free(load);
  free(mass);
  free(ok);
}
