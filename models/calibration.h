/*
 * calibration: the default model's parameters (models/calibration.json, compiled in).
 *
 * Two kinds of numbers live here, and the distinction matters for what a result means:
 *   - NCCL's own constants (tuner latencies and bandwidth caps, graph-search speeds, channel and
 *     chunk rules, NVLS arity), copied from NCCL's source. They decide what NCCL would do with an
 *     operation: algorithm, protocol, channels, chunk size (models/tuner.h);
 *   - one physical parameter set per NVLink generation: the share of line rate each kind of
 *     traffic reaches (Simple ring, NVLS, point-to-point), the spread of NVLS steps across
 *     ranks, and the synchronisation share of a Simple ring slice. These are fitted to named
 *     measurements or marked as estimates in the JSON.
 * Plus two per-operation costs: the host's issue interval (operations back to back run no faster
 * than the host issues them) and the device-side start of each operation.
 */
#ifndef NVL_CALIBRATION_H
#define NVL_CALIBRATION_H

#include <stdbool.h>
#include <stdint.h>

#include "models/collectives.h"

typedef enum { NVL_PROTO_LL, NVL_PROTO_LL128, NVL_PROTO_SIMPLE, NVL_PROTO__COUNT } nvl_proto;

/* NCCL's CollNet constants (tuning.cc): hwLat[NVLINK] and hwLat[NET] of CollNet Direct and
 * Chain, Direct's per-rank arity latency and its bandwidth factor from Hopper on. */
typedef struct {
  double direct_latency_s, chain_latency_s, direct_net_latency_s, chain_net_latency_s, arity_s;
  double hopper_factor;
} nvl_collnet_constants;

typedef enum { NVL_ARCH_AMPERE, NVL_ARCH_HOPPER, NVL_ARCH_BLACKWELL, NVL_ARCH__COUNT } nvl_arch;

#define NVL_MAX_GENERATION 9
#define NVL_MAX_SPEEDS 24

/* One NVLink generation: NCCL's constants for the GPUs that carry it, and the physical model. */
typedef struct {
  bool present;
  /* NCCL */
  nvl_arch arch;
  int compcap;                  /* 80, 90, 100: what NCCL's rules test */
  double nccl_link_Bps;         /* NCCL's bandwidth per NVLink link */
  double ll_max_Bps;            /* LL ring bus bandwidth cap (one NVLink domain) */
  double ll128_per_channel_Bps; /* LL128 ring bus bandwidth cap per graph channel */
  double nccl_nvls_eff;         /* the tuner's NVLS factor (not a measured efficiency) */
  int nvls_channels;            /* NVLS channels in one NVLink domain (0: no NVLS) */
  /* physical */
  double simple_eff;  /* share of line rate moved by a Simple ring step */
  double nvls_eff;    /* NVLS traffic's share of the Simple rate */
  double nvls_spread; /* coefficient of variation of one NVLS step across ranks */
  double p2p_eff;     /* share of line rate moved by point-to-point (Simple) */
  double sync_share;  /* share of a full Simple ring step spent synchronising its slices */
} nvl_generation;

typedef struct {
  double payload[NVL_PROTO__COUNT];
  double ring_hop_s[NVL_PROTO__COUNT], tree_hop_s[NVL_PROTO__COUNT], base_s[NVL_PROTO__COUNT];
  /* NCCL's latency of a ring or tree hop through the network (hwLat[NET]) */
  double ring_net_hop_s[NVL_PROTO__COUNT], tree_net_hop_s[NVL_PROTO__COUNT];
  double ring_chunk[NVL_PROTO__COUNT]; /* bytes per channel and ring step (full loops) */
  int slices[NVL_PROTO__COUNT];        /* slices per chunk */
  double host_interval_s;              /* one operation per interval from the host */
  double device_launch_s;              /* device-side start of every operation */
  double direct_share;                 /* DeepEP's direct copies: share of the Simple rate */
  struct {
    double nvls_latency_s;
    int nvls_max_heads, ring_max_channels, p2p_max_channels;
    uint64_t nvls_chunk, p2p_chunk, p2p_ll_threshold;
    uint64_t p2p_net_chunk; /* a communicator across nodes: NCCL_P2P_NET_CHUNKSIZE */
    /* topo.cc's rating of PCIe links: line rate (ascending) -> NCCL's GB/s */
    double pcie_line_GBps[8], pcie_nccl_GBps[8];
    int n_pcie_ratings;
    double p2p_channel_Bps;
    double speeds[NVL_ARCH__COUNT][NVL_MAX_SPEEDS]; /* GB/s, descending */
    int n_speeds[NVL_ARCH__COUNT];
    /* across nodes: NVLSTree's latencies, LL's cap for 2 / more nodes, NVLSTree's, the tree's
     * and the tree's LL128 per-channel caps for 2 / more nodes, the speeds of a channel through
     * a NIC */
    double nvlstree_latency_s, nvlstree_net_latency_s, ll_max_multi_Bps[2];
    double nvls_net_latency_s; /* NVLS across nodes (SHARP between them): hwLat[NET][NVLS] */
    nvl_collnet_constants collnet;
    double pat_latency_s, pat_rank_latency_s; /* PAT's base latency and its part per rank */
    double nvlstree_per_channel_Bps[NVL_ARCH__COUNT][2], tree_per_channel_Bps[NVL_ARCH__COUNT][2],
        tree_ll128_per_channel_Bps[NVL_ARCH__COUNT][2];
    double inter_speeds[NVL_ARCH__COUNT][NVL_MAX_SPEEDS];
    int n_inter_speeds[NVL_ARCH__COUNT];
  } nccl;
  nvl_generation gen[NVL_MAX_GENERATION + 1];
} nvl_calibration;

/* Fills cal from JSON text of models/calibration.json's form. Returns 0, or -1 with the first
 * problem in err (the key and what it must be). */
int nvl_calibration_load(nvl_calibration *cal, const char *text, size_t len, char *err,
                         size_t errlen);

/* The parameters of an NVLink generation; an unknown generation (custom links) uses the newest
 * calibrated one. */
const nvl_generation *nvl_calibration_gen(const nvl_calibration *c, int generation);
/* NCCL's rating (GB/s) of a PCIe path of line rate `GBps`: the rating of the fastest line rate
 * it reaches (0 below the slowest). */
double nvl_calibration_pcie_rating(const nvl_calibration *c, double GBps);

const char *nvl_proto_name(nvl_proto p);
int nvl_proto_parse(const char *name, nvl_proto *out);

/* NCCL's ring pipeline under protocol p with `channels` channels, for ranks with per-direction
 * bandwidth bw_Bps: chunk bytes per channel and step, slices per chunk, the fixed cost of each
 * slice (seconds) and the wire bytes per payload byte of the data movement itself. A full ring
 * step (every channel moving a whole chunk) then takes exactly as long as the Simple efficiency
 * says; a step of smaller chunks (the last loop, or all of a medium-size operation) pays the same
 * slice costs for less data. */
typedef struct {
  int channels, slices;
  uint64_t chunk;
  double slice_s, scale;
} nvl_ring_pipeline;
nvl_ring_pipeline nvl_calibration_ring(const nvl_calibration *c, int generation, nvl_proto p,
                                       int channels, double bw_Bps);

#endif
