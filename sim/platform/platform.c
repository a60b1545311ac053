/*
 * platform: see platform.h for the aggregation model.
 *
 * Costs: colour refinement O(iterations x E log E) over switch adjacencies; class distances by
 * BFS, O(C (C + E_c)) with C classes (refused above NVL_MAX_CLASSES); routes O(sum over planes of
 * hosts^2 x path length), which dominates for large flat planes (NVL576: 331,200 routes).
 */
#include "platform/platform.h"

#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"

#define NVL_MAX_CLASSES 4096
#define HUGE_BW 1e18

typedef struct {
  int cls;  /* class, or -1 for a direct endpoint link */
  int peer; /* peer endpoint device for direct links */
  int link; /* logical link index */
  double cap_Bps;
  int nvls_link; /* latency link towards the class's reduction engine, -1 if none */
} attach;

typedef struct {
  int plane;
  int host;
  double cap_Bps;
} plane_host;

struct nvl_platform {
  const nvl_design *d;
  nvl_model model;
  int *cls; /* device -> class (switches), -1 for endpoints */
  size_t n_classes, n_planes;
  int *class_plane, *class_nvls_host;
  double *class_half_lat;
  int *class_first; /* first member device */
  int *class_size;
  char (*class_names)[2 * NVL_NAME_MAX + 4];
  nvl_plink *links;
  size_t n_links, cap_links;
  /* endpoint attachments (to classes and direct peers), CSR by device */
  attach *att;
  int *att_start; /* n_devices + 1 */
  /* class adjacency: link index per (class, class), -1 if none; dist and next hop */
  int *cc_link, *cc_dist, *cc_next;
  /* hosts */
  char (*host_names)[80];
  int *host_dev;
  int *host_plane; /* -1 direct, -2 nvls (host_dev = class) */
  size_t n_hosts, cap_hosts;
  plane_host *ph; /* per endpoint, CSR */
  int *ph_start;
  int *direct_host; /* per device, -1 if none */
};

/* ---------------------------------------------------------------------------------------- */
/* Colour refinement                                                                         */

typedef struct {
  long long key; /* neighbour: class colour (>= 0) or -1 - endpoint device */
  int lt;
  long long count;
} sig_item;

typedef struct {
  int sw;
  long long color;
  sig_item *items;
  size_t n;
} sig;

static int cmp_item(const void *a, const void *b) {
  const sig_item *x = a, *y = b;
  if (x->key != y->key)
    return x->key < y->key ? -1 : 1;
  if (x->lt != y->lt)
    return x->lt < y->lt ? -1 : 1;
  return 0;
}

static int cmp_sig(const void *a, const void *b) {
  const sig *x = a, *y = b;
  if (x->color != y->color)
    return x->color < y->color ? -1 : 1;
  size_t n = x->n < y->n ? x->n : y->n;
  for (size_t i = 0; i < n; i++) {
    const sig_item *p = &x->items[i], *q = &y->items[i];
    if (p->key != q->key)
      return p->key < q->key ? -1 : 1;
    if (p->lt != q->lt)
      return p->lt < q->lt ? -1 : 1;
    if (p->count != q->count)
      return p->count < q->count ? -1 : 1;
  }
  if (x->n != y->n)
    return x->n < y->n ? -1 : 1;
  return x->sw - y->sw;
}

static bool same_sig(const sig *x, const sig *y) {
  if (x->color != y->color || x->n != y->n)
    return false;
  for (size_t i = 0; i < x->n; i++)
    if (x->items[i].key != y->items[i].key || x->items[i].lt != y->items[i].lt ||
        x->items[i].count != y->items[i].count)
      return false;
  return true;
}

static long long gcd(long long a, long long b) {
  while (b) {
    long long t = a % b;
    a = b;
    b = t;
  }
  return a;
}

