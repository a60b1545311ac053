/*
 * failures: injected failures as a transform of the design. The loader records what the file's
 * `failures` list and the command line (--fail, --degrade) ask for; nvl_design_damage applies it
 * to a copy, so the intact design stays in memory beside the damaged one (run and info compare
 * the two without reading anything again).
 *
 * A failed switch loses every link and is flagged (it is no longer "unused"); a failed link is
 * every bundle between its two devices; a degraded link keeps a share of its bandwidth. Cost:
 * O(links) per failure, and one copy of the design.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "base/xalloc.h"
#include "design/loader.h"

/* "50%" -> 0.5; returns false unless 0 < share < 100 %. */
static bool parse_share(const char *s, double *share) {
  char *end;
  double v = strtod(s, &end);
  if (end == s || strcmp(end, "%") != 0 || !(v > 0 && v < 100))
    return false;
  *share = v / 100;
  return true;
}

static void add_spec(nvl_design *d, const char *kind, const char *target, double share,
                     const char *ptr) {
  nvl_failure_spec f = {.share = share};
  snprintf(f.kind, sizeof f.kind, "%s", kind);
  snprintf(f.target, sizeof f.target, "%s", target);
  snprintf(f.ptr, sizeof f.ptr, "%s", ptr ? ptr : "");
  d->fail_specs = nvl_xrealloc(d->fail_specs, (d->n_fail_specs + 1) * sizeof *d->fail_specs);
  d->fail_specs[d->n_fail_specs++] = f;
}

/* One --fail/--degrade text: "switch:sw4", "nic:nic0", "link:A-B", "link:A-B=50%". */
static void parse_cli_spec(loader *L, const char *text) {
  char buf[256], ptr[300];
  snprintf(buf, sizeof buf, "%s", text);
  /* named as given: a degraded link (=N%) came from --degrade, the rest from --fail */
  snprintf(ptr, sizeof ptr, "%s %s", strchr(text, '=') ? "--degrade" : "--fail", text);
  char *colon = strchr(buf, ':');
  if (!colon) {
    nvl_ld_err(L, NVL_DIAG_FAILURE, NULL,
               "%s: write switch:NAME, nic:NAME, link:A-B or link:A-B=50%%", ptr);
    return;
  }
  *colon = '\0';
  char *target = colon + 1, *eq = strchr(target, '=');
  double share = 1.0;
  if (eq) {
    *eq = '\0';
    if (!parse_share(eq + 1, &share)) {
      nvl_ld_err(L, NVL_DIAG_FAILURE, NULL,
                 "%s: the remaining bandwidth is a percentage between 0 and 100, e.g. =50%%", ptr);
      return;
    }
  }
  add_spec(L->d, buf, target, share, NULL);
}

void nvl_ld_parse_failures(loader *L, json_t *root) {
  json_t *arr = nvl_ld_get_typed(L, root, "", "failures", JSON_ARRAY, false);
  for (size_t i = 0; i < json_array_size(arr); i++) {
    char ip[NVL_DIAG_PTR_MAX];
    json_t *it = nvl_ld_object_item(L, arr, i, "/failures", ip);
    if (!it)
      continue;
    static const char *const keys[] = {"switch", "nic", "link", "degrade", "note", NULL};
    nvl_ld_check_keys(L, it, ip, keys);
    char sw[NVL_NAME_MAX] = "", nc[NVL_NAME_MAX] = "", lk[2 * NVL_NAME_MAX + 2] = "", dg[32] = "";
    bool has_sw = nvl_ld_get_string(L, it, ip, "switch", false, sw, sizeof sw);
    bool has_nic = nvl_ld_get_string(L, it, ip, "nic", false, nc, sizeof nc);
    bool has_lk = nvl_ld_get_string(L, it, ip, "link", false, lk, sizeof lk);
    double share = 1.0;
    if (nvl_ld_get_string(L, it, ip, "degrade", false, dg, sizeof dg) && !parse_share(dg, &share)) {
      char p[NVL_DIAG_PTR_MAX];
      nvl_ptr_join(p, sizeof p, ip, "degrade");
      nvl_ld_err(L, NVL_DIAG_QUANTITY, p,
                 "degrade takes the remaining bandwidth as a percentage between "
                 "0 and 100, e.g. \"50%%\"");
      continue;
    }
    if (has_sw + has_nic + has_lk != 1) {
      nvl_ld_err(L, NVL_DIAG_SCHEMA, ip,
                 "a failure names exactly one \"switch\", \"nic\" or \"link\"");
      continue;
    }
    add_spec(L->d,
             has_sw    ? "switch"
             : has_nic ? "nic"
                       : "link",
             has_sw    ? sw
             : has_nic ? nc
                       : lk,
             share, ip);
  }
  for (const char *const *f = L->opts ? L->opts->failures : NULL; f && *f; f++)
    parse_cli_spec(L, *f);
}

