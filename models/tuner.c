/*
 * tuner: see tuner.h. Each function names the NCCL source it follows; of NCCL's branches for
 * several nodes, those of rings, the tree, NVLSTree and PAT are kept (not CollNet's).
 */
#include "models/tuner.h"

#include "models/algorithms.h"

#include <math.h>

#define GB 1e9

static const nvl_generation *gen_of(const nvl_calibration *c, const nvl_tuner_comm *m) {
  return nvl_calibration_gen(c, m->generation);
}

/* search.cc ncclTopoCompute for the ring pattern through one NVSwitch: every channel takes one
 * `speed` out of and into each GPU. Pass 1 walks the speeds down while the next one is more than
 * 0.49 of the best so far, keeping the largest channels x speed (first found wins ties) and
 * stopping at a perfect graph (all of the GPU's bandwidth, or the channel limit); then
 * ncclTopoDupChannels doubles the channels of fast graphs; pass 2 raises the speed while the
 * channels still fit. */
nvl_tuner_graph nvl_tuner_ring_graph(const nvl_calibration *c, const nvl_tuner_comm *m) {
  const nvl_generation *g = gen_of(c, m);
  const double *sp = c->nccl.speeds[g->arch];
  int ns = c->nccl.n_speeds[g->arch], max_ch = c->nccl.ring_max_channels;
  double total = m->nvlink_Bps / GB;
  int i = 0;
  while (i < ns - 1 && sp[i] > total)
    i++;
  int best_n = 0;
  double best_s = 0;
  for (;;) {
    int nch = (int)floor(total / sp[i] + 1e-9);
    if (nch > max_ch)
      nch = max_ch;
    if (nch >= 1 && nch * sp[i] > best_n * best_s)
      best_n = nch, best_s = sp[i];
    if (best_n > 0 && (best_n * best_s >= total - 1e-9 || best_n == max_ch))
      break;
    if (i < ns - 1 && (best_n == 0 || sp[i + 1] / best_s > .49))
      i++;
    else
      break;
  }
  if (best_n == 0) /* slower than the slowest speed: NCCL falls back to one channel */
    return (nvl_tuner_graph){1, total, total};
  if (best_s >= 25.0 && !(g->compcap > 80 && best_s < 50.0 && best_n > 4)) {
    int dup = 2 * best_n < max_ch ? 2 * best_n : max_ch;
    best_s /= (dup + best_n - 1) / best_n;
    best_n = dup;
  }
  int k = 0;
  while (k < ns - 1 && sp[k] > best_s)
    k++;
  while (k > 0 && best_n * sp[k - 1] <= total + 1e-9)
    best_s = sp[--k];
  return (nvl_tuner_graph){best_n, best_s, best_s};
}

int nvl_tuner_ring_channels(const nvl_calibration *c, const nvl_tuner_comm *m) {
  int ch = 2 * nvl_tuner_ring_graph(c, m).channels; /* connect.cc connectRings */
  return ch < 64 ? ch : 64;
}

int nvl_tuner_nvls_heads(const nvl_calibration *c, int n) {
  return n < c->nccl.nvls_max_heads ? n : c->nccl.nvls_max_heads;
}

/* search.cc for the NVLS pattern in one NVLink domain: as many channels as heads (forced), each
 * taking `speed` from every GPU and twice from its head, so a head's link carries heads + 1
 * shares. Pass 2 then raises the graph's second bandwidth (bwInter) while it is below twice the
 * first. */
nvl_tuner_graph nvl_tuner_nvls_graph(const nvl_calibration *c, const nvl_tuner_comm *m) {
  const nvl_generation *g = gen_of(c, m);
  const double *sp = c->nccl.speeds[g->arch];
  int ns = c->nccl.n_speeds[g->arch], h = nvl_tuner_nvls_heads(c, m->n);
  double total = m->nvlink_Bps / GB;
  int i = 0;
  while (i < ns - 1 && (h + 1) * sp[i] > total + 1e-9)
    i++;
  if ((h + 1) * sp[i] > total + 1e-9)
    return (nvl_tuner_graph){0, 0, 0};
  double intra = sp[i], inter = sp[i];
  while (i > 0 && inter < 2 * intra)
    inter = sp[--i];
  return (nvl_tuner_graph){h, intra, inter};
}

