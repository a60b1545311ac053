/*
 * symmetry: which pairs of participant groups are alike. An automorphism of the design (a
 * permutation of devices that keeps types, links and their counts) maps a pair of participants to
 * a pair with the same hops and the same number of link-disjoint paths, so the analyses need one
 * pair per orbit. The automorphism group comes from igraph's BLISS on a quotient of the device
 * graph: one vertex per participant group (twins are interchangeable, so the quotient's
 * automorphisms lift to the design's), one per switch, one per link bundle (so that bliss, which
 * colours vertices only, keeps link types and counts); vertices coloured by what they are.
 * Endpoints outside the participants are left out: they never forward, so no path between
 * participants crosses them. Orbits of ordered group pairs come from union-find over the
 * generators' action. Costs: bliss on the quotient (groups + switches + bundles among them: a few
 * thousand vertices for 10,000 GPUs in racks), then O(generators x groups^2).
 */
#include <stdlib.h>
#include <string.h>

#include "base/u64map.h"
#include "base/xalloc.h"
#include "graph/internal.h"

static int find(int *uf, int x) {
  while (uf[x] != x)
    x = uf[x] = uf[uf[x]];
  return x;
}

/* A small colour id for a (kind, a, b, c) tuple, by first appearance. */
static igraph_integer_t colour(nvl_u64map *m, unsigned kind, unsigned a, unsigned b, unsigned c) {
  uint64_t key = (uint64_t)kind << 60 | (uint64_t)(a & 0xfffff) << 40 |
                 (uint64_t)(b & 0xfffff) << 20 | (c & 0xfffff);
  return (igraph_integer_t)nvl_u64map_get_or_add(m, key, (uint32_t)m->n, NULL);
}

/* Adds a bundle vertex between quotient vertices u and v. */
static igraph_error_t bundle(igraph_vector_int_t *edges, igraph_vector_int_t *cols, nvl_u64map *m,
                             igraph_integer_t u, igraph_integer_t v, const nvl_link *l) {
  igraph_integer_t b = igraph_vector_int_size(cols);
  IGRAPH_CHECK(igraph_vector_int_push_back(cols, colour(m, 3, (unsigned)l->type, (unsigned)l->count,
                                                        (unsigned)(l->scale * 1000000 + 0.5))));
  IGRAPH_CHECK(igraph_vector_int_push_back(edges, u));
  IGRAPH_CHECK(igraph_vector_int_push_back(edges, b));
  IGRAPH_CHECK(igraph_vector_int_push_back(edges, b));
  IGRAPH_CHECK(igraph_vector_int_push_back(edges, v));
  return IGRAPH_SUCCESS;
}

/* A NIC that serves exactly one participant (over PCIe) and links to nothing but that one and
 * switches is folded into its participant: the participant's links through it become bundles of
 * their own colour straight to the switches (the twins that share such links through NICs are
 * one group, so a quotient vertex per NIC would only add generators that swap NICs). host[nic]:
 * the participant index, or -1 for a NIC kept as a vertex (and for every other device). */
static int *fold_nics(const nvl_graph *g, const int *part_of) {
  const nvl_design *d = g->d;
  int *host = nvl_xmalloc((d->n_devices + 1) * sizeof(int));
  for (size_t i = 0; i < d->n_devices; i++)
    host[i] = nvl_device_kind(d, (int)i) == NVL_KIND_NIC ? -2 : -1; /* -2: none yet */
  for (size_t k = 0; k < d->n_links; k++) {
    const nvl_link *l = &d->links[k];
    int ends[2] = {l->a, l->b};
    for (int e = 0; e < 2; e++) {
      int nic = ends[e], other = ends[1 - e];
      if (host[nic] == -1 || d->devices[other].is_switch)
        continue;
      bool one = part_of[other] >= 0 && (host[nic] == -2 || host[nic] == part_of[other]);
      host[nic] = one ? part_of[other] : -1; /* a second host, or a non-participant: kept */
    }
  }
  for (size_t i = 0; i < d->n_devices; i++)
    if (host[i] == -2)
      host[i] = -1;
  return host;
}

/* Switches with the same links (same neighbours, link types, counts and shares: a rack's NVSwitch
 * chips) are interchangeable: one quotient vertex stands for them all (its colour counts them),
 * or bliss returns a generator per transposition, each as long as the quotient. rep[sw]: the
 * first of its set (itself if alone); -1 for other devices; size[rep]: the set's size. */
