/*
 * factory_place: see factory_place.h.
 */
#include "cli/factory_place.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/diag.h"
#include "base/exit.h"
#include "base/xalloc.h"
#include "platform/platform.h"

int nvl_fp_accelerators(const nvl_design *d, int **out) {
  int n = 0, *acc = nvl_xmalloc((d->n_devices + 1) * sizeof(int));
  for (size_t i = 0; i < d->n_devices; i++)
    if (!d->devices[i].is_switch && nvl_kind_is_accelerator(nvl_device_kind(d, (int)i)))
      acc[n++] = (int)i;
  *out = acc;
  return n;
}

static bool alike(const nvl_design *d, const int *acc, long R, long i, long j) {
  for (long x = 0; x < R; x++)
    if (d->devices[acc[i * R + x]].type != d->devices[acc[j * R + x]].type)
      return false;
  return true;
}

int nvl_fp_kinds(const nvl_design *d, const int *acc, int n, long R, nvl_fp_kind *k, int max,
                 bool *more) {
  int nk = 0;
  *more = false;
  for (long j = 0; R > 0 && j < n / R; j++) {
    int i = 0;
    while (i < nk && !alike(d, acc, R, k[i].first, j))
      i++;
    if (i < nk)
      k[i].count++;
    else if (nk < max)
      k[nk++] = (nvl_fp_kind){j, 1};
    else
      *more = true;
  }
  return nk;
}

/* Where device dev sits in its prefix: the prefix's index and dev's place in it (-1: none). */
static int place_of(const nvl_design *d, int dev, long *at) {
  int p = d->devices[dev].prefix;
  if (p < 0 || (size_t)p >= d->n_prefixes)
    return -1;
  for (size_t i = 0; i < d->prefixes[p].n_members; i++)
    if (d->prefixes[p].members[i] == dev) {
      *at = (long)i;
      return p;
    }
  return -1;
}

bool nvl_fp_selection(const nvl_design *d, const int *acc, long R, long j, char *out, size_t len) {
  size_t used = 0;
  out[0] = '\0';
  for (long x = 0; x < R;) {
    long at, next;
    int p = place_of(d, acc[j * R + x], &at), w;
    long run = 1; /* consecutive members of one prefix: one slice */
    while (p >= 0 && x + run < R && place_of(d, acc[j * R + x + run], &next) == p &&
           next == at + run)
      run++;
    if (p >= 0)
      w = snprintf(out + used, len - used, "%s%s[%ld:%ld]", used ? "," : "", d->prefixes[p].name,
                   at, at + run);
    else
      w = snprintf(out + used, len - used, "%s%s", used ? "," : "",
                   d->devices[acc[j * R + x]].name);
    if (w < 0 || (size_t)w >= len - used)
      return false;
    used += (size_t)w;
    x += run;
  }
  return true;
}

double nvl_fp_power(const nvl_design *d, const int *acc, long from, long n) {
  double w = 0;
  for (long i = from; i < from + n; i++)
    w += d->endpoint_types[d->devices[acc[i]].type].compute.power_W;
  return w;
}

double nvl_fp_design_power(const nvl_design *d, const nvl_platform *p, double rack_W) {
  double w = 0;
  size_t nd = d->n_devices;
  int *acc_in = nvl_xcalloc(nd + 1, sizeof(int)); /* [domain]: its accelerators */
  for (size_t i = 0; i < nd; i++) {
    if (d->devices[i].is_switch)
      continue;
    w += d->endpoint_types[d->devices[i].type].compute.power_W;
    int dom = nvl_platform_domain(p, (int)i);
    if (nvl_kind_is_accelerator(nvl_device_kind(d, (int)i)) && dom >= 0 && (size_t)dom < nd)
      acc_in[dom]++;
  }
  for (size_t k = 0; k < nd; k++)
    if (acc_in[k] > 0)
      w += rack_W >= 0 ? rack_W : NVL_FP_OVERHEAD_PER_ACC_W * acc_in[k];
  free(acc_in);
  return w;
}

/* What one transfer from endpoint a to b gets alone on the fabric: the least over its stripes of
 * their bottleneck over their share, and its slowest stripe's latency (as `nvlsim route`). */
static void pair_rate(const nvl_platform *p, int a, int b, double *Bps, double *lat) {
  nvl_stripe st[NVL_MAX_STRIPES];
  int ns = nvl_platform_stripes(p, a, b, st);
  *Bps = 0;
  *lat = 0;
  for (int s = 0; s < ns; s++) {
    int links[64], dirs[64],
        nl = nvl_platform_route(p, st[s].from_host, st[s].to_host, links, dirs, 64);
    double low = 0;
    for (int i = 0; i < nl; i++) {
      const nvl_plink *k = nvl_platform_link(p, links[i]);
      if (!k->fatpipe && (low == 0 || k->bw_Bps < low))
        low = k->bw_Bps;
    }
    double r = st[s].weight > 0 ? low / st[s].weight : 0;
    *Bps = s == 0 || r < *Bps ? r : *Bps;
    double l = nvl_platform_route_latency(p, st[s].from_host, st[s].to_host);
    *lat = l > *lat ? l : *lat;
  }
}

int nvl_fp_add_disagg(const nvl_design *d, const nvl_platform *p, const nvl_fp_pool *pools,
                      int npools, nvl_serving_point **pts, size_t *n, long isl, long osl) {
  int *acc, na = nvl_fp_accelerators(d, &acc), lead = 1;
  while (lead < na && d->devices[acc[lead]].type == d->devices[acc[0]].type)
    lead++; /* the pools take the first kind's accelerators: they are priced as those */
  size_t n0 = *n, cap = *n;
  for (size_t i = 0; i < n0; i++)
    for (int k = 0; k < npools; k++) {
      const nvl_fp_pool *pp = &pools[k];
      if (!pp->ok || pp->gpus + (*pts)[i].gpus > lead)
        continue;
      long pairs = pp->tp < (*pts)[i].tp ? pp->tp : (*pts)[i].tp;
      nvl_serving_point q = (*pts)[i];
      q.disagg = true;
      q.n_others = 0; /* pools priced as the first kind (see search) */
      q.pool_gpus = lead;
      q.prefill_gpus = pp->gpus;
      q.prefill_seqs = pp->seqs;
      q.prefill_step_s = pp->step_s;
      /* the KV cache from the first prefill accelerator to the first decode one, placed after
       * the prefill pool (the pools first sized with the nearest pair: they do not depend on
       * it) */
      double Bps, lat;
      bool ok = true;
      for (int pass = 0; pass < 2 && ok; pass++) {
        long to = pass == 0 ? pp->gpus : q.prefill_replicas * pp->gpus;
        pair_rate(p, acc[0], acc[to < na ? to : na - 1], &Bps, &lat);
        q.kv_s = lat + pp->kv_bytes / (double)pairs / Bps;
        ok = Bps > 0 && nvl_serving_eval_disagg(&q, isl, osl); /* Bps 0: no route */
      }
      if (!ok)
        continue;
      if (*n == cap)
        *pts = nvl_xrealloc(*pts, (cap = 2 * cap + 16) * sizeof **pts);
      (*pts)[(*n)++] = q;
    }
  free(acc);
  return NVL_EXIT_OK;
}
