/*
 * sharp: the switches' reduction engines. A switch class whose type reduces
 * (in_switch_reduction) gets one engine host: on an NVLink tier the NVLS engine (host plane -2,
 * reached from each attached endpoint through its port link and a latency link: build.c,
 * routes.c); in a network the SHARP engine (host plane -3), reached from a NIC's host over its
 * PCIe and port links and the trunks, and from other engines of the plane over the trunks, the
 * last step on the engine's own latency link (capacity unbounded: aggregation at line rate, as
 * SHARPv3 and v4 stream it). An aggregation tree (nvl_platform_sharp_tree) is the shortest-path
 * tree of classes from the NICs' switches to a root class, as the aggregation manager builds one
 * per set of NICs (NCCL: one CollNet communicator per rail).
 */
#include <stdio.h>
#include <stdlib.h>

#include "base/xalloc.h"
#include "platform/internal.h"

bool nvl_pf_class_in_network(const nvl_platform *p, int c) {
  const nvl_design *d = p->d;
  int port = d->switch_types[d->devices[p->class_first[c]].type].port_link;
  return d->link_types[port].medium == NVL_MEDIUM_NETWORK;
}

void nvl_pf_make_engines(nvl_platform *p) {
  const nvl_design *d = p->d;
  size_t nc = p->n_classes;
  p->class_nvls_host = nvl_xmalloc((nc ? nc : 1) * sizeof(int));
  p->class_engine_link = nvl_xmalloc((nc ? nc : 1) * sizeof(int));
  char name[400];
  for (size_t c = 0; c < nc; c++) {
    p->class_nvls_host[c] = p->class_engine_link[c] = -1;
    if (!d->switch_types[d->devices[p->class_first[c]].type].reduction)
      continue;
    bool net = nvl_pf_class_in_network(p, (int)c);
    snprintf(name, sizeof name, "%s.%s", net ? "sharp" : "nvls", p->class_names[c]);
    p->class_nvls_host[c] = nvl_pf_add_host(p, name, (int)c, net ? -3 : -2);
    if (net)
      p->class_engine_link[c] =
          nvl_pf_add_plink(p, "sharp", name, HUGE_BW, p->class_half_lat[c], true, 0);
  }
}

int nvl_pf_push_trunks(const nvl_platform *p, int c, int t, int *links, int *dirs, int n, int max) {
  while (c != t) {
    int nx = nvl_pf_row(p, c)[p->n_classes + (size_t)t];
    if (nx < 0 || n >= max)
      return -1;
    links[n] = nvl_pf_trunk(p, c, nx);
    dirs[n++] = c < nx ? 1 : -1;
    c = nx;
  }
  return n;
}

/* The attachment of a network host (its NIC's, in its plane), or NULL. */
static const attach *net_attach(const nvl_platform *p, int host) {
  int dev = p->host_dev[host], via = p->host_via[host];
  for (int j = p->att_start[dev]; via >= 0 && j < p->att_start[dev + 1]; j++)
    if (p->att[j].via == via && p->att[j].cls >= 0 &&
        p->class_plane[p->att[j].cls] == p->host_plane[host])
      return &p->att[j];
  return NULL;
}

