/*
 * design: loader and expansion of cluster designs (see design.h for the model).
 *
 * Loading happens in passes over the parsed JSON, each appending diagnostics in document order:
 *   1. the embedded catalog is parsed into the type tables (flagged from_catalog);
 *   2. the design's own types, each optionally `base`d on a catalog entry with overrides;
 *   3. group templates are parsed, checked for cycles and sized (overflow-safe, capped by
 *      max_endpoints before anything is allocated);
 *   4. the system group is expanded depth-first: devices get global per-prefix numbers, and each
 *      group instance's wiring rules apply to the devices created inside it;
 *   5. explicit links, then whole-design checks (disconnected devices, unused ports, asymmetry).
 * Port budgets and link-type compatibility are checked as links are added, so that the rule that
 * crossed a budget is the one named. Errors about many devices are reported once per rule with
 * the first device and a count, not once per device.
 */
#include "design/design.h"

#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"
#include <sys/stat.h>

#include "base/builtin.h"
#include "base/units.h"

#define MAX_LINK_BUNDLES 8000000u

/* ---------------------------------------------------------------------------------------- */
/* Small helpers                                                                             */

#define GROW(arr, n, cap)                                                                          \
  do {                                                                                             \
    if ((n) == (cap)) {                                                                            \
      (cap) = (cap) ? (cap)*2 : 16;                                                                \
      (arr) = nvl_xrealloc((arr), (cap) * sizeof *(arr));                                          \
    }                                                                                              \
  } while (0)

const char *nvl_kind_name(nvl_kind kind) {
  static const char *const names[] = {"gpu", "cpu", "asic", "nic", "switch"};
  return kind <= NVL_KIND_SWITCH ? names[kind] : "?";
}

bool nvl_kind_is_accelerator(nvl_kind kind) {
  return kind == NVL_KIND_GPU || kind == NVL_KIND_ASIC;
}

static size_t edit_distance(const char *a, const char *b) {
  size_t la = strlen(a), lb = strlen(b);
  if (la > 64 || lb > 64)
    return SIZE_MAX;
  size_t row[65];
  for (size_t j = 0; j <= lb; j++)
    row[j] = j;
  for (size_t i = 1; i <= la; i++) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= lb; j++) {
      size_t up = row[j];
      size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      size_t best = diag + cost;
      if (row[j] + 1 < best)
        best = row[j] + 1;
      if (row[j - 1] + 1 < best)
        best = row[j - 1] + 1;
      row[j] = best;
      diag = up;
    }
  }
  return row[lb];
}

/* Writes ` (did you mean "x"?)` into buf when a candidate is close to `word`, else "". */
typedef struct {
  const char *word;
  const char *best;
  size_t best_d;
} suggest;

static void suggest_offer(suggest *s, const char *cand) {
  size_t d = edit_distance(s->word, cand);
  size_t limit = strlen(s->word) <= 4 ? 1 : 2;
  if (d <= limit && d < s->best_d) {
    s->best = cand;
    s->best_d = d;
  }
}

static void suggest_text(const suggest *s, char *buf, size_t len) {
  if (s->best)
    snprintf(buf, len, " (did you mean \"%s\"?)", s->best);
  else
    buf[0] = '\0';
}

/* ---------------------------------------------------------------------------------------- */
/* Loader state                                                                              */

typedef struct {
  char ptr[NVL_DIAG_PTR_MAX];
  json_t *body;
  int state; /* 0 unvisited, 1 on stack, 2 sized */
  uint64_t
      devices; /* devices one instance creates (devices and nested group instances: size_group) */
  char name[NVL_NAME_MAX];
} group_tmpl;

typedef struct {
  nvl_design *d;
  nvl_diags *diags;
  const nvl_load_opts *opts;
  size_t cap_devices, cap_links, cap_prefixes, cap_groups, cap_origins;
  size_t cap_lt, cap_et, cap_st;
  group_tmpl *tmpls;
  size_t n_tmpls;
  int *used; /* ports used per device per link type: used[dev * n_link_types + lt] */
  int *mark; /* per device: last rule origin + 1 that counted it in a tally */
  size_t mark_cap;
  char (*bad_names)[NVL_NAME_MAX]; /* device names whose declaration failed */
  size_t n_bad_names;
  size_t used_cap;
  bool in_catalog;
} loader;

