/*
 * rows: see rows.h.
 */
#include "models/algorithms.h"
#include "output/rows.h"

#include <stdio.h>
#include <stdlib.h>

#include "base/xalloc.h"

typedef struct {
  double t;
  uint32_t count;
} flow_time;

static int by_time(const void *a, const void *b) {
  double x = ((const flow_time *)a)->t, y = ((const flow_time *)b)->t;
  return (x > y) - (x < y);
}

/* The sorted flows' k-th time, each flow counted `count` times (one per flow of its orbit). */
static double expanded_at(const flow_time *ft, size_t nf, uint64_t k) {
  for (size_t i = 0; i < nf; i++) {
    if (k < ft[i].count)
      return ft[i].t;
    k -= ft[i].count;
  }
  return ft[nf - 1].t;
}

/* The p quantile of the expanded times as GSL computes it on sorted data (interpolated between
 * the two nearest ranks), for n expanded times. */
static double quantile(const flow_time *ft, size_t nf, uint64_t n, double p) {
  double index = p * (double)(n - 1);
  uint64_t lhs = (uint64_t)index;
  double delta = index - (double)lhs, lo = expanded_at(ft, nf, lhs);
  return lhs + 1 < n ? (1 - delta) * lo + delta * expanded_at(ft, nf, lhs + 1) : lo;
}

/* Per-flow statistics of operation i: completion percentiles and the median flow's bandwidth.
 * A reduced program's flow stands for its orbit, and counts as many times. */
static void flow_stats(const nvl_engine_result *res, size_t i, flow_time *ft, nvl_result_row *r) {
  size_t nf = 0;
  uint64_t n = 0;
  for (size_t f = 0; f < res->n_flows; f++)
    if (res->flows[f].task == i) {
      uint32_t c = res->flows[f].count ? res->flows[f].count : 1;
      ft[nf++] = (flow_time){res->flows[f].time_s, c};
      n += c;
    }
  if (nf == 0)
    return;
  qsort(ft, nf, sizeof *ft, by_time);
  double p50 = quantile(ft, nf, n, 0.5);
  r->flow_p50_us = p50 * 1e6;
  r->flow_p99_us = quantile(ft, nf, n, 0.99) * 1e6;
  r->flow_max_us = ft[nf - 1].t * 1e6;
  r->flow_bw_p50_GBps = p50 > 0 ? (double)r->size_bytes / p50 / 1e9 : 0;
}

static const char *operation_of(const nvl_wop *op, const nvl_job *j) {
  switch (op->kind) {
  case NVL_WOP_COLLECTIVE: return nvl_coll_name(op->coll);
  case NVL_WOP_SEND: return j->pattern == NVL_PAT_PAIRS ? "pairs" : "send";
  case NVL_WOP_COMPUTE: return "compute";
  default: return nvl_pattern_name(j->pattern);
  }
}

static const char *algorithm_of(const nvl_wop *op) {
  return op->kind == NVL_WOP_COLLECTIVE ? nvl_algo_name(op->algo) : "-";
}

void nvl_rows_add(const nvl_workload_run *wr, const nvl_engine_result *res, nvl_results *rows) {
  const nvl_workload_spec *spec = wr->spec;
  flow_time *ft = nvl_xmalloc((res->n_flows + 1) * sizeof *ft);
  for (size_t i = 0; i < wr->g.n_ops; i++) {
    const nvl_wop *op = &wr->g.ops[i];
    if (!op->report || (res->finished && !res->finished[i]))
      continue;
    const nvl_job *j = &spec->jobs[op->job];
    bool coll = op->kind == NVL_WOP_COLLECTIVE, ideal = spec->model == NVL_MODEL_IDEAL;
    nvl_result_row *r = nvl_results_add(rows);
    snprintf(r->design, sizeof r->design, "%s", wr->d->name);
    if (spec->n_jobs > 1)
      snprintf(r->job, sizeof r->job, "%s", j->name);
    if (op->kind == NVL_WOP_SEND)
      snprintf(r->pair, sizeof r->pair, "%s->%s", wr->d->devices[j->devs[op->src]].name,
               wr->d->devices[j->devs[op->dst]].name);
    snprintf(r->collective, sizeof r->collective, "%s", operation_of(op, j));
    snprintf(r->algorithm, sizeof r->algorithm, "%s", algorithm_of(op));
    snprintf(r->model, sizeof r->model, "%s", nvl_model_name(spec->model));
    snprintf(r->protocol, sizeof r->protocol, "%s", ideal ? "-" : nvl_proto_name(op->proto));
    r->ranks = op->kind == NVL_WOP_SEND ? 2 : j->n;
    r->size_bytes = op->bytes;
    r->count = r->size_bytes / 4;
    r->redop = coll && nvl_coll_reduces(op->coll) ? "sum" : "none";
    r->root = coll && nvl_coll_rooted(op->coll) ? 0 : -1;
    double t = res->time_s[i];
    r->time_us = t * 1e6;
    r->algbw_GBps = t > 0 ? (double)r->size_bytes / t / 1e9 : 0;
    r->busbw_GBps = r->algbw_GBps * (coll ? nvl_coll_busbw_factor(op->coll, j->n) : 1.0);
    r->seed = spec->seed;
    if (!coll)
      flow_stats(res, i, ft, r);
  }
  free(ft);
}
