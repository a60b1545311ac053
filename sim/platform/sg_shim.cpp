// sg_shim: see sg_shim.h. Kept deliberately tiny: the project is C.
#include "platform/sg_shim.h"

#include <new>
#include <unistd.h>

#include <simgrid/kernel/resource/Action.hpp>
#include <simgrid/kernel/resource/Model.hpp>
#include <simgrid/simix.hpp>
#include <simgrid/s4u/Engine.hpp>
#include <simgrid/s4u/Comm.hpp>
#include <simgrid/s4u/Host.hpp>
#include <simgrid/s4u/Link.hpp>
#include <simgrid/s4u/Mailbox.hpp>
#include <simgrid/kernel/routing/NetPoint.hpp>
#include <simgrid/kernel/routing/NetZoneImpl.hpp>
#include <simgrid/s4u/NetZone.hpp>
#include <xbt/config.hpp>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <list>
#include <string>
#include <unordered_map>
#include <vector>

struct nvl_xfer {
  simgrid::s4u::CommPtr first;               // most transfers are one stripe:
  std::vector<simgrid::s4u::CommPtr> others; // no vector allocation for them
  int refs;
  size_t pending; // stripes still travelling
  void (*on_done)(void *, void *);
  void *a, *b;
};

using simgrid::kernel::resource::Action;

// A rate bound for host-to-host communications. s4u::Comm::set_rate only reaches mailbox
// communications in SimGrid 3.32 (Comm::start passes rate_ to isend, not to a sendto's kernel
// object), and the kernel's CommImpl header is not installed. CommImpl::set_rate(double) is
// exported by libsimgrid, and a member function is, in the Itanium C++ ABI, a function taking
// `this` first: this declaration names that symbol. CommImpl derives singly from ActivityImpl, so
// the activity pointer designates the CommImpl itself (the same reasoning as NetworkAction below).
// The bound is read when the communication starts, so it must be set before set_destination.
extern void *
nvl_commimpl_set_rate(void *comm_impl,
                      double rate) __asm__("_ZN7simgrid6kernel8activity8CommImpl8set_rateEd");

// Equal sharing. SimGrid's CM02 model weighs each transfer's share of a link by its route latency
// (TCP's RTT unfairness: its sharing penalty is the latency, so a transfer over 350 ns gets 2.7x
// the bandwidth of one over 950 ns on a link they share). NVLink switches arbitrate per flow, not
// per round trip, so every transfer gets penalty 1: exact max-min fairness. The penalty is a field
// of the network action (NetworkAction::sharing_penalty_, read when the latency has been paid),
// which the installed headers reach only through the kernel activity. Both classes are mirrored
// here up to the fields used, as SimGrid 3.32 lays them out (src/kernel/activity/ActivityImpl.hpp,
// src/kernel/resource/NetworkModel.hpp: NetworkAction derives singly from Action, whose definition
// is installed), and every use checks the mirror against what it must hold first: the activity's
// s4u interface is the Comm we hold, its action names it back, the action's hosts are the
// transfer's, and its latency fields agree.
namespace {
struct activity_layout { // plain data: no virtual member, so no dynamic type to check
  const void *vptr_;     // the vtable pointer
  std::atomic_int_fast32_t refcount_;
  std::string name_;
  void *actor_;
  int state_;
  double start_time_, finish_time_;
  std::vector<void *> hosts_;
  std::list<void *> simcalls_;
  void *piface_;
  Action *surf_action_;
};

struct network_action_tail { // what follows Action in NetworkAction
  simgrid::s4u::Host *src_, *dst_;
  double latency_, lat_current_, sharing_penalty_;
};
} // namespace

static void share_equally(const simgrid::s4u::CommPtr &c, sg_host_t from, sg_host_t to) {
  const auto *m = reinterpret_cast<const activity_layout *>(c->get_impl());
  bool ok =
      m->piface_ == c.get() && m->surf_action_ && m->surf_action_->get_activity() == c->get_impl();
  auto *t = ok ? reinterpret_cast<network_action_tail *>(reinterpret_cast<char *>(m->surf_action_) +
                                                         sizeof(Action))
               : nullptr;
  ok = ok && t->src_ == from && t->dst_ == to && t->lat_current_ >= 0 &&
       t->latency_ == t->lat_current_ && t->sharing_penalty_ == t->lat_current_;
  if (!ok) {
    fprintf(stderr, "nvlsim: internal error: SimGrid's network action is not laid out as 3.32's "
                    "(sg_shim.cpp)\n");
    abort();
  }
  t->sharing_penalty_ = 1.0;
}

