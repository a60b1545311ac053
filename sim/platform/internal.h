/*
 * internal: the platform's representation, shared by its files (private to platform/):
 * classes.c (colour refinement), build.c (logical links, planes, distances, hosts), routes.c
 * (routes, stripes, lookups), emit.c (hosts, links and routes in order; the XML writer).
 */
#ifndef NVL_PLATFORM_INTERNAL_H
#define NVL_PLATFORM_INTERNAL_H

#include "base/u64map.h"
#include "platform/platform.h"

#define NVL_MAX_CLASSES 1000000
#define HUGE_BW 1e18

typedef struct {
  int cls;  /* class, or -1 for a direct endpoint link */
  int peer; /* peer endpoint device for direct links */
  int link; /* logical link index (through a NIC: the NIC's port link, shared by its hosts) */
  double cap_Bps;
  int nvls_link;   /* latency link towards the class's reduction engine, -1 if none */
  int via;         /* the NIC this attachment goes through (a network attachment), or -1 */
  int pcie_link;   /* through a NIC: the logical PCIe link from the endpoint to it, else -1 */
  double pcie_Bps; /* through a NIC: that PCIe link's capacity (caps cap_Bps) */
  double pcie_lat; /* through a NIC: the PCIe path's latency (links and PCIe switches) */
  int pcie_phys;   /* through a NIC: the physical links of the endpoint's first PCIe hop */
} attach;

typedef struct {
  int plane;
  int host;
  double cap_Bps;
  int via; /* the NIC of a network host (one host per NIC and plane; the network is used only
              between endpoints no other plane joins), else -1 for a scale-up host */
} plane_host;

struct nvl_platform {
  const nvl_design *d;
  /* the design's links by device, compressed rows of link indices in link order (each link is
   * listed at both ends) */
  int *dev_link_start, *dev_links;
  /* twin sets of the endpoints (design/twins.c): they route alike */
  int *twin;
  size_t n_twins;
  /* twin sets through NICs (alike in the network too): reachability is checked per set */
  int *twin_net;
  size_t n_twins_net;
  nvl_model model;
  bool ecmp; /* a route's next class drawn among equal-cost ones (ecmp_seed), not the lowest */
  uint64_t ecmp_seed;
  int *cls; /* device -> class (switches), -1 for endpoints */
  size_t n_classes, n_planes;
  int *class_plane;
  /* per class: its reduction engine's host (NVLS on an NVLink tier, host plane -2; SHARP in a
   * network, host plane -3), -1 if its switches do not reduce; a SHARP engine's link (a latency
   * link from the class's switching to its engine), else -1 (sharp.c) */
  int *class_nvls_host, *class_engine_link;
  double *class_half_lat;
  int *class_first; /* first member device */
  int *class_size;
  char (*class_names)[2 * NVL_NAME_MAX + 4];
  nvl_plink *links;
  size_t n_links, cap_links;
  /* endpoint attachments (to classes and direct peers), CSR by device */
  attach *att;
  int *att_start; /* n_devices + 1 */
  /* trunks (class pairs lo < hi, in link order) and the class graph: neighbours per class (CSR,
   * ascending), the trunk of a pair (cc_map: (lo, hi) -> link), and per source class a row of
   * distances and next hops (2 x n_classes ints), made when a route first needs it */
  int *trunk_lo, *trunk_hi, *trunk_link;
  size_t n_trunks;
  int *cc_start, *cc_nbr;
  nvl_u64map cc_map;
  int **cc_rows;
  /* hosts */
  char (*host_names)[80];
  int *host_dev;
  int *host_plane; /* -1 direct, -2 nvls, -3 sharp (host_dev = class) */
  int *host_via;   /* the NIC of a network host, else -1 */
  size_t n_hosts, cap_hosts;
  plane_host *ph; /* per endpoint, CSR */
  int *ph_start;
  int *direct_host; /* per device, -1 if none */
  int *domain;      /* per device: its scale-up domain (platform.h), -1 if none */
  size_t n_domains;
  int *dom_start, *dom_members; /* endpoints by domain (CSR, device order) */
  bool *plane_net;              /* per plane: reached through NICs (a network plane) */
  int *nic_rail; /* per device: a NIC's place among its domain's NICs (device order), else -1 */
};

/* The other end of design link k seen from device dev. */
static inline int nvl_pf_peer(const nvl_design *d, int k, int dev) {
  return d->links[k].a == dev ? d->links[k].b : d->links[k].a;
}

/* The trunk link between classes a and b, -1 if none. */
int nvl_pf_trunk(const nvl_platform *p, int a, int b);
/* Source class s's shortest-path row: dist[c] (-1 unreachable), then next[c] (the first class
 * after s towards c), breadth first over ascending neighbours; made on first use. */
const int *nvl_pf_row(const nvl_platform *p, int s);

int nvl_pf_add_plink(nvl_platform *p, const char *kind, const char *name, double bw, double lat,
                     bool fatpipe, int physical);
int nvl_pf_add_host(nvl_platform *p, const char *name, int dev, int plane);
/* Whether class c's switches are network switches (their ports' medium). */
bool nvl_pf_class_in_network(const nvl_platform *p, int c);
/* Scale-up domains, their members and the NICs' rails (domains.c), after the hosts. */
void nvl_pf_make_domains(nvl_platform *p);
/* The reduction engines' hosts and links, after every endpoint's host (sharp.c). */
void nvl_pf_make_engines(nvl_platform *p);
/* The trunk links from class c to class t, in order (shortest path, the lowest-numbered next
 * class at each step): appended to links/dirs from n; the new length, or -1 past max. */
int nvl_pf_push_trunks(const nvl_platform *p, int c, int t, int *links, int *dirs, int n, int max);
/* A route to or from a SHARP engine (sharp.c): from a network host of its plane (over the host's
 * PCIe and port links and the trunks) or another engine of the plane (over the trunks). */
int nvl_pf_sharp_route(const nvl_platform *p, int from, int to, int *links, int *dirs, int max);

/* Fills p->cls for switches by colour refinement; returns the number of classes. */
size_t nvl_pf_refine_classes(nvl_platform *p);
/* Names classes "first..last" (e.g. "sw0..sw17"). */
void nvl_pf_name_classes(nvl_platform *p);

#endif