/* Fills p->cls for switches; returns the number of classes. */
static size_t refine_classes(nvl_platform *p) {
  const nvl_design *d = p->d;
  size_t nd = d->n_devices;
  /* switch adjacency in CSR: (neighbour, link type, count) per bundle end */
  int *deg = nvl_xcalloc(nd + 1, sizeof(int));
  for (size_t k = 0; k < d->n_links; k++) {
    deg[d->links[k].a]++;
    deg[d->links[k].b]++;
  }
  int *start = nvl_xcalloc(nd + 1, sizeof(int));
  for (size_t i = 0; i < nd; i++)
    start[i + 1] = start[i] + deg[i];
  sig_item *adj = nvl_xmalloc((size_t)start[nd] * sizeof *adj);
  int *fill = nvl_xcalloc(nd, sizeof(int));
  for (size_t k = 0; k < d->n_links; k++) {
    const nvl_link *l = &d->links[k];
    /* degraded links weigh by their remaining share (in millionths) */
    long long w = (long long)l->count * (long long)(l->scale * 1000000 + 0.5);
    adj[start[l->a] + fill[l->a]++] = (sig_item){l->b, l->type, w};
    adj[start[l->b] + fill[l->b]++] = (sig_item){l->a, l->type, w};
  }
  long long *color = nvl_xmalloc(nd * sizeof *color);
  size_t nsw = 0;
  for (size_t i = 0; i < nd; i++) {
    color[i] = d->devices[i].is_switch ? d->devices[i].type : -1;
    nsw += d->devices[i].is_switch;
  }
  sig *sigs = nvl_xcalloc(nsw, sizeof *sigs);
  size_t n_colors = 0, prev = (size_t)-1;
  for (int iter = 0; iter < 64 && n_colors != prev; iter++) {
    prev = n_colors;
    size_t s = 0;
    for (size_t i = 0; i < nd; i++) {
      if (!d->devices[i].is_switch)
        continue;
      sig *g = &sigs[s++];
      g->sw = (int)i;
      g->color = color[i];
      g->n = (size_t)deg[i];
      g->items = realloc(g->items, (g->n ? g->n : 1) * sizeof(sig_item));
      for (int j = 0; j < deg[i]; j++) {
        sig_item it = adj[start[i] + j];
        int nb = (int)it.key;
        it.key = d->devices[nb].is_switch ? color[nb] : -1 - (long long)nb;
        g->items[j] = it;
      }
      qsort(g->items, g->n, sizeof(sig_item), cmp_item);
      size_t m = 0; /* merge equal (key, lt) */
      for (size_t j = 0; j < g->n; j++) {
        if (m > 0 && g->items[m - 1].key == g->items[j].key && g->items[m - 1].lt == g->items[j].lt)
          g->items[m - 1].count += g->items[j].count;
        else
          g->items[m++] = g->items[j];
      }
      g->n = m;
      long long gg = 0;
      for (size_t j = 0; j < m; j++)
        gg = gcd(gg, g->items[j].count);
      for (size_t j = 0; j < m && gg > 1; j++)
        g->items[j].count /= gg;
    }
    qsort(sigs, nsw, sizeof *sigs, cmp_sig);
    n_colors = 0;
    for (size_t j = 0; j < nsw; j++) {
      if (j == 0 || !same_sig(&sigs[j], &sigs[j - 1]))
        n_colors++;
      color[sigs[j].sw] = (long long)n_colors - 1;
    }
  }
  /* number classes by first member in device order */
  long long *renum = nvl_xmalloc((n_colors ? n_colors : 1) * sizeof *renum);
  for (size_t c = 0; c < n_colors; c++)
    renum[c] = -1;
  size_t nc = 0;
  for (size_t i = 0; i < nd; i++) {
    if (!d->devices[i].is_switch) {
      p->cls[i] = -1;
      continue;
    }
    if (renum[color[i]] < 0)
      renum[color[i]] = (long long)nc++;
    p->cls[i] = (int)renum[color[i]];
  }
  for (size_t j = 0; j < nsw; j++)
    free(sigs[j].items);
  free(sigs);
  free(renum);
  free(color);
  free(fill);
  free(adj);
  free(start);
  free(deg);
  return nc;
}

/* ---------------------------------------------------------------------------------------- */
/* Logical links and hosts                                                                   */

