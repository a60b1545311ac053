/*
 * domains: scale-up domains (NCCL's nodes) and rails, once every endpoint's hosts exist: the
 * endpoints joined by scale-up planes or direct links are a domain; a NIC's place among the NICs
 * of its domain is its rail.
 */
#include <stdlib.h>

#include "base/xalloc.h"
#include "platform/internal.h"

static int find_root(int *uf, int x) {
  while (uf[x] != x)
    x = uf[x] = uf[uf[x]];
  return x;
}

/* Rails: a NIC's place among the NICs its domain's endpoints reach the network through (in
 * device order): NIC k of every node is rail k, as NCCL numbers its network devices. */
static void make_rails(nvl_platform *p) {
  size_t nd = p->d->n_devices;
  p->nic_rail = nvl_xmalloc((nd + 1) * sizeof(int));
  for (size_t i = 0; i < nd; i++)
    p->nic_rail[i] = -1;
  bool *mine = nvl_xcalloc(nd + 1, sizeof(bool));
  for (size_t k = 0; k < p->n_domains; k++) {
    for (int m = p->dom_start[k]; m < p->dom_start[k + 1]; m++) {
      int dev = p->dom_members[m];
      for (int j = p->att_start[dev]; j < p->att_start[dev + 1]; j++)
        if (p->att[j].via >= 0)
          mine[p->att[j].via] = true;
    }
    int rail = 0;
    for (size_t i = 0; i < nd; i++)
      if (mine[i]) {
        p->nic_rail[i] = rail++;
        mine[i] = false;
      }
  }
  free(mine);
}

/* Scale-up domains: endpoints joined by scale-up (not network) planes or direct links (a
 * switchless mesh is one domain); numbered by first endpoint in device order. */
void nvl_pf_make_domains(nvl_platform *p) {
  size_t nd = p->d->n_devices, np = p->n_planes;
  /* union-find over the devices, then the planes (nd + plane) */
  int *uf = nvl_xmalloc((nd + np + 1) * sizeof(int)),
      *num = nvl_xmalloc((nd + np + 1) * sizeof(int));
  bool *joined = nvl_xcalloc(nd + 1, sizeof(bool));
  for (size_t i = 0; i < nd + np; i++)
    uf[i] = (int)i, num[i] = -1;
  p->plane_net = nvl_xcalloc(np + 1, sizeof(bool));
  for (size_t i = 0; i < nd; i++) {
    for (int k = p->ph_start[i]; k < p->ph_start[i + 1]; k++) {
      p->plane_net[p->ph[k].plane] |= (p->ph[k].via >= 0);
      if (!(p->ph[k].via >= 0)) /* a scale-up plane */
        uf[find_root(uf, (int)i)] = find_root(uf, (int)nd + p->ph[k].plane), joined[i] = true;
    }
    for (int j = p->att_start[i]; j < p->att_start[i + 1]; j++)
      if (p->att[j].cls < 0) /* a direct link (a switchless NVLink mesh, C2C) */
        uf[find_root(uf, (int)i)] = find_root(uf, p->att[j].peer), joined[i] = true;
  }
  p->domain = nvl_xmalloc((nd + 1) * sizeof(int));
  for (size_t i = 0; i < nd; i++) {
    p->domain[i] = -1;
    if (!joined[i] && !(p->direct_host[i] >= 0))
      continue;
    int r = find_root(uf, (int)i);
    if (num[r] < 0)
      num[r] = (int)p->n_domains++;
    p->domain[i] = num[r];
  }
  free(joined);
  p->dom_start = nvl_xcalloc(p->n_domains + 2, sizeof(int));
  p->dom_members = nvl_xmalloc((nd + 1) * sizeof(int));
  for (size_t i = 0; i < nd; i++)
    if (p->domain[i] >= 0)
      p->dom_start[p->domain[i] + 2]++;
  for (size_t k = 0; k < p->n_domains; k++)
    p->dom_start[k + 2] += p->dom_start[k + 1];
  for (size_t i = 0; i < nd; i++)
    if (p->domain[i] >= 0)
      p->dom_members[p->dom_start[p->domain[i] + 1]++] = (int)i;
  free(uf);
  free(num);
  make_rails(p);
}
