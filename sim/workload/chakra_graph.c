/*
 * chakra_graph: a loaded trace as a workload graph (see chakra.h). Nodes become units (one per
 * node, except a collective's nodes, one unit per process group and turn); units are ordered
 * by their dependencies (Kahn's algorithm, in order of first appearance, so the same trace gives
 * the same graph) and become operations (chakra_emit.c). Costs: O(nodes + dependencies) plus a sort
 * of the sends and receives.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/u64map.h"
#include "base/xalloc.h"
#include "workload/chakra_internal.h"

void nvl_ct_fail(builder *b, int npu, size_t k, const char *what) {
  nvl_diag_add(b->diags, NVL_SEV_ERROR, NVL_DIAG_TRACE, NULL, "%s: node %" PRIu64 ": %s",
               b->c->npus[npu].file, nvl_ct_node_at(b, npu, k)->id, what);
}

static size_t new_unit(builder *b, unit u) {
  if (b->n_units == b->cap_units) {
    b->cap_units = b->cap_units ? 2 * b->cap_units : 256;
    b->units = nvl_xrealloc(b->units, b->cap_units * sizeof *b->units);
  }
  b->units[b->n_units] = u;
  return b->n_units++;
}

static void add_edge(builder *b, size_t u, size_t on) {
  if (b->n_edges == b->cap_edges) {
    b->cap_edges = b->cap_edges ? 2 * b->cap_edges : 256;
    b->edges = nvl_xrealloc(b->edges, b->cap_edges * sizeof *b->edges);
  }
  b->edges[b->n_edges][0] = u;
  b->edges[b->n_edges++][1] = on;
}

#define MAX_GROUPS 65536

static uint64_t name_hash(const char *s) { /* FNV-1a, without the map's reserved key */
  return nvl_fnv1a(NVL_FNV1A_BASIS, s, strlen(s)) >> 1;
}

/* The index of process group `pg` ("" every NPU), made on first use; -1 past MAX_GROUPS. */
static int group_of(builder *b, const char *pg) {
  if (!pg[0] && b->n_groups > 0)
    return 0;
  uint64_t h = name_hash(pg);
  uint32_t at = nvl_u64map_find(&b->group_by_hash, h);
  if (at != UINT32_MAX) {
    if (strcmp(b->gname[at], pg) == 0)
      return (int)at;
    for (int g = 1; g < b->n_groups; g++) /* a hash collision: rare, so a scan */
      if (strcmp(b->gname[g], pg) == 0)
        return g;
  }
  if (b->n_groups >= MAX_GROUPS)
    return -1;
  if (b->n_groups == b->cap_groups) {
    b->cap_groups = b->cap_groups ? 2 * b->cap_groups : 16;
    size_t c = (size_t)b->cap_groups;
    b->gname = nvl_xrealloc(b->gname, c * sizeof *b->gname);
    b->gmembers = nvl_xrealloc(b->gmembers, c * sizeof *b->gmembers);
    b->gturns = nvl_xrealloc(b->gturns, c * sizeof *b->gturns);
    b->gn = nvl_xrealloc(b->gn, c * sizeof *b->gn);
    b->gcap = nvl_xrealloc(b->gcap, c * sizeof *b->gcap);
  }
  int g = b->n_groups++;
  snprintf(b->gname[g], sizeof b->gname[0], "%s", pg);
  b->gn[g] = 0;
  b->gcap[g] = g == 0 ? (int)b->c->n : 0; /* every NPU's turns are counted by NPU */
  b->gmembers[g] = g == 0 ? nvl_xmalloc(b->c->n * sizeof(int)) : NULL;
  b->gturns[g] = g == 0 ? nvl_xcalloc(b->c->n, sizeof(size_t)) : NULL;
  if (at == UINT32_MAX)
    nvl_u64map_get_or_add(&b->group_by_hash, h, (uint32_t)g, NULL);
  return g;
}

/* NPU i joins group g (> 0) unless it is its last member already. */
static void add_member(builder *b, int g, int i) {
  if (b->gn[g] > 0 && b->gmembers[g][b->gn[g] - 1] == i)
    return;
  if (b->gn[g] == b->gcap[g]) {
    b->gcap[g] = b->gcap[g] ? 2 * b->gcap[g] : 4;
    b->gmembers[g] = nvl_xrealloc(b->gmembers[g], (size_t)b->gcap[g] * sizeof(int));
    b->gturns[g] = nvl_xrealloc(b->gturns[g], (size_t)b->gcap[g] * sizeof(size_t));
  }
  b->gturns[g][b->gn[g]] = 0;
  b->gmembers[g][b->gn[g]++] = i;
}

