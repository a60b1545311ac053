/*
 * graph: see graph.h for the split-graph construction and costs.
 */
#include "graph/graph.h"
#include "graph/internal.h"

#include <igraph.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"

/* igraph's errors: its default handler aborts. Ours keeps the reason and frees what the failing
 * call registered with IGRAPH_FINALLY (as igraph's own "ignore" handler does); the failing call
 * then returns its error code up through IGRAPH_CHECK, and the public function that started it
 * turns the code and the reason into a diagnostic. igraph's handler takes no context argument,
 * so the reason waits in this one buffer until reported (one analysis at a time per process). */
static char igraph_reason[300];

static void on_igraph_error(const char *reason, const char *file, int line, igraph_error_t err) {
  (void)file;
  (void)line;
  if (reason && *reason)
    snprintf(igraph_reason, sizeof igraph_reason, "%s (%s)", reason, igraph_strerror(err));
  else
    snprintf(igraph_reason, sizeof igraph_reason, "%s", igraph_strerror(err));
  IGRAPH_FINALLY_FREE();
}

void nvl_gr_init_igraph(void) {
  static int done;
  if (done)
    return;
  done = 1;
  igraph_set_error_handler(on_igraph_error);
  igraph_set_warning_handler(igraph_warning_handler_ignore);
}

/* 0 for IGRAPH_SUCCESS, else -1 with "<what>: igraph: <reason>" in diags. */
int nvl_gr_report(igraph_error_t err, const char *what, nvl_diags *diags) {
  if (err == IGRAPH_SUCCESS)
    return 0;
  nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_LIMIT, NULL, "%s: igraph: %s", what,
               igraph_reason[0] ? igraph_reason : igraph_strerror(err));
  igraph_reason[0] = '\0';
  return -1;
}

/* Participants are grouped by their twin set (design/twins.c): the same switch neighbourhood,
 * hence the same hops, reachability and path diversity. A participant with a direct link to
 * another participant is a group of its own (its paths to that one differ); a direct link to a
 * non-participant (a GPU's C2C link to its CPU) leads nowhere, since endpoints never forward.
 * Groups are numbered by first member in participant order. O(V + L log L). */
static void group_participants(nvl_graph *g) {
  const nvl_design *d = g->d;
  size_t n = g->n_parts, nd = d->n_devices;
  int *twin = nvl_xmalloc((nd + 1) * sizeof(int)), *part_of = nvl_xmalloc((nd + 1) * sizeof(int));
  size_t n_twins = nvl_design_twins(d, true, twin);
  for (size_t i = 0; i < nd; i++)
    part_of[i] = -1;
  for (size_t i = 0; i < n; i++)
    part_of[g->parts[i]] = (int)i;
  bool *unique = nvl_xcalloc(n + 1, sizeof(bool));
  for (size_t k = 0; k < d->n_links; k++) {
    int a = part_of[d->links[k].a], b = part_of[d->links[k].b];
    if (a >= 0 && b >= 0)
      unique[a] = unique[b] = true;
  }
  int *group_of_twin = nvl_xmalloc((n_twins + 1) * sizeof(int));
  for (size_t t = 0; t < n_twins; t++)
    group_of_twin[t] = -1;
  g->group = nvl_xmalloc((n ? n : 1) * sizeof(int));
  g->group_first = nvl_xmalloc((n ? n : 1) * sizeof(int));
  g->group_second = nvl_xmalloc((n ? n : 1) * sizeof(int));
  g->group_size = nvl_xcalloc(n ? n : 1, sizeof(int));
  for (size_t i = 0; i < n; i++) {
    int t = twin[g->parts[i]], gi = unique[i] ? -1 : group_of_twin[t];
    if (gi < 0) {
      gi = (int)g->n_groups++;
      g->group_first[gi] = (int)i;
      g->group_second[gi] = -1;
      if (!unique[i])
        group_of_twin[t] = gi;
    } else if (g->group_second[gi] < 0) {
      g->group_second[gi] = (int)i;
    }
    g->group[i] = gi;
    g->group_size[gi]++;
  }
  free(twin);
  free(part_of);
  free(unique);
  free(group_of_twin);
}

/* Each endpoint's way out to the network: per PCIe path to a NIC (its own link, or through PCIe
 * switches), the lesser of that path and the NIC's network links. */
