/*
 * program: see program.h.
 */
#include "models/program.h"

#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"

static uint64_t budget = NVL_PROGRAM_BUDGET_DEFAULT, live;

void nvl_program_budget(uint64_t bytes) { budget = bytes ? bytes : NVL_PROGRAM_BUDGET_DEFAULT; }
uint64_t nvl_program_budget_get(void) { return budget; }
uint64_t nvl_program_live(void) { return live; }

/* Whether p may grow by `more` bytes (counted when it may); past the budget it is marked. A
 * program that has nothing yet always gets its first slot (bounded per lane). */
static bool may_grow(nvl_program *p, size_t more, bool first) {
  if (!first && (p->over_budget || live + more > budget)) {
    p->over_budget = true;
    return false;
  }
  live += more;
  p->bytes += more;
  return true;
}

void nvl_program_init(nvl_program *p, int n_ranks) {
  memset(p, 0, sizeof *p);
  p->n_ranks = n_ranks;
}

void nvl_program_release(nvl_program *p) {
  live -= p->bytes;
  for (size_t i = 0; i < p->n_lanes; i++)
    free(p->lanes[i].ops);
  free(p->lanes);
  free(p->weights);
  free(p->refs);
  free(p->classes.class_of);
  free(p->classes.up);
  free(p->classes.down);
  memset(p, 0, sizeof *p);
}

int nvl_program_lane(nvl_program *p, int rank, int host) {
  if (p->n_lanes == p->cap_lanes) {
    size_t cap = p->cap_lanes ? 2 * p->cap_lanes : 1;
    if (!may_grow(p, (cap - p->cap_lanes) * sizeof *p->lanes, p->cap_lanes == 0))
      return 0; /* over budget: lane 0 takes what follows */
    p->cap_lanes = cap;
    p->lanes = nvl_xrealloc(p->lanes, p->cap_lanes * sizeof *p->lanes);
  }
  nvl_lane *l = &p->lanes[p->n_lanes];
  memset(l, 0, sizeof *l);
  l->rank = rank;
  l->host = host;
  return (int)p->n_lanes++;
}

void nvl_program_op(nvl_program *p, int lane, nvl_op_kind kind, int peer, double value) {
  nvl_lane *l = &p->lanes[lane];
  if (l->n_ops == l->cap_ops) {
    size_t cap = l->cap_ops ? 2 * l->cap_ops : 2;
    if (may_grow(p, (cap - l->cap_ops) * sizeof *l->ops, l->cap_ops == 0)) {
      l->cap_ops = cap;
      l->ops = nvl_xrealloc(l->ops, l->cap_ops * sizeof *l->ops);
    } else {
      l->n_ops = 0; /* over budget: overwrite, so that the memory stays bounded */
    }
  }
  l->ops[l->n_ops++] = (nvl_op){.peer = (uint32_t)peer, .kind = (uint8_t)kind, .value = value};
}

void nvl_program_send(nvl_program *p, int lane, int peer, double bytes, int channels) {
  nvl_program_op(p, lane, NVL_OP_SEND, peer, bytes);
  nvl_lane *l = &p->lanes[lane];
  l->ops[l->n_ops - 1].channels = (uint8_t)(channels < 0 ? 0 : channels > 255 ? 255 : channels);
}

void nvl_program_floor(nvl_program *p, double seconds) {
  if (seconds <= 0 || p->n_ranks < 1)
    return;
  /* rank 0's lane place: the lane only waits, so where it runs does not matter */
  nvl_program_op(p, nvl_program_lane(p, 0, -1), NVL_OP_DELAY, 0, seconds);
}

void nvl_program_reduce(nvl_program *p, int n_classes) {
  p->reduced = true;
  p->classes.n_classes = n_classes;
  p->classes.class_of = nvl_xcalloc((size_t)p->n_ranks + 1, sizeof(int));
  p->classes.up = nvl_xcalloc((size_t)n_classes + 1, sizeof(int));
  p->classes.down = nvl_xcalloc((size_t)n_classes + 1, sizeof(int));
}

void nvl_program_reduce_shift(nvl_program *p, int m) {
  p->reduced = true;
  p->shift = m;
}

/* 1 + the index of an entry in a table of distinct entries, added when new. */
static uint16_t intern(void **table, size_t *n, size_t *cap, size_t size, const void *entry) {
  for (size_t i = 0; i < *n; i++)
    if (memcmp((const char *)*table + i * size, entry, size) == 0)
      return (uint16_t)(i + 1);
  if (*n == 65535)
    abort(); /* builders use a handful of distinct entries */
  if (*n == *cap) {
    *cap = *cap ? 2 * *cap : 8;
    *table = nvl_xrealloc(*table, *cap * size);
  }
  memcpy((char *)*table + *n * size, entry, size);
  return (uint16_t)++ * n;
}

void nvl_program_send_weighted(nvl_program *p, int lane, uint32_t peer, double bytes, int channels,
                               uint32_t w_out, uint32_t w_in) {
  nvl_weight w = {w_out, w_in};
  uint16_t aux = intern((void **)&p->weights, &p->n_weights, &p->cap_weights, sizeof w, &w);
  nvl_program_send(p, lane, (int)peer, bytes, channels);
  nvl_lane *l = &p->lanes[lane];
  l->ops[l->n_ops - 1].peer = peer;
  l->ops[l->n_ops - 1].aux = aux;
}

void nvl_program_recv_ref(nvl_program *p, int lane, int from, uint32_t dest, uint32_t count) {
  nvl_recv_ref r = {dest, count};
  uint16_t aux = intern((void **)&p->refs, &p->n_refs, &p->cap_refs, sizeof r, &r);
  nvl_program_op(p, lane, NVL_OP_RECV, from, 0);
  nvl_lane *l = &p->lanes[lane];
  l->ops[l->n_ops - 1].aux = aux;
}
