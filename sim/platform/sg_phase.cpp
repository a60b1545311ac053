// sg_phase: transfers that start together on an idle network, solved as one phase (phase.h)
// instead of one SimGrid re-solve per completion; see nvl_sg_phases in sg_shim.h.
//
// Transfers started at one instant while no action moves on the network are held in a batch (no
// action yet); a kernel timer just after that instant closes it (lanes step in several rounds of
// the kernel at one instant). A batch of at least `min_flows` stripes, on routes of links, with
// no action on the network, becomes a phase: its max-min sharing (phase.c) goes step by step with
// the kernel's clock, one timer at its next event, where the stripes due arrive (delivered as the
// model's completion signal would). Anything else that starts on a link of a running phase ends
// that phase where it stands: the stripes that arrived are delivered, and the others go on as
// actions of the network model with the bytes they have left, moving from the instant the phase
// had them move (their route's latency paid in the phase counts): the hand-over itself changes
// nothing. Phases on disjoint links run side by side (they cannot interact); while one runs
// beside another, each ends every stripe at its own instant (window 0), as a hand-over would have.
// A smaller batch, or one that met other traffic, starts as actions just after its instant (1e-12
// of it, at least 1e-12 s: where the batch closes). Link peaks (--link-stats) are the largest loads
// of the phase's solves, noted onto its stripes' link directions when it ends.
#include <simgrid/kernel/Timer.hpp>
#include <simgrid/s4u/Engine.hpp>
#include <simgrid/s4u/Link.hpp>
#include <simgrid/simix.hpp>
#include <algorithm>
#include <cmath>
#include <memory>
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
  std::vector<simgrid::s4u::Link *> route{}; // its route, once asked for (routed)
  double lat = 0;
  bool routed = false;
};
// A live phase: its solver, its stripes and the links they use. Phases run side by side when
// their links are disjoint (pipeline stages on racks of their own): they cannot interact.
struct phase {
  nvl_phase *ph = nullptr;
  std::vector<stripe> live; // live[f]: the phase's flow f
  bool on = false;
  unsigned gen = 0; // a timer of an older generation does nothing
  size_t left = 0;  // live stripes not yet delivered
  std::unordered_map<const simgrid::s4u::Link *, int> link_of; // the phase's links
  std::vector<double> peaks;                                   // [phase link]: largest load
  bool want_peaks = false;
};
struct phase_state {
  double window = 0;
  size_t min_flows = 0; // 0: phases off
  std::vector<stripe> batch;
  bool close_set = false;
  double opened = 0;                       // the batch's instant
  std::vector<std::unique_ptr<phase>> all; // live or idle, reused
};
} // namespace
static phase_state P;

extern "C" void nvl_sg_phases(double window, size_t min_flows) {
  P.window = window;
  P.min_flows = min_flows;
}

