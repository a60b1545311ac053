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
#include "base/json.h"
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

/* Calibration fields are named by their key alone (their section is in the key's name). */
static double time_field(nvl_jreader *r, json_t *o, const char *key) {
  return nvl_jr_time(r, o, "", key, 1);
}

static double num_field(nvl_jreader *r, json_t *o, const char *key, double lo, double hi) {
  return nvl_jr_num(r, o, "", key, lo, hi);
}

static void load_protocols(nvl_jreader *r, nvl_calibration *cal, json_t *protos) {
  for (int p = 0; p < NVL_PROTO__COUNT; p++) {
    json_t *o = json_object_get(protos, proto_names[p]);
    if (!o) {
      nvl_jr_fail(r, "protocols: one of LL, LL128, Simple is missing");
      return;
    }
    cal->payload[p] = num_field(r, o, "payload", 0.01, 1);
    cal->ring_hop_s[p] = time_field(r, o, "ring_hop_latency");
    cal->tree_hop_s[p] = time_field(r, o, "tree_hop_latency");
    cal->base_s[p] = time_field(r, o, "base_latency");
    cal->ring_net_hop_s[p] = time_field(r, o, "ring_net_hop_latency");
    cal->tree_net_hop_s[p] = time_field(r, o, "tree_net_hop_latency");
    cal->ring_chunk[p] = num_field(r, o, "ring_chunk", 1024, 1 << 30);
    cal->slices[p] = (int)num_field(r, o, "slices_per_chunk", 1, 64);
  }
}

/* A speed array per architecture (positive, descending, 1 to NVL_MAX_SPEEDS). */
static void load_speeds(nvl_jreader *r, json_t *sp, const char *what,
                        double out[NVL_ARCH__COUNT][NVL_MAX_SPEEDS], int *n_out) {
  for (int a = 0; a < NVL_ARCH__COUNT; a++) {
    json_t *arr = json_object_get(sp, arch_names[a]);
    size_t k = json_array_size(arr);
    if (k == 0 || k > NVL_MAX_SPEEDS) {
      nvl_jr_fail(r, "%s: each architecture needs 1 to 24 speeds", what);
      return;
    }
    for (size_t i = 0; i < k; i++) {
      double s = json_number_value(json_array_get(arr, i));
      if (!(s > 0 && s < 1e5) || (i > 0 && !(s < out[a][i - 1]))) {
        nvl_jr_fail(r, "%s: positive and descending", what);
        return;
      }
      out[a][i] = s;
    }
    n_out[a] = (int)k;
  }
}

