/* Shared by the unit tests that simulate: a reference design and its platform. */
#ifndef NVL_FIXTURE_H
#define NVL_FIXTURE_H

#include "nvl_test.h"

#include "design/design.h"
#include "engine/engine.h"
#include "platform/platform.h"
#include "workload/run.h"
#include "workload/workload.h"

typedef struct {
  nvl_design *d;
  nvl_platform *p;
} nvl_fixture;

/* topologies/<name> and its platform under `model` (explicit planes on request). */
static inline nvl_fixture nvl_fixture_open(const char *name, nvl_model model,
                                           bool explicit_planes) {
  char path[512];
  snprintf(path, sizeof path, "%s/topologies/%s", NVL_SOURCE_DIR, name);
  nvl_fixture f = {NULL, NULL};
  nvl_diags diags = NVL_DIAGS_INIT;
  if (nvl_design_load_file(path, NULL, &f.d, &diags) != NVL_LOAD_OK || !f.d) {
    print_error("%s does not load\n", path);
    fail();
  }
  nvl_platform_opts po = {.model = model, .explicit_planes = explicit_planes};
  f.p = nvl_platform_new(f.d, &po, &diags);
  if (!f.p) {
    print_error("%s: no platform\n", path);
    fail();
  }
  nvl_diags_release(&diags);
  return f;
}

/* A design under the source tree (path relative to it) with failures (NULL-terminated, or NULL),
 * and its platform under `model`. */
static inline nvl_fixture nvl_fixture_load(const char *rel, const char *const *failures,
                                           nvl_model model) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s", NVL_SOURCE_DIR, rel);
  nvl_fixture f = {NULL, NULL};
  nvl_diags diags = NVL_DIAGS_INIT;
  nvl_load_opts lo = {.failures = failures};
  assert_int_equal(nvl_design_load_file(path, &lo, &f.d, &diags), NVL_LOAD_OK);
  nvl_platform_opts po = {.model = model};
  f.p = nvl_platform_new(f.d, &po, &diags);
  assert_non_null(f.p);
  nvl_diags_release(&diags);
  return f;
}

static inline void nvl_fixture_close(nvl_fixture *f) {
  nvl_platform_free(f->p);
  nvl_design_free(f->d);
  f->p = NULL;
  f->d = NULL;
}

/* Resolves spec on d and p and simulates it in a child process (link stats on request): the
 * results in res, the run (the caller frees it) and its task graph in g. Fails the test on any
 * error. */
static inline nvl_workload_run *nvl_fixture_simulate(nvl_workload_spec *spec, const nvl_design *d,
                                                     const nvl_platform *p, bool link_stats,
                                                     nvl_engine_result *res, nvl_task_graph *g) {
  nvl_diags diags = NVL_DIAGS_INIT;
  if (nvl_workload_resolve(spec, d, p, &diags) != 0)
    for (size_t i = 0; i < diags.count; i++)
      print_error("%s\n", diags.items[i].message);
  assert_int_equal(diags.errors, 0);
  nvl_workload_run *wr = nvl_workload_run_new(spec, d, p);
  nvl_workload_tasks(wr, g);
  g->link_stats = link_stats;
  int rc = nvl_workload_engine(wr, g, true, res, &diags); /* folded where it applies */
  for (size_t i = 0; i < diags.count; i++)
    print_error("%s\n", diags.items[i].message);
  assert_int_equal(rc, 0);
  nvl_diags_release(&diags);
  return wr;
}

#endif
