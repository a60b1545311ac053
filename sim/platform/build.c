/*
 * build: the platform of a design (see platform.h): switch classes, logical links (trunks
 * between classes, one port link per endpoint attachment, direct links, latency links to
 * reduction engines), planes (connected components of the class graph), class distances and
 * next hops, and hosts (one per endpoint and plane, one for direct links, one per reduction
 * engine).
 *
 * Costs: the design's links are indexed by device once (O(V + E)); classes as classes.c says;
 * attachments O(E log E); class distances by BFS, O(C^2) per class with C classes (refused above
 * NVL_MAX_CLASSES); hosts O(V + E). Routes are computed on demand (routes.c), never stored.
 */
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"
#include "platform/internal.h"

int nvl_pf_add_plink(nvl_platform *p, const char *kind, const char *name, double bw, double lat,
                     bool fatpipe, int physical) {
  if (p->n_links == p->cap_links) {
    p->cap_links = p->cap_links ? 2 * p->cap_links : 64;
    p->links = nvl_xrealloc(p->links, p->cap_links * sizeof *p->links);
  }
  nvl_plink *l = &p->links[p->n_links];
  l->name = nvl_xstrdup(name);
  l->bw_Bps = bw;
  l->lat_s = lat;
  l->fatpipe = fatpipe;
  l->physical = physical;
  l->kind = kind;
  l->owner = -1;
  return (int)p->n_links++;
}

int nvl_pf_add_host(nvl_platform *p, const char *name, int dev, int plane) {
  if (p->n_hosts == p->cap_hosts) {
    p->cap_hosts = p->cap_hosts ? 2 * p->cap_hosts : 64;
    p->host_names = nvl_xrealloc(p->host_names, p->cap_hosts * sizeof *p->host_names);
    p->host_dev = nvl_xrealloc(p->host_dev, p->cap_hosts * sizeof(int));
    p->host_plane = nvl_xrealloc(p->host_plane, p->cap_hosts * sizeof(int));
    p->host_via = nvl_xrealloc(p->host_via, p->cap_hosts * sizeof(int));
  }
  p->host_via[p->n_hosts] = -1;
  snprintf(p->host_names[p->n_hosts], sizeof p->host_names[0], "%s", name);
  p->host_dev[p->n_hosts] = dev;
  p->host_plane[p->n_hosts] = plane;
  return (int)p->n_hosts++;
}

static double link_bw(const nvl_platform *p, const nvl_link *l) {
  const nvl_link_type *t = &p->d->link_types[l->type];
  double eff = p->model == NVL_MODEL_IDEAL ? 1.0 : t->efficiency;
  return l->count * t->bw_Bps * eff * l->scale;
}

static int cmp_int(const void *a, const void *b) {
  int x = *(const int *)a, y = *(const int *)b;
  return (x > y) - (x < y);
}

static int find_root(int *uf, int x) {
  while (uf[x] != x)
    x = uf[x] = uf[uf[x]];
  return x;
}

static int cmp_attach(const void *a, const void *b) {
  const attach *x = a, *y = b;
  if (x->cls != y->cls)
    return x->cls < y->cls ? -1 : 1;
  if (x->peer != y->peer)
    return x->peer - y->peer;
  return x->via - y->via;
}

static bool is_nic(const nvl_design *d, int dev) { return nvl_device_kind(d, dev) == NVL_KIND_NIC; }

/* Whether design link k joins endpoint dev over PCIe to a NIC or a PCIe switch: its way to its
 * NICs (nvl_design_pcie_paths), no attachment of its own. */
static bool host_to_nic(const nvl_platform *p, int k, int dev) {
  const nvl_design *d = p->d;
  int peer = nvl_pf_peer(d, k, dev);
  return !is_nic(d, dev) && (is_nic(d, peer) || nvl_device_is_pcie_switch(d, peer)) &&
         d->link_types[d->links[k].type].medium == NVL_MEDIUM_PCIE;
}

/* Endpoint dev's attachments, unmerged, into a: its links to switch classes; through each NIC it
 * has a PCIe path to (its own link, or through PCIe switches), that NIC's links to switch
 * classes (network attachments); its direct links to other endpoints. A NIC's own attachments
 * are its links to switches only (its hosts reach the network through it; it is no rank). */
