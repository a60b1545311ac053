/*
 * groups: group templates, their sizing (cycles and overflow caught before anything is
 * allocated) and their depth-first expansion into device instances.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "design/loader.h"

int nvl_ld_find_tmpl(loader *L, const char *name) {
  for (size_t i = 0; i < L->n_tmpls; i++)
    if (strcmp(L->tmpls[i].name, name) == 0)
      return (int)i;
  return -1;
}

static const char *const group_keys[] = {"description", "endpoints", "switches", "include",
                                         "wiring",      "note",      NULL};
static const char *const decl_keys[] = {"name", "type", "count", "note", NULL};
static const char *const include_keys[] = {"group", "count", "note", NULL};

uint64_t nvl_ld_cap_devices(loader *L) {
  return L->opts && L->opts->max_endpoints ? L->opts->max_endpoints : NVL_DEFAULT_MAX_ENDPOINTS;
}

static uint64_t size_tmpl(loader *L, int ti, const char *ref_ptr, int depth) {
  group_tmpl *g = &L->tmpls[ti];
  if (g->state == 2)
    return g->devices;
  if (g->state == 1) {
    nvl_ld_err(L, NVL_DIAG_REFERENCE, ref_ptr, "group \"%s\" includes itself (cycle)", g->name);
    return UINT64_MAX;
  }
  g->state = 1;
  uint64_t n = nvl_ld_size_group(L, g->body, g->ptr, depth + 1);
  g = &L->tmpls[ti];
  g->state = 2;
  g->devices = n;
  return n;
}

/* Sizes a group body: the number of devices plus nested group instances it creates (both cost
 * memory and time, so both count against the limit). Returns UINT64_MAX on overflow or cycle
 * (already reported). */
uint64_t nvl_ld_size_group(loader *L, json_t *body, const char *ptr, int depth) {
  if (depth > 32) {
    nvl_ld_err(L, NVL_DIAG_LIMIT, ptr, "groups nested more than 32 deep");
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
        int ti = gn && json_is_string(gn) ? nvl_ld_find_tmpl(L, json_string_value(gn)) : -1;
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
        nvl_ld_err(L, NVL_DIAG_LIMIT, ip, "device and group count overflows 64 bits");
        return UINT64_MAX;
      }
    }
  }
  return bad ? UINT64_MAX : total;
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
      if (!json_is_string(n) || !nvl_ld_valid_name(json_string_value(n)))
        continue;
      const nvl_design *d = L->d;
      bool known = false;
      for (size_t k = 0; k < d->n_prefixes; k++)
        known |= strcmp(d->prefixes[k].name, json_string_value(n)) == 0;
      if (!known)
        nvl_ld_prefix(L, json_string_value(n), s == 1, "");
    }
  }
  size_t i;
  json_t *it;
  json_array_foreach(json_object_get(body, "include"), i, it) {
    json_t *g = json_object_get(it, "group");
    int ti = json_is_string(g) ? nvl_ld_find_tmpl(L, json_string_value(g)) : -1;
    if (ti >= 0 && L->tmpls[ti].state == 2)
      declare_prefixes(L, L->tmpls[ti].body, depth + 1);
  }
}

/* One entry of "endpoints" or "switches": count devices of a type under a name prefix. */
static void declare_devices(loader *L, json_t *it, const char *ip, bool is_switch, int gi) {
  nvl_design *d = L->d;
  nvl_ld_check_keys(L, it, ip, decl_keys);
  char name[NVL_NAME_MAX], type[NVL_NAME_MAX];
  long long count = 1;
  bool ok = nvl_ld_get_string(L, it, ip, "name", true, name, sizeof name);
  ok &= nvl_ld_get_string(L, it, ip, "type", true, type, sizeof type);
  ok &= !json_object_get(it, "count") ||
        nvl_ld_get_int(L, it, ip, "count", false, 0, INT_MAX, &count);
  if (!ok) {
    if (json_is_string(json_object_get(it, "name")))
      nvl_ld_note_bad_name(L, json_string_value(json_object_get(it, "name")));
    return;
  }
  char np[NVL_DIAG_PTR_MAX];
  nvl_ptr_join(np, sizeof np, ip, "name");
  size_t nl = strlen(name);
  if (!nvl_ld_valid_name(name) || (name[nl - 1] >= '0' && name[nl - 1] <= '9')) {
    nvl_ld_note_bad_name(L, name);
    nvl_ld_err(L, NVL_DIAG_SCHEMA, np,
               "invalid device name \"%.60s\": " NVL_LD_NAME_RULE
               ", no digit at the end (numbers are appended: gpu0, gpu1, ...)",
               name);
    return;
  }
  int ti = !is_switch ? nvl_ld_find_et(d, type, false) : nvl_ld_find_st(d, type, false);
  if (ti < 0) {
    nvl_ld_note_bad_name(L, name);
    char tp[NVL_DIAG_PTR_MAX];
    nvl_ptr_join(tp, sizeof tp, ip, "type");
    if (!is_switch)
      nvl_ld_unknown(L, tp, "endpoint type", type, d->endpoint_types, d->n_endpoint_types,
                     sizeof(nvl_endpoint_type));
    else
      nvl_ld_unknown(L, tp, "switch type", type, d->switch_types, d->n_switch_types,
                     sizeof(nvl_switch_type));
    return;
  }
  int pi = nvl_ld_prefix(L, name, is_switch, np);
  if (pi < 0) {
    nvl_ld_note_bad_name(L, name);
    return;
  }
  for (long long k = 0; k < count; k++)
    nvl_ld_add_device(L, pi, is_switch, ti, gi);
}