/* A switch (or, nic: true, a NIC) fails whole: every link it has goes. */
static bool fail_switch(nvl_design *d, const nvl_failure_spec *s, bool nic, nvl_failure *f,
                        nvl_diags *diags) {
  const char *ptr = s->ptr[0] ? s->ptr : NULL;
  int dev = nvl_design_find_device(d, s->target);
  if (dev < 0 || (nic ? nvl_device_kind(d, dev) != NVL_KIND_NIC : !d->devices[dev].is_switch)) {
    nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_FAILURE, ptr,
                 "failure names \"%s\", which is not a %s of the design", s->target,
                 nic ? "NIC" : "switch");
    return false;
  }
  if (s->share < 1.0) {
    nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_FAILURE, ptr,
                 "a %s fails whole; degrade its links instead", nic ? "NIC" : "switch");
    return false;
  }
  size_t k = 0;
  for (size_t i = 0; i < d->n_links; i++) {
    if (d->links[i].a == dev || d->links[i].b == dev)
      f->links += d->links[i].count;
    else
      d->links[k++] = d->links[i];
  }
  d->n_links = k;
  d->failed[dev] = true;
  snprintf(f->what, sizeof f->what, "%s %s", nic ? "NIC" : "switch", s->target);
  return true;
}

/* The two devices of "A-B" (device names may contain '-': every split point is tried). */
static bool link_ends(const nvl_design *d, const char *target, int *a, int *b) {
  char a_name[NVL_NAME_MAX] = "", b_name[NVL_NAME_MAX] = "";
  *a = *b = -1;
  for (const char *p = strchr(target, '-'); p && *a < 0; p = strchr(p + 1, '-')) {
    size_t la = (size_t)(p - target);
    if (la >= sizeof a_name || strlen(p + 1) >= sizeof b_name)
      continue;
    memcpy(a_name, target, la);
    a_name[la] = '\0';
    snprintf(b_name, sizeof b_name, "%s", p + 1);
    int x = nvl_design_find_device(d, a_name), y = nvl_design_find_device(d, b_name);
    if (x >= 0 && y >= 0)
      *a = x, *b = y;
  }
  return *a >= 0;
}

static bool fail_link(nvl_design *d, const nvl_failure_spec *s, nvl_failure *f, nvl_diags *diags) {
  const char *ptr = s->ptr[0] ? s->ptr : NULL;
  int a, b;
  if (!link_ends(d, s->target, &a, &b)) {
    nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_FAILURE, ptr,
                 "failure names link \"%s\"; write DEVICE-DEVICE, e.g. gpu3-sw7", s->target);
    return false;
  }
  size_t k = 0;
  for (size_t i = 0; i < d->n_links; i++) {
    nvl_link *l = &d->links[i];
    bool hit = (l->a == a && l->b == b) || (l->a == b && l->b == a);
    if (hit)
      f->links += l->count;
    if (hit && s->share < 1.0)
      l->scale *= s->share;
    if (!(hit && s->share >= 1.0))
      d->links[k++] = *l;
  }
  d->n_links = k;
  if (f->links == 0) {
    nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_FAILURE, ptr,
                 "failure names link %s, but %s and %s are not linked", s->target,
                 d->devices[a].name, d->devices[b].name);
    return false;
  }
  if (s->share < 1.0)
    snprintf(f->what, sizeof f->what, "link %s at %g%%", s->target, s->share * 100);
  else
    snprintf(f->what, sizeof f->what, "link %s", s->target);
  return true;
}

static bool apply(nvl_design *d, const nvl_failure_spec *s, nvl_diags *diags);

