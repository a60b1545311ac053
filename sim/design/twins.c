/*
 * twins: endpoints that see the fabric the same way. Two endpoints are twins when their links to
 * switches are the same bundles (same switch, link type, count and remaining share); links to
 * other endpoints (C2C, direct NVLink) are left out, so the GPUs of an NVL72 are all twins
 * although each has its own CPU. Twins reach the same switches with the same capacity, so every
 * later stage can work per twin set instead of per endpoint: the analyses (graph/), routing and
 * reachability (platform/). Through NICs, a PCIe link to a NIC counts as that link plus the
 * NIC's own links to switches (not the NIC itself): GPUs whose NICs reach the same switches the
 * same way are twins (swapping them and their NICs is an automorphism of the design), so the
 * GPUs of a rack on one leaf are one set. Costs: O(L log L) over the endpoints' switch links.
 */
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"
#include "design/design.h"

typedef struct {
  int sw, type, count;
  double scale;
} bundle_end;

typedef struct {
  int dev;
  bundle_end *b;
  size_t n;
} twin_sig;

static int cmp_end(const void *x, const void *y) {
  const bundle_end *a = x, *b = y;
  if (a->sw != b->sw)
    return a->sw < b->sw ? -1 : 1;
  if (a->type != b->type)
    return a->type < b->type ? -1 : 1;
  if (a->count != b->count)
    return a->count < b->count ? -1 : 1;
  return (a->scale > b->scale) - (a->scale < b->scale);
}

static int cmp_sig(const void *x, const void *y) {
  const twin_sig *a = x, *b = y;
  if (a->n != b->n)
    return a->n < b->n ? -1 : 1;
  for (size_t i = 0; i < a->n; i++) {
    int c = cmp_end(&a->b[i], &b->b[i]);
    if (c)
      return c;
  }
  return a->dev - b->dev; /* equal signatures keep device order */
}

static bool same_sig(const twin_sig *a, const twin_sig *b) {
  if (a->n != b->n)
    return false;
  for (size_t i = 0; i < a->n; i++)
    if (cmp_end(&a->b[i], &b->b[i]) != 0)
      return false;
  return true;
}

/* The NICs' links to switches by NIC: CSR in one array, starts at [0 .. n_devices], link indices
 * after them at [n_devices + 1 + ...]. */
static int *nic_links(const nvl_design *d) {
  size_t nd = d->n_devices, total = 0;
  int *cnt = nvl_xcalloc(nd + 1, sizeof(int));
  for (size_t k = 0; k < d->n_links; k++) {
    const nvl_link *l = &d->links[k];
    int ends[2] = {l->a, l->b};
    for (int e = 0; e < 2; e++)
      if (nvl_device_kind(d, ends[e]) == NVL_KIND_NIC && d->devices[ends[1 - e]].is_switch)
        cnt[ends[e]]++, total++;
  }
  int *out = nvl_xmalloc((nd + 2 + total) * sizeof(int));
  out[0] = 0;
  for (size_t i = 0; i < nd; i++)
    out[i + 1] = out[i] + cnt[i];
  memset(cnt, 0, (nd + 1) * sizeof(int));
  for (size_t k = 0; k < d->n_links; k++) {
    const nvl_link *l = &d->links[k];
    int ends[2] = {l->a, l->b};
    for (int e = 0; e < 2; e++)
      if (nvl_device_kind(d, ends[e]) == NVL_KIND_NIC && d->devices[ends[1 - e]].is_switch)
        out[nd + 1 + out[ends[e]] + cnt[ends[e]]++] = (int)k;
  }
  free(cnt);
  return out;
}

/* Appends link l's bundle to signature s as towards `other` (-1: a NIC's, nameless); through a
 * NIC (nic >= 0), then the NIC's switch links (as switch + n_devices: reached through a NIC,
 * not directly). */
static void add_bundles(const nvl_design *d, twin_sig *s, size_t *cap, const nvl_link *l, int other,
                        int nic, const int *nic_start) {
  size_t nd = d->n_devices;
  size_t need = s->n + 1 + (nic >= 0 ? (size_t)(nic_start[nic + 1] - nic_start[nic]) : 0);
  if (need > *cap) {
    *cap = 2 * need;
    s->b = nvl_xrealloc(s->b, *cap * sizeof *s->b);
  }
  s->b[s->n++] = (bundle_end){other, l->type, l->count, l->scale};
  for (int q = nic >= 0 ? nic_start[nic] : 0; nic >= 0 && q < nic_start[nic + 1]; q++) {
    const nvl_link *m = &d->links[nic_start[nd + 1 + q]];
    int sw = m->a == nic ? m->b : m->a;
    s->b[s->n++] = (bundle_end){sw + (int)nd, m->type, m->count, m->scale};
  }
}