int nvl_pf_sharp_route(const nvl_platform *p, int from, int to, int *links, int *dirs, int max) {
  bool up = p->host_plane[to] == -3;
  int eng = up ? to : from, other = up ? from : to, c = p->host_dev[eng];
  int pl = p->class_plane[c], oc, n = 0;
  const attach *a = NULL;
  if (p->host_plane[other] == -3) {
    oc = p->host_dev[other];
  } else {
    a = p->host_plane[other] == pl ? net_attach(p, other) : NULL;
    if (!a)
      return -1;
    oc = a->cls;
  }
  if (p->class_plane[oc] != pl || max < 4)
    return -1;
  /* built from the engine outwards, then reversed where it runs up to the engine */
  links[n] = p->class_engine_link[c], dirs[n++] = 1;
  n = nvl_pf_push_trunks(p, c, oc, links, dirs, n, max - 3);
  if (n < 0)
    return -1;
  if (a) {
    links[n] = a->link, dirs[n++] = -1;
    links[n] = a->pcie_link, dirs[n++] = -1;
  } else {
    links[n] = p->class_engine_link[oc], dirs[n++] = 1;
  }
  if (up)
    for (int i = 0, k = n - 1; i <= k; i++, k--) {
      int l = links[i], dr = dirs[i];
      links[i] = links[k], dirs[i] = -dirs[k];
      links[k] = l, dirs[k] = -dr;
    }
  for (int i = 0; i < n; i++) /* an engine's link is a fatpipe: one direction */
    if (p->links[links[i]].fatpipe)
      dirs[i] = 1;
  return n;
}

int nvl_platform_sharp_tree(const nvl_platform *p, const int *hosts, int n, int *leaf, int *engines,
                            int *parent, int max) {
  size_t nc = p->n_classes;
  int *cls = nvl_xmalloc(((size_t)n + 1) * sizeof(int)), pl = -1, m = 0, root = -1, best = -1;
  bool ok = n > 0;
  for (int i = 0; i < n && ok; i++) {
    const attach *a =
        hosts[i] >= 0 && (size_t)hosts[i] < p->n_hosts ? net_attach(p, hosts[i]) : NULL;
    ok = a && (pl < 0 || p->class_plane[a->cls] == pl);
    if (ok)
      cls[i] = a->cls, pl = p->class_plane[a->cls];
  }
  /* the root: the engine class of the plane nearest to all (least greatest distance) */
  for (size_t c = 0; ok && c < nc; c++) {
    if (p->class_plane[c] != pl || p->class_engine_link[c] < 0)
      continue;
    int far = 0;
    for (int i = 0; i < n && far >= 0; i++) {
      int dd = nvl_pf_row(p, cls[i])[c];
      far = dd < 0 ? -1 : dd > far ? dd : far;
    }
    if (far >= 0 && (best < 0 || far < best))
      best = far, root = (int)c;
  }
  int *index = nvl_xmalloc((nc ? nc : 1) * sizeof(int));
  for (size_t c = 0; c < nc; c++)
    index[c] = -1;
  ok &= root >= 0;
  for (int i = 0; i < n && ok; i++) { /* each NIC's path up to the root, engine by engine */
    int c = cls[i], child = -1;
    while (ok) {
      bool seen = index[c] >= 0;
      if (!seen) {
        ok = p->class_engine_link[c] >= 0 && m < max;
        if (!ok)
          break;
        index[c] = m;
        engines[m] = p->class_nvls_host[c];
        parent[m++] = -1;
      }
      if (child >= 0)
        parent[child] = index[c];
      if (child < 0)
        leaf[i] = index[c];
      if (seen || c == root)
        break;
      child = index[c];
      c = nvl_pf_row(p, c)[nc + (size_t)root];
      ok = c >= 0;
    }
  }
  free(cls);
  free(index);
  return ok ? m : -1;
}

int nvl_platform_network_host(const nvl_platform *p, int dev) {
  for (int k = p->ph_start[dev]; k < p->ph_start[dev + 1]; k++)
    if (p->ph[k].via >= 0)
      return p->ph[k].host;
  return -1;
}

int nvl_platform_sharp_host_of(const nvl_platform *p, int dev, int engine) {
  if (engine < 0 || (size_t)engine >= p->n_hosts || p->host_plane[engine] != -3)
    return -1;
  int pl = p->class_plane[p->host_dev[engine]];
  for (int k = p->ph_start[dev]; k < p->ph_start[dev + 1]; k++)
    if (p->ph[k].plane == pl && p->ph[k].via >= 0)
      return p->ph[k].host;
  return -1;
}