static void err(loader *L, nvl_diag_code code, const char *ptr, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void err(loader *L, nvl_diag_code code, const char *ptr, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  nvl_diag_addv(L->diags, NVL_SEV_ERROR, code, ptr, fmt, ap);
  va_end(ap);
}

static void warn(loader *L, nvl_diag_code code, const char *ptr, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void warn(loader *L, nvl_diag_code code, const char *ptr, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  nvl_diag_addv(L->diags, NVL_SEV_WARNING, code, ptr, fmt, ap);
  va_end(ap);
}

static const char *json_type_name(const json_t *v) {
  switch (json_typeof(v)) {
  case JSON_OBJECT: return "an object";
  case JSON_ARRAY: return "an array";
  case JSON_STRING: return "a string";
  case JSON_INTEGER: return "an integer";
  case JSON_REAL: return "a number";
  case JSON_TRUE:
  case JSON_FALSE: return "a boolean";
  default: return "null";
  }
}

/* Reports keys of `obj` that are not in `allowed` (NULL-terminated). */
static void check_keys(loader *L, json_t *obj, const char *ptr, const char *const *allowed) {
  const char *key;
  json_t *val;
  json_object_foreach(obj, key, val) {
    bool ok = false;
    for (const char *const *a = allowed; *a; a++)
      if (strcmp(key, *a) == 0)
        ok = true;
    if (ok)
      continue;
    suggest s = {key, NULL, SIZE_MAX};
    for (const char *const *a = allowed; *a; a++)
      suggest_offer(&s, *a);
    char hint[96], p[NVL_DIAG_PTR_MAX];
    suggest_text(&s, hint, sizeof hint);
    nvl_ptr_join(p, sizeof p, ptr, key);
    err(L, NVL_DIAG_UNKNOWN_KEY, p, "unknown key \"%.60s\"%s", key, hint);
  }
}

/* Typed getters: return NULL/false when absent; report a SCHEMA error when present but wrong. */
static json_t *get_typed(loader *L, json_t *obj, const char *ptr, const char *key, json_type t,
                         bool required) {
  char p[NVL_DIAG_PTR_MAX];
  nvl_ptr_join(p, sizeof p, ptr, key);
  json_t *v = json_object_get(obj, key);
  if (!v) {
    if (required)
      err(L, NVL_DIAG_SCHEMA, ptr, "missing required key \"%s\"", key);
    return NULL;
  }
  bool ok = json_typeof(v) == t || (t == JSON_TRUE && json_is_boolean(v));
  if (!ok) {
    const char *want = t == JSON_OBJECT    ? "an object"
                       : t == JSON_ARRAY   ? "an array"
                       : t == JSON_STRING  ? "a string"
                       : t == JSON_INTEGER ? "an integer"
                                           : "a boolean";
    if (t == JSON_STRING && json_is_number(v))
      err(L, NVL_DIAG_QUANTITY, p, "expected a string with a unit, got the bare number %g",
          json_number_value(v));
    else
      err(L, NVL_DIAG_SCHEMA, p, "expected %s, got %s", want, json_type_name(v));
    return NULL;
  }
  return v;
}

static bool get_string(loader *L, json_t *obj, const char *ptr, const char *key, bool required,
                       char *out, size_t len) {
  json_t *v = get_typed(L, obj, ptr, key, JSON_STRING, required);
  if (!v)
    return false;
  const char *s = json_string_value(v);
  if (strlen(s) >= len) {
    char p[NVL_DIAG_PTR_MAX];
    nvl_ptr_join(p, sizeof p, ptr, key);
    err(L, NVL_DIAG_LIMIT, p, "string is %zu bytes long; at most %zu allowed", strlen(s), len - 1);
    return false;
  }
  memcpy(out, s, strlen(s) + 1);
  return true;
}

static bool get_int(loader *L, json_t *obj, const char *ptr, const char *key, bool required,
                    long long lo, long long hi, long long *out) {
  json_t *v = get_typed(L, obj, ptr, key, JSON_INTEGER, required);
  if (!v)
    return false;
  long long x = json_integer_value(v);
  if (x < lo || x > hi) {
    char p[NVL_DIAG_PTR_MAX];
    nvl_ptr_join(p, sizeof p, ptr, key);
    err(L, NVL_DIAG_QUANTITY, p, "%s is %lld; must be between %lld and %lld", key, x, lo, hi);
    return false;
  }
  *out = x;
  return true;
}

static bool get_qty(loader *L, json_t *obj, const char *ptr, const char *key, bool required,
                    nvl_qty_kind kind, bool allow_zero, double *out) {
  char s[128];
  if (!get_string(L, obj, ptr, key, required, s, sizeof s))
    return false;
  char e[160], p[NVL_DIAG_PTR_MAX];
  int rc = allow_zero && kind == NVL_QTY_TIME ? nvl_units_parse_time0(s, out, e, sizeof e)
                                              : nvl_units_parse(s, kind, out, e, sizeof e);
  if (rc != 0) {
    nvl_ptr_join(p, sizeof p, ptr, key);
    err(L, NVL_DIAG_QUANTITY, p, "%s", e);
    return false;
  }
  return true;
}

/* Names: a letter first, then letters, digits, '-', '_' or '.'; at most NVL_NAME_MAX-1. */
static bool valid_name(const char *s) {
  size_t n = strlen(s);
  if (n == 0 || n >= NVL_NAME_MAX - 12)
    return false;
  if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')))
    return false;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.';
    if (!ok)
      return false;
  }
  return true;
}

/* ---------------------------------------------------------------------------------------- */
/* Types                                                                                     */

static int find_lt(const nvl_design *d, const char *name, bool catalog_only) {
  for (size_t i = d->n_link_types; i-- > 0;)
    if ((!catalog_only || d->link_types[i].from_catalog) &&
        strcmp(d->link_types[i].name, name) == 0)
      return (int)i;
  return -1;
}

static int find_et(const nvl_design *d, const char *name, bool catalog_only) {
  for (size_t i = d->n_endpoint_types; i-- > 0;)
    if ((!catalog_only || d->endpoint_types[i].from_catalog) &&
        strcmp(d->endpoint_types[i].name, name) == 0)
      return (int)i;
  return -1;
}

static int find_st(const nvl_design *d, const char *name, bool catalog_only) {
  for (size_t i = d->n_switch_types; i-- > 0;)
    if ((!catalog_only || d->switch_types[i].from_catalog) &&
        strcmp(d->switch_types[i].name, name) == 0)
      return (int)i;
  return -1;
}

int nvl_design_find_link_type(const nvl_design *d, const char *name) {
  return find_lt(d, name, false);
}

/* Suggests among names stored inline in structs (name is the first member of each type). */
static void unknown_inline(loader *L, const char *ptr, const char *what, const char *name,
                           const void *arr, size_t n, size_t stride) {
  suggest s = {name, NULL, SIZE_MAX};
  for (size_t i = 0; i < n; i++)
    suggest_offer(&s, (const char *)arr + i * stride);
  char hint[96];
  suggest_text(&s, hint, sizeof hint);
  err(L, NVL_DIAG_REFERENCE, ptr, "unknown %s \"%.60s\"%s", what, name, hint);
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
  check_keys(L, obj, ptr, all);
  json_t *est = json_object_get(obj, "estimates");
  if (est && !json_is_array(est)) {
    char p[NVL_DIAG_PTR_MAX];
    nvl_ptr_join(p, sizeof p, ptr, "estimates");
    err(L, NVL_DIAG_SCHEMA, p, "expected an array of field names, got %s", json_type_name(est));
  }
  return true;
}

static void parse_link_type(loader *L, const char *name, json_t *obj, const char *ptr) {
  static const char *const keys[] = {"bandwidth", "latency", "efficiency", "generation", NULL};
  keys_with_common(L, obj, ptr, keys);
  nvl_link_type t = {.efficiency = 1.0};
  snprintf(t.name, sizeof t.name, "%s", name);
  char base[NVL_NAME_MAX] = "";
  bool based = get_string(L, obj, ptr, "base", false, base, sizeof base);
  if (based) {
    int b = find_lt(L->d, base, true);
    if (b < 0) {
      char p[NVL_DIAG_PTR_MAX];
      nvl_ptr_join(p, sizeof p, ptr, "base");
      unknown_inline(L, p, "catalog link type", base, L->d->link_types, L->d->n_link_types,
                     sizeof(nvl_link_type));
      based = false;
    } else {
      t = L->d->link_types[b];
      snprintf(t.name, sizeof t.name, "%s", name);
    }
  }
  get_qty(L, obj, ptr, "bandwidth", !based && !json_object_get(obj, "base"), NVL_QTY_BANDWIDTH,
          false, &t.bw_Bps);
  get_qty(L, obj, ptr, "latency", !based && !json_object_get(obj, "base"), NVL_QTY_TIME, true,
          &t.lat_s);
  json_t *eff = json_object_get(obj, "efficiency");
  if (eff) {
    char p[NVL_DIAG_PTR_MAX];
    nvl_ptr_join(p, sizeof p, ptr, "efficiency");
    double e = json_is_number(eff) ? json_number_value(eff) : -1;
    if (!json_is_number(eff) || !(e > 0.0 && e <= 1.0))
      err(L, NVL_DIAG_QUANTITY, p, "efficiency must be a number in (0, 1]");
    else
      t.efficiency = e;
  }
  long long gen;
  if (get_int(L, obj, ptr, "generation", false, 0, 99, &gen))
    t.generation = (int)gen;
  get_string(L, obj, ptr, "source", false, t.source, sizeof t.source);
  t.from_catalog = L->in_catalog;
  if (!based)
    t.family = (int)L->d->n_link_types; /* a root type is its own family */
  if (L->d->n_link_types >= NVL_MAX_LINK_TYPES) {
    err(L, NVL_DIAG_LIMIT, ptr, "more than %d link types", NVL_MAX_LINK_TYPES);
    return;
  }
  GROW(L->d->link_types, L->d->n_link_types, L->cap_lt);
  L->d->link_types[L->d->n_link_types++] = t;
}

static bool parse_kind(loader *L, json_t *obj, const char *ptr, nvl_kind *out) {
  char k[32];
  if (!get_string(L, obj, ptr, "kind", false, k, sizeof k))
    return false;
  static const char *const names[] = {"gpu", "cpu", "asic", "nic"};
  for (int i = 0; i < 4; i++)
    if (strcmp(k, names[i]) == 0) {
      *out = (nvl_kind)i;
      return true;
    }
  char p[NVL_DIAG_PTR_MAX];
  nvl_ptr_join(p, sizeof p, ptr, "kind");
  err(L, NVL_DIAG_SCHEMA, p, "unknown endpoint kind \"%s\"; expected gpu, cpu, asic or nic", k);
  return false;
}

static void parse_endpoint_type(loader *L, const char *name, json_t *obj, const char *ptr) {
  static const char *const keys[] = {"kind", "vendor", "ports", "op_overhead", NULL};
  keys_with_common(L, obj, ptr, keys);
  nvl_design *d = L->d;
  nvl_endpoint_type t = {.kind = NVL_KIND_GPU};
  snprintf(t.name, sizeof t.name, "%s", name);
  char base[NVL_NAME_MAX] = "";
  bool based = get_string(L, obj, ptr, "base", false, base, sizeof base);
  if (based) {
    int b = find_et(d, base, true);
    if (b < 0) {
      char p[NVL_DIAG_PTR_MAX];
      nvl_ptr_join(p, sizeof p, ptr, "base");
      unknown_inline(L, p, "catalog endpoint type", base, d->endpoint_types, d->n_endpoint_types,
                     sizeof(nvl_endpoint_type));
      based = false;
    } else {
      const nvl_endpoint_type *bt = &d->endpoint_types[b];
      t.kind = bt->kind;
      memcpy(t.vendor, bt->vendor, sizeof t.vendor);
      memcpy(t.ports, bt->ports, sizeof t.ports);
      t.op_overhead_s = bt->op_overhead_s;
      memcpy(t.source, bt->source, sizeof t.source);
    }
  }
  bool any_base = based || json_object_get(obj, "base");
  if (!parse_kind(L, obj, ptr, &t.kind) && !any_base && !json_object_get(obj, "kind"))
    err(L, NVL_DIAG_SCHEMA, ptr, "missing required key \"kind\"");
  if (!get_string(L, obj, ptr, "vendor", false, t.vendor, sizeof t.vendor) && !t.vendor[0])
    snprintf(t.vendor, sizeof t.vendor, "unspecified");
  json_t *ports = get_typed(L, obj, ptr, "ports", JSON_OBJECT, !any_base);
  if (ports) {
    char pp[NVL_DIAG_PTR_MAX];
    nvl_ptr_join(pp, sizeof pp, ptr, "ports");
    const char *lt;
    json_t *v;
    json_object_foreach(ports, lt, v) {
      char p[NVL_DIAG_PTR_MAX];
      nvl_ptr_join(p, sizeof p, pp, lt);
      int li = find_lt(d, lt, false);
      if (li < 0) {
        unknown_inline(L, p, "link type", lt, d->link_types, d->n_link_types,
                       sizeof(nvl_link_type));
        continue;
      }
      long long n;
      if (get_int(L, ports, pp, lt, true, 0, 4096, &n))
        t.ports[li] = (int)n;
    }
  }
  get_qty(L, obj, ptr, "op_overhead", false, NVL_QTY_TIME, true, &t.op_overhead_s);
  get_string(L, obj, ptr, "source", false, t.source, sizeof t.source);
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
  char base[NVL_NAME_MAX] = "";
  bool based = get_string(L, obj, ptr, "base", false, base, sizeof base);
  if (based) {
    int b = find_st(d, base, true);
    if (b < 0) {
      char p[NVL_DIAG_PTR_MAX];
      nvl_ptr_join(p, sizeof p, ptr, "base");
      unknown_inline(L, p, "catalog switch type", base, d->switch_types, d->n_switch_types,
                     sizeof(nvl_switch_type));
      based = false;
    } else {
      t = d->switch_types[b];
      snprintf(t.name, sizeof t.name, "%s", name);
    }
  }
  bool req = !based && !json_object_get(obj, "base");
  long long n;
  if (get_int(L, obj, ptr, "ports", req, 1, 65536, &n))
    t.ports = (int)n;
  char pl[NVL_NAME_MAX];
  if (get_string(L, obj, ptr, "port_link", req, pl, sizeof pl)) {
    int li = find_lt(d, pl, false);
    if (li < 0) {
      char p[NVL_DIAG_PTR_MAX];
      nvl_ptr_join(p, sizeof p, ptr, "port_link");
      unknown_inline(L, p, "link type", pl, d->link_types, d->n_link_types, sizeof(nvl_link_type));
    } else {
      t.port_link = li;
    }
  }
  get_qty(L, obj, ptr, "latency", req, NVL_QTY_TIME, true, &t.lat_s);
  json_t *r = get_typed(L, obj, ptr, "in_switch_reduction", JSON_TRUE, false);
  if (r)
    t.reduction = json_is_true(r);
  get_string(L, obj, ptr, "source", false, t.source, sizeof t.source);
  t.from_catalog = L->in_catalog;
  GROW(d->switch_types, d->n_switch_types, L->cap_st);
  d->switch_types[d->n_switch_types++] = t;
}

typedef void (*type_parser)(loader *, const char *, json_t *, const char *);

static void parse_type_section(loader *L, json_t *root, const char *key, type_parser fn) {
  json_t *sec = get_typed(L, root, "", key, JSON_OBJECT, false);
  if (!sec)
    return;
  char sp[NVL_DIAG_PTR_MAX];
  nvl_ptr_join(sp, sizeof sp, "", key);
  const char *name;
  json_t *v;
  json_object_foreach(sec, name, v) {
    char p[NVL_DIAG_PTR_MAX];
    nvl_ptr_join(p, sizeof p, sp, name);
    if (!valid_name(name)) {
      err(L, NVL_DIAG_SCHEMA, p,
          "invalid name \"%.60s\": use a letter, then letters, digits, '-', '_' or '.'", name);
      continue;
    }
    if (!json_is_object(v)) {
      err(L, NVL_DIAG_SCHEMA, p, "expected an object, got %s", json_type_name(v));
      continue;
    }
    fn(L, name, v, p);
  }
}

static void parse_types(loader *L, json_t *root) {
  parse_type_section(L, root, "link_types", parse_link_type);
  parse_type_section(L, root, "endpoint_types", parse_endpoint_type);
  parse_type_section(L, root, "switch_types", parse_switch_type);
}

/* ---------------------------------------------------------------------------------------- */
/* Devices, prefixes and links                                                               */

static int prefix_get(loader *L, const char *name, bool is_switch, const char *ptr) {
  nvl_design *d = L->d;
  for (size_t i = 0; i < d->n_prefixes; i++)
    if (strcmp(d->prefixes[i].name, name) == 0) {
      if (d->prefixes[i].is_switch != is_switch) {
        err(L, NVL_DIAG_DUPLICATE, ptr, "name \"%s\" is used for both endpoints and switches",
            name);
        return -1;
      }
      return (int)i;
    }
  GROW(d->prefixes, d->n_prefixes, L->cap_prefixes);
  nvl_prefix *p = &d->prefixes[d->n_prefixes];
  memset(p, 0, sizeof *p);
  snprintf(p->name, sizeof p->name, "%s", name);
  p->is_switch = is_switch;
  return (int)d->n_prefixes++;
}

static void add_device(loader *L, int prefix, bool is_switch, int type, int group) {
  nvl_design *d = L->d;
  nvl_prefix *p = &d->prefixes[prefix];
  GROW(d->devices, d->n_devices, L->cap_devices);
  nvl_device *dev = &d->devices[d->n_devices];
  /* prefixes are at most NVL_NAME_MAX - 13 characters, so the number always fits */
  if (snprintf(dev->name, sizeof dev->name, "%s%zu", p->name, p->n_members) >= NVL_NAME_MAX)
    dev->name[NVL_NAME_MAX - 1] = '\0';
  dev->is_switch = is_switch;
  dev->type = type;
  dev->prefix = prefix;
  dev->group = group;
  p->members = nvl_xrealloc(p->members, (p->n_members + 1) * sizeof(int));
  p->members[p->n_members++] = (int)d->n_devices;
  d->n_devices++;
}

static int add_origin(loader *L, const char *ptr) {
  nvl_design *d = L->d;
  GROW(d->origins, d->n_origins, L->cap_origins);
  snprintf(d->origins[d->n_origins], NVL_DIAG_PTR_MAX, "%s", ptr);
  return (int)d->n_origins++;
}

nvl_kind nvl_device_kind(const nvl_design *d, int dev) {
  const nvl_device *x = &d->devices[dev];
  return x->is_switch ? NVL_KIND_SWITCH : d->endpoint_types[x->type].kind;
}

const char *nvl_device_type_name(const nvl_design *d, int dev) {
  const nvl_device *x = &d->devices[dev];
  return x->is_switch ? d->switch_types[x->type].name : d->endpoint_types[x->type].name;
}

int nvl_device_ports(const nvl_design *d, int dev, int lt) {
  const nvl_device *x = &d->devices[dev];
  int fam = d->link_types[lt].family;
  if (x->is_switch) {
    const nvl_switch_type *s = &d->switch_types[x->type];
    return s->port_link >= 0 && d->link_types[s->port_link].family == fam ? s->ports : 0;
  }
  const nvl_endpoint_type *e = &d->endpoint_types[x->type];
  int n = 0;
  for (size_t k = 0; k < d->n_link_types; k++)
    if (d->link_types[k].family == fam)
      n += e->ports[k];
  return n;
}

double nvl_link_bw(const nvl_design *d, const nvl_link *l) {
  return l->count * d->link_types[l->type].bw_Bps * l->scale;
}

/* Per-rule tally of port problems, reported once per rule after it is applied. */
typedef struct {
  int origin;
  int mismatch_first, mismatch_n;
  int budget_first, budget_n, budget_used, budget_avail;
} port_tally;

static void ensure_used(loader *L) {
  size_t need = L->d->n_devices * (L->d->n_link_types ? L->d->n_link_types : 1);
  if (need > L->used_cap) {
    L->used = nvl_xrealloc(L->used, need * sizeof(int));
    memset(L->used + L->used_cap, 0, (need - L->used_cap) * sizeof(int));
    L->used_cap = need;
  }
  if (L->d->n_devices > L->mark_cap) {
    L->mark = nvl_xrealloc(L->mark, L->d->n_devices * sizeof(int));
    memset(L->mark + L->mark_cap, 0, (L->d->n_devices - L->mark_cap) * sizeof(int));
    L->mark_cap = L->d->n_devices;
  }
}

static void account_port(loader *L, int dev, int lt, int count, port_tally *t) {
  nvl_design *d = L->d;
  int avail = nvl_device_ports(d, dev, lt);
  int *u = &L->used[(size_t)dev * d->n_link_types + d->link_types[lt].family];
  if (avail == 0) {
    if (L->mark[dev] != t->origin + 1) {
      L->mark[dev] = t->origin + 1;
      if (t->mismatch_n++ == 0)
        t->mismatch_first = dev;
    }
    return;
  }
  bool was_ok = *u <= avail;
  *u += count;
  if (was_ok && *u > avail) {
    if (t->budget_n++ == 0) {
      t->budget_first = dev;
      t->budget_used = *u;
      t->budget_avail = avail;
    }
  }
}

static void report_tally(loader *L, const port_tally *t, int lt, const char *ptr) {
  nvl_design *d = L->d;
  const char *ltn = d->link_types[lt].name;
  char more[64] = "";
  if (t->mismatch_n) {
    int dev = t->mismatch_first;
    if (t->mismatch_n > 1)
      snprintf(more, sizeof more, " (and %d more)", t->mismatch_n - 1);
    if (d->devices[dev].is_switch)
      err(L, NVL_DIAG_LINK_TYPE, ptr, "link type mismatch: %s (%s) has %s ports, not %s%s",
          d->devices[dev].name, nvl_device_type_name(d, dev),
          d->link_types[d->switch_types[d->devices[dev].type].port_link].name, ltn, more);
    else
      err(L, NVL_DIAG_LINK_TYPE, ptr, "link type mismatch: %s (%s) has no %s ports%s",
          d->devices[dev].name, nvl_device_type_name(d, dev), ltn, more);
  }
  if (t->budget_n) {
    more[0] = '\0';
    if (t->budget_n > 1)
      snprintf(more, sizeof more, " (and %d more devices)", t->budget_n - 1);
    err(L, NVL_DIAG_PORTS, ptr, "ports over budget: %s (%s) uses %d of %d %s ports%s",
        d->devices[t->budget_first].name, nvl_device_type_name(d, t->budget_first), t->budget_used,
        t->budget_avail, ltn, more);
  }
}

static void add_link(loader *L, int a, int b, int lt, int count, int origin, port_tally *t) {
  nvl_design *d = L->d;
  GROW(d->links, d->n_links, L->cap_links);
  d->links[d->n_links++] = (nvl_link){a, b, lt, count, origin, 1.0};
  account_port(L, a, lt, count, t);
  account_port(L, b, lt, count, t);
}

/* ---------------------------------------------------------------------------------------- */
/* Groups                                                                                    */

static int find_tmpl(loader *L, const char *name) {
  for (size_t i = 0; i < L->n_tmpls; i++)
    if (strcmp(L->tmpls[i].name, name) == 0)
      return (int)i;
  return -1;
}

static const char *const group_keys[] = {"description", "endpoints", "switches", "include",
                                         "wiring",      "note",      NULL};
static const char *const decl_keys[] = {"name", "type", "count", "note", NULL};
static const char *const include_keys[] = {"group", "count", "note", NULL};

static uint64_t cap_devices(loader *L) {
  return L->opts && L->opts->max_endpoints ? L->opts->max_endpoints : NVL_DEFAULT_MAX_ENDPOINTS;
}

/* Sizes a group body: the number of devices plus nested group instances it creates (both cost
 * memory and time, so both count against the limit). Returns UINT64_MAX on overflow or cycle
 * (already reported). */
static uint64_t size_group(loader *L, json_t *body, const char *ptr, int depth);

static uint64_t size_tmpl(loader *L, int ti, const char *ref_ptr, int depth) {
  group_tmpl *g = &L->tmpls[ti];
  if (g->state == 2)
    return g->devices;
  if (g->state == 1) {
    err(L, NVL_DIAG_REFERENCE, ref_ptr, "group \"%s\" includes itself (cycle)", g->name);
    return UINT64_MAX;
  }
  g->state = 1;
  uint64_t n = size_group(L, g->body, g->ptr, depth + 1);
  g = &L->tmpls[ti];
  g->state = 2;
  g->devices = n;
  return n;
}

static uint64_t size_group(loader *L, json_t *body, const char *ptr, int depth) {
  if (depth > 32) {
    err(L, NVL_DIAG_LIMIT, ptr, "groups nested more than 32 deep");
    return UINT64_MAX;
  }
  uint64_t total = 0;
  bool bad = false;
  static const char *const secs[] = {"endpoints", "switches", "include"};
  for (int s = 0; s < 3; s++) {
    json_t *arr = json_object_get(body, secs[s]);
    if (!arr || !json_is_array(arr))
      continue;
    char ap[NVL_DIAG_PTR_MAX];
    nvl_ptr_join(ap, sizeof ap, ptr, secs[s]);
    size_t i;
    json_t *it;
    json_array_foreach(arr, i, it) {
      if (!json_is_object(it))
        continue;
      json_t *c = json_object_get(it, "count");
      uint64_t count = c && json_is_integer(c) && json_integer_value(c) >= 0
                           ? (uint64_t)json_integer_value(c)
                           : (c ? 0 : 1);
      uint64_t each = 1;
      if (s == 2) {
        json_t *gn = json_object_get(it, "group");
        int ti = gn && json_is_string(gn) ? find_tmpl(L, json_string_value(gn)) : -1;
        if (ti < 0)
          continue; /* reported by the expansion pass */
        char ip[NVL_DIAG_PTR_MAX];
        nvl_ptr_index(ip, sizeof ip, ap, i);
        each = size_tmpl(L, ti, ip, depth);
        if (each == UINT64_MAX) {
          bad = true;
          continue;
        }
      }
      uint64_t add;
      if (s == 2 && __builtin_add_overflow(each, 1, &each)) /* the instance itself */
        each = UINT64_MAX;
      if (__builtin_mul_overflow(count, each, &add) || __builtin_add_overflow(total, add, &total)) {
        char ip[NVL_DIAG_PTR_MAX];
        nvl_ptr_index(ip, sizeof ip, ap, i);
        err(L, NVL_DIAG_LIMIT, ip, "device and group count overflows 64 bits");
        return UINT64_MAX;
      }
    }
  }
  return bad ? UINT64_MAX : total;
}

static void note_bad_name(loader *L, const char *name) {
  L->bad_names = nvl_xrealloc(L->bad_names, (L->n_bad_names + 1) * sizeof *L->bad_names);
  snprintf(L->bad_names[L->n_bad_names++], NVL_NAME_MAX, "%.*s", NVL_NAME_MAX - 1, name);
}

static bool is_bad_name(const loader *L, const char *name) {
  for (size_t i = 0; i < L->n_bad_names; i++)
    if (strcmp(L->bad_names[i], name) == 0)
      return true;
  return false;
}

/* Members of a prefix inside [start, end), optionally sliced "name[a:b]". */
typedef struct {
  int *ids;
  size_t n;
} selection;

static bool parse_selector(const char *sel, char *name, size_t len, long *lo, long *hi) {
  const char *br = strchr(sel, '[');
  *lo = 0;
  *hi = -1;
  if (!br) {
    snprintf(name, len, "%s", sel);
    return true;
  }
  size_t n = (size_t)(br - sel);
  if (n == 0 || n >= len)
    return false;
  memcpy(name, sel, n);
  name[n] = '\0';
  char *end;
  const char *p = br + 1;
  if (*p != ':') {
    *lo = strtol(p, &end, 10);
    if (end == p || *lo < 0)
      return false;
    p = end;
  }
  if (*p != ':')
    return false;
  p++;
  if (*p != ']') {
    *hi = strtol(p, &end, 10);
    if (end == p || *hi < 0)
      return false;
    p = end;
  }
  return p[0] == ']' && p[1] == '\0';
}

static bool select_members(loader *L, const char *sel, int start, int end, const char *ptr,
                           const char *scope, selection *out) {
  nvl_design *d = L->d;
  char name[NVL_NAME_MAX];
  long lo, hi;
  out->ids = NULL;
  out->n = 0;
  if (!parse_selector(sel, name, sizeof name, &lo, &hi)) {
    err(L, NVL_DIAG_SCHEMA, ptr, "bad selector \"%.60s\"; write \"gpu\" or \"gpu[8:16]\"", sel);
    return false;
  }
  int pi = -1;
  for (size_t i = 0; i < d->n_prefixes; i++)
    if (strcmp(d->prefixes[i].name, name) == 0)
      pi = (int)i;
  size_t n_in = 0;
  if (pi >= 0) {
    const nvl_prefix *p = &d->prefixes[pi];
    out->ids = nvl_xrealloc(NULL, p->n_members * sizeof(int));
    for (size_t i = 0; i < p->n_members; i++)
      if (p->members[i] >= start && p->members[i] < end)
        out->ids[n_in++] = p->members[i];
  }
  if (n_in == 0 && is_bad_name(L, name)) {
    free(out->ids); /* its declaration was already reported */
    out->ids = NULL;
    return false;
  }
  if (n_in == 0 && pi >= 0 && hi < 0 && lo == 0) {
    /* declared, but none in this group instance (count 0): the rule selects nothing */
    out->n = 0;
    return true;
  }
  if (n_in == 0) {
    suggest s = {name, NULL, SIZE_MAX};
    for (int i = start; i < end; i++)
      suggest_offer(&s, d->prefixes[d->devices[i].prefix].name);
    char hint[96];
    suggest_text(&s, hint, sizeof hint);
    err(L, NVL_DIAG_REFERENCE, ptr, "no devices named \"%.60s\" in %s%s", name, scope, hint);
    free(out->ids);
    out->ids = NULL;
    return false;
  }
  if (hi < 0)
    hi = (long)n_in;
  if (lo >= hi || (size_t)hi > n_in) {
    err(L, NVL_DIAG_WIRING, ptr, "slice [%ld:%ld] is outside the %zu \"%s\" devices in %s", lo, hi,
        n_in, name, scope);
    free(out->ids);
    out->ids = NULL;
    return false;
  }
  memmove(out->ids, out->ids + lo, (size_t)(hi - lo) * sizeof(int));
  out->n = (size_t)(hi - lo);
  return true;
}

/* Selections are sorted (device order), so membership is a binary search. */
static bool in_sel(const selection *s, int dev) {
  size_t lo = 0, hi = s->n;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (s->ids[mid] == dev)
      return true;
    if (s->ids[mid] < dev)
      lo = mid + 1;
    else
      hi = mid;
  }
  return false;
}

