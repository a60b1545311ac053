/*
 * fold_find: a workload's symmetry (fold.h): the candidates, the images of jobs and operations,
 * the orbits, the fixed jobs' programs, and whether folding saves lanes.
 */
#include <stdlib.h>
#include <string.h>

#include "base/u64map.h"
#include "base/xalloc.h"
#include "workload/fold_internal.h"

typedef struct {
  const nvl_workload_run *wr;
  size_t n_jobs, n_ops, n_devs;
  size_t *op_start, *op_list; /* job -> its operations in graph order */
  uint64_t *key;              /* [job]: hash of its device set */
  int *next_same;             /* [job]: next job with the same key, or -1 */
  nvl_u64map first_of;        /* key -> its slot in head */
  int *head;                  /* [slot]: the first job with that key */
  nvl_comm_mode *mode;        /* [job]: how the candidate's fold simulates its collectives (the
                                 communicators keep their own) */
  /* per candidate */
  int *sig;     /* [device]: its image, or -1 */
  int *pos;     /* [device]: its rank in the job being matched, or -1 */
  size_t *jmap; /* [job]: its image */
  int **pi;     /* [job]: fixed jobs: rank -> the rank of its image */
  size_t *img;  /* [op]: its image */
} finder;

static bool has_ops(const finder *f, size_t j) { return f->op_start[j + 1] > f->op_start[j]; }

static int cmp_int(const void *a, const void *b) {
  int x = *(const int *)a, y = *(const int *)b;
  return (x > y) - (x < y);
}

/* FNV-1a over a job's sorted devices (never UINT64_MAX). */
static uint64_t set_key(const int *devs, int n) {
  int *s = nvl_xmalloc((size_t)n * sizeof(int) + 1);
  memcpy(s, devs, (size_t)n * sizeof(int));
  qsort(s, (size_t)n, sizeof(int), cmp_int);
  uint64_t h = 1469598103934665603ull ^ (uint64_t)n;
  for (int i = 0; i < n; i++)
    h = (h ^ (uint64_t)(uint32_t)s[i]) * 1099511628211ull;
  free(s);
  return h == UINT64_MAX ? 0 : h;
}

static void finder_init(finder *f, const nvl_workload_run *wr) {
  memset(f, 0, sizeof *f);
  f->wr = wr;
  f->n_jobs = wr->spec->n_jobs;
  f->n_ops = wr->g.n_ops;
  f->n_devs = wr->d->n_devices;
  f->op_start = nvl_xcalloc(f->n_jobs + 2, sizeof(size_t));
  f->op_list = nvl_xmalloc((f->n_ops + 1) * sizeof(size_t));
  for (size_t i = 0; i < f->n_ops; i++)
    f->op_start[wr->g.ops[i].job + 1]++;
  for (size_t j = 0; j < f->n_jobs; j++)
    f->op_start[j + 1] += f->op_start[j];
  size_t *at = nvl_xmalloc((f->n_jobs + 1) * sizeof(size_t));
  memcpy(at, f->op_start, f->n_jobs * sizeof(size_t));
  for (size_t i = 0; i < f->n_ops; i++)
    f->op_list[at[wr->g.ops[i].job]++] = i;
  free(at);
  f->key = nvl_xcalloc(f->n_jobs + 1, sizeof(uint64_t));
  f->next_same = nvl_xmalloc((f->n_jobs + 1) * sizeof(int));
  f->first_of = (nvl_u64map)NVL_U64MAP_INIT;
  f->head = nvl_xmalloc((f->n_jobs + 1) * sizeof(int));
  int *tail = nvl_xmalloc((f->n_jobs + 1) * sizeof(int));
  for (size_t j = 0; j < f->n_jobs; j++) { /* chains in job order */
    f->next_same[j] = -1;
    if (!has_ops(f, j))
      continue;
    const nvl_job *J = &wr->spec->jobs[j];
    f->key[j] = set_key(J->devs, J->n);
    bool added;
    uint32_t slot = nvl_u64map_get_or_add(&f->first_of, f->key[j], (uint32_t)f->first_of.n, &added);
    if (added)
      f->head[slot] = (int)j;
    else
      f->next_same[tail[slot]] = (int)j;
    tail[slot] = (int)j;
  }
  free(tail);
  f->mode = nvl_xcalloc(f->n_jobs + 1, sizeof *f->mode);
  f->sig = nvl_xmalloc((f->n_devs + 1) * sizeof(int));
  f->pos = nvl_xmalloc((f->n_devs + 1) * sizeof(int));
  for (size_t d = 0; d < f->n_devs; d++)
    f->pos[d] = -1;
  f->jmap = nvl_xmalloc((f->n_jobs + 1) * sizeof(size_t));
  f->pi = nvl_xcalloc(f->n_jobs + 1, sizeof(int *));
  f->img = nvl_xmalloc((f->n_ops + 1) * sizeof(size_t));
}

