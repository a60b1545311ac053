/*
 * u64map: see u64map.h.
 */
#include "base/u64map.h"

#include <stdlib.h>

#include "base/xalloc.h"

static size_t hash64(uint64_t x) {
  x ^= x >> 30;
  x *= 0xBF58476D1CE4E5B9ull;
  x ^= x >> 27;
  x *= 0x94D049BB133111EBull;
  x ^= x >> 31;
  return (size_t)x;
}

static size_t slot(const uint64_t *keys, size_t cap, uint64_t key) {
  size_t h = hash64(key) & (cap - 1);
  while (keys[h] != UINT64_MAX && keys[h] != key)
    h = (h + 1) & (cap - 1);
  return h;
}

static void grow(nvl_u64map *m) {
  size_t cap = m->cap ? 2 * m->cap : 64;
  uint64_t *keys = nvl_xmalloc(cap * sizeof *keys);
  uint32_t *vals = nvl_xmalloc(cap * sizeof *vals);
  for (size_t i = 0; i < cap; i++)
    keys[i] = UINT64_MAX;
  for (size_t i = 0; i < m->cap; i++)
    if (m->keys[i] != UINT64_MAX) {
      size_t h = slot(keys, cap, m->keys[i]);
      keys[h] = m->keys[i];
      vals[h] = m->vals[i];
    }
  free(m->keys);
  free(m->vals);
  m->keys = keys;
  m->vals = vals;
  m->cap = cap;
}

uint32_t nvl_u64map_get_or_add(nvl_u64map *m, uint64_t key, uint32_t fresh, bool *added) {
  if (2 * (m->n + 1) > m->cap)
    grow(m);
  size_t h = slot(m->keys, m->cap, key);
  if (added)
    *added = m->keys[h] == UINT64_MAX;
  if (m->keys[h] == UINT64_MAX) {
    m->keys[h] = key;
    m->vals[h] = fresh;
    m->n++;
  }
  return m->vals[h];
}

uint32_t nvl_u64map_find(const nvl_u64map *m, uint64_t key) {
  if (m->cap == 0)
    return UINT32_MAX;
  size_t h = slot(m->keys, m->cap, key);
  return m->keys[h] == UINT64_MAX ? UINT32_MAX : m->vals[h];
}

void nvl_u64map_release(nvl_u64map *m) {
  free(m->keys);
  free(m->vals);
  *m = (nvl_u64map)NVL_U64MAP_INIT;
}
