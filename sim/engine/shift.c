/*
 * shift: running shifted programs (models/program.h): lanes for one block of ranks, standing for
 * every block, on a platform where shifting the ranks by a block is a symmetry (platform.h,
 * nvl_platform_shift). Each orbit of link directions under the shift has one canonical member,
 * the lowest-numbered. A rerouted program's transfers run over canonical link directions only
 * (the images of their real routes' links): a transfer from block 0 to block j then loads the
 * link into block 0 that stands for the link into block j, which every block's copy loads as
 * much, so each canonical link carries what each link of its orbit carries. SimGrid gets these
 * routes through the engine's routing zone (load.c), for the pairs of hosts the task uses and
 * while it runs. At the end every link direction's bytes and peak go to its images (reduced.c).
 * Costs: O(ranks x route length + link directions x blocks) per task.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"
#include "engine/runtime.h"

int nvl_sh_prepare(nvl_engine *e, task_rt *t) {
  int n = t->prog.n_ranks, m = t->prog.shift;
  size_t nl = 2 * nvl_platform_link_count(e->p);
  t->shift_map = nvl_xmalloc((nl + 1) * sizeof(int));
  if (!nvl_platform_shift_hosts(e->p, t->devs, n, m, t->shift_map)) {
    nvl_diag_add(e->diags, NVL_SEV_ERROR, NVL_DIAG_LIMIT, NULL,
                 "internal error: task %zu is shifted by %d ranks, which is no symmetry", t->id, m);
    return -1;
  }
  if (!t->prog.reroute)
    return 0;
  if (e->g->dump_platform || e->g->platform_xml) {
    nvl_diag_add(e->diags, NVL_SEV_ERROR, NVL_DIAG_LIMIT, NULL,
                 "internal error: task %zu reroutes, which an XML platform cannot", t->id);
    return -1;
  }
  t->canon = nvl_xmalloc((nl + 1) * sizeof(int));
  for (size_t k = 0; k < nl; k++) {
    int low = (int)k;
    for (int cur = t->shift_map[k], j = 1; cur >= 0 && cur != (int)k && j < n / m; j++) {
      if (cur < low)
        low = cur;
      cur = t->shift_map[cur];
    }
    t->canon[k] = low;
  }
  return 0;
}

/* Every link direction of a route replaced by its canonical member (canon[2 * link + dir]);
 * whether none changed. */
static bool to_canonical(const int *canon, int *links, int *dirs, int n) {
  bool same = true;
  for (int k = 0; k < n; k++) {
    int d = 2 * links[k] + (dirs[k] > 0 ? 0 : 1), c = canon[d];
    same &= c == d;
    links[k] = c / 2;
    dirs[k] = c % 2 == 0 ? 1 : -1;
  }
  return same;
}

int nvl_rt_route(const nvl_engine *e, int from, int to, int *links, int *dirs, int max) {
  if (e->g->link_canon) { /* a folded graph's: canonical (engine.h) */
    int n = nvl_platform_route(e->p, from, to, links, dirs, max);
    to_canonical(e->g->link_canon, links, dirs, n);
    return n;
  }
  uint32_t i = nvl_u64map_find(&e->ovr_of, nvl_u64map_pair((uint32_t)from, (uint32_t)to));
  if (i == UINT32_MAX || !e->ovr[i].live)
    return nvl_platform_route(e->p, from, to, links, dirs, max);
  const reroute *r = &e->ovr[i];
  if (r->len > max)
    return -1;
  memcpy(links, e->ovr_links + r->start, (size_t)r->len * sizeof(int));
  memcpy(dirs, e->ovr_dirs + r->start, (size_t)r->len * sizeof(int));
  return r->len;
}

void nvl_sh_reroute(nvl_engine *e, task_rt *t, int from, int to) {
  uint32_t at = nvl_u64map_find(&e->ovr_of, nvl_u64map_pair((uint32_t)from, (uint32_t)to));
  if (at != UINT32_MAX && e->ovr[at].live)
    return; /* registered by this task already: a pair's canonical route depends on the pair */
  int links[64], dirs[64];
  int n = nvl_platform_route(e->p, from, to, links, dirs, 64);
  bool same = to_canonical(t->canon, links, dirs, n);
  if (same || n <= 0)
    return;
  bool added;
  uint32_t i = nvl_u64map_get_or_add(&e->ovr_of, nvl_u64map_pair((uint32_t)from, (uint32_t)to),
                                     (uint32_t)e->n_ovr, &added);
  if (!added && e->ovr[i].len == n) { /* an earlier task's: the same shift gives the same route */
    memcpy(e->ovr_links + e->ovr[i].start, links, (size_t)n * sizeof(int));
    memcpy(e->ovr_dirs + e->ovr[i].start, dirs, (size_t)n * sizeof(int));
    e->ovr[i].task = t->id;
    e->ovr[i].live = true;
    return;
  }
  if (added) {
    if (e->n_ovr == e->cap_ovr) {
      e->cap_ovr = e->cap_ovr ? 2 * e->cap_ovr : 256;
      e->ovr = nvl_xrealloc(e->ovr, e->cap_ovr * sizeof *e->ovr);
    }
    e->n_ovr++;
  }
  if (e->n_ovr_links + (size_t)n > e->cap_ovr_links) {
    e->cap_ovr_links = 2 * (e->n_ovr_links + (size_t)n) + 1024;
    e->ovr_links = nvl_xrealloc(e->ovr_links, e->cap_ovr_links * sizeof(int));
    e->ovr_dirs = nvl_xrealloc(e->ovr_dirs, e->cap_ovr_links * sizeof(int));
  }
  memcpy(e->ovr_links + e->n_ovr_links, links, (size_t)n * sizeof(int));
  memcpy(e->ovr_dirs + e->n_ovr_links, dirs, (size_t)n * sizeof(int));
  e->ovr[i] = (reroute){(int)e->n_ovr_links, n, t->id, true};
  e->n_ovr_links += (size_t)n;
}

void nvl_sh_release(nvl_engine *e, task_rt *t) {
  if (t->canon)
    for (size_t i = 0; i < e->n_ovr; i++)
      if (e->ovr[i].live && e->ovr[i].task == t->id)
        e->ovr[i].live = false;
  free(t->shift_map);
  free(t->canon);
  t->shift_map = t->canon = NULL;
}