static void finder_release(finder *f) {
  free(f->op_start);
  free(f->op_list);
  free(f->key);
  free(f->next_same);
  free(f->head);
  nvl_u64map_release(&f->first_of);
  free(f->mode);
  free(f->sig);
  free(f->pos);
  free(f->jmap);
  for (size_t j = 0; j < f->n_jobs; j++)
    free(f->pi[j]);
  free(f->pi);
  free(f->img);
}

/* Whether two communicators build the same programs, rank r of a standing for rank pi[r] of b. */
static bool same_comm(const nvl_comm *a, const nvl_comm *b, const int *pi, int n) {
  if (a == b)
    return true;
  if (a->tc.n != b->tc.n || a->tc.generation != b->tc.generation ||
      a->tc.nvlink_Bps != b->tc.nvlink_Bps || a->tc.nvls != b->tc.nvls ||
      a->generation != b->generation || a->bw_Bps != b->bw_Bps || a->hop_s != b->hop_s ||
      (a->nvls_host < 0) != (b->nvls_host < 0) || a->mode.alike != b->mode.alike ||
      a->mode.period != b->mode.period || a->mode.rails != b->mode.rails ||
      a->mode.rails_weighted != b->mode.rails_weighted || a->n_rings != b->n_rings ||
      (a->overhead_s == NULL) != (b->overhead_s == NULL))
    return false;
  if (a->n_rings > 0 && memcmp(a->rings, b->rings, (size_t)a->n_rings * (size_t)n * sizeof(int)))
    return false;
  for (int r = 0; a->overhead_s && r < n; r++)
    if (a->overhead_s[r] != b->overhead_s[pi[r]])
      return false;
  return true;
}

static bool identity(const int *pi, int n) {
  for (int i = 0; i < n; i++)
    if (pi[i] != i)
      return false;
  return true;
}

/* pi's shift when it is a rotation (pi[i] = i + r mod n), else -1. */
static int rotation(const int *pi, int n) {
  for (int i = 0; i < n; i++)
    if (pi[i] != (i + pi[0]) % n)
      return -1;
  return pi[0];
}

/* Whether operation y (of job b) is operation x (of job a) with rank r of a renamed pi[r]. */
static bool op_image(const finder *f, const nvl_wop *x, const nvl_wop *y, const int *pi, int n) {
  const nvl_wgraph *g = &f->wr->g;
  if (x->kind != y->kind || x->bytes != y->bytes || x->coll != y->coll || x->algo != y->algo ||
      x->proto != y->proto || x->seconds != y->seconds || x->has_vals != y->has_vals ||
      x->report != y->report)
    return false;
  switch (x->kind) {
  case NVL_WOP_COLLECTIVE: /* onto another job as it is, or onto itself rotated */
    return x->job != y->job ? identity(pi, n) : rotation(pi, n) >= 0;
  case NVL_WOP_SEND: return pi[x->src] == y->src && pi[x->dst] == y->dst;
  case NVL_WOP_PATTERN:
    for (int r = 0; r < n; r++) {
      int dx = g->dsts[x->dst_at + (size_t)r], dy = g->dsts[y->dst_at + (size_t)pi[r]];
      if (dy != (dx < 0 ? -1 : pi[dx]))
        return false;
    }
    return true;
  case NVL_WOP_MATRIX: {
    const double *mx = x->has_vals ? g->vals + x->val_at : f->wr->spec->jobs[x->job].matrix,
                 *my = y->has_vals ? g->vals + y->val_at : f->wr->spec->jobs[y->job].matrix;
    for (int a = 0; a < n; a++)
      for (int b = 0; b < n; b++)
        if (my[(size_t)pi[a] * (size_t)n + (size_t)pi[b]] != mx[(size_t)a * (size_t)n + (size_t)b])
          return false;
    return true;
  }
  case NVL_WOP_COMPUTE:
    if (!x->has_vals)
      return pi[x->src] == y->src;
    for (int r = 0; r < n; r++)
      if (g->vals[y->val_at + (size_t)pi[r]] != g->vals[x->val_at + (size_t)r])
        return false;
    return true;
  }
  return false;
}

