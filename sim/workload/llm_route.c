/*
 * llm_route: the routing of one MoE layer in one EP group (llm_internal.h). Each sampled token
 * picks top_k distinct experts with probability proportional to their weights (uniform, or Zipf
 * 1 / (i + 1)^skew over an expert order drawn for the layer); a token reaches each rank holding
 * one of its experts once (DeepEP sends a token once per rank). Redundant copies serve the
 * hottest experts (the first of the order), alternating between original and copy.
 * Expert e's original is slot e, the copy of the i-th hottest slot experts + i; slot k lives on
 * rank k / per_rank_slots.
 */
#include <gsl/gsl_randist.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"
#include "workload/llm_internal.h"

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
  double *hitmark = nvl_xcalloc((size_t)sh->slots, sizeof *hitmark);
  long *picked = nvl_xmalloc((size_t)K * sizeof *picked),
       *ranks = nvl_xmalloc((size_t)K * sizeof *ranks);
  memset(out->tok, 0, (size_t)(ep * ep) * sizeof *out->tok);
  memset(out->work, 0, (size_t)ep * sizeof *out->work);
  memset(out->hit, 0, (size_t)ep * sizeof *out->hit);
  double samples = fmin(tokens, nvl_llm_eff_get()->route_samples);
  long ns = (long)ceil(samples);
  double scale = ns > 0 ? tokens / (double)ns : 0;
  for (long i = 0; i < ep; i++)
    for (long t = 0; t < ns; t++) {
      long np = 0, nr = 0;
      while (np < K) { /* K distinct experts (K <= E) */
        long e = (long)gsl_ran_discrete(rng, tab);
        bool dup = false;
        for (long q = 0; q < np && !dup; q++)
          dup = picked[q] == e;
        if (!dup)
          picked[np++] = e;
      }
      for (long q = 0; q < K; q++) {
        long e = picked[q], slot = copy[e] >= 0 && (flip[e]++ & 1) ? copy[e] : e;
        long r = slot / sh->per_rank_slots;
        out->work[r] += scale;
        hitmark[slot] = 1;
        bool seen = false;
        for (long x = 0; x < nr && !seen; x++)
          seen = ranks[x] == r;
        if (!seen)
          ranks[nr++] = r;
      }
      for (long x = 0; x < nr; x++)
        out->tok[i * ep + ranks[x]] += scale;
    }
  for (long k = 0; k < sh->slots; k++)
    out->hit[k / sh->per_rank_slots] += hitmark[k];
  gsl_ran_discrete_free(tab);
  free(order), free(w), free(copy), free(flip), free(hitmark), free(picked), free(ranks);
}