static const char *const rule_keys[] = {"rule",  "from",   "to",   "link",
                                        "links", "planes", "note", NULL};

static void apply_rule(loader *L, json_t *r, const char *ptr, int start, int end,
                       const char *scope) {
  nvl_design *d = L->d;
  if (!json_is_object(r)) {
    err(L, NVL_DIAG_SCHEMA, ptr, "expected an object, got %s", json_type_name(r));
    return;
  }
  check_keys(L, r, ptr, rule_keys);
  char kind[32], from[NVL_NAME_MAX + 24], to[NVL_NAME_MAX + 24], lt_name[NVL_NAME_MAX];
  bool ok = get_string(L, r, ptr, "rule", true, kind, sizeof kind);
  ok &= get_string(L, r, ptr, "from", true, from, sizeof from);
  ok &= get_string(L, r, ptr, "to", true, to, sizeof to);
  ok &= get_string(L, r, ptr, "link", true, lt_name, sizeof lt_name);
  if (!ok)
    return;
  char p[NVL_DIAG_PTR_MAX];
  enum { FULL, BLOCK, ONE_TO_ONE, PLANE } rk;
  if (strcmp(kind, "full") == 0)
    rk = FULL;
  else if (strcmp(kind, "block") == 0)
    rk = BLOCK;
  else if (strcmp(kind, "one_to_one") == 0)
    rk = ONE_TO_ONE;
  else if (strcmp(kind, "plane") == 0)
    rk = PLANE;
  else {
    static const char *const kinds[] = {"full", "block", "one_to_one", "plane"};
    suggest s = {kind, NULL, SIZE_MAX};
    for (int i = 0; i < 4; i++)
      suggest_offer(&s, kinds[i]);
    char hint[96];
    suggest_text(&s, hint, sizeof hint);
    nvl_ptr_join(p, sizeof p, ptr, "rule");
    err(L, NVL_DIAG_SCHEMA, p,
        "unknown rule \"%.40s\"%s; expected full, block, one_to_one or plane", kind, hint);
    return;
  }
  int lt = find_lt(d, lt_name, false);
  if (lt < 0) {
    nvl_ptr_join(p, sizeof p, ptr, "link");
    unknown_inline(L, p, "link type", lt_name, d->link_types, d->n_link_types,
                   sizeof(nvl_link_type));
    return;
  }
  selection A, B;
  char pf[NVL_DIAG_PTR_MAX], pt[NVL_DIAG_PTR_MAX];
  nvl_ptr_join(pf, sizeof pf, ptr, "from");
  nvl_ptr_join(pt, sizeof pt, ptr, "to");
  bool okA = select_members(L, from, start, end, pf, scope, &A);
  bool okB = select_members(L, to, start, end, pt, scope, &B);
  if (!okA || !okB || A.n == 0 || B.n == 0) { /* errors reported, or nothing selected */
    free(A.ids);
    free(B.ids);
    return;
  }
  /* links per pair: an integer, or (rule full) one integer per member of `to` */
  long long per_pair = 1;
  long long *per_to = NULL;
  json_t *lk = json_object_get(r, "links");
  nvl_ptr_join(p, sizeof p, ptr, "links");
  if (lk && json_is_array(lk)) {
    if (rk != FULL) {
      err(L, NVL_DIAG_WIRING, p, "a list of link counts is allowed only with rule \"full\"");
      goto done;
    }
    if (json_array_size(lk) != B.n) {
      err(L, NVL_DIAG_WIRING, p, "%zu link counts given for %zu \"%s\" devices",
          json_array_size(lk), B.n, to);
      goto done;
    }
    per_to = nvl_xrealloc(NULL, B.n * sizeof *per_to);
    for (size_t j = 0; j < B.n; j++) {
      json_t *v = json_array_get(lk, j);
      char pj[NVL_DIAG_PTR_MAX];
      nvl_ptr_index(pj, sizeof pj, p, j);
      if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 4096) {
        err(L, NVL_DIAG_QUANTITY, pj, "link count must be an integer between 0 and 4096");
        goto done;
      }
      per_to[j] = json_integer_value(v);
    }
  } else if (lk && !get_int(L, r, ptr, "links", false, 1, 4096, &per_pair)) {
    goto done;
  }
  long long planes = 0;
  if (rk == PLANE) {
    if (!get_int(L, r, ptr, "planes", true, 1, 65536, &planes))
      goto done;
  } else if (json_object_get(r, "planes")) {
    nvl_ptr_join(p, sizeof p, ptr, "planes");
    err(L, NVL_DIAG_WIRING, p, "\"planes\" is only meaningful with rule \"plane\"");
    goto done;
  }
  /* size check before creating anything */
  uint64_t pairs = rk == FULL ? (uint64_t)A.n * B.n : (uint64_t)(A.n > B.n ? A.n : B.n);
  if (pairs + d->n_links > MAX_LINK_BUNDLES) {
    err(L, NVL_DIAG_LIMIT, ptr, "rule would create %llu link bundles; at most %u allowed",
        (unsigned long long)pairs, MAX_LINK_BUNDLES);
    goto done;
  }
  if (rk == BLOCK && (A.n == 0 || B.n % A.n != 0)) {
    err(L, NVL_DIAG_WIRING, ptr,
        "rule \"block\" needs the %zu \"%s\" devices to split evenly over the %zu \"%s\" devices",
        B.n, to, A.n, from);
    goto done;
  }
  if (rk == ONE_TO_ONE && A.n != B.n) {
    err(L, NVL_DIAG_WIRING, ptr, "rule \"one_to_one\" needs equal counts: %zu \"%s\" vs %zu \"%s\"",
        A.n, from, B.n, to);
    goto done;
  }
  if (rk == PLANE) {
    for (long long k = 0; k < planes; k++)
      if ((size_t)k >= A.n || (size_t)k >= B.n) {
        err(L, NVL_DIAG_WIRING, ptr, "plane %lld has no \"%s\" device (%zu \"%s\", %zu \"%s\")", k,
            (size_t)k >= A.n ? from : to, A.n, from, B.n, to);
        goto done;
      }
  }
  ensure_used(L);
  int origin = add_origin(L, ptr);
  port_tally tally = {.origin = origin};
  bool self_loop = false;
  for (size_t i = 0; i < A.n; i++) {
    for (size_t j = 0; j < B.n; j++) {
      long long k = per_to ? per_to[j] : per_pair;
      bool connect;
      switch (rk) {
      case FULL: connect = true; break;
      case BLOCK: connect = j / (B.n / A.n) == i; break;
      case ONE_TO_ONE: connect = i == j; break;
      default: connect = (long long)(i % (size_t)planes) == (long long)(j % (size_t)planes); break;
      }
      if (!connect || k == 0)
        continue;
      if (A.ids[i] == B.ids[j]) {
        self_loop |= rk != FULL; /* full from a set to itself builds a mesh */
        continue;
      }
      if (rk == FULL && A.ids[i] > B.ids[j] && in_sel(&A, B.ids[j]) && in_sel(&B, A.ids[i]))
        continue; /* the pair (B[j], A[i]) is wired from the other side */
      add_link(L, A.ids[i], B.ids[j], lt, (int)k, origin, &tally);
    }
  }
  if (self_loop)
    err(L, NVL_DIAG_SELF_LOOP, ptr, "rule links devices of \"%s\" to themselves", from);
  report_tally(L, &tally, lt, ptr);
