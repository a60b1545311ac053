/*
 * symmetry: whether shifting a job's ranks by m is a symmetry of the platform (platform.h), and
 * the image of every link direction under it. A rank's device goes to its image's: their port
 * links (and reduction-engine links) correspond in attachment order with equal capacity,
 * latency and physical links; the classes they reach follow (a permutation, checked), the
 * classes no rank reaches stay; every trunk goes to the trunk between the images of its classes,
 * alike. A device with several hosts (a scale-up plane and its NICs' network hosts) maps them in
 * order, its NICs' PCIe links with their port links. Routes come from shortest paths with ties
 * broken by class index, so a permutation of classes need not carry routes onto routes: the ring
 * neighbours' routes (every stripe of each transfer) are compared too.
 * Cost: O(ranks x attachments + classes^2 + ranks x route length).
 */
#include <stdlib.h>

#include "base/xalloc.h"
#include "platform/internal.h"

static bool links_alike(const nvl_plink *a, const nvl_plink *b) {
  return a->bw_Bps == b->bw_Bps && a->lat_s == b->lat_s && a->fatpipe == b->fatpipe &&
         a->physical == b->physical;
}

/* Records that link direction `from` goes to `to` (2 x link + dir), refusing a contradiction. */
static bool map_dir(int *map, int from, int to) {
  if (map[from] >= 0 && map[from] != to)
    return false;
  map[from] = to;
  return true;
}

/* Both directions of link a go to link b's, the same way round (flip: reversed). */
static bool map_link(const nvl_platform *p, int *map, int a, int b, bool flip) {
  return links_alike(&p->links[a], &p->links[b]) && map_dir(map, 2 * a, 2 * b + (flip ? 1 : 0)) &&
         map_dir(map, 2 * a + 1, 2 * b + (flip ? 0 : 1));
}

/* A device's hosts onto its image's: as many, in order, each in the same plane, of the same
 * capacity, a network host (through a NIC) onto a network host. */
static bool hosts_alike(const nvl_platform *p, int d, int e) {
  int nd = p->ph_start[d + 1] - p->ph_start[d];
  if (nd != p->ph_start[e + 1] - p->ph_start[e])
    return false;
  for (int i = 0; i < nd; i++) {
    const plane_host *a = &p->ph[p->ph_start[d] + i], *b = &p->ph[p->ph_start[e] + i];
    if (a->plane != b->plane || a->cap_Bps != b->cap_Bps || (a->via < 0) != (b->via < 0))
      return false;
  }
  return true;
}

/* Rank r's device's attachments onto its image's (through a NIC: its PCIe link too); fills pi
 * (class -> class). One host per device unless `hosts`. */
static bool map_ranks(const nvl_platform *p, const int *devs, int n, int m, bool hosts, int *pi,
                      int *map) {
  for (int r = 0; r < n; r++) {
    int d = devs[r], e = devs[(r + m) % n];
    if ((!hosts && p->ph_start[d + 1] - p->ph_start[d] != 1) || !hosts_alike(p, d, e) ||
        p->att_start[d + 1] - p->att_start[d] != p->att_start[e + 1] - p->att_start[e])
      return false; /* unlike hosts or attachments */
    for (int j = 0; j < p->att_start[d + 1] - p->att_start[d]; j++) {
      const attach *a = &p->att[p->att_start[d] + j], *b = &p->att[p->att_start[e] + j];
      if ((a->cls < 0) != (b->cls < 0) || (a->nvls_link < 0) != (b->nvls_link < 0) ||
          a->cap_Bps != b->cap_Bps || (a->pcie_link < 0) != (b->pcie_link < 0) ||
          a->pcie_Bps != b->pcie_Bps)
        return false;
      if (a->cls < 0)
        continue; /* a direct link out of the job (in-job ones are refused by the caller) */
      if ((pi[a->cls] >= 0 && pi[a->cls] != b->cls) || !map_link(p, map, a->link, b->link, false) ||
          (a->nvls_link >= 0 && !map_link(p, map, a->nvls_link, b->nvls_link, false)) ||
          (a->pcie_link >= 0 && !map_link(p, map, a->pcie_link, b->pcie_link, false)))
        return false;
      pi[a->cls] = b->cls;
    }
  }
  return true;
}

/* Completes pi into a permutation (unreached classes stay) and checks classes go to alike ones. */
static bool complete_classes(const nvl_platform *p, int *pi) {
  size_t nc = p->n_classes;
  int *inv = nvl_xmalloc((nc + 1) * sizeof(int));
  bool ok = true;
  for (size_t c = 0; c < nc; c++)
    inv[c] = -1;
  for (size_t c = 0; c < nc && ok; c++)
    if (pi[c] >= 0) {
      ok = inv[pi[c]] < 0;
      inv[pi[c]] = (int)c;
    }
  for (size_t c = 0; c < nc && ok; c++)
    if (pi[c] < 0) {
      ok = inv[c] < 0; /* an image must be reached itself */
      pi[c] = (int)c;
      inv[c] = (int)c;
    }
  for (size_t c = 0; c < nc && ok; c++) {
    int e = pi[c];
    ok = p->class_plane[c] == p->class_plane[e] && p->class_half_lat[c] == p->class_half_lat[e] &&
         p->class_size[c] == p->class_size[e] &&
         (p->class_nvls_host[c] < 0) == (p->class_nvls_host[e] < 0);
  }
  free(inv);
  return ok;
}