static void network_bw(nvl_graph *g) {
  const nvl_design *d = g->d;
  double *nic = nvl_xcalloc(d->n_devices + 1, sizeof(double));
  for (size_t k = 0; k < d->n_links; k++) {
    const nvl_link *l = &d->links[k];
    if (d->link_types[l->type].medium != NVL_MEDIUM_NETWORK)
      continue;
    if (nvl_device_kind(d, l->a) == NVL_KIND_NIC)
      nic[l->a] += nvl_link_bw(d, l);
    if (nvl_device_kind(d, l->b) == NVL_KIND_NIC)
      nic[l->b] += nvl_link_bw(d, l);
  }
  nvl_pcie_paths pp = nvl_design_pcie_paths(d);
  for (size_t i = 0; i < d->n_devices; i++)
    for (int q = pp.start[i]; q < pp.start[i + 1]; q++) {
      const nvl_pcie_path *pa = &pp.paths[q];
      g->net[i] += pa->cap_Bps < nic[pa->nic] ? pa->cap_Bps : nic[pa->nic];
    }
  nvl_pcie_paths_release(&pp);
  free(nic);
}

/* The split graph's arcs (two per link bundle) with their capacities, and the injection and C2C
 * bandwidth of every endpoint. */
static igraph_error_t build_arcs(nvl_graph *g, bool any_acc, igraph_integer_t nv) {
  const nvl_design *d = g->d;
  igraph_vector_int_t edges;
  IGRAPH_VECTOR_INT_INIT_FINALLY(&edges, 0);
  IGRAPH_CHECK(igraph_vector_int_reserve(&edges, 4 * (igraph_integer_t)d->n_links));
  IGRAPH_CHECK(igraph_vector_reserve(&g->cap_Bps, 2 * (igraph_integer_t)d->n_links));
  IGRAPH_CHECK(igraph_vector_reserve(&g->cap_links, 2 * (igraph_integer_t)d->n_links));
  for (size_t k = 0; k < d->n_links; k++) {
    const nvl_link *l = &d->links[k];
    double bw = nvl_link_bw(d, l);
    int ends[2] = {l->a, l->b};
    for (int dir = 0; dir < 2; dir++) {
      int from = ends[dir], to = ends[1 - dir];
      IGRAPH_CHECK(igraph_vector_int_push_back(&edges, g->vout[from]));
      IGRAPH_CHECK(igraph_vector_int_push_back(&edges, g->vin[to]));
      IGRAPH_CHECK(igraph_vector_push_back(&g->cap_Bps, bw));
      IGRAPH_CHECK(igraph_vector_push_back(&g->cap_links, l->count));
    }
    bool sa = nvl_device_forwards(d, l->a), sb = nvl_device_forwards(d, l->b);
    /* fabric: through a switch, or directly between participants (accelerators, or every
     * endpoint in a design without accelerators); a NIC's PCIe link is its host's way out to the
     * network, not injection into the NVLink fabric */
    bool aa = !sa && (!any_acc || nvl_kind_is_accelerator(nvl_device_kind(d, l->a)));
    bool ab = !sb && (!any_acc || nvl_kind_is_accelerator(nvl_device_kind(d, l->b)));
    bool fabric = ((sa || sb) && d->link_types[l->type].medium != NVL_MEDIUM_PCIE) || (aa && ab);
    for (int e = 0; e < 2; e++) {
      int dev = ends[e];
      if (nvl_device_forwards(d, dev))
        continue;
      if (fabric)
        g->inject[dev] += bw;
      else if (d->link_types[l->type].medium != NVL_MEDIUM_PCIE)
        g->c2c[dev] += bw;
    }
  }
  network_bw(g);
  IGRAPH_CHECK(igraph_create(&g->g, &edges, nv, IGRAPH_DIRECTED));
  igraph_vector_int_destroy(&edges);
  IGRAPH_FINALLY_CLEAN(1);
  return IGRAPH_SUCCESS;
}

