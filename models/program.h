/*
 * program: what the engine runs for one operation.
 *
 * A program is a set of lanes; each lane is one simulated actor acting for one rank (or for a
 * switch's reduction engine) and runs a straight list of operations:
 *   SEND peer bytes   start a transfer to another lane (asynchronous; at most one outstanding
 *                     send per destination lane, so a lane sending chunk k+1 to the same peer first
 *                     waits for chunk k: this is the pipelining of NCCL's rings and chains)
 *   POST peer bytes   a SEND without its flow control: it starts whatever the lane's earlier
 *                     transfers to that peer are doing (a send through the network, which the
 *                     proxy posts while NCCL_STEPS buffers are free)
 *   RECV peer         wait until the next transfer from that lane has fully arrived
 *   NOTIFY peer       zero-cost local signal to another lane of the same rank
 *   DRAIN peer        wait until the lane's last transfer to that lane has arrived (a SEND's own
 *                     flow control, made explicit so that a DELAY after it is serial with the
 *                     transfers on that hop: a ring's per-step synchronisation)
 *   DELAY seconds     fixed cost (launch and synchronisation overhead)
 *   COMPUTE seconds   work on the lane's endpoint: that long alone, shared fairly with the other
 *                     COMPUTEs running on the same endpoint at the same time
 * A lane ends when its list is done and its own sends have arrived. Several lanes per rank model
 * NCCL channels and the two trees of a double binary tree.
 *
 * A reduced program simulates one rank per class of alike ranks (the job's ranks are twins, and
 * the operation treats them alike: a ring's rotation, an alltoall's permutations). Every
 * transfer of the class representatives stands for its orbit, the images under the symmetry,
 * which all happen at the same time: it runs from its class's up-representative to the
 * destination class's down-representative (a rank that may have no lane: a virtual peer), and
 * counts on the sender's port link once per member of the orbit that leaves a rank (w_out), on the
 * receiver's once per member arriving at a rank (w_in). A RECV names a lane and a destination:
 * the k-th such RECV of a lane waits for the k-th transfer from that lane to that destination
 * (the orbit member it stands for), and stands for `count` flows.
 *
 * A shifted program is a reduced program of the first `shift` ranks, for a job whose rank
 * r + shift (mod n) stands where rank r stands (racks alike on a spine: platform.h,
 * nvl_platform_shift): each transfer stands for its n / shift images, one per block of ranks,
 * with weights 1 (each image loads its own links); a transfer leaving the block goes to the
 * virtual peer in the next block. Every link's bytes and peak then go to its images. Where one
 * orbit of links would be loaded at several of its members (an alltoall's transfers from block 0
 * arrive in every block), the program is rerouted: every transfer runs over one canonical member
 * of each of its links' orbits.
 */
#ifndef NVL_PROGRAM_H
#define NVL_PROGRAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
  NVL_OP_SEND,
  NVL_OP_RECV,
  NVL_OP_NOTIFY,
  NVL_OP_DELAY,
  NVL_OP_COMPUTE,
  NVL_OP_DRAIN,
  NVL_OP_POST
} nvl_op_kind;

/* A peer that is a rank without a lane (reduced programs): NVL_VIRTUAL | rank. */
#define NVL_VIRTUAL 0x80000000u

typedef struct {
  uint32_t peer;    /* lane index, or NVL_VIRTUAL | rank */
  uint8_t kind;     /* nvl_op_kind */
  uint8_t channels; /* SEND: point-to-point channels carrying it (rate cap), 0 = uncapped */
  uint16_t aux;     /* reduced programs: 1 + index into weights (SEND) or refs (RECV), both
                       tables of distinct entries; 0: none */
  double value;     /* bytes (SEND) or seconds (DELAY, COMPUTE) */
} nvl_op;

/* A reduced program's SEND: members of its orbit per source rank and per destination rank. */
typedef struct {
  uint32_t w_out, w_in;
} nvl_weight;

/* A reduced program's RECV: of a transfer from the op's peer lane to `dest` (a lane, or
 * NVL_VIRTUAL | rank), standing for `count` flows. */
typedef struct {
  uint32_t dest, count;
} nvl_recv_ref;

/* The rank classes of a reduced program. */
typedef struct {
  int n_classes;
  int *class_of;  /* [rank]: its class */
  int *up, *down; /* [class]: the rank whose port links carry the class's sending, receiving */
} nvl_rank_classes;

typedef struct {
  int rank; /* participant index, or -1 for a switch lane */
  int host; /* for switch lanes: platform host index */
  nvl_op *ops;
  size_t n_ops, cap_ops;
} nvl_lane;

typedef struct {
  nvl_lane *lanes;
  size_t n_lanes, cap_lanes;
  int n_ranks;
  /* wire bytes per second one point-to-point channel moves at most: a SEND on k channels runs no
   * faster than k times this (NCCL moves each channel's part with one thread block) */
  double channel_Bps;
  /* a reduced program (see above): its weights, receive references and rank classes */
  bool reduced;
  nvl_weight *weights;
  size_t n_weights, cap_weights;
  nvl_recv_ref *refs;
  size_t n_refs, cap_refs;
  nvl_rank_classes classes;
  int shift;        /* a shifted program (see above): lanes for ranks 0 .. shift - 1; 0 otherwise */
  bool reroute;     /* a shifted program whose transfers run over canonical links (sim/engine) */
  size_t bytes;     /* its lanes' and operations' memory, counted against the budget (below) */
  bool over_budget; /* it outgrew the budget: its lanes hold garbage, it must not run */
} nvl_program;

/* The memory budget of programs, one per process: the lanes and operations of every program that
 * exists count against it (their memory is what an explicit program of many ranks costs, a ring
 * over n ranks O(n^2)); a program that would outgrow it stops growing (what it adds overwrites
 * what it has) and is marked over_budget, for its user to refuse. 0 sets the default, 4 GiB.
 * nvl_program_live: the bytes counted now. */
#define NVL_PROGRAM_BUDGET_DEFAULT (4ull << 30)
void nvl_program_budget(uint64_t bytes);
uint64_t nvl_program_budget_get(void);
uint64_t nvl_program_live(void);

void nvl_program_init(nvl_program *p, int n_ranks);
void nvl_program_release(nvl_program *p);
/* Adds a lane and returns its index. */
int nvl_program_lane(nvl_program *p, int rank, int host);
void nvl_program_op(nvl_program *p, int lane, nvl_op_kind kind, int peer, double value);
/* A SEND on `channels` point-to-point channels (0: uncapped). */
void nvl_program_send(nvl_program *p, int lane, int peer, double bytes, int channels);
/* An extra lane that only waits `seconds`: the program then lasts at least that long. */
void nvl_program_floor(nvl_program *p, double seconds);

/* Reduced programs: makes p reduced with n_classes rank classes over its n_ranks ranks (class_of,
 * up, down to fill by the caller, zeroed); a weighted SEND to a lane or a virtual peer; a RECV of
 * the next transfer from lane `from` to `dest`, standing for `count` flows. */
void nvl_program_reduce(nvl_program *p, int n_classes);
/* Makes p a shifted program of period m (no rank classes). */
void nvl_program_reduce_shift(nvl_program *p, int m);
void nvl_program_send_weighted(nvl_program *p, int lane, uint32_t peer, double bytes, int channels,
                               uint32_t w_out, uint32_t w_in);
void nvl_program_recv_ref(nvl_program *p, int lane, int from, uint32_t dest, uint32_t count);

#endif
