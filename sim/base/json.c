/*
 * json: see json.h.
 */
#include "base/json.h"

#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/units.h"
#include "base/xalloc.h"

size_t nvl_utf8_char_len(const char *s) {
  const unsigned char *u = (const unsigned char *)s;
  if (u[0] < 0x80)
    return 1;
  size_t n = u[0] >= 0xC2 && u[0] <= 0xDF   ? 2
             : u[0] >= 0xE0 && u[0] <= 0xEF ? 3
             : u[0] >= 0xF0 && u[0] <= 0xF4 ? 4
                                            : 0;
  for (size_t k = 1; k < n; k++)
    if ((u[k] & 0xC0) != 0x80)
      return 0;
  if ((n == 3 && u[0] == 0xE0 && u[1] < 0xA0) || (n == 3 && u[0] == 0xED && u[1] >= 0xA0) ||
      (n == 4 && u[0] == 0xF0 && u[1] < 0x90) || (n == 4 && u[0] == 0xF4 && u[1] >= 0x90))
    return 0; /* overlong, a surrogate, or past U+10FFFF */
  return n;
}

json_t *nvl_json_text(const char *s) {
  json_t *j = json_string(s);
  if (j)
    return j;
  size_t n = strlen(s), o = 0;
  char *t = nvl_xmalloc(n + 1);
  for (size_t i = 0; i < n;) { /* keep the well-formed characters, '?' for each stray byte */
    size_t k = nvl_utf8_char_len(s + i);
    if (k == 0) {
      t[o++] = '?';
      i++;
    } else {
      memcpy(t + o, s + i, k);
      o += k;
      i += k;
    }
  }
  t[o] = '\0';
  j = json_string(t);
  free(t);
  return j;
}

/* The first control character of s (C0, DEL, or C1 as UTF-8 C2 80..9F), or -1. */
static long control_char(const char *s) {
  for (const unsigned char *u = (const unsigned char *)s; *u; u++)
    if (*u < 0x20 || *u == 0x7f)
      return *u;
    else if (*u == 0xc2 && u[1] >= 0x80 && u[1] <= 0x9f)
      return u[1];
  return -1;
}

/* Appends the RFC 6901 token of key to ptr[0..n) (~ as ~0, / as ~1; a control character, which
 * the message must not print, as \u00XX); returns the new length. */
static size_t ptr_push(char *ptr, size_t n, size_t cap, const char *key) {
  if (n + 1 < cap)
    ptr[n++] = '/';
  for (const unsigned char *k = (const unsigned char *)key; *k && n + 7 < cap; k++)
    if (*k == '~' || *k == '/') {
      ptr[n++] = '~';
      ptr[n++] = *k == '~' ? '0' : '1';
    } else if (*k < 0x20 || *k == 0x7f || (*k == 0xc2 && k[1] >= 0x80 && k[1] <= 0x9f)) {
      n += (size_t)snprintf(ptr + n, cap - n, "\\u%04X", *k == 0xc2 ? k[1] : *k);
      k += *k == 0xc2;
    } else {
      ptr[n++] = (char)*k;
    }
  ptr[n] = 0;
  return n;
}

/* Finds the first key or string holding a control character: its pointer in ptr, the character. */
static long find_control(const json_t *v, char *ptr, size_t n, size_t cap) {
  if (json_is_string(v))
    return control_char(json_string_value(v));
  const char *key;
  json_t *x;
  size_t i;
  if (json_is_object(v))
    json_object_foreach((json_t *)v, key, x) {
      size_t m = ptr_push(ptr, n, cap, key);
      long c = control_char(key);
      if (c < 0)
        c = find_control(x, ptr, m, cap);
      if (c >= 0)
        return c;
      ptr[n] = 0;
    }
  if (json_is_array(v))
    json_array_foreach(v, i, x) {
      char idx[24];
      snprintf(idx, sizeof idx, "%zu", i);
      long c = find_control(x, ptr, ptr_push(ptr, n, cap, idx), cap);
      if (c >= 0)
        return c;
      ptr[n] = 0;
    }
  return -1;
}

json_t *nvl_json_load_user(const char *text, size_t len, nvl_diags *diags) {
  json_error_t je;
  json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
  if (!root) {
    nvl_diag_syntax(diags, je.line > 0 ? je.line : 1, je.column > 0 ? je.column : 1, "%s", je.text);
    return NULL;
  }
  char ptr[NVL_DIAG_PTR_MAX] = "";
  long c = find_control(root, ptr, 0, sizeof ptr);
  if (c >= 0) {
    nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_SYNTAX, ptr,
                 "holds the control character U+%04lX (names and text may not: a terminal would "
                 "take it for a command)",
                 (unsigned long)c);
    json_decref(root);
    return NULL;
  }
  return root;
}