/* enqueue.cc's chunk rules: in turn, a chunk above rule k's size becomes it when the bytes are
 * under rule k's rounds of every concurrent operation's chunk. */
typedef struct {
  uint64_t rounds, to;
} shrink_rule;

static uint64_t shrink_chunk(uint64_t chunk, uint64_t bytes, uint64_t ops, const shrink_rule *r,
                             int n) {
  for (int k = 0; k < n; k++)
    if (bytes < r[k].rounds * ops * chunk && chunk > r[k].to)
      chunk = r[k].to;
  return chunk;
}

/* enqueue.cc (NCCL_ALGO_NVLS): NCCL_NVLS_CHUNKSIZE, halved below 64, 8 and 2 times the bytes of
 * one round of every channel's and head's chunk. */
uint64_t nvl_tuner_nvls_chunk(const nvl_calibration *c, const nvl_tuner_comm *m, uint64_t bytes) {
  static const shrink_rule nvls[] = {{64, 65536}, {8, 32768}, {2, 16384}};
  uint64_t ops = (uint64_t)gen_of(c, m)->nvls_channels * (uint64_t)nvl_tuner_nvls_heads(c, m->n);
  return shrink_chunk(c->nccl.nvls_chunk, bytes, ops, nvls, 3);
}

uint64_t nvl_tuner_nvls_steps(const nvl_calibration *c, const nvl_tuner_comm *m, uint64_t bytes) {
  uint64_t round = (uint64_t)gen_of(c, m)->nvls_channels * (uint64_t)nvl_tuner_nvls_heads(c, m->n) *
                   nvl_tuner_nvls_chunk(c, m, bytes);
  uint64_t steps = round ? (bytes + round - 1) / round : 1;
  return steps ? steps : 1;
}

/* ncclNvlsTreeSm100Tuning: SM100 across nodes, by nodes, ranks per node and the NIC's rate
 * (NCCL's GB/s: line rate / 8). The GPU-NIC path is taken as at most PATH_PXB (a NIC on the
 * GPU's PCIe link or switch, as every design's NICs are attached). NCCL's defaults otherwise:
 * NVLS_NCHANNELS_SM90 (16) or NVLS_NCHANNELS_SM100 (32) channels, NCCL_NVLS_CHUNKSIZE, and a tree
 * chunk of at most 64 KiB from 4 nodes on. */
static void nvlstree_tuning(const nvl_calibration *c, const nvl_tuner_comm *m, int *channels,
                            uint64_t *chunk, uint64_t *tree_max) {
  const nvl_generation *g = gen_of(c, m);
  int ppn = m->ppn > 0 ? m->ppn : m->n;
  double nic = m->nic_Bps / GB;
  *chunk = c->nccl.nvls_chunk;
  *channels = g->compcap >= 100 ? 32 : 16;
  *tree_max = 0;
  if (g->compcap >= 100 && m->nodes == 2 && nic >= 48.0) {
    *tree_max = ppn <= 4 ? 262144 : ppn >= 16 || (ppn <= 8 && nic < 96.0) ? 65536 : 131072;
    *chunk = ppn <= 4 ? 262144 : *chunk;
  } else if (g->compcap >= 100 && nic >= 96.0) {
    *channels = ppn <= 8 ? 24 : 32;
    *chunk = ppn <= 8 ? 262144 : *chunk;
    *tree_max = ppn <= 8 ? 262144 : ppn < 32 ? 131072 : 65536;
  } else if (g->compcap >= 100 && nic >= 48.0) {
    *channels = 24;
    *tree_max = 65536;
  }
  if (*tree_max == 0)
    *tree_max = m->nodes >= 4 ? 65536 : *chunk;
}