nvl_graph *nvl_graph_new(const nvl_design *d, nvl_diags *diags) {
  nvl_gr_init_igraph();
  nvl_graph *g = nvl_xcalloc(1, sizeof *g);
  size_t nd = d->n_devices;
  g->d = d;
  g->vout = nvl_xmalloc((nd + 1) * sizeof(int));
  g->vin = nvl_xmalloc((nd + 1) * sizeof(int));
  g->parts = nvl_xmalloc((nd + 1) * sizeof(int));
  g->inject = nvl_xcalloc(nd + 1, sizeof(double));
  g->c2c = nvl_xcalloc(nd + 1, sizeof(double));
  g->net = nvl_xcalloc(nd + 1, sizeof(double));
  g->cache = nvl_xcalloc(1, sizeof *g->cache);
  int nv = 0;
  bool any_acc = false;
  for (size_t i = 0; i < nd; i++) {
    if (nvl_device_forwards(d, (int)i)) {
      g->vout[i] = g->vin[i] = nv++;
    } else {
      g->vout[i] = nv++;
      g->vin[i] = nv++;
      any_acc |= nvl_kind_is_accelerator(nvl_device_kind(d, (int)i));
    }
  }
  for (size_t i = 0; i < nd; i++) {
    if (nvl_device_forwards(d, (int)i))
      continue;
    if (!any_acc || nvl_kind_is_accelerator(nvl_device_kind(d, (int)i)))
      g->parts[g->n_parts++] = (int)i;
  }
  if (nvl_gr_report(igraph_vector_init(&g->cap_Bps, 0), "topology graph", diags) != 0 ||
      (g->has_cap_Bps = true,
       nvl_gr_report(igraph_vector_init(&g->cap_links, 0), "topology graph", diags) != 0) ||
      (g->has_cap_links = true,
       nvl_gr_report(build_arcs(g, any_acc, nv), "topology graph", diags) != 0)) {
    nvl_graph_free(g);
    return NULL;
  }
  g->has_graph = true;
  group_participants(g);
  return g;
}

void nvl_graph_free(nvl_graph *g) {
  if (!g)
    return;
  if (g->has_graph)
    igraph_destroy(&g->g);
  if (g->has_cap_Bps)
    igraph_vector_destroy(&g->cap_Bps);
  if (g->has_cap_links)
    igraph_vector_destroy(&g->cap_links);
  if (g->cache)
    free(g->cache->perm);
  free(g->cache);
  void *owned[] = {g->vout, g->vin,   g->parts,       g->inject,       g->c2c,
                   g->net,  g->group, g->group_first, g->group_second, g->group_size};
  for (size_t i = 0; i < sizeof owned / sizeof owned[0]; i++)
    free(owned[i]);
  free(g);
}

bool nvl_graph_has_accelerators(const nvl_graph *g) {
  for (size_t i = 0; i < g->n_parts; i++)
    if (nvl_kind_is_accelerator(nvl_device_kind(g->d, g->parts[i])))
      return true;
  return false;
}

const int *nvl_graph_participants(const nvl_graph *g, size_t *n) {
  *n = g->n_parts;
  return g->parts;
}

double nvl_graph_injection_Bps(const nvl_graph *g, int dev) { return g->inject[dev]; }
double nvl_graph_c2c_Bps(const nvl_graph *g, int dev) { return g->c2c[dev]; }
double nvl_graph_network_Bps(const nvl_graph *g, int dev) { return g->net[dev]; }

size_t nvl_graph_domains(const nvl_graph *g, size_t *fewest, size_t *most) {
  const nvl_design *d = g->d;
  size_t nd = d->n_devices, n = 0;
  int *uf = nvl_xmalloc((nd + 1) * sizeof(int));
  size_t *size = nvl_xcalloc(nd + 1, sizeof(size_t));
  nvl_design_nvlink_domains(d, uf);
  for (size_t i = 0; i < g->n_parts; i++)
    if (size[uf[g->parts[i]]]++ == 0)
      n++;
  *fewest = 0;
  *most = 0;
  for (size_t i = 0; i < nd; i++)
    if (size[i] > 0) {
      *fewest = *fewest == 0 || size[i] < *fewest ? size[i] : *fewest;
      *most = size[i] > *most ? size[i] : *most;
    }
  free(uf);
  free(size);
  return n;
}

/* Arc weights that count switches: entering a NIC or a PCIe switch costs nothing (a path through
 * the network crosses its two NICs and the PCIe switches before them, which are not switch hops
 * of the fabric), entering anything else one. NULL-free: a design without NICs gets all ones. */