static size_t raw_attachments(const nvl_platform *p, const nvl_pcie_paths *pp, int dev, attach *a) {
  const nvl_design *d = p->d;
  size_t n = 0;
  for (int j = p->dev_link_start[dev]; j < p->dev_link_start[dev + 1]; j++) {
    int k = p->dev_links[j], peer = nvl_pf_peer(d, k, dev), c = p->cls[peer];
    if (!host_to_nic(p, k, dev) && (c >= 0 || !is_nic(d, dev)) &&
        !nvl_device_is_pcie_switch(d, peer))
      a[n++] = (attach){.cls = c,
                        .peer = c >= 0 ? -1 : peer,
                        .link = -1,
                        .cap_Bps = link_bw(p, &d->links[k]),
                        .nvls_link = -1,
                        .via = -1,
                        .pcie_link = -1};
  }
  for (int q = pp->start[dev]; q < pp->start[dev + 1]; q++) {
    const nvl_pcie_path *pa = &pp->paths[q];
    for (int j = p->dev_link_start[pa->nic]; j < p->dev_link_start[pa->nic + 1]; j++) {
      int sw = nvl_pf_peer(d, p->dev_links[j], pa->nic);
      if (p->cls[sw] >= 0)
        a[n++] = (attach){.cls = p->cls[sw],
                          .peer = -1,
                          .link = -1,
                          .cap_Bps = link_bw(p, &d->links[p->dev_links[j]]),
                          .nvls_link = -1,
                          .via = pa->nic,
                          .pcie_link = -1,
                          .pcie_Bps = pa->cap_Bps * link_bw(p, &d->links[pa->narrow]) /
                                      nvl_link_bw(d, &d->links[pa->narrow]),
                          .pcie_lat = pa->lat_s,
                          .pcie_phys = d->links[pa->first].count};
    }
  }
  return n;
}

/* The design's links by device (both ends), in link order. */
static void index_links(nvl_platform *p) {
  const nvl_design *d = p->d;
  size_t nd = d->n_devices;
  p->dev_link_start = nvl_xcalloc(nd + 2, sizeof(int));
  p->dev_links = nvl_xmalloc((2 * d->n_links + 1) * sizeof(int));
  for (size_t k = 0; k < d->n_links; k++) {
    p->dev_link_start[d->links[k].a + 2]++;
    p->dev_link_start[d->links[k].b + 2]++;
  }
  for (size_t i = 0; i < nd; i++)
    p->dev_link_start[i + 2] += p->dev_link_start[i + 1];
  for (size_t k = 0; k < d->n_links; k++) {
    p->dev_links[p->dev_link_start[d->links[k].a + 1]++] = (int)k;
    p->dev_links[p->dev_link_start[d->links[k].b + 1]++] = (int)k;
  }
}

/* Classes (refined, or one per switch with explicit planes), their first member, size, name and
 * half switching latency. Returns -1 (diags set) when there are too many to simulate. */
static int make_classes(nvl_platform *p, bool explicit_planes, nvl_diags *diags) {
  const nvl_design *d = p->d;
  size_t nd = d->n_devices;
  p->cls = nvl_xmalloc((nd + 1) * sizeof(int));
  if (explicit_planes) {
    for (size_t i = 0; i < nd; i++)
      p->cls[i] = d->devices[i].is_switch && !nvl_device_is_pcie_switch(d, (int)i)
                      ? (int)p->n_classes++
                      : -1;
  } else {
    p->n_classes = nvl_pf_refine_classes(p);
  }
  size_t nc = p->n_classes;
  if (nc > NVL_MAX_CLASSES) {
    nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_LIMIT, "/system",
                 "the design has %zu distinct switch classes; at most %d can be simulated", nc,
                 NVL_MAX_CLASSES);
    return -1;
  }
  p->class_first = nvl_xmalloc((nc ? nc : 1) * sizeof(int));
  p->class_size = nvl_xcalloc(nc + 1, sizeof(int));
  for (size_t c = 0; c < nc; c++)
    p->class_first[c] = -1;
  for (size_t i = 0; i < nd; i++)
    if (p->cls[i] >= 0) {
      if (p->class_first[p->cls[i]] < 0)
        p->class_first[p->cls[i]] = (int)i;
      p->class_size[p->cls[i]]++;
    }
  nvl_pf_name_classes(p);
  /* switching latency: half of it on each link that touches the class, so that any path pays
   * each traversed switch exactly once (a shared "crossbar" link would couple every flow through
   * a switch in one max-min constraint and make the solver quadratic) */
  p->class_half_lat = nvl_xmalloc((nc ? nc : 1) * sizeof(double));
  for (size_t c = 0; c < nc; c++)
    p->class_half_lat[c] = 0.5 * d->switch_types[d->devices[p->class_first[c]].type].lat_s;
  return 0;
}

