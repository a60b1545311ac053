/*
 * spec: names of traffic patterns, the sweep sizes, and the spec's lifecycle (see workload.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/names.h"
#include "base/xalloc.h"
#include "workload/workload.h"

static const char *const pattern_names[] = {"none",    "pair",   "bidir", "pairs", "permutation",
                                            "uniform", "incast", "shift", "matrix"};

const char *nvl_pattern_name(nvl_pattern p) { return p <= NVL_PAT_MATRIX ? pattern_names[p] : "?"; }

int nvl_pattern_parse(const char *name, nvl_pattern *out) {
  int i = strcmp(name, "hotspot") == 0
              ? NVL_PAT_INCAST
              : nvl_names_find(pattern_names, NVL_PAT_MATRIX + 1, name, false);
  if (i > NVL_PAT_NONE)
    *out = (nvl_pattern)i;
  return i > NVL_PAT_NONE ? 0 : -1;
}

int nvl_workload_sizes(uint64_t min, uint64_t max, double factor, uint64_t step, uint64_t **out,
                       size_t *n, char *err, size_t errlen) {
  *out = NULL;
  *n = 0;
  if (max < min) {
    snprintf(err, errlen, "sizes must satisfy min (-b) <= max (-e)");
    return -1;
  }
  if (factor == 0 && step == 0) {
    snprintf(err, errlen, "give a factor (-f) > 1 or a step (-i) > 0");
    return -1;
  }
  if (factor != 0 && !(factor > 1.0)) {
    snprintf(err, errlen, "factor (-f) must be greater than 1");
    return -1;
  }
  if (min == 0 && max > 0 && factor != 0) {
    snprintf(err, errlen, "a factor (-f) never grows -b 0: give -b 1 or more, or a step (-i)");
    return -1;
  }
  size_t cap = 16, cnt = 0;
  uint64_t *v = nvl_xmalloc(cap * sizeof *v);
  for (double s = (double)min; s <= (double)max * (1 + 1e-12);) {
    if (cnt == 100000) {
      free(v);
      snprintf(err, errlen, "more than 100000 sizes in the sweep");
      return -1;
    }
    if (cnt == cap)
      v = nvl_xrealloc(v, (cap *= 2) * sizeof *v);
    v[cnt++] = (uint64_t)s;
    if (s == 0 && factor != 0)
      break; /* -b 0 -e 0: the one size */
    s = factor != 0 ? s * factor : s + (double)step;
  }
  *out = v;
  *n = cnt;
  return 0;
}

void nvl_workload_spec_release(nvl_workload_spec *spec) {
  for (size_t i = 0; i < spec->n_jobs; i++) {
    free(spec->jobs[i].devs);
    free(spec->jobs[i].matrix);
  }
  free(spec->jobs);
  free(spec->sizes);
  memset(spec, 0, sizeof *spec);
}
