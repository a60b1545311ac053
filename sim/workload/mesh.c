/*
 * mesh: see mesh.h. A group's index and a rank's position in it are the mixed-radix numbers of
 * the indices outside and inside the mask, each in the mesh's order (Megatron's decompose and
 * inner product).
 */
#include "workload/mesh.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

int nvl_mesh_dim_index(const nvl_mesh *m, const char *name) {
  for (int i = 0; i < m->n; i++)
    if (strcmp(m->name[i], name) == 0)
      return i;
  return -1;
}

int nvl_mesh_init(nvl_mesh *m, const char *order, const nvl_mesh_dim *dims, int n, char *err,
                  size_t len) {
  memset(m, 0, sizeof *m);
  if (n > NVL_MESH_MAX_DIMS)
    return snprintf(err, len, "more than %d dimensions", NVL_MESH_MAX_DIMS), -1;
  bool placed[NVL_MESH_MAX_DIMS] = {false};
  const char *p = order;
  while (*p) {
    size_t k = strcspn(p, "-");
    int i = 0;
    while (i < n && !(strlen(dims[i].name) == k && strncmp(dims[i].name, p, k) == 0))
      i++;
    if (i == n || placed[i])
      return snprintf(err, len, "order \"%.60s\": \"%.*s\" is %s", order, (int)(k > 12 ? 12 : k), p,
                      i == n ? "not a dimension" : "named twice"),
             -1;
    placed[i] = true;
    snprintf(m->name[m->n], sizeof m->name[0], "%s", dims[i].name);
    m->size[m->n++] = dims[i].size;
    p += k;
    if (*p == '-' && *++p == '\0')
      return snprintf(err, len, "order \"%.60s\" ends with '-'", order), -1;
  }
  for (int i = 0; i < n; i++) /* left out: size 1 only, at the end */
    if (!placed[i]) {
      if (dims[i].size != 1)
        return snprintf(err, len, "order \"%.60s\" leaves out %s, whose size is %ld", order,
                        dims[i].name, dims[i].size),
               -1;
      snprintf(m->name[m->n], sizeof m->name[0], "%s", dims[i].name);
      m->size[m->n++] = 1;
    }
  long w = 1;
  for (int i = 0; i < m->n; i++) {
    if (m->size[i] < 1 || __builtin_mul_overflow(w, m->size[i], &w) || w > 0x7fffffffL)
      return snprintf(err, len,
                      "%s size %ld: the mesh needs sizes of at least 1 and at most "
                      "2^31 ranks",
                      m->name[i], m->size[i]),
             -1;
    m->stride[i] = i ? m->stride[i - 1] * m->size[i - 1] : 1;
  }
  m->world = w;
  return 0;
}

unsigned nvl_mesh_mask(const nvl_mesh *m, const char *names) {
  unsigned mask = 0;
  const char *p = names;
  while (*p) {
    size_t k = strcspn(p, "-");
    char one[16];
    if (k == 0 || k >= sizeof one)
      return 0;
    memcpy(one, p, k);
    one[k] = '\0';
    int i = nvl_mesh_dim_index(m, one);
    if (i < 0)
      return 0;
    mask |= 1u << i;
    p += k + (p[k] == '-');
  }
  return mask;
}

long nvl_mesh_group_size(const nvl_mesh *m, unsigned mask) {
  long s = 1;
  for (int i = 0; i < m->n; i++)
    if (mask >> i & 1)
      s *= m->size[i];
  return s;
}

/* The rank whose indices inside the mask spell `pos` and outside it `g`, both in order. */
static long compose(const nvl_mesh *m, unsigned mask, long g, long pos) {
  long r = 0;
  for (int i = 0; i < m->n; i++) {
    long *x = mask >> i & 1 ? &pos : &g;
    r += (*x % m->size[i]) * m->stride[i];
    *x /= m->size[i];
  }
  return r;
}

void nvl_mesh_group(const nvl_mesh *m, unsigned mask, long g, int *out) {
  long n = nvl_mesh_group_size(m, mask);
  for (long i = 0; i < n; i++)
    out[i] = (int)compose(m, mask, g, i);
}

long nvl_mesh_group_of(const nvl_mesh *m, unsigned mask, long r, long *pos) {
  long g = 0, p = 0, gs = 1, ps = 1;
  for (int i = 0; i < m->n; i++) {
    long c = nvl_mesh_coord(m, r, i);
    if (mask >> i & 1)
      p += c * ps, ps *= m->size[i];
    else
      g += c * gs, gs *= m->size[i];
  }
  if (pos)
    *pos = p;
  return g;
}
