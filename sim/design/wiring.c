/*
 * wiring: the rules full, block, one_to_one and plane, applied inside a group instance.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/names.h"
#include "design/loader.h"

static const char *const rule_keys[] = {"rule",  "from",   "to",   "link",
                                        "links", "planes", "note", NULL};

typedef enum { FULL, BLOCK, ONE_TO_ONE, PLANE } rule_kind;
static const char *const rule_names[] = {"full", "block", "one_to_one", "plane"};

/* One rule being applied: its kind, link type, the two selections and the link counts. */
typedef struct {
  rule_kind rk;
  int lt;
  const char *from, *to;
  selection A, B;
  long long per_pair, planes;
  long long *per_to; /* rule full: links to each member of `to`, or NULL */
} rule;

static bool parse_kind(loader *L, const char *kind, const char *ptr, rule_kind *out) {
  int k = nvl_names_find(rule_names, 4, kind, false);
  if (k >= 0) {
    *out = (rule_kind)k;
    return true;
  }
  nvl_suggest s = NVL_SUGGEST_INIT(kind);
  for (int i = 0; i < 4; i++)
    nvl_suggest_offer(&s, rule_names[i]);
  char hint[96], p[NVL_DIAG_PTR_MAX];
  nvl_suggest_text(&s, hint, sizeof hint);
  nvl_ptr_join(p, sizeof p, ptr, "rule");
  nvl_ld_err(L, NVL_DIAG_SCHEMA, p,
             "unknown rule \"%.40s\"%s; expected full, block, one_to_one or plane", kind, hint);
  return false;
}

/* "links": an integer per pair, or (rule full) one integer per member of `to`; "planes". */
static bool read_counts(loader *L, json_t *r, const char *ptr, rule *ru) {
  char p[NVL_DIAG_PTR_MAX];
  json_t *lk = json_object_get(r, "links");
  nvl_ptr_join(p, sizeof p, ptr, "links");
  if (lk && json_is_array(lk)) {
    if (ru->rk != FULL) {
      nvl_ld_err(L, NVL_DIAG_WIRING, p, "a list of link counts is allowed only with rule \"full\"");
      return false;
    }
    if (json_array_size(lk) != ru->B.n) {
      nvl_ld_err(L, NVL_DIAG_WIRING, p, "%zu link counts given for %zu \"%s\" devices",
                 json_array_size(lk), ru->B.n, ru->to);
      return false;
    }
    ru->per_to = nvl_xrealloc(NULL, ru->B.n * sizeof *ru->per_to);
    for (size_t j = 0; j < ru->B.n; j++) {
      json_t *v = json_array_get(lk, j);
      char pj[NVL_DIAG_PTR_MAX];
      nvl_ptr_index(pj, sizeof pj, p, j);
      if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 4096) {
        nvl_ld_err(L, NVL_DIAG_QUANTITY, pj, "link count must be an integer between 0 and 4096");
        return false;
      }
      ru->per_to[j] = json_integer_value(v);
    }
  } else if (lk && !nvl_ld_get_int(L, r, ptr, "links", false, 1, 4096, &ru->per_pair)) {
    return false;
  }
  if (ru->rk == PLANE)
    return nvl_ld_get_int(L, r, ptr, "planes", true, 1, 65536, &ru->planes);
  if (json_object_get(r, "planes")) {
    nvl_ptr_join(p, sizeof p, ptr, "planes");
    nvl_ld_err(L, NVL_DIAG_WIRING, p, "\"planes\" is only meaningful with rule \"plane\"");
    return false;
  }
  return true;
}

/* The selections fit the rule: the bundle budget, block's even split, one_to_one's equal
 * counts, a device at every plane index. */
static bool check_shape(loader *L, const char *ptr, const rule *ru) {
  size_t na = ru->A.n, nb = ru->B.n;
  uint64_t pairs = ru->rk == FULL ? (uint64_t)na * nb : (uint64_t)(na > nb ? na : nb);
  if (pairs + L->d->n_links > MAX_LINK_BUNDLES) {
    nvl_ld_err(L, NVL_DIAG_LIMIT, ptr, "rule would create %llu link bundles; at most %u allowed",
               (unsigned long long)pairs, MAX_LINK_BUNDLES);
    return false;
  }
  if (ru->rk == BLOCK && (na == 0 || nb % na != 0)) {
    nvl_ld_err(
        L, NVL_DIAG_WIRING, ptr,
        "rule \"block\" needs the %zu \"%s\" devices to split evenly over the %zu \"%s\" devices",
        nb, ru->to, na, ru->from);
    return false;
  }
  if (ru->rk == ONE_TO_ONE && na != nb) {
    nvl_ld_err(L, NVL_DIAG_WIRING, ptr,
               "rule \"one_to_one\" needs equal counts: %zu \"%s\" vs %zu \"%s\"", na, ru->from, nb,
               ru->to);
    return false;
  }
  for (long long k = 0; ru->rk == PLANE && k < ru->planes; k++)
    if ((size_t)k >= na || (size_t)k >= nb) {
      nvl_ld_err(L, NVL_DIAG_WIRING, ptr,
                 "plane %lld has no \"%s\" device (%zu \"%s\", %zu \"%s\")", k,
                 (size_t)k >= na ? ru->from : ru->to, na, ru->from, nb, ru->to);
      return false;
    }
  return true;
}

