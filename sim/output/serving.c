/*
 * output/serving: see serving.h.
 */
#include "output/serving.h"

#include <math.h>
#include <stdlib.h>

#include "base/csv.h"

static double tokens_per_step(const nvl_serving_point *p) {
  return p->step_tokens > 0 ? p->step_tokens : 1;
}

static long all_gpus(const nvl_serving_point *p) {
  return p->design_gpus > 0 ? p->design_gpus : p->gpus;
}

/* The design's boards: given, or the replica's per accelerator over all of them. */
static double design_watts(const nvl_serving_point *p, long all) {
  return p->design_W > 0 ? p->design_W : p->power_W / (double)p->gpus * (double)all;
}

/* Replicas of the first kind: the design's less the other kinds'. */
static long first_kind(const nvl_serving_point *p) {
  long n = all_gpus(p) / p->gpus;
  for (int i = 0; i < p->n_others; i++)
    n -= p->others[i].replicas;
  return n > 0 ? n : 0;
}

/* The kinds as one list, the first kind first: its replicas, its iteration at prompt budget P
 * and its boards. Returns how many. */
typedef struct {
  long replicas;
  double iter_s, power_W;
} kind_t;

static int kinds(const nvl_serving_point *p, double P, kind_t *k) {
  int n = 0;
  k[n++] = (kind_t){first_kind(p), p->decode_s + P * p->prefill_token_s, p->power_W};
  for (int i = 0; i < p->n_others && i < NVL_SERVING_KINDS - 1; i++)
    if (p->others[i].serves && p->others[i].replicas > 0)
      k[n++] =
          (kind_t){p->others[i].replicas, p->others[i].decode_s + P * p->others[i].prefill_token_s,
                   p->others[i].power_W};
  return n;
}

void nvl_serving_eval(nvl_serving_point *p, long isl, long osl) {
  double k = tokens_per_step(p);
  double P = (double)p->batch * (double)isl * k / (double)osl;
  kind_t kd[NVL_SERVING_KINDS];
  int nk = kinds(p, P, kd);
  double slowest = 0, design_tps = 0;
  long serving = 0;
  for (int i = 0; i < nk; i++) {
    slowest = fmax(slowest, kd[i].iter_s);
    design_tps += (double)kd[i].replicas * (double)p->batch * k / kd[i].iter_s;
    serving += kd[i].replicas;
  }
  p->prefill_tokens = P;
  p->iter_s = slowest;
  p->itl_s = p->iter_s / k;
  p->ttft_s = ceil((double)isl / P - 1e-9) * p->iter_s;
  p->tps_user = k / p->iter_s;
  long all = all_gpus(p);
  p->tps_replica = serving > 0 ? design_tps / (double)serving : 0;
  p->tps_gpu = design_tps / (double)all;
  p->tps_design = design_tps;
  double W = design_watts(p, all);
  p->tps_mw = W > 0 ? design_tps / (W / 1e6) : 0;
  p->replicas_used = serving;
  p->utilization = 1;
  p->wait_s = 0;
}

/* Erlang C: the chance an arrival waits at c servers offered a erlangs (a < c), by Erlang B's
 * recursion (stable at any c). */
static double erlang_c(long c, double a) {
  double b = 1;
  for (long j = 1; j <= c; j++)
    b = a * b / ((double)j + a * b);
  return b / (1 - a / (double)c * (1 - b));
}

/* The mean wait of an M/D/c queue, c servers of service time S offered a erlangs: half of
 * M/M/c's (Allen-Cunneen with deterministic service); INFINITY when unstable. */
static double mdc_wait(long c, double a, double S) {
  if (!(a < (double)c))
    return INFINITY;
  return a > 0 ? 0.5 * erlang_c(c, a) * S / ((double)c - a) : 0;
}

/* The load over the first m replicas (kinds in order), split by their capacity: every replica
 * offered a erlangs; the TTFT (prefill iterations plus the wait) and the slowest iteration of
 * the kinds in use, their boards. False when unstable. */
