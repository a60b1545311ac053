/*
 * fold_internal: the fold's state, shared by its finder (fold_find.c) and its runner (fold.c).
 */
#ifndef NVL_FOLD_INTERNAL_H
#define NVL_FOLD_INTERNAL_H

#include <stdint.h>

#include "workload/fold.h"
#include "workload/run.h"

enum {
  FOLD_FREE,  /* an orbit of k operations: the first one runs, on canonical links */
  FOLD_FIXED, /* a fixed job's collective: its communicator's reduced or shifted program */
  FOLD_SUB    /* a fixed job's traffic or computing: one rank per orbit of ranks acts */
};

struct nvl_fold {
  const nvl_workload_run *wr;
  int k;
  size_t n_ops;
  size_t *img;        /* [op]: its image under the symmetry */
  size_t *rep;        /* [op]: folded index of its orbit's first member */
  uint8_t *kind;      /* [op]: FOLD_* */
  uint8_t **rank_rep; /* [job]: fixed jobs: whether each rank is the first of its orbit */
  size_t n_jobs;
  nvl_comm_mode *mode; /* [job]: how its collectives run in the fold (the finder's answer) */
  /* the folded graph */
  size_t n_q;
  size_t *orig; /* [folded op]: the operation it is */
  size_t *dep_start, *deps;
  int *link_canon;
  double *link_weight;
  int *host_canon;
};

/* qsort's order of size_t values. */
static inline int nvl_fold_cmp_size(const void *a, const void *b) {
  size_t x = *(const size_t *)a, y = *(const size_t *)b;
  return (x > y) - (x < y);
}

/* What the finder (fold_find.c) found: the symmetry s(D[i]) = D[(i + m) mod N] of order k, the
 * image of every link direction (-1: fixed), of every operation and of every job, and the rank
 * renaming of every job onto itself (NULL for the others). */
typedef struct {
  const int *D;
  int N, m, k;
  const int *link_map;
  const size_t *img, *jmap;
  int *const *pi;
  const nvl_comm_mode *mode; /* [job]: how its collectives run in the fold */
} nvl_fold_parts;

/* The fold of a symmetry that holds (fold.c), or NULL if a link orbit's size does not divide k. */
nvl_fold *nvl_fold_make(const nvl_workload_run *wr, const nvl_fold_parts *pt);

#endif