nvl_tuner_nvlstree_plan nvl_tuner_nvlstree_plan_of(const nvl_calibration *c,
                                                   const nvl_tuner_comm *m, uint64_t bytes) {
  nvl_tuner_nvlstree_plan pl;
  uint64_t chunk, tree_max;
  nvlstree_tuning(c, m, &pl.channels, &chunk, &tree_max);
  int ppn = m->ppn > 0 ? m->ppn : m->n;
  uint64_t ops = (uint64_t)pl.channels * (uint64_t)nvl_tuner_nvls_heads(c, ppn);
  static const shrink_rule tree[] = {{32, 262144}, {16, 131072}, {4, 65536}, {1, 32768}};
  chunk = shrink_chunk(chunk < tree_max ? chunk : tree_max, bytes, ops, tree, 4);
  pl.chunk = chunk;
  pl.steps = (bytes + ops * chunk - 1) / (ops * chunk);
  if (pl.steps < 1)
    pl.steps = 1;
  return pl;
}

static int ring_steps(nvl_coll coll, int n) {
  return coll == NVL_COLL_ALL_REDUCE                                      ? 2 * (n - 1)
         : coll == NVL_COLL_REDUCE_SCATTER || coll == NVL_COLL_ALL_GATHER ? n - 1
                                                                          : n;
}

/* tuning.cc ncclTopoTuneModel and ncclTopoGetAlgoTime, one NVLink domain (nNodes = 1): latency
 * plus bytes over the algorithm bandwidth, bus bandwidth x n / steps. */
static double ring_like_time(const nvl_tuner_comm *m, nvl_coll coll, double bus_GBps, double lat_s,
                             uint64_t bytes) {
  double algbw = bus_GBps * GB * m->n / ring_steps(coll, m->n);
  return lat_s + (double)bytes / algbw;
}

static double net_bus_GBps(const nvl_calibration *c, const nvl_tuner_comm *m);

/* tuning.cc for NCCL_ALGO_NVLS. Across nodes (SHARP between them, m->sharp): the graph of a
 * node's ranks, each channel's inter bandwidth also at most its share of the node's NICs, and
 * the latency NVLS's NVLink hop plus its NET hop. */
double nvl_tuner_time_nvls(const nvl_calibration *c, const nvl_tuner_comm *m, nvl_coll coll,
                           nvl_proto p, uint64_t bytes) {
  const nvl_generation *g = gen_of(c, m);
  if (m->n < 2)
    return 0;
  bool multi = m->nodes > 1;
  if (coll != NVL_COLL_ALL_REDUCE || p != NVL_PROTO_SIMPLE || !(multi ? m->sharp : m->nvls) ||
      g->nvls_channels == 0)
    return INFINITY;
  nvl_tuner_comm node = *m;
  node.n = multi ? m->ppn : m->n;
  nvl_tuner_graph gr = nvl_tuner_nvls_graph(c, &node);
  if (gr.channels < 2)
    return INFINITY;
  double intra = gr.bw_GBps * g->nccl_nvls_eff * (gr.channels - 1) / gr.channels * 2.0;
  double inter =
      multi ? fmin(gr.bw_inter_GBps, net_bus_GBps(c, m) / gr.channels) : gr.bw_inter_GBps;
  double lat = c->nccl.nvls_latency_s + (multi ? c->nccl.nvls_net_latency_s : 0);
  return ring_like_time(m, coll, gr.channels * fmin(intra, inter), lat, bytes);
}

/* search.cc for a graph through the network: a channel's speed is the fastest of the
 * architecture's inter-node speeds that one NIC carries, and the NICs of a node carry as many
 * channels as fit: the node's network bandwidth in NCCL's units (GB/s). */
static double net_bus_GBps(const nvl_calibration *c, const nvl_tuner_comm *m) {
  const nvl_generation *g = gen_of(c, m);
  const double *sp = c->nccl.inter_speeds[g->arch];
  int ns = c->nccl.n_inter_speeds[g->arch], i = 0;
  double nic = m->nic_Bps / GB; /* the path to the NIC: the NIC and NCCL's PCIe rating */
  if (m->pcie_GBps > 0 && m->pcie_GBps < nic)
    nic = m->pcie_GBps;
  while (i < ns - 1 && sp[i] > nic)
    i++;
  double per_nic = floor(nic / sp[i] + 1e-9) * sp[i];
  return (m->nics > 0 ? m->nics : 1) * (per_nic > 0 ? per_nic : nic);
}