static int add_plink(nvl_platform *p, const char *kind, const char *name, double bw, double lat,
                     bool fatpipe, int physical) {
  if (p->n_links == p->cap_links) {
    p->cap_links = p->cap_links ? 2 * p->cap_links : 64;
    p->links = realloc(p->links, p->cap_links * sizeof *p->links);
  }
  nvl_plink *l = &p->links[p->n_links];
  snprintf(l->name, sizeof l->name, "%s", name);
  l->bw_Bps = bw;
  l->lat_s = lat;
  l->fatpipe = fatpipe;
  l->physical = physical;
  l->kind = kind;
  return (int)p->n_links++;
}

static int add_host(nvl_platform *p, const char *name, int dev, int plane) {
  if (p->n_hosts == p->cap_hosts) {
    p->cap_hosts = p->cap_hosts ? 2 * p->cap_hosts : 64;
    p->host_names = realloc(p->host_names, p->cap_hosts * sizeof *p->host_names);
    p->host_dev = realloc(p->host_dev, p->cap_hosts * sizeof(int));
    p->host_plane = realloc(p->host_plane, p->cap_hosts * sizeof(int));
  }
  snprintf(p->host_names[p->n_hosts], sizeof p->host_names[0], "%s", name);
  p->host_dev[p->n_hosts] = dev;
  p->host_plane[p->n_hosts] = plane;
  return (int)p->n_hosts++;
}

/* Names classes "first..last" (e.g. "sw0..sw17"), once, in one pass over the devices. */
static void name_classes(nvl_platform *p) {
  const nvl_design *d = p->d;
  size_t nc = p->n_classes;
  int *last = nvl_xmalloc((nc ? nc : 1) * sizeof(int));
  for (size_t i = 0; i < d->n_devices; i++)
    if (p->cls[i] >= 0)
      last[p->cls[i]] = (int)i;
  p->class_names = nvl_xmalloc((nc ? nc : 1) * sizeof *p->class_names);
  for (size_t c = 0; c < nc; c++) {
    const char *f = d->devices[p->class_first[c]].name, *l = d->devices[last[c]].name;
    /* "sw0..sw17" when the class holds every device in between, else "sw0..sw17[17]" */
    bool contiguous = last[c] - p->class_first[c] + 1 == p->class_size[c];
    int w = p->class_first[c] == last[c]
                ? snprintf(p->class_names[c], sizeof p->class_names[c], "%s", f)
            : contiguous ? snprintf(p->class_names[c], sizeof p->class_names[c], "%s..%s", f, l)
                         : snprintf(p->class_names[c], sizeof p->class_names[c], "%s..%s[%d]", f, l,
                                    p->class_size[c]);
    if (w >= (int)sizeof p->class_names[c])
      p->class_names[c][sizeof p->class_names[c] - 1] = '\0';
  }
  free(last);
}

static double link_bw(const nvl_platform *p, const nvl_link *l) {
  const nvl_link_type *t = &p->d->link_types[l->type];
  double eff = p->model == NVL_MODEL_IDEAL ? 1.0 : t->efficiency;
  return l->count * t->bw_Bps * eff * l->scale;
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
  return x->peer - y->peer;
}

