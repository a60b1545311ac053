/*
 * program: what the engine runs for one operation.
 *
 * A program is a set of lanes; each lane is one simulated actor acting for one rank (or for a
 * switch's reduction engine) and runs a straight list of operations:
 *   SEND peer bytes   start a transfer to another lane (asynchronous; at most one outstanding
 *                     send per destination lane, so a lane sending chunk k+1 to the same peer first
 *                     waits for chunk k: this is the pipelining of NCCL's rings and chains)
 *   RECV peer         wait until the next transfer from that lane has fully arrived
 *   NOTIFY peer       zero-cost local signal to another lane of the same rank
 *   DELAY seconds     fixed cost (launch and synchronisation overhead)
 *   COMPUTE seconds   work on the lane's endpoint: that long alone, shared fairly with the other
 *                     COMPUTEs running on the same endpoint at the same time
 * A lane ends when its list is done and its own sends have arrived. Several lanes per rank model
 * NCCL channels and the two trees of a double binary tree.
 */
#ifndef NVL_PROGRAM_H
#define NVL_PROGRAM_H

#include <stddef.h>
#include <stdint.h>

typedef enum { NVL_OP_SEND, NVL_OP_RECV, NVL_OP_NOTIFY, NVL_OP_DELAY, NVL_OP_COMPUTE } nvl_op_kind;

typedef struct {
  uint32_t peer;    /* lane index */
  uint8_t kind;     /* nvl_op_kind */
  uint8_t channels; /* SEND: point-to-point channels carrying it (rate cap), 0 = uncapped */
  double value;     /* bytes (SEND) or seconds (DELAY, COMPUTE) */
} nvl_op;

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
} nvl_program;

void nvl_program_init(nvl_program *p, int n_ranks);
void nvl_program_release(nvl_program *p);
/* Adds a lane and returns its index. */
int nvl_program_lane(nvl_program *p, int rank, int host);
void nvl_program_op(nvl_program *p, int lane, nvl_op_kind kind, int peer, double value);
/* A SEND on `channels` point-to-point channels (0: uncapped). */
void nvl_program_send(nvl_program *p, int lane, int peer, double bytes, int channels);
/* An extra lane that only waits `seconds`: the program then lasts at least that long. */
void nvl_program_floor(nvl_program *p, double seconds);

#endif
