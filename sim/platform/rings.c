/*
 * rings: see rings.h.
 */
#include "platform/rings.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"
#include "platform/internal.h"

#define MAX_CANDIDATES 128      /* multiplier orders kept above 8 ranks */
#define ENUM_RANKS 8            /* every directed Hamiltonian cycle up to this many ranks */
#define HAMILTON_STEPS 2000000L /* depth-first search effort for meshes above that, */
#define HAMILTON_ROUNDS 8       /* for at most this many edge-disjoint cycles, */
#define HAMILTON_ATTEMPTS 64    /* under this many neighbour orders */
#define RING_RANK_BUDGET 4096   /* rings x ranks at most: 24 rings up to 170 ranks, 8 at 512 */
#define CANDIDATE_ROUTE_BUDGET (1 << 22) /* ranks x domain rotations scored in full */

typedef struct {
  int *order;   /* n ranks */
  int *ld;      /* link directions it loads (2 x link + 0 UP / 1 DOWN), sorted, distinct */
  double *load; /* per entry: transfers through it / bandwidth */
  size_t n_ld;
} candidate;

typedef struct {
  const nvl_platform *p;
  const int *devs;
  int n;
  int max_rings; /* the rings wanted */
  candidate *c;
  size_t n_c, cap_c;
  /* scratch: a dense load vector over link directions and the entries it touches */
  double *dense;
  int *touched;
  size_t n_touched;
} search;

/* Adds the load of transfers a -> b; false if b is unreachable from a. */
static bool add_arc(search *s, int a, int b) {
  nvl_stripe st[NVL_MAX_STRIPES];
  int ns = nvl_platform_stripes(s->p, s->devs[a], s->devs[b], st);
  if (ns <= 0)
    return false;
  int links[64], dirs[64];
  for (int i = 0; i < ns; i++) {
    int nl = nvl_platform_route(s->p, st[i].from_host, st[i].to_host, links, dirs, 64);
    for (int k = 0; k < nl; k++) {
      const nvl_plink *l = nvl_platform_link(s->p, links[k]);
      if (l->fatpipe || !(l->bw_Bps > 0))
        continue;
      int ld = 2 * links[k] + (dirs[k] > 0 ? 0 : 1);
      if (s->dense[ld] == 0)
        s->touched[s->n_touched++] = ld;
      s->dense[ld] += st[i].weight / l->bw_Bps;
    }
  }
  return true;
}

static int cmp_int(const void *a, const void *b) {
  int x = *(const int *)a, y = *(const int *)b;
  return (x > y) - (x < y);
}

/* Adds the directed cycle order[0] -> order[1] -> ... -> order[0] as a candidate, unless one of
 * its hops is unreachable (a failed direct link, say). */
static void add_candidate(search *s, const int *order) {
  if (s->n_c == s->cap_c) {
    s->cap_c = s->cap_c ? 2 * s->cap_c : 64;
    s->c = nvl_xrealloc(s->c, s->cap_c * sizeof *s->c);
  }
  int n = s->n;
  s->n_touched = 0;
  bool reachable = true;
  for (int i = 0; i < n && reachable; i++)
    reachable = add_arc(s, order[i], order[(i + 1) % n]);
  if (!reachable) {
    for (size_t i = 0; i < s->n_touched; i++)
      s->dense[s->touched[i]] = 0;
    return;
  }
  candidate *c = &s->c[s->n_c++];
  c->order = nvl_xmalloc((size_t)n * sizeof(int));
  memcpy(c->order, order, (size_t)n * sizeof(int));
  if (s->n_touched > 0)
    qsort(s->touched, s->n_touched, sizeof(int), cmp_int);
  c->n_ld = s->n_touched;
  c->ld = nvl_xmalloc((s->n_touched + 1) * sizeof(int));
  c->load = nvl_xmalloc((s->n_touched + 1) * sizeof(double));
  for (size_t i = 0; i < s->n_touched; i++) {
    c->ld[i] = s->touched[i];
    c->load[i] = s->dense[s->touched[i]];
    s->dense[s->touched[i]] = 0;
  }
}

/* The cycle `order` as a candidate, then the same cycle the other way round (order is left
 * reversed, rank order[0] in place). */