done:
  free(per_to);
  free(A.ids);
  free(B.ids);
}

/* Registers the device names a group would declare, without creating devices: a group included
 * zero times (a sweep point) still defines its names, so rules naming them select nothing. */
static void declare_prefixes(loader *L, json_t *body, int depth) {
  static const char *const secs[] = {"endpoints", "switches"};
  for (int s = 0; s < 2 && depth <= 32; s++) {
    size_t i;
    json_t *it;
    json_array_foreach(json_object_get(body, secs[s]), i, it) {
      json_t *n = json_object_get(it, "name");
      if (!json_is_string(n) || !valid_name(json_string_value(n)))
        continue;
      const nvl_design *d = L->d;
      bool known = false;
      for (size_t k = 0; k < d->n_prefixes; k++)
        known |= strcmp(d->prefixes[k].name, json_string_value(n)) == 0;
      if (!known)
        prefix_get(L, json_string_value(n), s == 1, "");
    }
  }
  size_t i;
  json_t *it;
  json_array_foreach(json_object_get(body, "include"), i, it) {
    json_t *g = json_object_get(it, "group");
    int ti = json_is_string(g) ? find_tmpl(L, json_string_value(g)) : -1;
    if (ti >= 0 && L->tmpls[ti].state == 2)
      declare_prefixes(L, L->tmpls[ti].body, depth + 1);
  }
}

