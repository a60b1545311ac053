/*
 * tuning: see tuning.h.
 */
#include "output/tuning.h"

#include <math.h>
#include <string.h>

#include "models/algorithms.h"
#include "models/tuner.h"

#define COLS (NVL_ALGO__COUNT * NVL_PROTO__COUNT)

/* Whether the operation belongs to job k's collectives (the ones NCCL's tuner prices). */
static bool priced(const nvl_workload_run *wr, const nvl_wop *op, size_t k) {
  return op->kind == NVL_WOP_COLLECTIVE && (size_t)op->job == k && op->coll != NVL_COLL_ALLTOALL &&
         op->coll != NVL_COLL_SENDRECV && wr->spec->jobs[k].n > 1;
}

static void job_table(const nvl_workload_run *wr, size_t k, FILE *out) {
  const nvl_calibration *c = &wr->spec->ctx->cal;
  const nvl_tuner_comm *tc = &wr->comms[k].tc;
  bool used[COLS] = {false};
  size_t first = wr->g.n_ops;
  for (size_t i = 0; i < wr->g.n_ops; i++) {
    const nvl_wop *op = &wr->g.ops[i];
    if (!priced(wr, op, k))
      continue;
    first = first < i ? first : i;
    for (int a = NVL_ALGO_AUTO + 1; a < NVL_ALGO__COUNT; a++)
      for (int p = 0; p < NVL_PROTO__COUNT; p++)
        used[a * NVL_PROTO__COUNT + p] |=
            isfinite(nvl_tuner_time(c, tc, op->coll, (nvl_algo)a, (nvl_proto)p, op->bytes));
  }
  if (first == wr->g.n_ops)
    return;
  const nvl_job *j = &wr->spec->jobs[k];
  fprintf(out,
          "#\n# NCCL's model (tuning.cc), job %s: %s on %d ranks, %d node%s; predicted time (us) "
          "per algorithm/protocol, * the one run\n#        size",
          j->name, nvl_coll_name(wr->g.ops[first].coll), tc->n, tc->nodes > 1 ? tc->nodes : 1,
          tc->nodes > 1 ? "s" : "");
  int width[COLS]; /* 15, or a longer name's */
  for (int col = 0; col < COLS; col++)
    if (used[col]) {
      char name[32];
      snprintf(name, sizeof name, "%s/%s", nvl_algo_name((nvl_algo)(col / NVL_PROTO__COUNT)),
               nvl_proto_name((nvl_proto)(col % NVL_PROTO__COUNT)));
      width[col] = strlen(name) > 15 ? (int)strlen(name) : 15;
      fprintf(out, " %*s", width[col], name);
    }
  fputc('\n', out);
  for (size_t i = first; i < wr->g.n_ops; i++) {
    const nvl_wop *op = &wr->g.ops[i];
    if (!priced(wr, op, k))
      continue;
    fprintf(out, "# %12llu", (unsigned long long)op->bytes);
    for (int col = 0; col < COLS; col++) {
      if (!used[col])
        continue;
      nvl_algo a = (nvl_algo)(col / NVL_PROTO__COUNT);
      nvl_proto p = (nvl_proto)(col % NVL_PROTO__COUNT);
      double t = nvl_tuner_time(c, tc, op->coll, a, p, op->bytes);
      if (!isfinite(t))
        fprintf(out, " %*s", width[col], "-");
      else
        fprintf(out, " %*.2f%c", width[col] - 1, t * 1e6,
                op->algo == a && op->proto == p ? '*' : ' ');
    }
    fputc('\n', out);
  }
}

void nvl_tuning_print(const nvl_workload_run *wr, FILE *out) {
  for (size_t k = 0; k < wr->spec->n_jobs; k++)
    job_table(wr, k, out);
}
