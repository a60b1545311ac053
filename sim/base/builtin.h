/*
 * builtin: data compiled into the binary (models/catalog.json, models/calibration.json and every
 * design of topologies/, the default being gb200-nvl72), so nvlsim needs no installed data files.
 */
#ifndef NVL_BUILTIN_H
#define NVL_BUILTIN_H

#include <stddef.h>

typedef struct {
  const char *name; /* file name without .json, e.g. "hgx-h100" */
  const char *data;
  size_t len;
} nvl_builtin;

/* Every design of topologies/, NULL-terminated; loadable as "builtin:NAME". */
extern const nvl_builtin nvl_builtin_designs[];
const nvl_builtin *nvl_builtin_design(const char *name);
/* Every model description of models/llm/ (`nvlsim llm --llm builtin:NAME`), NULL-terminated. */
extern const nvl_builtin nvl_builtin_llms[];

/* The one reading of "builtin:NAME" paths (every command that takes a design goes through it):
 * 1 with *b set for a built-in design, 0 for a path that does not start with "builtin:", -1 for
 * an unknown built-in name (names then lists the built-in designs, space-separated). */
int nvl_builtin_resolve(const char *path, const nvl_builtin **b, char *names, size_t len);

extern const char nvl_catalog_json[];
extern const size_t nvl_catalog_json_len;
extern const char nvl_calibration_json[];
extern const size_t nvl_calibration_json_len;
extern const char nvl_compute_json[]; /* models/compute.json */
extern const size_t nvl_compute_json_len;
extern const char nvl_h200_profile_csv[]; /* models/h200-operations.csv: "builtin:h200" */
extern const size_t nvl_h200_profile_csv_len;
extern const char nvl_measured_csv[]; /* models/measured-collectives.csv */
extern const size_t nvl_measured_csv_len;
extern const char nvl_measured_multinode_csv[]; /* models/measured-multinode.csv */
extern const size_t nvl_measured_multinode_csv_len;
extern const char nvl_measured_llm_csv[]; /* models/measured-llm.csv */
extern const size_t nvl_measured_llm_csv_len;
extern const char nvl_default_design_json[];
extern const size_t nvl_default_design_json_len;

/* Name under which the built-in default design is reported. */
#define NVL_DEFAULT_DESIGN_NAME "builtin:gb200-nvl72"

#endif
