/*
 * build: the program of one workload operation, from the operation and its job's communicator
 * (the engine's build callback; see run.h). Under the default model the program carries NCCL's
 * costs: bytes on the wire per payload byte, per-step and start latencies, the ring pipeline,
 * NVLS heads, steps and spread, point-to-point channel caps and the host's issue interval;
 * under the ideal model all of these are neutral.
 */
#include <math.h>
#include <stdlib.h>

#include "base/xalloc.h"
#include "workload/run.h"

/* Protocol parameters of one operation (neutral under the ideal model). */
typedef struct {
  double scale, step_delay, start_delay, host_interval;
  double net_step_delay; /* a step whose hop crosses the network (default model) */
  double net_scale;      /* wire bytes per payload byte through the network (NVLSTree, tree, PAT) */
  nvl_ring_pipeline ring; /* rings of the default model; zero otherwise */
  int tree_channels;      /* one node's tree (default model): NCCL's channels; else 0 */
  int nvls_heads;         /* NVLS: NCCL's head ranks (both models: it is the algorithm) */
  uint64_t nvls_steps;    /* NVLS steps (default model) */
  double nvls_spread;     /* NVLS: seconds the slowest rank lags (default model) */
  double p2p_channel_Bps; /* wire bytes per second of one point-to-point channel */
} proto_params;

static bool is_p2p(const nvl_wop *op) {
  return op->kind != NVL_WOP_COLLECTIVE || op->algo == NVL_ALGO_P2P;
}

/* NVLS as NCCL runs it: its steps, and how long the slowest of n ranks lags after them. A step of
 * one (channel, head) pipeline moves channels x heads x chunk bytes over the heads' links (H + 1
 * shares of H); each rank's time through N steps varies with coefficient `spread` per step, and
 * the operation ends with the slowest of n: about spread x step x sqrt(2 N ln n) later (the
 * expected maximum of n independent Gaussian walks). NVLSTree (tree): its own channels and chunk
 * (nvl_tuner_nvlstree_plan_of), over the whole communicator's nodes; tc is then one node. */
static void nvls_params(proto_params *pp, const nvl_calibration *c, const nvl_comm *m,
                        const nvl_tuner_comm *tc, uint64_t bytes, bool tree) {
  const nvl_generation *g = nvl_calibration_gen(c, m->generation);
  int h = pp->nvls_heads, channels = g->nvls_channels;
  uint64_t chunk = nvl_tuner_nvls_chunk(c, tc, bytes);
  pp->nvls_steps = nvl_tuner_nvls_steps(c, tc, bytes);
  if (tree) {
    nvl_tuner_nvlstree_plan pl = nvl_tuner_nvlstree_plan_of(c, &m->tc, bytes);
    channels = pl.channels;
    chunk = pl.chunk;
    pp->nvls_steps = pl.steps;
  }
  double step_bytes = (double)channels * h * (double)chunk;
  if (step_bytes > (double)bytes)
    step_bytes = (double)bytes;
  double t_step = step_bytes * (h + 1.0) / h * pp->scale / m->bw_Bps;
  pp->nvls_spread =
      tc->n > 1 ? g->nvls_spread * t_step * sqrt(2.0 * (double)pp->nvls_steps * log((double)tc->n))
                : 0;
}

