/*
 * llm_layout: a layout's two meshes (workload/mesh.h: the dense layers' and the experts', over the
 * same ranks in the same order) and its streams: the ranks of a stage that TP, CP and EP groups
 * couple (the connected components of those groups, found by union-find over one stage's ranks,
 * O(ranks)), which step together in the step's graph (llm_step.c). A stage's streams are the
 * images of stage 0's under the pipeline groups, so positions in a stream hold for every stage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"
#include "workload/llm_internal.h"

#define ERR(...) nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_SCHEMA, "", __VA_ARGS__)

static int find(int *up, int x) {
  while (up[x] != x)
    x = up[x] = up[up[x]];
  return x;
}

/* Joins the ranks of every group of mask (of mesh m) that lies in stage 0: local[rank] is its
 * index among stage 0's ranks, or -1. */
static void join_groups(const nvl_mesh *m, unsigned mask, const int *local, int *up) {
  long n = nvl_mesh_group_size(m, mask), groups = m->world / n;
  int *r = nvl_xmalloc((size_t)n * sizeof *r);
  for (long g = 0; g < groups; g++) {
    nvl_mesh_group(m, mask, g, r);
    if (local[r[0]] < 0)
      continue;
    for (long i = 1; i < n; i++)
      up[find(up, local[r[i]])] = find(up, local[r[0]]);
  }
  free(r);
}

/* Positions in stream q of each group of mask (groups of size n, in order of their first rank's
 * position) into pos[q * stream_size ..], and each position's g * n + j into of (if not NULL). */
static void group_positions(llm_shape *sh, const nvl_mesh *m, unsigned mask, const int *where,
                            int *pos, int *of) {
  long n = nvl_mesh_group_size(m, mask);
  int ss = sh->stream_size, *r = nvl_xmalloc((size_t)n * sizeof *r);
  for (int q = 0; q < sh->streams; q++) {
    int g = 0;
    for (int i = 0; i < ss; i++) {
      long at;
      long grp = nvl_mesh_group_of(m, mask, llm_rank(sh, q, 0, i), &at);
      if (at != 0) /* a group is taken at its first rank */
        continue;
      nvl_mesh_group(m, mask, grp, r);
      for (long j = 0; j < n; j++) {
        int p = where[r[j]];
        pos[q * ss + g * n + j] = p;
        if (of)
          of[q * ss + p] = (int)(g * n + j);
      }
      g++;
    }
  }
  free(r);
}

int nvl_llm_stages(llm_shape *sh, nvl_diags *diags) {
  const nvl_llm_layout *l = sh->lay;
  long v = llm_vp(l), V = l->pp * v, L = sh->m->layers, first = l->first_layers,
       last = l->last_layers;
  if (l->vp > 1 && l->pp == 1)
    return ERR("vp %ld interleaves a pipeline's chunks: give pp > 1", l->vp), -1;
  if (v > 1 && l->microbatches % l->pp)
    return ERR("vp %ld: the %ld micro-batches must be a multiple of pp %ld (Megatron's interleaved "
               "schedule runs them in groups of pp)",
               v, l->microbatches, l->pp),
           -1;
  if (first < 0 || last < 0 || ((first || last) && V < 2))
    return ERR("first and last stage layers need pp x vp of at least 2 and sizes of at least 0"),
           -1;
  long middle = V - (first > 0) - (last > 0), rest = L - first - last;
  char stages[64] = "";
  if (v > 1)
    snprintf(stages, sizeof stages, " x vp %ld = %ld stages", v, V);
  if (rest < 0 || (middle == 0 ? rest != 0 : rest % middle != 0 || rest / middle == 0)) {
    if (!first && !last)
      return ERR("pp %ld%s does not divide the model's %ld layers (give --first-stage-layers "
                 "and --last-stage-layers for uneven stages, as Megatron's "
                 "--decoder-first/last-pipeline-num-layers)",
                 l->pp, stages, L),
             -1;
    return ERR("the model's %ld layers less %ld on the first stage and %ld on the last do not "
               "split evenly over the other %ld stages (pp %ld%s)",
               L, first, last, middle, l->pp, stages),
           -1;
  }
  sh->vstages = V;
  sh->vfirst = nvl_xmalloc((size_t)(V + 1) * sizeof *sh->vfirst);
  sh->vfirst[0] = 0;
  for (long vs = 0; vs < V; vs++)
    sh->vfirst[vs + 1] = sh->vfirst[vs] + (vs == 0 && first      ? first
                                           : vs == V - 1 && last ? last
                                                                 : rest / middle);
  return 0;
}

