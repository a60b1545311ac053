// sg_phase: transfers that start together on an idle network, solved as one phase (phase.h)
// instead of one SimGrid re-solve per completion; see nvl_sg_phases in sg_shim.h.
//
// Transfers started at one instant while nothing moves on the network are held in a batch (no
// action yet); a kernel timer just after that instant closes it (lanes step in several rounds of
// the kernel at one instant). A batch of at least `min_flows`
// stripes, on routes of links, with the network still idle, becomes the phase: its max-min
// sharing is solved at once (phase.c), and kernel timers deliver each stripe's arrival at its
// instant, as the model's completion signal does for an action. Anything else that starts on the
// network while a phase runs ends it: the phase is solved again up to that instant, the stripes
// that arrived by then are delivered, and the others go on as actions of the network model with
// the bytes they have left, moving from the instant the phase had them move (their route's
// latency paid in the phase counts): the hand-over itself changes nothing. A smaller batch, or one
// that met other traffic, starts as actions just after its instant (1e-12 of it, at least 1e-12 s:
// where the batch closes). Link peaks (--link-stats) are the largest loads of the phase's own
// solution, noted when it is solved: a phase taken over has them from its whole course.
#include <simgrid/kernel/Timer.hpp>
#include <simgrid/s4u/Engine.hpp>
#include <simgrid/s4u/Link.hpp>
#include <simgrid/simix.hpp>
#include <algorithm>
#include <cmath>
#include <unordered_map>

#include "platform/phase.h"
#include "platform/sg_internal.hpp"

namespace {
struct stripe {
  nvl_xfer *x;
  size_t i; // its index in x
  sg_host_t from, to;
  double bytes, rate;
  uint32_t w_out, w_in;
  std::vector<double> w;  // nvl_xfer_weigh's weights (empty: none)
  std::vector<int> ld;    // its link directions for peaks (empty: none)
  std::vector<int> plink; // the phase's link of each link of its route
  double delay;           // its route's latency
  bool done;
};
struct phase_state {
  double window = 0;
  size_t min_flows = 0; // 0: phases off
  std::vector<stripe> batch, live;
  bool close_set = false, on = false;
  nvl_phase *ph = nullptr;
  double t0 = 0, opened = 0; // the phase's start; the batch's instant
  unsigned gen = 0;
  size_t left = 0;
  std::vector<size_t> order; // live stripes by arrival
};
} // namespace
static phase_state P;

extern "C" void nvl_sg_phases(double window, size_t min_flows) {
  P.window = window;
  P.min_flows = min_flows;
}

static void deliver(stripe &s) {
  if (s.done)
    return;
  s.done = true;
  P.left--;
  nvl_xfer *x = s.x;
  if (--x->pending == 0 && x->on_done)
    x->on_done(x->a, x->b);
}

// Stripe s as an action of the network model with `bytes` still to move, from `moves` on (its
// route's latency paid by then; a negative date: the action pays it as any other).
static void start_action(const stripe &s, double bytes, double moves) {
  nvl_sg_start_stripe(s.x, s.i, s.from, s.to, bytes, s.rate, s.w_out, s.w_in);
  simgrid::kernel::resource::Action *a = s.i == 0 ? s.x->first : s.x->others[s.i - 1];
  if (moves >= 0)
    nvl_sg_stripe_moves_at(a, moves);
  if (!s.w.empty())
    nvl_sg_stripe_weigh(a, s.w.data(), s.w.size());
  if (!s.ld.empty())
    nvl_sg_stripe_peaks(a, s.ld.data(), (int)s.ld.size());
}

static void phase_over() {
  P.on = false;
  P.gen++;
  P.live.clear();
  P.order.clear();
}

// The phase ends at `now`: what arrived by then is delivered, the rest goes on as actions.
static void hand_over(double now) {
  nvl_phase_run(P.ph, P.t0, P.window, now, nullptr);
  for (size_t k : P.order) {
    double end = nvl_phase_end(P.ph, k);
    if (end >= 0 && end <= now)
      deliver(P.live[k]);
  }
  for (size_t k = 0; k < P.live.size(); k++)
    if (!P.live[k].done) {
      P.live[k].x->phase_at = -1;
      bool waiting = false;
      double left = nvl_phase_left(P.ph, k, &waiting);
      start_action(P.live[k], left, waiting ? P.t0 + P.live[k].delay : now);
    }
  phase_over();
}