static bool over(const nvl_serving_point *p, const kind_t *kd, int nk, long m, double rate,
                 long isl, double osl_steps, double P, double *ttft, double *wait, double *iter,
                 double *W, double *a) {
  double cap = 0; /* requests per second with every slot full */
  long left = m;
  for (int i = 0; i < nk && left > 0; i++) {
    long r = kd[i].replicas < left ? kd[i].replicas : left;
    cap += (double)r * (double)p->batch / (osl_steps * kd[i].iter_s);
    left -= r;
  }
  *a = rate * (double)p->batch / cap;
  if (!(*a < (double)p->batch))
    return false;
  double C = *a > 0 ? erlang_c(p->batch, *a) : 0;
  *ttft = *wait = *iter = *W = 0;
  left = m;
  for (int i = 0; i < nk && left > 0; i++) {
    long r = kd[i].replicas < left ? kd[i].replicas : left;
    double S = osl_steps * kd[i].iter_s, w = 0.5 * C * S / ((double)p->batch - *a);
    *ttft = fmax(*ttft, ceil((double)isl / P - 1e-9) * kd[i].iter_s + w);
    *wait = fmax(*wait, w);
    *iter = fmax(*iter, kd[i].iter_s);
    *W += (double)r * kd[i].power_W;
    left -= r;
  }
  return true;
}

static bool rate_mixed(nvl_serving_point *p, long isl, long osl, double ttft_max) {
  double k = tokens_per_step(p), P = p->prefill_tokens, steps = (double)osl / k;
  kind_t kd[NVL_SERVING_KINDS];
  int nk = kinds(p, P, kd);
  long total = 0;
  for (int i = 0; i < nk; i++)
    total += kd[i].replicas;
  double ttft, wait, iter, W, a;
  long lo = 1, hi = total; /* the fewest replicas that serve it: more only wait less */
  if (total < 1 || !over(p, kd, nk, hi, p->rate, isl, steps, P, &ttft, &wait, &iter, &W, &a) ||
      (ttft_max > 0 && ttft > ttft_max))
    return false;
  while (lo < hi) {
    long mid = lo + (hi - lo) / 2;
    if (over(p, kd, nk, mid, p->rate, isl, steps, P, &ttft, &wait, &iter, &W, &a) &&
        (ttft_max <= 0 || ttft <= ttft_max))
      hi = mid;
    else
      lo = mid + 1;
  }
  over(p, kd, nk, lo, p->rate, isl, steps, P, &ttft, &wait, &iter, &W, &a);
  double tps = p->rate * (double)osl;
  p->replicas_used = lo;
  p->utilization = a / (double)p->batch;
  p->wait_s = wait;
  p->iter_s = iter;
  p->itl_s = iter / k;
  p->ttft_s = ttft;
  p->tps_user = k / iter;
  p->tps_replica = tps / (double)lo;
  p->tps_design = tps;
  p->tps_gpu = tps / (double)(lo * p->gpus);
  p->tps_mw = W > 0 ? tps / (W / 1e6) : 0;
  return true;
}

/* Disaggregated: for each decode pool size, the fewest prefill replicas that serve the rate
 * within the target; the pair with the fewest accelerators (ties: the shorter TTFT). */
static bool rate_disagg(nvl_serving_point *p, long osl, double ttft_max) {
  long all = all_gpus(p) > p->gpus + p->prefill_gpus ? all_gpus(p) : p->gpus + p->prefill_gpus;
  all = p->pool_gpus > 0 && p->pool_gpus < all ? p->pool_gpus : all;
  double k = tokens_per_step(p), Sd = (double)osl / k * p->decode_s, Sp = p->prefill_step_s;
  long best_np = 0, best_nd = 0, best_acc = 0;
  double best_ttft = 0, best_wait = 0, best_u = 0;
  for (long nd = 1; nd * p->gpus + p->prefill_gpus <= all; nd++) {
    long cd = nd * p->batch;
    double ad = p->rate * Sd, wd = mdc_wait(cd, ad, Sd);
    if (!isfinite(wd))
      continue;
    long lo = 1, hi = (all - nd * p->gpus) / p->prefill_gpus;
#define PRE_TTFT(np) (Sp + p->kv_s + wd + mdc_wait((np)*p->prefill_seqs, p->rate * Sp, Sp))
    if (!(PRE_TTFT(hi) <= (ttft_max > 0 ? ttft_max : INFINITY)))
      continue;
    while (lo < hi) {
      long mid = lo + (hi - lo) / 2;
      if (PRE_TTFT(mid) <= (ttft_max > 0 ? ttft_max : INFINITY))
        hi = mid;
      else
        lo = mid + 1;
    }
    double t = PRE_TTFT(lo);
#undef PRE_TTFT
    long acc = lo * p->prefill_gpus + nd * p->gpus;
    if (best_acc == 0 || acc < best_acc || (acc == best_acc && t < best_ttft))
      best_acc = acc, best_np = lo, best_nd = nd, best_ttft = t, best_wait = t - Sp - p->kv_s,
      best_u = ad / (double)cd;
  }
  if (best_acc == 0)
    return false;
  double tps = p->rate * (double)osl;
  p->prefill_replicas = best_np;
  p->decode_replicas = best_nd;
  p->replicas_used = best_np + best_nd;
  p->utilization = best_u;
  p->wait_s = best_wait;
  p->ttft_s = best_ttft;
  p->tps_replica = tps / (double)best_nd;
  p->tps_design = tps;
  p->tps_gpu = tps / (double)best_acc;
  p->tps_mw = p->power_W > 0 ? tps / (p->power_W / (double)p->gpus * (double)best_acc / 1e6) : 0;
  return true;
}

