/*
 * routes: how transfers map onto the platform (see platform.h): a route within a plane is the
 * shortest path in the class graph (next hops precomputed), between two endpoints' own hosts,
 * never through an endpoint; stripes split a transfer over the planes both endpoints reach.
 * Costs: a route O(attachments^2 + path length); the stripes of a pair O(planes^2 x route).
 */
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"
#include "platform/internal.h"

size_t nvl_platform_host_count(const nvl_platform *p) { return p->n_hosts; }
const char *nvl_platform_host_name(const nvl_platform *p, int h) { return p->host_names[h]; }
size_t nvl_platform_link_count(const nvl_platform *p) { return p->n_links; }
const nvl_plink *nvl_platform_link(const nvl_platform *p, int l) { return &p->links[l]; }
size_t nvl_platform_class_count(const nvl_platform *p) { return p->n_classes; }
size_t nvl_platform_plane_count(const nvl_platform *p) { return p->n_planes; }

/* ---------------------------------------------------------------------------------------- */
/* Routes and stripes                                                                        */

int nvl_pf_trunk(const nvl_platform *p, int a, int b) {
  int lo = a < b ? a : b, hi = a < b ? b : a;
  uint32_t v = nvl_u64map_find(&p->cc_map, nvl_u64map_pair((uint32_t)lo, (uint32_t)hi));
  return v == UINT32_MAX ? -1 : (int)v;
}

const int *nvl_pf_row(const nvl_platform *p, int s) {
  if (p->cc_rows[s])
    return p->cc_rows[s];
  size_t nc = p->n_classes;
  int *row = nvl_xmalloc((2 * nc + 1) * sizeof(int)), *dist = row, *next = row + nc;
  int *queue = nvl_xmalloc((nc + 1) * sizeof(int));
  for (size_t c = 0; c < nc; c++)
    dist[c] = -1, next[c] = -1;
  dist[s] = 0;
  size_t qh = 0, qt = 0;
  queue[qt++] = s;
  while (qh < qt) {
    int u = queue[qh++];
    for (int j = p->cc_start[u]; j < p->cc_start[u + 1]; j++) {
      int v = p->cc_nbr[j];
      if (dist[v] >= 0)
        continue;
      dist[v] = dist[u] + 1;
      next[v] = u == s ? v : next[u];
      queue[qt++] = v;
    }
  }
  free(queue);
  return p->cc_rows[s] = row;
}

/* dev's attachment to class cls not through a NIC. */
static const attach *find_attach(const nvl_platform *p, int dev, int cls) {
  for (int j = p->att_start[dev]; j < p->att_start[dev + 1]; j++)
    if (p->att[j].cls == cls && p->att[j].via < 0)
      return &p->att[j];
  return NULL;
}

/* The pair of attachments of endpoints df and dt in plane pl with the shortest class distance
 * (first found on ties), through NICs vf and vt where those are >= 0 (a network host's): the
 * distance, or -1 when none joins them. */
static int best_pair(const nvl_platform *p, int df, int vf, int dt, int vt, int pl,
                     const attach **as, const attach **at) {
  int best_d = -1;
  for (int j = p->att_start[df]; j < p->att_start[df + 1]; j++) {
    int cs = p->att[j].cls;
    if (cs < 0 || p->class_plane[cs] != pl || (vf >= 0 && p->att[j].via != vf))
      continue;
    for (int k = p->att_start[dt]; k < p->att_start[dt + 1]; k++) {
      int ct = p->att[k].cls;
      if (ct < 0 || p->class_plane[ct] != pl || (vt >= 0 && p->att[k].via != vt))
        continue;
      int dd = nvl_pf_row(p, cs)[ct];
      if (dd >= 0 && (best_d < 0 || dd < best_d))
        best_d = dd, *as = &p->att[j], *at = &p->att[k];
    }
  }
  return best_d;
}

