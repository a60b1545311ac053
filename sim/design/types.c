/*
 * types: link, endpoint and switch types, from the catalog and from the design (each complete
 * or `base`d on a catalog entry with overrides).
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "base/names.h"
#include "design/loader.h"

/* The last type named `name` in an array of type structs (their name first, from_catalog at
 * the given offset): a design's own types shadow the catalog's. */
static int find_type(const void *arr, size_t n, size_t stride, size_t catalog_at, const char *name,
                     bool catalog_only) {
  for (size_t i = n; i-- > 0;) {
    const char *t = (const char *)arr + i * stride;
    if ((!catalog_only || *(const bool *)(t + catalog_at)) && strcmp(t, name) == 0)
      return (int)i;
  }
  return -1;
}

int nvl_ld_find_lt(const nvl_design *d, const char *name, bool catalog_only) {
  return find_type(d->link_types, d->n_link_types, sizeof(nvl_link_type),
                   offsetof(nvl_link_type, from_catalog), name, catalog_only);
}

int nvl_ld_find_et(const nvl_design *d, const char *name, bool catalog_only) {
  return find_type(d->endpoint_types, d->n_endpoint_types, sizeof(nvl_endpoint_type),
                   offsetof(nvl_endpoint_type, from_catalog), name, catalog_only);
}

int nvl_ld_find_st(const nvl_design *d, const char *name, bool catalog_only) {
  return find_type(d->switch_types, d->n_switch_types, sizeof(nvl_switch_type),
                   offsetof(nvl_switch_type, from_catalog), name, catalog_only);
}

int nvl_ld_link_type(loader *L, const char *name, const char *ptr, const char *key,
                     bool catalog_only) {
  int lt = nvl_ld_find_lt(L->d, name, catalog_only);
  if (lt < 0) {
    char p[NVL_DIAG_PTR_MAX];
    if (key)
      nvl_ptr_join(p, sizeof p, ptr, key);
    else
      snprintf(p, sizeof p, "%s", ptr);
    nvl_ld_unknown(L, p, catalog_only ? "catalog link type" : "link type", name, L->d->link_types,
                   L->d->n_link_types, sizeof(nvl_link_type));
  }
  return lt;
}

static const char *const common_type_keys[] = {"base", "source", "estimates", "note"};

static bool keys_with_common(loader *L, json_t *obj, const char *ptr, const char *const *own) {
  const char *all[24];
  size_t n = 0;
  for (const char *const *k = own; *k && n < 18; k++)
    all[n++] = *k;
  for (size_t i = 0; i < 4; i++)
    all[n++] = common_type_keys[i];
  all[n] = NULL;
  nvl_ld_check_keys(L, obj, ptr, all);
  json_t *est = json_object_get(obj, "estimates");
  if (est && !json_is_array(est)) {
    char p[NVL_DIAG_PTR_MAX];
    nvl_ptr_join(p, sizeof p, ptr, "estimates");
    nvl_ld_err(L, NVL_DIAG_SCHEMA, p, "expected an array of field names, got %s",
               nvl_json_type_name(est));
  }
  return true;
}

/* The catalog type named by obj.base, if any: its index (>= 0); -1 without a base; -2 after
 * reporting an unknown one. */
static int base_type(loader *L, json_t *obj, const char *ptr, const char *what,
                     int (*find)(const nvl_design *, const char *, bool), const void *arr, size_t n,
                     size_t stride) {
  char base[NVL_NAME_MAX] = "";
  if (!nvl_ld_get_string(L, obj, ptr, "base", false, base, sizeof base))
    return -1;
  int b = find(L->d, base, true);
  if (b >= 0)
    return b;
  char p[NVL_DIAG_PTR_MAX];
  nvl_ptr_join(p, sizeof p, ptr, "base");
  nvl_ld_unknown(L, p, what, base, arr, n, stride);
  return -2;
}

