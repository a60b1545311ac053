/*
 * wiring: the rules full, block, one_to_one and plane, applied inside a group instance.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "design/loader.h"

static const char *const rule_keys[] = {"rule",  "from",   "to",   "link",
                                        "links", "planes", "note", NULL};

void nvl_ld_apply_rule(loader *L, json_t *r, const char *ptr, int start, int end,
                       const char *scope) {
  nvl_design *d = L->d;
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
    nvl_suggest s = NVL_SUGGEST_INIT(kind);
    for (int i = 0; i < 4; i++)
      nvl_suggest_offer(&s, kinds[i]);
    char hint[96];
    nvl_suggest_text(&s, hint, sizeof hint);
    nvl_ptr_join(p, sizeof p, ptr, "rule");
    nvl_ld_err(L, NVL_DIAG_SCHEMA, p,
               "unknown rule \"%.40s\"%s; expected full, block, one_to_one or plane", kind, hint);
    return;
  }
  int lt = nvl_ld_find_lt(d, lt_name, false);
  if (lt < 0) {
    nvl_ptr_join(p, sizeof p, ptr, "link");
    nvl_ld_unknown(L, p, "link type", lt_name, d->link_types, d->n_link_types,
                   sizeof(nvl_link_type));
    return;
  }
  selection A, B;
  char pf[NVL_DIAG_PTR_MAX], pt[NVL_DIAG_PTR_MAX];
  nvl_ptr_join(pf, sizeof pf, ptr, "from");
  nvl_ptr_join(pt, sizeof pt, ptr, "to");
  bool okA = nvl_ld_select_members(L, from, start, end, pf, scope, &A);
  bool okB = nvl_ld_select_members(L, to, start, end, pt, scope, &B);
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
      nvl_ld_err(L, NVL_DIAG_WIRING, p, "a list of link counts is allowed only with rule \"full\"");
      goto done;
    }
    if (json_array_size(lk) != B.n) {
      nvl_ld_err(L, NVL_DIAG_WIRING, p, "%zu link counts given for %zu \"%s\" devices",
                 json_array_size(lk), B.n, to);
      goto done;
    }
    per_to = nvl_xrealloc(NULL, B.n * sizeof *per_to);
    for (size_t j = 0; j < B.n; j++) {
      json_t *v = json_array_get(lk, j);
      char pj[NVL_DIAG_PTR_MAX];
      nvl_ptr_index(pj, sizeof pj, p, j);
      if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 4096) {
        nvl_ld_err(L, NVL_DIAG_QUANTITY, pj, "link count must be an integer between 0 and 4096");
        goto done;
      }
      per_to[j] = json_integer_value(v);
    }
  } else if (lk && !nvl_ld_get_int(L, r, ptr, "links", false, 1, 4096, &per_pair)) {
    goto done;
  }
  long long planes = 0;
  if (rk == PLANE) {
    if (!nvl_ld_get_int(L, r, ptr, "planes", true, 1, 65536, &planes))
      goto done;
  } else if (json_object_get(r, "planes")) {
    nvl_ptr_join(p, sizeof p, ptr, "planes");
    nvl_ld_err(L, NVL_DIAG_WIRING, p, "\"planes\" is only meaningful with rule \"plane\"");
    goto done;
  }
  /* size check before creating anything */
  uint64_t pairs = rk == FULL ? (uint64_t)A.n * B.n : (uint64_t)(A.n > B.n ? A.n : B.n);
  if (pairs + d->n_links > MAX_LINK_BUNDLES) {
    nvl_ld_err(L, NVL_DIAG_LIMIT, ptr, "rule would create %llu link bundles; at most %u allowed",
               (unsigned long long)pairs, MAX_LINK_BUNDLES);
    goto done;
  }
  if (rk == BLOCK && (A.n == 0 || B.n % A.n != 0)) {
    nvl_ld_err(
        L, NVL_DIAG_WIRING, ptr,
        "rule \"block\" needs the %zu \"%s\" devices to split evenly over the %zu \"%s\" devices",
        B.n, to, A.n, from);
    goto done;
  }
  if (rk == ONE_TO_ONE && A.n != B.n) {
    nvl_ld_err(L, NVL_DIAG_WIRING, ptr,
               "rule \"one_to_one\" needs equal counts: %zu \"%s\" vs %zu \"%s\"", A.n, from, B.n,
               to);
    goto done;
  }
  if (rk == PLANE) {
    for (long long k = 0; k < planes; k++)
      if ((size_t)k >= A.n || (size_t)k >= B.n) {
        nvl_ld_err(L, NVL_DIAG_WIRING, ptr,
                   "plane %lld has no \"%s\" device (%zu \"%s\", %zu \"%s\")", k,
                   (size_t)k >= A.n ? from : to, A.n, from, B.n, to);
        goto done;
      }
  }
  nvl_ld_ensure_used(L);
  int origin = nvl_ld_add_origin(L, ptr);
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
      if (rk == FULL && A.ids[i] > B.ids[j] && nvl_ld_in_sel(&A, B.ids[j]) &&
          nvl_ld_in_sel(&B, A.ids[i]))
        continue; /* the pair (B[j], A[i]) is wired from the other side */
      nvl_ld_add_link(L, A.ids[i], B.ids[j], lt, (int)k, origin, &tally);
    }
  }
  if (self_loop)
    nvl_ld_err(L, NVL_DIAG_SELF_LOOP, ptr, "rule links devices of \"%s\" to themselves", from);
  nvl_ld_report_tally(L, &tally, lt, ptr);
done:
  free(per_to);
  free(A.ids);
  free(B.ids);
}