bool nvl_serving_eval_rate(nvl_serving_point *p, long isl, long osl, double ttft_max) {
  if (!(p->rate > 0))
    return true;
  return p->disagg ? rate_disagg(p, osl, ttft_max) : rate_mixed(p, isl, osl, ttft_max);
}

double nvl_serving_capacity(const nvl_serving_point *p, long osl) {
  double k = tokens_per_step(p);
  if (p->disagg)
    return p->tps_design / (double)osl;
  kind_t kd[NVL_SERVING_KINDS];
  int nk = kinds(p, p->prefill_tokens, kd);
  double cap = 0;
  for (int i = 0; i < nk; i++)
    cap += (double)kd[i].replicas * (double)p->batch * k / ((double)osl * kd[i].iter_s);
  return cap;
}

bool nvl_serving_eval_disagg(nvl_serving_point *p, long isl, long osl) {
  long all = p->design_gpus > 0 ? p->design_gpus : p->gpus + p->prefill_gpus,
       room = p->pool_gpus > 0 && p->pool_gpus < all ? p->pool_gpus : all;
  double k = p->step_tokens > 0 ? p->step_tokens : 1;
  double cap_d = (double)p->batch * k / ((double)osl * p->decode_s),
         cap_p = (double)p->prefill_seqs / p->prefill_step_s, best = 0;
  p->prefill_replicas = p->decode_replicas = 0;
  for (long nd = 1; nd * p->gpus + p->prefill_gpus <= room; nd++) {
    long np = (room - nd * p->gpus) / p->prefill_gpus;
    double rate = fmin((double)np * cap_p, (double)nd * cap_d);
    if (rate > best * (1 + 1e-12)) /* ties: the fewer accelerators (found first) */
      best = rate, p->prefill_replicas = np, p->decode_replicas = nd;
  }
  if (best <= 0)
    return false;
  (void)isl;
  p->prefill_tokens = 0;
  p->replicas_used = p->prefill_replicas + p->decode_replicas;
  p->utilization = 1;
  p->wait_s = 0;
  p->tps_design = best * (double)osl;
  p->iter_s = p->decode_s;
  p->itl_s = p->iter_s / k;
  p->ttft_s = p->prefill_step_s + p->kv_s;
  p->tps_user = k / p->iter_s;
  p->tps_replica = (double)p->batch * k / p->iter_s;
  p->tps_gpu = best * (double)osl / (double)all;
  double W = design_watts(p, all);
  p->tps_mw = W > 0 ? best * (double)osl / (W / 1e6) : 0;
  return true;
}

double nvl_serving_kv_tokens(long isl, long osl, long page) {
  double sum = 0;
  for (long L = isl + 1; L <= isl + osl; L++)
    sum += (double)((L + page - 1) / page * page);
  return sum / (double)osl;
}

size_t nvl_serving_within(nvl_serving_point *pts, size_t n, double ttft_max, double itl_max) {
  size_t k = 0;
  for (size_t i = 0; i < n; i++)
    if ((ttft_max <= 0 || pts[i].ttft_s <= ttft_max) && (itl_max <= 0 || pts[i].itl_s <= itl_max))
      pts[k++] = pts[i];
  return k;
}

static double miss(const nvl_serving_point *p, double ttft_max, double itl_max) {
  double r = 0;
  if (ttft_max > 0)
    r = fmax(r, p->ttft_s / ttft_max);
  if (itl_max > 0)
    r = fmax(r, p->itl_s / itl_max);
  return r;
}

