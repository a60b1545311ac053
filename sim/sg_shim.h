/*
 * sg_shim: the few SimGrid 3.32 s4u calls that the C API lacks, behind a C interface.
 *
 * A transfer between two endpoints is striped over parallel planes, each stripe a SimGrid
 * communication between two given hosts (s4u Comm::sendto_async). The C API can only start
 * communications through mailboxes, whose source and destination are the hosts of the two actors
 * involved; striping needs hosts chosen per stripe. Both the sending and the receiving actor wait
 * on a transfer (the sender for flow control, the receiver for arrival), so handles are
 * reference-counted. Everything else stays in C.
 */
#ifndef NVL_SG_SHIM_H
#define NVL_SG_SHIM_H

#include <simgrid/forward.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct nvl_xfer nvl_xfer;

/* Starts n concurrent communications from[i] -> to[i] of bytes[i] bytes (zero bytes cost the
 * route latency only). Must be called from an actor. The handle starts with `refs` references. */
nvl_xfer *nvl_xfer_start(sg_host_t const *from, sg_host_t const *to, const uint64_t *bytes,
                         size_t n, int refs);
/* Blocks the calling actor until every stripe has arrived (returns at once if they have). */
void nvl_xfer_wait(nvl_xfer *x);
/* Drops one reference; the last one frees the handle. */
void nvl_xfer_unref(nvl_xfer *x);

#ifdef __cplusplus
}
#endif

#endif