nvl_platform *nvl_platform_new(const nvl_design *d, const nvl_platform_opts *opts,
                               nvl_diags *diags) {
  nvl_platform *p = nvl_xcalloc(1, sizeof *p);
  p->d = d;
  p->model = opts ? opts->model : NVL_MODEL_DEFAULT;
  size_t nd = d->n_devices;
  p->cls = nvl_xmalloc(nd * sizeof(int));
  if (opts && opts->explicit_planes) {
    for (size_t i = 0; i < nd; i++)
      p->cls[i] = d->devices[i].is_switch ? (int)p->n_classes++ : -1;
  } else {
    p->n_classes = refine_classes(p);
  }
  size_t nc = p->n_classes;
  if (nc > NVL_MAX_CLASSES) {
    nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_LIMIT, "/system",
                 "the design has %zu distinct switch classes; at most %d can be simulated", nc,
                 NVL_MAX_CLASSES);
    nvl_platform_free(p);
    return NULL;
  }
  p->class_first = nvl_xmalloc((nc ? nc : 1) * sizeof(int));
  p->class_size = nvl_xcalloc(nc, sizeof(int));
  for (size_t c = 0; c < nc; c++)
    p->class_first[c] = -1;
  for (size_t i = 0; i < nd; i++)
    if (p->cls[i] >= 0) {
      if (p->class_first[p->cls[i]] < 0)
        p->class_first[p->cls[i]] = (int)i;
      p->class_size[p->cls[i]]++;
    }
  name_classes(p);

  /* switching latency: half of it on each link that touches the class, so that any path pays
   * each traversed switch exactly once (a shared "crossbar" link would couple every flow through
   * a switch in one max-min constraint and make the solver quadratic) */
  p->class_half_lat = nvl_xmalloc((nc ? nc : 1) * sizeof(double));
  for (size_t c = 0; c < nc; c++)
    p->class_half_lat[c] = 0.5 * d->switch_types[d->devices[p->class_first[c]].type].lat_s;
  char name[400];

  /* class-class logical links (aggregated), endpoint attachments */
  p->cc_link = nvl_xmalloc((nc ? nc * nc : 1) * sizeof(int));
  for (size_t i = 0; i < nc * nc; i++)
    p->cc_link[i] = -1;
  double *cc_bw = nvl_xcalloc(nc * nc, sizeof(double));
  double *cc_lat = nvl_xcalloc(nc * nc, sizeof(double));
  int *cc_phys = nvl_xcalloc(nc * nc, sizeof(int));
  attach *raw = nvl_xmalloc(2 * (d->n_links ? d->n_links : 1) * sizeof *raw);
  int *raw_dev = nvl_xmalloc(2 * (d->n_links ? d->n_links : 1) * sizeof(int));
  size_t n_raw = 0;
  for (size_t k = 0; k < d->n_links; k++) {
    const nvl_link *l = &d->links[k];
    int ca = p->cls[l->a], cb = p->cls[l->b];
    double bw = link_bw(p, l), lat = d->link_types[l->type].lat_s;
    if (ca >= 0 && cb >= 0) {
      if (ca == cb)
        continue; /* links inside a class are not modelled (see platform.h) */
      int lo = ca < cb ? ca : cb, hi = ca < cb ? cb : ca;
      cc_bw[lo * nc + hi] += bw;
      cc_phys[lo * nc + hi] += l->count;
      if (lat > cc_lat[lo * nc + hi])
        cc_lat[lo * nc + hi] = lat;
    } else if (ca >= 0 || cb >= 0) {
      int ep = ca >= 0 ? l->b : l->a, c = ca >= 0 ? ca : cb;
      raw_dev[n_raw] = ep;
      raw[n_raw++] = (attach){c, -1, -1, bw, -1}; /* latency: taken per link type below */
    } else {
      raw_dev[n_raw] = l->a;
      raw[n_raw++] = (attach){-1, l->b, -1, bw, -1};
      raw_dev[n_raw] = l->b;
      raw[n_raw++] = (attach){-1, l->a, -1, bw, -1};
    }
  }
  for (size_t a = 0; a < nc; a++)
    for (size_t b = a + 1; b < nc; b++)
      if (cc_bw[a * nc + b] > 0) {
        snprintf(name, sizeof name, "%s~%s", p->class_names[a], p->class_names[b]);
        int li = add_plink(p, "trunk", name, cc_bw[a * nc + b],
                           cc_lat[a * nc + b] + p->class_half_lat[a] + p->class_half_lat[b], false,
                           cc_phys[a * nc + b]);
        p->cc_link[a * nc + b] = p->cc_link[b * nc + a] = li;
      }
  free(cc_bw);
  free(cc_lat);
  free(cc_phys);

  /* group raw attachments per endpoint, merging same class / same peer */
  p->att_start = nvl_xcalloc(nd + 1, sizeof(int));
  for (size_t r = 0; r < n_raw; r++)
    p->att_start[raw_dev[r] + 1]++;
  for (size_t i = 0; i < nd; i++)
    p->att_start[i + 1] += p->att_start[i];
  attach *sorted = nvl_xmalloc((n_raw ? n_raw : 1) * sizeof *sorted);
  int *pos = nvl_xcalloc(nd, sizeof(int));
  for (size_t r = 0; r < n_raw; r++)
    sorted[p->att_start[raw_dev[r]] + pos[raw_dev[r]]++] = raw[r];
  p->att = nvl_xmalloc((n_raw ? n_raw : 1) * sizeof *p->att);
  size_t n_att = 0;
  int *new_start = nvl_xcalloc(nd + 1, sizeof(int));
  for (size_t i = 0; i < nd; i++) {
    attach *a = sorted + p->att_start[i];
    size_t n = (size_t)(p->att_start[i + 1] - p->att_start[i]);
    qsort(a, n, sizeof *a, cmp_attach);
    new_start[i] = (int)n_att;
    for (size_t j = 0; j < n; j++) {
      if (n_att > (size_t)new_start[i] && p->att[n_att - 1].cls == a[j].cls &&
          p->att[n_att - 1].peer == a[j].peer)
        p->att[n_att - 1].cap_Bps += a[j].cap_Bps;
      else
        p->att[n_att++] = a[j];
    }
  }
  new_start[nd] = (int)n_att;
  free(p->att_start);
  p->att_start = new_start;
  free(sorted);
  free(pos);
  free(raw);
  free(raw_dev);
  /* one logical link per endpoint attachment; direct links once per pair */
  for (size_t i = 0; i < nd; i++)
    for (int j = p->att_start[i]; j < p->att_start[i + 1]; j++) {
      attach *a = &p->att[j];
      if (a->cls >= 0) {
        snprintf(name, sizeof name, "%s~%s", d->devices[i].name, p->class_names[a->cls]);
        /* latency: of the first physical link type that joins them (all equal in practice) */
        double lat = 0;
        for (size_t k = 0; k < d->n_links; k++) {
          const nvl_link *l = &d->links[k];
          if ((l->a == (int)i && p->cls[l->b] == a->cls) ||
              (l->b == (int)i && p->cls[l->a] == a->cls)) {
            lat = d->link_types[l->type].lat_s;
            break;
          }
        }
        int phys = 0;
        for (size_t k = 0; k < d->n_links; k++) {
          const nvl_link *l = &d->links[k];
          if ((l->a == (int)i && p->cls[l->b] == a->cls) ||
              (l->b == (int)i && p->cls[l->a] == a->cls))
            phys += l->count;
        }
        a->link =
            add_plink(p, "port", name, a->cap_Bps, lat + p->class_half_lat[a->cls], false, phys);
        if (d->switch_types[d->devices[p->class_first[a->cls]].type].reduction) {
          /* the rest of the switching latency towards the in-switch reduction engine */
          snprintf(name, sizeof name, "%s~nvls.%s", d->devices[i].name, p->class_names[a->cls]);
          a->nvls_link = add_plink(p, "nvls", name, HUGE_BW, p->class_half_lat[a->cls], true, 0);
        }
      } else if (a->peer > (int)i) {
        snprintf(name, sizeof name, "%s~%s", d->devices[i].name, d->devices[a->peer].name);
        double lat = 0;
        int phys = 0;
        for (size_t k = 0; k < d->n_links; k++) {
          const nvl_link *l = &d->links[k];
          if ((l->a == (int)i && l->b == a->peer) || (l->b == (int)i && l->a == a->peer)) {
            lat = d->link_types[l->type].lat_s;
            phys += l->count;
          }
        }
        a->link = add_plink(p, "direct", name, a->cap_Bps, lat, false, phys);
        for (int q = p->att_start[a->peer]; q < p->att_start[a->peer + 1]; q++)
          if (p->att[q].cls < 0 && p->att[q].peer == (int)i)
            p->att[q].link = a->link;
      }
    }

  /* planes: connected components of the class graph */
  int *uf = nvl_xmalloc((nc ? nc : 1) * sizeof(int));
  for (size_t c = 0; c < nc; c++)
    uf[c] = (int)c;
  for (size_t a = 0; a < nc; a++)
    for (size_t b = a + 1; b < nc; b++)
      if (p->cc_link[a * nc + b] >= 0)
        uf[find_root(uf, (int)a)] = find_root(uf, (int)b);
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

  /* class distances and next hops (BFS from each class) */
  p->cc_dist = nvl_xmalloc((nc ? nc * nc : 1) * sizeof(int));
  p->cc_next = nvl_xmalloc((nc ? nc * nc : 1) * sizeof(int));
  int *queue = nvl_xmalloc((nc ? nc : 1) * sizeof(int));
  for (size_t s = 0; s < nc; s++) {
    int *dist = p->cc_dist + s * nc, *next = p->cc_next + s * nc;
    for (size_t c = 0; c < nc; c++)
      dist[c] = -1, next[c] = -1;
    dist[s] = 0;
    size_t qh = 0, qt = 0;
    queue[qt++] = (int)s;
    while (qh < qt) {
      int u = queue[qh++];
      for (size_t v = 0; v < nc; v++)
        if (p->cc_link[u * nc + v] >= 0 && dist[v] < 0) {
          dist[v] = dist[u] + 1;
          next[v] = u == (int)s ? (int)v : next[u];
          queue[qt++] = (int)v;
        }
    }
  }
  free(queue);

  /* hosts: one per endpoint per plane it attaches to, one for direct links */
  p->ph_start = nvl_xcalloc(nd + 1, sizeof(int));
  p->ph = nvl_xmalloc((n_att ? n_att : 1) * sizeof *p->ph);
  p->direct_host = nvl_xmalloc(nd * sizeof(int));
  size_t n_ph = 0;
  for (size_t i = 0; i < nd; i++) {
    p->ph_start[i] = (int)n_ph;
    p->direct_host[i] = -1;
    if (d->devices[i].is_switch)
      continue;
    bool has_direct = false;
    for (int j = p->att_start[i]; j < p->att_start[i + 1]; j++) {
      attach *a = &p->att[j];
      if (a->cls < 0) {
        has_direct = true;
        continue;
      }
      int pl = p->class_plane[a->cls];
      size_t k = (size_t)p->ph_start[i];
      while (k < n_ph && p->ph[k].plane != pl)
        k++;
      if (k == n_ph)
        p->ph[n_ph++] = (plane_host){pl, -1, 0};
      p->ph[k].cap_Bps += a->cap_Bps;
    }
    for (size_t k = (size_t)p->ph_start[i]; k < n_ph; k++) {
      if (p->n_planes == 1)
        snprintf(name, sizeof name, "%s", d->devices[i].name);
      else
        snprintf(name, sizeof name, "%s.p%d", d->devices[i].name, p->ph[k].plane);
      p->ph[k].host = add_host(p, name, (int)i, p->ph[k].plane);
    }
    if (has_direct) {
      snprintf(name, sizeof name, "%s.d", d->devices[i].name);
      p->direct_host[i] = add_host(p, name, (int)i, -1);
    }
  }
  p->ph_start[nd] = (int)n_ph;
  /* in-switch reduction hosts */
  p->class_nvls_host = nvl_xmalloc((nc ? nc : 1) * sizeof(int));
  for (size_t c = 0; c < nc; c++) {
    p->class_nvls_host[c] = -1;
    if (!d->switch_types[d->devices[p->class_first[c]].type].reduction)
      continue;
    snprintf(name, sizeof name, "nvls.%s", p->class_names[c]);
    p->class_nvls_host[c] = add_host(p, name, (int)c, -2);
  }
  return p;
}

