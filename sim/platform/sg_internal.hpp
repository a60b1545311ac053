/*
 * sg_internal: what the shim's files share (sg_shim.cpp, sg_phase.cpp); private to platform/.
 */
#ifndef NVL_SG_INTERNAL_HPP
#define NVL_SG_INTERNAL_HPP

#include <simgrid/kernel/resource/Action.hpp>
#include <simgrid/s4u/Host.hpp>
#include <vector>

#include "platform/sg_shim.h"

struct nvl_xfer {
  simgrid::kernel::resource::Action *first;                // most transfers are one stripe:
  std::vector<simgrid::kernel::resource::Action *> others; // no vector allocation for them
  int refs;
  size_t pending; // stripes still travelling (their actions; NULL once arrived)
  void (*on_done)(void *, void *);
  void *a, *b;
  long phase_at; // its first stripe in the phase's batch (sg_phase.cpp), or -1
};

/* sg_shim.cpp: stripe i of x as an action of the network model (kernel context): `rate` bounds it
 * (-1: no bound), w_out and w_in weigh its route's first and last links; the weights of its
 * route's link directions (nvl_xfer_weigh) and its link directions for peaks (nvl_peaks_route)
 * on an action just started; a link direction's peak raised to `load`; whether the network
 * model moves anything now. */
void nvl_sg_start_stripe(nvl_xfer *x, size_t i, sg_host_t from, sg_host_t to, double bytes,
                         double rate, uint32_t w_out, uint32_t w_in);
void nvl_sg_stripe_weigh(const simgrid::kernel::resource::Action *a, const double *w, size_t n);
void nvl_sg_stripe_peaks(const simgrid::kernel::resource::Action *a, const int *ld, int n);
void nvl_sg_peak_note(int ld, double load);
/* A stripe's action moves from `date` on (now or later): its route's latency paid by then. */
void nvl_sg_stripe_moves_at(simgrid::kernel::resource::Action *a, double date);
bool nvl_sg_network_busy(sg_host_t h);

/* sg_phase.cpp: takes the n stripes of x (`total` bytes in all) into the batch of transfers
 * starting now (true), or leaves them to the network model (false: phases off, or the network
 * busy); a deferred transfer's weights and link directions, kept for when its stripes start. */
bool nvl_sg_phase_defer(nvl_xfer *x, sg_host_t const *from, sg_host_t const *to,
                        const uint64_t *bytes, size_t n, double rate_Bps, double total,
                        uint32_t w_out, uint32_t w_in);

/* A stripe of `bytes` of a transfer of `total` bytes moves no faster than its share of rate_Bps
 * (0: no bound; -1 is SimGrid's "no bound"). */
static inline double nvl_sg_stripe_rate(double rate_Bps, uint64_t bytes, double total) {
  return rate_Bps > 0 && bytes > 0 ? rate_Bps * (double)bytes / total : -1.0;
}
void nvl_sg_phase_weigh(nvl_xfer *x, size_t stripe, const double *w, size_t n);
void nvl_sg_phase_peaks(nvl_xfer *x, const int *route_ld, const int *route_off);

#endif