static void load_nccl(nvl_jreader *r, nvl_calibration *cal, json_t *n) {
  if (!n) {
    nvl_jr_fail(r, "nccl: missing");
    return;
  }
  cal->nccl.nvls_latency_s = time_field(r, n, "nvls_latency");
  cal->nccl.nvls_max_heads = (int)num_field(r, n, "nvls_max_heads", 2, 1024);
  cal->nccl.nvls_chunk = (uint64_t)num_field(r, n, "nvls_chunk", 16384, 1 << 24);
  cal->nccl.ring_max_channels = (int)num_field(r, n, "ring_max_channels", 1, 64);
  cal->nccl.p2p_chunk = (uint64_t)num_field(r, n, "p2p_chunk", 4096, 1 << 26);
  cal->nccl.p2p_net_chunk = (uint64_t)num_field(r, n, "p2p_net_chunk", 4096, 1 << 26);
  json_t *pr = json_object_get(n, "pcie_ratings");
  size_t npr = json_array_size(pr);
  if (npr == 0 || npr > 8)
    nvl_jr_fail(r, "nccl/pcie_ratings: 1 to 8 [line GB/s, NCCL GB/s] pairs");
  for (size_t i = 0; i < npr && npr <= 8; i++) {
    double line = json_number_value(json_array_get(json_array_get(pr, i), 0)),
           rate = json_number_value(json_array_get(json_array_get(pr, i), 1));
    if (!(line > 0 && rate > 0 && (i == 0 || line > cal->nccl.pcie_line_GBps[i - 1])))
      nvl_jr_fail(r, "nccl/pcie_ratings: positive pairs, line rates ascending");
    cal->nccl.pcie_line_GBps[i] = line;
    cal->nccl.pcie_nccl_GBps[i] = rate;
    cal->nccl.n_pcie_ratings = (int)i + 1;
  }
  cal->nccl.p2p_ll_threshold = (uint64_t)num_field(r, n, "p2p_ll_threshold", 0, 1 << 26);
  cal->nccl.p2p_channel_Bps = num_field(r, n, "p2p_channel_GBps", 0.1, 1e4) * 1e9;
  cal->nccl.p2p_max_channels = (int)num_field(r, n, "p2p_max_channels", 1, 64);
  load_speeds(r, json_object_get(n, "speeds"), "nccl/speeds", cal->nccl.speeds, cal->nccl.n_speeds);
  json_t *net = json_object_get(n, "net");
  if (!net) {
    nvl_jr_fail(r, "nccl/net: missing");
    return;
  }
  cal->nccl.nvlstree_latency_s = time_field(r, net, "nvlstree_latency");
  cal->nccl.nvlstree_net_latency_s = time_field(r, net, "nvlstree_net_latency");
  cal->nccl.nvls_net_latency_s = time_field(r, net, "nvls_net_latency");
  json_t *cn = json_object_get(net, "collnet");
  if (!cn) {
    nvl_jr_fail(r, "nccl/net/collnet: missing");
    return;
  }
  nvl_collnet_constants *cc = &cal->nccl.collnet;
  cc->direct_latency_s = time_field(r, cn, "direct_latency");
  cc->chain_latency_s = time_field(r, cn, "chain_latency");
  cc->direct_net_latency_s = time_field(r, cn, "direct_net_latency");
  cc->chain_net_latency_s = time_field(r, cn, "chain_net_latency");
  cc->arity_s = time_field(r, cn, "arity_latency");
  cc->hopper_factor = num_field(r, cn, "hopper_factor", 0, 1);
  cal->nccl.pat_latency_s = time_field(r, net, "pat_latency");
  cal->nccl.pat_rank_latency_s = time_field(r, net, "pat_rank_latency");
  json_t *ll = json_object_get(net, "ll_max_GBps");
  static const char *const caps[] = {"nvlstree_per_channel_GBps", "tree_per_channel_GBps",
                                     "tree_ll128_per_channel_GBps"};
  double(*to[])[2] = {cal->nccl.nvlstree_per_channel_Bps, cal->nccl.tree_per_channel_Bps,
                      cal->nccl.tree_ll128_per_channel_Bps};
  for (int k = 0; k < 2; k++) {
    cal->nccl.ll_max_multi_Bps[k] = json_number_value(json_array_get(ll, (size_t)k)) * 1e9;
    for (size_t c = 0; c < sizeof caps / sizeof *caps; c++)
      for (int a = 0; a < NVL_ARCH__COUNT; a++)
        to[c][a][k] =
            json_number_value(json_array_get(
                json_object_get(json_object_get(net, caps[c]), arch_names[a]), (size_t)k)) *
            1e9;
  }
  for (int k = 0; k < 2; k++)
    for (size_t c = 0; c < sizeof caps / sizeof *caps; c++)
      for (int a = 0; a < NVL_ARCH__COUNT; a++)
        if (!(cal->nccl.ll_max_multi_Bps[k] > 0) || !(to[c][a][k] > 0)) {
          nvl_jr_fail(r, "nccl/net: ll_max_GBps, nvlstree_per_channel_GBps, tree_per_channel_GBps "
                         "and tree_ll128_per_channel_GBps: two positive rates (2 nodes, more) per "
                         "architecture");
          return;
        }
  load_speeds(r, json_object_get(net, "inter_speeds"), "nccl/net/inter_speeds",
              cal->nccl.inter_speeds, cal->nccl.n_inter_speeds);
}

static nvl_generation *gen_slot(nvl_jreader *r, nvl_calibration *cal, const char *key) {
  int g = atoi(key);
  if (g < 1 || g > NVL_MAX_GENERATION) {
    nvl_jr_fail(r, "generations: a generation from 1 to 9");
    return &cal->gen[0];
  }
  return &cal->gen[g];
}

