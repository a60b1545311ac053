/*
 * getters: the loader's diagnostics and typed access to JSON values (see loader.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "design/loader.h"

void nvl_ld_err(loader *L, nvl_diag_code code, const char *ptr, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  nvl_diag_addv(L->diags, NVL_SEV_ERROR, code, ptr, fmt, ap);
  va_end(ap);
}

void nvl_ld_warn(loader *L, nvl_diag_code code, const char *ptr, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  nvl_diag_addv(L->diags, NVL_SEV_WARNING, code, ptr, fmt, ap);
  va_end(ap);
}

/* Reports keys of `obj` that are not in `allowed` (NULL-terminated). */
void nvl_ld_check_keys(loader *L, json_t *obj, const char *ptr, const char *const *allowed) {
  const char *key;
  json_t *val;
  json_object_foreach(obj, key, val) {
    bool ok = false;
    for (const char *const *a = allowed; *a; a++)
      if (strcmp(key, *a) == 0)
        ok = true;
    if (ok)
      continue;
    nvl_suggest s = NVL_SUGGEST_INIT(key);
    for (const char *const *a = allowed; *a; a++)
      nvl_suggest_offer(&s, *a);
    char hint[96], p[NVL_DIAG_PTR_MAX];
    nvl_suggest_text(&s, hint, sizeof hint);
    nvl_ptr_join(p, sizeof p, ptr, key);
    nvl_ld_err(L, NVL_DIAG_UNKNOWN_KEY, p, "unknown key \"%.60s\"%s", key, hint);
  }
}

/* Typed getters: return NULL/false when absent; report a SCHEMA error when present but wrong. */
json_t *nvl_ld_get_typed(loader *L, json_t *obj, const char *ptr, const char *key, json_type t,
                         bool required) {
  char p[NVL_DIAG_PTR_MAX];
  nvl_ptr_join(p, sizeof p, ptr, key);
  json_t *v = json_object_get(obj, key);
  if (!v) {
    if (required)
      nvl_ld_err(L, NVL_DIAG_SCHEMA, ptr, "missing required key \"%s\"", key);
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
      nvl_ld_err(L, NVL_DIAG_QUANTITY, p, "expected a string with a unit, got the bare number %g",
                 json_number_value(v));
    else
      nvl_ld_err(L, NVL_DIAG_SCHEMA, p, "expected %s, got %s", want, nvl_json_type_name(v));
    return NULL;
  }
  return v;
}

bool nvl_ld_get_string(loader *L, json_t *obj, const char *ptr, const char *key, bool required,
                       char *out, size_t len) {
  json_t *v = json_object_get(obj, key);
  if (v && json_is_number(v)) { /* a name or a text, not a quantity: no "unit" in the message */
    char p[NVL_DIAG_PTR_MAX];
    nvl_ptr_join(p, sizeof p, ptr, key);
    nvl_ld_err(L, NVL_DIAG_SCHEMA, p, "expected a string, got %s", nvl_json_type_name(v));
    return false;
  }
  v = nvl_ld_get_typed(L, obj, ptr, key, JSON_STRING, required);
  if (!v)
    return false;
  const char *s = json_string_value(v);
  if (strlen(s) >= len) {
    char p[NVL_DIAG_PTR_MAX];
    nvl_ptr_join(p, sizeof p, ptr, key);
    nvl_ld_err(L, NVL_DIAG_LIMIT, p, "string is %zu bytes long; at most %zu allowed", strlen(s),
               len - 1);
    return false;
  }
  memcpy(out, s, strlen(s) + 1);
  return true;
}

bool nvl_ld_get_int(loader *L, json_t *obj, const char *ptr, const char *key, bool required,
                    long long lo, long long hi, long long *out) {
  json_t *v = nvl_ld_get_typed(L, obj, ptr, key, JSON_INTEGER, required);
  if (!v)
    return false;
  long long x = json_integer_value(v);
  if (x < lo || x > hi) {
    char p[NVL_DIAG_PTR_MAX];
    nvl_ptr_join(p, sizeof p, ptr, key);
    nvl_ld_err(L, NVL_DIAG_QUANTITY, p, "%s is %lld; must be between %lld and %lld", key, x, lo,
               hi);
    return false;
  }
  *out = x;
  return true;
}

/* What a design may say, per kind: beyond these a simulation's times leave double's range or mean
 * nothing (a bandwidth of 1e-300 B/s gave "inf" us, a latency of 1e300 s 300-digit times). */
static const struct {
  double lo, hi;
  const char *range;
} qty_range[] = {[NVL_QTY_BANDWIDTH] = {1, 1e18, "between 1 B/s and 1 EB/s"},
                 [NVL_QTY_TIME] = {0, 1e6, "at most 1e6 s (11.6 days)"},
                 [NVL_QTY_SIZE] = {0, 9e18, "at most 8 EiB"},
                 [NVL_QTY_FLOPS] = {1, 1e21, "between 1 FLOP/s and 1000 EFLOP/s"},
                 [NVL_QTY_POWER] = {0, 1e9, "at most 1000 MW"}};

bool nvl_ld_get_qty(loader *L, json_t *obj, const char *ptr, const char *key, bool required,
                    nvl_qty_kind kind, bool allow_zero, double *out) {
  char s[128];
  json_t *v = nvl_ld_get_typed(L, obj, ptr, key, JSON_STRING, required); /* "with a unit" */
  if (!v || !nvl_ld_get_string(L, obj, ptr, key, required, s, sizeof s))
    return false;
  char e[160], p[NVL_DIAG_PTR_MAX];
  int rc = allow_zero && kind == NVL_QTY_TIME ? nvl_units_parse_time0(s, out, e, sizeof e)
                                              : nvl_units_parse(s, kind, out, e, sizeof e);
  if (rc == 0 && ((*out != 0 && *out < qty_range[kind].lo) || *out > qty_range[kind].hi)) {
    snprintf(e, sizeof e, "\"%.60s\" is out of range: %s", s, qty_range[kind].range);
    rc = -1;
  }
  if (rc != 0) {
    nvl_ptr_join(p, sizeof p, ptr, key);
    nvl_ld_err(L, NVL_DIAG_QUANTITY, p, "%s", e);
    return false;
  }
  return true;
}

/* Names: NVL_LD_NAME_RULE. */
_Static_assert(NVL_NAME_MAX - 13 == 51, "NVL_LD_NAME_RULE states the length");
bool nvl_ld_valid_name(const char *s) {
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

/* Suggests among names stored inline in structs (name is the first member of each type). */
void nvl_ld_unknown(loader *L, const char *ptr, const char *what, const char *name, const void *arr,
                    size_t n, size_t stride) {
  nvl_suggest s = NVL_SUGGEST_INIT(name);
  for (size_t i = 0; i < n; i++)
    nvl_suggest_offer(&s, (const char *)arr + i * stride);
  char hint[96];
  nvl_suggest_text(&s, hint, sizeof hint);
  nvl_ld_err(L, NVL_DIAG_REFERENCE, ptr, "unknown %s \"%.60s\"%s", what, name, hint);
}

json_t *nvl_ld_object_item(loader *L, json_t *arr, size_t i, const char *arr_ptr, char *ip) {
  json_t *it = json_array_get(arr, i);
  nvl_ptr_index(ip, NVL_DIAG_PTR_MAX, arr_ptr, i);
  if (json_is_object(it))
    return it;
  nvl_ld_err(L, NVL_DIAG_SCHEMA, ip, "expected an object, got %s", nvl_json_type_name(it));
  return NULL;
}
