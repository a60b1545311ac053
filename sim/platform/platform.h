/*
 * platform: the SimGrid platform of a design, and how transfers map onto it.
 *
 * NVLink stripes every transfer over all the links that lead to its destination, while SimGrid
 * has one route per host pair. We reconcile the two by aggregation:
 *
 *  1. Switches that are interchangeable are merged into one logical switch ("class"). Classes
 *     are found by colour refinement (1-dimensional Weisfeiler-Leman): two switches stay together
 *     while they have the same type and, towards every neighbour class, link counts proportional
 *     to each other (normalised by their gcd). NVL72's 18 chips become one class; HGX H100's
 *     5/4/4/5 chips become one class (traffic sprayed in proportion to link counts loads every
 *     physical link equally); NVL576 becomes 8 leaf classes (one per rack) and one spine class.
 *     A logical link carries the summed capacity of the physical links it stands for. Under even
 *     spraying this is exact in the fluid model (each physical link carries the same share).
 *  2. Classes connected to each other form a plane. Where switches are not interchangeable (an
 *     ASIC reaching 12 of 18 chips, a failed link) several planes remain, and every endpoint gets
 *     one SimGrid host per plane it attaches to. A transfer e -> f is split into one stripe per
 *     plane both reach, in proportion to min(cap(e, plane), cap(f, plane)), the way hardware
 *     spraying loads each usable link equally. Direct endpoint links (C2C, NVLink meshes) get a
 *     host of their own and carry transfers between the two endpoints they join.
 *  3. Routes are explicit (a Full zone): within a plane, the shortest path in the class graph,
 *     never through an endpoint. Links are SPLITDUPLEX (independent directions). A switch's
 *     traversal latency is split in halves added to the links that touch it, so every path pays
 *     each switch it crosses exactly once without a shared "crossbar" resource (which would tie
 *     all flows through a switch into one max-min system). Routes to the in-switch reduction
 *     engine add the missing half through a per-endpoint FATPIPE link.
 *  4. The network: a NIC forwards between its host's PCIe link and its own links to (network)
 *     switches. An endpoint attaches to the network's classes through each NIC it has a PCIe
 *     link to (a PCIe logical link per endpoint and NIC, a port link per NIC shared by the
 *     endpoints it serves) and gets one host per network plane and NIC, so that stripes spread
 *     a transfer over a GPU's NICs. Stripes take the scale-up planes and direct links first and
 *     the network only between endpoints none of those join (NCCL: P2P over NVLink, else NET).
 *     Scale-up domains (connected scale-up planes) are NCCL's nodes; a NIC's rail is its place
 *     among its node's NICs. Into the network a transfer leaves by the NIC on the destination
 *     NIC's rail, through a node-mate over NVLink when that NIC is not its own (PXN); a GPU with
 *     no NIC of its own in the plane (failed) sends and receives through a node-mate's.
 *
 * Approximations, stated: where an endpoint reaches several classes of one plane, one path is
 * chosen (shortest, then lowest class); links between switches of one class are not modelled;
 * endpoints with a direct link use only that link between them; a network class stands for
 * switches traffic is sprayed over evenly (adaptive routing; ECMP's hash collisions appear with
 * explicit planes and `ecmp`); PCIe
 * switches between GPUs and NICs are not modelled.
 */
#ifndef NVL_PLATFORM_H
#define NVL_PLATFORM_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "design/design.h"
#include "base/diag.h"
#include "models/model.h"

typedef struct {
  nvl_model model;
  bool explicit_planes; /* no aggregation: every switch chip is its own class (for verification) */
  /* ECMP: a route picks its next switch class among the equal-cost ones by a hash of its two
   * hosts and the seed (per hop; the same route, the same path), instead of the lowest-numbered.
   * With explicit planes, traffic then lands on the spines as hashing routers spread it,
   * collisions included; aggregated classes already spray evenly. */
  bool ecmp;
  uint64_t ecmp_seed;
} nvl_platform_opts;

