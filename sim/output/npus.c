/*
 * npus: see npus.h.
 */
#include "output/npus.h"

#include <stdlib.h>
#include <string.h>

#include "base/csv.h"
#include "base/xalloc.h"

typedef struct {
  double a, b;
} span;

static int cmp_span(const void *x, const void *y) {
  const span *p = x, *q = y;
  return p->a < q->a ? -1 : p->a > q->a;
}

void nvl_npu_results_compute(const nvl_ct_map *map, const nvl_engine_result *res,
                             nvl_npu_results *out) {
  size_t n = map->n_npus, ops = res->n_tasks;
  out->n = n;
  out->finish_s = nvl_xcalloc(n + 1, sizeof *out->finish_s);
  out->compute_s = nvl_xcalloc(n + 1, sizeof *out->compute_s);
  out->end_s = 0;
  /* compute spans per NPU, grouped by a counting sort */
  size_t *start = nvl_xcalloc(n + 2, sizeof *start);
  for (size_t op = 0; op < ops; op++)
    if (map->compute[op])
      start[map->npus[map->npu_start[op]] + 1]++;
  for (size_t i = 0; i < n; i++)
    start[i + 1] += start[i];
  span *sp = nvl_xmalloc((start[n] + 1) * sizeof *sp);
  size_t *fill = nvl_xmalloc((n + 1) * sizeof *fill);
  memcpy(fill, start, (n + 1) * sizeof *fill);
  for (size_t op = 0; op < ops; op++) {
    double a = res->start_s[op], b = a + res->time_s[op];
    for (size_t k = map->npu_start[op]; k < map->npu_start[op + 1]; k++) {
      int i = map->npus[k];
      if (b > out->finish_s[i])
        out->finish_s[i] = b;
    }
    if (map->compute[op])
      sp[fill[map->npus[map->npu_start[op]]]++] = (span){a, b};
    if (b > out->end_s)
      out->end_s = b;
  }
  for (size_t i = 0; i < n; i++) {
    span *s = sp + start[i];
    size_t m = start[i + 1] - start[i];
    qsort(s, m, sizeof *s, cmp_span);
    double busy = 0, lo = 0, hi = -1;
    for (size_t k = 0; k < m; k++) {
      if (s[k].a > hi) {
        busy += hi > lo ? hi - lo : 0;
        lo = s[k].a;
        hi = s[k].b;
      } else if (s[k].b > hi) {
        hi = s[k].b;
      }
    }
    busy += hi > lo ? hi - lo : 0;
    out->compute_s[i] = busy;
  }
  free(fill);
  free(sp);
  free(start);
}

void nvl_npu_results_print(const nvl_npu_results *r, const nvl_design *d, const int *devs,
                           const char *const *header, FILE *out) {
  fprintf(out, "#\n");
  for (size_t k = 0; header && header[k]; k++)
    fprintf(out, "# %s\n", header[k]);
  fprintf(out, "#\n#    npu  device                 finish      compute  exposed comm\n");
  fprintf(out, "#                                  (us)         (us)          (us)\n");
  for (size_t i = 0; i < r->n; i++)
    fprintf(out, "%8zu  %-16s %12.2f %12.2f %13.2f\n", i, d->devices[devs[i]].name,
            r->finish_s[i] * 1e6, r->compute_s[i] * 1e6, (r->finish_s[i] - r->compute_s[i]) * 1e6);
  fprintf(out, "#\n# end to end: %.2f us\n", r->end_s * 1e6);
}

int nvl_npu_results_write_csv(const nvl_npu_results *r, const nvl_design *d, const int *devs,
                              FILE *out) {
  static const char *const head[] = {"npu", "device", "finish_us", "compute_us", "exposed_comm_us"};
  nvl_csv_record(out, head, 5);
  for (size_t i = 0; i < r->n; i++) {
    char f[4][64];
    snprintf(f[0], sizeof f[0], "%zu", i);
    snprintf(f[1], sizeof f[1], "%.6f", r->finish_s[i] * 1e6);
    snprintf(f[2], sizeof f[2], "%.6f", r->compute_s[i] * 1e6);
    snprintf(f[3], sizeof f[3], "%.6f", (r->finish_s[i] - r->compute_s[i]) * 1e6);
    const char *row[5] = {f[0], d->devices[devs[i]].name, f[1], f[2], f[3]};
    nvl_csv_record(out, row, 5);
  }
  return ferror(out) ? -1 : 0;
}

void nvl_npu_results_release(nvl_npu_results *r) {
  free(r->finish_s);
  free(r->compute_s);
  memset(r, 0, sizeof *r);
}