static igraph_error_t hop_weights(const nvl_graph *g, igraph_vector_t *w) {
  const nvl_design *d = g->d;
  igraph_integer_t nv = igraph_vcount(&g->g), ne = igraph_ecount(&g->g);
  bool *nic = nvl_xcalloc((size_t)nv + 1, sizeof(bool));
  for (size_t i = 0; i < d->n_devices; i++)
    if (nvl_device_kind(d, (int)i) == NVL_KIND_NIC || nvl_device_is_pcie_switch(d, (int)i))
      nic[g->vin[i]] = true;
  igraph_error_t rc = igraph_vector_resize(w, ne);
  for (igraph_integer_t e = 0; e < ne && rc == IGRAPH_SUCCESS; e++)
    VECTOR(*w)[e] = nic[IGRAPH_TO(&g->g, e)] ? 0.0 : 1.0;
  free(nic);
  return rc;
}

static igraph_error_t hops(const nvl_graph *g, nvl_hops *out) {
  size_t ng = g->n_groups;
  igraph_vector_t w;
  IGRAPH_VECTOR_INIT_FINALLY(&w, 0);
  IGRAPH_CHECK(hop_weights(g, &w));
  /* targets: the first member of every group, and the second member of the source's group */
  igraph_vector_int_t to_v;
  IGRAPH_VECTOR_INT_INIT_FINALLY(&to_v, (igraph_integer_t)ng + 1);
  for (size_t h = 0; h < ng; h++)
    VECTOR(to_v)[h] = g->vin[g->parts[g->group_first[h]]];
  igraph_matrix_t res;
  IGRAPH_MATRIX_INIT_FINALLY(&res, 1, (igraph_integer_t)ng + 1);
  /* one search per orbit of groups (an automorphism keeps distances and group sizes, so every
   * group of an orbit sees what its first sees), else per group: O(orbits (V + E)) */
  int *orbit = nvl_xmalloc((ng + 1) * sizeof(int));
  IGRAPH_FINALLY(free, orbit);
  size_t *members = nvl_xcalloc(ng + 1, sizeof(size_t));
  IGRAPH_FINALLY(free, members);
  bool *seen = nvl_xcalloc(ng + 1, sizeof(bool));
  IGRAPH_FINALLY(free, seen);
  size_t n_orbits = 0;
  IGRAPH_CHECK(nvl_gr_group_orbits(g, orbit, &n_orbits));
  for (size_t gi = 0; gi < ng; gi++)
    members[n_orbits ? (size_t)orbit[gi] : gi]++;
  for (size_t gi = 0; gi < ng; gi++) {
    size_t o = n_orbits ? (size_t)orbit[gi] : gi;
    if (seen[o])
      continue;
    seen[o] = true;
    int src = g->parts[g->group_first[gi]];
    int second = g->group_second[gi];
    /* igraph wants distinct targets: the second member only when the group has one */
    IGRAPH_CHECK(igraph_vector_int_resize(&to_v, (igraph_integer_t)(second >= 0 ? ng + 1 : ng)));
    if (second >= 0)
      VECTOR(to_v)[ng] = g->vin[g->parts[second]];
    IGRAPH_CHECK(igraph_distances_dijkstra(&g->g, &res, igraph_vss_1(g->vout[src]),
                                           igraph_vss_vector(&to_v), &w, IGRAPH_OUT));
    for (size_t h = 0; h <= ng; h++) {
      bool intra = h == ng;
      if ((intra && second < 0) || (!intra && h == gi))
        continue;
      size_t pairs = members[o] * (intra ? (size_t)g->group_size[gi] * (g->group_size[gi] - 1)
                                         : (size_t)g->group_size[gi] * g->group_size[h]);
      double dist = MATRIX(res, 0, h);
      if (!isfinite(dist)) {
        if (out->unreachable == 0) {
          out->first_a = src;
          out->first_b = g->parts[intra ? second : g->group_first[h]];
        }
        out->unreachable += pairs;
        continue;
      }
      if ((int)dist - 1 > out->max_switch_hops)
        out->max_switch_hops = (int)dist - 1;
    }
  }
  free(seen);
  free(members);
  free(orbit);
  igraph_matrix_destroy(&res);
  igraph_vector_int_destroy(&to_v);
  igraph_vector_destroy(&w);
  IGRAPH_FINALLY_CLEAN(6);
  return IGRAPH_SUCCESS;
}

int nvl_graph_hops(const nvl_graph *g, nvl_hops *out, nvl_diags *diags) {
  out->max_switch_hops = -1;
  out->unreachable = 0;
  out->first_a = out->first_b = -1;
  if (g->n_parts < 2)
    return 0;
  return nvl_gr_report(hops(g, out), "switch hops", diags);
}

/* Max flow from the out-vertices of `src` devices to the in-vertices of `dst` devices with the
 * given arc capacities, through a super source and sink (on a copy of the graph). */
