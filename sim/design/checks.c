/*
 * checks: the whole-design checks of the loader: disconnected devices, ports left unused and
 * switches of one type carrying unequal link counts, each aggregated per type (first device and a
 * count). On a damaged design, connectivity is that of the damaged links, while ports count as
 * the intact wiring used them: a failed link is not an unused port.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include "design/loader.h"

/* Ports used per device and link family by the intact wiring: used[dev * n_link_types + lt]. */
static int *port_usage(const nvl_design *d) {
  size_t nl = d->n_link_types;
  int *used = nvl_xcalloc(d->n_devices * (nl ? nl : 1), sizeof(int));
  for (size_t i = 0; i < d->n_links; i++) {
    const nvl_link *l = &d->links[i];
    int ends[2] = {l->a, l->b};
    for (int e = 0; e < 2; e++)
      if (nvl_device_ports(d, ends[e], l->type) > 0)
        used[(size_t)ends[e] * nl + d->link_types[l->type].family] += l->count;
  }
  return used;
}

/* The scale-out side: a NIC reaches its host (a GPU, accelerator or CPU) over PCIe, directly or
 * through PCIe switches; network links join NICs and switches, never an accelerator or CPU
 * directly. The first offender of each kind is named with the rule or link that made it. */
static void check_network(const nvl_design *d, nvl_diags *diags) {
  size_t nd = d->n_devices;
  bool *hosted = nvl_xcalloc(nd + 1, sizeof(bool));
  bool reported = false;
  const nvl_design *w = d->intact ? d->intact : d; /* wired as designed: a failed link is no
                                                      wiring error */
  nvl_pcie_paths pp = nvl_design_pcie_paths(w);
  for (int q = 0; q < pp.start[nd]; q++)
    hosted[pp.paths[q].nic] = true;
  nvl_pcie_paths_release(&pp);
  for (size_t k = 0; k < w->n_links; k++) {
    const nvl_link *l = &w->links[k];
    nvl_medium m = d->link_types[l->type].medium;
    int ends[2] = {l->a, l->b};
    for (int e = 0; e < 2; e++) {
      int x = ends[e], y = ends[1 - e];
      nvl_kind kx = nvl_device_kind(d, x);
      if (!reported && m == NVL_MEDIUM_NETWORK && kx != NVL_KIND_NIC && kx != NVL_KIND_SWITCH) {
        nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_WIRING, d->origins[l->origin],
                     "%s (%s) is linked to %s by network link type %s: network links join NICs and "
                     "switches; give it a NIC (a PCIe link to a \"kind\": \"nic\" endpoint)",
                     d->devices[x].name, nvl_kind_name(kx), d->devices[y].name,
                     d->link_types[l->type].name);
        reported = true;
      }
    }
  }
  int first = -1, n = 0;
  for (size_t i = 0; i < nd; i++)
    if (nvl_device_kind(d, (int)i) == NVL_KIND_NIC && !hosted[i] && !(d->failed && d->failed[i]))
      if (n++ == 0)
        first = (int)i;
  if (n > 0) {
    char more[48] = "";
    if (n > 1)
      snprintf(more, sizeof more, " (and %d more)", n - 1);
    nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_WIRING, "/system",
                 "NIC %s has no PCIe path (a link of its own, or through PCIe switches) to a "
                 "GPU, accelerator or CPU%s: nothing can use it",
                 d->devices[first].name, more);
  }
  free(hosted);
}