/* Node ids per NPU, and a unit per node (a collective's: its group's turn, shared by members). */
static int make_units(builder *b) {
  size_t n = b->c->n;
  nvl_u64map turn_unit = NVL_U64MAP_INIT; /* (group, turn) -> unit */
  int rc = 0;
  group_of(b, ""); /* group 0: every NPU */
  for (int i = 0; i < (int)n && rc == 0; i++) {
    const nvl_ct_trace *t = &b->c->npus[i];
    b->unit_of[i] = nvl_xmalloc((t->n_nodes + 1) * sizeof(size_t));
    for (size_t k = 0; k < t->n_nodes && rc == 0; k++) {
      const nvl_ct_node *nd = &t->nodes[k];
      bool added;
      if (nd->id == UINT64_MAX) {
        nvl_ct_fail(b, i, k, "node id 2^64 - 1 is reserved");
        rc = -1;
        break;
      }
      nvl_u64map_get_or_add(&b->id_of[i], nd->id, (uint32_t)k, &added);
      if (!added) {
        nvl_ct_fail(b, i, k, "a second node with this id");
        rc = -1;
        break;
      }
      unit u = {.kind = U_NODE, .npu = i, .node = k};
      if (nd->type == NVL_CT_SEND || nd->type == NVL_CT_RECV)
        u.kind = nd->type == NVL_CT_SEND ? U_SEND : U_RECV;
      if (nd->type != NVL_CT_COLL) {
        b->unit_of[i][k] = new_unit(b, u);
        continue;
      }
      int g = group_of(b, nd->pg);
      if (g < 0) {
        nvl_ct_fail(b, i, k, "more than 65,536 process groups; nvlsim runs at most that many");
        rc = -1;
        break;
      }
      if (g > 0)
        add_member(b, g, i);
      size_t turn = b->gturns[g][g == 0 ? i : b->gn[g] - 1]++;
      uint32_t fresh = (uint32_t)b->n_units;
      uint32_t at = nvl_u64map_get_or_add(&turn_unit, (uint64_t)g << 40 | turn, fresh, &added);
      if (added) {
        u.kind = U_COLL;
        u.group = g;
        new_unit(b, u);
      }
      b->unit_of[i][k] = at;
    }
  }
  nvl_u64map_release(&turn_unit);
  if (rc == 0) { /* group 0 is every NPU */
    b->gn[0] = (int)n;
    for (int i = 0; i < (int)n; i++)
      b->gmembers[0][i] = i;
  }
  return rc;
}

/* Members of a collective agree on type and size; every member has every turn. */
static int check_collectives(builder *b) {
  for (int i = 0; i < (int)b->c->n; i++)
    for (size_t k = 0; k < b->c->npus[i].n_nodes; k++) {
      const nvl_ct_node *nd = nvl_ct_node_at(b, i, k);
      if (nd->type != NVL_CT_COLL)
        continue;
      const unit *u = &b->units[b->unit_of[i][k]];
      const nvl_ct_node *first = nvl_ct_node_at(b, u->npu, u->node);
      char msg[1200];
      if (!nd->has_comm_type) {
        nvl_ct_fail(b, i, k, "a collective without comm_type");
        return -1;
      }
      if (nd->comm_type != first->comm_type || nd->comm_size != first->comm_size) {
        snprintf(msg, sizeof msg,
                 "collective (comm_type %" PRId64 ", comm_size %" PRIu64 ") differs from its "
                 "match, node %" PRIu64 " of %s (comm_type %" PRId64 ", comm_size %" PRIu64 ")",
                 nd->comm_type, nd->comm_size, first->id, b->c->npus[u->npu].file, first->comm_type,
                 first->comm_size);
        nvl_ct_fail(b, i, k, msg);
        return -1;
      }
    }
  for (int g = 0; g < b->n_groups; g++)
    for (int m = 1; m < b->gn[g]; m++)
      if (b->gturns[g][m] != b->gturns[g][0]) {
        nvl_diag_add(b->diags, NVL_SEV_ERROR, NVL_DIAG_TRACE, NULL,
                     "%s: %zu collectives on process group \"%s\", but %s has %zu: every "
                     "member must take part in each",
                     b->c->npus[b->gmembers[g][m]].file, b->gturns[g][m],
                     g ? b->gname[g] : "(every NPU)", b->c->npus[b->gmembers[g][0]].file,
                     b->gturns[g][0]);
        return -1;
      }
  return 0;
}