static bool map_trunks(const nvl_platform *p, const int *pi, int *map) {
  for (size_t t = 0; t < p->n_trunks; t++) {
    int a = p->trunk_lo[t], b = p->trunk_hi[t], l = p->trunk_link[t];
    int ia = pi[a], ib = pi[b], k = nvl_pf_trunk(p, ia, ib);
    /* a trunk is UP from its lower class: the image runs the other way when the order flips */
    if (k < 0 || !map_link(p, map, l, k, ia > ib))
      return false;
  }
  return true;
}

bool nvl_platform_shift_pair(const nvl_platform *p, const int *devs, int n, int m, const int *map,
                             int a, int b) {
  nvl_stripe sa[NVL_MAX_STRIPES], sb[NVL_MAX_STRIPES];
  int ns = nvl_platform_stripes(p, devs[a], devs[b], sa);
  if (ns != nvl_platform_stripes(p, devs[(a + m) % n], devs[(b + m) % n], sb))
    return false;
  int la[64], da[64], lb[64], db[64];
  for (int s = 0; s < ns; s++) {
    int na = nvl_platform_route(p, sa[s].from_host, sa[s].to_host, la, da, 64),
        nb = nvl_platform_route(p, sb[s].from_host, sb[s].to_host, lb, db, 64);
    if (na != nb || na < 0 || sa[s].weight != sb[s].weight)
      return false;
    for (int k = 0; k < na; k++)
      if (map[2 * la[k] + (da[k] > 0 ? 0 : 1)] != 2 * lb[k] + (db[k] > 0 ? 0 : 1))
        return false;
  }
  return true;
}

bool nvl_platform_shift_own_links(const nvl_platform *p, int n, int m, const int *map,
                                  int from_host, int to_host) {
  int l[64], d[64];
  int nl = nvl_platform_route(p, from_host, to_host, l, d, 64);
  if (nl < 0)
    return false;
  for (int k = 0; k < nl; k++) {
    if (p->links[l[k]].fatpipe)
      continue;
    int start = 2 * l[k] + (d[k] > 0 ? 0 : 1), cur = map[start], j = 1;
    for (; cur >= 0 && cur != start && j < n / m; cur = map[cur])
      j++;
    if (cur != start || j != n / m) /* back early (shared by images), or never */
      return false;
  }
  return true;
}

/* The route between ranks r and r + 1 goes to the route between their images. */
static bool routes_follow(const nvl_platform *p, const int *devs, int n, int m, const int *map) {
  for (int r = 0; r < n; r++)
    if (!nvl_platform_shift_pair(p, devs, n, m, map, r, (r + 1) % n))
      return false;
  return true;
}

static bool shift(const nvl_platform *p, const int *devs, int n, int m, bool hosts, int *map) {
  /* ECMP draws each route's next class by a hash of the pair: images need not route alike */
  if (n < 2 || m < 1 || m >= n || n % m != 0 || !p->cc_start || p->ecmp)
    return false;
  bool *in = nvl_xcalloc(p->d->n_devices + 1, sizeof(bool)), ok = true;
  for (int r = 0; r < n; r++)
    in[devs[r]] = true;
  for (int r = 0; r < n && ok; r++) /* no direct link inside the job */
    for (int j = p->att_start[devs[r]]; j < p->att_start[devs[r] + 1] && ok; j++)
      ok = !(p->att[j].cls < 0 && in[p->att[j].peer]);
  free(in);
  size_t nl = 2 * p->n_links;
  int *pi = nvl_xmalloc((p->n_classes + 1) * sizeof(int)),
      *mp = nvl_xmalloc((nl + 1) * sizeof(int));
  for (size_t c = 0; c < p->n_classes; c++)
    pi[c] = -1;
  for (size_t k = 0; k < nl; k++)
    mp[k] = -1;
  ok = ok && map_ranks(p, devs, n, m, hosts, pi, mp) && complete_classes(p, pi) &&
       map_trunks(p, pi, mp) && routes_follow(p, devs, n, m, mp);
  if (ok && map)
    for (size_t k = 0; k < nl; k++)
      map[k] = mp[k];
  free(pi);
  free(mp);
  return ok;
}

bool nvl_platform_shift(const nvl_platform *p, const int *devs, int n, int m, int *map) {
  return shift(p, devs, n, m, false, map);
}

bool nvl_platform_shift_hosts(const nvl_platform *p, const int *devs, int n, int m, int *map) {
  return shift(p, devs, n, m, true, map);
}

bool nvl_platform_link_orbits(const int *map, size_t nl, int k, int *canon, double *weight) {
  for (size_t d = 0; d < nl; d++)
    canon[d] = -1;
  for (size_t d = 0; d < nl; d++) {
    if (canon[d] >= 0)
      continue;
    int size = 1, low = (int)d, c = map[d];
    for (; c >= 0 && c != (int)d; c = map[c]) {
      if (++size > k)
        return false;
      if (c < low)
        low = c;
    }
    if (k % size != 0 || (c < 0 && size > 1)) /* a map that is no permutation there */
      return false;
    c = (int)d;
    do {
      canon[c] = low;
      weight[c] = (double)(k / size);
      c = map[c];
    } while (c >= 0 && c != (int)d);
  }
  return true;
}