static igraph_error_t maxflow_sets(const nvl_graph *g, const int *src, size_t ns, const int *dst,
                                   size_t nt, const igraph_vector_t *cap, double *value) {
  igraph_t h;
  IGRAPH_CHECK(igraph_copy(&h, &g->g));
  IGRAPH_FINALLY(igraph_destroy, &h);
  igraph_integer_t nv = igraph_vcount(&h);
  igraph_integer_t s = nv, t = nv + 1;
  IGRAPH_CHECK(igraph_add_vertices(&h, 2, NULL));
  igraph_vector_int_t extra;
  IGRAPH_VECTOR_INT_INIT_FINALLY(&extra, 0);
  igraph_vector_t c;
  IGRAPH_CHECK(igraph_vector_init_copy(&c, cap));
  IGRAPH_FINALLY(igraph_vector_destroy, &c);
  double big = 1e30;
  for (size_t i = 0; i < ns; i++) {
    IGRAPH_CHECK(igraph_vector_int_push_back(&extra, s));
    IGRAPH_CHECK(igraph_vector_int_push_back(&extra, g->vout[src[i]]));
    IGRAPH_CHECK(igraph_vector_push_back(&c, big));
  }
  for (size_t i = 0; i < nt; i++) {
    IGRAPH_CHECK(igraph_vector_int_push_back(&extra, g->vin[dst[i]]));
    IGRAPH_CHECK(igraph_vector_int_push_back(&extra, t));
    IGRAPH_CHECK(igraph_vector_push_back(&c, big));
  }
  IGRAPH_CHECK(igraph_add_edges(&h, &extra, NULL));
  igraph_real_t v = 0;
  IGRAPH_CHECK(igraph_maxflow_value(&h, &v, s, t, &c, NULL));
  *value = v;
  igraph_vector_destroy(&c);
  igraph_vector_int_destroy(&extra);
  igraph_destroy(&h);
  IGRAPH_FINALLY_CLEAN(3);
  return IGRAPH_SUCCESS;
}

int nvl_graph_bisection(const nvl_graph *g, nvl_bisection *out, nvl_diags *diags) {
  memset(out, 0, sizeof *out);
  size_t n = g->n_parts;
  if (n < 2)
    return -1;
  size_t na = n / 2;
  out->n_a = na;
  out->n_b = n - na;
  out->a_first = g->parts[0];
  out->a_last = g->parts[na - 1];
  out->b_first = g->parts[na];
  out->b_last = g->parts[n - 1];
  return nvl_gr_report(
      maxflow_sets(g, g->parts, na, g->parts + na, n - na, &g->cap_Bps, &out->bw_Bps), "bisection",
      diags);
}

/* Link-disjoint paths from participant a to participant b: a unit-capacity max flow, or 0
 * without one when they lie in different components. */
static igraph_error_t paths_between(const nvl_graph *g, const igraph_vector_int_t *comp, int a,
                                    int b, int *paths) {
  if (VECTOR(*comp)[g->vout[a]] != VECTOR(*comp)[g->vin[b]]) {
    *paths = 0;
    return IGRAPH_SUCCESS;
  }
  igraph_real_t v = 0;
  IGRAPH_CHECK(igraph_maxflow_value(&g->g, &v, g->vout[a], g->vin[b], &g->cap_links, NULL));
  *paths = (int)lround(v);
  return IGRAPH_SUCCESS;
}

/* One flow per orbit of ordered group pairs (symmetry.c), or, where the groups are too many for
 * the orbits, per group pair (within a group of two or more: its first two members), at most
 * 4096 of them sampled evenly. */