/* Trunks: one logical link per pair of classes, carrying every physical link between them (links
 * inside a class are not modelled, see platform.h). */
typedef struct {
  int lo, hi, phys;
  double bw, lat;
} trunk_acc;

static int cmp_trunk(const void *x, const void *y) {
  const trunk_acc *a = x, *b = y;
  if (a->lo != b->lo)
    return a->lo < b->lo ? -1 : 1;
  return (a->hi > b->hi) - (a->hi < b->hi);
}

static void make_trunks(nvl_platform *p) {
  const nvl_design *d = p->d;
  size_t nc = p->n_classes, nt = 0, cap = 0;
  trunk_acc *acc = NULL;
  nvl_u64map at = NVL_U64MAP_INIT;
  for (size_t k = 0; k < d->n_links; k++) {
    const nvl_link *l = &d->links[k];
    int ca = p->cls[l->a], cb = p->cls[l->b];
    if (ca < 0 || cb < 0 || ca == cb)
      continue;
    int lo = ca < cb ? ca : cb, hi = ca < cb ? cb : ca;
    bool added;
    uint32_t i = nvl_u64map_get_or_add(&at, nvl_u64map_pair((uint32_t)lo, (uint32_t)hi),
                                       (uint32_t)nt, &added);
    if (added) {
      if (nt == cap) {
        cap = cap ? 2 * cap : 64;
        acc = nvl_xrealloc(acc, cap * sizeof *acc);
      }
      acc[nt++] = (trunk_acc){lo, hi, 0, 0, 0};
    }
    double lat = d->link_types[l->type].lat_s;
    acc[i].bw += link_bw(p, l);
    acc[i].phys += l->count;
    if (lat > acc[i].lat)
      acc[i].lat = lat;
  }
  nvl_u64map_release(&at);
  if (nt)
    qsort(acc, nt, sizeof *acc, cmp_trunk); /* links numbered by class pair, as always */
  p->n_trunks = 0;
  p->trunk_lo = nvl_xmalloc((nt + 1) * sizeof(int));
  p->trunk_hi = nvl_xmalloc((nt + 1) * sizeof(int));
  p->trunk_link = nvl_xmalloc((nt + 1) * sizeof(int));
  char name[400];
  for (size_t t = 0; t < nt; t++) {
    if (!(acc[t].bw > 0))
      continue;
    int a = acc[t].lo, b = acc[t].hi;
    snprintf(name, sizeof name, "%s~%s", p->class_names[a], p->class_names[b]);
    int li = nvl_pf_add_plink(p, "trunk", name, acc[t].bw,
                              acc[t].lat + p->class_half_lat[a] + p->class_half_lat[b], false,
                              acc[t].phys);
    p->trunk_lo[p->n_trunks] = a;
    p->trunk_hi[p->n_trunks] = b;
    p->trunk_link[p->n_trunks++] = li;
    nvl_u64map_get_or_add(&p->cc_map, nvl_u64map_pair((uint32_t)a, (uint32_t)b), (uint32_t)li,
                          NULL);
  }
  free(acc);
  /* adjacency by class, neighbours ascending (the shortest paths' ties break as they did) */
  p->cc_start = nvl_xcalloc(nc + 2, sizeof(int));
  for (size_t t = 0; t < p->n_trunks; t++) {
    p->cc_start[p->trunk_lo[t] + 2]++;
    p->cc_start[p->trunk_hi[t] + 2]++;
  }
  for (size_t c = 0; c < nc; c++)
    p->cc_start[c + 2] += p->cc_start[c + 1];
  p->cc_nbr = nvl_xmalloc((2 * p->n_trunks + 1) * sizeof(int));
  for (size_t t = 0; t < p->n_trunks; t++) { /* trunks ascend by (lo, hi): rows fill sorted */
    p->cc_nbr[p->cc_start[p->trunk_lo[t] + 1]++] = p->trunk_hi[t];
  }
  for (size_t t = 0; t < p->n_trunks; t++)
    p->cc_nbr[p->cc_start[p->trunk_hi[t] + 1]++] = p->trunk_lo[t];
  for (size_t c = 0; c < nc; c++) /* each row: its higher neighbours, then its lower: sort */
    qsort(p->cc_nbr + p->cc_start[c], (size_t)(p->cc_start[c + 1] - p->cc_start[c]), sizeof(int),
          cmp_int);
  p->cc_rows = nvl_xcalloc(nc + 1, sizeof *p->cc_rows);
}

