/*
 * symmetry: whether shifting a job's ranks by m is a symmetry of the platform (platform.h), and
 * the image of every link direction under it. A rank's device goes to its image's: their port
 * links (and reduction-engine links) correspond in attachment order with equal capacity,
 * latency and physical links; the classes they reach follow (a permutation, checked), the
 * classes no rank reaches stay; every trunk goes to the trunk between the images of its classes,
 * alike. Routes come from shortest paths with ties broken by class index, so a permutation of
 * classes need not carry routes onto routes: the ring neighbours' routes are compared too.
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

/* Rank r's device's attachments onto its image's; fills pi (class -> class). */
static bool map_ranks(const nvl_platform *p, const int *devs, int n, int m, int *pi, int *map) {
  for (int r = 0; r < n; r++) {
    int d = devs[r], e = devs[(r + m) % n];
    if (p->ph_start[d + 1] - p->ph_start[d] != 1 || p->ph_start[e + 1] - p->ph_start[e] != 1 ||
        p->att_start[d + 1] - p->att_start[d] != p->att_start[e + 1] - p->att_start[e])
      return false; /* several planes, or unlike attachments */
    for (int j = 0; j < p->att_start[d + 1] - p->att_start[d]; j++) {
      const attach *a = &p->att[p->att_start[d] + j], *b = &p->att[p->att_start[e] + j];
      if ((a->cls < 0) != (b->cls < 0) || (a->nvls_link < 0) != (b->nvls_link < 0) ||
          a->cap_Bps != b->cap_Bps)
        return false;
      if (a->cls < 0)
        continue; /* a direct link out of the job (in-job ones are refused by the caller) */
      if ((pi[a->cls] >= 0 && pi[a->cls] != b->cls) || !map_link(p, map, a->link, b->link, false) ||
          (a->nvls_link >= 0 && !map_link(p, map, a->nvls_link, b->nvls_link, false)))
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

/* The route between ranks r and r + 1 goes to the route between their images. */
static bool routes_follow(const nvl_platform *p, const int *devs, int n, int m, const int *map) {
  int la[64], da[64], lb[64], db[64];
  for (int r = 0; r < n; r++) {
    int h0 = p->ph[p->ph_start[devs[r]]].host, h1 = p->ph[p->ph_start[devs[(r + 1) % n]]].host;
    int g0 = p->ph[p->ph_start[devs[(r + m) % n]]].host;
    int g1 = p->ph[p->ph_start[devs[(r + 1 + m) % n]]].host;
    int na = nvl_platform_route(p, h0, h1, la, da, 64),
        nb = nvl_platform_route(p, g0, g1, lb, db, 64);
    if (na != nb || na < 0)
      return false;
    for (int k = 0; k < na; k++)
      if (map[2 * la[k] + (da[k] > 0 ? 0 : 1)] != 2 * lb[k] + (db[k] > 0 ? 0 : 1))
        return false;
  }
  return true;
}

bool nvl_platform_shift(const nvl_platform *p, const int *devs, int n, int m, int *map) {
  if (n < 2 || m < 1 || m >= n || n % m != 0 || !p->cc_start)
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
  ok = ok && map_ranks(p, devs, n, m, pi, mp) && complete_classes(p, pi) && map_trunks(p, pi, mp) &&
       routes_follow(p, devs, n, m, mp);
  if (ok && map)
    for (size_t k = 0; k < nl; k++)
      map[k] = mp[k];
  free(pi);
  free(mp);
  return ok;
}