static void add_both_ways(search *s, int *order) {
  int n = s->n;
  add_candidate(s, order);
  for (int i = 1; i < n / 2 + n % 2; i++) {
    int t = order[i];
    order[i] = order[n - i];
    order[n - i] = t;
  }
  add_candidate(s, order);
}

/* Every directed Hamiltonian cycle through rank 0, in lexicographic order (identity first). */
static void enumerate(search *s, int *order, bool *used, int depth) {
  if (depth == s->n) {
    add_candidate(s, order);
    return;
  }
  for (int r = 1; r < s->n; r++)
    if (!used[r]) {
      used[r] = true;
      order[depth] = r;
      enumerate(s, order, used, depth + 1);
      used[r] = false;
    }
}

/* Depth-first search for one Hamiltonian cycle through rank 0 over reachable hops, trying
 * neighbours in the order `perm` (identity: rank order, which walks grids and tori as snakes),
 * within a step budget. */
static bool hamiltonian(int n, const uint8_t *reach, const int *perm, int *order, bool *used,
                        int depth, long *budget) {
  if (depth == n)
    return reach[(size_t)order[n - 1] * n + order[0]];
  for (int k = 0; k < n; k++) {
    int r = perm[k];
    if (r == 0 || used[r] || !reach[(size_t)order[depth - 1] * n + r] || --*budget < 0)
      continue;
    used[r] = true;
    order[depth] = r;
    if (hamiltonian(n, reach, perm, order, used, depth + 1, budget))
      return true;
    used[r] = false;
  }
  return false;
}

/* Edge-disjoint Hamiltonian cycles of a switchless mesh or torus: cycles found one after another,
 * each over the hops the earlier ones left, under several neighbour orders (the first in rank
 * order, the others shuffled deterministically); the attempt with the most cycles wins (a 4x4
 * torus splits into two). Each cycle becomes a candidate both ways round. */
static void mesh_cycles(search *s, const uint8_t *reach0) {
  int n = s->n;
  uint8_t *reach = nvl_xmalloc((size_t)n * n);
  int *perm = nvl_xmalloc((size_t)n * sizeof(int));
  int *found = nvl_xmalloc((size_t)HAMILTON_ROUNDS * n * sizeof(int));
  int *best = nvl_xmalloc((size_t)HAMILTON_ROUNDS * n * sizeof(int));
  bool *used = nvl_xmalloc((size_t)n * sizeof(bool));
  int n_best = 0;
  uint64_t x = 0x9E3779B97F4A7C15ull;
  for (int attempt = 0; attempt < HAMILTON_ATTEMPTS; attempt++) {
    for (int i = 0; i < n; i++)
      perm[i] = i;
    for (int i = n - 1; attempt > 0 && i > 0; i--) { /* xorshift64: same shuffles every run */
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      int j = (int)(x % (uint64_t)(i + 1)), t = perm[i];
      perm[i] = perm[j];
      perm[j] = t;
    }
    memcpy(reach, reach0, (size_t)n * n);
    int n_found = 0;
    for (; n_found < HAMILTON_ROUNDS; n_found++) {
      int *order = found + (size_t)n_found * n;
      long budget = HAMILTON_STEPS / (HAMILTON_ATTEMPTS * HAMILTON_ROUNDS);
      memset(used, 0, (size_t)n * sizeof(bool));
      order[0] = 0;
      used[0] = true;
      if (!hamiltonian(n, reach, perm, order, used, 1, &budget))
        break;
      for (int i = 0; i < n; i++) { /* its hops, both ways, are taken */
        int a = order[i], b = order[(i + 1) % n];
        reach[(size_t)a * n + b] = reach[(size_t)b * n + a] = 0;
      }
    }
    if (n_found > n_best) {
      n_best = n_found;
      memcpy(best, found, (size_t)n_found * n * sizeof(int));
    }
  }
  for (int c = 0; c < n_best; c++) {
    int *order = best + (size_t)c * n;
    add_both_ways(s, order);
  }
  free(reach);
  free(perm);
  free(found);
  free(best);
  free(used);
}