void nvl_platform_free(nvl_platform *p) {
  if (!p)
    return;
  free(p->cls);
  free(p->class_plane);
  free(p->class_half_lat);
  free(p->class_nvls_host);
  free(p->class_first);
  free(p->class_size);
  free(p->class_names);
  free(p->links);
  free(p->att);
  free(p->att_start);
  free(p->cc_link);
  free(p->cc_dist);
  free(p->cc_next);
  free(p->host_names);
  free(p->host_dev);
  free(p->host_plane);
  free(p->ph);
  free(p->ph_start);
  free(p->direct_host);
  free(p);
}

size_t nvl_platform_host_count(const nvl_platform *p) { return p->n_hosts; }
const char *nvl_platform_host_name(const nvl_platform *p, int h) { return p->host_names[h]; }
size_t nvl_platform_link_count(const nvl_platform *p) { return p->n_links; }
const nvl_plink *nvl_platform_link(const nvl_platform *p, int l) { return &p->links[l]; }
size_t nvl_platform_class_count(const nvl_platform *p) { return p->n_classes; }
size_t nvl_platform_plane_count(const nvl_platform *p) { return p->n_planes; }

/* ---------------------------------------------------------------------------------------- */
/* Routes and stripes                                                                        */

static const attach *find_attach(const nvl_platform *p, int dev, int cls) {
  for (int j = p->att_start[dev]; j < p->att_start[dev + 1]; j++)
    if (p->att[j].cls == cls)
      return &p->att[j];
  return NULL;
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
  if (pf != pt)
    return -1;
  size_t nc = p->n_classes;
  int best_s = -1, best_t = -1, best_d = -1;
  for (int j = p->att_start[df]; j < p->att_start[df + 1]; j++) {
    int cs = p->att[j].cls;
    if (cs < 0 || p->class_plane[cs] != pf)
      continue;
    for (int k = p->att_start[dt]; k < p->att_start[dt + 1]; k++) {
      int ct = p->att[k].cls;
      if (ct < 0 || p->class_plane[ct] != pf)
        continue;
      int dd = p->cc_dist[cs * nc + ct];
      if (dd >= 0 && (best_d < 0 || dd < best_d))
        best_d = dd, best_s = cs, best_t = ct;
    }
  }
  if (best_d < 0)
    return -1;
  PUSH(find_attach(p, df, best_s)->link, 1);
  int c = best_s;
  while (c != best_t) {
    int nx = p->cc_next[c * nc + best_t];
    PUSH(p->cc_link[c * nc + nx], c < nx ? 1 : -1);
    c = nx;
  }
  PUSH(find_attach(p, dt, best_t)->link, -1);
  return n;
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
  int n = 0;
  double total = 0;
  for (int i = p->ph_start[e]; i < p->ph_start[e + 1] && n < NVL_MAX_STRIPES; i++)
    for (int k = p->ph_start[f]; k < p->ph_start[f + 1]; k++)
      if (p->ph[i].plane == p->ph[k].plane) {
        double w = p->ph[i].cap_Bps < p->ph[k].cap_Bps ? p->ph[i].cap_Bps : p->ph[k].cap_Bps;
        int links[64], dirs[64];
        if (nvl_platform_route(p, p->ph[i].host, p->ph[k].host, links, dirs, 64) < 0)
          continue; /* same plane but no path (disconnected within it) */
        out[n++] = (nvl_stripe){p->ph[i].host, p->ph[k].host, w};
        total += w;
      }
  for (int i = 0; i < n; i++)
    out[i].weight /= total;
  return n;
}