static void load_generations(nvl_jreader *r, nvl_calibration *cal, json_t *phys, json_t *nccl) {
  const char *key;
  json_t *o;
  json_object_foreach(phys, key, o) {
    nvl_generation *g = gen_slot(r, cal, key);
    g->present = true;
    g->simple_eff = num_field(r, o, "simple_efficiency", 1e-3, 1);
    g->nvls_eff = num_field(r, o, "nvls_efficiency", 0, 1);
    g->nvls_spread = num_field(r, o, "nvls_spread", 0, 10);
    g->p2p_eff = num_field(r, o, "p2p_efficiency", 1e-3, 1);
    g->sync_share = num_field(r, o, "simple_sync_share", 0, 0.99);
  }
  json_object_foreach(nccl, key, o) {
    nvl_generation *g = gen_slot(r, cal, key);
    if (!g->present) {
      nvl_jr_fail(r, "nccl/generations: a generation without physical parameters");
      return;
    }
    const char *arch = json_string_value(json_object_get(o, "arch"));
    int a = 0;
    while (a < NVL_ARCH__COUNT && !(arch && strcmp(arch, arch_names[a]) == 0))
      a++;
    if (a == NVL_ARCH__COUNT) {
      nvl_jr_fail(r, "nccl/generations: arch is not ampere, hopper or blackwell");
      return;
    }
    g->arch = (nvl_arch)a;
    g->compcap = (int)num_field(r, o, "compcap", 60, 200);
    g->nccl_link_Bps = num_field(r, o, "link_GBps", 1, 1e4) * 1e9;
    g->ll_max_Bps = num_field(r, o, "ll_max_GBps", 1, 1e5) * 1e9;
    g->ll128_per_channel_Bps = num_field(r, o, "ll128_per_channel_GBps", 1, 1e4) * 1e9;
    g->nccl_nvls_eff = num_field(r, o, "nvls_efficiency", 0, 1);
    g->nvls_channels = (int)num_field(r, o, "nvls_channels", 0, 64);
  }
  for (int g = 1; g <= NVL_MAX_GENERATION; g++)
    if (cal->gen[g].present && cal->gen[g].compcap == 0)
      nvl_jr_fail(r, "generations: a generation without NCCL constants");
}

int nvl_calibration_load(nvl_calibration *cal, const char *text, size_t len, char *err,
                         size_t errlen) {
  memset(cal, 0, sizeof *cal);
  nvl_jreader rd = {.err = err, .len = errlen}, *r = &rd;
  json_t *root = nvl_jr_root(r, text, len);
  if (!root)
    return -1;
  load_protocols(r, cal, json_object_get(root, "protocols"));
  json_t *nccl = json_object_get(root, "nccl");
  load_nccl(r, cal, nccl);
  cal->host_interval_s = time_field(r, root, "host_interval");
  cal->device_launch_s = time_field(r, root, "device_launch");
  cal->direct_share = num_field(r, root, "direct_copy_share", 0.05, 1);
  load_generations(r, cal, json_object_get(root, "generations"),
                   json_object_get(nccl, "generations"));
  json_decref(root);
  bool any = false;
  for (int g = 1; g <= NVL_MAX_GENERATION; g++)
    any |= cal->gen[g].present;
  if (!any)
    nvl_jr_fail(r, "generations: none");
  return rd.failed ? -1 : 0;
}

const nvl_generation *nvl_calibration_gen(const nvl_calibration *c, int generation) {
  if (generation >= 1 && generation <= NVL_MAX_GENERATION && c->gen[generation].present)
    return &c->gen[generation];
  for (int g = NVL_MAX_GENERATION; g >= 1; g--) /* custom links: the newest calibrated one */
    if (c->gen[g].present)
      return &c->gen[g];
  return &c->gen[0]; /* unreachable: a loaded calibration has a generation */
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

double nvl_calibration_pcie_rating(const nvl_calibration *c, double GBps) {
  double r = 0;
  for (int i = 0; i < c->nccl.n_pcie_ratings; i++)
    if (GBps >= c->nccl.pcie_line_GBps[i] * (1 - 1e-9))
      r = c->nccl.pcie_nccl_GBps[i];
  return r;
}
