/*
 * types: link, endpoint and switch types, from the catalog and from the design (each complete
 * or `base`d on a catalog entry with overrides).
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/builtin.h"
#include "base/file.h"
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
  static const char *const keys[] = {"bandwidth",  "latency", "efficiency",
                                     "generation", "medium",  NULL};
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
  char medium[16];
  if (nvl_ld_get_string(L, obj, ptr, "medium", false, medium, sizeof medium)) {
    static const char *const media[] = {"nvlink", "c2c", "pcie", "network"};
    int m = nvl_names_find(media, 4, medium, false);
    char p[NVL_DIAG_PTR_MAX];
    nvl_ptr_join(p, sizeof p, ptr, "medium");
    if (m < 0)
      nvl_ld_err(L, NVL_DIAG_SCHEMA, p,
                 "unknown medium \"%s\"; expected nvlink, c2c, pcie or network", medium);
    else
      t.medium = (nvl_medium)m;
  }
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

const char *const nvl_compute_archs[] = {"ampere",          "hopper",  "blackwell",
                                         "blackwell-ultra", "generic", NULL};

/* The profile a type names ("builtin:h200", or a file relative to the design's folder), read
 * once per design: 1 + its index in d->profiles, or 0 after an error. */
static int load_profile(loader *L, const char *ptr, const char *what) {
  nvl_design *d = L->d;
  char name[512];
  bool builtin = strncmp(what, "builtin:", 8) == 0;
  const char *slash = strrchr(d->file, '/');
  if (builtin || what[0] == '/' || !slash || L->in_catalog || strncmp(d->file, "builtin:", 8) == 0)
    snprintf(name, sizeof name, "%s", what);
  else
    snprintf(name, sizeof name, "%.*s/%s", (int)(slash - d->file), d->file, what);
  for (size_t i = 0; i < d->n_profiles; i++)
    if (strcmp(d->profiles[i].name, name) == 0)
      return (int)i + 1;
  char *text = NULL, err[NVL_DIAG_MSG_MAX - 64];
  size_t len = 0;
  if (builtin) {
    if (strcmp(what, "builtin:h200") != 0) {
      nvl_ld_err(L, NVL_DIAG_REFERENCE, ptr,
                 "unknown built-in profile \"%s\" (there is builtin:h200)", what);
      return 0;
    }
    text = nvl_xmalloc(nvl_h200_profile_csv_len + 1);
    memcpy(text, nvl_h200_profile_csv, nvl_h200_profile_csv_len + 1);
    len = nvl_h200_profile_csv_len;
  } else {
    nvl_diags fd = NVL_DIAGS_INIT;
    if (nvl_file_read(name, "profile", 64u << 20, &text, &len, &fd) != 0) {
      nvl_ld_err(L, NVL_DIAG_IO, ptr, "profile %s: %s", name,
                 fd.count ? fd.items[0].message : "unreadable");
      nvl_diags_release(&fd);
      return 0;
    }
    nvl_diags_release(&fd);
  }
  nvl_profile pr;
  int rc = nvl_profile_parse(&pr, name, text, len, err, sizeof err);
  free(text);
  if (rc != 0) {
    nvl_ld_err(L, NVL_DIAG_SCHEMA, ptr, "profile %s: %s", name, err);
    return 0;
  }
  d->profiles = nvl_xrealloc(d->profiles, (d->n_profiles + 1) * sizeof *d->profiles);
  d->profiles[d->n_profiles++] = pr;
  return (int)d->n_profiles;
}

/* An efficiency in [lo, 1] at co[key], or leaves *out. */
static void efficiency(loader *L, json_t *v, const char *ptr, double lo, double *out) {
  if (!json_is_number(v) || !(json_number_value(v) >= lo && json_number_value(v) <= 1))
    nvl_ld_err(L, NVL_DIAG_SCHEMA, ptr, "an efficiency is a share of the peak from %g to 1", lo);
  else
    *out = json_number_value(v);
}

