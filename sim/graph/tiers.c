/*
 * tiers: oversubscription (analysis.h). Every device gets a tier: endpoints 0, a switch one more
 * than its lowest neighbour (breadth first from the endpoints); a switch's links to lower tiers
 * are its down links, to higher tiers its up links (links within a tier neither). A switch with
 * up links is oversubscribed by down / up bandwidth; the design's figure is the largest, at its
 * switch. PCIe switches join endpoints to NICs and are left out.
 */
#include <stdlib.h>

#include "base/xalloc.h"
#include "graph/analysis.h"

void nvl_analysis_oversubscription(const nvl_design *d, nvl_oversub *out) {
  size_t nd = d->n_devices;
  *out = (nvl_oversub){0, -1, 0, 0};
  int *start = nvl_xcalloc(nd + 2, sizeof(int)),
      *adj = nvl_xmalloc((2 * d->n_links + 1) * sizeof(int));
  for (size_t k = 0; k < d->n_links; k++)
    start[d->links[k].a + 2]++, start[d->links[k].b + 2]++;
  for (size_t i = 0; i < nd; i++)
    start[i + 2] += start[i + 1];
  for (size_t k = 0; k < d->n_links; k++) {
    adj[start[d->links[k].a + 1]++] = (int)k;
    adj[start[d->links[k].b + 1]++] = (int)k;
  }
  int *tier = nvl_xmalloc((nd + 1) * sizeof(int)), *queue = nvl_xmalloc((nd + 1) * sizeof(int));
  size_t head = 0, tail = 0;
  for (size_t i = 0; i < nd; i++) {
    tier[i] = d->devices[i].is_switch ? -1 : 0;
    if (!d->devices[i].is_switch)
      queue[tail++] = (int)i;
  }
  while (head < tail) {
    int x = queue[head++];
    for (int j = start[x]; j < start[x + 1]; j++) {
      int y = d->links[adj[j]].a == x ? d->links[adj[j]].b : d->links[adj[j]].a;
      if (tier[y] < 0 && !nvl_device_is_pcie_switch(d, y))
        tier[y] = tier[x] + 1, queue[tail++] = y;
    }
  }
  for (size_t i = 0; i < nd; i++) {
    if (tier[i] <= 0)
      continue;
    double down = 0, up = 0;
    for (int j = start[i]; j < start[i + 1]; j++) {
      const nvl_link *l = &d->links[adj[j]];
      int y = l->a == (int)i ? l->b : l->a;
      if (tier[y] >= 0 && tier[y] < tier[i])
        down += nvl_link_bw(d, l);
      else if (tier[y] > tier[i])
        up += nvl_link_bw(d, l);
    }
    if (up > 0 && down / up > out->ratio * (1 + 1e-12))
      *out = (nvl_oversub){down / up, (int)i, down, up};
  }
  free(start);
  free(adj);
  free(tier);
  free(queue);
}