/* Ring steps that cross the network: every node's ranks are consecutive on a ring, so a pass
 * around it crosses nodes times; all_reduce goes round twice (tuning.cc nInterSteps). */
static int net_steps(nvl_coll coll, int nodes) {
  return coll == NVL_COLL_ALL_REDUCE ? 2 * (nodes - 1) : nodes - 1;
}

/* tuning.cc for NCCL_ALGO_NVLS_TREE: the NVLS graph of one node's ranks (its channels and intra
 * bandwidth), its inter-node bandwidth per channel the node's NICs shared by the channels (twice
 * that on two nodes, as NCCL raises it), per channel the least of intra x efficiency x
 * (channels - 1) / channels x 2, inter and perChMaxNVLSTreeBw; latency NVLSTree's NVLink hop
 * plus 2 log2(nodes) NET hops. */
double nvl_tuner_time_nvlstree(const nvl_calibration *c, const nvl_tuner_comm *m, nvl_coll coll,
                               nvl_proto p, uint64_t bytes) {
  const nvl_generation *g = gen_of(c, m);
  if (m->n < 2)
    return 0;
  if (coll != NVL_COLL_ALL_REDUCE || p != NVL_PROTO_SIMPLE || !m->nvls_tree || m->nodes < 2 ||
      g->nvls_channels == 0)
    return INFINITY;
  nvl_tuner_comm node = *m;
  node.n = m->ppn;
  nvl_tuner_graph gr = nvl_tuner_nvls_graph(c, &node);
  if (gr.channels < 2)
    return INFINITY;
  double intra = gr.bw_GBps * g->nccl_nvls_eff * (gr.channels - 1) / gr.channels * 2.0;
  double inter = net_bus_GBps(c, m) / gr.channels * (m->nodes <= 2 ? 2.0 : 1.0);
  double cap = c->nccl.nvlstree_per_channel_Bps[g->arch][m->nodes > 2] / GB;
  double lat = c->nccl.nvlstree_latency_s + 2.0 * log2(m->nodes) * c->nccl.nvlstree_net_latency_s;
  return ring_like_time(m, coll, gr.channels * fmin(intra, fmin(inter, cap)), lat, bytes);
}

/* tuning.cc for CollNet (SHARP between the nodes): the graph inside a node (the ring graph of
 * a node's ranks standing for NCCL's CollNet graph: its channels and bwIntra; the NICs are not in
 * NCCL's formula); Direct: busBw = channels x bwIntra over the GPU/NIC factor (ppn / channels,
 * less half its excess over 1), x 0.85 from Hopper on; Chain: channels x bwIntra; algorithm
 * bandwidth half the bus bandwidth; latency Direct 2 (min(1, ppn - 1) hwLat[NVLINK] + 0.4 us per
 * further local rank) + hwLat[NET], Chain 2 (ppn - 1) hwLat[NVLINK] + hwLat[NET]. */
static double collnet_time(const nvl_calibration *c, const nvl_tuner_comm *m, nvl_coll coll,
                           nvl_proto p, uint64_t bytes, bool chain) {
  if (m->n < 2)
    return 0;
  if (coll != NVL_COLL_ALL_REDUCE || p != NVL_PROTO_SIMPLE || !m->collnet || m->nodes < 2 ||
      m->ppn < 1)
    return INFINITY;
  nvl_tuner_comm node = *m;
  node.n = m->ppn;
  node.nodes = 1;
  nvl_tuner_graph gr = nvl_tuner_ring_graph(c, &node);
  if (gr.channels < 1)
    return INFINITY;
  double bus = gr.channels * gr.bw_GBps, ppn = m->ppn;
  const nvl_collnet_constants *k = &c->nccl.collnet;
  if (!chain) {
    double f = ppn / gr.channels;
    bus /= f - (f - 1) / 2;
    if (gen_of(c, m)->compcap >= 90)
      bus *= k->hopper_factor;
  }
  double lat = chain ? 2 * (ppn - 1) * k->chain_latency_s + k->chain_net_latency_s
                     : 2 * (fmin(1, ppn - 1) * k->direct_latency_s + (ppn - 1) * k->arity_s) +
                           k->direct_net_latency_s;
  return lat + (double)bytes / (bus * 0.5 * GB);
}