typedef struct {
  int sw;
  uint64_t *sig; /* (neighbour, type, count, share) packed, sorted */
  size_t n;
} sw_sig;

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return (x > y) - (x < y);
}

static int cmp_swsig(const void *a, const void *b) {
  const sw_sig *x = a, *y = b;
  if (x->n != y->n)
    return x->n < y->n ? -1 : 1;
  int c = x->n ? memcmp(x->sig, y->sig, x->n * sizeof(uint64_t)) : 0;
  return c ? c : x->sw - y->sw;
}

static void switch_twins(const nvl_design *d, int *rep, int *size) {
  size_t nd = d->n_devices, ns = 0;
  int *slot = nvl_xmalloc((nd + 1) * sizeof(int));
  for (size_t i = 0; i < nd; i++) {
    rep[i] = -1;
    size[i] = 0;
    slot[i] = d->devices[i].is_switch ? (int)ns++ : -1;
  }
  sw_sig *s = nvl_xcalloc(ns + 1, sizeof *s);
  size_t *cap = nvl_xcalloc(ns + 1, sizeof *cap);
  for (size_t k = 0; k < d->n_links; k++) {
    const nvl_link *l = &d->links[k];
    int ends[2] = {l->a, l->b};
    for (int e = 0; e < 2; e++) {
      int x = slot[ends[e]];
      if (x < 0)
        continue;
      if (s[x].n == cap[x]) {
        cap[x] = cap[x] ? 2 * cap[x] : 8;
        s[x].sig = nvl_xrealloc(s[x].sig, cap[x] * sizeof(uint64_t));
      }
      s[x].sig[s[x].n++] = (uint64_t)ends[1 - e] << 40 | (uint64_t)(l->type & 0xff) << 32 |
                           (uint64_t)(l->count & 0xfff) << 20 |
                           (uint64_t)(l->scale * 1000000 + 0.5) % (1u << 20);
    }
  }
  for (size_t i = 0; i < nd; i++)
    if (slot[i] >= 0) {
      s[slot[i]].sw = (int)i;
      if (s[slot[i]].n)
        qsort(s[slot[i]].sig, s[slot[i]].n, sizeof(uint64_t), cmp_u64);
    }
  if (ns)
    qsort(s, ns, sizeof *s, cmp_swsig);
  for (size_t j = 0; j < ns; j++) {
    bool same = j > 0 && s[j].n == s[j - 1].n &&
                (s[j].n == 0 || memcmp(s[j].sig, s[j - 1].sig, s[j].n * sizeof(uint64_t)) == 0);
    rep[s[j].sw] = same && s[j].n > 0 ? rep[s[j - 1].sw] : s[j].sw;
    size[rep[s[j].sw]]++;
  }
  for (size_t j = 0; j < ns; j++)
    free(s[j].sig);
  free(s);
  free(cap);
  free(slot);
}

/* The quotient's edges and colours: groups first (0 .. n_groups-1), then switch sets and kept
 * NICs (qv[dev]). */