static void parse_link_type(loader *L, const char *name, json_t *obj, const char *ptr) {
  static const char *const keys[] = {"bandwidth", "latency", "efficiency", "generation", NULL};
  keys_with_common(L, obj, ptr, keys);
  nvl_link_type t = {.efficiency = 1.0};
  snprintf(t.name, sizeof t.name, "%s", name);
  int b = base_type(L, obj, ptr, "catalog link type", nvl_ld_find_lt, L->d->link_types,
                    L->d->n_link_types, sizeof(nvl_link_type));
  bool based = b >= 0;
  if (based) {
    t = L->d->link_types[b];
    snprintf(t.name, sizeof t.name, "%s", name);
  }
  nvl_ld_get_qty(L, obj, ptr, "bandwidth", !based && !json_object_get(obj, "base"),
                 NVL_QTY_BANDWIDTH, false, &t.bw_Bps);
  nvl_ld_get_qty(L, obj, ptr, "latency", !based && !json_object_get(obj, "base"), NVL_QTY_TIME,
                 true, &t.lat_s);
  json_t *eff = json_object_get(obj, "efficiency");
  if (eff) {
    char p[NVL_DIAG_PTR_MAX];
    nvl_ptr_join(p, sizeof p, ptr, "efficiency");
    double e = json_is_number(eff) ? json_number_value(eff) : -1;
    if (!json_is_number(eff) || !(e > 0.0 && e <= 1.0))
      nvl_ld_err(L, NVL_DIAG_QUANTITY, p, "efficiency must be a number in (0, 1]");
    else
      t.efficiency = e;
  }
  long long gen;
  if (nvl_ld_get_int(L, obj, ptr, "generation", false, 0, 99, &gen))
    t.generation = (int)gen;
  nvl_ld_get_string(L, obj, ptr, "source", false, t.source, sizeof t.source);
  t.from_catalog = L->in_catalog;
  if (!based)
    t.family = (int)L->d->n_link_types; /* a root type is its own family */
  if (L->d->n_link_types >= NVL_MAX_LINK_TYPES) {
    nvl_ld_err(L, NVL_DIAG_LIMIT, ptr, "more than %d link types", NVL_MAX_LINK_TYPES);
    return;
  }
  GROW(L->d->link_types, L->d->n_link_types, L->cap_lt);
  L->d->link_types[L->d->n_link_types++] = t;
}

static bool parse_kind(loader *L, json_t *obj, const char *ptr, nvl_kind *out) {
  char k[32];
  if (!nvl_ld_get_string(L, obj, ptr, "kind", false, k, sizeof k))
    return false;
  static const char *const names[] = {"gpu", "cpu", "asic", "nic"};
  int i = nvl_names_find(names, 4, k, false);
  if (i >= 0) {
    *out = (nvl_kind)i;
    return true;
  }
  char p[NVL_DIAG_PTR_MAX];
  nvl_ptr_join(p, sizeof p, ptr, "kind");
  nvl_ld_err(L, NVL_DIAG_SCHEMA, p, "unknown endpoint kind \"%s\"; expected gpu, cpu, asic or nic",
             k);
  return false;
}

const char *nvl_precision_name(nvl_precision p) {
  static const char *const names[] = {"bf16", "fp8", "fp4"};
  return p < NVL_PREC__COUNT ? names[p] : "?";
}

int nvl_precision_parse(const char *name, nvl_precision *out) {
  for (int p = 0; p < NVL_PREC__COUNT; p++)
    if (strcmp(name, nvl_precision_name((nvl_precision)p)) == 0) {
      *out = (nvl_precision)p;
      return 0;
    }
  return -1;
}

double nvl_precision_bytes(nvl_precision p) {
  return p == NVL_PREC_FP4 ? 0.5 : p == NVL_PREC_FP8 ? 1.0 : 2.0;
}

