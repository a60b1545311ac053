/*
 * links: explicit links between named devices, and the expect block of CI assertions.
 */
#include <stdio.h>
#include <string.h>

#include "design/loader.h"

static int resolve_device(loader *L, json_t *obj, const char *ptr, const char *key) {
  char name[NVL_NAME_MAX + 16];
  if (!nvl_ld_get_string(L, obj, ptr, key, true, name, sizeof name))
    return -1;
  int dev = nvl_design_find_device(L->d, name);
  if (dev < 0) {
    char p[NVL_DIAG_PTR_MAX];
    nvl_ptr_join(p, sizeof p, ptr, key);
    nvl_suggest s = NVL_SUGGEST_INIT(name);
    /* offering every device name is O(devices); fine for a one-off error */
    for (size_t i = 0; i < L->d->n_devices && i < 200000; i++)
      nvl_suggest_offer(&s, L->d->devices[i].name);
    char hint[96];
    nvl_suggest_text(&s, hint, sizeof hint);
    nvl_ld_err(L, NVL_DIAG_REFERENCE, p, "unknown device \"%.60s\"%s", name, hint);
  }
  return dev;
}

void nvl_ld_parse_links(loader *L, json_t *root) {
  static const char *const keys[] = {"a", "b", "link", "count", "note", NULL};
  json_t *arr = nvl_ld_get_typed(L, root, "", "links", JSON_ARRAY, false);
  for (size_t i = 0; i < json_array_size(arr); i++) {
    char ip[NVL_DIAG_PTR_MAX];
    json_t *it = nvl_ld_object_item(L, arr, i, "/links", ip);
    if (!it)
      continue;
    nvl_ld_check_keys(L, it, ip, keys);
    int a = resolve_device(L, it, ip, "a");
    int b = resolve_device(L, it, ip, "b");
    char lt_name[NVL_NAME_MAX];
    long long count = 1;
    bool ok = nvl_ld_get_string(L, it, ip, "link", true, lt_name, sizeof lt_name);
    ok &=
        !json_object_get(it, "count") || nvl_ld_get_int(L, it, ip, "count", false, 1, 4096, &count);
    if (!ok || a < 0 || b < 0)
      continue;
    int lt = nvl_ld_link_type(L, lt_name, ip, "link", false);
    if (lt < 0)
      continue;
    if (a == b) {
      nvl_ld_err(L, NVL_DIAG_SELF_LOOP, ip, "link from \"%s\" to itself", L->d->devices[a].name);
      continue;
    }
    if (L->d->n_links >= MAX_LINK_BUNDLES) {
      nvl_ld_err(L, NVL_DIAG_LIMIT, ip, "more than %u link bundles", MAX_LINK_BUNDLES);
      return;
    }
    nvl_ld_ensure_used(L);
    int origin = nvl_ld_add_origin(L, ip);
    port_tally tally = {.origin = origin};
    nvl_ld_add_link(L, a, b, lt, (int)count, origin, &tally);
    nvl_ld_report_tally(L, &tally, lt, ip);
  }
}

void nvl_ld_parse_expect(loader *L, json_t *root) {
  static const char *const keys[] = {"all_reachable",
                                     "max_switch_hops",
                                     "min_bisection_bandwidth",
                                     "min_injection_bandwidth",
                                     "min_path_diversity",
                                     "max_oversubscription",
                                     "no_port_over_budget",
                                     "unused_ports",
                                     "asymmetric_planes",
                                     "note",
                                     NULL};
  json_t *ex = nvl_ld_get_typed(L, root, "", "expect", JSON_OBJECT, false);
  if (!ex)
    return;
  nvl_expect *e = &L->d->expect;
  nvl_ld_check_keys(L, ex, "/expect", keys);
  json_t *v;
  if ((v = nvl_ld_get_typed(L, ex, "/expect", "all_reachable", JSON_TRUE, false))) {
    e->has_all_reachable = true;
    e->all_reachable = json_is_true(v);
  }
  if ((v = nvl_ld_get_typed(L, ex, "/expect", "no_port_over_budget", JSON_TRUE, false))) {
    if (!json_is_true(v))
      nvl_ld_err(L, NVL_DIAG_SCHEMA, "/expect/no_port_over_budget",
                 "ports over budget are always errors; only true is allowed");
    e->has_no_port_over_budget = true;
  }
  /* a warning declared expected: its reason, a non-empty string */
  const char *why[] = {"unused_ports", "asymmetric_planes"};
  char *dst[] = {e->why_unused_ports, e->why_asymmetric_planes};
  for (int i = 0; i < 2; i++)
    if (nvl_ld_get_string(L, ex, "/expect", why[i], false, dst[i], sizeof e->why_unused_ports) &&
        !dst[i][0]) {
      char p[NVL_DIAG_PTR_MAX];
      nvl_ptr_join(p, sizeof p, "/expect", why[i]);
      nvl_ld_err(L, NVL_DIAG_SCHEMA, p,
                 "give the reason the warning is expected (a non-empty string)");
    }
  long long n;
  if (nvl_ld_get_int(L, ex, "/expect", "max_switch_hops", false, 0, 1000, &n)) {
    e->has_max_switch_hops = true;
    e->max_switch_hops = (int)n;
  }
  if (nvl_ld_get_int(L, ex, "/expect", "min_path_diversity", false, 1, 1000000, &n)) {
    e->has_min_path_diversity = true;
    e->min_path_diversity = (int)n;
  }
  if ((v = json_object_get(ex, "max_oversubscription"))) {
    e->max_oversubscription = json_is_number(v) ? json_number_value(v) : 0;
    e->has_max_oversubscription = true;
    if (!(e->max_oversubscription >= 1 && e->max_oversubscription <= 1e6))
      nvl_ld_err(L, NVL_DIAG_SCHEMA, "/expect/max_oversubscription",
                 "a ratio of down to up bandwidth from 1 (non-blocking) to 1e6, e.g. 4 for 4:1");
  }
  e->has_min_bisection = nvl_ld_get_qty(L, ex, "/expect", "min_bisection_bandwidth", false,
                                        NVL_QTY_BANDWIDTH, false, &e->min_bisection_Bps);
  e->has_min_injection = nvl_ld_get_qty(L, ex, "/expect", "min_injection_bandwidth", false,
                                        NVL_QTY_BANDWIDTH, false, &e->min_injection_Bps);
}
