/*
 * calibration: see calibration.h.
 */
#include "calibration.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builtin.h"
#include "units.h"

static const char *const proto_names[NVL_PROTO__COUNT] = {"LL", "LL128", "Simple"};

const char *nvl_proto_name(nvl_proto p) { return p < NVL_PROTO__COUNT ? proto_names[p] : "?"; }

int nvl_proto_parse(const char *name, nvl_proto *out) {
  for (int p = 0; p < NVL_PROTO__COUNT; p++)
    if (strcasecmp(name, proto_names[p]) == 0) {
      *out = (nvl_proto)p;
      return 0;
    }
  return -1;
}

__attribute__((noreturn)) static void die(const char *what) {
  fprintf(stderr, "nvlsim: internal error: built-in calibration: %s\n", what);
  abort();
}

static double time_field(json_t *o, const char *key) {
  json_t *v = json_object_get(o, key);
  double t;
  char err[160];
  if (!json_is_string(v) || nvl_units_parse_time0(json_string_value(v), &t, err, sizeof err) != 0)
    die(key);
  return t;
}

const nvl_calibration *nvl_calibration_get(void) {
  static nvl_calibration cal;
  static bool loaded;
  if (loaded)
    return &cal;
  json_t *root = json_loadb(nvl_calibration_json, nvl_calibration_json_len, 0, NULL);
  if (!root)
    die("does not parse");
  json_t *protos = json_object_get(root, "protocols");
  for (int p = 0; p < NVL_PROTO__COUNT; p++) {
    json_t *o = json_object_get(protos, proto_names[p]);
    if (!o || !json_is_number(json_object_get(o, "payload")))
      die(proto_names[p]);
    cal.payload[p] = json_number_value(json_object_get(o, "payload"));
    cal.ring_hop_s[p] = time_field(o, "ring_hop_latency");
    cal.tree_hop_s[p] = time_field(o, "tree_hop_latency");
    cal.base_s[p] = time_field(o, "base_latency");
    double chunk = json_number_value(json_object_get(o, "ring_chunk"));
    json_int_t slices = json_integer_value(json_object_get(o, "slices_per_chunk"));
    if (!(chunk >= 1024) || slices < 1 || slices > 64)
      die("ring_chunk / slices_per_chunk");
    cal.ring_chunk[p] = chunk;
    cal.slices[p] = (int)slices;
  }
  cal.nvls_latency_s = time_field(root, "nvls_latency");
  cal.launch_s = time_field(root, "launch_overhead");
  const char *key;
  json_t *g;
  json_object_foreach(json_object_get(root, "generations"), key, g) {
    int gen = atoi(key);
    if (gen < 1 || gen > NVL_MAX_GENERATION)
      die("generation out of range");
    cal.gen[gen].present = true;
    cal.gen[gen].simple_eff = json_number_value(json_object_get(g, "simple_efficiency"));
    cal.gen[gen].nvls_eff = json_number_value(json_object_get(g, "nvls_efficiency"));
    if (!(cal.gen[gen].simple_eff > 0 && cal.gen[gen].simple_eff <= 1))
      die("simple_efficiency");
    json_int_t ch = json_integer_value(json_object_get(g, "ring_channels"));
    double share = json_number_value(json_object_get(g, "simple_sync_share"));
    if (ch < 1 || ch > 64 || !(share >= 0 && share < 1))
      die("ring_channels / simple_sync_share");
    cal.gen[gen].ring_channels = (int)ch;
    cal.gen[gen].sync_share = share;
  }
  json_decref(root);
  loaded = true;
  return &cal;
}

static int resolve_gen(const nvl_calibration *c, int generation) {
  if (generation >= 1 && generation <= NVL_MAX_GENERATION && c->gen[generation].present)
    return generation;
  for (int g = NVL_MAX_GENERATION; g >= 1; g--) /* custom links: the newest calibrated one */
    if (c->gen[g].present)
      return g;
  die("no generation");
  return 0;
}

double nvl_calibration_simple_eff(const nvl_calibration *c, int generation) {
  return c->gen[resolve_gen(c, generation)].simple_eff;
}

double nvl_calibration_nvls_eff(const nvl_calibration *c, int generation) {
  return c->gen[resolve_gen(c, generation)].nvls_eff;
}

nvl_ring_pipeline nvl_calibration_ring(const nvl_calibration *c, int generation, nvl_proto p,
                                       double bw_Bps) {
  int g = resolve_gen(c, generation);
  nvl_ring_pipeline r = {.channels = c->gen[g].ring_channels,
                         .slices = c->slices[p],
                         .chunk = (uint64_t)c->ring_chunk[p],
                         .scale = 1.0 / (c->gen[g].simple_eff * c->payload[p])};
  if (p == NVL_PROTO_SIMPLE && bw_Bps > 0) {
    /* a full step moves channels x chunk bytes in t = bytes x scale / bw; the share s of t is
     * synchronisation, paid per slice whatever the chunk, the rest moves the data */
    double share = c->gen[g].sync_share;
    double t_full = (double)r.channels * (double)r.chunk * r.scale / bw_Bps;
    r.slice_s = share * t_full / r.slices;
    r.scale *= 1.0 - share;
  }
  return r;
}

double nvl_proto_predict(const nvl_calibration *c, nvl_coll coll, nvl_algo algo, int n,
                         uint64_t bytes, double bw_Bps, int generation, nvl_proto p) {
  double S = (double)bytes, steps, wire;
  bool tree = algo == NVL_ALGO_TREE;
  switch (coll) {
  case NVL_COLL_ALL_REDUCE:
    steps = tree ? 2 * ceil(log2(n)) : 2.0 * (n - 1);
    wire = tree ? 2 * S : 2.0 * (n - 1) / n * S;
    break;
  case NVL_COLL_REDUCE_SCATTER:
  case NVL_COLL_ALL_GATHER:
    steps = n - 1;
    wire = (double)(n - 1) / n * S;
    break;
  case NVL_COLL_BROADCAST:
  case NVL_COLL_REDUCE:
    steps = n - 1;
    wire = S;
    break;
  case NVL_COLL_ALLTOALL:
    steps = 1;
    wire = (double)(n - 1) / n * S;
    break;
  default: steps = 1; wire = S;
  }
  if (algo == NVL_ALGO_NVLS)
    return c->nvls_latency_s + S * (n + 1) / n /
                                   (bw_Bps * nvl_calibration_simple_eff(c, generation) *
                                    nvl_calibration_nvls_eff(c, generation));
  double hop = tree ? c->tree_hop_s[p] : c->ring_hop_s[p];
  return c->base_s[p] + steps * hop +
         wire / (bw_Bps * nvl_calibration_simple_eff(c, generation) * c->payload[p]);
}

nvl_proto nvl_proto_pick(const nvl_calibration *c, nvl_coll coll, nvl_algo algo, int n,
                         uint64_t bytes, double bw_Bps, int generation) {
  if (algo == NVL_ALGO_NVLS)
    return NVL_PROTO_SIMPLE;
  nvl_proto best = NVL_PROTO_SIMPLE;
  double best_t = INFINITY;
  for (int p = 0; p < NVL_PROTO__COUNT; p++) {
    double t = nvl_proto_predict(c, coll, algo, n, bytes, bw_Bps, generation, (nvl_proto)p);
    if (t < best_t) {
      best_t = t;
      best = (nvl_proto)p;
    }
  }
  return best;
}
