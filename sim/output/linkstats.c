/*
 * linkstats: see linkstats.h.
 */
#include "output/linkstats.h"

#include "base/csv.h"

void nvl_linkstats_print_busiest(const nvl_platform *p, const nvl_engine_result *res, FILE *out) {
  size_t nl = res->n_links, top[3] = {0};
  double busy[3] = {-1, -1, -1};
  for (size_t k = 0; k < 2 * nl; k++) {
    const nvl_plink *l = nvl_platform_link(p, (int)(k / 2));
    if (l->fatpipe)
      continue;
    double b = res->link_bytes[k] / l->bw_Bps;
    for (int t = 0; t < 3; t++)
      if (b > busy[t]) {
        for (int u = 2; u > t; u--)
          busy[u] = busy[u - 1], top[u] = top[u - 1];
        busy[t] = b;
        top[t] = k;
        break;
      }
  }
  fprintf(out, "#\n# busiest link directions (bytes carried / bandwidth, over the whole run):\n");
  for (int t = 0; t < 3 && busy[t] > 0; t++) {
    const nvl_plink *l = nvl_platform_link(p, (int)(top[t] / 2));
    fprintf(out, "#   %-40s %-4s %12.6f ms busy, %.3g GB carried\n", l->name,
            top[t] % 2 ? "down" : "up", busy[t] * 1e3, res->link_bytes[top[t]] / 1e9);
  }
}

int nvl_linkstats_write_csv(const nvl_platform *p, const nvl_engine_result *res, FILE *out) {
  double span = res->end_s > 0 ? res->end_s : 1;
  fprintf(out, "link,kind,direction,physical_links,bandwidth_GBps,bytes,busy_time_us,utilization,"
               "peak_utilization\n");
  for (size_t l = 0; l < res->n_links; l++) {
    const nvl_plink *k = nvl_platform_link(p, (int)l);
    if (k->fatpipe)
      continue;
    for (int dir = 0; dir < 2; dir++) {
      double bytes = res->link_bytes[2 * l + dir];
      double busy = bytes / k->bw_Bps;
      nvl_csv_field(out, k->name);
      fprintf(out, ",%s,%s,%d,%.6f,%.0f,%.6f,%.6f,%.6f\n", k->kind, dir ? "down" : "up",
              k->physical, k->bw_Bps / 1e9, bytes, busy * 1e6, busy / span,
              res->link_peak_Bps[2 * l + dir] / k->bw_Bps);
    }
  }
  return ferror(out) ? -1 : 0;
}