/* The `compute` object of an endpoint type: each field given overrides the base's. */
static void parse_compute(loader *L, json_t *obj, const char *ptr, nvl_compute *c) {
  json_t *co = nvl_ld_get_typed(L, obj, ptr, "compute", JSON_OBJECT, false);
  if (!co)
    return;
  char cp[NVL_DIAG_PTR_MAX];
  nvl_ptr_join(cp, sizeof cp, ptr, "compute");
  static const char *const keys[] = {"bf16",          "fp8",
                                     "fp4",           "hbm",
                                     "hbm_bandwidth", "power",
                                     "gemm_fraction", "attention_fraction",
                                     "hbm_fraction",  "fraction_source",
                                     "source",        "estimates",
                                     "note",          NULL};
  nvl_ld_check_keys(L, co, cp, keys);
  for (int p = 0; p < NVL_PREC__COUNT; p++)
    nvl_ld_get_qty(L, co, cp, nvl_precision_name((nvl_precision)p), false, NVL_QTY_FLOPS, false,
                   &c->flops[p]);
  nvl_ld_get_qty(L, co, cp, "hbm", false, NVL_QTY_SIZE, false, &c->hbm_bytes);
  nvl_ld_get_qty(L, co, cp, "hbm_bandwidth", false, NVL_QTY_BANDWIDTH, false, &c->hbm_Bps);
  nvl_ld_get_qty(L, co, cp, "power", false, NVL_QTY_POWER, false, &c->power_W);
  const char *fr[] = {"gemm_fraction", "attention_fraction", "hbm_fraction"};
  double *fv[] = {&c->gemm_frac, &c->attn_frac, &c->hbm_frac};
  for (int i = 0; i < 3; i++) {
    json_t *v = json_object_get(co, fr[i]);
    if (!v)
      continue;
    char p[NVL_DIAG_PTR_MAX];
    nvl_ptr_join(p, sizeof p, cp, fr[i]);
    if (!json_is_number(v) || !(json_number_value(v) > 0 && json_number_value(v) <= 1))
      nvl_ld_err(L, NVL_DIAG_SCHEMA, p, "%s is a fraction of the peak, above 0 and at most 1",
                 fr[i]);
    else
      *fv[i] = json_number_value(v);
  }
  nvl_ld_get_string(L, co, cp, "source", false, c->source, sizeof c->source);
}

static void parse_endpoint_type(loader *L, const char *name, json_t *obj, const char *ptr) {
  static const char *const keys[] = {"kind", "vendor", "ports", "op_overhead", "compute", NULL};
  keys_with_common(L, obj, ptr, keys);
  nvl_design *d = L->d;
  nvl_endpoint_type t = {.kind = NVL_KIND_GPU};
  snprintf(t.name, sizeof t.name, "%s", name);
  int b = base_type(L, obj, ptr, "catalog endpoint type", nvl_ld_find_et, d->endpoint_types,
                    d->n_endpoint_types, sizeof(nvl_endpoint_type));
  bool based = b >= 0;
  if (based) {
    const nvl_endpoint_type *bt = &d->endpoint_types[b];
    t.kind = bt->kind;
    memcpy(t.vendor, bt->vendor, sizeof t.vendor);
    memcpy(t.ports, bt->ports, sizeof t.ports);
    t.op_overhead_s = bt->op_overhead_s;
    t.compute = bt->compute;
    memcpy(t.source, bt->source, sizeof t.source);
  }
  bool any_base = based || json_object_get(obj, "base");
  if (!parse_kind(L, obj, ptr, &t.kind) && !any_base && !json_object_get(obj, "kind"))
    nvl_ld_err(L, NVL_DIAG_SCHEMA, ptr, "missing required key \"kind\"");
  if (!nvl_ld_get_string(L, obj, ptr, "vendor", false, t.vendor, sizeof t.vendor) && !t.vendor[0])
    snprintf(t.vendor, sizeof t.vendor, "unspecified");
  json_t *ports = nvl_ld_get_typed(L, obj, ptr, "ports", JSON_OBJECT, !any_base);
  if (ports) {
    char pp[NVL_DIAG_PTR_MAX];
    nvl_ptr_join(pp, sizeof pp, ptr, "ports");
    const char *lt;
    json_t *v;
    json_object_foreach(ports, lt, v) {
      int li = nvl_ld_link_type(L, lt, pp, lt, false);
      if (li < 0)
        continue;
      long long n;
      if (nvl_ld_get_int(L, ports, pp, lt, true, 0, 4096, &n))
        t.ports[li] = (int)n;
    }
  }
  nvl_ld_get_qty(L, obj, ptr, "op_overhead", false, NVL_QTY_TIME, true, &t.op_overhead_s);
  parse_compute(L, obj, ptr, &t.compute);
  nvl_ld_get_string(L, obj, ptr, "source", false, t.source, sizeof t.source);
  t.from_catalog = L->in_catalog;
  GROW(d->endpoint_types, d->n_endpoint_types, L->cap_et);
  d->endpoint_types[d->n_endpoint_types++] = t;
}