/* A Hamiltonian cycle of the torus of k dimensions dims[] (rank = sum of x_i stride_i), built
 * dimension by dimension in the order perm[] (perm[0] innermost): the innermost dimension's ring,
 * then, for each further dimension of size a, the cycle H of the dimensions so far (m ranks)
 * times a: row 0 along H, rows 1 .. a-1 as a snake over H[m-1] .. H[1], and back to row 0 over
 * H[0]. Every step moves one neighbour along one dimension (the snake's end reaches H[0] from
 * H[1] or over H's closing step), and only the innermost dimension's ring closes over its wrap
 * link. */
static void torus_cycle(const int *dims, const int *stride, const int *perm, int k, int *out,
                        int *tmp) {
  int m = dims[perm[0]];
  for (int j = 0; j < m; j++)
    out[j] = j * stride[perm[0]];
  for (int level = 1; level < k; level++) {
    int a = dims[perm[level]], st = stride[perm[level]], len = 0;
    for (int j = 0; j < m; j++)
      tmp[len++] = out[j];
    for (int i = 1; i < a; i++)
      for (int s = 1; s < m; s++)
        tmp[len++] = i * st + out[i % 2 ? m - s : s];
    for (int i = a - 1; i >= 1; i--)
      tmp[len++] = i * st + out[0];
    memcpy(out, tmp, (size_t)len * sizeof(int));
    m = len;
  }
}

/* Whether ranks in row-major order over dims[] form (at least) that torus: every rank reaches its
 * next neighbour along every dimension, wrapping round. */
static bool is_torus(int n, const uint8_t *reach, const int *dims, const int *stride, int k) {
  for (int r = 0; r < n; r++)
    for (int i = 0; i < k; i++) {
      int x = r / stride[i] % dims[i], next = r + (((x + 1) % dims[i]) - x) * stride[i];
      if (!reach[(size_t)r * n + next])
        return false;
    }
  return true;
}

/* Dimension-ordered rings of a 2-D or 3-D torus numbered in row-major order (as a generator
 * writes one): for every factorisation n = d0 d1 (d2) with every size >= 3 that the reachable
 * hops form, the Hamiltonian cycle of each dimension order, both ways round. The greedy choice
 * then combines orders that load the dimensions alike. */
static void torus_cycles(search *s, const uint8_t *reach) {
  int n = s->n, *out = nvl_xmalloc((size_t)n * sizeof(int)),
      *tmp = nvl_xmalloc((size_t)n * sizeof(int));
  static const int perms3[6][3] = {{0, 1, 2}, {0, 2, 1}, {1, 0, 2},
                                   {1, 2, 0}, {2, 0, 1}, {2, 1, 0}};
  static const int perms2[2][3] = {{0, 1, 0}, {1, 0, 0}};
  for (int d0 = 3; d0 <= n / 3; d0++)
    for (int d1 = 3; d0 * d1 <= n; d1++) {
      if (n % (d0 * d1))
        continue;
      int d2 = n / (d0 * d1), k = d2 == 1 ? 2 : 3;
      if (d2 == 2)
        continue;
      int dims[3] = {d0, d1, d2}, stride[3] = {1, d0, d0 * d1};
      if (!is_torus(n, reach, dims, stride, k))
        continue;
      int shifts = d0 < d1 ? d0 : d1;
      shifts = k == 3 && d2 < shifts ? d2 : shifts;
      for (int p = 0; p < (k == 3 ? 6 : 2); p++)
        for (int o = 0; o < shifts; o++) { /* translated by (o, o, o): the turns move */
          torus_cycle(dims, stride, k == 3 ? perms3[p] : perms2[p], k, tmp, out);
          for (int i = 0; i < n; i++) {
            int r = tmp[i], moved = 0;
            for (int d = 0; d < k; d++)
              moved += (r / stride[d] % dims[d] + o) % dims[d] * stride[d];
            out[i] = moved;
          }
          add_both_ways(s, out);
        }
    }
  free(out);
  free(tmp);
}