// Weighted transfers (reduced programs, models/program.h): a transfer that stands for its orbit
// counts w_out times on the first link of its route and w_in times on the last, through the
// max-min system's own expand (exported by libsimgrid; a repeated expand adds to a variable's
// consumption weight on a link). The variable's constraints, one element per route link in route
// order, are read through a mirror of SimGrid 3.32's lmm::Variable and lmm::Element
// (src/kernel/lmm/System.hpp), checked: as many elements as route links, each naming the
// variable.
extern void nvl_lmm_expand(void *system, void *cnst, void *var, double weight, bool force) __asm__(
    "_ZN7simgrid6kernel3lmm6System6expandEPNS1_10ConstraintEPNS1_8VariableEdb");

namespace {
struct hook_layout {
  void *next_, *prev_;
};
struct element_layout {
  hook_layout enabled_, disabled_, active_;
  void *constraint;
  void *variable;
  double consumption_weight, max_consumption_weight;
};
struct variable_layout {
  hook_layout variable_set_, saturated_variable_set_;
  std::vector<element_layout> cnsts_;
};
} // namespace

// A fix to SimGrid's selective update (3.32, unchanged in 4.1: src/kernel/lmm/System.cpp). A
// transfer's max-min variable starts disabled while it pays its latency; when SimGrid enables it
// (enable_var), update_modified_cnst_set_from_variable marks for the next solve only the constraint
// of its first link, trusting the recursion from there to reach the others. If that constraint was
// marked already in the same round (another transfer on that link ended), its recursion ran while
// the variable was disabled, and the variable's other links are never marked: the solve gives the
// variable what its first link allows, with the other transfers on its other links kept at their
// old rates. A link then carries more than its capacity (an NVLS multicast at 900 GB/s beside a
// 43 GB/s pipeline send on a 900 GB/s GPU port), and alike jobs finish apart (racks of
// tests/designs/racks-4x8.json up to 10 % apart under concurrent cross-rack traffic); the
// non-selective solver (network/optim:Full) gets every case right, 15x slower. This definition
// takes the place of libsimgrid's (its calls go through the PLT, and the linker exports it from
// the executable: CMakeLists.txt) and marks every constraint of the variable.
extern void nvl_lmm_update_modified_cnst_set(void *system, void *cnst) __asm__(
    "_ZN7simgrid6kernel3lmm6System24update_modified_cnst_setEPNS1_10ConstraintE");
void nvl_lmm_from_variable(void *system, const void *var) __asm__(
    "_ZN7simgrid6kernel3lmm6System38update_modified_cnst_set_from_variableEPKNS1_8VariableE");
void nvl_lmm_from_variable(void *system, const void *var) {
  const auto *v = static_cast<const variable_layout *>(var);
  for (const element_layout &el : v->cnsts_) // each: marked, with what it reaches, unless it is
    nvl_lmm_update_modified_cnst_set(system, el.constraint);
}

static void weigh(const simgrid::s4u::CommPtr &c, uint32_t w_out, uint32_t w_in) {
  const auto *m = reinterpret_cast<const activity_layout *>(c->get_impl());
  Action *a = m->surf_action_;
  auto *v = reinterpret_cast<variable_layout *>(a->get_variable());
  size_t n = v->cnsts_.size();
  if (n == 0 || v->cnsts_.front().variable != a->get_variable() ||
      v->cnsts_.back().variable != a->get_variable()) {
    fprintf(stderr, "nvlsim: internal error: SimGrid's max-min variable is not laid out as 3.32's "
                    "(sg_shim.cpp)\n");
    abort();
  }
  void *system = a->get_model()->get_maxmin_system(), *var = a->get_variable();
  void *first = v->cnsts_.front().constraint, *last = v->cnsts_.back().constraint;
  simgrid::kernel::actor::simcall_answered([&] {
    if (w_out > 1)
      nvl_lmm_expand(system, first, var, (double)(w_out - 1), false);
    if (w_in > 1)
      nvl_lmm_expand(system, last, var, (double)(w_in - 1), false);
  });
}