/* One entry of "include": count instances of a template, expanded in place. Problems of the
 * nested bodies are reported by their first instance (diags restored around the expansion). */
static void include_group(loader *L, json_t *it, const char *ip, int gi, int depth,
                          nvl_diags *outer, nvl_diags *here) {
  nvl_ld_check_keys(L, it, ip, include_keys);
  char gname[NVL_NAME_MAX];
  long long count = 1;
  bool ok = nvl_ld_get_string(L, it, ip, "group", true, gname, sizeof gname);
  ok &= !json_object_get(it, "count") ||
        nvl_ld_get_int(L, it, ip, "count", false, 0, INT_MAX, &count);
  if (!ok)
    return;
  int ti = nvl_ld_find_tmpl(L, gname);
  if (ti < 0) {
    char gp[NVL_DIAG_PTR_MAX];
    nvl_ptr_join(gp, sizeof gp, ip, "group");
    nvl_suggest s = NVL_SUGGEST_INIT(gname);
    for (size_t t = 0; t < L->n_tmpls; t++)
      nvl_suggest_offer(&s, L->tmpls[t].name);
    char hint[96];
    nvl_suggest_text(&s, hint, sizeof hint);
    nvl_ld_err(L, NVL_DIAG_REFERENCE, gp, "unknown group \"%.60s\"%s", gname, hint);
    return;
  }
  if (L->tmpls[ti].state != 2 || depth > 32)
    return; /* part of a cycle: already reported */
  if (count == 0)
    declare_prefixes(L, L->tmpls[ti].body, depth + 1);
  L->diags = outer;
  for (long long k = 0; k < count; k++)
    nvl_ld_expand_group(L, L->tmpls[ti].body, L->tmpls[ti].ptr, L->tmpls[ti].name, (int)k, gi,
                        depth + 1);
  L->diags = here;
}

void nvl_ld_expand_group(loader *L, json_t *body, const char *ptr, const char *tmpl_name,
                         int instance, int parent, int depth) {
  nvl_design *d = L->d;
  if (instance == 0) /* later instances of a template repeat the same body */
    nvl_ld_check_keys(L, body, ptr, group_keys);
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
  static const char *const secs[] = {"endpoints", "switches", "include"};
  for (int s = 0; s < 3; s++) {
    char ap[NVL_DIAG_PTR_MAX], ip[NVL_DIAG_PTR_MAX];
    nvl_ptr_join(ap, sizeof ap, ptr, secs[s]);
    json_t *arr = nvl_ld_get_typed(L, body, ptr, secs[s], JSON_ARRAY, false), *it;
    for (size_t i = 0; i < json_array_size(arr); i++)
      if ((it = nvl_ld_object_item(L, arr, i, ap, ip)) != NULL && s < 2)
        declare_devices(L, it, ip, s == 1, gi);
      else if (it)
        include_group(L, it, ip, gi, depth, saved, L->diags);
  }
  size_t i;
  json_t *it;
  char wp[NVL_DIAG_PTR_MAX];
  nvl_ptr_join(wp, sizeof wp, ptr, "wiring");
  json_t *wiring = nvl_ld_get_typed(L, body, ptr, "wiring", JSON_ARRAY, false);
  char scope[NVL_NAME_MAX + 32];
  snprintf(scope, sizeof scope, "group \"%s\"", tmpl_name);
  json_array_foreach(wiring, i, it) {
    char rp[NVL_DIAG_PTR_MAX];
    nvl_ptr_index(rp, sizeof rp, wp, i);
    nvl_ld_apply_rule(L, it, rp, start, (int)d->n_devices, scope);
  }
  L->diags = saved;
  if (!report && quiet.errors && !saved->errors)
    nvl_ld_err(L, NVL_DIAG_WIRING, ptr,
               "instance %d of group \"%s\" fails where instance 0 did not", instance, tmpl_name);
  nvl_diags_release(&quiet);
}