/* Whether job b's operations are job a's images with ranks renamed by pi; records them. */
static bool ops_match(finder *f, size_t a, size_t b, const int *pi) {
  size_t na = f->op_start[a + 1] - f->op_start[a], nb = f->op_start[b + 1] - f->op_start[b];
  if (na != nb)
    return false;
  const nvl_comm *ca = &f->wr->comms[a], *cb = &f->wr->comms[b];
  int n = f->wr->spec->jobs[a].n;
  if (!same_comm(ca, cb, pi, n))
    return false;
  for (size_t i = 0; i < na; i++) {
    size_t x = f->op_list[f->op_start[a] + i], y = f->op_list[f->op_start[b] + i];
    if (!op_image(f, &f->wr->g.ops[x], &f->wr->g.ops[y], pi, n))
      return false;
    f->img[x] = y;
  }
  return true;
}

/* The image of job a: a job with its devices' images whose operations are its own's (itself
 * first); fills f->jmap[a] and, for a job onto itself, f->pi[a]. */
static bool job_image(finder *f, size_t a) {
  const nvl_job *J = &f->wr->spec->jobs[a];
  int n = J->n;
  int *im = nvl_xmalloc((size_t)n * sizeof(int) + 1),
      *pi = nvl_xmalloc((size_t)n * sizeof(int) + 1);
  bool moved = true; /* every device has an image */
  for (int i = 0; i < n; i++)
    moved &= (im[i] = f->sig[J->devs[i]]) >= 0;
  uint32_t slot = moved ? nvl_u64map_find(&f->first_of, set_key(im, n)) : UINT32_MAX;
  bool ok = false;
  for (int pass = 0; pass < 2 && !ok && slot != UINT32_MAX; pass++)
    for (int b = f->head[slot]; b >= 0 && !ok; b = f->next_same[b]) {
      if ((pass == 0) != ((size_t)b == a) || f->wr->spec->jobs[b].n != n)
        continue;
      const nvl_job *B = &f->wr->spec->jobs[b];
      for (int i = 0; i < n; i++)
        f->pos[B->devs[i]] = i;
      bool bijective = true;
      for (int i = 0; i < n && bijective; i++)
        bijective = (pi[i] = f->pos[im[i]]) >= 0;
      for (int i = 0; i < n; i++)
        f->pos[B->devs[i]] = -1;
      ok = bijective && ops_match(f, a, (size_t)b, pi);
      if (ok)
        f->jmap[a] = (size_t)b;
    }
  free(im);
  if (ok && f->jmap[a] == a)
    f->pi[a] = pi;
  else
    free(pi);
  return ok;
}

/* Every job's orbit has k members (a fixed job: every rank's orbit under its renaming). */
static bool orbits_full(const finder *f, int k) {
  for (size_t a = 0; a < f->n_jobs; a++) {
    if (!has_ops(f, a))
      continue;
    if (f->jmap[a] != a) {
      size_t c = a;
      for (int j = 1; j <= k; j++) {
        c = f->jmap[c];
        if ((c == a) != (j == k))
          return false;
      }
      continue;
    }
    const int *pi = f->pi[a];
    for (int r = 0; r < f->wr->spec->jobs[a].n; r++) {
      int c = r;
      for (int j = 1; j <= k; j++) {
        c = pi[c];
        if ((c == r) != (j == k))
          return false;
      }
    }
  }
  return true;
}