// The max-min variable of a started communication and its system, checked against 3.32's layout
// (an empty transfer may have none yet: NULL).
static variable_layout *variable_of(const simgrid::s4u::CommPtr &c, void **system) {
  const auto *m = reinterpret_cast<const activity_layout *>(c->get_impl());
  Action *a = m->surf_action_;
  auto *v = a ? reinterpret_cast<variable_layout *>(a->get_variable()) : nullptr;
  if (!v)
    return nullptr;
  for (const element_layout &el : v->cnsts_)
    if (el.variable != a->get_variable()) {
      fprintf(stderr, "nvlsim: internal error: SimGrid's max-min variable is not laid out as "
                      "3.32's (sg_shim.cpp)\n");
      abort();
    }
  *system = a->get_model()->get_maxmin_system();
  return v;
}

// A folded transfer's weights (nvl_xfer_weigh): each element raised to its target through expand.
static void weigh_elements(const simgrid::s4u::CommPtr &c, const double *w, size_t n) {
  void *system = nullptr;
  variable_layout *v = variable_of(c, &system);
  if (!v || v->cnsts_.size() != n)
    return; // a zero-byte transfer, or the loopback: nothing shares it
  simgrid::kernel::actor::simcall_answered([&] {
    for (size_t k = 0; k < n; k++) {
      element_layout &el = v->cnsts_[k];
      if (w[k] > el.consumption_weight)
        nvl_lmm_expand(system, el.constraint, v, w[k] - el.consumption_weight, false);
    }
  });
}

// Stripes in flight, by their kernel activity (what a finishing network action names).
static std::unordered_map<const void *, nvl_xfer *> in_flight;

// Peak loads (nvl_peaks_begin): link direction of each max-min constraint met on a route, the
// simulated instant each direction was last read.
namespace {
struct peak_state {
  bool on = false;
  std::vector<sg_link_t> link_of_ld;
  std::vector<double> last_read;
  double *peak = nullptr;
  std::unordered_map<const void *, int> ld_of_cnst;
};
} // namespace
static peak_state peaks;

static void read_peaks_of(const Action &a) {
  auto *v = reinterpret_cast<const variable_layout *>(a.get_variable());
  if (!v)
    return;
  double now = simgrid::s4u::Engine::get_clock();
  for (const element_layout &el : v->cnsts_) {
    auto it = peaks.ld_of_cnst.find(el.constraint);
    if (it == peaks.ld_of_cnst.end() || peaks.last_read[(size_t)it->second] == now)
      continue;
    size_t ld = (size_t)it->second;
    peaks.last_read[ld] = now;
    double u = peaks.link_of_ld[ld]->get_usage();
    if (u > peaks.peak[ld])
      peaks.peak[ld] = u;
  }
}

static void arrived(simgrid::kernel::resource::NetworkAction &na, Action::State) {
  // NetworkAction is only forward-declared in the installed headers. In SimGrid 3.32's source it
  // derives singly and publicly from Action, so the reference designates the Action itself. Every
  // simulated transfer arrives through this cast, so every engine test exercises it.
  auto &a = reinterpret_cast<Action &>(na);
  if (peaks.on)
    read_peaks_of(a);
  if (a.get_state() != Action::State::FINISHED && a.get_state() != Action::State::FAILED)
    return;
  auto it = in_flight.find(a.get_activity());
  if (it == in_flight.end())
    return;
  nvl_xfer *x = it->second;
  in_flight.erase(it);
  if (--x->pending == 0 && x->on_done)
    x->on_done(x->a, x->b);
}

struct nvl_mbox {
  simgrid::s4u::Mailbox *mb;
};

extern "C" void nvl_sg_on_time_advance(void (*fn)(void *ctx), void *ctx) {
  simgrid::s4u::Engine::on_time_advance_cb([fn, ctx](double) { fn(ctx); });
}

extern "C" void nvl_outfile_remove_unfinished(void); // base/outfile.h

extern "C" void nvl_sg_exit_on_bad_alloc(void) {
  std::set_new_handler([] {
    nvl_outfile_remove_unfinished();
    static const char msg[] = "nvlsim: out of memory (in the simulator)\n";
    ssize_t w = write(2, msg, sizeof msg - 1);
    (void)w;
    _exit(3); // NVL_EXIT_NOMEM
  });
}

extern "C" double nvl_sg_link_usage(const_sg_link_t link) { return link->get_usage(); }