/* Endpoint attachments: per endpoint, one per class it links to (directly, or through each of
 * its NICs) and one per direct peer, with the summed capacity (through a NIC: at most its PCIe
 * link's), sorted by (class, peer, NIC). */
static void make_attachments(nvl_platform *p) {
  const nvl_design *d = p->d;
  size_t nd = d->n_devices, n_att = 0, bound = d->n_links * 2;
  nvl_pcie_paths pp = nvl_design_pcie_paths(d);
  double *nic_pcie = nvl_xcalloc(nd + 1, sizeof(double)); /* a NIC's PCIe links, summed */
  for (int q = 0; q < pp.start[nd]; q++) /* through a NIC each of the NIC's links */
    bound += (size_t)(p->dev_link_start[pp.paths[q].nic + 1] - p->dev_link_start[pp.paths[q].nic]);
  for (size_t k = 0; k < d->n_links; k++)
    for (int e = 0; e < 2 && d->link_types[d->links[k].type].medium == NVL_MEDIUM_PCIE; e++)
      nic_pcie[e ? d->links[k].b : d->links[k].a] += link_bw(p, &d->links[k]);
  p->att_start = nvl_xcalloc(nd + 1, sizeof(int));
  p->att = nvl_xmalloc((bound + 1) * sizeof *p->att);
  for (size_t i = 0; i < nd; i++) {
    p->att_start[i] = (int)n_att;
    if (d->devices[i].is_switch)
      continue;
    attach *a = p->att + n_att;
    size_t n = raw_attachments(p, &pp, (int)i, a);
    qsort(a, n, sizeof *a, cmp_attach);
    size_t m = 0; /* merge same class / same peer / same NIC */
    for (size_t j = 0; j < n; j++) {
      if (m > 0 && a[m - 1].cls == a[j].cls && a[m - 1].peer == a[j].peer &&
          a[m - 1].via == a[j].via)
        a[m - 1].cap_Bps += a[j].cap_Bps;
      else
        a[m++] = a[j];
    }
    for (size_t j = 0; j < m; j++) {
      if (a[j].via >= 0 && a[j].pcie_Bps < a[j].cap_Bps)
        a[j].cap_Bps = a[j].pcie_Bps;
      /* a NIC's ports carry no more than its PCIe link into it (shared by the GPUs it serves
       * through a PCIe switch) */
      if (is_nic(d, (int)i) && nic_pcie[i] > 0 && nic_pcie[i] < a[j].cap_Bps)
        a[j].cap_Bps = nic_pcie[i];
    }
    n_att += m;
  }
  p->att_start[nd] = (int)n_att;
  nvl_pcie_paths_release(&pp);
  free(nic_pcie);
}

/* Latency and physical link count of an endpoint's links to a class (cls >= 0) or to a peer:
 * the latency of the first such link's type (direct links: the last; all equal in practice). */
static void attach_links(const nvl_platform *p, int dev, const attach *a, double *lat, int *phys) {
  const nvl_design *d = p->d;
  bool first = true;
  *lat = 0;
  *phys = 0;
  for (int j = p->dev_link_start[dev]; j < p->dev_link_start[dev + 1]; j++) {
    int k = p->dev_links[j], peer = nvl_pf_peer(d, k, dev);
    bool match = a->cls >= 0 ? p->cls[peer] == a->cls : peer == a->peer;
    if (!match)
      continue;
    if (first || a->cls < 0)
      *lat = d->link_types[d->links[k].type].lat_s;
    first = false;
    *phys += d->links[k].count;
  }
}

/* A network attachment's links: the NIC's port link to the class (made by the NIC's own
 * attachment) and one PCIe link per endpoint and NIC, shared by its attachments through it. */
static void network_links(nvl_platform *p, int dev, attach *a) {
  const nvl_design *d = p->d;
  for (int q = p->att_start[a->via]; q < p->att_start[a->via + 1]; q++)
    if (p->att[q].cls == a->cls)
      a->link = p->att[q].link;
  for (attach *b = p->att + p->att_start[dev]; b < a; b++)
    if (b->via == a->via)
      a->pcie_link = b->pcie_link;
  if (a->pcie_link >= 0)
    return;
  char name[400];
  snprintf(name, sizeof name, "%s~%s", d->devices[dev].name, d->devices[a->via].name);
  a->pcie_link = nvl_pf_add_plink(p, "pcie", name, a->pcie_Bps, a->pcie_lat, false, a->pcie_phys);
  p->links[a->pcie_link].owner = dev;
}