static int cmp_end(const void *a, const void *b) {
  const p2p_end *x = a, *y = b;
  if (x->src != y->src)
    return x->src < y->src ? -1 : 1;
  if (x->dst != y->dst)
    return x->dst < y->dst ? -1 : 1;
  if (x->tag != y->tag)
    return x->tag < y->tag ? -1 : 1;
  return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* One end of a send or receive, checked. */
static int p2p_collect(builder *b, int i, size_t k, p2p_end *e, size_t seq) {
  const nvl_ct_node *nd = nvl_ct_node_at(b, i, k);
  bool send = nd->type == NVL_CT_SEND;
  int64_t peer = send ? nd->comm_dst : nd->comm_src;
  if (!(send ? nd->has_dst : nd->has_src) || peer >= (int64_t)b->c->n || peer == i) {
    nvl_ct_fail(b, i, k,
                send ? "a send needs comm_dst, another NPU of the trace"
                     : "a receive needs comm_src, another NPU of the trace");
    return -1;
  }
  if (send && !nd->has_comm_size && !nd->has_tensor_size) {
    nvl_ct_fail(b, i, k, "a send needs comm_size (or tensor_size)");
    return -1;
  }
  *e = (p2p_end){.src = send ? i : (int)peer,
                 .dst = send ? (int)peer : i,
                 .npu = i,
                 .tag = nd->comm_tag,
                 .seq = seq,
                 .node = k};
  return 0;
}

static int match_p2p(builder *b) {
  size_t ns = 0, nr = 0, cap = 0;
  for (size_t i = 0; i < b->c->n; i++)
    cap += b->c->npus[i].n_nodes;
  p2p_end *s = nvl_xmalloc((cap + 1) * sizeof *s), *r = nvl_xmalloc((cap + 1) * sizeof *r);
  int rc = 0;
  for (int i = 0; i < (int)b->c->n && rc == 0; i++)
    for (size_t k = 0; k < b->c->npus[i].n_nodes && rc == 0; k++) {
      int type = nvl_ct_node_at(b, i, k)->type;
      if (type == NVL_CT_SEND)
        rc = p2p_collect(b, i, k, &s[ns], ns), ns++;
      else if (type == NVL_CT_RECV)
        rc = p2p_collect(b, i, k, &r[nr], nr), nr++;
    }
  qsort(s, ns, sizeof *s, cmp_end);
  qsort(r, nr, sizeof *r, cmp_end);
  for (size_t a = 0, c = 0; rc == 0 && (a < ns || c < nr);) {
    int o = a < ns && c < nr ? cmp_end(&s[a], &r[c]) : a < ns ? -1 : 1;
    bool same =
        a < ns && c < nr && s[a].src == r[c].src && s[a].dst == r[c].dst && s[a].tag == r[c].tag;
    if (!same) {
      const p2p_end *e = o < 0 ? &s[a] : &r[c];
      nvl_ct_fail(b, e->npu, e->node,
                  o < 0 ? "a send that no receive (at comm_dst, same comm_src and comm_tag) matches"
                        : "a receive that no send (from comm_src, same comm_tag) matches");
      rc = -1;
      break;
    }
    const nvl_ct_node *sn = nvl_ct_node_at(b, s[a].npu, s[a].node),
                      *rn = nvl_ct_node_at(b, r[c].npu, r[c].node);
    uint64_t bytes = sn->has_comm_size ? sn->comm_size : sn->tensor_size;
    uint64_t rbytes = rn->has_comm_size ? rn->comm_size : rn->tensor_size;
    if ((rn->has_comm_size || rn->has_tensor_size) && rbytes != bytes) {
      nvl_ct_fail(b, r[c].npu, r[c].node, "a receive whose size differs from its send's");
      rc = -1;
      break;
    }
    size_t su = b->unit_of[s[a].npu][s[a].node], ru = b->unit_of[r[c].npu][r[c].node];
    b->units[su].peer = s[a].dst;
    b->units[su].bytes = bytes;
    add_edge(b, ru, su);
    a++, c++;
  }
  free(s);
  free(r);
  return rc;
}

/* Each node's dependencies as edges between units. */
static int dep_edges(builder *b) {
  for (int i = 0; i < (int)b->c->n; i++) {
    const nvl_ct_trace *t = &b->c->npus[i];
    for (size_t k = 0; k < t->n_nodes; k++) {
      const nvl_ct_node *nd = &t->nodes[k];
      size_t u = b->unit_of[i][k];
      for (size_t d = 0; d < nd->n_deps; d++) {
        uint64_t id = t->deps[nd->dep_at + d];
        uint32_t j = id == UINT64_MAX ? UINT32_MAX : nvl_u64map_find(&b->id_of[i], id);
        char msg[160];
        if (j == UINT32_MAX) {
          snprintf(msg, sizeof msg, "depends on node %" PRIu64 ", which this file does not have",
                   id);
          nvl_ct_fail(b, i, k, msg);
          return -1;
        }
        if (b->unit_of[i][j] == u) {
          nvl_ct_fail(b, i, k, "depends on itself (a dependency cycle)");
          return -1;
        }
        add_edge(b, u, b->unit_of[i][j]);
      }
    }
  }
  return 0;
}

static int cmp_edge(const void *a, const void *b) {
  const size_t *x = a, *y = b;
  if (x[0] != y[0])
    return x[0] < y[0] ? -1 : 1;
  return x[1] < y[1] ? -1 : x[1] > y[1];
}

/* Units in an order where each comes after those it depends on (Kahn's algorithm, first
 * appearance first); edges sorted and without repeats. Returns the order, or NULL on a cycle. */
static size_t *topo_order(builder *b) {
  if (b->n_edges > 0) /* qsort(NULL, 0) is undefined */
    qsort(b->edges, b->n_edges, sizeof *b->edges, cmp_edge);
  size_t m = 0;
  for (size_t e = 0; e < b->n_edges; e++)
    if (m == 0 || cmp_edge(b->edges[e], b->edges[m - 1]) != 0)
      memcpy(b->edges[m++], b->edges[e], sizeof *b->edges);
  b->n_edges = m;
  size_t n = b->n_units;
  size_t *indeg = nvl_xcalloc(n + 1, sizeof *indeg), *start = nvl_xcalloc(n + 2, sizeof *start);
  size_t *child = nvl_xmalloc((m + 1) * sizeof *child),
         *order = nvl_xmalloc((n + 1) * sizeof *order);
  for (size_t e = 0; e < m; e++) {
    indeg[b->edges[e][0]]++;
    start[b->edges[e][1] + 1]++;
  }
  for (size_t u = 0; u < n; u++)
    start[u + 1] += start[u];
  size_t *fill = nvl_xmalloc((n + 1) * sizeof *fill);
  memcpy(fill, start, (n + 1) * sizeof *fill);
  for (size_t e = 0; e < m; e++)
    child[fill[b->edges[e][1]]++] = b->edges[e][0];
  free(fill);
  size_t head = 0, tail = 0;
  for (size_t u = 0; u < n; u++)
    if (indeg[u] == 0)
      order[tail++] = u;
  while (head < tail) {
    size_t u = order[head++];
    for (size_t k = start[u]; k < start[u + 1]; k++)
      if (--indeg[child[k]] == 0)
        order[tail++] = child[k];
  }
  if (tail < n) {
    size_t u = 0;
    while (indeg[u] == 0)
      u++;
    nvl_ct_fail(b, b->units[u].npu, b->units[u].node, "is on a dependency cycle");
    free(order);
    order = NULL;
  }
  free(indeg);
  free(start);
  free(child);
  return order;
}

/* The collective of a unit, with nccl-tests' S. Returns 0, or -1 (unsupported). */
static void builder_release(builder *b) {
  for (size_t i = 0; i < b->c->n; i++) {
    nvl_u64map_release(&b->id_of[i]);
    free(b->unit_of[i]);
  }
  free(b->id_of);
  free(b->unit_of);
  free(b->units);
  free(b->edges);
  for (int g = 0; g < b->n_groups; g++) {
    free(b->gmembers[g]);
    free(b->gturns[g]);
  }
  free(b->gname);
  free(b->gcap);
  nvl_u64map_release(&b->group_by_hash);
  free(b->gmembers);
  free(b->gturns);
  free(b->gn);
}

int nvl_chakra_graph(const nvl_chakra *c, nvl_workload_spec *spec, nvl_wgraph *g, nvl_ct_map *map,
                     nvl_diags *diags) {
  memset(map, 0, sizeof *map);
  builder b = {.c = c, .diags = diags, .group_by_hash = NVL_U64MAP_INIT};
  b.id_of = nvl_xmalloc((c->n + 1) * sizeof *b.id_of);
  for (size_t i = 0; i < c->n; i++)
    b.id_of[i] = (nvl_u64map)NVL_U64MAP_INIT;
  b.unit_of = nvl_xcalloc(c->n + 1, sizeof *b.unit_of);
  size_t *order = NULL;
  int rc = -1;
  if (make_units(&b) == 0 && check_collectives(&b) == 0 && match_p2p(&b) == 0 &&
      dep_edges(&b) == 0 && (order = topo_order(&b)) != NULL)
    rc = nvl_ct_emit(&b, order, spec, g, map);
  free(order);
  builder_release(&b);
  if (rc != 0) {
    nvl_wgraph_release(g);
    nvl_ct_map_release(map);
  }
  return rc;
}

void nvl_ct_map_release(nvl_ct_map *m) {
  free(m->npu_start);
  free(m->npus);
  free(m->compute);
  memset(m, 0, sizeof *m);
}
