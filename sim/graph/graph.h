/*
 * graph: the topology graph of a design (igraph), and the structural analyses on it.
 *
 * NVLink endpoints do not forward traffic: a GPU is a source or a sink, never a transit hop.
 * The analyses therefore run on a directed "split" graph: each switch is one vertex; each
 * endpoint is two, an out-vertex (its links towards switches and peers) and an in-vertex (links
 * arriving at it). A link bundle between switches becomes two arcs; endpoint-switch becomes
 * out(e)->s and s->in(e); endpoint-endpoint (C2C, direct NVLink) becomes out(a)->in(b) and
 * out(b)->in(a). Any path from out(a) to in(b) then never passes through a third endpoint.
 *
 * Costs (V vertices, E arcs, n accelerators):
 *   Participants with identical neighbourhoods (same switches, link counts and capacities, no
 * direct endpoint links) are grouped: NVL72's 72 GPUs are one group, NVL576's are 8 (one per rack).
 *   hops and reachability   one BFS per group, O(groups (V + E));
 *   bisection               one push-relabel max-flow, O(V^2 sqrt(E)) worst case, fast in practice;
 *   path diversity          one unit-capacity max-flow per class of alike ordered group pairs
 *                           (orbits under the design's automorphisms, igraph's BLISS on a quotient
 *                           graph: graph/symmetry.c; pairs in different components need none), on
 *                           the graph itself (no copies); with more than 2048 groups, one per
 *                           group pair, at most 4096 sampled evenly.
 * Only this module includes igraph. Its abort-on-error handler is replaced at first use; calls
 * follow igraph's IGRAPH_CHECK / IGRAPH_FINALLY discipline, and every igraph failure reaches the
 * caller as a diagnostic ("bisection: igraph: <reason>") with a -1 or NULL return.
 */
#ifndef NVL_GRAPH_H
#define NVL_GRAPH_H

#include <stdbool.h>
#include <stdio.h>

#include "base/diag.h"
#include "design/design.h"

typedef struct nvl_graph nvl_graph;

/* Builds the split graph of a design. The design must outlive the graph. NULL on failure. */
nvl_graph *nvl_graph_new(const nvl_design *d, nvl_diags *diags);
void nvl_graph_free(nvl_graph *g);

/* The endpoints the analyses are about: accelerators (GPUs and ASICs) in device order, or every
 * endpoint if the design has no accelerator. */
const int *nvl_graph_participants(const nvl_graph *g, size_t *n);
/* Whether the participants are accelerators (false: a design of CPUs/NICs only). */
bool nvl_graph_has_accelerators(const nvl_graph *g);

/* Per-direction bandwidth of an endpoint into the fabric: links to switches and to other
 * accelerators (C2C to CPUs excluded). And its C2C / other-endpoint bandwidth. */
double nvl_graph_injection_Bps(const nvl_graph *g, int dev);
double nvl_graph_c2c_Bps(const nvl_graph *g, int dev);
/* Per-direction bandwidth of an endpoint into the scale-out network: over each of its NICs, the
 * lesser of its PCIe link and the NIC's network links (0 without NICs). */
double nvl_graph_network_Bps(const nvl_graph *g, int dev);
/* Scale-up domains (NCCL's nodes): the participants joined by NVLink (through NVLink switches or
 * directly), not by the network. Returns their number, and the fewest and most participants one
 * holds. */
size_t nvl_graph_domains(const nvl_graph *g, size_t *fewest, size_t *most);

typedef struct {
  int max_switch_hops;  /* over reachable participant pairs; -1 if none */
  size_t unreachable;   /* ordered participant pairs with no path */
  int first_a, first_b; /* one unreachable pair (device ids), -1 if none */
} nvl_hops;

int nvl_graph_hops(const nvl_graph *g, nvl_hops *out, nvl_diags *diags);

typedef struct {
  double bw_Bps; /* max flow from half A to half B, per direction */
  size_t n_a, n_b;
  int a_first, a_last, b_first, b_last; /* device ids at the ends of each half */
} nvl_bisection;

/* Splits the participants in declaration order (first floor(n/2) | rest) and computes the max
 * flow between the halves. Fails (returns -1) with fewer than 2 participants. */
int nvl_graph_bisection(const nvl_graph *g, nvl_bisection *out, nvl_diags *diags);

typedef struct {
  int min_paths; /* fewest edge-disjoint paths (physical links) over the checked pairs */
  int a, b;      /* a pair achieving it */
  size_t pairs;  /* pairs checked: one per ordered pair of participant groups */
  bool sampled;  /* true when group pairs were sampled (more than 4096) */
} nvl_diversity;

int nvl_graph_path_diversity(const nvl_graph *g, nvl_diversity *out, nvl_diags *diags);

/* Writes the undirected device graph (one edge per link bundle, with attributes) as "dot" or
 * "graphml". Returns 0, or -1 (diags set) for an unknown format, an igraph or a write error. */
int nvl_graph_export(const nvl_design *d, const char *format, FILE *out, nvl_diags *diags);

#endif