static void deliver(phase &p, stripe &s) {
  if (s.done)
    return;
  s.done = true;
  p.left--;
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
// Stripe s's route and latency, asked of SimGrid once.
static const std::vector<simgrid::s4u::Link *> &route_links(stripe &s) {
  if (!s.routed) {
    s.from->route_to(s.to, s.route, &s.lat);
    s.routed = true;
  }
  return s.route;
}

static bool route_of(phase &p, stripe &s, std::vector<double> &w, double *lat) {
  const std::vector<simgrid::s4u::Link *> &route = route_links(s);
  *lat = s.lat;
  if (route.empty() || s.from == s.to)
    return false;
  s.plink.clear();
  w.assign(route.size(), 1.0);
  w.front() += s.w_out - 1.0; // as SimGrid's expand adds to a link's weight (weigh), then
  w.back() += s.w_in - 1.0;   // raises each to nvl_xfer_weigh's (weigh_elements)
  for (size_t k = 0; k < route.size(); k++) {
    auto it = p.link_of.find(route[k]);
    int l = it != p.link_of.end() ? it->second : nvl_phase_link(p.ph, route[k]->get_bandwidth());
    p.link_of.emplace(route[k], l);
    s.plink.push_back(l);
    if (k < s.w.size() && s.w[k] > w[k])
      w[k] = s.w[k];
  }
  return true;
}

// The phase's peaks onto its stripes' link directions, once it ends.
static void note_peaks(phase &p) {
  if (!p.want_peaks)
    return;
  for (const stripe &s : p.live)
    for (size_t k = 0; k < s.ld.size() && k < s.plink.size(); k++)
      if (s.ld[k] >= 0 && (size_t)s.plink[k] < p.peaks.size())
        nvl_sg_peak_note(s.ld[k], p.peaks[(size_t)s.plink[k]]);
}

static void phase_over(phase &p) {
  note_peaks(p);
  p.on = false;
  p.gen++;
  p.live.clear();
  p.link_of.clear();
}

// The stripes that ended since the last call, delivered (their arrival: now).
static void deliver_ended(phase &p) {
  size_t n = 0;
  const size_t *ended = nvl_phase_take_ended(p.ph, &n);
  for (size_t k = 0; k < n; k++)
    deliver(p, p.live[ended[k]]);
}

// The timer of the phase's next event.
static void on_event(phase *p, unsigned gen, double t);
static void schedule(phase &p) {
  double t = nvl_phase_next(p.ph, p.want_peaks ? p.peaks.data() : nullptr);
  if (!(t < INFINITY)) { /* every flow ended (or none can move: a link of capacity 0) */
    if (p.left == 0)
      phase_over(p);
    return;
  }
  unsigned gen = p.gen;
  phase *pp = &p;
  simgrid::kernel::timer::Timer::set(t, [pp, gen, t] { on_event(pp, gen, t); });
}

static void on_event(phase *p, unsigned gen, double t) {
  if (gen != p->gen || !p->on)
    return;
  nvl_phase_advance(p->ph, t);
  deliver_ended(*p);
  if (p->left == 0)
    phase_over(*p);
  else
    schedule(*p);
}

// The phase ends at `now`: what arrived by then is delivered, the rest goes on as actions, each
// moving from the instant the phase had it move.
static void hand_over(phase &p, double now) {
  nvl_phase_advance(p.ph, now);
  deliver_ended(p);
  for (size_t f = 0; f < p.live.size(); f++)
    if (!p.live[f].done) {
      p.live[f].x->phase_at = -1;
      bool waiting = false;
      double left = nvl_phase_left(p.ph, f, &waiting);
      start_action(p.live[f], left, waiting ? nvl_phase_starts(p.ph, f) : now);
    }
  phase_over(p);
}

// Every live phase that uses a link of stripe s's route is handed over at `now`.
static void hand_over_sharing(stripe &s, double now) {
  const std::vector<simgrid::s4u::Link *> &route = route_links(s);
  for (auto &p : P.all)
    if (p->on)
      for (const simgrid::s4u::Link *l : route)
        if (p->link_of.count(l)) {
          hand_over(*p, now);
          break;
        }
}

static bool any_live() {
  for (auto &p : P.all)
    if (p->on)
      return true;
  return false;
}

// An idle phase (one more when every one runs).
static phase &idle_phase() {
  for (auto &p : P.all)
    if (!p->on)
      return *p;
  P.all.push_back(std::make_unique<phase>());
  P.all.back()->ph = nvl_phase_new();
  return *P.all.back();
}

// Stripes b start as a phase at `now`; false (nothing started) when one has no route of links.
static bool start_phase(std::vector<stripe> &b, double now) {
  /* beside another phase, every phase ends each flow at its own instant: a window's early or late
   * ends, which a hand-over used to cut short, would otherwise run to the end */
  bool beside = any_live();
  for (auto &q : P.all)
    if (q->on) { /* as a hand-over would: what is due by now arrives, the rest goes on exactly */
      nvl_phase_advance(q->ph, now);
      deliver_ended(*q);
      nvl_phase_set_window(q->ph, 0);
      q->gen++;
      if (q->left == 0)
        phase_over(*q);
      else
        schedule(*q);
    }
  phase &p = idle_phase();
  nvl_phase_clear(p.ph);
  p.link_of.clear();
  std::vector<double> w;
  for (stripe &s : b) {
    double lat = 0;
    if (!route_of(p, s, w, &lat))
      return false;
    nvl_phase_flow(p.ph, s.bytes, lat, s.rate > 0 ? s.rate : 0, s.plink.data(), w.data(),
                   (int)s.plink.size());
  }
  p.live.swap(b);
  p.on = true;
  p.gen++;
  p.left = p.live.size();
  p.want_peaks = false;
  for (const stripe &s : p.live)
    p.want_peaks = p.want_peaks || !s.ld.empty();
  p.peaks.assign(nvl_phase_links(p.ph), 0.0);
  nvl_phase_begin(p.ph, now, beside ? 0 : P.window);
  deliver_ended(p); /* transfers of no bytes over no latency */
  if (p.left == 0)
    phase_over(p);
  else
    schedule(p);
  return true;
}

static void close_batch() {
  P.close_set = false;
  std::vector<stripe> b;
  b.swap(P.batch);
  if (b.empty())
    return;
  double now = P.opened; /* live phases share no link with the batch: any that did was handed
                            over when the transfer that touched it was deferred */
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
  bool live = any_live();
  if (!live && P.batch.empty() && nvl_sg_network_busy(from[0]))
    return false; /* an action, as it always was: nothing built */
  std::vector<stripe> mine;
  for (size_t i = 0; i < n; i++) {
    double rate = nvl_sg_stripe_rate(rate_Bps, bytes[i], total);
    mine.push_back({x, i, from[i], to[i], (double)bytes[i], rate, w_out, w_in, {}, {}, {}, false});
  }
  if (live) /* the phases this transfer would meet end here; disjoint ones go on */
    for (stripe &s : mine)
      hand_over_sharing(s, now); /* its route, kept for the phase it may join */
  if (P.batch.empty() && nvl_sg_network_busy(from[0]))
    return false;
  x->phase_at = (long)P.batch.size();
  for (stripe &s : mine)
    P.batch.push_back(std::move(s));
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
