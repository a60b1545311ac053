/*
 * output/serving: see serving.h.
 */
#include "output/serving.h"

#include <math.h>
#include <stdlib.h>

#include "base/csv.h"

void nvl_serving_eval(nvl_serving_point *p, long isl, long osl) {
  double k = p->step_tokens > 0 ? p->step_tokens : 1;
  double P = (double)p->batch * (double)isl * k / (double)osl;
  p->prefill_tokens = P;
  p->iter_s = p->decode_s + P * p->prefill_token_s;
  p->itl_s = p->iter_s / k;
  p->ttft_s = ceil((double)isl / P - 1e-9) * p->iter_s;
  p->tps_user = k / p->iter_s;
  p->tps_replica = (double)p->batch * k / p->iter_s;
  long all = p->design_gpus > 0 ? p->design_gpus : p->gpus, replicas = all / p->gpus;
  double design_tps = (double)replicas * p->tps_replica;
  p->tps_gpu = design_tps / (double)all;
  p->tps_mw = p->power_W > 0 ? design_tps / (p->power_W / (double)p->gpus * (double)all / 1e6) : 0;
}

bool nvl_serving_eval_disagg(nvl_serving_point *p, long isl, long osl) {
  long all = p->design_gpus > 0 ? p->design_gpus : p->gpus + p->prefill_gpus;
  double k = p->step_tokens > 0 ? p->step_tokens : 1;
  double cap_d = (double)p->batch * k / ((double)osl * p->decode_s),
         cap_p = (double)p->prefill_seqs / p->prefill_step_s, best = 0;
  p->prefill_replicas = p->decode_replicas = 0;
  for (long nd = 1; nd * p->gpus + p->prefill_gpus <= all; nd++) {
    long np = (all - nd * p->gpus) / p->prefill_gpus;
    double rate = fmin((double)np * cap_p, (double)nd * cap_d);
    if (rate > best * (1 + 1e-12)) /* ties: the fewer accelerators (found first) */
      best = rate, p->prefill_replicas = np, p->decode_replicas = nd;
  }
  if (best <= 0)
    return false;
  (void)isl;
  p->prefill_tokens = 0;
  p->iter_s = p->decode_s;
  p->itl_s = p->iter_s / k;
  p->ttft_s = p->prefill_step_s + p->kv_s;
  p->tps_user = k / p->iter_s;
  p->tps_replica = (double)p->batch * k / p->iter_s;
  p->tps_gpu = best * (double)osl / (double)all;
  p->tps_mw =
      p->power_W > 0 ? best * (double)osl / (p->power_W / (double)p->gpus * (double)all / 1e6) : 0;
  return true;
}

static bool dominates(const nvl_serving_point *a, const nvl_serving_point *b) {
  return a->tps_user >= b->tps_user && a->tps_gpu >= b->tps_gpu &&
         (a->tps_user > b->tps_user || a->tps_gpu > b->tps_gpu);
}

size_t nvl_serving_frontier(nvl_serving_point *pts, size_t n) {
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    pts[i].frontier = true;
    for (size_t j = 0; j < n && pts[i].frontier; j++)
      if (j != i && dominates(&pts[j], &pts[i]))
        pts[i].frontier = false;
    k += pts[i].frontier;
  }
  return k;
}

static int cmp_user(const void *x, const void *y) {
  const nvl_serving_point *a = x, *b = y;
  if (a->tps_user != b->tps_user)
    return a->tps_user > b->tps_user ? -1 : 1;
  if (a->tps_gpu != b->tps_gpu)
    return a->tps_gpu > b->tps_gpu ? -1 : 1;
  return (a->gpus > b->gpus) - (a->gpus < b->gpus);
}

void nvl_serving_sort(nvl_serving_point *pts, size_t n) {
  if (n > 1)
    qsort(pts, n, sizeof *pts, cmp_user);
}

int nvl_serving_csv(const nvl_serving_point *pts, size_t n, const char *design, long isl, long osl,
                    bool header, FILE *out) {
  if (header)
    fprintf(out, "design,isl,osl,mode,gpus_per_replica,tp,ep,dp,batch,decode_step_us,"
                 "prefill_token_us,prefill_gpus_per_replica,prefill_replicas,decode_replicas,"
                 "prefill_step_us,kv_transfer_us,tokens_per_step,iteration_us,itl_us,ttft_us,"
                 "tokens_per_s_user,"
                 "tokens_per_s_gpu,tokens_per_s_replica,tokens_per_s_mw,tokens_per_hour_design,"
                 "tokens_per_mwh,power_w,frontier\n");
  for (size_t i = 0; i < n; i++) {
    const nvl_serving_point *p = &pts[i];
    nvl_csv_field(out, design);
    fprintf(out,
            ",%ld,%ld,%s,%ld,%ld,%ld,%ld,%ld,%.6g,%.6g,%ld,%ld,%ld,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,"
            "%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%d\n",
            isl, osl, p->disagg ? "disaggregated" : "aggregated", p->gpus, p->tp, p->ep, p->dp,
            p->batch, p->decode_s * 1e6, p->prefill_token_s * 1e6, p->prefill_gpus,
            p->prefill_replicas, p->decode_replicas, p->prefill_step_s * 1e6, p->kv_s * 1e6,
            p->step_tokens > 0 ? p->step_tokens : 1.0, p->iter_s * 1e6, p->itl_s * 1e6,
            p->ttft_s * 1e6, p->tps_user, p->tps_gpu, p->tps_replica, p->tps_mw,
            p->tps_gpu * (double)(p->design_gpus > 0 ? p->design_gpus : p->gpus) * 3600,
            p->tps_mw * 3600, p->power_W, p->frontier ? 1 : 0);
  }
  return ferror(out) ? -1 : 0;
}

void nvl_serving_print(const nvl_serving_point *pts, size_t n, FILE *out) {
  fprintf(out, "#  gpus   tp   ep   dp   batch  prefill pool     ITL (ms)    TTFT (ms)  tok/s/user"
               "   tok/s/GPU    tok/s/MW\n");
  for (size_t i = 0; i < n; i++) {
    const nvl_serving_point *p = &pts[i];
    char pool[32] = "mixed";
    if (p->disagg)
      snprintf(pool, sizeof pool, "%ldx%ld:%ld", p->prefill_replicas, p->prefill_gpus,
               p->decode_replicas);
    fprintf(out, "%c %5ld %4ld %4ld %4ld %7ld  %-12s %12.3f %12.1f %11.1f %11.1f %11.4g\n",
            p->frontier ? '*' : ' ', p->gpus, p->tp, p->ep, p->dp, p->batch, pool, p->itl_s * 1e3,
            p->ttft_s * 1e3, p->tps_user, p->tps_gpu, p->tps_mw);
  }
}
