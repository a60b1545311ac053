/*
 * pcie: the PCIe paths from endpoints to their NICs (design.h): a NIC is reached over a PCIe link
 * of its own or through PCIe switches (switches whose ports are PCIe). Breadth first from each
 * endpoint over PCIe links only, through PCIe switches, to every NIC within reach: the first path
 * found to a NIC is its path (fewest switches); parallel direct links to one NIC add up.
 */
#include <stdlib.h>

#include "base/xalloc.h"
#include "design/design.h"

bool nvl_device_is_pcie_switch(const nvl_design *d, int dev) {
  const nvl_device *x = &d->devices[dev];
  return x->is_switch &&
         d->link_types[d->switch_types[x->type].port_link].medium == NVL_MEDIUM_PCIE;
}

static bool is_pcie(const nvl_design *d, size_t k) {
  return d->link_types[d->links[k].type].medium == NVL_MEDIUM_PCIE;
}

/* PCIe links by device (CSR over both ends). */
static void pcie_adjacency(const nvl_design *d, int **start, int **adj) {
  size_t nd = d->n_devices;
  *start = nvl_xcalloc(nd + 2, sizeof(int));
  for (size_t k = 0; k < d->n_links; k++)
    if (is_pcie(d, k))
      (*start)[d->links[k].a + 2]++, (*start)[d->links[k].b + 2]++;
  for (size_t i = 0; i < nd; i++)
    (*start)[i + 2] += (*start)[i + 1];
  *adj = nvl_xmalloc(((size_t)(*start)[nd + 1] + 1) * sizeof(int));
  for (size_t k = 0; k < d->n_links; k++)
    if (is_pcie(d, k)) {
      (*adj)[(*start)[d->links[k].a + 1]++] = (int)k;
      (*adj)[(*start)[d->links[k].b + 1]++] = (int)k;
    }
}

typedef struct {
  int dev, first, last, switches, narrow;
  double cap, lat;
} hop;

/* Endpoint e's paths into out (grown as needed); returns their number. */
static size_t paths_of(const nvl_design *d, const int *start, const int *adj, int e, int *seen,
                       int stamp, hop *queue, nvl_pcie_path **out, size_t *cap, size_t n) {
  size_t head = 0, tail = 0, first = n;
  queue[tail++] = (hop){.dev = e, .first = -1, .last = -1, .narrow = -1, .cap = 1e300};
  seen[e] = stamp;
  while (head < tail) {
    hop h = queue[head++];
    for (int j = start[h.dev]; j < start[h.dev + 1]; j++) {
      int k = adj[j], y = d->links[k].a == h.dev ? d->links[k].b : d->links[k].a;
      double bw = nvl_link_bw(d, &d->links[k]);
      hop nx = {.dev = y,
                .first = h.first < 0 ? k : h.first,
                .last = k,
                .switches = h.switches,
                .narrow = bw < h.cap ? k : h.narrow,
                .cap = bw < h.cap ? bw : h.cap,
                .lat = h.lat + d->link_types[d->links[k].type].lat_s};
      if (nvl_device_kind(d, y) == NVL_KIND_NIC) {
        size_t i = first;
        while (i < n && (*out)[i].nic != y)
          i++;
        if (i < n && h.switches == 0 && (*out)[i].switches == 0) /* parallel direct links */
          (*out)[i].cap_Bps += bw;
        if (i < n)
          continue;
        if (n == *cap)
          *out = nvl_xrealloc(*out, (*cap = 2 * *cap + 8) * sizeof **out);
        (*out)[n++] = (nvl_pcie_path){.nic = y,
                                      .first = nx.first,
                                      .last = k,
                                      .switches = nx.switches,
                                      .narrow = nx.narrow,
                                      .cap_Bps = nx.cap,
                                      .lat_s = nx.lat};
      } else if (nvl_device_is_pcie_switch(d, y) && seen[y] != stamp) {
        seen[y] = stamp;
        nx.switches++;
        nx.lat += d->switch_types[d->devices[y].type].lat_s;
        queue[tail++] = nx;
      }
    }
  }
  return n;
}

nvl_pcie_paths nvl_design_pcie_paths(const nvl_design *d) {
  size_t nd = d->n_devices, n = 0, cap = 0;
  int *start, *adj;
  pcie_adjacency(d, &start, &adj);
  nvl_pcie_paths pp = {nvl_xcalloc(nd + 1, sizeof(int)), NULL};
  int *seen = nvl_xcalloc(nd + 1, sizeof(int));
  hop *queue = nvl_xmalloc((nd + 1) * sizeof *queue);
  for (size_t i = 0; i < nd; i++) {
    pp.start[i] = (int)n;
    if (!d->devices[i].is_switch && nvl_device_kind(d, (int)i) != NVL_KIND_NIC &&
        start[i + 1] > start[i])
      n = paths_of(d, start, adj, (int)i, seen, (int)i + 1, queue, &pp.paths, &cap, n);
  }
  pp.start[nd] = (int)n;
  free(start);
  free(adj);
  free(seen);
  free(queue);
  return pp;
}

void nvl_pcie_paths_release(nvl_pcie_paths *pp) {
  free(pp->start);
  free(pp->paths);
  pp->start = NULL;
  pp->paths = NULL;
}