/* splitmix64's finaliser */
static uint64_t mix(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

/* The class after c on a shortest path to t: the lowest-numbered such neighbour, or with ECMP
 * one of them drawn by a hash of the route's key, c and the seed (the same route, the same
 * choice). */
static int next_class(const nvl_platform *p, int c, int t, uint64_t key) {
  if (!p->ecmp)
    return nvl_pf_row(p, c)[p->n_classes + (size_t)t];
  const int *to_t = nvl_pf_row(p, t); /* distances from t: to t, the graph being undirected */
  int k = 0;
  for (int j = p->cc_start[c]; j < p->cc_start[c + 1]; j++)
    k += to_t[p->cc_nbr[j]] == to_t[c] - 1;
  uint64_t pick = mix(key ^ mix(p->ecmp_seed ^ ((uint64_t)c << 32))) % (uint64_t)k;
  for (int j = p->cc_start[c]; j < p->cc_start[c + 1]; j++)
    if (to_t[p->cc_nbr[j]] == to_t[c] - 1 && pick-- == 0)
      return p->cc_nbr[j];
  return -1; /* not reached: a shortest path has a next class */
}

/* Appends the leg out through attachment as (its NIC's PCIe link first), over trunks to at's
 * class and in through at; key names the route (its ECMP hash). Returns the new length, or -1
 * past max. */
static int push_leg(const nvl_platform *p, const attach *as, const attach *at, uint64_t key,
                    int *links, int *dirs, int n, int max) {
  const int *row = nvl_pf_row(p, as->cls);
  int need = 4 + row[at->cls];
  if (n + need > max)
    return -1;
#define PUSH(l, dir) (links[n] = (l), dirs[n] = (dir), n++)
  if (as->via >= 0) /* out through a NIC: its PCIe link, then the NIC's port */
    PUSH(as->pcie_link, 1);
  PUSH(as->link, 1);
  int c = as->cls;
  while (c != at->cls) {
    int nx = next_class(p, c, at->cls, key);
    PUSH(nvl_pf_trunk(p, c, nx), c < nx ? 1 : -1);
    c = nx;
  }
  PUSH(at->link, -1);
  if (at->via >= 0)
    PUSH(at->pcie_link, -1);
#undef PUSH
  return n;
}

/* dev's host in plane pl, -1 if none. */
static int host_in(const nvl_platform *p, int dev, int pl) {
  for (int k = p->ph_start[dev]; k < p->ph_start[dev + 1]; k++)
    if (p->ph[k].plane == pl)
      return p->ph[k].host;
  return -1;
}

/* dev's NIC into plane pl on the given rail, -1 if none. */
static int rail_nic(const nvl_platform *p, int dev, int pl, int rail) {
  for (int j = p->att_start[dev]; j < p->att_start[dev + 1]; j++) {
    const attach *a = &p->att[j];
    if (a->via >= 0 && a->cls >= 0 && p->class_plane[a->cls] == pl && p->nic_rail[a->via] == rail)
      return a->via;
  }
  return -1;
}

/* dev's first scale-up plane, -1 if none. */
static int local_plane(const nvl_platform *p, int dev) {
  for (int k = p->ph_start[dev]; k < p->ph_start[dev + 1]; k++)
    if (!(p->ph[k].via >= 0))
      return p->ph[k].plane;
  return -1;
}

/* A route from host `from` (endpoint df, in plane pf) into network plane pt, to host `to`
 * (endpoint dt, through that host's NIC); pf is pt itself (through the source host's NIC) or
 * one of df's scale-up planes. Out through df's own NIC when it is on the destination NIC's rail
 * (its place among its node's NICs), else through the NIC on that rail of a peer in df's
 * scale-up domain (PXN, as NCCL sends: over NVLink to the GPU on the destination's rail, then
 * out of its NIC); without one, df's own NIC, and without that the peer NIC closest to dt.
 * Returns the length, or -1. */
static int network_route(const nvl_platform *p, int from, int to, int *links, int *dirs, int max) {
  int df = p->host_dev[from], dt = p->host_dev[to], pf = p->host_plane[from],
      pt = p->host_plane[to], vt = p->host_via[to];
  const attach *bs = NULL, *bt = NULL, *as, *at;
  int rail = vt >= 0 ? p->nic_rail[vt] : -1, proxy = -1;
  bool own = false, on_rail = false;
  if (pf == pt && best_pair(p, df, p->host_via[from], dt, vt, pt, &as, &at) >= 0) {
    own = true, bs = as, bt = at;
    on_rail = as->via >= 0 && p->nic_rail[as->via] == rail;
  }
  int lp = pf == pt ? local_plane(p, df) : pf, dom = p->domain[df], best = -1;
  for (int i = dom >= 0 && lp >= 0 && !on_rail ? p->dom_start[dom] : 0;
       dom >= 0 && lp >= 0 && !on_rail && i < p->dom_start[dom + 1]; i++) {
    int q = p->dom_members[i];
    if (q == df || host_in(p, q, lp) < 0)
      continue;
    int qn = rail_nic(p, q, pt, rail), dd = best_pair(p, q, qn, dt, vt, pt, &as, &at);
    bool q_rail = qn >= 0 && dd >= 0;
    /* a proxy on the rail beats df's own NIC; without one, df's own NIC, else the closest */
    if (dd >= 0 && (q_rail ? best != -2 : !own && (best < 0 || dd < best))) {
      best = q_rail ? -2 : dd, proxy = q, bs = as, bt = at;
      if (q_rail)
        break;
    }
  }
  if (proxy < 0 && !own)
    return -1;
  int n = 0;
  if (proxy >= 0) { /* the NVLink leg to the proxy */
    n = nvl_platform_route(p, host_in(p, df, lp), host_in(p, proxy, lp), links, dirs, max);
    if (n < 0)
      return -1;
  }
  return push_leg(p, bs, bt, nvl_u64map_pair((uint32_t)from, (uint32_t)to), links, dirs, n, max);
}

/* A route from a network host of endpoint df (through its NIC) to endpoint dt's host in a
 * scale-up plane, for a dt with no way into that network of its own (its NIC failed): into the
 * NIC of a peer in dt's scale-up domain, on the source NIC's rail where one is, else the
 * closest, then over NVLink to dt. Returns the length, or -1. */
static int network_route_in(const nvl_platform *p, int from, int to, int *links, int *dirs,
                            int max) {
  int df = p->host_dev[from], dt = p->host_dev[to], pf = p->host_plane[from],
      pt = p->host_plane[to], vf = p->host_via[from];
  int rail = vf >= 0 ? p->nic_rail[vf] : -1, dom = p->domain[dt], proxy = -1, best = -1;
  const attach *bs = NULL, *bt = NULL, *as, *at;
  for (int i = dom >= 0 ? p->dom_start[dom] : 0; dom >= 0 && i < p->dom_start[dom + 1]; i++) {
    int q = p->dom_members[i];
    if (q == dt || host_in(p, q, pt) < 0)
      continue;
    int qn = rail_nic(p, q, pf, rail), dd = best_pair(p, df, vf, q, qn, pf, &as, &at);
    bool q_rail = qn >= 0 && dd >= 0;
    if (dd >= 0 && (q_rail || best < 0 || dd < best)) {
      best = dd, proxy = q, bs = as, bt = at;
      if (q_rail)
        break;
    }
  }
  if (proxy < 0)
    return -1;
  int n = push_leg(p, bs, bt, nvl_u64map_pair((uint32_t)from, (uint32_t)to), links, dirs, 0, max);
  if (n < 0)
    return -1;
  int m = nvl_platform_route(p, host_in(p, proxy, pt), to, links + n, dirs + n, max - n);
  return m < 0 ? -1 : n + m;
}

/* Direction of logical link `li` when traversed from the lower-numbered end: UP. Endpoint
 * links are declared endpoint -> class, so leaving an endpoint is UP. */
int nvl_platform_route(const nvl_platform *p, int from, int to, int *links, int *dirs, int max) {
  int n = 0;
#define PUSH(l, dir)                                                                               \
  do {                                                                                             \
    if (n >= max)                                                                                  \
      return -1;                                                                                   \
    links[n] = (l);                                                                                \
    dirs[n] = (dir);                                                                               \
    n++;                                                                                           \
  } while (0)
  int pf = p->host_plane[from], pt = p->host_plane[to];
  int df = p->host_dev[from], dt = p->host_dev[to];
  if (from == to)
    return -1;
  if (pf == -1 || pt == -1) { /* direct */
    if (pf != -1 || pt != -1)
      return -1;
    for (int j = p->att_start[df]; j < p->att_start[df + 1]; j++)
      if (p->att[j].cls < 0 && p->att[j].peer == dt) {
        PUSH(p->att[j].link, df < dt ? 1 : -1);
        return n;
      }
    return -1;
  }
  if (pf == -3 || pt == -3) /* to or from a SHARP engine */
    return nvl_pf_sharp_route(p, from, to, links, dirs, max);
  if (pf == -2 || pt == -2) { /* endpoint <-> in-switch reduction host of class c */
    int c = pf == -2 ? df : dt, ep = pf == -2 ? dt : df;
    const attach *a = find_attach(p, ep, c);
    if (!a || (pf == -2 && pt == -2))
      return -1;
    if (pt == -2) {
      PUSH(a->link, 1);
      PUSH(a->nvls_link, 1);
    } else {
      PUSH(a->nvls_link, 1);
      PUSH(a->link, -1);
    }
    return n;
  }
  if (p->plane_net[pt] && (pf == pt || !p->plane_net[pf]))
    return network_route(p, from, to, links, dirs, max);
  if (p->plane_net[pf] && !p->plane_net[pt])
    return network_route_in(p, from, to, links, dirs, max);
  if (pf != pt)
    return -1;
  const attach *as = NULL, *at = NULL;
  if (best_pair(p, df, -1, dt, -1, pf, &as, &at) < 0)
    return -1;
  return push_leg(p, as, at, nvl_u64map_pair((uint32_t)from, (uint32_t)to), links, dirs, 0, max);
#undef PUSH
}

double nvl_platform_route_latency(const nvl_platform *p, int from, int to) {
  int links[64], dirs[64];
  int n = nvl_platform_route(p, from, to, links, dirs, 64);
  double lat = 0;
  for (int i = 0; i < n; i++)
    lat += p->links[links[i]].lat_s;
  return lat;
}

int nvl_platform_stripes(const nvl_platform *p, int e, int f, nvl_stripe *out) {
  if (e == f)
    return 0;
  if (p->direct_host[e] >= 0 && p->direct_host[f] >= 0)
    for (int j = p->att_start[e]; j < p->att_start[e + 1]; j++)
      if (p->att[j].cls < 0 && p->att[j].peer == f) {
        out[0] = (nvl_stripe){p->direct_host[e], p->direct_host[f], 1.0};
        return 1;
      }
  /* the planes of the scale-up fabric first; the network's only where none joins the two, as
   * NCCL takes NVLink (P2P) for peers it reaches and the network (NET) for the others */
  int n = 0;
  double total = 0;
  for (int net = 0; net < 2 && n == 0; net++)
    for (int i = p->ph_start[e]; i < p->ph_start[e + 1] && n < NVL_MAX_STRIPES; i++)
      for (int k = p->ph_start[f]; k < p->ph_start[f + 1] && n < NVL_MAX_STRIPES; k++)
        if (p->ph[i].plane == p->ph[k].plane && (p->ph[i].via >= 0) == (net == 1)) {
          double w = p->ph[i].cap_Bps < p->ph[k].cap_Bps ? p->ph[i].cap_Bps : p->ph[k].cap_Bps;
          int links[64], dirs[64];
          if (nvl_platform_route(p, p->ph[i].host, p->ph[k].host, links, dirs, 64) < 0)
            continue; /* same plane but no path (disconnected within it) */
          out[n++] = (nvl_stripe){p->ph[i].host, p->ph[k].host, w};
          total += w;
        }
  /* no network plane in common (its NIC failed, say): PXN from a scale-up host, one stripe per
   * network host of f */
  int lp = n == 0 ? local_plane(p, e) : -1;
  for (int k = p->ph_start[f]; lp >= 0 && k < p->ph_start[f + 1] && n < NVL_MAX_STRIPES; k++) {
    int links[64], dirs[64], from = host_in(p, e, lp);
    if (!(p->ph[k].via >= 0) || nvl_platform_route(p, from, p->ph[k].host, links, dirs, 64) < 0)
      continue;
    out[n++] = (nvl_stripe){from, p->ph[k].host, p->ph[k].cap_Bps};
    total += p->ph[k].cap_Bps;
  }
  /* f has no way in of its own: into a peer's NIC, then over NVLink, one stripe per network
   * host of e */
  int lf = n == 0 ? local_plane(p, f) : -1;
  for (int i = p->ph_start[e]; lf >= 0 && i < p->ph_start[e + 1] && n < NVL_MAX_STRIPES; i++) {
    int links[64], dirs[64], to = host_in(p, f, lf);
    if (!(p->ph[i].via >= 0) || nvl_platform_route(p, p->ph[i].host, to, links, dirs, 64) < 0)
      continue;
    out[n++] = (nvl_stripe){p->ph[i].host, to, p->ph[i].cap_Bps};
    total += p->ph[i].cap_Bps;
  }
  for (int i = 0; i < n; i++)
    out[i].weight /= total;
  return n;
}

int nvl_platform_nvls_host(const nvl_platform *p, int dev) {
  int cls = -1;
  for (int j = p->att_start[dev]; j < p->att_start[dev + 1]; j++) {
    if (p->att[j].cls < 0 || p->att[j].via >= 0)
      continue;
    if (cls >= 0 && cls != p->att[j].cls)
      return -1;
    cls = p->att[j].cls;
  }
  return cls >= 0 ? p->class_nvls_host[cls] : -1;
}

int nvl_platform_port_links(const nvl_platform *p, int dev, int *links, int max) {
  int n = 0;
  for (int j = p->att_start[dev]; j < p->att_start[dev + 1]; j++)
    if (p->att[j].cls >= 0 && p->att[j].via < 0) {
      if (n < max)
        links[n++] = p->att[j].link;
      if (p->att[j].nvls_link >= 0 && n < max)
        links[n++] = p->att[j].nvls_link;
    }
  return n;
}

int nvl_platform_domain(const nvl_platform *p, int dev) { return p->domain[dev]; }

int nvl_platform_host_device(const nvl_platform *p, int host) {
  return host >= 0 && (size_t)host < p->n_hosts && p->host_plane[host] > -2 ? p->host_dev[host]
                                                                            : -1;
}

int nvl_platform_endpoint_host(const nvl_platform *p, int dev) {
  for (int k = p->ph_start[dev]; k < p->ph_start[dev + 1]; k++)
    if (!(p->ph[k].via >= 0)) /* a scale-up host first: the one its reduction engine routes from */
      return p->ph[k].host;
  return p->ph_start[dev] < p->ph_start[dev + 1] ? p->ph[p->ph_start[dev]].host : -1;
}

/* A direct link between two endpoints. */
static bool direct_pair(const nvl_platform *p, int e, int f) {
  for (int j = p->att_start[e]; j < p->att_start[e + 1]; j++)
    if (p->att[j].cls < 0 && p->att[j].peer == f)
      return true;
  return false;
}

/* Whether e's transfers to f have a way: a stripe (a plane both reach, the network, PXN). */
static bool plane_pair(const nvl_platform *p, int e, int f) {
  nvl_stripe st[NVL_MAX_STRIPES];
  return nvl_platform_stripes(p, e, f, st) > 0;
}

bool nvl_platform_all_reachable(const nvl_platform *p, const int *devs, int n, int *a, int *b) {
  /* the twin sets present, each with its first two members */
  int *local = nvl_xmalloc((p->n_twins_net + 1) * sizeof(int));
  for (size_t t = 0; t < p->n_twins_net; t++)
    local[t] = -1;
  int *first = nvl_xmalloc(((size_t)n + 1) * sizeof(int)),
      *second = nvl_xmalloc(((size_t)n + 1) * sizeof(int));
  int *set = nvl_xmalloc(((size_t)n + 1) * sizeof(int)), k = 0;
  for (int r = 0; r < n; r++) {
    int t = p->twin_net[devs[r]];
    if (local[t] < 0) {
      local[t] = k;
      first[k] = r;
      second[k++] = -1;
    } else if (second[local[t]] < 0) {
      second[local[t]] = r;
    }
    set[r] = local[t];
  }
  /* routes per pair of sets (within a set: between its first two members) */
  bool *routed = nvl_xcalloc((size_t)k * (size_t)k + 1, sizeof(bool)), all = true;
  for (int x = 0; x < k; x++)
    for (int y = 0; y < k; y++) {
      int e = first[x], f = x == y ? second[x] : first[y];
      routed[x * k + y] = f < 0 || plane_pair(p, devs[e], devs[f]);
      all &= routed[x * k + y];
    }
  /* pairs of sets without a route need a direct link for every pair of their members */
  bool ok = true;
  for (int r = 0; r < n && !all && ok; r++)
    for (int s = 0; s < n && ok; s++)
      if (r != s && !routed[set[r] * k + set[s]] && !direct_pair(p, devs[r], devs[s])) {
        *a = r;
        *b = s;
        ok = false;
      }
  free(local);
  free(first);
  free(second);
  free(set);
  free(routed);
  return ok;
}

/* Whether every device has a host in a scale-up plane of devs[0]'s: the job never crosses the
 * network. */
static bool one_fabric(const nvl_platform *p, const int *devs, int n) {
  for (int i = p->ph_start[devs[0]]; i < p->ph_start[devs[0] + 1]; i++) {
    if ((p->ph[i].via >= 0))
      continue;
    bool all = true;
    for (int r = 1; r < n && all; r++) {
      all = false;
      for (int k = p->ph_start[devs[r]]; k < p->ph_start[devs[r] + 1] && !all; k++)
        all = p->ph[k].plane == p->ph[i].plane;
    }
    if (all)
      return true;
  }
  return false;
}

bool nvl_platform_alike(const nvl_platform *p, const int *devs, int n) {
  if (n < 2)
    return false;
  for (int r = 1; r < n; r++)
    if (p->twin[devs[r]] != p->twin[devs[0]] || p->twin[devs[r]] < 0)
      return false;
  if (!one_fabric(p, devs, n))
    return false;
  bool *in = nvl_xcalloc(p->d->n_devices + 1, sizeof(bool)), ok = true;
  for (int r = 0; r < n; r++)
    in[devs[r]] = true;
  for (int r = 0; r < n && ok; r++)
    for (int j = p->att_start[devs[r]]; j < p->att_start[devs[r] + 1] && ok; j++)
      ok = !(p->att[j].cls < 0 && in[p->att[j].peer]);
  free(in);
  return ok;
}