static void expand_group(loader *L, json_t *body, const char *ptr, const char *tmpl_name,
                         int instance, int parent, int depth) {
  nvl_design *d = L->d;
  if (instance == 0) /* later instances of a template repeat the same body */
    check_keys(L, body, ptr, group_keys);
  GROW(d->groups, d->n_groups, L->cap_groups);
  int gi = (int)d->n_groups++;
  snprintf(d->groups[gi].template_name, NVL_NAME_MAX, "%s", tmpl_name);
  d->groups[gi].instance = instance;
  d->groups[gi].parent = parent;
  int start = (int)d->n_devices;
  /* only the first instance of a template reports problems of its body */
  bool report = instance == 0;
  nvl_diags quiet = NVL_DIAGS_INIT;
  nvl_diags *saved = L->diags;
  if (!report)
    L->diags = &quiet;

  static const char *const secs[] = {"endpoints", "switches"};
  for (int s = 0; s < 2; s++) {
    char ap[NVL_DIAG_PTR_MAX];
    nvl_ptr_join(ap, sizeof ap, ptr, secs[s]);
    json_t *arr = get_typed(L, body, ptr, secs[s], JSON_ARRAY, false);
    size_t i;
    json_t *it;
    json_array_foreach(arr, i, it) {
      char ip[NVL_DIAG_PTR_MAX];
      nvl_ptr_index(ip, sizeof ip, ap, i);
      if (!json_is_object(it)) {
        err(L, NVL_DIAG_SCHEMA, ip, "expected an object, got %s", json_type_name(it));
        continue;
      }
      check_keys(L, it, ip, decl_keys);
      char name[NVL_NAME_MAX], type[NVL_NAME_MAX];
      long long count = 1;
      bool ok = get_string(L, it, ip, "name", true, name, sizeof name);
      ok &= get_string(L, it, ip, "type", true, type, sizeof type);
      ok &= !json_object_get(it, "count") || get_int(L, it, ip, "count", false, 0, INT_MAX, &count);
      if (!ok) {
        if (json_is_string(json_object_get(it, "name")))
          note_bad_name(L, json_string_value(json_object_get(it, "name")));
        continue;
      }
      char np[NVL_DIAG_PTR_MAX];
      nvl_ptr_join(np, sizeof np, ip, "name");
      size_t nl = strlen(name);
      if (!valid_name(name) || (name[nl - 1] >= '0' && name[nl - 1] <= '9')) {
        note_bad_name(L, name);
        err(L, NVL_DIAG_SCHEMA, np,
            "invalid device name \"%.60s\": a letter first, no digit at the end (numbers are "
            "appended: gpu0, gpu1, ...)",
            name);
        continue;
      }
      int ti = s == 0 ? find_et(d, type, false) : find_st(d, type, false);
      if (ti < 0) {
        note_bad_name(L, name);
        char tp[NVL_DIAG_PTR_MAX];
        nvl_ptr_join(tp, sizeof tp, ip, "type");
        if (s == 0)
          unknown_inline(L, tp, "endpoint type", type, d->endpoint_types, d->n_endpoint_types,
                         sizeof(nvl_endpoint_type));
        else
          unknown_inline(L, tp, "switch type", type, d->switch_types, d->n_switch_types,
                         sizeof(nvl_switch_type));
        continue;
      }
      int pi = prefix_get(L, name, s == 1, np);
      if (pi < 0) {
        note_bad_name(L, name);
        continue;
      }
      for (long long k = 0; k < count; k++)
        add_device(L, pi, s == 1, ti, gi);
    }
  }
  char incp[NVL_DIAG_PTR_MAX];
  nvl_ptr_join(incp, sizeof incp, ptr, "include");
  json_t *inc = get_typed(L, body, ptr, "include", JSON_ARRAY, false);
  size_t i;
  json_t *it;
  json_array_foreach(inc, i, it) {
    char ip[NVL_DIAG_PTR_MAX];
    nvl_ptr_index(ip, sizeof ip, incp, i);
    if (!json_is_object(it)) {
      err(L, NVL_DIAG_SCHEMA, ip, "expected an object, got %s", json_type_name(it));
      continue;
    }
    check_keys(L, it, ip, include_keys);
    char gname[NVL_NAME_MAX];
    long long count = 1;
    bool ok = get_string(L, it, ip, "group", true, gname, sizeof gname);
    ok &= !json_object_get(it, "count") || get_int(L, it, ip, "count", false, 0, INT_MAX, &count);
    if (!ok)
      continue;
    int ti = find_tmpl(L, gname);
    if (ti < 0) {
      char gp[NVL_DIAG_PTR_MAX];
      nvl_ptr_join(gp, sizeof gp, ip, "group");
      suggest s = {gname, NULL, SIZE_MAX};
      for (size_t t = 0; t < L->n_tmpls; t++)
        suggest_offer(&s, L->tmpls[t].name);
      char hint[96];
      suggest_text(&s, hint, sizeof hint);
      err(L, NVL_DIAG_REFERENCE, gp, "unknown group \"%.60s\"%s", gname, hint);
      continue;
    }
    if (L->tmpls[ti].state != 2 || depth > 32)
      continue; /* part of a cycle: already reported */
    if (count == 0)
      declare_prefixes(L, L->tmpls[ti].body, depth + 1);
    L->diags = saved;
    for (long long k = 0; k < count; k++)
      expand_group(L, L->tmpls[ti].body, L->tmpls[ti].ptr, L->tmpls[ti].name, (int)k, gi,
                   depth + 1);
    if (!report)
      L->diags = &quiet;
  }
  char wp[NVL_DIAG_PTR_MAX];
  nvl_ptr_join(wp, sizeof wp, ptr, "wiring");
  json_t *wiring = get_typed(L, body, ptr, "wiring", JSON_ARRAY, false);
  char scope[NVL_NAME_MAX + 32];
  snprintf(scope, sizeof scope, "group \"%s\"", tmpl_name);
  json_array_foreach(wiring, i, it) {
    char rp[NVL_DIAG_PTR_MAX];
    nvl_ptr_index(rp, sizeof rp, wp, i);
    apply_rule(L, it, rp, start, (int)d->n_devices, scope);
  }
  L->diags = saved;
  if (!report && quiet.errors && !saved->errors)
    err(L, NVL_DIAG_WIRING, ptr, "instance %d of group \"%s\" fails where instance 0 did not",
        instance, tmpl_name);
  nvl_diags_release(&quiet);
}

