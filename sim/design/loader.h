/*
 * loader: what the files of the design loader share (private to sim/design/).
 *
 * Loading happens in passes over the parsed JSON, each appending diagnostics in document order:
 *   1. the embedded catalog is parsed into the type tables (flagged from_catalog)   types.c
 *   2. the design's own types, each optionally `base`d on a catalog entry          types.c
 *   3. group templates are parsed, checked for cycles and sized (overflow-safe, capped by
 *      max_endpoints before anything is allocated)                                 groups.c
 *   4. the system group is expanded depth-first: devices get global per-prefix numbers, and each
 *      group instance's wiring rules apply to the devices created inside it       groups.c,
 *                                                                                  wiring.c
 *   5. explicit links, failure specs and the expect block                          links.c,
 *                                                                                  failures.c
 *   6. failures applied to a copy (the damaged design), then whole-design checks on it
 *      (disconnected devices, unused ports, asymmetry)                             failures.c,
 *                                                                                  checks.c
 * Port budgets and link-type compatibility are checked as links are added (devices.c), so that
 * the rule that crossed a budget is the one named. Errors about many devices are reported once
 * per rule with the first device and a count, not once per device.
 */
#ifndef NVL_LOADER_H
#define NVL_LOADER_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/diag.h"
#include "base/json.h"
#include "base/suggest.h"
#include "base/units.h"
#include "base/xalloc.h"
#include "design/design.h"

#define MAX_LINK_BUNDLES 8000000u

#define GROW(arr, n, cap)                                                                          \
  do {                                                                                             \
    if ((n) == (cap)) {                                                                            \
      (cap) = (cap) ? (cap)*2 : 16;                                                                \
      (arr) = nvl_xrealloc((arr), (cap) * sizeof *(arr));                                          \
    }                                                                                              \
  } while (0)

typedef struct {
  char ptr[NVL_DIAG_PTR_MAX];
  json_t *body;
  int state;        /* 0 unvisited, 1 on stack, 2 sized */
  uint64_t devices; /* devices and nested group instances one instance creates (size_group) */
  char name[NVL_NAME_MAX];
} group_tmpl;

/* The loader's working state; the design it fills is L->d. */
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

/* Per-rule tally of port problems, reported once per rule after it is applied. */
typedef struct {
  int origin;
  int mismatch_first, mismatch_n;
  int budget_first, budget_n, budget_used, budget_avail;
} port_tally;

/* Members of a prefix inside a group instance, in device order. */
typedef struct {
  int *ids;
  size_t n;
} selection;

/* getters.c: diagnostics and typed JSON access (absent: NULL/false; present but wrong: a SCHEMA
 * or QUANTITY error at the key's pointer) */
void nvl_ld_err(loader *L, nvl_diag_code code, const char *ptr, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void nvl_ld_warn(loader *L, nvl_diag_code code, const char *ptr, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void nvl_ld_check_keys(loader *L, json_t *obj, const char *ptr, const char *const *allowed);
json_t *nvl_ld_get_typed(loader *L, json_t *obj, const char *ptr, const char *key, json_type t,
                         bool required);
bool nvl_ld_get_string(loader *L, json_t *obj, const char *ptr, const char *key, bool required,
                       char *out, size_t len);
bool nvl_ld_get_int(loader *L, json_t *obj, const char *ptr, const char *key, bool required,
                    long long lo, long long hi, long long *out);
bool nvl_ld_get_qty(loader *L, json_t *obj, const char *ptr, const char *key, bool required,
                    nvl_qty_kind kind, bool allow_zero, double *out);
bool nvl_ld_valid_name(const char *s);
/* What nvl_ld_valid_name takes, for messages (NVL_NAME_MAX - 13 characters: a device's number
 * and a class's ".." still fit). */
#define NVL_LD_NAME_RULE                                                                           \
  "a letter first, then letters, digits, '-', '_' or '.', at most 51 characters"
/* "unknown <what> "name"" with a suggestion among names stored inline in structs (name is the
 * first member of each element). */
void nvl_ld_unknown(loader *L, const char *ptr, const char *what, const char *name, const void *arr,
                    size_t n, size_t stride);

/* The link type `name` given at ptr (and key, or NULL when ptr names it already): its index, or
 * -1 after reporting it unknown with a suggestion. */
int nvl_ld_link_type(loader *L, const char *name, const char *ptr, const char *key,
                     bool catalog_only);
/* Element i of an array given at arr_ptr, when it is an object (its pointer written to ip), else
 * NULL after reporting what it is. */
json_t *nvl_ld_object_item(loader *L, json_t *arr, size_t i, const char *arr_ptr, char *ip);

/* types.c */
int nvl_ld_find_lt(const nvl_design *d, const char *name, bool catalog_only);
int nvl_ld_find_et(const nvl_design *d, const char *name, bool catalog_only);
int nvl_ld_find_st(const nvl_design *d, const char *name, bool catalog_only);
void nvl_ld_parse_types(loader *L, json_t *root);

/* devices.c */
int nvl_ld_prefix(loader *L, const char *name, bool is_switch, const char *ptr);
void nvl_ld_add_device(loader *L, int prefix, bool is_switch, int type, int group);
int nvl_ld_add_origin(loader *L, const char *ptr);
void nvl_ld_ensure_used(loader *L);
void nvl_ld_add_link(loader *L, int a, int b, int lt, int count, int origin, port_tally *t);
void nvl_ld_report_tally(loader *L, const port_tally *t, int lt, const char *ptr);

/* select.c */
void nvl_ld_note_bad_name(loader *L, const char *name);
bool nvl_ld_is_bad_name(const loader *L, const char *name);
/* A selector's slice: [lo:hi:step], each part optional (has_*), negative from the end. */
typedef struct {
  long lo, hi, step;
  bool has_lo, has_hi, sliced;
} nvl_slice;
bool nvl_ld_parse_selector(const char *sel, char *name, size_t len, nvl_slice *sl);
/* The slice over n members as [lo, hi) (step sl->step). Returns 0, or -1 when it selects none
 * or reaches past them. */
int nvl_slice_bounds(const nvl_slice *sl, size_t n, long *lo, long *hi);
bool nvl_ld_select_members(loader *L, const char *sel, int start, int end, const char *ptr,
                           const char *scope, selection *out);
bool nvl_ld_in_sel(const selection *s, int dev);

/* groups.c, wiring.c */
int nvl_ld_find_tmpl(loader *L, const char *name);
uint64_t nvl_ld_cap_devices(loader *L); /* --max-endpoints, or the default */
uint64_t nvl_ld_size_group(loader *L, json_t *body, const char *ptr, int depth);
void nvl_ld_expand_group(loader *L, json_t *body, const char *ptr, const char *tmpl_name,
                         int instance, int parent, int depth);
void nvl_ld_apply_rule(loader *L, json_t *r, const char *ptr, int start, int end,
                       const char *scope);

/* links.c, failures.c, checks.c */
void nvl_ld_parse_links(loader *L, json_t *root);
void nvl_ld_parse_expect(loader *L, json_t *root);
void nvl_ld_parse_failures(loader *L, json_t *root);

#endif
