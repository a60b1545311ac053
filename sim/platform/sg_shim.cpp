// sg_shim: see sg_shim.h. Kept deliberately tiny: the project is C.
#include "platform/sg_shim.h"
#include "platform/sg_internal.hpp"

#include <new>
#include <unistd.h>

#include <simgrid/kernel/Timer.hpp>
#include <simgrid/kernel/resource/Action.hpp>
#include <simgrid/kernel/resource/Model.hpp>
#include <simgrid/kernel/resource/NetworkModelIntf.hpp>
#include <simgrid/simix.hpp>
#include <simgrid/s4u/Engine.hpp>
#include <simgrid/s4u/Host.hpp>
#include <simgrid/s4u/Link.hpp>
#include <simgrid/kernel/routing/NetPoint.hpp>
#include <simgrid/kernel/routing/NetZoneImpl.hpp>
#include <simgrid/s4u/NetZone.hpp>
#include <xbt/config.hpp>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <list>
#include <string>
#include <typeinfo>
#include <unordered_map>
#include <vector>

using simgrid::kernel::resource::Action;

// Transfers as network actions. A transfer's stripes are actions of SimGrid's network model
// itself, created as a communication's would be (NetworkModel::communicate, what CommImpl::start
// calls) but without the communication around them: nobody waits on them through SimGrid (the
// model's completion signal reports their arrival, sg_shim.h), so the s4u Comm, its kernel
// activity, the mailbox that matches it and their teardown were all overhead, most of the
// simulator's per-transfer cost on an alltoall of small transfers. The kernel skips actions that
// have no activity when it hands out finished ones (EngineImpl::handle_ended_actions); the shim
// frees them itself. NetworkModel is not installed: its class is mirrored up to communicate, its
// virtual functions in 3.32's order (src/kernel/resource/NetworkModel.hpp), used only on a model
// whose dynamic type is 3.32's CM02 model, checked.
namespace simgrid::kernel::resource {
class StandardLinkImpl;
}
// (Not in an anonymous namespace: the compiler would know that nothing derives from the mirror
// and take a call of its pure communicate for a call of a pure function.)
namespace nvl_mirror {
struct network_model_layout : simgrid::kernel::resource::Model,
                              simgrid::kernel::resource::NetworkModelIntf {
  using Model::Model;
  virtual simgrid::kernel::resource::StandardLinkImpl *
  create_link(const std::string &name, const std::vector<double> &bandwidths) = 0;
  virtual simgrid::kernel::resource::StandardLinkImpl *
  create_wifi_link(const std::string &name, const std::vector<double> &bandwidths) = 0;
  virtual Action *communicate(simgrid::s4u::Host *src, simgrid::s4u::Host *dst, double size,
                              double rate) = 0;
};
} // namespace nvl_mirror
using nvl_mirror::network_model_layout;

[[noreturn]] static void layout_error(const char *what) {
  fprintf(stderr, "nvlsim: internal error: SimGrid's %s is not laid out as 3.32's (sg_shim.cpp)\n",
          what);
  abort();
}

static network_model_layout *network_model(sg_host_t from) {
  static const void *checked;
  auto *m = from->get_netpoint()->get_englobing_zone()->get_network_model().get();
  if (m != checked) {
    // NetworkModel derives from Model first: the pointer designates the Model itself
    const auto *base = reinterpret_cast<const simgrid::kernel::resource::Model *>(m);
    if (strcmp(typeid(*base).name(), "N7simgrid6kernel8resource16NetworkCm02ModelE") != 0)
      layout_error("network model");
    checked = m;
  }
  return reinterpret_cast<network_model_layout *>(m);
}

// The network model's own communicate(), reached through the mirror above: its dynamic type is
// checked (network_model), so UBSan's vptr check, which sees a call through a class the object is
// not, is off for this one call.
__attribute__((no_sanitize("vptr"))) static Action *communicate(sg_host_t from, sg_host_t to,
                                                                double bytes, double rate) {
  return network_model(from)->communicate(from, to, bytes, rate);
}

// Equal sharing. SimGrid's CM02 model weighs each transfer's share of a link by its route latency
// (TCP's RTT unfairness: its sharing penalty is the latency, so a transfer over 350 ns gets 2.7x
// the bandwidth of one over 950 ns on a link they share). NVLink switches arbitrate per flow, not
// per round trip, so every transfer gets penalty 1: exact max-min fairness. The penalty is a field
// of the network action (NetworkAction::sharing_penalty_, read when the latency has been paid),
// mirrored here as SimGrid 3.32 lays it out (src/kernel/resource/NetworkModel.hpp: NetworkAction
// derives singly from Action, whose definition is installed); every use checks the mirror first:
// the action's hosts are the transfer's, and its latency fields agree.
namespace {
struct network_action_tail { // what follows Action in NetworkAction
  simgrid::s4u::Host *src_, *dst_;
  double latency_, lat_current_, sharing_penalty_;
};
} // namespace

