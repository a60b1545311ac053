/*
 * comm: see comm.h.
 */
#include "workload/comm.h"

#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"
#include "platform/rings.h"

bool nvl_coll_is_ring(nvl_coll c) {
  return c == NVL_COLL_ALL_REDUCE || c == NVL_COLL_REDUCE_SCATTER || c == NVL_COLL_ALL_GATHER;
}

/* Per-direction fabric bandwidth of an endpoint type (NVLink links, not C2C), NCCL's view of it,
 * and the NVLink generation carrying most of it. */
static void fabric_of(const nvl_calibration *c, const nvl_design *d, int dev, double *bw, int *gen,
                      double *nccl_Bps) {
  const nvl_endpoint_type *t = &d->endpoint_types[d->devices[dev].type];
  double best = 0;
  *bw = 0;
  *gen = 0;
  *nccl_Bps = 0;
  for (size_t lt = 0; lt < d->n_link_types; lt++) {
    const nvl_link_type *l = &d->link_types[lt];
    double b = t->ports[lt] * l->bw_Bps;
    if (b <= 0 || l->generation < 1)
      continue;
    *bw += b;
    *nccl_Bps += t->ports[lt] * nvl_calibration_gen(c, l->generation)->nccl_link_Bps;
    if (b > best)
      best = b, *gen = l->generation;
  }
  if (*nccl_Bps <= 0) /* no NVLink ports: NCCL's share of line rate, as for NVLink */
    *nccl_Bps = 0.8 * *bw;
  if (*bw <= 0) { /* no NVLink ports (a CPU on C2C): use whatever it has */
    for (size_t lt = 0; lt < d->n_link_types; lt++)
      *bw += t->ports[lt] * d->link_types[lt].bw_Bps;
    *nccl_Bps = 0.8 * *bw;
  }
}

int nvl_workload_nvls_host(const nvl_platform *p, const int *devs, int n) {
  int host = -1;
  for (int i = 0; i < n; i++) {
    int h = nvl_platform_nvls_host(p, devs[i]);
    if (h < 0 || (host >= 0 && h != host))
      return -1;
    host = h;
  }
  return host;
}

/* The smallest m < n that shifts the ranks onto themselves (nvl_platform_shift), or 0. */
static int shift_period(const nvl_platform *p, const int *devs, int n) {
  for (int m = 1; m <= n / 2; m++)
    if (n % m == 0 && nvl_platform_shift(p, devs, n, m, NULL))
      return m;
  return 0;
}

/* The network as NCCL sees it from the ranks devs[0 .. n-1] of one node: the NICs they have a
 * PCIe path to (a link of their own, or through PCIe switches), the fastest NIC's line rate
 * (its network links, no efficiency), and whether the first rank's host CPU is Arm (a CPU on a
 * C2C link: Grace over NVLink-C2C). */
static void node_nics(const nvl_calibration *cal, const nvl_design *d, const int *devs, int n,
                      nvl_tuner_comm *tc) {
  int *nics = &tc->nics;
  double *nic_Bps = &tc->nic_Bps;
  bool *seen = nvl_xcalloc(d->n_devices + 1, sizeof(bool));
  double *rate = nvl_xcalloc(d->n_devices + 1, sizeof(double));
  for (size_t k = 0; k < d->n_links; k++) {
    const nvl_link *l = &d->links[k];
    const nvl_link_type *t = &d->link_types[l->type];
    int ends[2] = {l->a, l->b};
    for (int e = 0; e < 2; e++) {
      if (nvl_device_kind(d, ends[e]) == NVL_KIND_NIC && t->medium == NVL_MEDIUM_NETWORK)
        rate[ends[e]] += l->count * t->bw_Bps * l->scale;
      if (n > 0 && ends[e] == devs[0] && t->medium == NVL_MEDIUM_C2C &&
          nvl_device_kind(d, ends[1 - e]) == NVL_KIND_CPU)
        tc->arm = true;
    }
  }
  *nics = 0;
  *nic_Bps = 0;
  nvl_pcie_paths pp = nvl_design_pcie_paths(d);
  if (n > 0 && pp.start[devs[0] + 1] > pp.start[devs[0]]) /* NCCL's view of the PCIe path */
    tc->pcie_GBps = nvl_calibration_pcie_rating(cal, pp.paths[pp.start[devs[0]]].cap_Bps / 1e9);
  for (int r = 0; r < n; r++)
    for (int q = pp.start[devs[r]]; q < pp.start[devs[r] + 1]; q++) {
      int nic = pp.paths[q].nic;
      if (!seen[nic] && rate[nic] > 0) {
        seen[nic] = true;
        (*nics)++;
        *nic_Bps = rate[nic] > *nic_Bps ? rate[nic] : *nic_Bps;
      }
    }
  nvl_pcie_paths_release(&pp);
  free(seen);
  free(rate);
}