int nvl_llm_meshes(llm_shape *sh, nvl_diags *diags) {
  const nvl_llm_layout *l = sh->lay;
  char err[160];
  long cp = llm_cp(l), per_stage = l->tp * cp * l->dp;
  long etp = llm_etp(l);
  if (per_stage % (etp * l->ep))
    return ERR("etp %ld x ep %ld = %ld does not divide the %ld ranks of a pipeline stage (tp x cp "
               "x dp: the experts' mesh folds over the dense layers' ranks)",
               etp, l->ep, etp * l->ep, per_stage),
           -1;
  sh->edp = per_stage / (etp * l->ep);
  const char *order = l->order[0] ? l->order : NVL_LLM_ORDER;
  nvl_mesh_dim dd[] = {{"tp", l->tp}, {"cp", cp}, {"ep", 1}, {"dp", l->dp}, {"pp", l->pp}};
  nvl_mesh_dim ed[] = {{"tp", etp}, {"cp", 1}, {"ep", l->ep}, {"dp", sh->edp}, {"pp", l->pp}};
  if (nvl_mesh_init(&sh->dense, order, dd, 5, err, sizeof err) != 0 ||
      nvl_mesh_init(&sh->expert, order, ed, 5, err, sizeof err) != 0)
    return ERR("--%s (an order names tp, cp, ep, dp and pp, each once)", err), -1;
  int ppd = nvl_mesh_dim_index(&sh->dense, "pp");
  if (sh->dense.stride[ppd] != sh->expert.stride[nvl_mesh_dim_index(&sh->expert, "pp")])
    return ERR("order \"%s\": the dense layers' and the experts' pipeline groups differ (Megatron "
               "needs pp last unless etp x ep x edp lays out as tp x dp: put pp last)",
               order),
           -1;
  int n = sh->ranks, *local = nvl_xmalloc((size_t)n * sizeof *local), k = 0;
  int *stage0 = nvl_xmalloc((size_t)per_stage * sizeof *stage0);
  for (int r = 0; r < n; r++) {
    local[r] = nvl_mesh_coord(&sh->dense, r, ppd) == 0 ? k : -1;
    if (local[r] >= 0)
      stage0[k++] = r;
  }
  int *up = nvl_xmalloc((size_t)per_stage * sizeof *up);
  for (int i = 0; i < per_stage; i++)
    up[i] = i;
  join_groups(&sh->dense, nvl_mesh_mask(&sh->dense, "tp-cp"), local, up);
  join_groups(&sh->expert, nvl_mesh_mask(&sh->expert, "tp-ep"), local, up);
  /* streams in order of their first rank, each's ranks ascending */
  int *stream_of = nvl_xmalloc((size_t)per_stage * sizeof *stream_of);
  int *count = nvl_xcalloc((size_t)per_stage, sizeof *count), streams = 0;
  for (int i = 0; i < per_stage; i++)
    stream_of[i] = -1;
  for (int i = 0; i < per_stage; i++) {
    int root = find(up, i);
    if (stream_of[root] < 0)
      stream_of[root] = streams++;
    count[stream_of[root]]++;
  }
  int rc = 0;
  for (int q = 0; q < streams && rc == 0; q++)
    if (count[q] != count[0]) {
      ERR("order \"%s\" couples the ranks of a stage unevenly (%d and %d ranks): choose another "
          "order",
          order, count[0], count[q]);
      rc = -1;
    }
  if (rc == 0) {
    sh->streams = streams;
    sh->stream_size = (int)(per_stage / streams);
    sh->at = nvl_xmalloc((size_t)n * sizeof *sh->at);
    int *fill = nvl_xcalloc((size_t)streams, sizeof *fill), *where = local;
    for (int i = 0; i < per_stage; i++) {
      int q = stream_of[find(up, i)];
      for (long s = 0; s < l->pp; s++)
        sh->at[((size_t)s * (size_t)streams + (size_t)q) * (size_t)sh->stream_size +
               (size_t)fill[q]] = stage0[i] + (int)(s * sh->dense.stride[ppd]);
      where[stage0[i]] = fill[q]++;
    }
    size_t cells = (size_t)streams * (size_t)sh->stream_size;
    sh->tp_pos = nvl_xmalloc(cells * sizeof *sh->tp_pos);
    sh->ep_pos = nvl_xmalloc(cells * sizeof *sh->ep_pos);
    sh->ep_of = nvl_xmalloc(cells * sizeof *sh->ep_of);
    group_positions(sh, &sh->dense, nvl_mesh_mask(&sh->dense, "tp"), where, sh->tp_pos, NULL);
    group_positions(sh, &sh->expert, nvl_mesh_mask(&sh->expert, "ep"), where, sh->ep_pos,
                    sh->ep_of);
    sh->cp_pos = nvl_xmalloc(cells * sizeof *sh->cp_pos);
    group_positions(sh, &sh->dense, nvl_mesh_mask(&sh->dense, "cp"), where, sh->cp_pos, NULL);
    sh->etp_pos = nvl_xmalloc(cells * sizeof *sh->etp_pos);
    sh->etp_of = nvl_xmalloc(cells * sizeof *sh->etp_of);
    group_positions(sh, &sh->expert, nvl_mesh_mask(&sh->expert, "tp"), where, sh->etp_pos,
                    sh->etp_of);
    free(fill);
  }
  free(local), free(stage0), free(up), free(stream_of), free(count);
  return rc ? -1 : 0;
}

void nvl_llm_meshes_release(llm_shape *sh) {
  free(sh->at), free(sh->tp_pos), free(sh->ep_pos), free(sh->ep_of), free(sh->etp_pos),
      free(sh->etp_of), free(sh->cp_pos);
  sh->at = sh->tp_pos = sh->ep_pos = sh->ep_of = sh->etp_pos = sh->etp_of = sh->cp_pos = NULL;
}