/* Every operation's dependencies go onto its image's. */
static bool deps_follow(const finder *f) {
  const nvl_wgraph *g = &f->wr->g;
  size_t cap = 16, *u = nvl_xmalloc(cap * sizeof *u), *v = nvl_xmalloc(cap * sizeof *v);
  bool ok = true;
  for (size_t x = 0; x < f->n_ops && ok; x++) {
    size_t y = f->img[x], nx = g->dep_start[x + 1] - g->dep_start[x];
    if (g->dep_start[y + 1] - g->dep_start[y] != nx) {
      ok = false;
      break;
    }
    if (nx > cap) {
      cap = 2 * nx;
      u = nvl_xrealloc(u, cap * sizeof *u);
      v = nvl_xrealloc(v, cap * sizeof *v);
    }
    for (size_t i = 0; i < nx; i++) {
      u[i] = f->img[g->deps[g->dep_start[x] + i]];
      v[i] = g->deps[g->dep_start[y] + i];
    }
    qsort(u, nx, sizeof *u, nvl_fold_cmp_size);
    qsort(v, nx, sizeof *v, nvl_fold_cmp_size);
    ok = memcmp(u, v, nx * sizeof *u) == 0;
  }
  free(u);
  free(v);
  return ok;
}

/* Whether route a -> b (hosts) goes, under the link map, onto route c -> d. */
static bool route_maps(const nvl_platform *p, const int *map, int a, int b, int c, int d) {
  int la[64], da[64], lc[64], dc[64];
  int na = nvl_platform_route(p, a, b, la, da, 64), nc = nvl_platform_route(p, c, d, lc, dc, 64);
  if (na != nc || na < 0)
    return false;
  for (int k = 0; k < na; k++) {
    int from = 2 * la[k] + (da[k] > 0 ? 0 : 1), to = 2 * lc[k] + (dc[k] > 0 ? 0 : 1);
    if ((map[from] < 0 ? from : map[from]) != to)
      return false;
  }
  return true;
}

/* Whether the transfers between ranks x and y of job a go onto those between their images (the
 * platform's check follows neighbours in D only: routes break ties by class index). */
static bool pair_maps(const finder *f, const int *map, int x, int y) {
  nvl_stripe s[NVL_MAX_STRIPES], t[NVL_MAX_STRIPES];
  const nvl_platform *p = f->wr->p;
  int ns = nvl_platform_stripes(p, x, y, s), nt = nvl_platform_stripes(p, f->sig[x], f->sig[y], t);
  if (ns != nt)
    return false;
  for (int i = 0; i < ns; i++)
    if (s[i].weight != t[i].weight ||
        !route_maps(p, map, s[i].from_host, s[i].to_host, t[i].from_host, t[i].to_host))
      return false;
  return true;
}

/* Routes between the ranks of every job (and to its reduction engine) go onto their images'; at
 * most 2^22 pairs are checked, beyond which the fold is refused. */
static bool routes_map(const finder *f, const int *map) {
  const nvl_workload_spec *spec = f->wr->spec;
  const nvl_platform *p = f->wr->p;
  size_t pairs = 0;
  for (size_t a = 0; a < f->n_jobs; a++)
    if (has_ops(f, a))
      pairs += (size_t)spec->jobs[a].n * (size_t)spec->jobs[a].n;
  if (pairs > (size_t)1 << 22)
    return false;
  for (size_t a = 0; a < f->n_jobs; a++) {
    if (!has_ops(f, a))
      continue;
    const nvl_job *J = &spec->jobs[a];
    int sw = f->wr->comms[a].nvls_host, sw_img = f->wr->comms[f->jmap[a]].nvls_host;
    for (int i = 0; i < J->n; i++) {
      for (int j = 0; j < J->n; j++)
        if (i != j && !pair_maps(f, map, J->devs[i], J->devs[j]))
          return false;
      int h = nvl_platform_endpoint_host(p, J->devs[i]),
          g = nvl_platform_endpoint_host(p, f->sig[J->devs[i]]);
      if (sw >= 0 && (sw_img < 0 || !route_maps(p, map, h, sw, g, sw_img) ||
                      !route_maps(p, map, sw, h, sw_img, g)))
        return false;
    }
  }
  return true;
}

static int gcd(int a, int b) { return b ? gcd(b, a % b) : a; }

/* Whether every collective of fixed job a builds as `want` (1: a reduced program of one class,
 * else a shifted program of that period). */
