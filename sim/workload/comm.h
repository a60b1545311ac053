/*
 * comm: what one job's communicator is, once: how NCCL sees it (ranks, NVLink generation,
 * bandwidth in its units, whether NVLS is possible), the fabric's per-rank bandwidth and hop
 * latency, the ring orders NCCL's search finds on it, and each rank's fixed per-operation cost.
 * Every operation of the job is built from this (workload/build.c), whatever its size.
 */
#ifndef NVL_COMM_H
#define NVL_COMM_H

#include "design/design.h"
#include "models/model.h"
#include "models/tuner.h"
#include "platform/platform.h"
#include "workload/workload.h"

/* How a job's collectives are simulated: reduced (its ranks alike: one class), shifted by a
 * period, or rank by rank (neither). A communicator has its own; a fold asks for others. */
typedef struct {
  bool alike;          /* reduced programs apply (platform.h) */
  int period;          /* rank r + period stands where rank r stands (nvl_platform_shift), or 0 */
  bool rails;          /* NVLSTree runs one rail for all (nvl_comm's rail_*): shifted */
  bool rails_weighted; /* the same over canonical links with weights (rail_canon, rail_weight) */
} nvl_comm_mode;

typedef struct {
  nvl_tuner_comm tc;  /* as NCCL sees it */
  int generation;     /* NVLink generation carrying most of a rank's bandwidth */
  double bw_Bps;      /* a rank's fabric bandwidth per direction */
  double hop_s;       /* route latency between the first two ranks */
  int nvls_host;      /* in-switch reduction host shared by all ranks, or -1 */
  nvl_comm_mode mode; /* as found: reduced, shifted or rank by rank */
  int *rings;         /* ring orders (orders[k * n + position] = rank), or NULL; owned */
  int n_rings;
  double *overhead_s; /* per-rank fixed cost of an operation (default model), or NULL; owned */
  /* across scale-up domains: each rank's node (NULL: one node; owned), each node's in-switch
   * reduction host or -1 (owned), and the route latency of a hop between nodes */
  int *node_of;
  int *node_nvls_host;
  double net_hop_s;
  /* the ranks in rail-major order (rail_rank[q * nodes + k]: the job rank at place q of node k),
   * where rotating every node's places is a symmetry of the platform for NVLSTree's traffic
   * (mode.rails: its program runs place 0's rail, standing for every rail); their devices, nodes
   * and overheads in that order (NULL otherwise; owned) */
  int *rail_rank, *rail_devs, *rail_node_of;
  double *rail_overhead_s;
  /* with mode.rails_weighted: each link direction's canonical member under the rail rotation and
   * the rails crossing each member (owned) */
  int *rail_canon;
  double *rail_weight;
  /* with CollNet across nodes: SHARP's aggregation trees, one per place in a node (tc.sharp;
   * nvl_coll_spec's sharp_*: each rank's leaf engine, the engines' hosts and parents; owned) */
  int *sharp_leaf, *sharp_host, *sharp_parent;
  int sharp_engines;
} nvl_comm;

/* The communicator of a resolved job (j->devs, j->n set) under the spec's model and options. */
void nvl_comm_init(nvl_comm *c, const nvl_calibration *cal, const nvl_job *j, const nvl_design *d,
                   const nvl_platform *p, const nvl_workload_spec *spec);
void nvl_comm_release(nvl_comm *c);

/* Whether the n ranks span two or more nodes of as many ranks each (node_of: NULL for one). */
bool nvl_comm_even_nodes(const int *node_of, int n, int nodes);
/* SHARP's aggregation trees of a job across nodes (node_of, nodes; as many ranks in each): one
 * per place in a node over that place's NICs (each rank's first NIC), engines numbered across
 * the trees. Returns false (and NULLs) where a place's NICs have no tree. */
bool nvl_comm_sharp_trees(const nvl_platform *p, const int *devs, int n, const int *node_of,
                          int nodes, int **leaf, int **host, int **parent, int *engines);

/* The collectives that run as rings (with NCCL's ring pipeline and searched ring orders). */
bool nvl_coll_is_ring(nvl_coll c);

#endif
