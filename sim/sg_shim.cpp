// sg_shim: see sg_shim.h. Kept deliberately tiny: the project is C.
#include "sg_shim.h"

#include <simgrid/s4u/Comm.hpp>
#include <simgrid/s4u/Host.hpp>
#include <vector>

struct nvl_xfer {
  std::vector<simgrid::s4u::CommPtr> comms;
  int refs;
  bool done;
};

extern "C" nvl_xfer *nvl_xfer_start(sg_host_t const *from, sg_host_t const *to,
                                    const uint64_t *bytes, size_t n, int refs) {
  auto *x = new nvl_xfer;
  x->refs = refs;
  x->done = false;
  x->comms.reserve(n);
  for (size_t i = 0; i < n; i++)
    x->comms.push_back(simgrid::s4u::Comm::sendto_async(from[i], to[i], bytes[i]));
  return x;
}

extern "C" void nvl_xfer_wait(nvl_xfer *x) {
  if (x->done)
    return;
  for (auto &c : x->comms)
    c->wait();
  x->done = true;
}

extern "C" void nvl_xfer_unref(nvl_xfer *x) {
  if (--x->refs == 0)
    delete x;
}
