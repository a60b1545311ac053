/*
 * sg_shim: the few SimGrid 3.32 s4u calls that the C API lacks, behind a C interface.
 *
 * A transfer between two endpoints is striped over parallel planes, each stripe a SimGrid
 * communication between two given hosts (s4u Comm::sendto_async). The C API can only start
 * communications through mailboxes, whose source and destination are the hosts of the two actors
 * involved; striping needs hosts chosen per stripe.
 *
 * Nobody waits on these communications. SimGrid 3.32 answers every actor waiting on a
 * communication by removing the communication from that actor's activity list, a linear scan
 * that made large alltoalls quadratic in the number of transfers (NVL576: 331,200 transfers, more
 * than 15 minutes). Instead, the network model's completion signal (s4u::Link::
 * on_communication_state_change) tells the shim when a stripe's action finishes; when the last
 * stripe of a transfer has arrived, the shim marks it done and calls the caller's `on_done`, from
 * the simulation kernel, at the simulated instant of arrival. Handles are reference-counted: the
 * sender keeps one for flow control, the receiver one for arrival.
 */
#ifndef NVL_SG_SHIM_H
#define NVL_SG_SHIM_H

#include <simgrid/forward.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct nvl_xfer nvl_xfer;

/* Starts n concurrent communications from[i] -> to[i] of bytes[i] bytes (zero bytes cost the
 * route latency only). Must be called from an actor. The handle starts with `refs` references;
 * on_done(a, b) runs once, inside the kernel, when every stripe has arrived (it may only do what
 * maestro may do, such as releasing a semaphore). */
nvl_xfer *nvl_xfer_start(sg_host_t const *from, sg_host_t const *to, const uint64_t *bytes,
                         size_t n, int refs, void (*on_done)(void *a, void *b), void *a, void *b);
/* Whether every stripe has arrived. */
bool nvl_xfer_done(const nvl_xfer *x);
/* Drops one reference; the last one frees the handle. */
void nvl_xfer_unref(nvl_xfer *x);

#ifdef __cplusplus
}
#endif

#endif