// The phase's links and flows from the batch; false when a stripe has no route of links.
static bool build(std::vector<stripe> &b) {
  if (!P.ph)
    P.ph = nvl_phase_new();
  nvl_phase_clear(P.ph);
  std::unordered_map<const simgrid::s4u::Link *, int> link_of;
  std::vector<simgrid::s4u::Link *> route;
  std::vector<double> w;
  for (stripe &s : b) {
    route.clear();
    double lat = 0;
    s.from->route_to(s.to, route, &lat);
    if (route.empty() || s.from == s.to)
      return false;
    s.plink.clear();
    w.assign(route.size(), 1.0);
    w.front() += s.w_out - 1.0; // as SimGrid's expand adds to a link's weight (weigh), then
    w.back() += s.w_in - 1.0;   // raises each to nvl_xfer_weigh's (weigh_elements)
    for (size_t k = 0; k < route.size(); k++) {
      auto it = link_of.find(route[k]);
      int l = it != link_of.end() ? it->second : nvl_phase_link(P.ph, route[k]->get_bandwidth());
      link_of.emplace(route[k], l);
      s.plink.push_back(l);
      if (k < s.w.size() && s.w[k] > w[k])
        w[k] = s.w[k];
    }
    s.delay = lat;
    nvl_phase_flow(P.ph, s.bytes, lat, s.rate > 0 ? s.rate : 0, s.plink.data(), w.data(),
                   (int)s.plink.size());
  }
  return true;
}

static void close_batch() {
  P.close_set = false;
  std::vector<stripe> b;
  b.swap(P.batch);
  if (b.empty())
    return;
  double now = P.opened;
  if (b.size() < P.min_flows || P.on || nvl_sg_network_busy(b[0].from) || !build(b)) {
    for (stripe &s : b) {
      s.x->phase_at = -1;
      start_action(s, s.bytes, -1);
    }
    return;
  }
  P.live.swap(b);
  P.on = true;
  P.t0 = now;
  P.gen++;
  P.left = P.live.size();
  bool want_peaks = false;
  for (const stripe &s : P.live)
    want_peaks = want_peaks || !s.ld.empty();
  std::vector<double> peaks(want_peaks ? nvl_phase_links(P.ph) : 0, 0.0);
  nvl_phase_run(P.ph, now, P.window, 0, want_peaks ? peaks.data() : nullptr);
  for (const stripe &s : P.live)
    for (size_t k = 0; k < s.ld.size() && k < s.plink.size(); k++)
      if (s.ld[k] >= 0)
        nvl_sg_peak_note(s.ld[k], peaks[(size_t)s.plink[k]]);
  P.order.resize(P.live.size());
  for (size_t k = 0; k < P.order.size(); k++)
    P.order[k] = k;
  std::stable_sort(P.order.begin(), P.order.end(), [](size_t a, size_t c) {
    return nvl_phase_end(P.ph, a) < nvl_phase_end(P.ph, c);
  });
  // one timer per instant of arrival: it delivers the stripes of order[lo, hi)
  for (size_t lo = 0; lo < P.order.size();) {
    double t = nvl_phase_end(P.ph, P.order[lo]);
    size_t hi = lo;
    while (hi < P.order.size() && nvl_phase_end(P.ph, P.order[hi]) == t)
      hi++;
    unsigned gen = P.gen;
    simgrid::kernel::timer::Timer::set(t, [gen, lo, hi] {
      if (gen != P.gen || !P.on)
        return;
      for (size_t k = lo; k < hi; k++)
        deliver(P.live[P.order[k]]);
      if (P.left == 0)
        phase_over();
    });
    lo = hi;
  }
}

bool nvl_sg_phase_defer(nvl_xfer *x, sg_host_t const *from, sg_host_t const *to,
                        const uint64_t *bytes, size_t n, const std::function<double(size_t)> &rate,
                        uint32_t w_out, uint32_t w_in) {
  if (P.min_flows == 0)
    return false;
  double now = simgrid::s4u::Engine::get_clock();
  if (P.on)
    hand_over(now);
  if (P.batch.empty() && nvl_sg_network_busy(from[0]))
    return false;
  x->phase_at = (long)P.batch.size();
  for (size_t i = 0; i < n; i++)
    P.batch.push_back(
        {x, i, from[i], to[i], (double)bytes[i], rate(i), w_out, w_in, {}, {}, {}, 0, false});
  if (!P.close_set) {
    /* closed just after this instant, when every lane stepped at it has started its transfers
     * (lanes step in several rounds of the kernel at one instant); they start at this instant */
    P.close_set = true;
    P.opened = now;
    simgrid::kernel::timer::Timer::set(now + std::max(1e-12, now * 1e-12), close_batch);
  }
  return true;
}

void nvl_sg_phase_weigh(nvl_xfer *x, size_t i, const double *w, size_t n) {
  size_t at = (size_t)x->phase_at + i;
  if (at < P.batch.size() && P.batch[at].x == x)
    P.batch[at].w.assign(w, w + n);
}

void nvl_sg_phase_peaks(nvl_xfer *x, const int *route_ld, const int *route_off) {
  for (size_t i = 0; i < x->pending && (size_t)x->phase_at + i < P.batch.size(); i++) {
    stripe &s = P.batch[(size_t)x->phase_at + i];
    if (s.x != x)
      break;
    s.ld.assign(route_ld + route_off[i], route_ld + route_off[i + 1]);
  }
}