/* Creates the rule's links: member i of `from` to member j of `to` when the rule says so. */
static void connect(loader *L, const char *ptr, const rule *ru) {
  const selection *A = &ru->A, *B = &ru->B;
  nvl_ld_ensure_used(L);
  int origin = nvl_ld_add_origin(L, ptr);
  port_tally tally = {.origin = origin};
  bool self_loop = false;
  for (size_t i = 0; i < A->n; i++)
    for (size_t j = 0; j < B->n; j++) {
      long long k = ru->per_to ? ru->per_to[j] : ru->per_pair;
      bool on;
      switch (ru->rk) {
      case FULL: on = true; break;
      case BLOCK: on = j / (B->n / A->n) == i; break;
      case ONE_TO_ONE: on = i == j; break;
      default: on = i % (size_t)ru->planes == j % (size_t)ru->planes; break;
      }
      if (!on || k == 0)
        continue;
      if (A->ids[i] == B->ids[j]) {
        self_loop |= ru->rk != FULL; /* full from a set to itself builds a mesh */
        continue;
      }
      if (ru->rk == FULL && A->ids[i] > B->ids[j] && nvl_ld_in_sel(A, B->ids[j]) &&
          nvl_ld_in_sel(B, A->ids[i]))
        continue; /* the pair (B[j], A[i]) is wired from the other side */
      nvl_ld_add_link(L, A->ids[i], B->ids[j], ru->lt, (int)k, origin, &tally);
    }
  if (self_loop)
    nvl_ld_err(L, NVL_DIAG_SELF_LOOP, ptr, "rule links devices of \"%s\" to themselves", ru->from);
  nvl_ld_report_tally(L, &tally, ru->lt, ptr);
}

void nvl_ld_apply_rule(loader *L, json_t *r, const char *ptr, int start, int end,
                       const char *scope) {
  if (!json_is_object(r)) {
    nvl_ld_err(L, NVL_DIAG_SCHEMA, ptr, "expected an object, got %s", nvl_json_type_name(r));
    return;
  }
  nvl_ld_check_keys(L, r, ptr, rule_keys);
  char kind[32], from[NVL_NAME_MAX + 24], to[NVL_NAME_MAX + 24], lt_name[NVL_NAME_MAX];
  bool ok = nvl_ld_get_string(L, r, ptr, "rule", true, kind, sizeof kind);
  ok &= nvl_ld_get_string(L, r, ptr, "from", true, from, sizeof from);
  ok &= nvl_ld_get_string(L, r, ptr, "to", true, to, sizeof to);
  ok &= nvl_ld_get_string(L, r, ptr, "link", true, lt_name, sizeof lt_name);
  rule ru = {.from = from, .to = to, .per_pair = 1};
  if (!ok || !parse_kind(L, kind, ptr, &ru.rk))
    return;
  ru.lt = nvl_ld_link_type(L, lt_name, ptr, "link", false);
  if (ru.lt < 0)
    return;
  char pf[NVL_DIAG_PTR_MAX], pt[NVL_DIAG_PTR_MAX];
  nvl_ptr_join(pf, sizeof pf, ptr, "from");
  nvl_ptr_join(pt, sizeof pt, ptr, "to");
  bool okA = nvl_ld_select_members(L, from, start, end, pf, scope, &ru.A);
  bool okB = nvl_ld_select_members(L, to, start, end, pt, scope, &ru.B);
  /* errors reported, or nothing selected: nothing to wire */
  if (okA && okB && ru.A.n > 0 && ru.B.n > 0 && read_counts(L, r, ptr, &ru) &&
      check_shape(L, ptr, &ru))
    connect(L, ptr, &ru);
  free(ru.per_to);
  free(ru.A.ids);
  free(ru.B.ids);
}
