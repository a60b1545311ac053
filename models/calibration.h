/*
 * calibration: the default model's parameters (models/calibration.json, compiled in) and NCCL's
 * protocol choice.
 *
 * The default model keeps the fluid network of the ideal model and adds what NCCL adds on top:
 *   - a protocol per operation (LL, LL128, Simple), picked the way NCCL's tuner does, by the
 *     smallest predicted time base + steps x hop + bytes / (B x efficiency x payload);
 *   - payload efficiency, applied as extra bytes on the wire (LL sends a flag per 4 B of data;
 *     Simple reaches a per-generation fraction of line rate), so contention stays physical;
 *   - NCCL's per-hop latency before every step of rings, chains and trees, and its base latency
 *     (NVLS: its own 25 us) before every operation, after the host launch overhead;
 *   - NCCL's ring pipeline: channels, loops of chunks, slices, and for Simple a fixed
 *     synchronisation cost per slice (see nvl_calibration_ring);
 *   - for NVLS, NCCL's per-architecture NVLS efficiency on the switch traffic.
 */
#ifndef NVL_CALIBRATION_H
#define NVL_CALIBRATION_H

#include <stdbool.h>
#include <stdint.h>

#include "collectives.h"

typedef enum { NVL_PROTO_LL, NVL_PROTO_LL128, NVL_PROTO_SIMPLE, NVL_PROTO__COUNT } nvl_proto;

#define NVL_MAX_GENERATION 9

typedef struct {
  double payload[NVL_PROTO__COUNT];
  double ring_hop_s[NVL_PROTO__COUNT], tree_hop_s[NVL_PROTO__COUNT], base_s[NVL_PROTO__COUNT];
  double ring_chunk[NVL_PROTO__COUNT]; /* bytes per channel and ring step (full loops) */
  int slices[NVL_PROTO__COUNT];        /* slices per chunk */
  double nvls_latency_s;
  double launch_s; /* host launch path per operation, before NCCL's own latency */
  struct {
    bool present;
    double simple_eff, nvls_eff;
    int ring_channels;
    double sync_share; /* share of a full Simple ring step spent synchronising its slices */
  } gen[NVL_MAX_GENERATION + 1];
} nvl_calibration;

/* The built-in calibration, parsed on first use (aborts if the build embedded a broken file). */
const nvl_calibration *nvl_calibration_get(void);

const char *nvl_proto_name(nvl_proto p);
int nvl_proto_parse(const char *name, nvl_proto *out);

/* Simple-protocol efficiency and NVLS factor of an NVLink generation; an unknown generation
 * (custom links) uses the newest calibrated one. */
double nvl_calibration_simple_eff(const nvl_calibration *c, int generation);
double nvl_calibration_nvls_eff(const nvl_calibration *c, int generation);

/* NCCL's ring pipeline under protocol p for ranks with per-direction bandwidth bw_Bps: channels,
 * chunk bytes per channel and step, slices per chunk, the fixed cost of each slice (seconds) and
 * the wire bytes per payload byte of the data movement itself. A full ring step (every channel
 * moving a whole chunk) then takes exactly as long as the Simple efficiency says; a step of
 * smaller chunks (the last loop, or all of a medium-size operation) pays the same slice costs for
 * less data. */
typedef struct {
  int channels, slices;
  uint64_t chunk;
  double slice_s, scale;
} nvl_ring_pipeline;
nvl_ring_pipeline nvl_calibration_ring(const nvl_calibration *c, int generation, nvl_proto p,
                                       double bw_Bps);

/* NCCL-style protocol choice for a collective of S bytes over n ranks with per-rank bandwidth
 * bw_Bps. NVLS always uses Simple. */
nvl_proto nvl_proto_pick(const nvl_calibration *c, nvl_coll coll, nvl_algo algo, int n,
                         uint64_t bytes, double bw_Bps, int generation);

/* NCCL's predicted time (seconds) of that choice; used by the tuner and shown by tests. */
double nvl_proto_predict(const nvl_calibration *c, nvl_coll coll, nvl_algo algo, int n,
                         uint64_t bytes, double bw_Bps, int generation, nvl_proto p);

#endif