/* Across scale-up domains (nodes, racks joined by the network): NCCL's rings enter and leave
 * each node once per channel, and its channels spread those crossings over the node's NICs. The
 * candidates: ranks grouped by domain (domains in order of first rank), each domain's ranks
 * rotated by c (c = 0 .. largest domain - 1), so that channel c leaves a node from its rank
 * c - 1 and enters the next at its rank c: over the rotations every rank's NIC carries one
 * crossing each way. Nothing when the ranks lie in one domain. */
static void domain_rotations(search *s) {
  const nvl_platform *p = s->p;
  int n = s->n, nd = 0, widest = 0;
  int *dom = nvl_xmalloc((size_t)n * sizeof(int)), *key = nvl_xmalloc((size_t)n * sizeof(int));
  int *start = nvl_xcalloc((size_t)n + 1, sizeof(int)),
      *members = nvl_xmalloc((size_t)n * sizeof(int));
  for (int r = 0; r < n; r++)
    if (nvl_platform_domain(p, s->devs[r]) < 0) { /* a switchless mesh: mesh_cycles' case */
      free(dom);
      free(key);
      free(start);
      free(members);
      return;
    }
  for (int r = 0; r < n; r++) { /* domains numbered by first rank */
    int d = nvl_platform_domain(p, s->devs[r]), k = 0;
    while (k < nd && key[k] != d)
      k++;
    if (k == nd)
      key[nd++] = d;
    dom[r] = k;
    start[k + 1]++;
  }
  for (int k = 0; k < nd; k++) {
    widest = start[k + 1] > widest ? start[k + 1] : widest;
    start[k + 1] += start[k];
  }
  int *fill = nvl_xmalloc(((size_t)nd + 1) * sizeof(int)),
      *order = nvl_xmalloc((size_t)n * sizeof(int));
  memcpy(fill, start, (size_t)nd * sizeof(int));
  for (int r = 0; r < n; r++)
    members[fill[dom[r]]++] = r;
  /* each candidate costs n routes to score: past a budget only as many as the rings wanted
   * (rotation c leaves by rail c, so the first ones load distinct NICs) */
  int want =
      (long)n * widest > CANDIDATE_ROUTE_BUDGET && s->max_rings < widest ? s->max_rings : widest;
  for (int c = 0; nd > 1 && c < want && s->n_c < MAX_CANDIDATES; c++) {
    int i = 0;
    for (int k = 0; k < nd; k++) {
      int m = start[k + 1] - start[k];
      for (int j = 0; j < m; j++)
        order[i++] = members[start[k] + (c + j) % m];
    }
    add_candidate(s, order);
  }
  free(dom);
  free(key);
  free(start);
  free(members);
  free(fill);
  free(order);
}

static int gcd(int a, int b) {
  while (b) {
    int t = a % b;
    a = b;
    b = t;
  }
  return a;
}

/* Whether every pair of the ranks has a stripe. Through switches every pair has a route when
 * every pair of twin sets has (nvl_platform_all_reachable: n^2 routes at 100,000 ranks
 * otherwise); with direct links among the ranks (a mesh), pair by pair. */
static bool every_pair_joined(const nvl_platform *p, const int *devs, int n) {
  bool mesh = false;
  bool *in = nvl_xcalloc(p->d->n_devices + 1, sizeof(bool));
  for (int i = 0; i < n; i++)
    in[devs[i]] = true;
  for (int i = 0; i < n && !mesh; i++)
    for (int j = p->att_start[devs[i]]; j < p->att_start[devs[i] + 1] && !mesh; j++)
      mesh = p->att[j].cls < 0 && in[p->att[j].peer];
  free(in);
  int ua, ub;
  if (!mesh)
    return nvl_platform_all_reachable(p, devs, n, &ua, &ub);
  nvl_stripe st[NVL_MAX_STRIPES];
  for (int a = 0; a < n; a++)
    for (int b = 0; b < n; b++)
      if (a != b && nvl_platform_stripes(p, devs[a], devs[b], st) == 0)
        return false;
  return true;
}