static proto_params protocol_params(const nvl_workload_run *wr, const nvl_wop *op) {
  proto_params pp = {.scale = 1.0};
  const nvl_calibration *c = &wr->spec->ctx->cal;
  const nvl_comm *m = &wr->comms[op->job];
  if (op->kind == NVL_WOP_COLLECTIVE && op->algo == NVL_ALGO_NVLS && !is_p2p(op))
    pp.nvls_heads = nvl_tuner_nvls_heads(c, m->tc.n);
  nvl_tuner_comm node = m->tc; /* NVLSTree, NVLS across nodes: NVLS over one node's ranks */
  node.n = m->tc.ppn > 0 ? m->tc.ppn : m->tc.n;
  bool multi = m->tc.nodes > 1;
  if (op->kind == NVL_WOP_COLLECTIVE &&
      (op->algo == NVL_ALGO_NVLSTREE || (multi && op->algo == NVL_ALGO_NVLS)))
    pp.nvls_heads = node.n;
  if (wr->spec->model == NVL_MODEL_IDEAL)
    return pp;
  const nvl_generation *g = nvl_calibration_gen(c, m->generation);
  nvl_proto pr = op->proto;
  pp.host_interval = wr->spec->back_to_back ? 0 : c->host_interval_s;
  if (op->direct) { /* DeepEP: SMs store straight into the peers' buffers, no P2P channels */
    pp.scale = 1.0 / (g->simple_eff * c->direct_share);
    pp.start_delay = c->device_launch_s +
                     (op->host_sync ? wr->spec->ctx->kern.host_launch_s : 0); /* normal dispatch */
    return pp;
  }
  if (is_p2p(op)) { /* NCCL's P2P: its own efficiency, channels capped at what a block moves */
    pp.scale = 1.0 / (g->p2p_eff * c->payload[pr]);
    pp.start_delay = c->device_launch_s + c->base_s[pr];
    pp.p2p_channel_Bps = c->nccl.p2p_channel_Bps * pp.scale;
    return pp;
  }
  pp.scale = 1.0 / (g->simple_eff * c->payload[pr]);
  if (op->algo == NVL_ALGO_NVLS) { /* across nodes: SHARP between them, its NET latency */
    pp.scale /= g->nvls_eff;
    pp.start_delay = c->device_launch_s + c->nccl.nvls_latency_s;
    if (multi) {
      pp.net_scale = 1.0 / c->payload[pr];
      double net = c->nccl.nvls_net_latency_s;
      pp.net_step_delay = net > m->net_hop_s ? net - m->net_hop_s : 0;
    }
    nvls_params(&pp, c, m, multi ? &node : &m->tc, op->bytes, false);
    return pp;
  }
  if (op->algo == NVL_ALGO_NVLSTREE) { /* NVLS inside the nodes, a tree between them */
    pp.net_scale = 1.0 / c->payload[pr];
    pp.scale /= g->nvls_eff;
    pp.start_delay = c->device_launch_s + c->nccl.nvlstree_latency_s;
    double net = c->nccl.nvlstree_net_latency_s;
    pp.net_step_delay = net > m->net_hop_s ? net - m->net_hop_s : 0;
    nvls_params(&pp, c, m, &node, op->bytes, true);
    return pp;
  }
  if (op->algo == NVL_ALGO_COLLNET_DIRECT || op->algo == NVL_ALGO_COLLNET_CHAIN) {
    /* SHARP between the nodes: CollNet's NVLink and NET latencies (tuning.cc's hwLat) */
    const nvl_collnet_constants *k = &c->nccl.collnet;
    bool chain = op->algo == NVL_ALGO_COLLNET_CHAIN;
    double hop = chain ? k->chain_latency_s : k->direct_latency_s,
           net = chain ? k->chain_net_latency_s : k->direct_net_latency_s;
    pp.net_scale = 1.0 / c->payload[pr];
    pp.step_delay = hop > m->hop_s ? hop - m->hop_s : 0;
    pp.net_step_delay = net > m->net_hop_s ? net - m->net_hop_s : 0;
    pp.start_delay = c->device_launch_s;
    return pp;
  }
  pp.net_scale = 1.0 / c->payload[pr]; /* the tree's and PAT's hops between nodes */
  double hop = op->algo == NVL_ALGO_TREE ? c->tree_hop_s[pr] : c->ring_hop_s[pr];
  double net = op->algo == NVL_ALGO_TREE ? c->tree_net_hop_s[pr] : c->ring_net_hop_s[pr];
  pp.step_delay = hop > m->hop_s ? hop - m->hop_s : 0; /* NCCL's hop includes the wire */
  pp.net_step_delay = net > m->net_hop_s ? net - m->net_hop_s : 0;
  pp.start_delay = c->device_launch_s + c->base_s[pr];
  if (op->algo == NVL_ALGO_TREE && m->tc.nodes < 2) /* the tree graph's channels: the ring's */
    pp.tree_channels = nvl_tuner_ring_channels(c, &m->tc);
  if (op->algo == NVL_ALGO_RING && nvl_coll_is_ring(op->coll)) {
    pp.ring =
        nvl_calibration_ring(c, m->generation, pr, nvl_tuner_ring_channels(c, &m->tc), m->bw_Bps);
    pp.scale = pp.ring.scale;
  }
  return pp;
}