void nvl_serving_print_closest(const char *cmd, const char *label, nvl_serving_point *pts, size_t n,
                               double ttft_max, double itl_max, FILE *out) {
  for (size_t i = 0; i < n && i < 3; i++) /* the closest first: selection by the miss */
    for (size_t j = i + 1; j < n; j++)
      if (miss(&pts[j], ttft_max, itl_max) < miss(&pts[i], ttft_max, itl_max)) {
        nvl_serving_point t = pts[i];
        pts[i] = pts[j];
        pts[j] = t;
      }
  fprintf(out, "nvlsim %s: %s: no configuration meets the latency targets; the closest:\n", cmd,
          label);
  for (size_t i = 0; i < n && i < 3; i++)
    fprintf(out, "  %ld per replica (tp %ld, ep %ld), batch %ld: ITL %.3f ms, TTFT %.1f ms\n",
            pts[i].gpus, pts[i].tp, pts[i].ep, pts[i].batch, pts[i].itl_s * 1e3,
            pts[i].ttft_s * 1e3);
}

/* a dominates b: at least its tokens/s per user and per GPU and more of one, or both the same
 * and a shorter TTFT (of configurations alike on both axes, the one that answers first). */
static bool dominates(const nvl_serving_point *a, const nvl_serving_point *b) {
  return a->tps_user >= b->tps_user && a->tps_gpu >= b->tps_gpu &&
         (a->tps_user > b->tps_user || a->tps_gpu > b->tps_gpu || a->ttft_s < b->ttft_s);
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
                 "tokens_per_mwh,power_w,frontier,arrival_rate_per_s,replicas_in_use,"
                 "utilization,queue_wait_us,replica_kinds,kv_budget_used,kv_batch_max,pp\n");
  for (size_t i = 0; i < n; i++) {
    const nvl_serving_point *p = &pts[i];
    nvl_csv_field(out, design);
    fprintf(out,
            ",%ld,%ld,%s,%ld,%ld,%ld,%ld,%ld,%.6g,%.6g,%ld,%ld,%ld,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,"
            "%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%d,%.6g,%ld,%.6g,%.6g,%d,%.6g,%ld,%ld\n",
            isl, osl, p->disagg ? "disaggregated" : "aggregated", p->gpus, p->tp, p->ep, p->dp,
            p->batch, p->decode_s * 1e6, p->prefill_token_s * 1e6, p->prefill_gpus,
            p->prefill_replicas, p->decode_replicas, p->prefill_step_s * 1e6, p->kv_s * 1e6,
            p->step_tokens > 0 ? p->step_tokens : 1.0, p->iter_s * 1e6, p->itl_s * 1e6,
            p->ttft_s * 1e6, p->tps_user, p->tps_gpu, p->tps_replica, p->tps_mw,
            p->tps_design * 3600, p->tps_mw * 3600, p->power_W, p->frontier ? 1 : 0, p->rate,
            p->replicas_used, p->utilization, p->wait_s * 1e6, 1 + (p->disagg ? 0 : p->n_others),
            p->kv_use, p->kv_batch_max, p->pp > 1 ? p->pp : 1);
  }
  return ferror(out) ? -1 : 0;
}

void nvl_serving_print(const nvl_serving_point *pts, size_t n, FILE *out) {
  bool load = n > 0 && pts[0].rate > 0, stages = false;
  for (size_t i = 0; i < n; i++)
    stages |= pts[i].pp > 1;
  fprintf(out,
          "#  gpus   tp   ep   dp   batch  prefill pool     ITL (ms)    TTFT (ms)  tok/s/user"
          "   tok/s/GPU    tok/s/MW%s%s\n",
          load ? "  in use   util  wait (ms)" : "", stages ? "   pp" : "");
  for (size_t i = 0; i < n; i++) {
    const nvl_serving_point *p = &pts[i];
    char pool[32] = "mixed";
    if (p->disagg)
      snprintf(pool, sizeof pool, "%ldx%ld:%ld", p->prefill_replicas, p->prefill_gpus,
               p->decode_replicas);
    fprintf(out, "%c %5ld %4ld %4ld %4ld %7ld  %-12s %12.3f %12.1f %11.1f %11.1f %11.4g",
            p->frontier ? '*' : ' ', p->gpus, p->tp, p->ep, p->dp, p->batch, pool, p->itl_s * 1e3,
            p->ttft_s * 1e3, p->tps_user, p->tps_gpu, p->tps_mw);
    if (load)
      fprintf(out, "  %6ld %6.2f %10.2f", p->replicas_used, p->utilization, p->wait_s * 1e3);
    if (stages)
      fprintf(out, " %4ld", p->pp > 1 ? p->pp : 1);
    fputc('\n', out);
  }
}
