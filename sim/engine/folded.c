/*
 * folded: what the engine does differently for a folded graph (engine.h, workload/fold.h). Every
 * route is already canonical (shift.c, nvl_rt_route); here each transfer's stripes get their
 * consumption weights on those routes, the copies it stands for, and at the end every link
 * direction gets its canonical member's bytes and peak (what each member of an orbit carries).
 * A link direction's weight is the fold's (k / |orbit|); a reduced program's transfer that stands
 * for several on its first and last links (w_out, w_in: models/program.h) multiplies those. A
 * route may cross one orbit twice (two of its link directions have one canonical member): the
 * max-min variable then has one element for both, whose weight is the sum. A fatpipe does not
 * share, so copies take nothing from each other there: weight 1.
 * Costs: O(route length) per stripe; O(link directions) at the end.
 */
#include "engine/runtime.h"
#include "platform/sg_shim.h"

/* The weight of the k-th of n link directions of a canonical route, bytes-wise. */
static double weight_at(const nvl_engine *e, int ld, int k, int n, const nvl_weight *w) {
  double x = e->g->link_weight[ld];
  if (w && k == 0)
    x *= w->w_out;
  if (w && k == n - 1)
    x *= w->w_in;
  return x;
}

void nvl_fd_account(nvl_engine *e, int from_host, int to_host, uint64_t bytes,
                    const nvl_weight *w) {
  if (!w || (w->w_out <= 1 && w->w_in <= 1)) { /* per pair, weighted at the end (linkstats.c) */
    nvl_rt_account(e, from_host, to_host, bytes);
    return;
  }
  int links[64], dirs[64];
  int n = nvl_rt_route(e, from_host, to_host, links, dirs, 64);
  for (int k = 0; k < n; k++) {
    int ld = 2 * links[k] + (dirs[k] > 0 ? 0 : 1);
    e->res->link_bytes[ld] += (double)bytes * weight_at(e, ld, k, n, w);
  }
}

void nvl_fd_weigh(nvl_engine *e, nvl_xfer *x, const int *hf, const int *ht, size_t n,
                  const nvl_weight *w) {
  int links[64], dirs[64], ld[64];
  double wt[64];
  for (size_t i = 0; i < n; i++) {
    int k = nvl_rt_route(e, hf[i], ht[i], links, dirs, 64), m = 0;
    bool plain = true;
    for (int j = 0; j < k; j++) {
      int d = 2 * links[j] + (dirs[j] > 0 ? 0 : 1);
      double wj = nvl_platform_link(e->p, links[j])->fatpipe ? 1.0 : weight_at(e, d, j, k, w);
      int at = 0;
      while (at < m && ld[at] != d)
        at++;
      if (at == m) {
        ld[m] = d;
        wt[m++] = 0;
      }
      wt[at] += wj;
      plain &= wj == 1.0;
    }
    if (!plain)
      nvl_xfer_weigh(x, i, wt, (size_t)m);
  }
}

void nvl_fd_expand(nvl_engine *e) {
  nvl_engine_result *r = e->res;
  for (size_t d = 0; d < 2 * r->n_links; d++) {
    size_t c = (size_t)e->g->link_canon[d];
    if (c != d) {
      r->link_bytes[d] = r->link_bytes[c];
      r->link_peak_Bps[d] = r->link_peak_Bps[c];
    }
  }
}
