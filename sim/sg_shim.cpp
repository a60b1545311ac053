// sg_shim: see sg_shim.h. Kept deliberately tiny: the project is C.
#include "sg_shim.h"

#include <simgrid/kernel/resource/Action.hpp>
#include <simgrid/s4u/Comm.hpp>
#include <simgrid/s4u/Host.hpp>
#include <simgrid/s4u/Link.hpp>
#include <unordered_map>
#include <vector>

struct nvl_xfer {
  std::vector<simgrid::s4u::CommPtr> comms;
  int refs;
  size_t pending; // stripes still travelling
  void (*on_done)(void *, void *);
  void *a, *b;
};

using simgrid::kernel::resource::Action;

// Stripes in flight, by their kernel activity (what a finishing network action names).
static std::unordered_map<const void *, nvl_xfer *> in_flight;

static void arrived(simgrid::kernel::resource::NetworkAction &na, Action::State) {
  // NetworkAction is only forward-declared in the installed headers; it derives (singly and
  // publicly) from Action, so the reference designates the Action. A wrong cast could only miss
  // the lookup below, which the engine reports as a deadlock and the tests would catch.
  auto &a = reinterpret_cast<Action &>(na);
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

extern "C" nvl_xfer *nvl_xfer_start(sg_host_t const *from, sg_host_t const *to,
                                    const uint64_t *bytes, size_t n, int refs,
                                    void (*on_done)(void *, void *), void *a, void *b) {
  static bool hooked;
  if (!hooked) {
    simgrid::s4u::Link::on_communication_state_change_cb(arrived);
    hooked = true;
  }
  auto *x = new nvl_xfer;
  x->refs = refs;
  x->pending = n;
  x->on_done = on_done;
  x->a = a;
  x->b = b;
  x->comms.reserve(n);
  for (size_t i = 0; i < n; i++) {
    // a stripe's action cannot finish before the next simulation round, so registering it right
    // after the start misses nothing
    x->comms.push_back(simgrid::s4u::Comm::sendto_async(from[i], to[i], bytes[i]));
    in_flight[x->comms.back()->get_impl()] = x;
  }
  if (n == 0 && on_done)
    on_done(a, b);
  return x;
}

extern "C" bool nvl_xfer_done(const nvl_xfer *x) { return x->pending == 0; }

extern "C" void nvl_xfer_unref(nvl_xfer *x) {
  if (--x->refs == 0)
    delete x;
}