extern "C" nvl_mbox *nvl_mbox_open(const char *name, sg_actor_t receiver) {
  auto *m = new nvl_mbox;
  m->mb = simgrid::s4u::Mailbox::by_name(name);
  m->mb->set_receiver(simgrid::s4u::ActorPtr(receiver));
  return m;
}

extern "C" void nvl_mbox_close(nvl_mbox *m) {
  m->mb->clear(); // the delivered transfers, never received: nothing reads their payload
  m->mb->set_receiver(nullptr);
  delete m;
}

extern "C" nvl_xfer *nvl_xfer_start(sg_host_t const *from, sg_host_t const *to,
                                    const uint64_t *bytes, size_t n, nvl_mbox *via, double rate_Bps,
                                    uint32_t w_out, uint32_t w_in, int refs,
                                    void (*on_done)(void *, void *), void *a, void *b) {
  static char payload; // mailboxes refuse null payloads; nobody reads this one
  static bool hooked;
  if (!hooked) {
    simgrid::s4u::Link::on_communication_state_change_cb(arrived);
    in_flight.reserve(1 << 16);
    hooked = true;
  }
  auto *x = new nvl_xfer;
  x->refs = refs;
  x->pending = n;
  x->on_done = on_done;
  x->a = a;
  x->b = b;
  if (n > 1)
    x->others.reserve(n - 1);
  double total = 0;
  for (size_t i = 0; i < n; i++)
    total += (double)bytes[i];
  for (size_t i = 0; i < n; i++) {
    // a stripe's action cannot finish before the next simulation round, so registering it right
    // after the start misses nothing
    simgrid::s4u::CommPtr c;
    double rate = rate_Bps * (double)bytes[i] / total;
    if (rate_Bps > 0 && bytes[i] > 0 && via && n == 1) { // bounded, through the mailbox
      c = via->mb->put_init(&payload, bytes[i]);
      c->set_rate(rate);
      c->start();
    } else if (rate_Bps > 0 && bytes[i] > 0) { // bounded host to host: bound, then start
      c = simgrid::s4u::Comm::sendto_init();
      c->set_payload_size(bytes[i]);
      c->set_source(from[i]);
      nvl_commimpl_set_rate(c->get_impl(), rate);
      c->set_destination(to[i]); // starts it
    } else if (via && n == 1) {
      c = via->mb->put_async(&payload, bytes[i]);
    } else {
      c = simgrid::s4u::Comm::sendto_async(from[i], to[i], bytes[i]);
      if (bytes[i] == 0) // s4u leaves an empty host-to-host transfer unstarted: it pays latency
        c->start();
    }
    share_equally(c, from[i], to[i]);
    if (w_out > 1 || w_in > 1)
      weigh(c, w_out, w_in);
    in_flight.emplace(c->get_impl(), x);
    if (i == 0)
      x->first = std::move(c);
    else
      x->others.push_back(std::move(c));
  }
  if (n == 0 && on_done)
    on_done(a, b);
  return x;
}

extern "C" void nvl_peaks_begin(sg_link_t const *link_of_ld, size_t n_ld, double *peak) {
  peaks.on = true;
  peaks.link_of_ld.assign(link_of_ld, link_of_ld + n_ld);
  peaks.last_read.assign(n_ld, -1.0);
  peaks.peak = peak;
}

static void route_stripe(const simgrid::s4u::CommPtr &c, const int *ld, int n) {
  const auto *m = reinterpret_cast<const activity_layout *>(c->get_impl());
  const Action *a = m->surf_action_;
  auto *v = a ? reinterpret_cast<const variable_layout *>(a->get_variable()) : nullptr;
  if (!v || v->cnsts_.size() != (size_t)n) // one element per route link, as weigh() relies on
    return;
  for (int k = 0; k < n; k++)
    if (ld[k] >= 0 && peaks.link_of_ld[(size_t)ld[k]])
      peaks.ld_of_cnst.emplace(v->cnsts_[(size_t)k].constraint, ld[k]);
  read_peaks_of(*a);
}

extern "C" void nvl_peaks_route(nvl_xfer *x, const int *route_ld, const int *route_off) {
  if (!peaks.on || !x->first)
    return;
  route_stripe(x->first, route_ld + route_off[0], route_off[1] - route_off[0]);
  for (size_t i = 0; i < x->others.size(); i++)
    route_stripe(x->others[i], route_ld + route_off[i + 1], route_off[i + 2] - route_off[i + 1]);
}