/* One logical link per endpoint attachment (and its latency link to a reduction engine); direct
 * links once per pair; network attachments (after every NIC's port links exist) as
 * network_links says. */
static void make_endpoint_links(nvl_platform *p) {
  const nvl_design *d = p->d;
  char name[400];
  for (size_t i = 0; i < d->n_devices; i++)
    for (int j = p->att_start[i]; j < p->att_start[i + 1]; j++) {
      attach *a = &p->att[j];
      double lat;
      int phys;
      if (a->via >= 0)
        continue;
      if (a->cls >= 0) {
        attach_links(p, (int)i, a, &lat, &phys);
        snprintf(name, sizeof name, "%s~%s", d->devices[i].name, p->class_names[a->cls]);
        a->link = nvl_pf_add_plink(p, "port", name, a->cap_Bps, lat + p->class_half_lat[a->cls],
                                   false, phys);
        p->links[a->link].owner = (int)i;
        if (d->switch_types[d->devices[p->class_first[a->cls]].type].reduction &&
            !nvl_pf_class_in_network(p, a->cls)) {
          /* the rest of the switching latency towards the in-switch reduction engine */
          snprintf(name, sizeof name, "%s~nvls.%s", d->devices[i].name, p->class_names[a->cls]);
          a->nvls_link =
              nvl_pf_add_plink(p, "nvls", name, HUGE_BW, p->class_half_lat[a->cls], true, 0);
          p->links[a->nvls_link].owner = (int)i;
        }
      } else if (a->peer > (int)i) {
        attach_links(p, (int)i, a, &lat, &phys);
        snprintf(name, sizeof name, "%s~%s", d->devices[i].name, d->devices[a->peer].name);
        a->link = nvl_pf_add_plink(p, "direct", name, a->cap_Bps, lat, false, phys);
        for (int q = p->att_start[a->peer]; q < p->att_start[a->peer + 1]; q++)
          if (p->att[q].cls < 0 && p->att[q].peer == (int)i)
            p->att[q].link = a->link;
      }
    }
  for (size_t i = 0; i < d->n_devices; i++)
    for (int j = p->att_start[i]; j < p->att_start[i + 1]; j++)
      if (p->att[j].via >= 0)
        network_links(p, (int)i, &p->att[j]);
}

/* Planes: connected components of the class graph (union-find). */
static void make_planes(nvl_platform *p) {
  size_t nc = p->n_classes;
  int *uf = nvl_xmalloc((nc ? nc : 1) * sizeof(int));
  for (size_t c = 0; c < nc; c++)
    uf[c] = (int)c;
  for (size_t t = 0; t < p->n_trunks; t++)
    uf[find_root(uf, p->trunk_lo[t])] = find_root(uf, p->trunk_hi[t]);
  p->class_plane = nvl_xmalloc((nc ? nc : 1) * sizeof(int));
  int *plane_of_root = nvl_xmalloc((nc ? nc : 1) * sizeof(int));
  for (size_t c = 0; c < nc; c++)
    plane_of_root[c] = -1;
  for (size_t c = 0; c < nc; c++) {
    int r = find_root(uf, (int)c);
    if (plane_of_root[r] < 0)
      plane_of_root[r] = (int)p->n_planes++;
    p->class_plane[c] = plane_of_root[r];
  }
  free(uf);
  free(plane_of_root);
}

/* An endpoint's hosts: one per plane it attaches to (with its capacity there), one for its
 * direct links. */
