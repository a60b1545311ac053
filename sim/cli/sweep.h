/*
 * sweep: what-if studies. A sweep spec (JSON) names a base design, a workload and axes; the sweep
 * is the cartesian product of the axes (or, in "list" mode, the axes zipped). Each point is a
 * modified design plus workload, validated and simulated in a child process of its own.
 *
 *   {"base": "builtin:gb200-nvl72" | "design.json" (next to the spec; never outside its folder),
 *    "workload": {"collective": "all_reduce", "algo": "auto", "pattern": "...", "ranks": "gpu",
 *                 "sizes": ["1 GiB"], "model": "default"},
 *    "mode": "product" | "list",
 *    "axes": [
 *      {"name": "asics", "values": [8, 16], "set": {"/groups/rack/include/0/count": [16, 14],
 * ...}},
 *      {"name": "leaf_ports", "pointer": "/switch_types/leaf/ports", "values": [108, 144]},
 *      {"name": "size", "param": "size", "values": ["1 MiB", "1 GiB"]},
 *      {"name": "failed", "param": "fail_switches", "values": [0, 1, 2], "seed": 7}]}
 *
 * Pointer axes set values in the design JSON (RFC 6901; missing object members are created).
 * Named parameters: size, collective, algo (or algorithm), model, fail_switches (k switch chips
 * chosen at random, seeded by the axis seed and the point number). A workload with "llm" is an LLM
 * step instead, with its own parameters (cli/sweep_llm.h).
 */
#ifndef NVL_SWEEP_H
#define NVL_SWEEP_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "base/diag.h"
#include "models/context.h"

typedef struct nvl_sweep nvl_sweep;

/* Loads a spec; errors go to diags with JSON pointers. NULL on error. */
nvl_sweep *nvl_sweep_load(const char *path, nvl_diags *diags);
void nvl_sweep_free(nvl_sweep *s);

/* 16 hex digits hashing everything a point's rows depend on: the spec, the base design's JSON
 * and the model files it names. A resumed or merged row of another id is of another sweep. */
const char *nvl_sweep_id(const nvl_sweep *s);

size_t nvl_sweep_points(const nvl_sweep *s);
size_t nvl_sweep_axes(const nvl_sweep *s);
const char *nvl_sweep_axis_name(const nvl_sweep *s, size_t axis);
/* The value of an axis at a point, whole, as CSV text: its label when the axis gives "labels",
 * else strings bare and others as compact JSON; the caller frees it. */
char *nvl_sweep_axis_value(const nvl_sweep *s, size_t point, size_t axis);

/* The result columns of the sweep's rows (a collective's or an LLM step's), and their number. */
void nvl_sweep_result_header(const nvl_sweep *s, FILE *out);
size_t nvl_sweep_result_columns(const nvl_sweep *s);
/* A row without results: status, `columns` empty fields and the reason (made one line). */
void nvl_sweep_error_row(FILE *out, size_t columns, const char *status, const char *msg);

/* Simulates one point in this process (call it in a child: one SimGrid engine per process) and
 * writes its CSV rows (without the leading point and axis columns): `status,<result columns>,error`
 * per row. Returns 0 when simulated, 1 when the point's design is invalid (one row with the error).
 */
/* The base design's warnings, printed once for the whole sweep (-q: none); its points load their
 * own copies without printing (an invalid base is each point's error row). */
void nvl_sweep_print_base_warnings(const nvl_sweep *s);
int nvl_sweep_run_point(const nvl_model_ctx *ctx, const nvl_sweep *s, size_t point, FILE *out);

#endif
