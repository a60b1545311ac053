/*
 * builtin: data compiled into the binary (models/catalog.json and the default design,
 * topologies/gb200-nvl72.json), so nvlsim needs no installed data files.
 */
#ifndef NVL_BUILTIN_H
#define NVL_BUILTIN_H

#include <stddef.h>

extern const char nvl_catalog_json[];
extern const size_t nvl_catalog_json_len;
extern const char nvl_default_design_json[];
extern const size_t nvl_default_design_json_len;

/* Name under which the built-in default design is reported. */
#define NVL_DEFAULT_DESIGN_NAME "builtin:gb200-nvl72"

#endif