static bool programs_are(finder *f, size_t a, int want) {
  const nvl_wop *last = NULL;
  for (size_t i = f->op_start[a]; i < f->op_start[a + 1]; i++) {
    const nvl_wop *op = &f->wr->g.ops[f->op_list[i]];
    if (op->kind != NVL_WOP_COLLECTIVE)
      continue;
    if (last && last->coll == op->coll && last->algo == op->algo && last->proto == op->proto &&
        last->bytes == op->bytes)
      continue;
    last = op;
    nvl_program prog;
    const int *devs;
    nvl_program_init(&prog, 0);
    int rc = nvl_workload_build_as(f->wr, f->op_list[i], &f->mode[a], &prog, &devs);
    bool ok = rc == 0 && prog.reduced &&
              (want == 1 ? prog.shift == 0 && prog.classes.n_classes == 1 : prog.shift == want);
    nvl_program_release(&prog);
    if (!ok)
      return false;
  }
  return true;
}

/* How the fold simulates each job's collectives (f->mode): a fixed job's reduced (one class, when
 * its ranks are twins and move by one) or shifted (by gcd(n, shift)); every other job rank by
 * rank. */
static bool set_programs(finder *f) {
  const nvl_workload_run *wr = f->wr;
  for (size_t a = 0; a < f->n_jobs; a++) {
    nvl_comm_mode *c = &f->mode[a];
    c->alike = false;
    c->period = 0;
    if (!has_ops(f, a) || f->jmap[a] != a)
      continue;
    bool coll = false;
    for (size_t i = f->op_start[a]; i < f->op_start[a + 1]; i++)
      coll |= wr->g.ops[f->op_list[i]].kind == NVL_WOP_COLLECTIVE;
    if (!coll)
      continue;
    const nvl_job *J = &wr->spec->jobs[a];
    int r = rotation(f->pi[a], J->n);
    if (r <= 0)
      return false;
    int period = gcd(J->n, r);
    if (period == 1 && nvl_platform_alike(wr->p, J->devs, J->n)) {
      c->alike = true;
      if (programs_are(f, a, 1))
        continue;
      c->alike = false;
    }
    c->period = period;
    if (!programs_are(f, a, period))
      return false;
  }
  return true;
}

/* Lanes an operation runs as: before folding (its communicator as found), and kept in the fold. */
static double lanes_of(const finder *f, size_t x, bool folded, int k) {
  const nvl_wop *op = &f->wr->g.ops[x];
  int n = f->wr->spec->jobs[op->job].n;
  bool fixed = f->jmap[op->job] == (size_t)op->job;
  if (!folded) {
    if (op->kind == NVL_WOP_COLLECTIVE && f->wr->comms[op->job].mode.alike)
      return 2;
    return n;
  }
  if (!fixed || op->kind != NVL_WOP_COLLECTIVE) /* one copy in k, or one rank per orbit */
    return (double)n / k;
  const nvl_comm_mode *c = &f->mode[op->job];
  return c->alike ? 2 : c->period;
}

static bool worth_it(const finder *f, int k) {
  double before = 0, after = 0;
  for (size_t x = 0; x < f->n_ops; x++) {
    before += lanes_of(f, x, false, k);
    after += lanes_of(f, x, true, k);
  }
  return after < 0.75 * before;
}

/* Whether the rotation s(D[i]) = D[i + m] folds the workload; the fold if so. */
static nvl_fold *try_candidate(finder *f, const int *D, int N, int m, int k) {
  const nvl_workload_run *wr = f->wr;
  for (size_t d = 0; d < f->n_devs; d++)
    f->sig[d] = -1;
  for (int i = 0; i < N; i++)
    f->sig[D[i]] = D[(i + m) % N];
  for (int i = 0; i < N; i++)
    if (wr->d->devices[D[i]].type != wr->d->devices[f->sig[D[i]]].type)
      return NULL;
  size_t nl = 2 * nvl_platform_link_count(wr->p);
  int *map = nvl_xmalloc((nl + 1) * sizeof(int));
  nvl_fold *fo = NULL;
  for (size_t j = 0; j < f->n_jobs; j++) {
    free(f->pi[j]);
    f->pi[j] = NULL;
  }
  /* devices with network hosts too (across nodes): routes_map checks every pair's stripes */
  bool ok = nvl_platform_shift_hosts(wr->p, D, N, m, map);
  for (size_t a = 0; a < f->n_jobs && ok; a++)
    ok = !has_ops(f, a) || job_image(f, a);
  ok = ok && orbits_full(f, k) && deps_follow(f) && routes_map(f, map) && set_programs(f) &&
       worth_it(f, k);
  if (ok) {
    nvl_fold_parts pt = {D, N, m, k, map, f->img, f->jmap, f->pi, f->mode};
    fo = nvl_fold_make(wr, &pt);
  }
  free(map);
  return fo;
}