const char *nvl_json_type_name(const json_t *v) {
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

/* The next reference token of a pointer, unescaped (~0 -> ~, ~1 -> /). */
static const char *next_token(const char *p, char *tok, size_t len) {
  size_t n = 0;
  while (*p && *p != '/' && n + 1 < len) {
    if (p[0] == '~' && (p[1] == '0' || p[1] == '1')) {
      tok[n++] = p[1] == '0' ? '~' : '/';
      p += 2;
    } else {
      tok[n++] = *p++;
    }
  }
  tok[n] = '\0';
  return p;
}

int nvl_json_pointer_set(json_t *root, const char *ptr, json_t *value, char *err, size_t errlen) {
  if (ptr[0] != '/') {
    snprintf(err, errlen, "pointer \"%.80s\" must start with '/'", ptr);
    return -1;
  }
  json_t *cur = root;
  const char *p = ptr + 1;
  for (;;) {
    char tok[256];
    p = next_token(p, tok, sizeof tok);
    bool last = *p != '/';
    if (json_is_object(cur)) {
      if (last)
        return json_object_set(cur, tok, value) == 0 ? 0 : -1;
      json_t *next = json_object_get(cur, tok);
      if (!next) {
        next = json_object();
        json_object_set_new(cur, tok, next);
      }
      cur = next;
    } else if (json_is_array(cur)) {
      char *end;
      long idx = strtol(tok, &end, 10);
      if (*end || end == tok || idx < 0 || (size_t)idx >= json_array_size(cur)) {
        snprintf(err, errlen, "pointer \"%.80s\": no element \"%s\" in an array of %zu", ptr, tok,
                 json_array_size(cur));
        return -1;
      }
      if (last)
        return json_array_set(cur, (size_t)idx, value) == 0 ? 0 : -1;
      cur = json_array_get(cur, (size_t)idx);
    } else {
      snprintf(err, errlen, "pointer \"%.80s\" goes through a value that is not an object or array",
               ptr);
      return -1;
    }
    p++;
  }
}

int nvl_json_bytes(const json_t *v, uint64_t *out, char *err, size_t errlen) {
  if (json_is_integer(v)) {
    json_int_t b = json_integer_value(v);
    if (b < 0 || (double)b > 9.0e18) {
      snprintf(err, errlen, "size %" JSON_INTEGER_FORMAT " must be between 0 and 8 EiB", b);
      return -1;
    }
    *out = (uint64_t)b;
    return 0;
  }
  if (!json_is_string(v) || json_string_length(v) > 63) {
    snprintf(err, errlen,
             "expected a size: a string such as \"64 MiB\" or \"64M\", or a whole number of "
             "bytes");
    return -1;
  }
  return nvl_units_parse_cli_size(json_string_value(v), true, out, err, errlen);
}

void nvl_jr_fail(nvl_jreader *r, const char *fmt, ...) {
  if (r->failed)
    return;
  r->failed = true;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(r->err, r->len, fmt, ap);
  va_end(ap);
}

json_t *nvl_jr_root(nvl_jreader *r, const char *text, size_t len) {
  json_error_t je;
  json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
  if (json_is_object(root))
    return root;
  if (root)
    nvl_jr_fail(r, "not a JSON object");
  else
    nvl_jr_fail(r, "line %d: %s", je.line, je.text);
  json_decref(root);
  return NULL;
}

double nvl_jr_num(nvl_jreader *r, json_t *o, const char *where, const char *key, double lo,
                  double hi) {
  json_t *v = json_object_get(o, key);
  double x = json_is_number(v) ? json_number_value(v) : NAN;
  if (!(x >= lo && x <= hi)) {
    nvl_jr_fail(r, "%s%s%s: %s a number from %g to %g", where, *where ? "/" : "", key,
                v ? "not" : "missing:", lo, hi);
    return lo;
  }
  return x;
}

double nvl_jr_time(nvl_jreader *r, json_t *o, const char *where, const char *key, double hi) {
  json_t *v = json_object_get(o, key);
  double t = NAN;
  char e[160];
  if (!json_is_string(v) || nvl_units_parse_time0(json_string_value(v), &t, e, sizeof e) != 0 ||
      !(t <= hi)) {
    nvl_jr_fail(r, "%s%s%s: %s a time such as \"5 us\", at most %g s", where, *where ? "/" : "",
                key, v ? "not" : "missing:", hi);
    return 0;
  }
  return t;
}
