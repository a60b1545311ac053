/*
 * phase: the max-min sharing of a batch of transfers that start together on links nothing else
 * uses, solved in one pass (a fluid "phase" of bulk-synchronous traffic, such as an expert
 * exchange's thousands of unequal flows).
 *
 * SimGrid re-solves the whole connected max-min system at every completion, and its solve walks
 * every flow of it: an exchange of F flows costs about F^2 element updates in SimGrid's lists
 * (platform/sg_shim.cpp hands such batches here instead). This solver runs the same progressive
 * filling (every flow's rate raised together until a link saturates; its flows freeze; and so on)
 * over flat arrays, and advances from one completion to the next. The flows due within
 * W = `window` x (now - the phase's start) of the next completion end together in the middle of
 * that span, so that completions close together cost one solve: each flow ends at most W/2 early
 * or late (every flow started with the phase: at most half the window's share of its own
 * duration), and the bandwidth it frees goes to the others that much earlier or later. window 0:
 * each completion at its exact instant, as SimGrid's.
 *
 * Links have a capacity (bytes per second); a flow has bytes, an activation delay (its route's
 * latency, paid before it moves), an optional rate bound, and a weight on each link it crosses
 * (its consumption per unit of rate: SimGrid's consumption weights).
 */
#ifndef NVL_PHASE_H
#define NVL_PHASE_H

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct nvl_phase nvl_phase;

nvl_phase *nvl_phase_new(void);
void nvl_phase_free(nvl_phase *ph);
/* Empties the phase for reuse (its arrays kept). */
void nvl_phase_clear(nvl_phase *ph);
/* Adds a link of `capacity` bytes per second (> 0); returns its index. */
int nvl_phase_link(nvl_phase *ph, double capacity);
/* Adds a flow of `bytes` crossing links[0..n) with weights w[0..n) (NULL: 1 each), moving after
 * `delay` seconds, no faster than bound (0: no bound); returns its index. */
size_t nvl_phase_flow(nvl_phase *ph, double bytes, double delay, double bound, const int *links,
                      const double *w, int n);
size_t nvl_phase_flows(const nvl_phase *ph);
/* Links, counting one per bounded flow (its bound). */
size_t nvl_phase_links(const nvl_phase *ph);

/* Solves from time t0 with the given window until every flow has ended, or until `stop` (a
 * time; 0: none), whichever is first. With peaks (NULL: not wanted; nvl_phase_links of them),
 * peaks[l]
 * receives the largest load of link l (bytes per second). Returns the number of solves. */
size_t nvl_phase_run(nvl_phase *ph, double t0, double window, double stop, double *peaks);
/* The same, step by step, as a simulation's clock goes: nvl_phase_begin starts the flows added so
 * far at t0 (each after its delay); nvl_phase_next solves the sharing if anything changed and
 * returns the instant of the next event (completions or a flow starting to move; INFINITY:
 * none); nvl_phase_advance moves every flow to t (at most that instant; there, the event's flows
 * end; never back in time), and nvl_phase_take_ended returns the flows ended since it was last
 * called, by index. nvl_phase_run is begin, then next and
 * advance to the end or to `stop`. */
void nvl_phase_begin(nvl_phase *ph, double t0, double window);
/* The window from the next event on (0: each completion at its own instant). */
void nvl_phase_set_window(nvl_phase *ph, double window);
double nvl_phase_next(nvl_phase *ph, double *peaks);
void nvl_phase_advance(nvl_phase *ph, double t);
const size_t *nvl_phase_take_ended(nvl_phase *ph, size_t *n);
/* After nvl_phase_run: when flow f ended (a time), or a negative value if it had not by `stop`;
 * then nvl_phase_left gives its bytes still to move and whether its delay was still running. */
double nvl_phase_end(const nvl_phase *ph, size_t f);
double nvl_phase_left(const nvl_phase *ph, size_t f, bool *waiting);
/* The instant flow f moves (its delay paid), of the run under way. */
double nvl_phase_starts(const nvl_phase *ph, size_t f);

#ifdef __cplusplus
}
#endif

#endif
