/*
 * mesh: ranks laid out over named parallel dimensions, as Megatron Core's RankGenerator lays
 * them out. An order such as "tp-cp-ep-dp-pp" names the dimensions, the first varying fastest:
 * rank = tp_index + tp (cp_index + cp (ep_index + ep (dp_index + dp pp_index))). The ranks of a
 * group of some dimensions ("tp", "dp-cp") are those that differ only in those dimensions; groups
 * are numbered by the other dimensions' indices in order, and a group's ranks by its own
 * dimensions' indices in order (Megatron's generate_masked_orthogonal_rank_groups), so that the
 * groups nvlsim builds are the ones Megatron builds for the same sizes and order.
 *
 * An LLM layout is two meshes over the same ranks (MoE parallel folding): the dense layers' (tp,
 * cp, dp, pp) and the experts' (etp, ep, edp, pp) in the same order (workload/llm.h).
 * Dimensions are at most NVL_MESH_MAX_DIMS; every operation is O(dimensions) per rank.
 */
#ifndef NVL_MESH_H
#define NVL_MESH_H

#include <stddef.h>

#define NVL_MESH_MAX_DIMS 8

typedef struct {
  int n;                            /* dimensions, in order (the first varies fastest) */
  char name[NVL_MESH_MAX_DIMS][12]; /* "tp", "cp", ... */
  long size[NVL_MESH_MAX_DIMS];     /* >= 1 */
  long stride[NVL_MESH_MAX_DIMS];   /* the product of the sizes before */
  long world;                       /* the product of all sizes */
} nvl_mesh;

typedef struct {
  const char *name;
  long size;
} nvl_mesh_dim;

/* The mesh of dims (n of them, sizes >= 1) in `order` ("tp-cp-ep-dp-pp": names separated by '-',
 * each once). A dimension the order leaves out must have size 1 (it is put last, as Megatron
 * does). Returns 0, or -1 with the reason in err (a name twice or unknown in the order, a size
 * of more than 1 left out of it, a world beyond 2^31). */
int nvl_mesh_init(nvl_mesh *m, const char *order, const nvl_mesh_dim *dims, int n, char *err,
                  size_t len);

/* The dimensions named in `names` ("tp", "dp-cp": '-'-separated) as a bit set over the mesh's
 * dimensions (bit i: dimension i), or 0 when a name is not the mesh's. */
unsigned nvl_mesh_mask(const nvl_mesh *m, const char *names);
/* The index of dimension `name`, or -1. */
int nvl_mesh_dim_index(const nvl_mesh *m, const char *name);

/* Rank r's index along dimension i. */
static inline long nvl_mesh_coord(const nvl_mesh *m, long r, int i) {
  return (r / m->stride[i]) % m->size[i];
}

/* The size of a group of the dimensions in mask. */
long nvl_mesh_group_size(const nvl_mesh *m, unsigned mask);
/* The ranks of group g (0 .. world / size - 1) of the dimensions in mask, in Megatron's order,
 * into out[group size]. */
void nvl_mesh_group(const nvl_mesh *m, unsigned mask, long g, int *out);
/* The group of the dimensions in mask that holds rank r, and r's position in it (*pos, if not
 * NULL). */
long nvl_mesh_group_of(const nvl_mesh *m, unsigned mask, long r, long *pos);

#endif