static igraph_error_t diversity(const nvl_graph *g, nvl_diversity *out) {
  size_t ng = g->n_groups, n_orbits = 0;
  int *orbit = nvl_xmalloc((ng * ng + 1) * sizeof(int));
  bool *done = NULL;
  igraph_vector_int_t comp;
  IGRAPH_VECTOR_INT_INIT_FINALLY(&comp, 0);
  IGRAPH_CHECK(igraph_connected_components(&g->g, &comp, NULL, NULL, IGRAPH_WEAK));
  igraph_error_t rc = nvl_gr_pair_orbits(g, orbit, &n_orbits);
  size_t total = ng * ng, step = n_orbits || total <= 4096 ? 1 : (total + 4095) / 4096;
  out->sampled = step > 1;
  done = nvl_xcalloc((n_orbits ? n_orbits : 1), sizeof(bool));
  for (size_t k = 0; k < total && rc == IGRAPH_SUCCESS; k += step) {
    size_t gi = k / ng, gj = k % ng;
    int a = g->parts[g->group_first[gi]], b, paths;
    if (gi == gj && g->group_second[gi] < 0)
      continue;
    if (n_orbits && done[orbit[k]])
      continue;
    b = g->parts[gi == gj ? g->group_second[gi] : g->group_first[gj]];
    rc = paths_between(g, &comp, a, b, &paths);
    if (n_orbits)
      done[orbit[k]] = true;
    out->pairs++;
    if (rc == IGRAPH_SUCCESS && (out->min_paths < 0 || paths < out->min_paths)) {
      out->min_paths = paths;
      out->a = a;
      out->b = b;
    }
  }
  free(orbit);
  free(done);
  igraph_vector_int_destroy(&comp);
  IGRAPH_FINALLY_CLEAN(1);
  return rc;
}

int nvl_graph_path_diversity(const nvl_graph *g, nvl_diversity *out, nvl_diags *diags) {
  memset(out, 0, sizeof *out);
  out->min_paths = -1;
  out->a = out->b = -1;
  if (g->n_parts < 2)
    return 0;
  return nvl_gr_report(diversity(g, out), "path diversity", diags);
}

/* The device graph with its attributes, written by igraph. */
static igraph_error_t export_graph(const nvl_design *d, bool dot, FILE *out) {
  igraph_vector_int_t edges;
  IGRAPH_VECTOR_INT_INIT_FINALLY(&edges, (igraph_integer_t)(2 * d->n_links));
  for (size_t k = 0; k < d->n_links; k++) {
    VECTOR(edges)[2 * k] = d->links[k].a;
    VECTOR(edges)[2 * k + 1] = d->links[k].b;
  }
  igraph_t g;
  IGRAPH_CHECK(igraph_create(&g, &edges, (igraph_integer_t)d->n_devices, IGRAPH_UNDIRECTED));
  IGRAPH_FINALLY(igraph_destroy, &g);
  IGRAPH_CHECK(SETGAS(&g, "name", d->name));
  for (size_t i = 0; i < d->n_devices; i++) {
    IGRAPH_CHECK(SETVAS(&g, "name", (igraph_integer_t)i, d->devices[i].name));
    IGRAPH_CHECK(
        SETVAS(&g, "kind", (igraph_integer_t)i, nvl_kind_name(nvl_device_kind(d, (int)i))));
    IGRAPH_CHECK(SETVAS(&g, "type", (igraph_integer_t)i, nvl_device_type_name(d, (int)i)));
    if (dot)
      IGRAPH_CHECK(SETVAS(&g, "label", (igraph_integer_t)i, d->devices[i].name));
  }
  for (size_t k = 0; k < d->n_links; k++) {
    const nvl_link *l = &d->links[k];
    IGRAPH_CHECK(SETEAS(&g, "link_type", (igraph_integer_t)k, d->link_types[l->type].name));
    IGRAPH_CHECK(SETEAN(&g, "links", (igraph_integer_t)k, l->count));
    IGRAPH_CHECK(SETEAN(&g, "bandwidth_GBps", (igraph_integer_t)k, nvl_link_bw(d, l) / 1e9));
  }
  IGRAPH_CHECK(dot ? igraph_write_graph_dot(&g, out) : igraph_write_graph_graphml(&g, out, false));
  igraph_destroy(&g);
  igraph_vector_int_destroy(&edges);
  IGRAPH_FINALLY_CLEAN(2);
  return IGRAPH_SUCCESS;
}

int nvl_graph_export(const nvl_design *d, const char *format, FILE *out, nvl_diags *diags) {
  nvl_gr_init_igraph();
  bool dot = strcmp(format, "dot") == 0, graphml = strcmp(format, "graphml") == 0;
  if (!dot && !graphml) {
    nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_LIMIT, NULL,
                 "unknown graph format \"%s\"; use dot or graphml", format);
    return -1;
  }
  igraph_set_attribute_table(&igraph_cattribute_table);
  int rc = nvl_gr_report(export_graph(d, dot, out), "export", diags);
  igraph_set_attribute_table(NULL);
  if (rc == 0 && ferror(out)) {
    nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_IO, NULL, "export: write error");
    rc = -1;
  }
  return rc;
}
