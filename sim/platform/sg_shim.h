/*
 * sg_shim: the few SimGrid 3.32 s4u calls that the C API lacks, behind a C interface.
 *
 * A transfer between two endpoints is striped over parallel planes, each stripe a transfer between
 * two given hosts. The C API can only start communications through mailboxes, whose source and
 * destination are the hosts of the two actors involved; striping needs hosts chosen per stripe.
 *
 * Nobody waits on these transfers through SimGrid: each stripe is a bare action of the network
 * model (no s4u Comm, no kernel activity, no mailbox: sg_shim.cpp), and the model's completion
 * signal (s4u::Link::on_communication_state_change) tells the shim when it finishes; when the
 * last stripe of a transfer has arrived, the shim marks it done and calls the caller's
 * `on_done`, from the simulation kernel, at the simulated instant of arrival. Handles are
 * reference-counted: the sender keeps one for flow control, the receiver one for arrival.
 *
 * Work on a host is likewise a bare action of the CPU model (what an execution's is, without the
 * execution), and a kernel timer calls back at a date: with these the engine runs without actors
 * (sim/engine/runtime.h). Callbacks from a model's update (on_done of a transfer or of work) may
 * only note what happened; new actions start from a timer's callback, between the kernel's rounds
 * of updates.
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
typedef struct nvl_zone nvl_zone;

/* Routes of the platform: fills links[] (logical link indices) and dirs[] (+1 UP, -1 DOWN) for
 * the route from one host to another and returns their number (at most max), or -1 if none. */
typedef int (*nvl_route_fn)(void *ctx, int from_host, int to_host, int *links, int *dirs, int max);

/* Calls fn(ctx) every time the simulated clock advances (SimGrid's on_time_advance signal): a
 * hook for progress lines between the completions of long operations. Call before the run. */
void nvl_sg_on_time_advance(void (*fn)(void *ctx), void *ctx);

/* From now on a failed C++ allocation (in SimGrid) ends nvlsim as one of ours does: unfinished
 * outputs removed, "out of memory", exit 3 (base/xalloc.h), instead of an uncaught bad_alloc. */
void nvl_sg_exit_on_bad_alloc(void);

/* The link's current load in bytes per second: the rates of the flows through it, as the last
 * sharing solve set them (SimGrid's Link::get_usage). */
double nvl_sg_link_usage(const_sg_link_t link);

/* Builds the platform through s4u instead of XML (the C API cannot create zones, hosts or links):
 * one root zone whose routes come from `route` when SimGrid asks for them, so nothing is stored
 * per pair of hosts (an NVL576 alltoall uses 331,200 routes; 10,000 GPUs would need 10^8). Hosts
 * and links are created in index order, links named "l<index>" (split-duplex "l<index>_UP" /
 * "_DOWN", or fatpipe). `route` and `ctx` must outlive the simulation. Call before the
 * simulation starts, after every --cfg. */
nvl_zone *nvl_zone_begin(const char *name, nvl_route_fn route, void *ctx);
void nvl_zone_host(nvl_zone *z, const char *name);
void nvl_zone_link(nvl_zone *z, double bw_Bps, double lat_s, bool fatpipe);
void nvl_zone_end(nvl_zone *z);

/* Starts n concurrent transfers from[i] -> to[i] of bytes[i] bytes (zero bytes cost the route
 * latency only). Called from the kernel (a timer's callback) or an actor. With rate_Bps > 0 the
 * transfer moves no faster than that in total (each stripe its share, SimGrid's bound on a
 * communication's rate); 0 leaves it to the network. A transfer standing for several (a reduced
 * program's orbit, models/program.h) counts w_out times on the first link of each stripe's route
 * and w_in times on the last (1, 1: once). The handle starts with `refs` references; on_done(a, b)
 * runs once, inside the kernel, when every stripe has arrived (it may only do what maestro may do,
 * such as releasing a semaphore). */
nvl_xfer *nvl_xfer_start(sg_host_t const *from, sg_host_t const *to, const uint64_t *bytes,
                         size_t n, double rate_Bps, uint32_t w_out, uint32_t w_in, int refs,
                         void (*on_done)(void *a, void *b), void *a, void *b);
/* Sets the consumption weights of stripe i of a transfer just started (a folded graph's copies,
 * engine.h): w[k] on the k-th distinct link direction of its route, in order of first crossing
 * (as SimGrid's max-min variable holds them; a weight below the crossings' count is left). */
void nvl_xfer_weigh(nvl_xfer *x, size_t stripe, const double *w, size_t n);
/* Whether every stripe has arrived. */
bool nvl_xfer_done(const nvl_xfer *x);

/* Starts `flops` of work on host h, shared fairly with the other work on h (SimGrid's CPU model,
 * as an execution's); the function set by nvl_work_on_done runs once with `data`, inside the
 * kernel, when it is done (one function for all work: nothing is allocated per work). */
void nvl_work_start(sg_host_t h, double flops, void *data);
void nvl_work_on_done(void (*fn)(void *data));
/* Calls fn(a, b) from the kernel at simulated time `date` (now or later), between rounds of
 * updates: where new transfers and work may start. */
void nvl_timer_at(double date, void (*fn)(void *a, void *b), void *a, void *b);

/* Peak loads of links (--link-stats), as SimGrid's link-load plugin measures them (the load of
 * the links a transfer crosses, read when it starts and when it changes state) but each link read
 * at most once per simulated instant: the plugin's scan of every flow on a link at every event is
 * quadratic on an alltoall. link_of_ld[ld] is the SimGrid link of link direction ld (NULL: not
 * tracked); peak[ld] receives the largest load read, in bytes per second. */
void nvl_peaks_begin(sg_link_t const *link_of_ld, size_t n_ld, double *peak);
/* The link directions of each stripe of a transfer just started (stripe i: route_ld[route_off[i]
 * .. route_off[i + 1]], in route order), read then and whenever a stripe changes state. */
void nvl_peaks_route(nvl_xfer *x, const int *route_ld, const int *route_off);
/* Phases (sg_phase.cpp): from now on, transfers that start at one instant while nothing moves on
 * the network, at least min_flows stripes of them (0: phases off, the default), have their
 * max-min sharing solved at once (phase.h) instead of by the network model at each completion;
 * completions due within `window` x (now - the phase's start) of each other end together. Anything
 * else that starts on the network meanwhile takes over the rest of the phase as actions. */
void nvl_sg_phases(double window, size_t min_flows);
/* Drops one reference; the last one frees the handle. */
void nvl_xfer_unref(nvl_xfer *x);

#ifdef __cplusplus
}
#endif

#endif