static igraph_error_t quotient(const nvl_graph *g, const int *qv, const int *part_of,
                               const int *nic_host, const int *rep, const int *size,
                               igraph_vector_int_t *edges, igraph_vector_int_t *cols,
                               nvl_u64map *m) {
  const nvl_design *d = g->d;
  for (size_t gi = 0; gi < g->n_groups; gi++) {
    int dev = g->parts[g->group_first[gi]];
    IGRAPH_CHECK(igraph_vector_int_push_back(
        cols, colour(m, 1, (unsigned)d->devices[dev].type, (unsigned)g->group_size[gi], 0)));
  }
  for (size_t i = 0; i < d->n_devices; i++)
    if (qv[i] >= 0 && (rep[i] < 0 || rep[i] == (int)i)) /* switch sets and kept NICs */
      IGRAPH_CHECK(igraph_vector_int_push_back(
          cols, colour(m, d->devices[i].is_switch ? 2 : 4, (unsigned)d->devices[i].type,
                       (unsigned)(d->devices[i].is_switch ? size[i] : 0), 0)));
  for (size_t k = 0; k < d->n_links; k++) {
    const nvl_link *l = &d->links[k];
    if ((rep[l->a] >= 0 && rep[l->a] != l->a) || (rep[l->b] >= 0 && rep[l->b] != l->b))
      continue; /* a set's links are its first member's */
    int na = nic_host[l->a], nb = nic_host[l->b];
    if (na >= 0 || nb >= 0) { /* a folded NIC: its switch links leave its host's group */
      int nic = na >= 0 ? l->a : l->b, sw = na >= 0 ? l->b : l->a, host = na >= 0 ? na : nb;
      if (!d->devices[sw].is_switch || g->group_first[g->group[host]] != host)
        continue; /* its PCIe link, or another member's (a group's links are its first's) */
      nvl_link through = *l;
      through.type += NVL_MAX_LINK_TYPES * (1 + d->devices[nic].type); /* its own colour */
      IGRAPH_CHECK(bundle(edges, cols, m, g->group[host], qv[sw], &through));
      continue;
    }
    int pa = part_of[l->a], pb = part_of[l->b];
    bool sa = nvl_device_forwards(d, l->a), sb = nvl_device_forwards(d, l->b);
    /* a group's links are its first member's; participant pairs are unique groups */
    bool ga = pa >= 0 && g->group_first[g->group[pa]] == pa,
         gb = pb >= 0 && g->group_first[g->group[pb]] == pb;
    igraph_integer_t u = sa ? qv[l->a] : g->group[pa >= 0 ? pa : 0],
                     v = sb ? qv[l->b] : g->group[pb >= 0 ? pb : 0];
    if ((sa && sb) || (sa && gb) || (ga && sb) || (pa >= 0 && pb >= 0))
      IGRAPH_CHECK(bundle(edges, cols, m, u, v, l));
  }
  return IGRAPH_SUCCESS;
}

/* The automorphism group's generators acting on the groups (those that move a group), from
 * bliss on the quotient: into g->cache once. */
static igraph_error_t group_generators(const nvl_graph *g) {
  const nvl_design *d = g->d;
  size_t ng = g->n_groups;
  int *part_of = nvl_xmalloc((d->n_devices + 1) * sizeof(int));
  for (size_t i = 0; i < d->n_devices; i++)
    part_of[i] = -1;
  for (size_t i = 0; i < g->n_parts; i++)
    part_of[g->parts[i]] = (int)i;
  int *nic_host = fold_nics(g, part_of);
  int *rep = nvl_xmalloc((d->n_devices + 1) * sizeof(int)),
      *size = nvl_xmalloc((d->n_devices + 1) * sizeof(int));
  switch_twins(d, rep, size);
  int *qv = nvl_xmalloc((d->n_devices + 1) * sizeof(int));
  igraph_integer_t nq = (igraph_integer_t)ng;
  for (size_t i = 0; i < d->n_devices; i++) /* switch sets in order of their first member */
    qv[i] = !nvl_device_forwards(d, (int)i) || nic_host[i] >= 0 ? -1
            : rep[i] >= 0 && rep[i] < (int)i                    ? qv[rep[i]]
                                                                : (int)nq++;
  nvl_u64map m = NVL_U64MAP_INIT;
  igraph_vector_int_t edges, cols;
  IGRAPH_VECTOR_INT_INIT_FINALLY(&edges, 0);
  IGRAPH_VECTOR_INT_INIT_FINALLY(&cols, 0);
  igraph_error_t rc = quotient(g, qv, part_of, nic_host, rep, size, &edges, &cols, &m);
  free(qv);
  free(part_of);
  free(nic_host);
  free(rep);
  free(size);
  nvl_u64map_release(&m);
  IGRAPH_CHECK(rc);
  igraph_t q;
  IGRAPH_CHECK(igraph_create(&q, &edges, igraph_vector_int_size(&cols), IGRAPH_UNDIRECTED));
  IGRAPH_FINALLY(igraph_destroy, &q);
  igraph_vector_int_list_t gens;
  IGRAPH_CHECK(igraph_vector_int_list_init(&gens, 0));
  IGRAPH_FINALLY(igraph_vector_int_list_destroy, &gens);
  IGRAPH_CHECK(igraph_automorphism_group(&q, &cols, &gens, IGRAPH_BLISS_FL, NULL));
  nvl_gr_cache *c = g->cache;
  igraph_integer_t ngen = igraph_vector_int_list_size(&gens);
  c->perm = nvl_xmalloc(((size_t)ngen * ng + 1) * sizeof(int));
  for (igraph_integer_t k = 0; k < ngen; k++) {
    const igraph_vector_int_t *p = igraph_vector_int_list_get_ptr(&gens, k);
    bool moves = false;
    for (size_t gi = 0; gi < ng; gi++) {
      c->perm[c->n_perm * ng + gi] = (int)VECTOR(*p)[gi];
      moves |= VECTOR(*p)[gi] != (igraph_integer_t)gi;
    }
    c->n_perm += moves;
  }
  igraph_vector_int_list_destroy(&gens);
  igraph_destroy(&q);
  igraph_vector_int_destroy(&cols);
  igraph_vector_int_destroy(&edges);
  IGRAPH_FINALLY_CLEAN(4);
  return IGRAPH_SUCCESS;
}