/* ---------------------------------------------------------------------------------------- */
/* Explicit links, expect, whole-design checks                                              */

int nvl_design_find_device(const nvl_design *d, const char *name) {
  size_t n = strlen(name), k = n;
  while (k > 0 && name[k - 1] >= '0' && name[k - 1] <= '9')
    k--;
  if (k == n || k == 0 || n - k > 9 || (name[k] == '0' && n - k > 1))
    return -1;
  long idx = strtol(name + k, NULL, 10);
  for (size_t i = 0; i < d->n_prefixes; i++) {
    const nvl_prefix *p = &d->prefixes[i];
    if (strlen(p->name) == k && strncmp(p->name, name, k) == 0)
      return (size_t)idx < p->n_members ? p->members[idx] : -1;
  }
  return -1;
}

int nvl_design_select(const nvl_design *d, const char *list, int **out, size_t *n, char *err,
                      size_t errlen) {
  *out = NULL;
  *n = 0;
  size_t len = strlen(list);
  char *buf = nvl_xrealloc(NULL, len + 1);
  memcpy(buf, list, len + 1);
  bool *seen = calloc(d->n_devices ? d->n_devices : 1, sizeof(bool));
  int *ids = nvl_xrealloc(NULL, (d->n_devices ? d->n_devices : 1) * sizeof(int));
  size_t count = 0;
  int rc = 0;
  for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
    while (*tok == ' ')
      tok++;
    int dev = nvl_design_find_device(d, tok);
    if (dev >= 0) {
      if (!seen[dev])
        seen[dev] = true, ids[count++] = dev;
      continue;
    }
    char name[NVL_NAME_MAX];
    long lo, hi;
    const nvl_prefix *p = NULL;
    if (parse_selector(tok, name, sizeof name, &lo, &hi))
      for (size_t i = 0; i < d->n_prefixes; i++)
        if (strcmp(d->prefixes[i].name, name) == 0)
          p = &d->prefixes[i];
    if (!p) {
      snprintf(err, errlen, "no device or device group \"%.60s\" in design %s", tok, d->name);
      rc = -1;
      break;
    }
    if (hi < 0)
      hi = (long)p->n_members;
    if (lo >= hi || (size_t)hi > p->n_members) {
      snprintf(err, errlen, "slice [%ld:%ld] is outside the %zu \"%s\" devices", lo, hi,
               p->n_members, name);
      rc = -1;
      break;
    }
    for (long i = lo; i < hi; i++) {
      int dv = p->members[i];
      if (!seen[dv])
        seen[dv] = true, ids[count++] = dv;
    }
  }
  free(buf);
  free(seen);
  if (rc != 0) {
    free(ids);
    return -1;
  }
  *out = ids;
  *n = count;
  return 0;
}

static int resolve_device(loader *L, json_t *obj, const char *ptr, const char *key) {
  char name[NVL_NAME_MAX + 16];
  if (!get_string(L, obj, ptr, key, true, name, sizeof name))
    return -1;
  int dev = nvl_design_find_device(L->d, name);
  if (dev < 0) {
    char p[NVL_DIAG_PTR_MAX];
    nvl_ptr_join(p, sizeof p, ptr, key);
    suggest s = {name, NULL, SIZE_MAX};
    /* offering every device name is O(devices); fine for a one-off error */
    for (size_t i = 0; i < L->d->n_devices && i < 200000; i++)
      suggest_offer(&s, L->d->devices[i].name);
    char hint[96];
    suggest_text(&s, hint, sizeof hint);
    err(L, NVL_DIAG_REFERENCE, p, "unknown device \"%.60s\"%s", name, hint);
  }
  return dev;
}

static void parse_links(loader *L, json_t *root) {
  static const char *const keys[] = {"a", "b", "link", "count", "note", NULL};
  json_t *arr = get_typed(L, root, "", "links", JSON_ARRAY, false);
  size_t i;
  json_t *it;
  json_array_foreach(arr, i, it) {
    char ip[NVL_DIAG_PTR_MAX];
    nvl_ptr_index(ip, sizeof ip, "/links", i);
    if (!json_is_object(it)) {
      err(L, NVL_DIAG_SCHEMA, ip, "expected an object, got %s", json_type_name(it));
      continue;
    }
    check_keys(L, it, ip, keys);
    int a = resolve_device(L, it, ip, "a");
    int b = resolve_device(L, it, ip, "b");
    char lt_name[NVL_NAME_MAX];
    long long count = 1;
    bool ok = get_string(L, it, ip, "link", true, lt_name, sizeof lt_name);
    ok &= !json_object_get(it, "count") || get_int(L, it, ip, "count", false, 1, 4096, &count);
    if (!ok || a < 0 || b < 0)
      continue;
    int lt = find_lt(L->d, lt_name, false);
    if (lt < 0) {
      char p[NVL_DIAG_PTR_MAX];
      nvl_ptr_join(p, sizeof p, ip, "link");
      unknown_inline(L, p, "link type", lt_name, L->d->link_types, L->d->n_link_types,
                     sizeof(nvl_link_type));
      continue;
    }
    if (a == b) {
      err(L, NVL_DIAG_SELF_LOOP, ip, "link from \"%s\" to itself", L->d->devices[a].name);
      continue;
    }
    if (L->d->n_links >= MAX_LINK_BUNDLES) {
      err(L, NVL_DIAG_LIMIT, ip, "more than %u link bundles", MAX_LINK_BUNDLES);
      return;
    }
    ensure_used(L);
    int origin = add_origin(L, ip);
    port_tally tally = {.origin = origin};
    add_link(L, a, b, lt, (int)count, origin, &tally);
    report_tally(L, &tally, lt, ip);
  }
}

