/*
 * select: the selector language, "gpu", "gpu[8:16]", "gpu[-4:]", "gpu[0:8:2]", "gpu3": inside a
 * group instance for wiring rules, and over the whole design for --ranks and workload files.
 * Slices are Python's [lo:hi:step] (negative indices count from the end, a positive step),
 * except that one selecting nothing or reaching past the devices is an error, not empty.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "design/loader.h"

void nvl_ld_note_bad_name(loader *L, const char *name) {
  L->bad_names = nvl_xrealloc(L->bad_names, (L->n_bad_names + 1) * sizeof *L->bad_names);
  snprintf(L->bad_names[L->n_bad_names++], NVL_NAME_MAX, "%.*s", NVL_NAME_MAX - 1, name);
}

bool nvl_ld_is_bad_name(const loader *L, const char *name) {
  for (size_t i = 0; i < L->n_bad_names; i++)
    if (strcmp(L->bad_names[i], name) == 0)
      return true;
  return false;
}

/* An optional integer up to the next ':' or ']' (none: *has false). */
static bool slice_num(const char **p, long *v, bool *has) {
  char *end;
  *has = **p != ':' && **p != ']';
  if (!*has)
    return true;
  *v = strtol(*p, &end, 10);
  if (end == *p || *v < -1000000000 || *v > 1000000000)
    return false;
  *p = end;
  return true;
}

bool nvl_ld_parse_selector(const char *sel, char *name, size_t len, nvl_slice *sl) {
  const char *br = strchr(sel, '[');
  memset(sl, 0, sizeof *sl);
  sl->step = 1;
  if (!br) {
    snprintf(name, len, "%s", sel);
    return true;
  }
  size_t n = (size_t)(br - sel);
  if (n == 0 || n >= len)
    return false;
  memcpy(name, sel, n);
  name[n] = '\0';
  sl->sliced = true;
  const char *p = br + 1;
  bool has_step;
  if (!slice_num(&p, &sl->lo, &sl->has_lo) || *p++ != ':' || !slice_num(&p, &sl->hi, &sl->has_hi))
    return false;
  if (*p == ':') {
    p++;
    if (!slice_num(&p, &sl->step, &has_step))
      return false;
    if (!has_step)
      sl->step = 1;
  }
  return sl->step > 0 && p[0] == ']' && p[1] == '\0';
}

int nvl_slice_bounds(const nvl_slice *sl, size_t n, long *lo, long *hi) {
  long N = (long)n;
  *lo = sl->has_lo ? (sl->lo < 0 ? sl->lo + N : sl->lo) : 0;
  *hi = sl->has_hi ? (sl->hi < 0 ? sl->hi + N : sl->hi) : N;
  return *lo >= 0 && *lo < *hi && *hi <= N ? 0 : -1;
}

bool nvl_ld_select_members(loader *L, const char *sel, int start, int end, const char *ptr,
                           const char *scope, selection *out) {
  nvl_design *d = L->d;
  char name[NVL_NAME_MAX];
  long lo, hi;
  nvl_slice sl;
  out->ids = NULL;
  out->n = 0;
  if (!nvl_ld_parse_selector(sel, name, sizeof name, &sl)) {
    nvl_ld_err(L, NVL_DIAG_SCHEMA, ptr,
               "bad selector \"%.60s\"; write \"gpu\", \"gpu[8:16]\", \"gpu[-4:]\" or "
               "\"gpu[0:8:2]\" (a positive step)",
               sel);
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
  if (n_in == 0 && nvl_ld_is_bad_name(L, name)) {
    free(out->ids); /* its declaration was already reported */
    out->ids = NULL;
    return false;
  }
  if (n_in == 0 && pi >= 0 && !sl.sliced) {
    /* declared, but none in this group instance (count 0): the rule selects nothing */
    out->n = 0;
    return true;
  }
  if (n_in == 0) {
    nvl_suggest s = NVL_SUGGEST_INIT(name);
    for (int i = start; i < end; i++)
      nvl_suggest_offer(&s, d->prefixes[d->devices[i].prefix].name);
    char hint[96];
    nvl_suggest_text(&s, hint, sizeof hint);
    nvl_ld_err(L, NVL_DIAG_REFERENCE, ptr, "no devices named \"%.60s\" in %s%s", name, scope, hint);
    free(out->ids);
    out->ids = NULL;
    return false;
  }
  if (nvl_slice_bounds(&sl, n_in, &lo, &hi) != 0) {
    nvl_ld_err(L, NVL_DIAG_WIRING, ptr,
               "slice of \"%.60s\" selects none of, or reaches past, the %zu \"%s\" devices in %s",
               sel, n_in, name, scope);
    free(out->ids);
    out->ids = NULL;
    return false;
  }
  size_t k = 0;
  for (long i = lo; i < hi; i += sl.step)
    out->ids[k++] = out->ids[i];
  out->n = k;
  return true;
}

/* Selections are sorted (device order), so membership is a binary search. */
bool nvl_ld_in_sel(const selection *s, int dev) {
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
  bool *seen = nvl_xcalloc(d->n_devices ? d->n_devices : 1, sizeof(bool));
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
    nvl_slice sl;
    const nvl_prefix *p = NULL;
    if (strchr(tok, '[') && !nvl_ld_parse_selector(tok, name, sizeof name, &sl)) {
      snprintf(err, errlen,
               "bad selector \"%.60s\": write gpu[8:16], gpu[-4:] or gpu[0:8:2] (a positive step)",
               tok);
      rc = -1;
      break;
    }
    if (nvl_ld_parse_selector(tok, name, sizeof name, &sl))
      for (size_t i = 0; i < d->n_prefixes; i++)
        if (strcmp(d->prefixes[i].name, name) == 0)
          p = &d->prefixes[i];
    if (!p) {
      snprintf(err, errlen, "no device or device group \"%.60s\" in design %s", tok, d->name);
      rc = -1;
      break;
    }
    if (nvl_slice_bounds(&sl, p->n_members, &lo, &hi) != 0) {
      snprintf(err, errlen,
               "slice of \"%.60s\" selects none of, or reaches past, the %zu \"%s\" devices", tok,
               p->n_members, name);
      rc = -1;
      break;
    }
    for (long i = lo; i < hi; i += sl.step) {
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
