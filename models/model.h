/*
 * model: the two behaviour models a run can use, in one table (name, what it means).
 *   default  NCCL as it runs: its tuner's choices, protocols, channels, pipelines and the
 *            calibrated efficiencies of each NVLink generation (models/calibration.json)
 *   ideal    alpha-beta: line rate and the catalog's latencies, no protocol costs (closed forms)
 */
#ifndef NVL_MODEL_H
#define NVL_MODEL_H

typedef enum { NVL_MODEL_DEFAULT, NVL_MODEL_IDEAL, NVL_MODEL__COUNT } nvl_model;

const char *nvl_model_name(nvl_model m);
/* 0 and *out set, or -1 for an unknown name. */
int nvl_model_parse(const char *name, nvl_model *out);
/* "default or ideal": the names for messages and help. */
const char *nvl_model_names(void);

#endif