int nvl_platform_nvls_host(const nvl_platform *p, int dev) {
  int cls = -1;
  for (int j = p->att_start[dev]; j < p->att_start[dev + 1]; j++) {
    if (p->att[j].cls < 0)
      continue;
    if (cls >= 0 && cls != p->att[j].cls)
      return -1;
    cls = p->att[j].cls;
  }
  return cls >= 0 ? p->class_nvls_host[cls] : -1;
}

int nvl_platform_endpoint_host(const nvl_platform *p, int dev) {
  return p->ph_start[dev] < p->ph_start[dev + 1] ? p->ph[p->ph_start[dev]].host : -1;
}

/* ---------------------------------------------------------------------------------------- */
/* Emitting the platform (to SimGrid directly, or as XML)                                    */

static void emit_route(const nvl_platform *p, const nvl_platform_sink *s, void *ctx, int a, int b) {
  int links[64], dirs[64];
  int n = nvl_platform_route(p, a, b, links, dirs, 64);
  if (n > 0)
    s->route(ctx, a, b, links, dirs, n);
}

void nvl_platform_emit(const nvl_platform *p, const nvl_platform_sink *s, void *ctx) {
  for (size_t h = 0; h < p->n_hosts; h++)
    s->host(ctx, (int)h, p->host_names[h]);
  for (size_t l = 0; l < p->n_links; l++)
    s->link(ctx, (int)l, &p->links[l]);
  if (!s->route)
    return;
  size_t nd = p->d->n_devices;
  /* plane routes: every pair of hosts of one plane */
  for (size_t pl = 0; pl < p->n_planes; pl++) {
    for (size_t i = 0; i < nd; i++)
      for (int a = p->ph_start[i]; a < p->ph_start[i + 1]; a++) {
        if (p->ph[a].plane != (int)pl)
          continue;
        for (size_t j = 0; j < nd; j++)
          for (int b = p->ph_start[j]; b < p->ph_start[j + 1]; b++)
            if (i != j && p->ph[b].plane == (int)pl)
              emit_route(p, s, ctx, p->ph[a].host, p->ph[b].host);
      }
  }
  /* direct links */
  for (size_t i = 0; i < nd; i++)
    for (int j = p->att_start[i]; j < p->att_start[i + 1]; j++)
      if (p->att[j].cls < 0)
        emit_route(p, s, ctx, p->direct_host[i], p->direct_host[p->att[j].peer]);
  /* endpoint <-> in-switch reduction hosts */
  for (size_t i = 0; i < nd; i++)
    for (int j = p->att_start[i]; j < p->att_start[i + 1]; j++) {
      int c = p->att[j].cls;
      if (c < 0 || p->class_nvls_host[c] < 0 || p->att[j].nvls_link < 0)
        continue;
      for (int k = p->ph_start[i]; k < p->ph_start[i + 1]; k++)
        if (p->ph[k].plane == p->class_plane[c]) {
          emit_route(p, s, ctx, p->ph[k].host, p->class_nvls_host[c]);
          emit_route(p, s, ctx, p->class_nvls_host[c], p->ph[k].host);
        }
    }
}