int nvl_rings_find(const nvl_platform *p, const int *devs, int n, int max_rings, int *orders) {
  for (int i = 0; i < n; i++)
    orders[i] = i;
  nvl_stripe st[NVL_MAX_STRIPES];
  /* the common case: keep the given order when nothing else can help */
  bool all_pairs = every_pair_joined(p, devs, n);
  if (all_pairs && (n < 3 || max_rings < 2))
    return 1;
  if (n < 2)
    return 0;
  if ((long)max_rings * n > RING_RANK_BUDGET) /* every ring is n flows per step to simulate */
    max_rings = RING_RANK_BUDGET / n;
  if (max_rings < 1)
    max_rings = 1;
  size_t nld = 2 * nvl_platform_link_count(p);
  search s = {.p = p, .devs = devs, .n = n, .max_rings = max_rings};
  s.dense = nvl_xcalloc(nld + 1, sizeof(double));
  s.touched = nvl_xmalloc((nld + 1) * sizeof(int));
  int *order = nvl_xmalloc((size_t)n * sizeof(int));
  domain_rotations(&s);
  if (n <= ENUM_RANKS) {
    bool used[ENUM_RANKS] = {false};
    order[0] = 0;
    used[0] = true;
    enumerate(&s, order, used, 1);
  } else if (s.n_c == 0 || (long)n * MAX_CANDIDATES <= CANDIDATE_ROUTE_BUDGET) {
    /* strides; past the budget, across nodes the rotations of the nodes' ranks only (a stride
     * crosses the network at nearly every step: never the lighter ring there) */
    for (int k = 1; k < n && s.n_c < MAX_CANDIDATES; k++) {
      if (gcd(k, n) != 1)
        continue;
      for (int i = 0; i < n; i++)
        order[i] = (int)((long)k * i % n);
      add_candidate(&s, order);
    }
    if (s.n_c == 0 && !all_pairs) { /* a mesh or torus without a switch */
      uint8_t *reach = nvl_xcalloc((size_t)n * n, 1);
      for (int a = 0; a < n; a++)
        for (int b = 0; b < n; b++)
          reach[(size_t)a * n + b] = a != b && nvl_platform_stripes(p, devs[a], devs[b], st) > 0;
      mesh_cycles(&s, reach);
      torus_cycles(&s, reach); /* after: on ties the greedy choice keeps edge-disjoint cycles */
      free(reach);
    }
  }
  /* greedy: add the candidate that keeps the maximum load lowest; remember the best prefix */
  double *cur = s.dense; /* reuse: all zero again */
  bool *taken = nvl_xcalloc(s.n_c, sizeof(bool));
  int *pick = nvl_xmalloc((size_t)max_rings * sizeof(int));
  double cur_max = 0, best_t = 0;
  int best_r = 1, r = 0;
  for (; r < max_rings && (size_t)r < s.n_c; r++) {
    int best_c = -1;
    double best_m = INFINITY;
    for (size_t c = 0; c < s.n_c; c++) {
      if (taken[c])
        continue;
      double m = cur_max;
      for (size_t i = 0; i < s.c[c].n_ld; i++) {
        double v = cur[s.c[c].ld[i]] + s.c[c].load[i];
        if (v > m)
          m = v;
      }
      if (m < best_m * (1 - 1e-12)) {
        best_m = m;
        best_c = (int)c;
      }
    }
    if (best_c < 0)
      break;
    taken[best_c] = true;
    pick[r] = best_c;
    for (size_t i = 0; i < s.c[best_c].n_ld; i++)
      cur[s.c[best_c].ld[i]] += s.c[best_c].load[i];
    cur_max = best_m;
    double t = cur_max > 0 ? (r + 1) / cur_max : INFINITY;
    if (t > best_t * 1.01) { /* another ring must gain 1 %: each one costs flows */
      best_t = t;
      best_r = r + 1;
    }
  }
  if (r == 0) { /* no order whose every hop is reachable */
    best_r = 0;
  } else {
    for (int k = 0; k < best_r; k++)
      memcpy(orders + (size_t)k * n, s.c[pick[k]].order, (size_t)n * sizeof(int));
  }
  for (size_t c = 0; c < s.n_c; c++) {
    free(s.c[c].order);
    free(s.c[c].ld);
    free(s.c[c].load);
  }
  free(s.c);
  free(s.dense);
  free(s.touched);
  free(order);
  free(taken);
  free(pick);
  return best_r;
}
