/*
 * run: see run.h.
 */
#include "models/algorithms.h"
#include "workload/run.h"

#include <gsl/gsl_rng.h>
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"

/* A job with its own size (a workload file's, 0 included) rather than the sweep's. */
static bool own_size(const nvl_job *j) { return j->size_bytes > 0 || j->size_given; }

/* The operation size of job j at sweep size `size_idx`. */
static uint64_t job_bytes(const nvl_workload_spec *spec, const nvl_job *j, size_t size_idx) {
  if (j->pattern == NVL_PAT_MATRIX) { /* the busiest rank's total */
    double best = 0;
    for (int a = 0; a < j->n; a++) {
      double row = 0;
      for (int b = 0; b < j->n; b++)
        row += j->matrix[(size_t)a * j->n + b];
      if (row > best)
        best = row;
    }
    return (uint64_t)best;
  }
  uint64_t s = own_size(j) ? j->size_bytes : spec->sizes[size_idx];
  return j->pattern == NVL_PAT_NONE ? nvl_coll_round_size(j->coll, j->n, s) : s;
}

/* Destinations of a traffic pattern (dst[r] = -1: rank r sends nothing); random ones from rng. */
static void pattern_dsts(const nvl_job *j, gsl_rng *rng, int *dst) {
  int n = j->n;
  for (int r = 0; r < n; r++)
    dst[r] = -1;
  switch (j->pattern) {
  case NVL_PAT_PAIR: dst[0] = 1; break;
  case NVL_PAT_BIDIR: dst[0] = 1, dst[1] = 0; break;
  case NVL_PAT_SHIFT: {
    int k = j->shift ? j->shift % n : n / 2;
    for (int r = 0; r < n && k; r++)
      dst[r] = (r + k) % n;
    break;
  }
  case NVL_PAT_INCAST:
    for (int r = 1; r < n; r++)
      dst[r] = 0;
    break;
  case NVL_PAT_PERMUTATION: {
    /* a random cyclic order is a derangement: order[i] sends to order[i+1] */
    int *order = nvl_xmalloc((size_t)n * sizeof(int));
    for (int r = 0; r < n; r++)
      order[r] = r;
    for (int i = n - 1; i > 0; i--) {
      int k = (int)gsl_rng_uniform_int(rng, (unsigned long)i + 1);
      int t = order[i];
      order[i] = order[k];
      order[k] = t;
    }
    for (int i = 0; i < n; i++)
      dst[order[i]] = order[(i + 1) % n];
    free(order);
    break;
  }
  case NVL_PAT_UNIFORM:
    for (int r = 0; r < n; r++) {
      int k = (int)gsl_rng_uniform_int(rng, (unsigned long)n - 1);
      dst[r] = k >= r ? k + 1 : k;
    }
    break;
  default: break;
  }
}

/* NCCL's algorithm and protocol for an operation of its job (the job's own when it forces them):
 * collectives by the tuner, point-to-point by NCCL's P2P protocol rule. */
static void resolve_op(const nvl_workload_run *wr, nvl_wop *op) {
  const nvl_job *j = &wr->spec->jobs[op->job];
  const nvl_calibration *cal = &wr->spec->ctx->cal;
  const nvl_tuner_comm *tc = &wr->comms[op->job].tc;
  uint64_t S = op->bytes;
  bool coll = op->kind == NVL_WOP_COLLECTIVE;
  op->algo = !coll                      ? NVL_ALGO_P2P
             : j->algo == NVL_ALGO_AUTO ? nvl_tuner_algo(cal, tc, op->coll, S)
                                        : j->algo;
  if (j->proto >= 0 && op->algo != NVL_ALGO_NVLS && op->algo != NVL_ALGO_NVLSTREE)
    op->proto = (nvl_proto)j->proto;
  else if (!coll)
    op->proto = nvl_tuner_p2p_proto(cal, tc, S);
  else
    op->proto = nvl_tuner_proto(cal, tc, op->coll, op->algo, S);
}

/* The operation of job k at one step, with NCCL's algorithm and protocol resolved. */
static nvl_wop step_op(const nvl_workload_run *wr, size_t k, size_t size_idx, size_t pair) {
  const nvl_job *j = &wr->spec->jobs[k];
  uint64_t S = job_bytes(wr->spec, j, size_idx);
  nvl_wop op = {.job = (int)k, .bytes = S, .coll = j->coll, .report = true};
  op.kind = j->pattern == NVL_PAT_NONE     ? NVL_WOP_COLLECTIVE
            : j->pattern == NVL_PAT_PAIRS  ? NVL_WOP_SEND
            : j->pattern == NVL_PAT_MATRIX ? NVL_WOP_MATRIX
                                           : NVL_WOP_PATTERN;
  resolve_op(wr, &op);
  if (op.kind == NVL_WOP_SEND) { /* pair p of the n(n-1) ordered pairs */
    int n = j->n, a = (int)(pair / (size_t)(n - 1)), b = (int)(pair % (size_t)(n - 1));
    op.src = a;
    op.dst = b >= a ? b + 1 : b;
  }
  return op;
}

