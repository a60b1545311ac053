/*
 * u64map: a map from 64-bit keys to 32-bit values (indices into the caller's own array), by
 * open addressing with linear probing at most half full; keys are spread by splitmix64's
 * finaliser, so keys that differ only in their high half (a pair's first member) spread as well
 * as keys that differ in their low half. Lookups and inserts cost O(1) expected; the table
 * doubles when it reaches half full. UINT64_MAX is not a valid key.
 */
#ifndef NVL_U64MAP_H
#define NVL_U64MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
  uint64_t *keys; /* UINT64_MAX marks an empty slot; owned */
  uint32_t *vals;
  size_t n, cap;
} nvl_u64map;

#define NVL_U64MAP_INIT                                                                            \
  { NULL, NULL, 0, 0 }

/* The key of an ordered pair of 32-bit numbers. */
static inline uint64_t nvl_u64map_pair(uint32_t a, uint32_t b) { return (uint64_t)a << 32 | b; }

/* The value of `key`; when absent, stores `fresh` for it and sets *added (if not NULL). */
uint32_t nvl_u64map_get_or_add(nvl_u64map *m, uint64_t key, uint32_t fresh, bool *added);
/* The value of `key`, or UINT32_MAX when absent. */
uint32_t nvl_u64map_find(const nvl_u64map *m, uint64_t key);
void nvl_u64map_release(nvl_u64map *m);

/* FNV-1a: bytes p[0..n) folded into h; start from NVL_FNV1A_BASIS. A text's key, for the map. */
#define NVL_FNV1A_BASIS 14695981039346656037ull
static inline uint64_t nvl_fnv1a(uint64_t h, const void *p, size_t n) {
  for (size_t i = 0; i < n; i++)
    h = (h ^ ((const unsigned char *)p)[i]) * 1099511628211ull;
  return h;
}

#endif
