/*
 * algorithms: the collective algorithms, in one table. A row says which collectives the
 * algorithm runs, whether `auto` may choose it, how its program is built, and how NCCL predicts
 * its time (the tuner's model, models/tuner.h), which is what `auto` compares:
 *
 *   ring   all_reduce, reduce_scatter, all_gather as rings (NCCL's ring pipeline under the default
 *          model, over the ring orders NCCL's search finds); broadcast and reduce as pipelined
 *          chains
 *   tree   all_reduce as NCCL's double binary tree (only when asked: NCCL's prediction never
 *          prefers it inside one NVLink domain)
 *   nvls   all_reduce by in-switch reduction through NCCL's head ranks (NVSwitch with SHARP)
 *   p2p    alltoall and sendrecv: every transfer at once, each on NCCL's point-to-point channels
 *
 * Adding an algorithm is adding its enum value (models/collectives.h), a row here and its builder
 * (models/builders.h); names in help and error messages come from the table.
 */
#ifndef NVL_ALGORITHMS_H
#define NVL_ALGORITHMS_H

#include <stdbool.h>
#include <stddef.h>

#include "models/calibration.h"
#include "models/collectives.h"
#include "models/tuner.h"

typedef struct {
  nvl_algo algo;
  const char *name;
  unsigned colls;      /* NVL_COLL_BIT() of every collective it runs */
  bool auto_candidate; /* `auto` may pick it */
  /* appends the algorithm's program for s to p (lanes included); -1 if it cannot */
  int (*build)(const nvl_coll_spec *s, nvl_program *p);
  /* NCCL's predicted time of s bytes under protocol pr (INFINITY where NCCL would not run it),
   * or NULL where NCCL makes no prediction (point-to-point) */
  double (*predict)(const nvl_calibration *c, const nvl_tuner_comm *m, nvl_coll coll, nvl_proto pr,
                    uint64_t bytes);
} nvl_algorithm;

/* The row of an algorithm (not AUTO), or NULL. */
const nvl_algorithm *nvl_algorithm_get(nvl_algo a);
/* Whether algorithm a runs collective c. */
bool nvl_algo_runs(nvl_algo a, nvl_coll c);

/* Names: "auto" and the table's. */
const char *nvl_algo_name(nvl_algo a);
int nvl_algo_parse(const char *name, nvl_algo *out);
/* Every name, for messages and help: "ring, tree, nvls, p2p or auto" (sep ", " and " or "), or
 * with sep "|": "ring|tree|nvls|p2p|auto". */
void nvl_algo_names(const char *sep, char *out, size_t len);

#endif