static void sweep_graph(nvl_workload_run *wr) {
  const nvl_workload_spec *spec = wr->spec;
  size_t nj = spec->n_jobs;
  bool fixed = true;
  /* a matrix carries its own byte counts: it runs once, whatever the sweep sizes */
  for (size_t k = 0; k < nj; k++)
    fixed &= own_size(&spec->jobs[k]) || spec->jobs[k].pattern == NVL_PAT_MATRIX;
  size_t n_sizes = fixed ? 1 : spec->n_sizes;
  wr->pairs = nj == 1 && spec->jobs[0].pattern == NVL_PAT_PAIRS;
  size_t n_pairs = wr->pairs ? (size_t)spec->jobs[0].n * (spec->jobs[0].n - 1) : 1;
  gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(rng, spec->seed);
  size_t *prev = nvl_xcalloc(nj + 1, sizeof *prev);
  for (size_t s = 0; s < n_sizes * n_pairs; s++) {
    size_t first = wr->g.n_ops;
    for (size_t k = 0; k < nj; k++) {
      nvl_wop op = step_op(wr, k, s % n_sizes, s / n_sizes);
      if (op.kind == NVL_WOP_PATTERN) {
        op.dst_at = nvl_wgraph_dsts(&wr->g, (size_t)spec->jobs[k].n);
        pattern_dsts(&spec->jobs[k], rng, wr->g.dsts + op.dst_at);
      }
      nvl_wgraph_add(&wr->g, &op, prev, s > 0 ? nj : 0);
    }
    for (size_t k = 0; k < nj; k++)
      prev[k] = first + k;
  }
  free(prev);
  gsl_rng_free(rng);
}

/* A reduced program's representatives stand for their class only when nothing else loads their
 * links differently: jobs that share a device run explicitly, and shifted programs run alone. */
static void unalike_shared_devices(nvl_workload_run *wr) {
  const nvl_workload_spec *spec = wr->spec;
  int *owner = nvl_xmalloc((wr->d->n_devices + 1) * sizeof *owner);
  for (size_t i = 0; i < wr->d->n_devices; i++)
    owner[i] = -1;
  for (size_t k = 0; k < spec->n_jobs; k++)
    for (int r = 0; r < spec->jobs[k].n; r++) {
      int *o = &owner[spec->jobs[k].devs[r]];
      if (*o >= 0 && *o != (int)k)
        wr->comms[*o].mode.alike = wr->comms[k].mode.alike = false;
      *o = (int)k;
    }
  free(owner);
  if (spec->n_jobs > 1) /* a shifted job's images load links that another job may share */
    for (size_t k = 0; k < spec->n_jobs; k++) {
      wr->comms[k].mode.period = 0;
      wr->comms[k].mode.rails = wr->comms[k].mode.rails_weighted = false;
    }
}

static nvl_workload_run *run_alloc(const nvl_workload_spec *spec, const nvl_design *d,
                                   const nvl_platform *p) {
  nvl_workload_run *wr = nvl_xcalloc(1, sizeof *wr);
  wr->spec = spec;
  wr->d = d;
  wr->p = p;
  wr->comms = nvl_xcalloc(spec->n_jobs + 1, sizeof *wr->comms);
  for (size_t k = 0; k < spec->n_jobs; k++)
    nvl_comm_init(&wr->comms[k], &spec->ctx->cal, &spec->jobs[k], d, p, spec);
  unalike_shared_devices(wr);
  return wr;
}

/* Whether the whole graph is NVLSTree over weighted rails (nvl_workload_run's rails_weighted). */
static bool all_weighted_rails(const nvl_workload_run *wr) {
  if (wr->spec->n_jobs != 1 || !wr->comms[0].mode.rails_weighted || wr->g.n_ops == 0 ||
      nvl_workload_fixed_routes(wr->spec))
    return false;
  for (size_t i = 0; i < wr->g.n_ops; i++)
    if (wr->g.ops[i].kind != NVL_WOP_COLLECTIVE || wr->g.ops[i].algo != NVL_ALGO_NVLSTREE)
      return false;
  return true;
}

nvl_workload_run *nvl_workload_run_new(const nvl_workload_spec *spec, const nvl_design *d,
                                       const nvl_platform *p) {
  nvl_workload_run *wr = run_alloc(spec, d, p);
  sweep_graph(wr);
  wr->fold = nvl_fold_find(wr);
  wr->rails_weighted = all_weighted_rails(wr);
  return wr;
}