void nvl_design_check_wiring(const nvl_design *d, nvl_diags *diags) {
  size_t nd = d->n_devices, nl = d->n_link_types;
  int *used = port_usage(d->intact ? d->intact : d);
  loader Lw = {.diags = diags}, *L = &Lw;
  int *deg = nvl_xcalloc(nd, sizeof(int));
  for (size_t i = 0; i < d->n_links; i++) {
    deg[d->links[i].a] += d->links[i].count;
    deg[d->links[i].b] += d->links[i].count;
  }
  for (int sw = 0; sw < 2; sw++) {
    size_t ntypes = sw ? d->n_switch_types : d->n_endpoint_types;
    for (size_t t = 0; t < ntypes; t++) {
      int first_disc = -1, n_disc = 0, first_unused = -1, n_unused = 0, unused_lt = -1;
      int used_min = INT_MAX, used_max = -1, dev_min = -1, dev_max = -1;
      for (size_t i = 0; i < nd; i++) {
        const nvl_device *x = &d->devices[i];
        if (x->is_switch != (sw == 1) || x->type != (int)t || (d->failed && d->failed[i]))
          continue;
        if (deg[i] == 0 && n_disc++ == 0)
          first_disc = (int)i;
        if (deg[i] == 0)
          continue;
        for (size_t lt = 0; lt < nl; lt++) {
          if (d->link_types[lt].family != (int)lt)
            continue; /* ports are counted per family, at its root type */
          if (!sw && used[i * nl + lt] == 0 && d->link_types[lt].medium == NVL_MEDIUM_PCIE &&
              nvl_device_kind(d, (int)i) != NVL_KIND_NIC)
            continue; /* a host interface left to the host: no NIC in this design */
          if (sw && nvl_device_is_pcie_switch(d, (int)i))
            continue; /* a PCIe switch's other ports face what a design leaves out (CPU, NVMe) */
          int avail = nvl_device_ports(d, (int)i, (int)lt);
          if (avail > 0 && used[i * nl + lt] < avail) {
            if (n_unused++ == 0) {
              first_unused = (int)i;
              unused_lt = (int)lt;
            }
            break;
          }
        }
        if (sw && !nvl_device_is_pcie_switch(d, (int)i)) { /* planes: of the fabric */
          if (deg[i] < used_min)
            used_min = deg[i], dev_min = (int)i;
          if (deg[i] > used_max)
            used_max = deg[i], dev_max = (int)i;
        }
      }
      char more[96] = "";
      if (n_disc) {
        if (n_disc > 1)
          snprintf(more, sizeof more, " (and %d more)", n_disc - 1);
        if (sw) { /* a switch left unused: its ports are, acknowledged as unused ports are */
          if (!d->expect.why_unused_ports[0])
            nvl_ld_warn(L, NVL_DIAG_DISCONNECTED, "/system",
                        "switch %s has no links%s (a design that means it says so: \"expect\": "
                        "{\"unused_ports\": \"why\"})",
                        d->devices[first_disc].name, more);
        } else {
          nvl_ld_err(L, NVL_DIAG_DISCONNECTED, "/system",
                     "disconnected endpoint: %s (%s) has no links%s", d->devices[first_disc].name,
                     nvl_device_type_name(d, first_disc), more);
        }
      }
      if (n_unused && !d->expect.why_unused_ports[0]) {
        more[0] = '\0';
        if (n_unused > 1)
          if (snprintf(more, sizeof more, " (and %d more of type %s)", n_unused - 1,
                       nvl_device_type_name(d, first_unused)) >= (int)sizeof more)
            more[sizeof more - 1] = '\0';
        nvl_ld_warn(L, NVL_DIAG_UNUSED_PORTS, "/system",
                    "unused ports: %s uses %d of %d %s ports%s (a design that means it says so: "
                    "\"expect\": {\"unused_ports\": \"why\"})",
                    d->devices[first_unused].name, used[(size_t)first_unused * nl + unused_lt],
                    nvl_device_ports(d, first_unused, unused_lt), d->link_types[unused_lt].name,
                    more);
      }
      if (sw && used_max > used_min && dev_min >= 0 && !d->expect.why_asymmetric_planes[0])
        nvl_ld_warn(L, NVL_DIAG_ASYMMETRY, "/system",
                    "asymmetric planes: %s switches carry unequal link counts (%s: %d, %s: %d; a "
                    "design that means it says so: \"expect\": {\"asymmetric_planes\": "
                    "\"why\"})",
                    d->switch_types[t].name, d->devices[dev_min].name, used_min,
                    d->devices[dev_max].name, used_max);
    }
  }
  free(deg);
  free(used);
  check_network(d, diags);
}
