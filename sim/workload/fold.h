/*
 * fold: one operation per orbit of a workload's symmetry (the jobs of a mixed workload: an LLM
 * step's tensor-parallel groups, alike jobs on alike racks), exact, and expanded back.
 *
 * A symmetry here is a rotation s of the workload's devices of order k, given by a device order D
 * and a period m: s(D[i]) = D[(i + m) mod |D|], such that
 *   - s is a symmetry of the platform keeping endpoint types (platform.h, nvl_platform_shift,
 *     which also gives the image of every link direction);
 *   - s maps every job with operations onto a job whose devices are their images, with the same
 *     operations in the same order, ranks renamed, and every operation's dependencies onto its
 *     image's (a job may go onto itself: a fixed job);
 *   - every orbit has k members: a job that is not fixed has k images, and s moves every rank of
 *     a fixed job through k ranks.
 * Candidates come from a partition of the used devices into jobs of one size n (G jobs): the
 * rotation of every such job's ranks at once (k = n), and the shift of job g onto job g + 1
 * (k = G). The first that holds, largest k first, is taken.
 *
 * The folded graph keeps the first operation of each orbit (an operation of a fixed job is its
 * own orbit) and runs it on canonical links: every route goes over the lowest-numbered member of
 * each of its link directions' orbits and counts k / |orbit| times there (the copies crossing each
 * member), and computing runs on one host per orbit of hosts (engine.h). Members of an orbit carry
 * alike loads at alike times, so this is exact: each member carries what its canonical member
 * carries, and each operation takes its orbit's first member's times. Operations of fixed jobs run
 * reduced: a collective as a reduced program of one class (s moves rank r to r + 1, the ranks
 * twins) or as a shifted program (period gcd(n, shift)); a traffic pattern with the sends of one
 * rank per orbit of ranks (each standing for its k images); computing on one rank per orbit.
 *
 * Folding applies to workloads of two jobs or more, only where it saves a quarter of the lanes
 * (jobs sharing no device already run reduced), never with explicit ranks (spec->explicit_ranks)
 * or routes fixed in an XML platform.
 * Costs: O(candidates x (operations + dependencies + ranks + platform symmetry check)).
 */
#ifndef NVL_FOLD_H
#define NVL_FOLD_H

#include "engine/engine.h"

typedef struct nvl_fold nvl_fold;
struct nvl_workload_run;

/* The workload's symmetry (NULL: none, or not worth folding). The fold holds how it runs each
 * job's collectives (fixed jobs' reduced or shifted, the others' rank by rank); the workload's
 * communicators are left as found. */
nvl_fold *nvl_fold_find(const struct nvl_workload_run *wr);
/* The folded graph of `full` (the workload's tasks with their options): its own tasks, build
 * callback and canonical maps, valid while f lives. */
void nvl_fold_tasks(nvl_fold *f, const nvl_task_graph *full, nvl_task_graph *out);
/* A folded run's result made the full graph's, in place (per-task times, flows). */
void nvl_fold_expand(const nvl_fold *f, nvl_engine_result *res);
/* Copies each kept operation of a job that is not fixed stands for (k), and the operations kept. */
int nvl_fold_copies(const nvl_fold *f);
size_t nvl_fold_kept(const nvl_fold *f);
void nvl_fold_free(nvl_fold *f);

#endif