/* A logical link (one SimGrid link, two directions). */
typedef struct {
  char *name;    /* "gpu3~sw0..sw17", whole (device and class names of any allowed length) */
  double bw_Bps; /* per direction */
  double lat_s;
  bool fatpipe;     /* latency-only links (towards reduction engines): no bandwidth sharing */
  int physical;     /* number of physical links it stands for */
  const char *kind; /* "port" (endpoint to switch class), "trunk" (between switch classes),
                       "direct" (endpoint to endpoint), "nvls" (to a reduction engine) */
  int owner;        /* the endpoint device of a port or nvls link, -1 for the others */
} nvl_plink;

typedef struct {
  int from_host, to_host;
  double weight; /* fraction of the transfer, summing to 1 */
} nvl_stripe;

#define NVL_MAX_STRIPES 64

typedef struct nvl_platform nvl_platform;

/* Builds the platform. Returns NULL with an error in diags if the design cannot be simulated. */
nvl_platform *nvl_platform_new(const nvl_design *d, const nvl_platform_opts *opts,
                               nvl_diags *diags);
void nvl_platform_free(nvl_platform *p);

/* The platform as SimGrid sees it, in order: every host, every link (SimGrid name "l<index>";
 * split-duplex unless fatpipe), then every route between hosts that have one (one-way, links with
 * direction +1 UP / -1 DOWN; skipped when the sink has no `route`: the engine's zone asks
 * nvl_platform_route for each route when SimGrid needs it). The XML writer and the engine's direct
 * construction both go through this one function, so they cannot differ. */
typedef struct {
  void (*host)(void *ctx, int host, const char *name);
  void (*link)(void *ctx, int index, const nvl_plink *link);
  void (*route)(void *ctx, int from_host, int to_host, const int *links, const int *dirs, int n);
} nvl_platform_sink;
void nvl_platform_emit(const nvl_platform *p, const nvl_platform_sink *s, void *ctx);

/* Writes the platform as SimGrid XML (DTD 4.1) with every route. Returns 0, or -1 on a write
 * error. */
int nvl_platform_write_xml(const nvl_platform *p, FILE *out);

size_t nvl_platform_host_count(const nvl_platform *p);
const char *nvl_platform_host_name(const nvl_platform *p, int host);
size_t nvl_platform_link_count(const nvl_platform *p);
const nvl_plink *nvl_platform_link(const nvl_platform *p, int link);
size_t nvl_platform_class_count(const nvl_platform *p);
size_t nvl_platform_plane_count(const nvl_platform *p);

/* Stripes of a transfer between two endpoint devices; returns their number (0 = unreachable). */
int nvl_platform_stripes(const nvl_platform *p, int src_dev, int dst_dev, nvl_stripe *out);

/* Whether every pair of the n devices can exchange data (a route in a plane both reach, or a
 * direct link between them). If not, (*a, *b) is the first unreachable pair in order (indices
 * into devs). Twins route alike, so routes are tried once per pair of twin sets present:
 * O(n + k^2) route checks for k sets, then direct links only among pairs of sets that have no
 * route (a switchless mesh: every pair). */
bool nvl_platform_all_reachable(const nvl_platform *p, const int *devs, int n, int *a, int *b);

/* Whether the n devices are alike for a reduced program (models/program.h): all twins (the same
 * switch neighbourhood), no direct link between any two of them, so that any permutation of them
 * maps the platform's routes among them onto each other. */
bool nvl_platform_alike(const nvl_platform *p, const int *devs, int n);

/* Route between two hosts as logical link indices with direction (+1 UP, -1 DOWN; crossbars +1).
 * Returns the number of links, or -1 when there is no route. */
int nvl_platform_route(const nvl_platform *p, int from_host, int to_host, int *links, int *dirs,
                       int max);

/* The in-switch reduction host of the class an endpoint attaches to in its first plane, or -1
 * when that class does not reduce (or the endpoint attaches to several classes). */
int nvl_platform_nvls_host(const nvl_platform *p, int dev);
/* SHARP (in-network reduction): the aggregation tree of n network hosts (NICs' hosts of one
 * network plane): the shortest-path tree of switch classes from each host's switch class to the
 * root, the plane's reduction-capable class nearest to all of them (least greatest distance,
 * lowest index). engines[e]: the hosts of its classes' engines; parent[e]: an index into engines,
 * -1 at the root; leaf[i]: the engine host i feeds. Returns the number of engines, or -1 when the
 * hosts are in no one network plane, or a class on a path does not reduce, or past max. */
