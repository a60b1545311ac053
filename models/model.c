/*
 * model: see model.h.
 */
#include "models/model.h"

#include <string.h>

static const char *const names[NVL_MODEL__COUNT] = {"default", "ideal"};

const char *nvl_model_name(nvl_model m) { return m < NVL_MODEL__COUNT ? names[m] : "?"; }

int nvl_model_parse(const char *name, nvl_model *out) {
  for (int m = 0; m < NVL_MODEL__COUNT; m++)
    if (strcmp(name, names[m]) == 0) {
      *out = (nvl_model)m;
      return 0;
    }
  return -1;
}

const char *nvl_model_names(void) { return "default or ideal"; }
