// sg_phase: transfers that start together on an idle network, solved as one phase (phase.h)
// instead of one SimGrid re-solve per completion; see nvl_sg_phases in sg_shim.h.
//
// Transfers started at one instant while nothing moves on the network are held in a batch (no
// action yet); a kernel timer just after that instant closes it (lanes step in several rounds of
// the kernel at one instant). A batch of at least `min_flows` stripes, on routes of links, with
// the network still idle, becomes the phase: its max-min sharing (phase.c) goes step by step with
// the kernel's clock, one timer at its next event, where the stripes due arrive (delivered as the
// model's completion signal would). Anything else that starts on the network while a phase runs
// ends it where it stands: the stripes that arrived are delivered, and the others go on as
// actions of the network model with the bytes they have left, moving from the instant the phase had
// them move (their route's latency paid in the phase counts): the hand-over itself changes nothing.
// A smaller batch, or one that met other traffic, starts as actions just after its instant (1e-12
// of it, at least 1e-12 s: where the batch closes). Link peaks (--link-stats) are the largest loads
// of the phase's solves, noted onto its stripes' link directions when it ends.
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
  bool done;
};
struct phase_state {
  double window = 0;
  size_t min_flows = 0;            // 0: phases off
  std::vector<stripe> batch, live; // live[f]: the phase's flow f
  bool close_set = false, on = false;
  nvl_phase *ph = nullptr;
  double opened = 0; // the batch's instant
  unsigned gen = 0;  // the phase's generation: a timer of an older one does nothing
  size_t left = 0;   // live stripes not yet delivered
  std::unordered_map<const simgrid::s4u::Link *, int> link_of; // the phase's links
  std::vector<double> peaks;                                   // [phase link]: largest load
  bool want_peaks = false;
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

// The phase's links of stripe s's route (added as needed), its weights and route latency; false
// when it has no route of links.
static bool route_of(stripe &s, std::vector<double> &w, double *lat) {
  std::vector<simgrid::s4u::Link *> route;
  *lat = 0;
  s.from->route_to(s.to, route, lat);
  if (route.empty() || s.from == s.to)
    return false;
  s.plink.clear();
  w.assign(route.size(), 1.0);
  w.front() += s.w_out - 1.0; // as SimGrid's expand adds to a link's weight (weigh), then
  w.back() += s.w_in - 1.0;   // raises each to nvl_xfer_weigh's (weigh_elements)
  for (size_t k = 0; k < route.size(); k++) {
    auto it = P.link_of.find(route[k]);
    int l = it != P.link_of.end() ? it->second : nvl_phase_link(P.ph, route[k]->get_bandwidth());
    P.link_of.emplace(route[k], l);
    s.plink.push_back(l);
    if (k < s.w.size() && s.w[k] > w[k])
      w[k] = s.w[k];
  }
  return true;
}

// The phase's peaks onto its stripes' link directions, once it ends.
static void note_peaks() {
  if (!P.want_peaks)
    return;
  for (const stripe &s : P.live)
    for (size_t k = 0; k < s.ld.size() && k < s.plink.size(); k++)
      if (s.ld[k] >= 0 && (size_t)s.plink[k] < P.peaks.size())
        nvl_sg_peak_note(s.ld[k], P.peaks[(size_t)s.plink[k]]);
}

static void phase_over() {
  note_peaks();
  P.on = false;
  P.gen++;
  P.live.clear();
  P.link_of.clear();
}

// The stripes that ended since the last call, delivered (their arrival: now).
static void deliver_ended() {
  size_t n = 0;
  const size_t *ended = nvl_phase_take_ended(P.ph, &n);
  for (size_t k = 0; k < n; k++)
    deliver(P.live[ended[k]]);
}

// The timer of the phase's next event.
static void on_event(unsigned gen, double t);
static void schedule() {
  double t = nvl_phase_next(P.ph, P.want_peaks ? P.peaks.data() : nullptr);
  if (!(t < INFINITY)) { /* every flow ended (or none can move: a link of capacity 0) */
    if (P.left == 0)
      phase_over();
    return;
  }
  unsigned gen = P.gen;
  simgrid::kernel::timer::Timer::set(t, [gen, t] { on_event(gen, t); });
}

static void on_event(unsigned gen, double t) {
  if (gen != P.gen || !P.on)
    return;
  nvl_phase_advance(P.ph, t);
  deliver_ended();
  if (P.left == 0)
    phase_over();
  else
    schedule();
}

// The phase ends at `now`: what arrived by then is delivered, the rest goes on as actions, each
// moving from the instant the phase had it move.
static void hand_over(double now) {
  nvl_phase_advance(P.ph, now);
  deliver_ended();
  for (size_t f = 0; f < P.live.size(); f++)
    if (!P.live[f].done) {
      P.live[f].x->phase_at = -1;
      bool waiting = false;
      double left = nvl_phase_left(P.ph, f, &waiting);
      start_action(P.live[f], left, waiting ? nvl_phase_starts(P.ph, f) : now);
    }
  phase_over();
}

// Stripes b start as the phase at `now`; false (nothing started) when one has no route of links.
static bool start_phase(std::vector<stripe> &b, double now) {
  if (!P.ph)
    P.ph = nvl_phase_new();
  nvl_phase_clear(P.ph);
  P.link_of.clear();
  std::vector<double> w;
  for (stripe &s : b) {
    double lat = 0;
    if (!route_of(s, w, &lat))
      return false;
    nvl_phase_flow(P.ph, s.bytes, lat, s.rate > 0 ? s.rate : 0, s.plink.data(), w.data(),
                   (int)s.plink.size());
  }
  P.live.swap(b);
  P.on = true;
  P.gen++;
  P.left = P.live.size();
  P.want_peaks = false;
  for (const stripe &s : P.live)
    P.want_peaks = P.want_peaks || !s.ld.empty();
  P.peaks.assign(nvl_phase_links(P.ph), 0.0);
  nvl_phase_begin(P.ph, now, P.window);
  deliver_ended(); /* transfers of no bytes over no latency */
  if (P.left == 0)
    phase_over();
  else
    schedule();
  return true;
}

static void close_batch() {
  P.close_set = false;
  std::vector<stripe> b;
  b.swap(P.batch);
  if (b.empty())
    return;
  double now = P.opened; /* no phase runs: a start while one ran handed it over (defer) */
  if (b.size() < P.min_flows || nvl_sg_network_busy(b[0].from) || !start_phase(b, now))
    for (stripe &s : b) {
      s.x->phase_at = -1;
      start_action(s, s.bytes, -1);
    }
}

bool nvl_sg_phase_defer(nvl_xfer *x, sg_host_t const *from, sg_host_t const *to,
                        const uint64_t *bytes, size_t n, double rate_Bps, double total,
                        uint32_t w_out, uint32_t w_in) {
  if (P.min_flows == 0)
    return false;
  double now = simgrid::s4u::Engine::get_clock();
  if (P.on)
    hand_over(now);
  if (P.batch.empty() && nvl_sg_network_busy(from[0]))
    return false;
  x->phase_at = (long)P.batch.size();
  for (size_t i = 0; i < n; i++) {
    double rate = nvl_sg_stripe_rate(rate_Bps, bytes[i], total);
    P.batch.push_back(
        {x, i, from[i], to[i], (double)bytes[i], rate, w_out, w_in, {}, {}, {}, false});
  }
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