static void endpoint_hosts(nvl_platform *p, size_t i, size_t *n_ph) {
  const nvl_design *d = p->d;
  char name[400];
  bool has_direct = false;
  for (int j = p->att_start[i]; j < p->att_start[i + 1]; j++) {
    attach *a = &p->att[j];
    if (a->cls < 0) {
      has_direct = true;
      continue;
    }
    int pl = p->class_plane[a->cls];
    size_t k = (size_t)p->ph_start[i];
    while (k < *n_ph && (p->ph[k].plane != pl || p->ph[k].via != a->via))
      k++;
    if (k == *n_ph)
      p->ph[(*n_ph)++] = (plane_host){pl, -1, 0, a->via};
    p->ph[k].cap_Bps += a->cap_Bps;
  }
  for (size_t k = (size_t)p->ph_start[i]; k < *n_ph; k++) {
    if (p->ph[k].via >= 0) /* a host per NIC: transfers spread over a GPU's NICs by stripes */
      snprintf(name, sizeof name, "%s.%s", d->devices[i].name, d->devices[p->ph[k].via].name);
    else if (p->n_planes == 1)
      snprintf(name, sizeof name, "%s", d->devices[i].name);
    else
      snprintf(name, sizeof name, "%s.p%d", d->devices[i].name, p->ph[k].plane);
    p->ph[k].host = nvl_pf_add_host(p, name, (int)i, p->ph[k].plane);
    p->host_via[p->ph[k].host] = p->ph[k].via;
  }
  if (has_direct) {
    snprintf(name, sizeof name, "%s.d", d->devices[i].name);
    p->direct_host[i] = nvl_pf_add_host(p, name, (int)i, -1);
  }
}

/* Hosts: the endpoints' (in device order); the reduction engines' follow (sharp.c). */
static void make_hosts(nvl_platform *p) {
  const nvl_design *d = p->d;
  size_t nd = d->n_devices, n_ph = 0;
  p->ph_start = nvl_xcalloc(nd + 1, sizeof(int));
  p->ph = nvl_xmalloc(((size_t)p->att_start[nd] + 1) * sizeof *p->ph);
  p->direct_host = nvl_xmalloc((nd + 1) * sizeof(int));
  for (size_t i = 0; i < nd; i++) {
    p->ph_start[i] = (int)n_ph;
    p->direct_host[i] = -1;
    if (!d->devices[i].is_switch && !is_nic(d, (int)i)) /* a NIC is no rank: no host */
      endpoint_hosts(p, i, &n_ph);
  }
  p->ph_start[nd] = (int)n_ph;
}

nvl_platform *nvl_platform_new(const nvl_design *d, const nvl_platform_opts *opts,
                               nvl_diags *diags) {
  nvl_platform *p = nvl_xcalloc(1, sizeof *p);
  p->d = d;
  p->model = opts ? opts->model : NVL_MODEL_DEFAULT;
  p->ecmp = opts && opts->ecmp;
  p->ecmp_seed = opts ? opts->ecmp_seed : 0;
  index_links(p);
  p->twin = nvl_xmalloc((d->n_devices + 1) * sizeof(int));
  p->n_twins = nvl_design_twins(d, false, p->twin);
  p->twin_net = nvl_xmalloc((d->n_devices + 1) * sizeof(int));
  p->n_twins_net = nvl_design_twins(d, true, p->twin_net);
  if (make_classes(p, opts && opts->explicit_planes, diags) != 0) {
    nvl_platform_free(p);
    return NULL;
  }
  make_trunks(p);
  make_attachments(p);
  make_endpoint_links(p);
  make_planes(p);
  make_hosts(p);
  nvl_pf_make_domains(p);
  nvl_pf_make_engines(p);
  return p;
}

void nvl_platform_free(nvl_platform *p) {
  if (!p)
    return;
  for (size_t l = 0; l < p->n_links; l++)
    free(p->links[l].name);
  for (size_t c = 0; p->cc_rows && c < p->n_classes; c++)
    free(p->cc_rows[c]);
  free(p->cc_rows);
  nvl_u64map_release(&p->cc_map);
  void *owned[] = {p->dev_link_start,
                   p->dev_links,
                   p->twin,
                   p->twin_net,
                   p->cls,
                   p->class_plane,
                   p->class_half_lat,
                   p->class_nvls_host,
                   p->class_engine_link,
                   p->class_first,
                   p->class_size,
                   p->class_names,
                   p->links,
                   p->att,
                   p->att_start,
                   p->cc_start,
                   p->cc_nbr,
                   p->trunk_lo,
                   p->trunk_hi,
                   p->trunk_link,
                   p->host_names,
                   p->host_dev,
                   p->host_plane,
                   p->host_via,
                   p->ph,
                   p->ph_start,
                   p->direct_host,
                   p->domain,
                   p->dom_start,
                   p->dom_members,
                   p->plane_net,
                   p->nic_rail};
  for (size_t i = 0; i < sizeof owned / sizeof owned[0]; i++)
    free(owned[i]);
  free(p);
}
