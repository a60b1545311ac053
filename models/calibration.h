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
 *     (NVLS: its own 25 us) before every operation;
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
  double nvls_latency_s;
  struct {
    bool present;
    double simple_eff, nvls_eff;
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

/* NCCL-style protocol choice for a collective of S bytes over n ranks with per-rank bandwidth
 * bw_Bps. NVLS always uses Simple. */
nvl_proto nvl_proto_pick(const nvl_calibration *c, nvl_coll coll, nvl_algo algo, int n,
                         uint64_t bytes, double bw_Bps, int generation);

/* NCCL's predicted time (seconds) of that choice; used by the tuner and shown by tests. */
double nvl_proto_predict(const nvl_calibration *c, nvl_coll coll, nvl_algo algo, int n,
                         uint64_t bytes, double bw_Bps, int generation, nvl_proto p);

#endif