int nvl_platform_sharp_tree(const nvl_platform *p, const int *hosts, int n, int *leaf, int *engines,
                            int *parent, int max);
/* The host of endpoint dev that feeds SHARP engine host `engine` (its first NIC's in the
 * engine's plane), -1 if none or not a SHARP engine. */
int nvl_platform_sharp_host_of(const nvl_platform *p, int dev, int engine);
/* An endpoint's first network host (through its first NIC), -1 if none. */
int nvl_platform_network_host(const nvl_platform *p, int dev);
/* The host of an endpoint that reaches its NVLS host (first plane), -1 if none. */
int nvl_platform_endpoint_host(const nvl_platform *p, int dev);
/* An endpoint's port links, each followed by its latency link to the class's reduction engine
 * when the class has one (in class order; twins' k-th links are alike). Returns their number (at
 * most max). */
int nvl_platform_port_links(const nvl_platform *p, int dev, int *links, int max);
/* Whether moving every rank r of a job (devs, n) to rank r + m mod n is a symmetry of the
 * platform for the job's traffic (symmetry.c): devices to alike devices, the classes they reach to
 * alike classes, trunks to alike trunks, ring neighbours' routes (every stripe) to their images'
 * routes; never under ECMP. map (2 x link count entries, or NULL): the image of each link
 * direction (2 x link + dir), -1 where the symmetry does not reach. One host per device: the
 * ring neighbours' routes are all it checks, which is enough inside a scale-up fabric.
 * nvl_platform_shift_hosts also takes devices of several hosts (one per plane, and per NIC in a
 * network plane: they go to the image's in order, their NICs' PCIe and port links with them),
 * for callers that check every pair they use (NVLSTree's rails: nvl_platform_shift_pair, and
 * their links' images, nvl_platform_shift_own_links; the fold: every job's pairs): across nodes,
 * routes beyond ring neighbours need not follow. */
bool nvl_platform_shift(const nvl_platform *p, const int *devs, int n, int m, int *map);
bool nvl_platform_shift_hosts(const nvl_platform *p, const int *devs, int n, int m, int *map);
/* Under that shift's map (of nvl_platform_shift), whether every stripe of the transfer from rank a
 * to rank b routes onto the same stripe of the transfer from a + m to b + m (ring neighbours are
 * checked by nvl_platform_shift; a program with other pairs checks those). */
bool nvl_platform_shift_pair(const nvl_platform *p, const int *devs, int n, int m, const int *map,
                             int a, int b);
/* Whether every link direction on the route between two hosts that shares its capacity (not a
 * fatpipe) has n / m distinct images under the map, so that the shift's copies of a transfer load
 * links of their own (a leaf's uplink that every image crosses would carry all of them). */
bool nvl_platform_shift_own_links(const nvl_platform *p, int n, int m, const int *map,
                                  int from_host, int to_host);
/* The orbits of the nl link directions under a symmetry of order k given by map (as
 * nvl_platform_shift's, -1: not reached, a direction of its own): canon[d] the lowest member of
 * d's orbit, weight[d] = k / |orbit| (the copies of a transfer that cross each member). False
 * if an orbit's size does not divide k or the map is no permutation there. */
bool nvl_platform_link_orbits(const int *map, size_t nl, int k, int *canon, double *weight);
/* An endpoint's scale-up domain: endpoints of one domain reach each other without the network
 * (an HGX node, an NVL72 rack, a switchless mesh: NCCL's "node", an NVLink clique); numbered
 * from 0 by first endpoint; -1 for an endpoint with neither a scale-up plane nor a direct link
 * (only NICs). */
int nvl_platform_domain(const nvl_platform *p, int dev);
/* The endpoint device of a host, -1 for a reduction engine's host. */
int nvl_platform_host_device(const nvl_platform *p, int host);

/* Sum of route latencies from a to b (seconds), for closed-form checks. */
double nvl_platform_route_latency(const nvl_platform *p, int from_host, int to_host);

#endif