double nvl_tuner_time_collnet_direct(const nvl_calibration *c, const nvl_tuner_comm *m,
                                     nvl_coll coll, nvl_proto p, uint64_t bytes) {
  return collnet_time(c, m, coll, p, bytes, false);
}

double nvl_tuner_time_collnet_chain(const nvl_calibration *c, const nvl_tuner_comm *m,
                                    nvl_coll coll, nvl_proto p, uint64_t bytes) {
  return collnet_time(c, m, coll, p, bytes, true);
}

double nvl_tuner_time_ring(const nvl_calibration *c, const nvl_tuner_comm *m, nvl_coll coll,
                           nvl_proto p, uint64_t bytes) {
  const nvl_generation *g = gen_of(c, m);
  if (m->n < 2)
    return 0;
  if (coll == NVL_COLL_ALLTOALL || coll == NVL_COLL_SENDRECV)
    return INFINITY;
  nvl_tuner_graph gr = nvl_tuner_ring_graph(c, m);
  bool multi = m->nodes > 1;
  double bus = gr.channels * gr.bw_GBps;
  if (multi) /* the ring's graph also crosses each node's NICs */
    bus = fmin(bus, net_bus_GBps(c, m));
  if (p == NVL_PROTO_LL)
    bus = fmin((multi ? c->nccl.ll_max_multi_Bps[m->nodes > 2] : g->ll_max_Bps) / GB, bus * .5);
  if (p == NVL_PROTO_LL128)
    bus = fmin(bus * 0.92, gr.channels * g->ll128_per_channel_Bps / GB);
  /* broadcast and reduce on identical channels pay one hop; the others one per step, those
   * through the network NCCL's NET hop (one rank per node: the tree's) */
  bool chain = coll == NVL_COLL_BROADCAST || coll == NVL_COLL_REDUCE;
  int steps = chain ? 1 : ring_steps(coll, m->n),
      inter = multi && !chain ? net_steps(coll, m->nodes) : 0;
  double net = m->ppn == 1 ? c->tree_net_hop_s[p] : c->ring_net_hop_s[p];
  double lat = c->base_s[p] + (steps - inter) * c->ring_hop_s[p] + inter * net;
  return ring_like_time(m, coll, bus, lat, bytes);
}

/* tuning.cc for NCCL_ALGO_TREE across nodes: the tree's graph as the ring's (its channels and
 * per-channel speed inside a node; beyond two nodes the NICs' channels), x 0.92 and at most
 * perChMaxTreeBw per channel; LL / 3.8 (at most LL's multi-node cap), LL128 x 120/128 (at most
 * perChMaxTreeLL128Bw per channel); algorithm bandwidth half the bus bandwidth; latency the
 * base plus 2 ((ppn - 1) NVLink hops + log2(nodes) NET hops). */
static double tree_nodes_time(const nvl_calibration *c, const nvl_tuner_comm *m, nvl_proto p,
                              uint64_t bytes) {
  const nvl_generation *g = gen_of(c, m);
  nvl_tuner_comm node = *m;
  node.n = m->ppn;
  nvl_tuner_graph gr = nvl_tuner_ring_graph(c, &node);
  int k = m->nodes > 2;
  double bus = m->nodes <= 2 ? gr.channels * gr.bw_GBps : net_bus_GBps(c, m);
  bus = fmin(bus * .92, gr.channels * c->nccl.tree_per_channel_Bps[g->arch][k] / GB);
  if (p == NVL_PROTO_LL)
    bus = fmin(bus / 3.8, c->nccl.ll_max_multi_Bps[k] / GB);
  if (p == NVL_PROTO_LL128)
    bus = fmin(bus * 120.0 / 128.0,
               gr.channels * c->nccl.tree_ll128_per_channel_Bps[g->arch][k] / GB);
  double lat = c->base_s[p] + 2.0 * ((m->ppn - 1) * c->tree_hop_s[p] +
                                     floor(log2(m->nodes)) * c->tree_net_hop_s[p]);
  return lat + (double)bytes / (bus * 0.5 * GB);
}

