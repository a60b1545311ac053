/*
 * chakra: MLCommons Chakra execution traces, read into the workload graph (workload/wgraph.h).
 *
 * A trace is one file per NPU, PREFIX.0.et .. PREFIX.{N-1}.et, each a stream of length-delimited
 * protobuf messages (a varint byte count, then the message): one GlobalMetadata, then Nodes
 * (chakra.proto, our part of Chakra's schema, with its field numbers). Versions 0.0.4 and 1.x
 * are read (what Chakra's converters and generator write); others are refused.
 *
 * Each node becomes operations of the graph on the NPU's rank (NPU i on the i-th participant):
 *   COMP_NODE        compute for duration_micros; a node with only num_ops runs num_ops / flops
 *                    (the caller's rate: the catalog has no FLOP rates yet), refused without
 *   MEM_LOAD/STORE,  no work (duration_micros when given): they keep their dependencies
 *   METADATA
 *   COMM_COLL_NODE   one collective per communicator and turn: the k-th collective node of a
 *                    process group (pg_name; none: every NPU) on every member is one operation,
 *                    which starts when every member's dependencies are done. Members must agree
 *                    on type and size. comm_size is nccl-tests' S, except all_gather, whose
 *                    comm_size is each NPU's input (ASTRA-sim's convention): S = n x comm_size.
 *                    A barrier is a 0-byte all_reduce; gather and scatter are refused.
 *   COMM_SEND_NODE   one transfer of comm_size (else tensor_size) bytes to comm_dst; the k-th send
 *   COMM_RECV_NODE   from a to b with a tag pairs with the k-th receive at b from a with that
 *                    tag; the receive ends when the transfer has arrived and its own
 *                    dependencies are done.
 * data_deps and ctrl_deps are both dependencies. Errors name the file and node: truncated or
 * corrupt messages, duplicate ids, a dependency on a missing node, a cycle, members that
 * disagree, sends without receives, more NPUs than participants.
 */
#ifndef NVL_CHAKRA_H
#define NVL_CHAKRA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/diag.h"
#include "workload/wgraph.h"
#include "workload/workload.h"

/* Chakra's NodeType and CollectiveCommType values */
enum {
  NVL_CT_METADATA = 1,
  NVL_CT_MEM_LOAD = 2,
  NVL_CT_MEM_STORE = 3,
  NVL_CT_COMP = 4,
  NVL_CT_SEND = 5,
  NVL_CT_RECV = 6,
  NVL_CT_COLL = 7
};
enum {
  NVL_CT_ALL_REDUCE = 0,
  NVL_CT_REDUCE = 1,
  NVL_CT_ALL_GATHER = 2,
  NVL_CT_GATHER = 3,
  NVL_CT_SCATTER = 4,
  NVL_CT_BROADCAST = 5,
  NVL_CT_ALL_TO_ALL = 6,
  NVL_CT_REDUCE_SCATTER = 7,
  NVL_CT_REDUCE_SCATTER_BLOCK = 8,
  NVL_CT_BARRIER = 9
};

typedef struct {
  uint64_t id;
  int type;
  size_t dep_at, n_deps; /* data and control dependencies: the trace's deps[dep_at ..] */
  uint64_t duration_us, num_ops;
  int64_t comm_type, comm_src, comm_dst, comm_tag;
  uint64_t comm_size, tensor_size;
  bool has_comm_type, has_comm_size, has_tensor_size, has_src, has_dst;
  char pg[64]; /* process group ("" none) */
} nvl_ct_node;

typedef struct {
  char file[512];
  char version[32];
  nvl_ct_node *nodes;
  size_t n_nodes, cap_nodes;
  uint64_t *deps;
  size_t n_deps, cap_deps;
} nvl_ct_trace;

typedef struct {
  nvl_ct_trace *npus;
  size_t n;
  double flops; /* FLOP/s for compute nodes with num_ops and no duration (0: refused) */
} nvl_chakra;

/* The memory a trace may take, in bytes, when no --memory-limit sets it; and what nvlsim counts
 * against it, measured (README, Chakra traces): a node read, graphed and running at the same time
 * as every other (the worst case: independent nodes) about 1.1 KB, a dependency at most 64 B. A
 * trace that could need more is refused while it is read, with the figure. */
#define NVL_CT_BUDGET_DEFAULT (4ull << 30)
#define NVL_CT_NODE_BYTES 1152u
#define NVL_CT_DEP_BYTES 64u

/* The budget in bytes, and the nodes and dependencies of the trace read before this file. */
typedef struct {
  uint64_t bytes, nodes, deps;
} nvl_ct_budget;

/* One NPU's trace from memory (`file` names it in messages), within the budget (counted as
 * above). Returns 0, or -1 with diags. */
int nvl_chakra_parse(const uint8_t *buf, size_t len, const char *file, const nvl_ct_budget *budget,
                     nvl_ct_trace *out, nvl_diags *diags);
/* PREFIX.0.et, PREFIX.1.et, ... up to the first missing one (at most max_npus), within `budget`
 * bytes for the whole trace (0: NVL_CT_BUDGET_DEFAULT). */
int nvl_chakra_load(const char *prefix, size_t max_npus, uint64_t budget, nvl_chakra *out,
                    nvl_diags *diags);
void nvl_chakra_release(nvl_chakra *c);
/* Frees the nodes and dependencies once the graph is built (the files' names and versions stay):
 * the trace is not held while it runs. */
void nvl_chakra_drop_nodes(nvl_chakra *c);

/* What the graph's operations are to the trace, for per-NPU results: the NPUs each operation
 * occupies (compressed rows), and whether it is a compute node's. */
typedef struct {
  size_t n_npus;
  size_t *npu_start; /* [n_ops + 1] */
  int *npus;
  bool *compute;
  int n_groups; /* communicators beyond the world's */
  int n_transfers;
} nvl_ct_map;

/* The workload graph of a loaded trace. spec must hold one resolved job, the participants (at
 * least c->n of them; NPU i is rank i); a job is appended per process group. */
int nvl_chakra_graph(const nvl_chakra *c, nvl_workload_spec *spec, nvl_wgraph *g, nvl_ct_map *map,
                     nvl_diags *diags);
void nvl_ct_map_release(nvl_ct_map *m);

#endif