extern "C" void nvl_xfer_weigh(nvl_xfer *x, size_t stripe, const double *w, size_t n) {
  if (stripe == 0 && x->first)
    weigh_elements(x->first, w, n);
  else if (stripe > 0 && stripe <= x->others.size())
    weigh_elements(x->others[stripe - 1], w, n);
}

extern "C" bool nvl_xfer_done(const nvl_xfer *x) { return x->pending == 0; }

extern "C" void nvl_xfer_unref(nvl_xfer *x) {
  if (--x->refs == 0)
    delete x;
}

// The platform's zone: routes are asked of the caller when SimGrid needs them (the first
// transfer between two hosts, and every one after: SimGrid keeps no route cache), instead of being
// stored for every pair of hosts beforehand. A zone of one's own is what SimGrid's routing
// interface is for: NetZoneImpl is exported, and get_local_route is its one abstract method.
namespace {
class LazyZone : public simgrid::kernel::routing::NetZoneImpl {
public:
  LazyZone(const std::string &name, nvl_route_fn route, void *ctx)
      : NetZoneImpl(name), route_(route), ctx_(ctx) {}
  std::vector<simgrid::kernel::resource::StandardLinkImpl *> up, down; // per logical link
  std::vector<double> lat;
  simgrid::kernel::resource::StandardLinkImpl *loopback = nullptr;

private:
  nvl_route_fn route_;
  void *ctx_;
  void get_local_route(const simgrid::kernel::routing::NetPoint *src,
                       const simgrid::kernel::routing::NetPoint *dst,
                       simgrid::kernel::routing::Route *into, double *latency) override {
    if (src == dst) { // as SimGrid's own zones: the loopback
      into->link_list_.push_back(loopback);
      return;
    }
    int links[64], dirs[64];
    // hosts are the zone's only components, created in index order: a netpoint's id is its index
    int n = route_(ctx_, (int)src->id(), (int)dst->id(), links, dirs, 64);
    for (int i = 0; i < n; i++) {
      into->link_list_.push_back(dirs[i] > 0 ? up[links[i]] : down[links[i]]);
      if (latency)
        *latency += lat[links[i]];
    }
  }
};
} // namespace

struct nvl_zone {
  LazyZone *zone;
};

extern "C" nvl_zone *nvl_zone_begin(const char *name, nvl_route_fn route, void *ctx) {
  auto *z = new nvl_zone;
  z->zone = new LazyZone(name, route, ctx);
  // the loopback SimGrid's zones give a host talking to itself (network/loopback-bw, -lat)
  z->zone->loopback =
      z->zone->get_iface()
          ->create_link("__loopback__", simgrid::config::get_value<double>("network/loopback-bw"))
          ->set_sharing_policy(simgrid::s4u::Link::SharingPolicy::FATPIPE)
          ->set_latency(simgrid::config::get_value<double>("network/loopback-lat"))
          ->seal()
          ->get_impl();
  return z;
}

extern "C" void nvl_zone_host(nvl_zone *z, const char *name) {
  z->zone->get_iface()->create_host(name, 1e9)->seal();
}

extern "C" void nvl_zone_link(nvl_zone *z, double bw_Bps, double lat_s, bool fatpipe) {
  std::string name = "l" + std::to_string(z->zone->lat.size());
  simgrid::s4u::NetZone *nz = z->zone->get_iface();
  if (fatpipe) {
    auto *l = nz->create_link(name, bw_Bps)
                  ->set_sharing_policy(simgrid::s4u::Link::SharingPolicy::FATPIPE)
                  ->set_latency(lat_s)
                  ->seal();
    z->zone->up.push_back(l->get_impl());
    z->zone->down.push_back(l->get_impl());
  } else {
    simgrid::s4u::SplitDuplexLink *l = nz->create_split_duplex_link(name, bw_Bps);
    l->set_latency(lat_s)->seal();
    z->zone->up.push_back(l->get_link_up()->get_impl());
    z->zone->down.push_back(l->get_link_down()->get_impl());
  }
  z->zone->lat.push_back(lat_s);
}

extern "C" void nvl_zone_end(nvl_zone *z) {
  z->zone->get_iface()->seal();
  delete z; // the zone itself belongs to SimGrid now
}
