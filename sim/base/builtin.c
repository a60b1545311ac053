/* builtin: look-ups in the data compiled into the binary (see builtin.h). */
#include "base/builtin.h"

#include <string.h>

const nvl_builtin *nvl_builtin_design(const char *name) {
  for (const nvl_builtin *b = nvl_builtin_designs; b->name; b++)
    if (strcmp(b->name, name) == 0)
      return b;
  return NULL;
}
