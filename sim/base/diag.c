/*
 * diag: see diag.h. Storage grows geometrically; messages are truncated, never overflowed.
 */
#include "base/diag.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const code_names[] = {
#define XX(code, name, help) name,
    NVL_DIAG_MAP(XX)
#undef XX
};
static const char *const code_helps[] = {
#define XX(code, name, help) help,
    NVL_DIAG_MAP(XX)
#undef XX
};

const char *nvl_diag_code_name(nvl_diag_code code) {
  return code < NVL_DIAG__COUNT ? code_names[code] : "unknown";
}

const char *nvl_diag_code_help(nvl_diag_code code) {
  return code < NVL_DIAG__COUNT ? code_helps[code] : "";
}

void nvl_diags_release(nvl_diags *d) {
  free(d->items);
  memset(d, 0, sizeof *d);
}

static nvl_diag *push(nvl_diags *d, nvl_severity sev) {
  size_t limit = d->max_items ? d->max_items : 1000;
  if (sev == NVL_SEV_ERROR)
    d->errors++;
  else
    d->warnings++;
  if (d->count >= limit)
    return NULL;
  if (d->count == d->cap) {
    size_t cap = d->cap ? d->cap * 2 : 16;
    nvl_diag *items = realloc(d->items, cap * sizeof *items);
    if (!items)
      return NULL;
    d->items = items;
    d->cap = cap;
  }
  nvl_diag *dg = &d->items[d->count++];
  memset(dg, 0, sizeof *dg);
  dg->severity = sev;
  return dg;
}

void nvl_diag_addv(nvl_diags *d, nvl_severity sev, nvl_diag_code code, const char *pointer,
                   const char *fmt, va_list ap) {
  nvl_diag *dg = push(d, sev);
  if (!dg)
    return;
  dg->code = code;
  snprintf(dg->pointer, sizeof dg->pointer, "%s", pointer ? pointer : "");
  vsnprintf(dg->message, sizeof dg->message, fmt, ap);
}

void nvl_diag_add(nvl_diags *d, nvl_severity sev, nvl_diag_code code, const char *pointer,
                  const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  nvl_diag_addv(d, sev, code, pointer, fmt, ap);
  va_end(ap);
}

void nvl_diag_syntax(nvl_diags *d, int line, int column, const char *fmt, ...) {
  nvl_diag *dg = push(d, NVL_SEV_ERROR);
  if (!dg)
    return;
  dg->code = NVL_DIAG_SYNTAX;
  dg->line = line;
  dg->column = column;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(dg->message, sizeof dg->message, fmt, ap);
  va_end(ap);
}

void nvl_diag_format(const nvl_diag *dg, const char *file, char *buf, size_t len) {
  const char *sev = dg->severity == NVL_SEV_ERROR ? "error" : "warning";
  if (!file) /* nothing read from a file (an unknown built-in's name): no place to name */
    snprintf(buf, len, "%s: %s%s%s", sev, dg->pointer, dg->pointer[0] ? ": " : "", dg->message);
  else if (dg->line > 0)
    snprintf(buf, len, "%s: %s:%d:%d: %s", sev, file, dg->line, dg->column, dg->message);
  else if (dg->pointer[0])
    snprintf(buf, len, "%s: %s:%s: %s", sev, file, dg->pointer, dg->message);
  else
    snprintf(buf, len, "%s: %s: %s", sev, file, dg->message);
}

void nvl_ptr_join(char *out, size_t len, const char *base, const char *token) {
  char esc[NVL_DIAG_PTR_MAX];
  size_t j = 0;
  for (const char *p = token; *p && j + 2 < sizeof esc; p++) {
    if (*p == '~' || *p == '/') {
      esc[j++] = '~';
      esc[j++] = *p == '~' ? '0' : '1';
    } else {
      esc[j++] = *p;
    }
  }
  esc[j] = '\0';
  snprintf(out, len, "%s/%s", base, esc);
}

void nvl_ptr_index(char *out, size_t len, const char *base, size_t index) {
  snprintf(out, len, "%s/%zu", base, index);
}

const char *nvl_diags_first_error(const nvl_diags *d, const char *none) {
  for (size_t i = 0; i < d->count; i++)
    if (d->items[i].severity == NVL_SEV_ERROR)
      return d->items[i].message;
  return none;
}
