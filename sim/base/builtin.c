/* builtin: look-ups in the data compiled into the binary (see builtin.h). */
#include "base/builtin.h"

#include <stdio.h>
#include <string.h>

const nvl_builtin *nvl_builtin_design(const char *name) {
  for (const nvl_builtin *b = nvl_builtin_designs; b->name; b++)
    if (strcmp(b->name, name) == 0)
      return b;
  return NULL;
}

int nvl_builtin_resolve(const char *path, const nvl_builtin **b, char *names, size_t len) {
  *b = NULL;
  if (strncmp(path, "builtin:", 8) != 0)
    return 0;
  if ((*b = nvl_builtin_design(path + 8)) != NULL)
    return 1;
  if (names && len) {
    names[0] = '\0';
    for (const nvl_builtin *x = nvl_builtin_designs; x->name; x++)
      snprintf(names + strlen(names), len - strlen(names), "%s%s",
               x == nvl_builtin_designs ? "" : " ", x->name);
  }
  return -1;
}