int nvl_workload_nodes(const nvl_platform *p, const int *devs, int n, int *node) {
  int nodes = 0;
  int *key = nvl_xmalloc(((size_t)n + 1) * sizeof(int));
  for (int r = 0; r < n; r++) {
    int dom = nvl_platform_domain(p, devs[r]), k = 0;
    while (k < nodes && !(dom >= 0 && key[k] == dom))
      k++;
    if (k == nodes)
      key[nodes++] = dom;
    if (node)
      node[r] = k;
  }
  free(key);
  return nodes;
}

/* Each node's reduction host (-1 where its ranks do not share one, or are 4 or fewer) into
 * hosts[nodes]; returns whether every node has one and as many ranks. */
static bool node_hosts(const nvl_platform *p, const int *devs, int n, const int *node, int nodes,
                       int *hosts) {
  int *members = nvl_xmalloc(((size_t)n + 1) * sizeof(int));
  bool all = true;
  for (int k = 0; k < nodes; k++) {
    int m = 0;
    for (int r = 0; r < n; r++)
      if (node[r] == k)
        members[m++] = devs[r];
    hosts[k] = m > 4 ? nvl_workload_nvls_host(p, members, m) : -1;
    all &= hosts[k] >= 0 && m * nodes == n;
  }
  free(members);
  return all;
}

bool nvl_workload_nvlstree_ok(const nvl_platform *p, const int *devs, int n) {
  int *node = nvl_xmalloc(((size_t)n + 1) * sizeof(int));
  int nodes = nvl_workload_nodes(p, devs, n, node);
  int *hosts = nvl_xmalloc(((size_t)nodes + 1) * sizeof(int));
  bool ok = nodes > 1 && node_hosts(p, devs, n, node, nodes, hosts);
  free(node);
  free(hosts);
  return ok;
}

/* NCCL's nodes (nvl_workload_nodes); each node's reduction host; what NCCL sees of node 0's
 * network; the route latency from rank 0 to the first rank of another node. */
static void find_nodes(nvl_comm *c, const nvl_calibration *cal, const nvl_job *j,
                       const nvl_design *d, const nvl_platform *p) {
  int n = j->n;
  int *node = nvl_xmalloc(((size_t)n + 1) * sizeof(int));
  int nodes = nvl_workload_nodes(p, j->devs, n, node);
  c->tc.nodes = nodes;
  c->tc.ppn = n / nodes;
  if (nodes < 2) {
    free(node);
    return;
  }
  c->node_of = node;
  c->node_nvls_host = nvl_xmalloc((size_t)nodes * sizeof(int));
  c->tc.nvls_tree = node_hosts(p, j->devs, n, node, nodes, c->node_nvls_host);
  int *members = nvl_xmalloc(((size_t)n + 1) * sizeof(int)), m = 0;
  for (int r = 0; r < n; r++)
    if (node[r] == 0)
      members[m++] = j->devs[r];
  node_nics(cal, d, members, m, &c->tc);
  free(members);
  nvl_stripe st[NVL_MAX_STRIPES];
  for (int r = 1; r < n; r++)
    if (node[r] != node[0]) {
      if (nvl_platform_stripes(p, j->devs[0], j->devs[r], st) > 0)
        c->net_hop_s = nvl_platform_route_latency(p, st[0].from_host, st[0].to_host);
      break;
    }
}

/* Whether every transfer between nodes NVLSTree makes (each rank's tree parent, both trees, both
 * ways) routes onto its images' under the rail map. */
static bool rails_follow(const nvl_platform *p, const int *devs, int n, int N, const int *map) {
  for (int i = 0; i < n; i++) /* i = q N + k: place q of node k */
    for (int t = 0; t < 2; t++) {
      int par = nvl_dtree_parent(t, i % N, N), base = i - i % N;
      if (par >= 0 && !(nvl_platform_shift_pair(p, devs, n, N, map, i, base + par) &&
                        nvl_platform_shift_pair(p, devs, n, N, map, base + par, i)))
        return false;
    }
  return true;
}

/* Whether rail 0's links are its own (n / N images each): up its trees, to its switches. */
static bool rails_own(const nvl_comm *c, const nvl_platform *p, const int *devs, int n, int N,
                      const int *map) {
  nvl_stripe st[NVL_MAX_STRIPES];
  for (int k = 0; k < N; k++) {
    int h = nvl_platform_endpoint_host(p, devs[k]);
    if (h < 0 || !nvl_platform_shift_own_links(p, n, N, map, h, c->node_nvls_host[k]) ||
        !nvl_platform_shift_own_links(p, n, N, map, c->node_nvls_host[k], h))
      return false;
    for (int t = 0; t < 2; t++) {
      int par = nvl_dtree_parent(t, k, N);
      for (int dir = 0; par >= 0 && dir < 2; dir++) {
        int ns = nvl_platform_stripes(p, devs[dir ? par : k], devs[dir ? k : par], st);
        for (int s = 0; s < ns; s++)
          if (!nvl_platform_shift_own_links(p, n, N, map, st[s].from_host, st[s].to_host))
            return false;
      }
    }
  }
  return true;
}