/* The compute model's fields of a `compute` object. */
static void parse_compute_model(loader *L, json_t *co, const char *cp, nvl_compute *c) {
  char p[NVL_DIAG_PTR_MAX];
  static const char *const old[] = {"gemm_fraction", "attention_fraction", "hbm_fraction", NULL};
  for (int i = 0; old[i]; i++)
    if (json_object_get(co, old[i])) {
      nvl_ptr_join(p, sizeof p, cp, old[i]);
      nvl_ld_err(L, NVL_DIAG_SCHEMA, p,
                 "%s was replaced by the operation-level compute model: give \"arch\", and "
                 "where measured \"gemm_efficiency\" {\"bf16\": ...} (large GEMMs), "
                 "\"attention_efficiency\", \"hbm_efficiency\" or a \"profile\"",
                 old[i]);
    }
  json_t *v = json_object_get(co, "arch");
  if (v) {
    nvl_ptr_join(p, sizeof p, cp, "arch");
    int a =
        json_is_string(v) ? nvl_names_find(nvl_compute_archs, 5, json_string_value(v), false) : -1;
    if (a < 0)
      nvl_ld_err(L, NVL_DIAG_SCHEMA, p,
                 "arch is one of ampere, hopper, blackwell, blackwell-ultra, generic");
    else
      snprintf(c->arch, sizeof c->arch, "%s", nvl_compute_archs[a]);
  }
  if ((v = json_object_get(co, "sms"))) {
    nvl_ptr_join(p, sizeof p, cp, "sms");
    if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 4096)
      nvl_ld_err(L, NVL_DIAG_SCHEMA, p, "sms is a whole number of SMs from 1 to 4096");
    else
      c->sms = (int)json_integer_value(v);
  }
  if ((v = json_object_get(co, "clock_mhz"))) {
    nvl_ptr_join(p, sizeof p, cp, "clock_mhz");
    if (!json_is_number(v) || !(json_number_value(v) >= 100 && json_number_value(v) <= 10000))
      nvl_ld_err(L, NVL_DIAG_SCHEMA, p, "clock_mhz is the SM clock in MHz, from 100 to 10000");
    else
      c->clock_hz = json_number_value(v) * 1e6;
  }
  if ((v = json_object_get(co, "gemm_efficiency"))) {
    nvl_ptr_join(p, sizeof p, cp, "gemm_efficiency");
    const char *k;
    json_t *e;
    nvl_precision pr;
    if (!json_is_object(v))
      nvl_ld_err(L, NVL_DIAG_SCHEMA, p, "gemm_efficiency is an object such as {\"bf16\": 0.8}");
    json_object_foreach(v, k, e) {
      char q[NVL_DIAG_PTR_MAX];
      nvl_ptr_join(q, sizeof q, p, k);
      if (nvl_precision_parse(k, &pr) != 0)
        nvl_ld_err(L, NVL_DIAG_SCHEMA, q, "not a precision (bf16, fp8, fp4)");
      else
        efficiency(L, e, q, 0.01, &c->gemm_eff[pr]);
    }
  }
  if ((v = json_object_get(co, "attention_efficiency"))) {
    nvl_ptr_join(p, sizeof p, cp, "attention_efficiency");
    efficiency(L, v, p, 0.01, &c->attn_eff);
  }
  if ((v = json_object_get(co, "hbm_efficiency"))) {
    nvl_ptr_join(p, sizeof p, cp, "hbm_efficiency");
    efficiency(L, v, p, 0.05, &c->hbm_eff);
  }
  if ((v = json_object_get(co, "profile"))) {
    nvl_ptr_join(p, sizeof p, cp, "profile");
    if (!json_is_string(v) || !json_string_value(v)[0] || strlen(json_string_value(v)) > 400 ||
        strcmp(json_string_value(v), "-") == 0)
      nvl_ld_err(L, NVL_DIAG_SCHEMA, p,
                 "profile is \"builtin:h200\" or an operation table's path (relative to the "
                 "design), at most 400 bytes");
    else
      c->profile = load_profile(L, p, json_string_value(v));
  }
}

/* The `compute` object of an endpoint type: each field given overrides the base's. */
static void parse_compute(loader *L, json_t *obj, const char *ptr, nvl_compute *c) {
  json_t *co = nvl_ld_get_typed(L, obj, ptr, "compute", JSON_OBJECT, false);
  if (!co)
    return;
  char cp[NVL_DIAG_PTR_MAX];
  nvl_ptr_join(cp, sizeof cp, ptr, "compute");
  static const char *const keys[] = {"bf16",
                                     "fp8",
                                     "fp4",
                                     "hbm",
                                     "hbm_bandwidth",
                                     "power",
                                     "arch",
                                     "sms",
                                     "clock_mhz",
                                     "gemm_efficiency",
                                     "attention_efficiency",
                                     "hbm_efficiency",
                                     "profile",
                                     "gemm_fraction",
                                     "attention_fraction",
                                     "hbm_fraction",
                                     "fraction_source",
                                     "source",
                                     "estimates",
                                     "note",
                                     NULL};
  nvl_ld_check_keys(L, co, cp, keys);
  for (int p = 0; p < NVL_PREC__COUNT; p++)
    nvl_ld_get_qty(L, co, cp, nvl_precision_name((nvl_precision)p), false, NVL_QTY_FLOPS, false,
                   &c->flops[p]);
  nvl_ld_get_qty(L, co, cp, "hbm", false, NVL_QTY_SIZE, false, &c->hbm_bytes);
  nvl_ld_get_qty(L, co, cp, "hbm_bandwidth", false, NVL_QTY_BANDWIDTH, false, &c->hbm_Bps);
  nvl_ld_get_qty(L, co, cp, "power", false, NVL_QTY_POWER, false, &c->power_W);
  parse_compute_model(L, co, cp, c);
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