/* Inside one NVLink domain on request only (never NCCL's choice there): NCCL's tree there is the
 * chain of the node's ranks, 2S per rank in 2 (n - 1) hops (tuning.cc: 2 (nRanks / nNodes - 1)
 * intra hops). Across nodes NCCL's model (tree_nodes_time). */
double nvl_tuner_time_tree(const nvl_calibration *c, const nvl_tuner_comm *m, nvl_coll coll,
                           nvl_proto p, uint64_t bytes) {
  if (m->n < 2)
    return 0;
  if (coll != NVL_COLL_ALL_REDUCE)
    return INFINITY;
  if (m->nodes > 1)
    return tree_nodes_time(c, m, p, bytes);
  double hops = 2.0 * (double)(m->n - 1);
  return c->base_s[p] + hops * c->tree_hop_s[p] +
         2.0 * (double)bytes / (m->nvlink_Bps * c->payload[p]);
}

/* tuning.cc for NCCL_ALGO_PAT (ncclPatEnable: one rank per node): the ring's bus bandwidth
 * through the NICs x 0.75, not converted to algorithm bandwidth (NCCL converts only rings' for
 * all_gather and reduce_scatter); latency PAT's base plus log2(nodes) NET hops / 3.5 plus a
 * linear part per rank. */
double nvl_tuner_time_pat(const nvl_calibration *c, const nvl_tuner_comm *m, nvl_coll coll,
                          nvl_proto p, uint64_t bytes) {
  if (m->n < 2)
    return 0;
  if ((coll != NVL_COLL_ALL_GATHER && coll != NVL_COLL_REDUCE_SCATTER) || p != NVL_PROTO_SIMPLE ||
      m->nodes < 2 || m->nodes != m->n)
    return INFINITY;
  double bus = net_bus_GBps(c, m) * 0.75;
  double lat = c->nccl.pat_latency_s + floor(log2(m->nodes)) * c->tree_net_hop_s[p] / 3.5 +
               m->n * c->nccl.pat_rank_latency_s;
  return lat + (double)bytes / (bus * GB);
}

double nvl_tuner_time(const nvl_calibration *c, const nvl_tuner_comm *m, nvl_coll coll,
                      nvl_algo algo, nvl_proto p, uint64_t bytes) {
  const nvl_algorithm *a = nvl_algorithm_get(algo);
  return a && a->predict ? a->predict(c, m, coll, p, bytes) : INFINITY;
}

nvl_proto nvl_tuner_proto(const nvl_calibration *c, const nvl_tuner_comm *m, nvl_coll coll,
                          nvl_algo algo, uint64_t bytes) {
  if (algo == NVL_ALGO_NVLS || algo == NVL_ALGO_NVLSTREE || algo == NVL_ALGO_COLLNET_DIRECT ||
      algo == NVL_ALGO_COLLNET_CHAIN)
    return NVL_PROTO_SIMPLE;
  if (coll == NVL_COLL_ALLTOALL || coll == NVL_COLL_SENDRECV)
    return nvl_tuner_p2p_proto(c, m, coll == NVL_COLL_ALLTOALL ? bytes / (uint64_t)m->n : bytes);
  nvl_proto best = NVL_PROTO_SIMPLE;
  double best_t = INFINITY;
  for (int p = 0; p < NVL_PROTO__COUNT; p++) {
    double t = nvl_tuner_time(c, m, coll, algo, (nvl_proto)p, bytes);
    if (t < best_t)
      best_t = t, best = (nvl_proto)p;
  }
  return best;
}

/* The best protocol's predicted time of an algorithm. */
static double best_time(const nvl_calibration *c, const nvl_tuner_comm *m, nvl_coll coll,
                        nvl_algo algo, uint64_t bytes) {
  return nvl_tuner_time(c, m, coll, algo, nvl_tuner_proto(c, m, coll, algo, bytes), bytes);
}

