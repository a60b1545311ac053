/*
 * names: looking a name up in a table of names (the tables of models, protocols, patterns,
 * rules, formats), so that every such table is parsed the same way.
 */
#ifndef NVL_NAMES_H
#define NVL_NAMES_H

#include <stdbool.h>

/* The index of `name` among names[0..n) (ASCII case ignored with ignore_case), or -1. */
int nvl_names_find(const char *const *names, int n, const char *name, bool ignore_case);

#endif