/* The generators on the groups (computed on first use), or NULL when the groups are too many. */
static igraph_error_t generators(const nvl_graph *g, const int **perm, size_t *n_perm) {
  *perm = NULL;
  *n_perm = 0;
  if (g->n_groups == 0 || g->n_groups > NVL_GR_MAX_ORBIT_GROUPS)
    return IGRAPH_SUCCESS;
  if (!g->cache->done) {
    IGRAPH_CHECK(group_generators(g));
    g->cache->done = true;
  }
  *perm = g->cache->perm;
  *n_perm = g->cache->n_perm;
  return IGRAPH_SUCCESS;
}

/* Orbits numbered by their first element in index order, from union-find roots. */
static size_t number_orbits(int *uf, size_t n, int *orbit) {
  size_t k = 0;
  for (size_t i = 0; i < n; i++)
    orbit[i] = -1;
  for (size_t i = 0; i < n; i++) {
    int r = find(uf, (int)i);
    if (orbit[r] < 0)
      orbit[r] = (int)k++;
    orbit[i] = orbit[r];
  }
  return k;
}

/* The generators on the groups and a union-find of n singletons to join by them; *uf NULL (and
 * nothing to do) when the groups are too many for orbits. */
static igraph_error_t orbits_start(const nvl_graph *g, size_t n, const int **perm, size_t *np,
                                   int **uf) {
  *uf = NULL;
  IGRAPH_CHECK(generators(g, perm, np));
  if (!*perm)
    return IGRAPH_SUCCESS;
  *uf = nvl_xmalloc((n + 1) * sizeof(int));
  for (size_t i = 0; i < n; i++)
    (*uf)[i] = (int)i;
  return IGRAPH_SUCCESS;
}

igraph_error_t nvl_gr_group_orbits(const nvl_graph *g, int *orbit, size_t *n_orbits) {
  size_t ng = g->n_groups, np;
  const int *perm;
  int *uf;
  *n_orbits = 0;
  IGRAPH_CHECK(orbits_start(g, ng, &perm, &np, &uf));
  if (!uf)
    return IGRAPH_SUCCESS;
  for (size_t k = 0; k < np; k++)
    for (size_t gi = 0; gi < ng; gi++)
      uf[find(uf, (int)gi)] = find(uf, perm[k * ng + gi]);
  *n_orbits = number_orbits(uf, ng, orbit);
  free(uf);
  return IGRAPH_SUCCESS;
}

igraph_error_t nvl_gr_pair_orbits(const nvl_graph *g, int *pair_orbit, size_t *n_orbits) {
  size_t ng = g->n_groups, np;
  const int *perm;
  int *uf;
  *n_orbits = 0;
  IGRAPH_CHECK(orbits_start(g, ng * ng, &perm, &np, &uf));
  if (!uf)
    return IGRAPH_SUCCESS;
  /* a generator fixes every pair of groups it fixes: only pairs with a moved group are joined
   * (O(moved x groups) per generator instead of O(groups^2)) */
  int *moved = nvl_xmalloc((ng + 1) * sizeof(int));
  for (size_t k = 0; k < np; k++) {
    const int *p = perm + k * ng;
    size_t nm = 0;
    for (size_t gi = 0; gi < ng; gi++)
      if (p[gi] != (int)gi)
        moved[nm++] = (int)gi;
    for (size_t a = 0; a < nm; a++)
      for (size_t gj = 0; gj < ng; gj++) { /* (moved, any) and (any, moved) */
        size_t gi = (size_t)moved[a];
        uf[find(uf, (int)(gi * ng + gj))] = find(uf, (int)((size_t)p[gi] * ng + (size_t)p[gj]));
        uf[find(uf, (int)(gj * ng + gi))] = find(uf, (int)((size_t)p[gj] * ng + (size_t)p[gi]));
      }
  }
  free(moved);
  *n_orbits = number_orbits(uf, ng * ng, pair_orbit);
  free(uf);
  return IGRAPH_SUCCESS;
}
