/*
 * sweep_llm: LLM steps in sweeps (cli/sweep.h). A workload block with "llm" makes every point an
 * LLM step (cli/llm_sim.h) instead of a collective size sweep:
 *
 *   "workload": {"llm": "builtin:deepseek-v3", "mode": "decode", "ep": 72, "batch": 4608,
 *                "seq": 4096, "precision": "fp8", "tp": 1, "pp": 1, "dp": 1, "microbatches": 1,
 *                "sp": false, "redundant_experts": 0, "skew": 0, "seed": 1,
 *                "ranks": "gpu", "model": "default"}
 *
 * and the same names (the LLM parameter table's keys, cli/llm_params.h, and seed) are parameters
 * of axes: {"name": "expert_parallel", "param": "ep", "values": [8, 72]}. A model file is named as
 * the base design is: next to the spec.
 */
#ifndef NVL_SWEEP_LLM_H
#define NVL_SWEEP_LLM_H

#include <jansson.h>
#include <stdio.h>

#include "cli/llm_sim.h"
#include "design/design.h"

/* The parameter index of an LLM workload key or axis parameter, or -1. */
int nvl_sweep_llm_param(const char *name);
/* The names of the parameters, ", "-separated. */
const char *nvl_sweep_llm_param_names(void);

/* Sets parameter `param` of the ask from v. A model file is taken from the spec's folder
 * spec_dir ("" or ending in '/'), never outside it; the name (builtin:NAME or the path) is kept
 * in llm_buf, which the ask points to. Returns 0, or -1 with the reason in err. */
int nvl_sweep_llm_set(nvl_llm_ask *a, char *llm_buf, size_t llm_len, const char *spec_dir,
                      int param, json_t *v, char *err, size_t errlen);

/* One key of the workload block (at JSON pointer ptr) into the ask, as nvl_sweep_llm_set;
 * errors go to diags. */
void nvl_sweep_llm_key(nvl_llm_ask *a, char *llm_buf, size_t llm_len, const char *spec_dir,
                       const char *key, json_t *v, const char *ptr, nvl_diags *diags);
/* Reads the ask's model now, so that a typo fails the spec rather than every point. */
void nvl_sweep_llm_check_model(const nvl_llm_ask *a, nvl_diags *diags);

/* Simulates the ask on d and writes one sweep row: `ok,<LLM columns>,` or
 * `invalid|failed,<empty columns>,<reason>`. The row names the design as the spec does (`label`)
 * and a model file relative to the spec's folder, so that shards run from any folder merge into
 * the one-shot sweep's file. Returns 0 when simulated, else 1. */
int nvl_sweep_llm_point(const nvl_model_ctx *ctx, const nvl_design *d, const nvl_llm_ask *a,
                        const char *label, const char *spec_dir, FILE *out);

#endif
