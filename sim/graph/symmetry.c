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

/* The quotient's edges and colours: groups first (0 .. n_groups-1), then switches (qv[dev]). */
static igraph_error_t quotient(const nvl_graph *g, const int *qv, igraph_vector_int_t *edges,
                               igraph_vector_int_t *cols, nvl_u64map *m) {
  const nvl_design *d = g->d;
  int *part_of = nvl_xmalloc((d->n_devices + 1) * sizeof(int));
  for (size_t i = 0; i < d->n_devices; i++)
    part_of[i] = -1;
  for (size_t i = 0; i < g->n_parts; i++)
    part_of[g->parts[i]] = (int)i;
  for (size_t gi = 0; gi < g->n_groups; gi++) {
    int dev = g->parts[g->group_first[gi]];
    IGRAPH_CHECK(igraph_vector_int_push_back(
        cols, colour(m, 1, (unsigned)d->devices[dev].type, (unsigned)g->group_size[gi], 0)));
  }
  for (size_t i = 0; i < d->n_devices; i++)
    if (nvl_device_forwards(d, (int)i)) /* switches and NICs (kind 2 and 4: types differ) */
      IGRAPH_CHECK(igraph_vector_int_push_back(
          cols, colour(m, d->devices[i].is_switch ? 2 : 4, (unsigned)d->devices[i].type, 0, 0)));
  for (size_t k = 0; k < d->n_links; k++) {
    const nvl_link *l = &d->links[k];
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
  free(part_of);
  return IGRAPH_SUCCESS;
}

igraph_error_t nvl_gr_pair_orbits(const nvl_graph *g, int *pair_orbit, size_t *n_orbits) {
  const nvl_design *d = g->d;
  size_t ng = g->n_groups;
  *n_orbits = 0;
  if (ng == 0 || ng > NVL_GR_MAX_ORBIT_GROUPS)
    return IGRAPH_SUCCESS;
  int *qv = nvl_xmalloc((d->n_devices + 1) * sizeof(int));
  igraph_integer_t nq = (igraph_integer_t)ng;
  for (size_t i = 0; i < d->n_devices; i++)
    qv[i] = nvl_device_forwards(d, (int)i) ? (int)nq++ : -1;
  nvl_u64map m = NVL_U64MAP_INIT;
  igraph_vector_int_t edges, cols;
  IGRAPH_VECTOR_INT_INIT_FINALLY(&edges, 0);
  IGRAPH_VECTOR_INT_INIT_FINALLY(&cols, 0);
  igraph_error_t rc = quotient(g, qv, &edges, &cols, &m);
  free(qv);
  nvl_u64map_release(&m);
  IGRAPH_CHECK(rc);
  igraph_t q;
  IGRAPH_CHECK(igraph_create(&q, &edges, igraph_vector_int_size(&cols), IGRAPH_UNDIRECTED));
  IGRAPH_FINALLY(igraph_destroy, &q);
  igraph_vector_int_list_t gens;
  IGRAPH_CHECK(igraph_vector_int_list_init(&gens, 0));
  IGRAPH_FINALLY(igraph_vector_int_list_destroy, &gens);
  IGRAPH_CHECK(igraph_automorphism_group(&q, &cols, &gens, IGRAPH_BLISS_FL, NULL));
  int *uf = nvl_xmalloc(ng * ng * sizeof(int));
  for (size_t i = 0; i < ng * ng; i++)
    uf[i] = (int)i;
  /* a generator fixes every pair of groups it fixes: only pairs with a moved group are joined
   * (O(moved x groups) per generator instead of O(groups^2)) */
  int *moved = nvl_xmalloc((ng + 1) * sizeof(int));
  for (igraph_integer_t k = 0; k < igraph_vector_int_list_size(&gens); k++) {
    const igraph_vector_int_t *p = igraph_vector_int_list_get_ptr(&gens, k);
    size_t nm = 0;
    for (size_t gi = 0; gi < ng; gi++)
      if (VECTOR(*p)[gi] != (igraph_integer_t)gi)
        moved[nm++] = (int)gi;
    for (size_t a = 0; a < nm; a++)
      for (size_t gj = 0; gj < ng; gj++) { /* (moved, any) and (any, moved) */
        size_t gi = (size_t)moved[a];
        uf[find(uf, (int)(gi * ng + gj))] =
            find(uf, (int)(VECTOR(*p)[gi] * (igraph_integer_t)ng + VECTOR(*p)[gj]));
        uf[find(uf, (int)(gj * ng + gi))] =
            find(uf, (int)(VECTOR(*p)[gj] * (igraph_integer_t)ng + VECTOR(*p)[gi]));
      }
  }
  free(moved);
  /* orbits numbered by their first pair in index order */
  for (size_t i = 0; i < ng * ng; i++)
    pair_orbit[i] = -1;
  for (size_t i = 0; i < ng * ng; i++) {
    int r = find(uf, (int)i);
    if (pair_orbit[r] < 0)
      pair_orbit[r] = (int)(*n_orbits)++;
    pair_orbit[i] = pair_orbit[r];
  }
  free(uf);
  igraph_vector_int_list_destroy(&gens);
  igraph_destroy(&q);
  igraph_vector_int_destroy(&cols);
  igraph_vector_int_destroy(&edges);
  IGRAPH_FINALLY_CLEAN(4);
  return IGRAPH_SUCCESS;
}
