/* Shared by the unit tests that simulate: a reference design and its platform. */
#ifndef NVL_FIXTURE_H
#define NVL_FIXTURE_H

#include "nvl_test.h"

#include "design/design.h"
#include "platform/platform.h"

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

static inline void nvl_fixture_close(nvl_fixture *f) {
  nvl_platform_free(f->p);
  nvl_design_free(f->d);
  f->p = NULL;
  f->d = NULL;
}

#endif