size_t nvl_design_twins(const nvl_design *d, bool through_nics, int *twin) {
  size_t nd = d->n_devices, ns = 0;
  twin_sig *sigs = nvl_xcalloc(nd + 1, sizeof *sigs);
  int *slot = nvl_xmalloc((nd + 1) * sizeof(int));
  for (size_t i = 0; i < nd; i++) {
    twin[i] = -1;
    slot[i] = -1;
    if (!d->devices[i].is_switch) {
      slot[i] = (int)ns;
      sigs[ns++].dev = (int)i;
    }
  }
  size_t *cap = nvl_xcalloc(ns + 1, sizeof *cap);
  int *nic_start = through_nics ? nic_links(d) : NULL;
  for (size_t k = 0; k < d->n_links; k++) {
    const nvl_link *l = &d->links[k];
    int ends[2] = {l->a, l->b};
    for (int e = 0; e < 2; e++) {
      int ep = ends[e], other = ends[1 - e];
      bool nic = through_nics && !d->devices[ep].is_switch &&
                 nvl_device_kind(d, other) == NVL_KIND_NIC &&
                 nvl_device_kind(d, ep) != NVL_KIND_NIC;
      /* a PCIe switch is no fabric switch: through it, an endpoint's NICs (below) */
      if (slot[ep] >= 0 &&
          ((d->devices[other].is_switch && !nvl_device_is_pcie_switch(d, other)) || nic))
        add_bundles(d, &sigs[slot[ep]], &cap[slot[ep]], l, nic ? -1 : other, nic ? other : -1,
                    nic_start);
    }
  }
  if (through_nics) { /* NICs reached through PCIe switches, as a NIC of the endpoint's own */
    nvl_pcie_paths pp = nvl_design_pcie_paths(d);
    for (size_t i = 0; i < nd; i++)
      for (int q = pp.start[i]; q < pp.start[i + 1]; q++)
        if (pp.paths[q].switches > 0 && slot[i] >= 0)
          add_bundles(d, &sigs[slot[i]], &cap[slot[i]], &d->links[pp.paths[q].first], -1,
                      pp.paths[q].nic, nic_start);
    nvl_pcie_paths_release(&pp);
  }
  free(nic_start);
  for (size_t i = 0; i < ns; i++)
    if (sigs[i].n)
      qsort(sigs[i].b, sigs[i].n, sizeof *sigs[i].b, cmp_end);
  if (ns)
    qsort(sigs, ns, sizeof *sigs, cmp_sig);
  /* sets in signature order first; then renumbered by first member in device order */
  int *set_of = nvl_xmalloc((ns + 1) * sizeof(int));
  size_t n_sets = 0;
  for (size_t i = 0; i < ns; i++) {
    if (i == 0 || !same_sig(&sigs[i], &sigs[i - 1]))
      n_sets++;
    set_of[i] = (int)n_sets - 1;
    twin[sigs[i].dev] = set_of[i];
  }
  int *renum = nvl_xmalloc((n_sets + 1) * sizeof(int));
  for (size_t s = 0; s < n_sets; s++)
    renum[s] = -1;
  int next = 0;
  for (size_t i = 0; i < nd; i++)
    if (twin[i] >= 0) {
      if (renum[twin[i]] < 0)
        renum[twin[i]] = next++;
      twin[i] = renum[twin[i]];
    }
  for (size_t i = 0; i < ns; i++)
    free(sigs[i].b);
  free(sigs);
  free(slot);
  free(cap);
  free(set_of);
  free(renum);
  return n_sets;
}

static int uf_root(int *uf, int x) {
  while (uf[x] != x)
    x = uf[x] = uf[uf[x]];
  return x;
}

void nvl_design_nvlink_domains(const nvl_design *d, int *dom) {
  for (size_t i = 0; i < d->n_devices; i++)
    dom[i] = (int)i;
  for (size_t k = 0; k < d->n_links; k++)
    if (d->link_types[d->links[k].type].medium == NVL_MEDIUM_NVLINK) {
      int a = uf_root(dom, d->links[k].a), b = uf_root(dom, d->links[k].b);
      if (a < b)
        dom[b] = a;
      else
        dom[a] = b;
    }
  for (size_t i = 0; i < d->n_devices; i++)
    dom[i] = uf_root(dom, (int)i);
}