/* Whether NVLSTree's rail of place 0 stands for every rail: moving each rank to the next place of
 * its node is a symmetry (nvl_platform_shift_hosts on the ranks in rail-major order, by one
 * rail) and every transfer between nodes the program makes routes onto its images'. Where rail
 * 0's links are its own, mode.rails (a shifted program); where rails share links (a rack's NICs
 * on one leaf: its uplinks carry every rail), mode.rails_weighted: rail 0 runs over canonical
 * links, each transfer counting once per rail on a link they share (rail_canon, rail_weight, as a
 * fold's). Sets the rail_* arrays if either. Costs O(ranks x route length + link directions). */
static void find_rails(nvl_comm *c, const nvl_job *j, const nvl_platform *p) {
  int n = j->n, N = c->tc.nodes, g = n / N;
  if (N < 2 || g < 2 || n % N != 0)
    return;
  int *rank = nvl_xmalloc((size_t)n * sizeof(int)), *fill = nvl_xcalloc((size_t)N, sizeof(int));
  for (int r = 0; r < n; r++) {
    int k = c->node_of[r];
    rank[fill[k]++ * N + k] = r;
  }
  free(fill);
  int *devs = nvl_xmalloc((size_t)n * sizeof(int));
  for (int i = 0; i < n; i++)
    devs[i] = j->devs[rank[i]];
  size_t nl = 2 * nvl_platform_link_count(p);
  int *map = nvl_xmalloc((nl + 1) * sizeof(int));
  if (nvl_platform_shift_hosts(p, devs, n, N, map) && rails_follow(p, devs, n, N, map)) {
    if (rails_own(c, p, devs, n, N, map)) {
      c->mode.rails = true;
    } else {
      c->rail_canon = nvl_xmalloc((nl + 1) * sizeof(int));
      c->rail_weight = nvl_xmalloc((nl + 1) * sizeof(double));
      c->mode.rails_weighted = nvl_platform_link_orbits(map, nl, g, c->rail_canon, c->rail_weight);
    }
  }
  free(map);
  if (!c->mode.rails && !c->mode.rails_weighted) {
    free(rank);
    free(devs);
    return;
  }
  c->rail_rank = rank;
  c->rail_devs = devs;
  c->rail_node_of = nvl_xmalloc((size_t)n * sizeof(int));
  for (int i = 0; i < n; i++)
    c->rail_node_of[i] = i % N;
  if (c->overhead_s) {
    c->rail_overhead_s = nvl_xmalloc((size_t)n * sizeof(double));
    for (int i = 0; i < n; i++)
      c->rail_overhead_s[i] = c->overhead_s[rank[i]];
  }
}