static void parse_expect(loader *L, json_t *root) {
  static const char *const keys[] = {"all_reachable",
                                     "max_switch_hops",
                                     "min_bisection_bandwidth",
                                     "min_injection_bandwidth",
                                     "min_path_diversity",
                                     "no_port_over_budget",
                                     "note",
                                     NULL};
  json_t *ex = get_typed(L, root, "", "expect", JSON_OBJECT, false);
  if (!ex)
    return;
  nvl_expect *e = &L->d->expect;
  check_keys(L, ex, "/expect", keys);
  json_t *v;
  if ((v = get_typed(L, ex, "/expect", "all_reachable", JSON_TRUE, false))) {
    e->has_all_reachable = true;
    e->all_reachable = json_is_true(v);
  }
  if ((v = get_typed(L, ex, "/expect", "no_port_over_budget", JSON_TRUE, false))) {
    if (!json_is_true(v))
      err(L, NVL_DIAG_SCHEMA, "/expect/no_port_over_budget",
          "ports over budget are always errors; only true is allowed");
    e->has_no_port_over_budget = true;
  }
  long long n;
  if (get_int(L, ex, "/expect", "max_switch_hops", false, 0, 1000, &n)) {
    e->has_max_switch_hops = true;
    e->max_switch_hops = (int)n;
  }
  if (get_int(L, ex, "/expect", "min_path_diversity", false, 1, 1000000, &n)) {
    e->has_min_path_diversity = true;
    e->min_path_diversity = (int)n;
  }
  e->has_min_bisection = get_qty(L, ex, "/expect", "min_bisection_bandwidth", false,
                                 NVL_QTY_BANDWIDTH, false, &e->min_bisection_Bps);
  e->has_min_injection = get_qty(L, ex, "/expect", "min_injection_bandwidth", false,
                                 NVL_QTY_BANDWIDTH, false, &e->min_injection_Bps);
}

/* ---------------------------------------------------------------------------------------- */
/* Failures                                                                                  */

/* Applies one failure: "switch NAME", "link A-B" (every link between A and B) or, with share in
 * (0, 1), "link A-B" degraded to that share of its bandwidth. Returns false (after reporting at
 * ptr) when it names nothing. */
static bool apply_failure(loader *L, const char *kind, const char *target, double share,
                          const char *ptr) {
  nvl_design *d = L->d;
  nvl_failure f = {{0}, 0};
  if (strcmp(kind, "switch") == 0) {
    int dev = nvl_design_find_device(d, target);
    if (dev < 0 || !d->devices[dev].is_switch) {
      err(L, NVL_DIAG_FAILURE, ptr, "failure names \"%s\", which is not a switch of the design",
          target);
      return false;
    }
    if (share < 1.0) {
      err(L, NVL_DIAG_FAILURE, ptr, "a switch fails whole; degrade its links instead");
      return false;
    }
    size_t k = 0;
    for (size_t i = 0; i < d->n_links; i++) {
      if (d->links[i].a == dev || d->links[i].b == dev)
        f.links += d->links[i].count;
      else
        d->links[k++] = d->links[i];
    }
    d->n_links = k;
    d->failed[dev] = true;
    snprintf(f.what, sizeof f.what, "switch %s", target);
  } else if (strcmp(kind, "link") == 0) {
    const char *dash = strchr(target, '-');
    char a_name[NVL_NAME_MAX] = "", b_name[NVL_NAME_MAX] = "";
    /* device names may contain '-': try every split point */
    int a = -1, b = -1;
    for (const char *p = dash; p && a < 0; p = strchr(p + 1, '-')) {
      size_t la = (size_t)(p - target);
      if (la >= sizeof a_name || strlen(p + 1) >= sizeof b_name)
        continue;
      memcpy(a_name, target, la);
      a_name[la] = '\0';
      snprintf(b_name, sizeof b_name, "%s", p + 1);
      int x = nvl_design_find_device(d, a_name), y = nvl_design_find_device(d, b_name);
      if (x >= 0 && y >= 0)
        a = x, b = y;
    }
    if (a < 0) {
      err(L, NVL_DIAG_FAILURE, ptr, "failure names link \"%s\"; write DEVICE-DEVICE, e.g. gpu3-sw7",
          target);
      return false;
    }
    size_t k = 0;
    for (size_t i = 0; i < d->n_links; i++) {
      nvl_link *l = &d->links[i];
      bool hit = (l->a == a && l->b == b) || (l->a == b && l->b == a);
      if (hit)
        f.links += l->count;
      if (hit && share < 1.0)
        l->scale *= share;
      if (!(hit && share >= 1.0))
        d->links[k++] = *l;
    }
    d->n_links = k;
    if (f.links == 0) {
      err(L, NVL_DIAG_FAILURE, ptr, "failure names link %s, but %s and %s are not linked", target,
          d->devices[a].name, d->devices[b].name);
      return false;
    }
    if (share < 1.0)
      snprintf(f.what, sizeof f.what, "link %s at %g%%", target, share * 100);
    else
      snprintf(f.what, sizeof f.what, "link %s", target);
  } else {
    err(L, NVL_DIAG_FAILURE, ptr, "unknown failure kind \"%s\"; expected switch or link", kind);
    return false;
  }
  d->failures = nvl_xrealloc(d->failures, (d->n_failures + 1) * sizeof *d->failures);
  d->failures[d->n_failures++] = f;
  return true;
}

/* "50%" -> 0.5; returns false unless 0 < share < 100 %. */
static bool parse_share(const char *s, double *share) {
  char *end;
  double v = strtod(s, &end);
  if (end == s || strcmp(end, "%") != 0 || !(v > 0 && v < 100))
    return false;
  *share = v / 100;
  return true;
}

static void parse_failures(loader *L, json_t *root) {
  nvl_design *d = L->d;
  d->failed = calloc(d->n_devices ? d->n_devices : 1, sizeof(bool));
  json_t *arr = get_typed(L, root, "", "failures", JSON_ARRAY, false);
  size_t i;
  json_t *it;
  json_array_foreach(arr, i, it) {
    char ip[NVL_DIAG_PTR_MAX];
    nvl_ptr_index(ip, sizeof ip, "/failures", i);
    if (!json_is_object(it)) {
      err(L, NVL_DIAG_SCHEMA, ip, "expected an object, got %s", json_type_name(it));
      continue;
    }
    static const char *const keys[] = {"switch", "link", "degrade", "note", NULL};
    check_keys(L, it, ip, keys);
    char sw[NVL_NAME_MAX] = "", lk[2 * NVL_NAME_MAX + 2] = "", dg[32] = "";
    bool has_sw = get_string(L, it, ip, "switch", false, sw, sizeof sw);
    bool has_lk = get_string(L, it, ip, "link", false, lk, sizeof lk);
    double share = 1.0;
    if (get_string(L, it, ip, "degrade", false, dg, sizeof dg) && !parse_share(dg, &share)) {
      char p[NVL_DIAG_PTR_MAX];
      nvl_ptr_join(p, sizeof p, ip, "degrade");
      err(L, NVL_DIAG_QUANTITY, p,
          "degrade takes the remaining bandwidth as a percentage between "
          "0 and 100, e.g. \"50%%\"");
      continue;
    }
    if (has_sw == has_lk) {
      err(L, NVL_DIAG_SCHEMA, ip, "a failure names exactly one \"switch\" or \"link\"");
      continue;
    }
    apply_failure(L, has_sw ? "switch" : "link", has_sw ? sw : lk, share, ip);
  }
  for (const char *const *f = L->opts ? L->opts->failures : NULL; f && *f; f++) {
    char buf[256], ptr[300];
    snprintf(buf, sizeof buf, "%s", *f);
    snprintf(ptr, sizeof ptr, "--fail %s", *f);
    char *colon = strchr(buf, ':');
    if (!colon) {
      err(L, NVL_DIAG_FAILURE, NULL, "%s: write switch:NAME, link:A-B or link:A-B=50%%", ptr);
      continue;
    }
    *colon = '\0';
    char *target = colon + 1, *eq = strchr(target, '=');
    double share = 1.0;
    if (eq) {
      *eq = '\0';
      if (!parse_share(eq + 1, &share)) {
        err(L, NVL_DIAG_FAILURE, NULL,
            "%s: the remaining bandwidth is a percentage between 0 and "
            "100, e.g. =50%%",
            ptr);
        continue;
      }
    }
    apply_failure(L, buf, target, share, NULL);
  }
}

/* Disconnected devices, unused ports, asymmetric switches. Aggregated per type. */
static void whole_design_checks(loader *L) {
  nvl_design *d = L->d;
  size_t nd = d->n_devices, nl = d->n_link_types;
  ensure_used(L);
  int *deg = calloc(nd ? nd : 1, sizeof(int));
  for (size_t i = 0; i < d->n_links; i++) {
    deg[d->links[i].a] += d->links[i].count;
    deg[d->links[i].b] += d->links[i].count;
  }
  for (int sw = 0; sw < 2; sw++) {
    size_t ntypes = sw ? d->n_switch_types : d->n_endpoint_types;
    for (size_t t = 0; t < ntypes; t++) {
      int first_disc = -1, n_disc = 0, first_unused = -1, n_unused = 0, unused_lt = -1;
      int used_min = INT_MAX, used_max = -1, dev_min = -1, dev_max = -1;
      for (size_t i = 0; i < nd; i++) {
        const nvl_device *x = &d->devices[i];
        if (x->is_switch != (sw == 1) || x->type != (int)t || (d->failed && d->failed[i]))
          continue;
        if (deg[i] == 0 && n_disc++ == 0)
          first_disc = (int)i;
        if (deg[i] == 0)
          continue;
        for (size_t lt = 0; lt < nl; lt++) {
          if (d->link_types[lt].family != (int)lt)
            continue; /* ports are counted per family, at its root type */
          int avail = nvl_device_ports(d, (int)i, (int)lt);
          if (avail > 0 && L->used[i * nl + lt] < avail) {
            if (n_unused++ == 0) {
              first_unused = (int)i;
              unused_lt = (int)lt;
            }
            break;
          }
        }
        if (sw) {
          if (deg[i] < used_min)
            used_min = deg[i], dev_min = (int)i;
          if (deg[i] > used_max)
            used_max = deg[i], dev_max = (int)i;
        }
      }
      char more[96] = "";
      if (n_disc) {
        if (n_disc > 1)
          snprintf(more, sizeof more, " (and %d more)", n_disc - 1);
        if (sw)
          warn(L, NVL_DIAG_DISCONNECTED, "/system", "switch %s has no links%s",
               d->devices[first_disc].name, more);
        else
          err(L, NVL_DIAG_DISCONNECTED, "/system", "disconnected endpoint: %s (%s) has no links%s",
              d->devices[first_disc].name, nvl_device_type_name(d, first_disc), more);
      }
      if (n_unused) {
        more[0] = '\0';
        if (n_unused > 1)
          if (snprintf(more, sizeof more, " (and %d more of type %s)", n_unused - 1,
                       nvl_device_type_name(d, first_unused)) >= (int)sizeof more)
            more[sizeof more - 1] = '\0';
        warn(L, NVL_DIAG_UNUSED_PORTS, "/system", "unused ports: %s uses %d of %d %s ports%s",
             d->devices[first_unused].name, L->used[(size_t)first_unused * nl + unused_lt],
             nvl_device_ports(d, first_unused, unused_lt), d->link_types[unused_lt].name, more);
      }
      if (sw && used_max > used_min && dev_min >= 0)
        warn(L, NVL_DIAG_ASYMMETRY, "/system",
             "asymmetric planes: %s switches carry unequal link counts (%s: %d, %s: %d)",
             d->switch_types[t].name, d->devices[dev_min].name, used_min, d->devices[dev_max].name,
             used_max);
    }
  }
  free(deg);
}