/* Channels of one point-to-point transfer of `bytes` in this job (0: uncapped, ideal model or a
 * direct exchange). */
static int p2p_channels(const nvl_workload_run *wr, const nvl_comm *m, double bytes, bool direct) {
  if (wr->spec->model == NVL_MODEL_IDEAL || direct)
    return 0;
  return nvl_tuner_p2p_channels(&wr->spec->ctx->cal, &m->tc, (uint64_t)bytes);
}

/* Point-to-point transfers: bytes[a * n + b] from rank a to rank b (or, with dst, S from each
 * rank r to dst[r]), sends first on every lane, then the receives in source order. */
static void p2p_program(const nvl_workload_run *wr, const nvl_wop *op, const int *dst,
                        const double *matrix, nvl_program *p, const proto_params *pp) {
  const nvl_comm *m = &wr->comms[op->job];
  int n = m->tc.n;
  p->channel_Bps = pp->p2p_channel_Bps;
  int *lane = nvl_xmalloc((size_t)n * sizeof(int));
  for (int r = 0; r < n; r++) {
    lane[r] = nvl_program_lane(p, r, -1);
    if (pp->start_delay > 0)
      nvl_program_op(p, lane[r], NVL_OP_DELAY, 0, pp->start_delay);
  }
  if (matrix) {
    for (int a = 0; a < n; a++)
      for (int b = 0; b < n; b++) {
        /* DeepEP's RDMA leg between nodes moves at the NIC's rate, not the SMs' copy rate */
        bool rdma = op->direct && m->node_of && m->node_of[a] != m->node_of[b];
        if (a != b && matrix[(size_t)a * n + b] > 0)
          nvl_program_send(p, lane[a], lane[b],
                           floor(matrix[(size_t)a * n + b] * (rdma ? 1.0 : pp->scale)),
                           p2p_channels(wr, m, matrix[(size_t)a * n + b], op->direct));
      }
    for (int b = 0; b < n; b++)
      for (int a = 0; a < n; a++)
        if (a != b && matrix[(size_t)a * n + b] > 0)
          nvl_program_op(p, lane[b], NVL_OP_RECV, lane[a], 0);
  } else {
    for (int r = 0; r < n; r++)
      if (dst[r] >= 0)
        nvl_program_send(p, lane[r], lane[dst[r]], floor((double)op->bytes * pp->scale),
                         p2p_channels(wr, m, (double)op->bytes, op->direct));
    for (int r = 0; r < n; r++)
      for (int s = 0; s < n; s++)
        if (dst[s] == r)
          nvl_program_op(p, lane[r], NVL_OP_RECV, lane[s], 0);
  }
  free(lane);
  nvl_program_floor(p, pp->host_interval);
}

/* One send between two ranks of the job: a program of two lanes. */
static void send_program(const nvl_workload_run *wr, const nvl_wop *op, nvl_program *p,
                         const proto_params *pp) {
  p->channel_Bps = pp->p2p_channel_Bps;
  int a = nvl_program_lane(p, op->src, -1), b = nvl_program_lane(p, op->dst, -1);
  if (pp->start_delay > 0)
    nvl_program_op(p, a, NVL_OP_DELAY, 0, pp->start_delay);
  nvl_program_send(p, a, b, floor((double)op->bytes * pp->scale),
                   p2p_channels(wr, &wr->comms[op->job], (double)op->bytes, op->direct));
  nvl_program_op(p, b, NVL_OP_RECV, a, 0);
  nvl_program_floor(p, pp->host_interval);
}

