/*
 * factory_steps: the log of a factory search's simulated steps (`factory --steps FILE`): one line
 * per step, its ask's key, whether it fitted, its figures and one rank's memory (or why it did
 * not fit). A rerun with
 * the same log takes the steps it holds from it instead of simulating them again, so an
 * interrupted search resumes where it stopped and a wider one reuses a narrower one's steps.
 * Lines are appended and flushed as steps end; a line an interruption cut short is ignored.
 * The key names the design (its label, name and size), the model and every field of the ask
 * that changes the step; a log belongs to one nvlsim build's models.
 */
#ifndef NVL_FACTORY_STEPS_H
#define NVL_FACTORY_STEPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "base/u64map.h"
#include "cli/llm_sim.h"

typedef struct {
  char *key;
  bool fits;
  double step_s, tokens_per_s, tokens_per_joule;
  double kv_bytes, weights_bytes, capacity_bytes; /* the fullest rank's KV cache, weights, HBM */
  char *reason;                                   /* why it does not fit */
} nvl_fs_entry;

typedef struct {
  FILE *fp; /* appended to */
  nvl_fs_entry *e;
  size_t n, cap;
  nvl_u64map index; /* a key's hash -> its entry (a colliding key is looked up, not found) */
} nvl_factory_steps;

/* Reads the log at path (a missing file is an empty log) and opens it for appending. Returns
 * 0, or -1 with the reason in err. */
int nvl_factory_steps_open(nvl_factory_steps *s, const char *path, char *err, size_t errlen);
/* The entry of key, or NULL. */
const nvl_fs_entry *nvl_factory_steps_find(const nvl_factory_steps *s, const char *key);
/* Records a step (in memory and appended to the file, flushed). */
void nvl_factory_steps_add(nvl_factory_steps *s, const nvl_fs_entry *e);
void nvl_factory_steps_close(nvl_factory_steps *s);

/* One search's steps on one design: the log (NULL: none), the design's part of the keys, and
 * why the first configuration that did not fit did not (for the error when none fits). */
typedef struct {
  nvl_factory_steps *log;
  char design_key[64];
  char misfit[512];
} nvl_factory_stepper;

/* Starts a design: its part of the keys (its label's hash and its size), no misfit yet. */
void nvl_factory_stepper_design(nvl_factory_stepper *st, const char *label, size_t devices,
                                size_t links);

/* One step of the ask, from the log where it holds it, else simulated (and logged): its result
 * in *r and, with mem, its fullest rank's KV cache, weights and HBM (the other fields zero).
 * -1 when the layout does not fit (or the model cannot take it; the first reason kept in
 * st->misfit), 0 done, else an exit status (printed). */
int nvl_factory_step(nvl_factory_stepper *st, const nvl_design *d, const nvl_llm *m,
                     const nvl_llm_ask *a, const nvl_model_ctx *ctx, const char *label,
                     nvl_llm_result *r, nvl_llm_memory *mem);

#endif