/* The one guard where operations enter the engine: no time or size may be negative, non-finite
 * or beyond what SimGrid can advance to (a second of 1e9 s, 1e18 bytes), whoever produced them
 * (run's specs, llm's steps, Chakra traces). */
static bool values_ok(const double *v, size_t n, double hi) {
  for (size_t i = 0; i < n; i++)
    if (!(v[i] >= 0 && v[i] <= hi))
      return false;
  return true;
}

/* Whether an operation names a job and ranks the spec has, with sane values. */
static bool op_valid(const nvl_workload_spec *spec, const nvl_wgraph *g, const nvl_wop *op) {
  if (op->job < 0 || (size_t)op->job >= spec->n_jobs || (double)op->bytes > 1e18)
    return false;
  int n = spec->jobs[op->job].n;
  switch (op->kind) {
  case NVL_WOP_SEND:
    return op->src >= 0 && op->src < n && op->dst >= 0 && op->dst < n && op->src != op->dst;
  case NVL_WOP_COMPUTE:
    if (op->has_vals)
      return op->val_at + (size_t)n <= g->n_vals && values_ok(g->vals + op->val_at, (size_t)n, 1e9);
    return op->src >= 0 && op->src < n && op->seconds >= 0 && op->seconds <= 1e9;
  case NVL_WOP_PATTERN: return op->dst_at + (size_t)n <= g->n_dsts;
  case NVL_WOP_MATRIX:
    if (op->has_vals)
      return op->val_at + (size_t)n * (size_t)n <= g->n_vals &&
             values_ok(g->vals + op->val_at, (size_t)n * (size_t)n, 1e18);
    return spec->jobs[op->job].matrix != NULL;
  default: return true;
  }
}

nvl_workload_run *nvl_workload_run_graph(const nvl_workload_spec *spec, const nvl_design *d,
                                         const nvl_platform *p, nvl_wgraph *g) {
  for (size_t i = 0; i < g->n_ops; i++)
    if (!op_valid(spec, g, &g->ops[i]))
      return NULL;
  nvl_workload_run *wr = run_alloc(spec, d, p);
  wr->g = *g;
  memset(g, 0, sizeof *g);
  for (size_t i = 0; i < wr->g.n_ops; i++)
    if (wr->g.ops[i].algo == NVL_ALGO_AUTO && wr->g.ops[i].kind != NVL_WOP_COMPUTE)
      resolve_op(wr, &wr->g.ops[i]);
  wr->fold = nvl_fold_find(wr);
  wr->rails_weighted = all_weighted_rails(wr);
  return wr;
}

void nvl_workload_tasks(const nvl_workload_run *wr, nvl_task_graph *out) {
  memset(out, 0, sizeof *out);
  out->n_tasks = wr->g.n_ops;
  out->dep_start = wr->g.dep_start;
  out->deps = wr->g.deps;
  out->build = nvl_workload_build;
  out->ctx = (void *)wr;
  out->platform_xml = nvl_workload_fixed_routes(wr->spec);
  for (size_t k = 0; k < wr->spec->n_jobs; k++)
    out->ranks += (size_t)wr->spec->jobs[k].n;
  for (size_t i = 0; i < wr->g.n_ops; i++)
    out->record_flows |= wr->g.ops[i].kind == NVL_WOP_PATTERN ||
                         wr->g.ops[i].kind == NVL_WOP_MATRIX || wr->g.ops[i].kind == NVL_WOP_SEND;
}

int nvl_workload_engine(const nvl_workload_run *wr, const nvl_task_graph *g, bool forked,
                        nvl_engine_result *res, nvl_diags *diags) {
  nvl_task_graph folded;
  const nvl_task_graph *run = g;
  if (wr->fold && !g->dump_platform) {
    nvl_fold_tasks(wr->fold, g, &folded);
    run = &folded;
  } else if (wr->rails_weighted) { /* rail 0 for every rail, on canonical links */
    folded = *g;
    folded.link_canon = wr->comms[0].rail_canon;
    folded.link_weight = wr->comms[0].rail_weight;
    run = &folded;
  }
  int rc = forked ? nvl_engine_run_forked(wr->p, run, res, diags)
                  : nvl_engine_run(wr->p, run, res, diags);
  if (run == &folded && wr->fold && res->start_s) /* an incomplete run too: what finished */
    nvl_fold_expand(wr->fold, res);
  return rc;
}

void nvl_workload_run_free(nvl_workload_run *wr) {
  if (!wr)
    return;
  for (size_t k = 0; k < wr->spec->n_jobs; k++)
    nvl_comm_release(&wr->comms[k]);
  free(wr->comms);
  nvl_fold_free(wr->fold);
  nvl_wgraph_release(&wr->g);
  free(wr);
}