static void parse_switch_type(loader *L, const char *name, json_t *obj, const char *ptr) {
  static const char *const keys[] = {"ports", "port_link", "latency", "in_switch_reduction", NULL};
  keys_with_common(L, obj, ptr, keys);
  nvl_design *d = L->d;
  nvl_switch_type t = {.port_link = -1};
  snprintf(t.name, sizeof t.name, "%s", name);
  int b = base_type(L, obj, ptr, "catalog switch type", nvl_ld_find_st, d->switch_types,
                    d->n_switch_types, sizeof(nvl_switch_type));
  bool based = b >= 0;
  if (based) {
    t = d->switch_types[b];
    snprintf(t.name, sizeof t.name, "%s", name);
  }
  bool req = !based && !json_object_get(obj, "base");
  long long n;
  if (nvl_ld_get_int(L, obj, ptr, "ports", req, 1, 65536, &n))
    t.ports = (int)n;
  char pl[NVL_NAME_MAX];
  if (nvl_ld_get_string(L, obj, ptr, "port_link", req, pl, sizeof pl)) {
    t.port_link = nvl_ld_link_type(L, pl, ptr, "port_link", false);
  }
  nvl_ld_get_qty(L, obj, ptr, "latency", req, NVL_QTY_TIME, true, &t.lat_s);
  json_t *r = nvl_ld_get_typed(L, obj, ptr, "in_switch_reduction", JSON_TRUE, false);
  if (r)
    t.reduction = json_is_true(r);
  nvl_ld_get_string(L, obj, ptr, "source", false, t.source, sizeof t.source);
  t.from_catalog = L->in_catalog;
  GROW(d->switch_types, d->n_switch_types, L->cap_st);
  d->switch_types[d->n_switch_types++] = t;
}

typedef void (*type_parser)(loader *, const char *, json_t *, const char *);

static void parse_type_section(loader *L, json_t *root, const char *key, type_parser fn) {
  json_t *sec = nvl_ld_get_typed(L, root, "", key, JSON_OBJECT, false);
  if (!sec)
    return;
  char sp[NVL_DIAG_PTR_MAX];
  nvl_ptr_join(sp, sizeof sp, "", key);
  const char *name;
  json_t *v;
  json_object_foreach(sec, name, v) {
    char p[NVL_DIAG_PTR_MAX];
    nvl_ptr_join(p, sizeof p, sp, name);
    if (!nvl_ld_valid_name(name)) {
      nvl_ld_err(L, NVL_DIAG_SCHEMA, p, "invalid name \"%.60s\": " NVL_LD_NAME_RULE, name);
      continue;
    }
    if (!json_is_object(v)) {
      nvl_ld_err(L, NVL_DIAG_SCHEMA, p, "expected an object, got %s", nvl_json_type_name(v));
      continue;
    }
    fn(L, name, v, p);
  }
}

void nvl_ld_parse_types(loader *L, json_t *root) {
  parse_type_section(L, root, "link_types", parse_link_type);
  parse_type_section(L, root, "endpoint_types", parse_endpoint_type);
  parse_type_section(L, root, "switch_types", parse_switch_type);
}
