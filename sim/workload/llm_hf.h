/*
 * llm_hf: a model description (workload/llm.h) from a Hugging Face config.json.
 */
#ifndef NVL_LLM_HF_H
#define NVL_LLM_HF_H

#include <jansson.h>

#include "workload/llm.h"

/* Maps config.json `root` (named `what` in messages: "hf:PATH") into *m. Returns 0, or -1 with a
 * diagnostic (a model_type nvlsim does not map, naming the keys it could not; a size missing or
 * malformed, naming it). */
int nvl_llm_from_hf(json_t *root, const char *what, nvl_llm *m, nvl_diags *diags);

#endif