nvl_algo nvl_tuner_algo(const nvl_calibration *c, const nvl_tuner_comm *m, nvl_coll coll,
                        uint64_t bytes) {
  /* the candidates that run the collective; with several, the smallest predicted time (the
   * first in table order on a tie), as ncclTopoGetAlgoInfo */
  nvl_algo best = NVL_ALGO_AUTO;
  double best_t = INFINITY;
  for (int a = NVL_ALGO_AUTO + 1; a < NVL_ALGO__COUNT; a++) {
    const nvl_algorithm *row = nvl_algorithm_get((nvl_algo)a);
    if (!row || !row->auto_candidate || !(row->colls & NVL_COLL_BIT(coll)))
      continue;
    if (a == NVL_ALGO_TREE && m->nodes < 2) /* NCCL's tree runs across nodes */
      continue;
    double t = row->predict ? best_time(c, m, coll, (nvl_algo)a, bytes) : 0;
    if (best == NVL_ALGO_AUTO || t < best_t)
      best = (nvl_algo)a, best_t = t;
  }
  return best;
}

int nvl_tuner_p2p_per_peer(const nvl_calibration *c, const nvl_tuner_comm *m) {
  /* ncclTopoGetNchannels for a NET peer: at least one channel per local NIC, and enough to
   * carry the NICs at NCCL_P2P_PER_CHANNEL_NET_BW each; a power of two, halved while the peers'
   * batches (NCCL_MAX_DEV_WORK_P2P_PER_BATCH = 8 each) would not fit the P2P channels */
  int ppn = m->ppn > 0 ? m->ppn : m->n, nics = m->nics > ppn ? m->nics / ppn : 1;
  int need = (int)ceil(floor(nics * m->nic_Bps / GB) / floor(c->nccl.p2p_channel_Bps / GB));
  int ch = 1, max_ch = c->nccl.p2p_max_channels;
  while (ch < (need > nics ? need : nics))
    ch *= 2;
  while (ch * ((m->n + 7) / 8) > max_ch && ch > 1)
    ch /= 2;
  return ch;
}

/* enqueue.cc: the minimum channels per peer shrink until every rank fits in the P2P channels at
 * once; an operation then takes one channel per 1/8 chunk up to that minimum and doubles while a
 * channel's part exceeds 32 chunks, up to the channels per peer (in one node, all of them).
 * Across nodes NCCL's NET rules: the 128 KiB chunk (256 KiB on Arm hosts from SM100), parts of
 * half a chunk to a chunk, and the NET peers' channels. */
int nvl_tuner_p2p_channels(const nvl_calibration *c, const nvl_tuner_comm *m, uint64_t bytes) {
  bool net = m->nodes > 1;
  int max_ch = net ? nvl_tuner_p2p_per_peer(c, m) : c->nccl.p2p_max_channels, min_ch = max_ch;
  while (min_ch * m->n > c->nccl.p2p_max_channels && min_ch > 1)
    min_ch /= 2;
  if (bytes == 0)
    return 1;
  uint64_t chunk = net ? c->nccl.p2p_net_chunk * (m->arm && gen_of(c, m)->compcap >= 100 ? 2 : 1)
                       : c->nccl.p2p_chunk;
  uint64_t min_part = net ? chunk / 2 : chunk / 8, max_part = net ? chunk : chunk * 32;
  uint64_t want = (bytes + min_part - 1) / min_part;
  int nch = want < (uint64_t)min_ch ? (int)want : min_ch;
  uint64_t part = (bytes + (uint64_t)nch - 1) / (uint64_t)nch;
  if (part < min_part)
    part = min_part;
  while (part > max_part && nch <= max_ch / 2) {
    nch *= 2;
    part = (bytes + (uint64_t)nch - 1) / (uint64_t)nch;
  }
  return nch;
}

nvl_proto nvl_tuner_p2p_proto(const nvl_calibration *c, const nvl_tuner_comm *m, uint64_t bytes) {
  int nch = nvl_tuner_p2p_channels(c, m, bytes);
  return bytes <= (uint64_t)nch * c->nccl.p2p_ll_threshold ? NVL_PROTO_LL : NVL_PROTO_SIMPLE;
}
