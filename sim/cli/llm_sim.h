/*
 * llm_sim: one LLM step (workload/llm.h) on one design, the whole pipeline as `llm`, `compare
 * --llm` and LLM sweeps run it: the layout from what was asked (defaults that depend on the job's
 * ranks), platform, the job's ranks, the step's graph, the engine and the result.
 */
#ifndef NVL_LLM_SIM_H
#define NVL_LLM_SIM_H

#include <stdbool.h>
#include <stddef.h>

#include "base/diag.h"
#include "cli/options.h"
#include "design/design.h"
#include "engine/engine.h"
#include "output/llm.h"
#include "platform/platform.h"
#include "workload/llm.h"
#include "workload/run.h"
#include "workload/workload.h"

/* What a step is asked to be; 0 (or -1 for precision) is the default named in `nvlsim llm -h`. */
typedef struct {
  const char *llm; /* builtin:NAME or a file */
  nvl_llm_mode mode;
  int precision;      /* nvl_precision, or -1: the model's */
  int attn_precision; /* nvl_precision, or -1: BF16 */
  int kv_precision;   /* nvl_precision, or -1: FP8 with FP8 or FP4 GEMMs, else BF16 */
  int runtime;        /* nvl_runtime, or -1: fused (train, prefill), graph (decode) */
  int attn_kernel;    /* 0: the runtime's, 1: FlashAttention-2 */
  int ep_kernel;      /* DeepEP's: -1 the mode's (decode low-latency, else normal), 0 normal, 1
                         low-latency */
  size_t tp, ep, pp, dp, microbatches, batch, seq, redundant, zero, etp, cp, vp;
  size_t node_groups; /* --node-groups: a token's experts on at most that many nodes, 0: any */
  size_t first_layers, last_layers; /* --first-stage-layers, --last-stage-layers (0: even) */
  bool cp_a2a;                      /* --cp-comm a2a */
  bool shared_overlap;              /* --shared-expert-overlap */
  long mtp;                         /* --mtp, or -1: the model's in training, none in inference */
  double mtp_accept;                /* --mtp-accept, or -1: NVL_LLM_MTP_ACCEPT */
  double capacity;                  /* --capacity-factor, 0: no token dropping */
  bool tbo;                         /* --two-batch-overlap */
  char order[32];                   /* the mesh's order, or "": NVL_LLM_ORDER */
  int recompute;                    /* nvl_llm_recompute, or -1: none */
  double skew;
  bool sp;
  int g;             /* the first g participants, 0: all */
  const char *ranks; /* a participant selection, or NULL */
  unsigned long seed;
  nvl_model model;
} nvl_llm_ask;

#define NVL_LLM_ASK_INIT                                                                           \
  {                                                                                                \
    .precision = -1, .attn_precision = -1, .kv_precision = -1, .runtime = -1, .ep_kernel = -1,     \
    .recompute = -1, .mtp = -1, .mtp_accept = -1, .seed = 1, .model = NVL_MODEL_DEFAULT            \
  }

/* The default chance a drafted token is accepted: DeepSeek-V3's report (arXiv 2412.19437, 5.4.3)
 * measures 85-90 % for its second token. */
#define NVL_LLM_MTP_ACCEPT 0.85

/* Checks the ask's sizes (at most 10^9 each, 65536 redundant experts). Returns 0, or -1 with
 * the reason in err. */
int nvl_llm_ask_check(const nvl_llm_ask *a, char *err, size_t len);

/* How a step's transfers are simulated (platform/sg_shim.h: nvl_sg_phases). By default batches of
 * at least NVL_PHASE_MIN transfers starting together on an idle network are solved as phases,
 * the completions due within NVL_PHASE_WINDOW of the phase's elapsed time ending together (the
 * largest difference from the per-flow run over tests/phases_random.py's seeds 1-6: 0.25 %). */
#define NVL_PHASE_WINDOW 8e-3
#define NVL_PHASE_MIN 256
typedef struct {
  bool exact_flows;  /* no phases: every transfer an action of SimGrid's model (--exact-flows) */
  bool window_given; /* --phase-window given: window (else NVL_PHASE_WINDOW) */
  double window;     /* 0 .. 0.1 */
  size_t min;        /* --phase-min (0: NVL_PHASE_MIN) */
} nvl_phase_opts;
int nvl_arg_phase_window(void *field, const char *v, const char *opt, const char *cmd);
#define NVL_OPT_PHASES_(type, f)                                                                   \
  NVL_OPT_(NVL_OPT_FLAG, 0, "exact-flows", NULL, type, f.exact_flows,                              \
           "every transfer its own SimGrid flow, no phases (verification:\nthe per-flow answer)"), \
      NVL_OPT_CALL_(0, "phase-window", "R", type, f, nvl_arg_phase_window,                         \
                    "phases: transfers ending within R of their duration end\ntogether (default "  \
                    "0.008; 0: each at its instant)"),                                             \
      NVL_OPT_(NVL_OPT_COUNT, 0, "phase-min", "N", type, f.min,                                    \
               "phases: batches of at least N transfers (default 256)")

typedef struct {
  const nvl_model_ctx *ctx; /* the model's parameters */
  bool forked;              /* the engine in a child process (the caller may simulate again) */
  bool link_stats;          /* per-link statistics in res */
  bool verbose, progress;
  bool explicit_ranks;       /* every operation simulated: no fold (workload/fold.h) */
  nvl_phase_opts phases;     /* how transfers are simulated (zero: the defaults) */
  const char *const *sg_cfg; /* extra --cfg=... arguments, NULL-terminated, or NULL */
  const size_t *rank;        /* the breakdown's rank (llm --rank), or NULL: the last to end */
} nvl_llm_sim_opts;

typedef struct {
  nvl_platform *p;
  nvl_workload_spec spec;
  nvl_llm_layout lay;
  nvl_llm_step st;
  nvl_workload_run *wr;
  nvl_engine_result res;
  nvl_llm_result r;
  bool layout_error; /* the failure is the layout's: the model or job cannot take it (exit 2) */
} nvl_llm_sim;

/* The ask's step of model m on d, built and not simulated (the layout, the memory, the graph of
 * operations: what nvl_llm_simulate does before the engine), into *x as nvl_llm_simulate does. */
int nvl_llm_build(const nvl_design *d, const nvl_llm *m, const nvl_llm_ask *a,
                  const nvl_model_ctx *ctx, nvl_llm_sim *x, nvl_diags *diags);

/* Simulates the ask's step of model m on d into *x (zeroed here; release it whatever the
 * result). Returns NVL_EXIT_OK, or an exit status with the reasons in diags. */
int nvl_llm_simulate(const nvl_design *d, const nvl_llm *m, const nvl_llm_ask *a,
                     const nvl_llm_sim_opts *o, nvl_llm_sim *x, nvl_diags *diags);
void nvl_llm_sim_release(nvl_llm_sim *x);

/* Loads --llm MODEL. Returns an exit status (the reason printed). */
int nvl_cli_llm_load(const char *what, nvl_llm *m);
/* Prints the warnings of a step that ran ("nvlsim CMD: warning: WHO: message"; who may be NULL). */
void nvl_cli_llm_print_warnings(const nvl_diags *diags, const char *cmd, const char *who);
/* Prints a failed step's reasons: a layout's as "nvlsim CMD: message" ("nvlsim CMD: WHO (LABEL):
 * message" when who is given: one of several designs), others with the label. */
void nvl_cli_llm_print_failure(const nvl_llm_sim *x, const nvl_diags *diags, const char *cmd,
                               const char *label, const char *who);

#endif
