/*
 * model: see model.h.
 */
#include "models/model.h"

#include "base/names.h"

static const char *const names[NVL_MODEL__COUNT] = {"default", "ideal"};

const char *nvl_model_name(nvl_model m) { return m < NVL_MODEL__COUNT ? names[m] : "?"; }

int nvl_model_parse(const char *name, nvl_model *out) {
  int m = nvl_names_find(names, NVL_MODEL__COUNT, name, false);
  if (m >= 0)
    *out = (nvl_model)m;
  return m >= 0 ? 0 : -1;
}

const char *nvl_model_names(void) { return "default or ideal"; }
