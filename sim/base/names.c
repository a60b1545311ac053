/*
 * names: see names.h.
 */
#include "base/names.h"

#include <string.h>
#include <strings.h>

int nvl_names_find(const char *const *names, int n, const char *name, bool ignore_case) {
  for (int i = 0; i < n; i++)
    if (names[i] && (ignore_case ? strcasecmp(names[i], name) : strcmp(names[i], name)) == 0)
      return i;
  return -1;
}