void nvl_comm_init(nvl_comm *c, const nvl_calibration *cal, const nvl_job *j, const nvl_design *d,
                   const nvl_platform *p, const nvl_workload_spec *spec) {
  nvl_model model = spec->model;
  bool explicit_ranks = spec->explicit_ranks;
  memset(c, 0, sizeof *c);
  c->mode.alike = !explicit_ranks && nvl_platform_alike(p, j->devs, j->n);
  if (!explicit_ranks && !c->mode.alike && j->pattern == NVL_PAT_NONE &&
      (nvl_coll_is_ring(j->coll) || j->coll == NVL_COLL_ALLTOALL || j->coll == NVL_COLL_SENDRECV))
    c->mode.period = shift_period(p, j->devs, j->n);
  /* the slowest member sets the pipeline and NCCL's view of the links, as NCCL's graph search
   * sets a ring's speed by its slowest GPU (a ring of unlike members runs at their pace) */
  fabric_of(cal, d, j->devs[0], &c->bw_Bps, &c->generation, &c->tc.nvlink_Bps);
  for (int r = 1; r < j->n; r++) {
    if (d->devices[j->devs[r]].type == d->devices[j->devs[r - 1]].type)
      continue;
    double bw, nccl;
    int gen;
    fabric_of(cal, d, j->devs[r], &bw, &gen, &nccl);
    if (bw < c->bw_Bps)
      c->bw_Bps = bw, c->generation = gen, c->tc.nvlink_Bps = nccl;
  }
  c->tc.n = j->n;
  c->tc.generation = c->generation;
  c->nvls_host = nvl_workload_nvls_host(p, j->devs, j->n);
  c->tc.nvls = c->nvls_host >= 0;
  find_nodes(c, cal, j, d, p);
  nvl_stripe st[NVL_MAX_STRIPES];
  if (j->n >= 2 && nvl_platform_stripes(p, j->devs[0], j->devs[1], st) > 0)
    c->hop_s = nvl_platform_route_latency(p, st[0].from_host, st[0].to_host);
  /* ring orders: one search per job, whatever the size (it depends on the fabric only) */
  if (j->pattern == NVL_PAT_NONE && nvl_coll_is_ring(j->coll) && j->n >= 3) {
    int channels = nvl_tuner_ring_channels(cal, &c->tc);
    c->rings = nvl_xmalloc((size_t)channels * (size_t)j->n * sizeof(int));
    c->n_rings = nvl_rings_find(p, j->devs, j->n, channels, c->rings);
  }
  if (model != NVL_MODEL_IDEAL) {
    c->overhead_s = nvl_xcalloc((size_t)j->n, sizeof(double));
    for (int r = 0; r < j->n; r++)
      c->overhead_s[r] = d->endpoint_types[d->devices[j->devs[r]].type].op_overhead_s;
  }
  if (!explicit_ranks && c->tc.nvls_tree && j->pattern == NVL_PAT_NONE &&
      j->coll == NVL_COLL_ALL_REDUCE)
    find_rails(c, j, p);
  if (spec->collnet && nvl_comm_even_nodes(c->node_of, j->n, c->tc.nodes))
    c->tc.collnet = nvl_comm_sharp_trees(p, j->devs, j->n, c->node_of, c->tc.nodes, &c->sharp_leaf,
                                         &c->sharp_host, &c->sharp_parent, &c->sharp_engines);
  c->tc.sharp = c->tc.collnet && c->tc.nvls_tree;
}

bool nvl_comm_even_nodes(const int *node_of, int n, int nodes) {
  if (!node_of || nodes < 2 || n % nodes != 0)
    return false;
  int *count = nvl_xcalloc((size_t)nodes, sizeof(int));
  bool ok = true;
  for (int r = 0; r < n && ok; r++)
    ok = node_of[r] >= 0 && node_of[r] < nodes && ++count[node_of[r]] <= n / nodes;
  free(count);
  return ok;
}

bool nvl_comm_sharp_trees(const nvl_platform *p, const int *devs, int n, const int *node_of,
                          int nodes, int **leaf, int **host, int **parent, int *engines) {
  int g = n / nodes, max = 4 * n + 64, m = 0;
  *leaf = nvl_xmalloc((size_t)n * sizeof(int));
  *host = nvl_xmalloc((size_t)max * sizeof(int));
  *parent = nvl_xmalloc((size_t)max * sizeof(int));
  int *place = nvl_xcalloc((size_t)nodes, sizeof(int)),
      *heads = nvl_xmalloc((size_t)n * sizeof(int));
  int *rank = nvl_xmalloc((size_t)n * sizeof(int)), *lf = nvl_xmalloc((size_t)nodes * sizeof(int));
  for (int r = 0; r < n; r++) /* rank[q * nodes + k]: place q of node k */
    rank[place[node_of[r]]++ * nodes + node_of[r]] = r;
  bool ok = true;
  for (int q = 0; q < g && ok; q++) { /* a tree per place: its heads' NICs' hosts */
    for (int k = 0; k < nodes && ok; k++) {
      heads[k] = nvl_platform_network_host(p, devs[rank[q * nodes + k]]);
      ok = heads[k] >= 0;
    }
    int e = ok ? nvl_platform_sharp_tree(p, heads, nodes, lf, *host + m, *parent + m, max - m) : -1;
    ok = e > 0;
    for (int i = 0; ok && i < e; i++)
      (*parent)[m + i] += (*parent)[m + i] >= 0 ? m : 0;
    for (int k = 0; ok && k < nodes; k++)
      (*leaf)[rank[q * nodes + k]] = m + lf[k];
    m += ok ? e : 0;
  }
  void *owned[] = {place, heads, rank, lf};
  for (size_t i = 0; i < sizeof owned / sizeof owned[0]; i++)
    free(owned[i]);
  *engines = ok ? m : 0;
  if (!ok) {
    free(*leaf), free(*host), free(*parent);
    *leaf = *host = *parent = NULL;
  }
  return ok;
}

void nvl_comm_release(nvl_comm *c) {
  free(c->rail_canon);
  free(c->sharp_leaf);
  free(c->sharp_host);
  free(c->sharp_parent);
  free(c->rail_weight);
  free(c->rail_rank);
  free(c->rail_devs);
  free(c->rail_node_of);
  free(c->rail_overhead_s);
  free(c->rings);
  free(c->overhead_s);
  free(c->node_of);
  free(c->node_nvls_host);
  memset(c, 0, sizeof *c);
}