typedef struct {
  const nvl_platform *p;
  FILE *out;
} xml_ctx;

static void xml_host(void *ctx, int host, const char *name) {
  (void)host;
  fprintf(((xml_ctx *)ctx)->out, "    <host id=\"%s\" speed=\"1Gf\"/>\n", name);
}

static void xml_link(void *ctx, int index, const nvl_plink *k) {
  fprintf(((xml_ctx *)ctx)->out,
          "    <link id=\"l%d\" bandwidth=\"%.17gBps\" latency=\"%.17gs\" "
          "sharing_policy=\"%s\"><prop id=\"name\" value=\"%s\"/></link>\n",
          index, k->bw_Bps, k->lat_s, k->fatpipe ? "FATPIPE" : "SPLITDUPLEX", k->name);
}

static void xml_route(void *ctx, int a, int b, const int *links, const int *dirs, int n) {
  xml_ctx *x = ctx;
  fprintf(x->out, "    <route src=\"%s\" dst=\"%s\" symmetrical=\"NO\">", x->p->host_names[a],
          x->p->host_names[b]);
  for (int i = 0; i < n; i++) {
    if (x->p->links[links[i]].fatpipe)
      fprintf(x->out, "<link_ctn id=\"l%d\"/>", links[i]);
    else
      fprintf(x->out, "<link_ctn id=\"l%d\" direction=\"%s\"/>", links[i],
              dirs[i] > 0 ? "UP" : "DOWN");
  }
  fputs("</route>\n", x->out);
}

int nvl_platform_write_xml(const nvl_platform *p, FILE *out) {
  fprintf(out,
          "<?xml version='1.0'?>\n"
          "<!DOCTYPE platform SYSTEM \"https://simgrid.org/simgrid.dtd\">\n"
          "<!-- nvlsim platform of design \"%s\": %zu switch classes, %zu planes -->\n"
          "<platform version=\"4.1\">\n  <zone id=\"nvlsim\" routing=\"Full\">\n",
          p->d->name, p->n_classes, p->n_planes);
  static const nvl_platform_sink xml = {xml_host, xml_link, xml_route};
  xml_ctx x = {p, out};
  nvl_platform_emit(p, &xml, &x);
  fputs("  </zone>\n</platform>\n", out);
  return ferror(out) ? -1 : 0;
}