/* ---------------------------------------------------------------------------------------- */
/* Entry points                                                                              */

static json_t *parse_json(loader *L, const char *text, size_t len) {
  if (len == 0) {
    nvl_diag_syntax(L->diags, 1, 1, "empty file; a design is a JSON object");
    return NULL;
  }
  json_error_t je;
  json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
  if (!root) {
    nvl_diag_syntax(L->diags, je.line > 0 ? je.line : 1, je.column > 0 ? je.column : 1, "%s",
                    je.text);
    return NULL;
  }
  if (!json_is_object(root)) {
    err(L, NVL_DIAG_SCHEMA, "", "a design must be a JSON object, got %s", json_type_name(root));
    json_decref(root);
    return NULL;
  }
  return root;
}

static void load_catalog(loader *L) {
  json_t *cat = json_loadb(nvl_catalog_json, nvl_catalog_json_len, JSON_REJECT_DUPLICATES, NULL);
  if (!cat) {
    fprintf(stderr, "nvlsim: internal error: built-in catalog does not parse\n");
    abort();
  }
  nvl_diags cd = NVL_DIAGS_INIT;
  nvl_diags *saved = L->diags;
  L->diags = &cd;
  L->in_catalog = true;
  parse_types(L, cat);
  L->in_catalog = false;
  L->diags = saved;
  if (cd.errors) {
    char line[512];
    nvl_diag_format(&cd.items[0], "catalog", line, sizeof line);
    fprintf(stderr, "nvlsim: internal error: %s\n", line);
    abort();
  }
  nvl_diags_release(&cd);
  json_decref(cat);
}

nvl_load_status nvl_design_load_buffer(const char *text, size_t len, const char *label,
                                       const nvl_load_opts *opts, nvl_design **out,
                                       nvl_diags *diags) {
  *out = NULL;
  size_t errors_before = diags->errors;
  loader L = {.diags = diags, .opts = opts};
  L.d = calloc(1, sizeof *L.d);
  nvl_design *d = L.d;
  snprintf(d->file, sizeof d->file, "%s", label);
  json_t *root = parse_json(&L, text, len);
  if (!root)
    goto fail;
  static const char *const top_keys[] = {
      "$schema", "nvlsim", "name",  "description", "link_types", "endpoint_types", "switch_types",
      "groups",  "system", "links", "failures",    "expect",     "note",           NULL};
  check_keys(&L, root, "", top_keys);
  json_t *ver = json_object_get(root, "nvlsim");
  if (ver && !(json_is_integer(ver) && json_integer_value(ver) == 1)) {
    err(&L, NVL_DIAG_SCHEMA, "/nvlsim",
        "unsupported format version; this nvlsim reads \"nvlsim\": 1");
    goto fail_root;
  }
  get_string(&L, root, "", "name", true, d->name, sizeof d->name);
  get_string(&L, root, "", "description", false, d->description, sizeof d->description);
  load_catalog(&L);
  parse_types(&L, root);
  if (diags->errors > errors_before)
    goto fail_root; /* types are needed for everything below */

  json_t *groups = get_typed(&L, root, "", "groups", JSON_OBJECT, false);
  const char *gname;
  json_t *gv;
  json_object_foreach(groups, gname, gv) {
    char p[NVL_DIAG_PTR_MAX];
    nvl_ptr_join(p, sizeof p, "/groups", gname);
    if (!valid_name(gname)) {
      err(&L, NVL_DIAG_SCHEMA, p, "invalid group name \"%.60s\"", gname);
      continue;
    }
    if (!json_is_object(gv)) {
      err(&L, NVL_DIAG_SCHEMA, p, "expected an object, got %s", json_type_name(gv));
      continue;
    }
    L.tmpls = nvl_xrealloc(L.tmpls, (L.n_tmpls + 1) * sizeof *L.tmpls);
    group_tmpl *g = &L.tmpls[L.n_tmpls++];
    memset(g, 0, sizeof *g);
    snprintf(g->name, sizeof g->name, "%s", gname);
    snprintf(g->ptr, sizeof g->ptr, "%s", p);
    g->body = gv;
  }
  json_t *system = get_typed(&L, root, "", "system", JSON_OBJECT, true);
  if (!system)
    goto fail_root;
  uint64_t n_dev = size_group(&L, system, "/system", 0);
  if (n_dev == UINT64_MAX)
    goto fail_root;
  if (n_dev > cap_devices(&L)) {
    err(&L, NVL_DIAG_LIMIT, "/system",
        "design has %llu devices and group instances; the limit is %llu (raise it with "
        "--max-endpoints)",
        (unsigned long long)n_dev, (unsigned long long)cap_devices(&L));
    goto fail_root;
  }
  size_t errors_sizing = diags->errors;
  expand_group(&L, system, "/system", "system", 0, -1, 0);
  if (d->n_devices == 0) {
    if (diags->errors == errors_sizing)
      err(&L, NVL_DIAG_SCHEMA, "/system", "the system declares no devices");
    goto fail_root;
  }
  parse_links(&L, root);
  parse_failures(&L, root);
  parse_expect(&L, root);
  if (diags->errors == errors_before)
    whole_design_checks(&L);
  json_decref(root);
  free(L.tmpls);
  free(L.used);
  free(L.mark);
  free(L.bad_names);
  if (diags->errors > errors_before) {
    nvl_design_free(d);
    return NVL_LOAD_INVALID;
  }
  *out = d;
  return NVL_LOAD_OK;
fail_root:
  json_decref(root);
fail:
  free(L.tmpls);
  free(L.used);
  free(L.mark);
  free(L.bad_names);
  nvl_design_free(d);
  return NVL_LOAD_INVALID;
}

nvl_load_status nvl_design_load_file(const char *path, const nvl_load_opts *opts, nvl_design **out,
                                     nvl_diags *diags) {
  *out = NULL;
  struct stat st;
  if (stat(path, &st) != 0) {
    nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_IO, NULL, "cannot read: %s", strerror(errno));
    return NVL_LOAD_IO;
  }
  if (S_ISDIR(st.st_mode)) {
    nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_IO, NULL, "is a directory, not a design file");
    return NVL_LOAD_IO;
  }
  if (!S_ISREG(st.st_mode)) {
    nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_IO, NULL, "not a regular file");
    return NVL_LOAD_IO;
  }
  if ((unsigned long long)st.st_size > NVL_MAX_FILE_BYTES) {
    nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_LIMIT, NULL,
                 "file is %lld bytes; designs of at most %u bytes are accepted",
                 (long long)st.st_size, NVL_MAX_FILE_BYTES);
    return NVL_LOAD_INVALID;
  }
  FILE *f = fopen(path, "rb");
  if (!f) {
    nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_IO, NULL, "cannot read: %s", strerror(errno));
    return NVL_LOAD_IO;
  }
  size_t cap = (size_t)st.st_size + 1;
  char *buf = malloc(cap);
  size_t len = fread(buf, 1, cap, f);
  bool bad = ferror(f) || len >= cap;
  fclose(f);
  if (bad) {
    free(buf);
    nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_IO, NULL, "read error or file changed while read");
    return NVL_LOAD_IO;
  }
  nvl_load_status rc = nvl_design_load_buffer(buf, len, path, opts, out, diags);
  free(buf);
  return rc;
}

nvl_design *nvl_design_load_default(void) {
  nvl_diags diags = NVL_DIAGS_INIT;
  nvl_design *d = NULL;
  if (nvl_design_load_buffer(nvl_default_design_json, nvl_default_design_json_len,
                             NVL_DEFAULT_DESIGN_NAME, NULL, &d, &diags) != NVL_LOAD_OK) {
    fprintf(stderr, "nvlsim: internal error: built-in design does not load\n");
    abort();
  }
  nvl_diags_release(&diags);
  return d;
}

void nvl_design_free(nvl_design *d) {
  if (!d)
    return;
  for (size_t i = 0; i < d->n_prefixes; i++)
    free(d->prefixes[i].members);
  free(d->link_types);
  free(d->endpoint_types);
  free(d->switch_types);
  free(d->devices);
  free(d->links);
  free(d->prefixes);
  free(d->groups);
  free(d->origins);
  free(d->failures);
  free(d->failed);
  free(d);
}
