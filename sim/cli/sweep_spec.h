/*
 * sweep_spec: the loaded sweep spec, shared by the loader (sweep_load.c) and the point runner
 * (sweep.c). Private to the sweep.
 */
#ifndef NVL_SWEEP_SPEC_H
#define NVL_SWEEP_SPEC_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "cli/sweep.h"
#include "cli/sweep_llm.h"
#include "workload/workload.h"

/* A sweep spec or base design file is at most this large. */
#define SWEEP_JSON_MAX_BYTES (64u << 20)

typedef enum { AX_SET, AX_PARAM } axis_kind;
/* The collective parameters; P_LLM + i is the LLM parameter i (cli/sweep_llm.h). */
typedef enum {
  P_SIZE,
  P_COLLECTIVE,
  P_ALGORITHM,
  P_MODEL,
  P_FAIL_SWITCHES,
  P_LLM = 100
} param_kind;

typedef struct {
  char name[64];
  axis_kind kind;
  param_kind param;
  json_t *values; /* array, owned */
  json_t *labels; /* the CSV's names of the values (strings, one each), or NULL; owned */
  size_t n_ptrs;
  char (*ptrs)[256];
  json_t **ptr_vals; /* per pointer: array parallel to values (owned) */
  unsigned long seed;
} axis;

struct nvl_sweep {
  json_t *base;         /* the base design's JSON, owned */
  char base_label[512]; /* the base's file as it is opened (the spec's folder + its name) */
  char base_name[512]; /* the base as the spec writes it: rows name it so wherever the sweep runs */
  nvl_job job;
  uint64_t *sizes;
  size_t n_sizes;
  nvl_model model;
  bool list_mode;
  axis *axes;
  size_t n_axes, n_points;
  bool llm;        /* the workload is an LLM step (cli/sweep_llm.h), not collective sizes */
  nvl_llm_ask ask; /* its parameters; ask.llm points to llm_name */
  char llm_name[1024], spec_dir[512];
  char id[17]; /* hash of what the rows depend on (nvl_sweep_id) */
};

#endif