/* switch:LIST, a selection as --ranks takes ("sw[2:4]", "sw2,sw3": a GB200 switch tray is two
 * chips): each switch of it fails. */
static bool fail_switches(nvl_design *d, const nvl_failure_spec *s, nvl_diags *diags) {
  int *devs = NULL;
  size_t n = 0;
  char err[256];
  if (nvl_design_select(d, s->target, &devs, &n, err, sizeof err) != 0 || n == 0) {
    nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_FAILURE, s->ptr[0] ? s->ptr : NULL,
                 "failure names switches \"%s\": %s", s->target, n ? err : "none selected");
    free(devs);
    return false;
  }
  bool ok = true;
  for (size_t i = 0; i < n && ok; i++) {
    nvl_failure_spec one = *s;
    snprintf(one.target, sizeof one.target, "%s", d->devices[devs[i]].name);
    ok = apply(d, &one, diags);
  }
  free(devs);
  return ok;
}

static bool apply(nvl_design *d, const nvl_failure_spec *s, nvl_diags *diags) {
  nvl_failure f = {{0}, 0};
  bool ok;
  if (strcmp(s->kind, "switch") == 0 && strpbrk(s->target, "[,"))
    return fail_switches(d, s, diags);
  if (strcmp(s->kind, "switch") == 0 || strcmp(s->kind, "nic") == 0)
    ok = fail_switch(d, s, strcmp(s->kind, "nic") == 0, &f, diags);
  else if (strcmp(s->kind, "link") == 0)
    ok = fail_link(d, s, &f, diags);
  else {
    nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_FAILURE, s->ptr[0] ? s->ptr : NULL,
                 "unknown failure kind \"%s\"; expected switch, nic or link", s->kind);
    ok = false;
  }
  if (ok) {
    d->failures = nvl_xrealloc(d->failures, (d->n_failures + 1) * sizeof *d->failures);
    d->failures[d->n_failures++] = f;
  }
  return ok;
}

nvl_design *nvl_design_damage(nvl_design *intact, const nvl_failure_spec *extra, size_t n_extra,
                              nvl_diags *diags) {
  nvl_design *d = nvl_design_copy(intact);
  d->failed = nvl_xcalloc(d->n_devices, sizeof(bool));
  size_t before = diags->errors;
  for (size_t i = 0; i < intact->n_fail_specs + n_extra; i++)
    apply(d, i < intact->n_fail_specs ? &intact->fail_specs[i] : &extra[i - intact->n_fail_specs],
          diags);
  if (diags->errors > before) {
    nvl_design_free(d);
    return NULL;
  }
  d->intact = intact;
  return d;
}

nvl_design *nvl_design_fail_random_switches(nvl_design *intact, size_t k, unsigned long seed,
                                            char *err, size_t errlen, nvl_diags *diags) {
  err[0] = '\0';
  size_t nsw = 0;
  for (size_t i = 0; i < intact->n_devices; i++)
    nsw += intact->devices[i].is_switch;
  if (k > nsw) {
    snprintf(err, errlen, "fail_switches %zu: the design has %zu switches", k, nsw);
    return NULL;
  }
  int *sw = nvl_xmalloc((nsw + 1) * sizeof(int)), *pick = nvl_xmalloc((k + 1) * sizeof(int));
  nsw = 0;
  for (size_t i = 0; i < intact->n_devices; i++)
    if (intact->devices[i].is_switch)
      sw[nsw++] = (int)i;
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, seed);
  if (k)
    gsl_ran_choose(r, pick, k, sw, nsw, sizeof(int));
  gsl_rng_free(r);
  nvl_failure_spec *specs = nvl_xcalloc(k + 1, sizeof *specs);
  for (size_t i = 0; i < k; i++) {
    snprintf(specs[i].kind, sizeof specs[i].kind, "switch");
    snprintf(specs[i].target, sizeof specs[i].target, "%s", intact->devices[pick[i]].name);
    specs[i].share = 1.0;
  }
  free(sw);
  free(pick);
  nvl_design *damaged = nvl_design_damage(intact, specs, k, diags);
  free(specs);
  if (damaged)
    nvl_design_check_wiring(damaged, diags);
  return damaged;
}