/* Jobs of n ranks with operations that partition the used devices, taken in job order where
 * they are disjoint from those taken; their number, 0 if they do not cover every used device. */
static int partition(const finder *f, int n, size_t n_used, int *fam) {
  const nvl_workload_spec *spec = f->wr->spec;
  bool *taken = nvl_xcalloc(f->n_devs + 1, sizeof(bool));
  int g = 0;
  size_t covered = 0;
  for (size_t a = 0; a < f->n_jobs; a++) {
    const nvl_job *J = &spec->jobs[a];
    if (!has_ops(f, a) || J->n != n)
      continue;
    bool free_ = true;
    for (int i = 0; i < n && free_; i++)
      free_ = !taken[J->devs[i]];
    if (!free_)
      continue;
    for (int i = 0; i < n; i++)
      taken[J->devs[i]] = true;
    covered += (size_t)n;
    fam[g++] = (int)a;
  }
  free(taken);
  return covered == n_used ? g : 0;
}

typedef struct {
  int size, jobs, k;
  bool rotate; /* every job's ranks rotate (k = size); else job g goes onto g + 1 (k = jobs) */
} candidate;

/* Largest k first; at equal k the smaller jobs first, rotations before shifts (a total order:
 * the same candidates tried in the same order whatever qsort does with ties). */
static int by_k(const void *a, const void *b) {
  const candidate *x = a, *y = b;
  if (x->k != y->k)
    return (y->k > x->k) - (y->k < x->k);
  if (x->size != y->size)
    return (x->size > y->size) - (x->size < y->size);
  return (int)y->rotate - (int)x->rotate;
}

/* The device order and period of a candidate over family fam. */
static int *candidate_order(const finder *f, const candidate *c, const int *fam, int *m) {
  const nvl_workload_spec *spec = f->wr->spec;
  int N = c->size * c->jobs;
  int *D = nvl_xmalloc((size_t)N * sizeof(int));
  for (int g = 0; g < c->jobs; g++)
    for (int t = 0; t < c->size; t++)
      D[c->rotate ? t * c->jobs + g : g * c->size + t] = spec->jobs[fam[g]].devs[t];
  *m = c->rotate ? c->jobs : c->size;
  return D;
}

nvl_fold *nvl_fold_find(const nvl_workload_run *wr) {
  const nvl_workload_spec *spec = wr->spec;
  if (spec->explicit_ranks || nvl_workload_fixed_routes(spec) || wr->g.n_ops < 2 ||
      spec->n_jobs < 2)
    return NULL;
  finder f;
  finder_init(&f, wr);
  bool *used = nvl_xcalloc(f.n_devs + 1, sizeof(bool));
  size_t n_used = 0;
  int max_n = 0;
  for (size_t a = 0; a < f.n_jobs; a++)
    if (has_ops(&f, a)) {
      for (int i = 0; i < spec->jobs[a].n; i++)
        n_used += !used[spec->jobs[a].devs[i]], used[spec->jobs[a].devs[i]] = true;
      if (spec->jobs[a].n > max_n)
        max_n = spec->jobs[a].n;
    }
  /* the candidates of every size that partitions the used devices, largest k first */
  candidate *cand = nvl_xmalloc(2 * ((size_t)max_n + 1) * sizeof *cand);
  size_t nc = 0;
  int *fam = nvl_xmalloc((n_used + 1) * sizeof(int));
  for (int n = 1; n <= max_n; n++) {
    int g = partition(&f, n, n_used, fam);
    if (g >= 1 && n >= 2)
      cand[nc++] = (candidate){n, g, n, true};
    if (g >= 2)
      cand[nc++] = (candidate){n, g, g, false};
  }
  qsort(cand, nc, sizeof *cand, by_k);
  nvl_fold *fo = NULL;
  for (size_t i = 0; i < nc && !fo; i++) {
    partition(&f, cand[i].size, n_used, fam);
    int m;
    int *D = candidate_order(&f, &cand[i], fam, &m);
    fo = try_candidate(&f, D, cand[i].size * cand[i].jobs, m, cand[i].k);
    free(D);
  }
  free(fam);
  free(cand);
  free(used);
  finder_release(&f);
  return fo;
}