static void share_equally(Action *a, sg_host_t from, sg_host_t to) {
  auto *t = reinterpret_cast<network_action_tail *>(reinterpret_cast<char *>(a) + sizeof(Action));
  if (t->src_ != from || t->dst_ != to || t->lat_current_ < 0 || t->latency_ != t->lat_current_ ||
      t->sharing_penalty_ != t->lat_current_)
    layout_error("network action");
  t->sharing_penalty_ = 1.0;
}

// A stripe taken over from a phase (sg_phase.cpp) has paid its route's latency, or part of it,
// already: its action moves from `date` on (now or later) instead of after a latency of its own.
// Now: as CM02's lazy update does when a latency is paid (network_cm02.cpp,
// update_actions_state_lazy: the variable enabled with the action's penalty, the heap entry
// removed, the action's clock set); later: the latency's heap entry moved to that date.
extern void nvl_lmm_update_variable_penalty(void *system, void *var, double penalty) __asm__(
    "_ZN7simgrid6kernel3lmm6System23update_variable_penaltyEPNS1_8VariableEd");
void nvl_sg_stripe_moves_at(Action *a, double date) {
  if (a->get_type() != simgrid::kernel::resource::ActionHeap::Type::latency)
    return; // no latency to pay (or none left)
  auto *t = reinterpret_cast<network_action_tail *>(reinterpret_cast<char *>(a) + sizeof(Action));
  simgrid::kernel::resource::Model *m = a->get_model();
  if (date > simgrid::s4u::Engine::get_clock()) {
    m->get_action_heap().update(a, date, simgrid::kernel::resource::ActionHeap::Type::latency);
    return;
  }
  t->latency_ = 0;
  nvl_lmm_update_variable_penalty(m->get_maxmin_system(), a->get_variable(), t->sharing_penalty_);
  m->get_action_heap().remove(a);
  a->set_last_update();
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

// The max-min variable of an action and its system, checked against 3.32's layout.
static variable_layout *variable_of(const Action *a, void **system) {
  auto *v = reinterpret_cast<variable_layout *>(a->get_variable());
  if (!v)
    return nullptr;
  for (const element_layout &el : v->cnsts_)
    if (el.variable != a->get_variable())
      layout_error("max-min variable");
  *system = a->get_model()->get_maxmin_system();
  return v;
}

// A reduced program's weights (kernel context): w_out on the first link, w_in on the last.
static void weigh(const Action *a, uint32_t w_out, uint32_t w_in) {
  void *system = nullptr;
  variable_layout *v = variable_of(a, &system);
  if (!v || v->cnsts_.empty())
    layout_error("max-min variable");
  if (w_out > 1)
    nvl_lmm_expand(system, v->cnsts_.front().constraint, v, (double)(w_out - 1), false);
  if (w_in > 1)
    nvl_lmm_expand(system, v->cnsts_.back().constraint, v, (double)(w_in - 1), false);
}

// A folded transfer's weights (nvl_xfer_weigh): each element raised to its target through expand.
static void weigh_elements(const Action *a, const double *w, size_t n) {
  void *system = nullptr;
  variable_layout *v = a ? variable_of(a, &system) : nullptr;
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

// An action's transfer, in the action's user data (deprecated in 3.32 only because SimGrid's own
// code no longer uses it; 3.32 is the version mirrored here).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
static nvl_xfer *xfer_of(const Action &a) { return static_cast<nvl_xfer *>(a.get_data()); }
static void set_xfer(Action &a, nvl_xfer *x) { a.set_data(x); }
#pragma GCC diagnostic pop

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

// Arrived actions, freed after the kernel's round of updates that finished them (the model still
// handles them until then): on the next advance of the clock, or when the simulation ends.
static std::vector<Action *> arrived_actions;

static void free_arrived() {
  for (Action *a : arrived_actions)
    a->unref();
  arrived_actions.clear();
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
  nvl_xfer *x = xfer_of(a);
  if (!x)
    return;
  set_xfer(a, nullptr);
  if (x->first == &a)
    x->first = nullptr;
  for (Action *&o : x->others)
    if (o == &a)
      o = nullptr;
  arrived_actions.push_back(&a);
  if (--x->pending == 0 && x->on_done)
    x->on_done(x->a, x->b);
}

// CpuAction as 3.32 declares it (src/kernel/resource/CpuImpl.hpp; its state signal is exported by
// libsimgrid): work's completion signal (nvl_work_start).
namespace simgrid::kernel::resource {
class CpuAction : public Action {
public:
  static xbt::signal<void(CpuAction const &, Action::State)> on_state_change;
};
} // namespace simgrid::kernel::resource
static void work_state(simgrid::kernel::resource::CpuAction const &ca, Action::State);

// The completion signals of transfers and work, and the freeing of their actions, hooked once.
static void hook_completions() {
  static bool hooked;
  if (hooked)
    return;
  simgrid::s4u::Link::on_communication_state_change_cb(arrived);
  simgrid::kernel::resource::CpuAction::on_state_change.connect(work_state);
  simgrid::s4u::Engine::on_time_advance_cb([](double) { free_arrived(); });
  simgrid::s4u::Engine::on_simulation_end_cb(free_arrived);
  hooked = true;
}

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

// One stripe of transfer x as an action of the network model (kernel context).
void nvl_sg_start_stripe(nvl_xfer *x, size_t i, sg_host_t from, sg_host_t to, double bytes,
                         double rate, uint32_t w_out, uint32_t w_in) {
  Action *act = communicate(from, to, bytes, rate);
  if (act->get_state() == Action::State::FAILED) { // nvlsim never turns a link off
    fprintf(stderr, "nvlsim: internal error: a transfer failed to start\n");
    abort();
  }
  share_equally(act, from, to);
  if (w_out > 1 || w_in > 1)
    weigh(act, w_out, w_in);
  // an action cannot finish before the next round of updates: registered in time
  set_xfer(*act, x);
  if (i == 0)
    x->first = act;
  else
    x->others[i - 1] = act;
}

bool nvl_sg_network_busy(sg_host_t h) {
  return !network_model(h)->get_started_action_set()->empty();
}

extern "C" nvl_xfer *nvl_xfer_start(sg_host_t const *from, sg_host_t const *to,
                                    const uint64_t *bytes, size_t n, double rate_Bps,
                                    uint32_t w_out, uint32_t w_in, int refs,
                                    void (*on_done)(void *, void *), void *a, void *b) {
  hook_completions();
  auto *x = new nvl_xfer;
  x->first = nullptr;
  x->refs = refs;
  x->pending = n;
  x->on_done = on_done;
  x->a = a;
  x->b = b;
  x->phase_at = -1;
  if (n > 1)
    x->others.assign(n - 1, nullptr);
  double total = 0;
  for (size_t i = 0; i < n; i++)
    total += (double)bytes[i];
  simgrid::kernel::actor::simcall_answered([&] {
    if (n > 0 && nvl_sg_phase_defer(x, from, to, bytes, n, rate_Bps, total, w_out, w_in))
      return;
    for (size_t i = 0; i < n; i++)
      nvl_sg_start_stripe(x, i, from[i], to[i], (double)bytes[i],
                          nvl_sg_stripe_rate(rate_Bps, bytes[i], total), w_out, w_in);
  });
  if (n == 0 && on_done)
    on_done(a, b);
  return x;
}

// Work as CPU actions. A host's work is an action of its CPU model created as an execution's
// would be (HostModel::execute_thread with one thread: CpuImpl::execution_start, what
// ExecImpl::start calls), with no execution, kernel activity or actor around it: an execution
// started by the kernel itself is listed with it and unlisted by a scan of that list on every
// completion (ExecImpl::post), quadratic in the work running at once. HostModel is not
// installed: mirrored as 3.32 declares it (src/surf/HostImpl.hpp: it derives singly from Model,
// execute_thread is its first virtual function), used only on a model whose dynamic type is
// 3.32's CLM03 host model, checked. Completion: CpuAction's state signal (hook_completions),
// whose action is then freed as an arrived transfer's.
namespace nvl_mirror {
struct host_model_layout : simgrid::kernel::resource::Model {
  using Model::Model;
  virtual Action *execute_thread(const simgrid::s4u::Host *host, double flops, int threads) = 0;
  virtual Action *execute_parallel(const std::vector<simgrid::s4u::Host *> &hosts,
                                   const double *flops, const double *bytes, double rate) = 0;
};
} // namespace nvl_mirror

static void (*work_done)(void *data);

extern "C" void nvl_work_on_done(void (*fn)(void *data)) { work_done = fn; }

static nvl_mirror::host_model_layout *host_model(sg_host_t h) {
  static const void *checked;
  auto *m = h->get_netpoint()->get_englobing_zone()->get_host_model().get();
  if (m != checked) {
    const auto *base = reinterpret_cast<const simgrid::kernel::resource::Model *>(m);
    if (strcmp(typeid(*base).name(), "N7simgrid6kernel8resource14HostCLM03ModelE") != 0)
      layout_error("host model (nvlsim needs the default host/model)");
    checked = m;
  }
  return reinterpret_cast<nvl_mirror::host_model_layout *>(m);
}

__attribute__((no_sanitize("vptr"))) static Action *execute(sg_host_t h, double flops) {
  return host_model(h)->execute_thread(h, flops, 1);
}

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
static void work_state(simgrid::kernel::resource::CpuAction const &ca, Action::State) {
  auto &a = const_cast<Action &>(static_cast<Action const &>(ca));
  void *data = a.get_data();
  if (!data || (a.get_state() != Action::State::FINISHED && a.get_state() != Action::State::FAILED))
    return;
  a.set_data(nullptr);
  arrived_actions.push_back(&a);
  work_done(data);
}

extern "C" void nvl_work_start(sg_host_t h, double flops, void *data) {
  hook_completions();
  simgrid::kernel::actor::simcall_answered([&] {
    Action *act = execute(h, flops);
    if (!act || act->get_state() == Action::State::FAILED) {
      fprintf(stderr, "nvlsim: internal error: work failed to start\n");
      abort();
    }
    act->set_data(data);
  });
}
#pragma GCC diagnostic pop

extern "C" void nvl_timer_at(double date, void (*fn)(void *, void *), void *a, void *b) {
  simgrid::kernel::timer::Timer::set(date, [fn, a, b] { fn(a, b); });
}

extern "C" void nvl_peaks_begin(sg_link_t const *link_of_ld, size_t n_ld, double *peak) {
  peaks.on = true;
  peaks.link_of_ld.assign(link_of_ld, link_of_ld + n_ld);
  peaks.last_read.assign(n_ld, -1.0);
  peaks.peak = peak;
}

static void route_stripe(const Action *a, const int *ld, int n) {
  void *system = nullptr;
  variable_layout *v = a ? variable_of(a, &system) : nullptr;
  if (!v || v->cnsts_.size() != (size_t)n) // one element per route link, as weigh() relies on
    return;
  for (int k = 0; k < n; k++)
    if (ld[k] >= 0 && peaks.link_of_ld[(size_t)ld[k]])
      peaks.ld_of_cnst.emplace(v->cnsts_[(size_t)k].constraint, ld[k]);
  read_peaks_of(*a);
}

void nvl_sg_stripe_peaks(const Action *a, const int *ld, int n) { route_stripe(a, ld, n); }

void nvl_sg_peak_note(int ld, double load) {
  if (peaks.on && load > peaks.peak[(size_t)ld])
    peaks.peak[(size_t)ld] = load;
}

extern "C" void nvl_peaks_route(nvl_xfer *x, const int *route_ld, const int *route_off) {
  if (!peaks.on)
    return;
  if (x->phase_at >= 0) {
    nvl_sg_phase_peaks(x, route_ld, route_off);
    return;
  }
  route_stripe(x->first, route_ld + route_off[0], route_off[1] - route_off[0]);
  for (size_t i = 0; i < x->others.size(); i++)
    route_stripe(x->others[i], route_ld + route_off[i + 1], route_off[i + 2] - route_off[i + 1]);
}

void nvl_sg_stripe_weigh(const Action *a, const double *w, size_t n) { weigh_elements(a, w, n); }

extern "C" void nvl_xfer_weigh(nvl_xfer *x, size_t stripe, const double *w, size_t n) {
  if (x->phase_at >= 0) {
    nvl_sg_phase_weigh(x, stripe, w, n);
    return;
  }
  if (stripe == 0)
    weigh_elements(x->first, w, n);
  else if (stripe <= x->others.size())
    weigh_elements(x->others[stripe - 1], w, n);
}

extern "C" bool nvl_xfer_done(const nvl_xfer *x) { return x->pending == 0; }

extern "C" void nvl_xfer_unref(nvl_xfer *x) {
  if (--x->refs > 0)
    return;
  if (x->pending > 0) // a deadlocked task's: its stripes still travelling go with it
    simgrid::kernel::actor::simcall_answered([x] {
      if (x->first)
        x->first->unref();
      for (Action *o : x->others)
        if (o)
          o->unref();
    });
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
