/*
 * calibration: see calibration.h.
 */
#include "models/calibration.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/builtin.h"
#include "base/names.h"
#include "base/units.h"

static const char *const proto_names[NVL_PROTO__COUNT] = {"LL", "LL128", "Simple"};
static const char *const arch_names[NVL_ARCH__COUNT] = {"ampere", "hopper", "blackwell"};

const char *nvl_proto_name(nvl_proto p) { return p < NVL_PROTO__COUNT ? proto_names[p] : "?"; }

int nvl_proto_parse(const char *name, nvl_proto *out) {
  int p = nvl_names_find(proto_names, NVL_PROTO__COUNT, name, true);
  if (p >= 0)
    *out = (nvl_proto)p;
  return p >= 0 ? 0 : -1;
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

/* A number in [lo, hi], or die naming the key. */
static double num_field(json_t *o, const char *key, double lo, double hi) {
  json_t *v = json_object_get(o, key);
  double x = json_is_number(v) ? json_number_value(v) : NAN;
  if (!(x >= lo && x <= hi))
    die(key);
  return x;
}

static void load_protocols(nvl_calibration *cal, json_t *protos) {
  for (int p = 0; p < NVL_PROTO__COUNT; p++) {
    json_t *o = json_object_get(protos, proto_names[p]);
    if (!o)
      die(proto_names[p]);
    cal->payload[p] = num_field(o, "payload", 0.01, 1);
    cal->ring_hop_s[p] = time_field(o, "ring_hop_latency");
    cal->tree_hop_s[p] = time_field(o, "tree_hop_latency");
    cal->base_s[p] = time_field(o, "base_latency");
    cal->ring_chunk[p] = num_field(o, "ring_chunk", 1024, 1 << 30);
    cal->slices[p] = (int)num_field(o, "slices_per_chunk", 1, 64);
  }
}

static void load_nccl(nvl_calibration *cal, json_t *n) {
  if (!n)
    die("nccl");
  cal->nccl.nvls_latency_s = time_field(n, "nvls_latency");
  cal->nccl.nvls_max_heads = (int)num_field(n, "nvls_max_heads", 2, 1024);
  cal->nccl.nvls_chunk = (uint64_t)num_field(n, "nvls_chunk", 16384, 1 << 24);
  cal->nccl.ring_max_channels = (int)num_field(n, "ring_max_channels", 1, 64);
  cal->nccl.p2p_chunk = (uint64_t)num_field(n, "p2p_chunk", 4096, 1 << 26);
  cal->nccl.p2p_ll_threshold = (uint64_t)num_field(n, "p2p_ll_threshold", 0, 1 << 26);
  cal->nccl.p2p_channel_Bps = num_field(n, "p2p_channel_GBps", 0.1, 1e4) * 1e9;
  cal->nccl.p2p_max_channels = (int)num_field(n, "p2p_max_channels", 1, 64);
  json_t *sp = json_object_get(n, "speeds");
  for (int a = 0; a < NVL_ARCH__COUNT; a++) {
    json_t *arr = json_object_get(sp, arch_names[a]);
    size_t k = json_array_size(arr);
    if (k == 0 || k > NVL_MAX_SPEEDS)
      die("speeds");
    for (size_t i = 0; i < k; i++) {
      double s = json_number_value(json_array_get(arr, i));
      if (!(s > 0) || (i > 0 && !(s < cal->nccl.speeds[a][i - 1])))
        die("speeds must descend");
      cal->nccl.speeds[a][i] = s;
    }
    cal->nccl.n_speeds[a] = (int)k;
  }
}

static nvl_generation *gen_slot(nvl_calibration *cal, const char *key) {
  int g = atoi(key);
  if (g < 1 || g > NVL_MAX_GENERATION)
    die("generation out of range");
  return &cal->gen[g];
}

static void load_generations(nvl_calibration *cal, json_t *phys, json_t *nccl) {
  const char *key;
  json_t *o;
  json_object_foreach(phys, key, o) {
    nvl_generation *g = gen_slot(cal, key);
    g->present = true;
    g->simple_eff = num_field(o, "simple_efficiency", 1e-3, 1);
    g->nvls_eff = num_field(o, "nvls_efficiency", 0, 1);
    g->nvls_spread = num_field(o, "nvls_spread", 0, 10);
    g->p2p_eff = num_field(o, "p2p_efficiency", 1e-3, 1);
    g->sync_share = num_field(o, "simple_sync_share", 0, 0.99);
  }
  json_object_foreach(nccl, key, o) {
    nvl_generation *g = gen_slot(cal, key);
    if (!g->present)
      die("an NCCL generation without physical parameters");
    const char *arch = json_string_value(json_object_get(o, "arch"));
    int a = 0;
    while (a < NVL_ARCH__COUNT && !(arch && strcmp(arch, arch_names[a]) == 0))
      a++;
    if (a == NVL_ARCH__COUNT)
      die("arch");
    g->arch = (nvl_arch)a;
    g->compcap = (int)num_field(o, "compcap", 60, 200);
    g->nccl_link_Bps = num_field(o, "link_GBps", 1, 1e4) * 1e9;
    g->ll_max_Bps = num_field(o, "ll_max_GBps", 1, 1e5) * 1e9;
    g->ll128_per_channel_Bps = num_field(o, "ll128_per_channel_GBps", 1, 1e4) * 1e9;
    g->nccl_nvls_eff = num_field(o, "nvls_efficiency", 0, 1);
    g->nvls_channels = (int)num_field(o, "nvls_channels", 0, 64);
  }
  for (int g = 1; g <= NVL_MAX_GENERATION; g++)
    if (cal->gen[g].present && cal->gen[g].compcap == 0)
      die("a physical generation without NCCL constants");
}

const nvl_calibration *nvl_calibration_get(void) {
  static nvl_calibration cal;
  static bool loaded;
  if (loaded)
    return &cal;
  /* model development: NVLSIM_CALIBRATION names a file of the same form to use instead */
  const char *file = getenv("NVLSIM_CALIBRATION");
  json_t *root = file && *file
                     ? json_load_file(file, JSON_REJECT_DUPLICATES, NULL)
                     : json_loadb(nvl_calibration_json, nvl_calibration_json_len, 0, NULL);
  if (!root)
    die(file && *file ? "NVLSIM_CALIBRATION does not name a readable JSON file" : "does not parse");
  load_protocols(&cal, json_object_get(root, "protocols"));
  json_t *nccl = json_object_get(root, "nccl");
  load_nccl(&cal, nccl);
  cal.host_interval_s = time_field(root, "host_interval");
  cal.device_launch_s = time_field(root, "device_launch");
  load_generations(&cal, json_object_get(root, "generations"),
                   json_object_get(nccl, "generations"));
  json_decref(root);
  loaded = true;
  return &cal;
}

const nvl_generation *nvl_calibration_gen(const nvl_calibration *c, int generation) {
  if (generation >= 1 && generation <= NVL_MAX_GENERATION && c->gen[generation].present)
    return &c->gen[generation];
  for (int g = NVL_MAX_GENERATION; g >= 1; g--) /* custom links: the newest calibrated one */
    if (c->gen[g].present)
      return &c->gen[g];
  die("no generation");
}

nvl_ring_pipeline nvl_calibration_ring(const nvl_calibration *c, int generation, nvl_proto p,
                                       int channels, double bw_Bps) {
  const nvl_generation *g = nvl_calibration_gen(c, generation);
  nvl_ring_pipeline r = {.channels = channels,
                         .slices = c->slices[p],
                         .chunk = (uint64_t)c->ring_chunk[p],
                         .scale = 1.0 / (g->simple_eff * c->payload[p])};
  if (p == NVL_PROTO_SIMPLE && bw_Bps > 0) {
    /* a full step moves channels x chunk bytes in t = bytes x scale / bw; the share s of t is
     * synchronisation, paid per slice whatever the chunk, the rest moves the data */
    double t_full = (double)r.channels * (double)r.chunk * r.scale / bw_Bps;
    r.slice_s = g->sync_share * t_full / r.slices;
    r.scale *= 1.0 - g->sync_share;
  }
  return r;
}