static int coll_program(const nvl_workload_run *wr, const nvl_wop *op, const nvl_comm_mode *mode,
                        nvl_program *p, const proto_params *pp, const int **devs) {
  const nvl_comm *m = &wr->comms[op->job];
  int n = m->tc.n;
  /* NCCL discards an empty collective before it reaches a kernel (enqueue.cc, taskAppend: "Empty
   * collectives can be discarded"); point-to-point ones (alltoall, sendrecv) still run */
  if (op->bytes == 0 && !is_p2p(op)) {
    for (int r = 0; r < n; r++)
      nvl_program_lane(p, r, -1);
    return 0;
  }
  double per_peer = op->coll == NVL_COLL_ALLTOALL ? (double)op->bytes / n : (double)op->bytes;
  nvl_coll_spec cs = {.coll = op->coll,
                      .algo = op->algo,
                      .n = n,
                      .bytes = op->bytes,
                      .chunk_bytes = wr->spec->chunk_bytes,
                      .nvls_host = m->nvls_host,
                      .nvls_heads = pp->nvls_heads,
                      .nvls_steps = pp->nvls_steps,
                      .nvls_spread_s = pp->nvls_spread,
                      .p2p_channels = is_p2p(op) ? p2p_channels(wr, m, per_peer, op->direct) : 0,
                      .p2p_channel_Bps = pp->p2p_channel_Bps,
                      .host_interval_s = pp->host_interval,
                      .overhead_s = m->overhead_s,
                      .byte_scale = pp->scale,
                      .step_delay_s = pp->step_delay,
                      .start_delay_s = pp->start_delay,
                      .ring_channels = pp->ring.channels,
                      .ring_chunk_bytes = pp->ring.chunk,
                      .tree_channels = pp->tree_channels,
                      .ring_slices = pp->ring.slices,
                      .slice_delay_s = pp->ring.slice_s,
                      .node_of = m->node_of,
                      .nodes = m->tc.nodes,
                      .node_nvls_host = m->node_nvls_host,
                      .net_step_delay_s = pp->net_step_delay,
                      .net_posted = wr->spec->model != NVL_MODEL_IDEAL,
                      .net_byte_scale = pp->net_scale,
                      .sharp_leaf = m->sharp_leaf,
                      .sharp_host = m->sharp_host,
                      .sharp_parent = m->sharp_parent,
                      .sharp_engines = m->sharp_engines,
                      .ring_orders = m->rings,
                      .n_ring_orders = m->n_rings,
                      .reduce = mode->alike,
                      .period = mode->period,
                      .routes_fixed = nvl_workload_fixed_routes(wr->spec)};
  if (op->algo == NVL_ALGO_NVLSTREE && m->rail_devs && !mode->alike &&
      (mode->rails || (mode->rails_weighted && wr->rails_weighted))) {
    /* one rail for every rail: the ranks in rail-major order */
    cs.node_of = m->rail_node_of;
    cs.overhead_s = m->rail_overhead_s;
    cs.rail_major = true;
    cs.rail_weighted = !mode->rails;
    *devs = m->rail_devs;
  }
  return nvl_coll_build(&cs, p);
}

int nvl_workload_build(void *ctx, size_t i, nvl_program *prog, const int **devs) {
  const nvl_workload_run *wr = ctx;
  return nvl_workload_build_as(wr, i, &wr->comms[wr->g.ops[i].job].mode, prog, devs);
}

int nvl_workload_build_as(const nvl_workload_run *wr, size_t i, const nvl_comm_mode *mode,
                          nvl_program *prog, const int **devs) {
  const nvl_wop *op = &wr->g.ops[i];
  const nvl_job *j = &wr->spec->jobs[op->job];
  *devs = j->devs;
  prog->n_ranks = j->n;
  if (op->kind == NVL_WOP_COMPUTE && op->has_vals) {
    for (int r = 0; r < j->n; r++)
      nvl_program_op(prog, nvl_program_lane(prog, r, -1), NVL_OP_COMPUTE, 0,
                     wr->g.vals[op->val_at + (size_t)r]);
    return 0;
  }
  if (op->kind == NVL_WOP_COMPUTE) {
    nvl_program_op(prog, nvl_program_lane(prog, op->src, -1), NVL_OP_COMPUTE, 0, op->seconds);
    return 0;
  }
  if (j->n == 1) /* communication among one rank moves nothing: time 0 (no program) */
    return 0;
  proto_params pp = protocol_params(wr, op);
  switch (op->kind) {
  case NVL_WOP_SEND: send_program(wr, op, prog, &pp); return 0;
  case NVL_WOP_PATTERN: p2p_program(wr, op, wr->g.dsts + op->dst_at, NULL, prog, &pp); return 0;
  case NVL_WOP_MATRIX:
    p2p_program(wr, op, NULL, op->has_vals ? wr->g.vals + op->val_at : j->matrix, prog, &pp);
    return 0;
  default: return coll_program(wr, op, mode, prog, &pp, devs);
  }
}
