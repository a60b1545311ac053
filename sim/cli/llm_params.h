/*
 * llm_params: the one table of an LLM step's parameters (redis's commands.def shape: a row per
 * parameter). Each row gives the option (--name), its value's name and help, the field of
 * nvl_llm_ask it sets, the parser that checks a value (one parser for every way a value comes:
 * the command line, a sweep's JSON, a validate-model cell), and how the resolved layout shows it
 * in the llm CSV. From it come `nvlsim llm` and `compare --llm` options and help, a sweep's LLM
 * keys and axes, validate-model --llm's columns, compare's layout lines and the CSV's layout
 * columns; a sweep key, a validate-model column and a CSV column are the option's name with '_'
 * for '-'. A new parameter is a row here and the field it sets.
 */
#ifndef NVL_LLM_PARAMS_H
#define NVL_LLM_PARAMS_H

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

#include "cli/llm_sim.h"

/* What a sweep's JSON value of the parameter must be. */
typedef enum { NVL_LP_TEXT, NVL_LP_INT, NVL_LP_NUMBER, NVL_LP_BOOL } nvl_lp_json;

/* Parsers: store text v into the field and return NULL, or return what v should be. */
typedef const char *(*nvl_lp_parse)(const char *v, void *field);

typedef struct {
  const char *name; /* the option's long name */
  const char *arg;  /* the value's name in help; NULL: a flag */
  nvl_lp_json json;
  size_t at; /* offset of the field in nvl_llm_ask */
  nvl_lp_parse parse;
  /* the resolved layout's value as the CSV shows it, or NULL: no column */
  void (*show)(const nvl_llm_layout *l, char *buf, size_t len);
  const char *help;
} nvl_llm_param;

/* X(B, field, name, arg, json, parser, show, help): the step's parameters, then the layout's (B:
 * passed through to X). */
#define NVL_LLM_STEP_PARAMS(X, B)                                                                  \
  X(B, llm, "llm", "MODEL", TEXT, text, NULL,                                                      \
    "builtin:NAME (llama3.1-8b, -70b, -405b, deepseek-v3,\nmixtral-8x7b, qwen3-30b-a3b, "          \
    "qwen3-235b-a22b, gpt-oss-120b,\nmpt-*), a JSON file, or hf:PATH (a Hugging Face\n"            \
    "config.json)")                                                                                \
  X(B, mode, "mode", "MODE", TEXT, mode, show_mode, "train (default), prefill or decode")          \
  X(B, precision, "precision", "P", TEXT, precision, show_precision,                               \
    "GEMMs: bf16, fp8 or fp4 (default: the model's published one)")                                \
  X(B, attn_precision, "attn-precision", "P", TEXT, attn_precision, show_attn_precision,           \
    "attention's math: bf16 (default) or fp8")                                                     \
  X(B, kv_precision, "kv-precision", "P", TEXT, precision, show_kv_precision,                      \
    "the KV cache: bf16, fp8 or fp4 (default: fp8 with fp8 or\nfp4 GEMMs, else bf16)")             \
  X(B, runtime, "runtime", "R", TEXT, runtime, show_runtime,                                       \
    "kernel launch: eager (PyTorch, unfused), fused (a framework's\nkernels; default for train "   \
    "and prefill) or graph (CUDA\ngraphs; default for decode)")                                    \
  X(B, attn_kernel, "attention-kernel", "K", TEXT, attn_kernel, show_attn_kernel,                  \
    "default (cuDNN / FlashAttention-3 and 4 class) or flash2\n(FlashAttention-2)")                \
  X(B, ep_kernel, "ep-kernel", "K", TEXT, ep_kernel, show_ep_kernel,                               \
    "DeepEP's expert exchange: normal or low-latency (default:\nlow-latency in decode, normal "    \
    "otherwise)")                                                                                  \
  X(B, batch, "batch", "N", INT, size, show_batch,                                                 \
    "sequences per step, whole job (default: train dp x 4pp\n(1 without pp), prefill dp, "         \
    "decode 64 x dp)")                                                                             \
  X(B, seq, "seq", "N", INT, size, show_seq,                                                       \
    "tokens per sequence; decode: the context (default 4096)")                                     \
  X(B, microbatches, "microbatches", "N", INT, size, show_microbatches,                            \
    "per data-parallel rank (default: train batch / dp,\ninference 1, or pp with pp)")
#define NVL_LLM_LAYOUT_PARAMS(X, B)                                                                \
  X(B, tp, "tp", "N", INT, size, show_tp, "tensor parallel size (default 1)")                      \
  X(B, ep, "ep", "N", INT, size, show_ep,                                                          \
    "expert parallel size (default 1): EP groups fold over\nthe tp x cp x dp ranks of a stage "    \
    "(Megatron's MoE\nparallel folding)")                                                          \
  X(B, etp, "etp", "N", INT, size, show_etp,                                                       \
    "expert tensor parallel size, dividing tp (default 1: whole\nexperts per rank)")               \
  X(B, pp, "pp", "N", INT, size, show_pp, "pipeline stages (default 1)")                           \
  X(B, vp, "vp", "N", INT, size, show_vp,                                                          \
    "model chunks per pipeline rank: interleaved 1F1B (default 1)")                                \
  X(B, first_layers, "first-stage-layers", "N", INT, size, show_first_layers,                      \
    "layers of the first pipeline stage (Megatron's\n--decoder-first-pipeline-num-layers; "        \
    "default: even)")                                                                              \
  X(B, last_layers, "last-stage-layers", "N", INT, size, show_last_layers,                         \
    "layers of the last pipeline stage (default: even)")                                           \
  X(B, dp, "dp", "N", INT, size, show_dp,                                                          \
    "the dense layers' data-parallel size (Megatron's; default:\nthe ranks / (tp x cp x pp))")     \
  X(B, cp, "cp", "N", INT, size, show_cp,                                                          \
    "context parallel size: each sequence's tokens over N ranks\n(default 1; train and prefill)")  \
  X(B, cp_a2a, "cp-comm", "C", TEXT, cp_comm, show_cp_comm,                                        \
    "CP's exchange: p2p (default: Megatron's KV ring, overlapped\nwith attention) or a2a "         \
    "(Ulysses' all-to-all of heads)")                                                              \
  X(B, order, "order", "ORDER", TEXT, order, show_order,                                           \
    "the mesh's order, fastest-varying first (default\ntp-cp-ep-dp-pp, Megatron's)")               \
  X(B, sp, "sp", NULL, BOOL, flag, show_sp,                                                        \
    "sequence parallelism (TP reduce_scatter + all_gather)")                                       \
  X(B, tbo, "two-batch-overlap", NULL, BOOL, flag, show_tbo,                                       \
    "inference: each micro-batch as two halves, one's expert\nexchange beside the other's "        \
    "compute (DeepSeek's)")                                                                        \
  X(B, shared_overlap, "shared-expert-overlap", NULL, BOOL, flag, show_shared_overlap,             \
    "the shared experts beside the dispatch (Megatron's\n--moe-shared-expert-overlap), not "       \
    "before")                                                                                      \
  X(B, zero, "zero", "N", INT, zero, show_zero,                                                    \
    "training's data-parallel sharding: 1 (default: Megatron's\ndistributed optimizer) or 3 "      \
    "(FSDP's full shard)")                                                                         \
  X(B, recompute, "recompute", "R", TEXT, recompute, show_recompute,                               \
    "training's activation recomputation: none (default),\nselective (attention core) or full "    \
    "(whole layers)")                                                                              \
  X(B, mtp, "mtp", "N", INT, mtp, show_mtp,                                                        \
    "multi-token prediction: modules trained (default: the\nmodel's) or tokens drafted per "       \
    "decode step (default 0)")                                                                     \
  X(B, mtp_accept, "mtp-accept", "A", NUMBER, accept, show_mtp_accept,                             \
    "decode with --mtp: the chance a draft is accepted (default\n0.85, DeepSeek-V3's report)")     \
  X(B, capacity, "capacity-factor", "C", NUMBER, capacity, show_capacity,                          \
    "MoE token dropping: an expert takes at most C x its even\nshare of tokens (default 0: none)") \
  X(B, redundant, "redundant-experts", "N", INT, count, show_redundant,                            \
    "copies of the hottest experts, so that ep divides experts + N")                               \
  X(B, node_groups, "node-groups", "M", INT, count, show_node_groups,                              \
    "routing: each token's experts on at most M of its EP\ngroup's nodes (DeepSeek's group-"       \
    "limited routing, a group\nper node; default 0: any)")                                         \
  X(B, skew, "skew", "S", NUMBER, skew, show_skew,                                                 \
    "routing: Zipf exponent over experts (default 0: uniform)")

/* The command-line callbacks of the parsers (nvl_option's call): a bad value is a usage error
 * naming the option. */
#define NVL_LP_CLI_DECL_(p)                                                                        \
  int nvl_lp_cli_##p(void *field, const char *v, const char *opt, const char *cmd);
NVL_LP_CLI_DECL_(text)
NVL_LP_CLI_DECL_(order)
NVL_LP_CLI_DECL_(mode)
NVL_LP_CLI_DECL_(precision)
NVL_LP_CLI_DECL_(attn_precision)
NVL_LP_CLI_DECL_(runtime)
NVL_LP_CLI_DECL_(attn_kernel)
NVL_LP_CLI_DECL_(ep_kernel)
NVL_LP_CLI_DECL_(size)
NVL_LP_CLI_DECL_(count)
NVL_LP_CLI_DECL_(cp_comm)
NVL_LP_CLI_DECL_(flag)
NVL_LP_CLI_DECL_(zero)
NVL_LP_CLI_DECL_(recompute)
NVL_LP_CLI_DECL_(skew)
NVL_LP_CLI_DECL_(mtp)
NVL_LP_CLI_DECL_(accept)
NVL_LP_CLI_DECL_(capacity)
#undef NVL_LP_CLI_DECL_

#define NVL_LP_OPT_KIND_TEXT NVL_OPT_CALL
#define NVL_LP_OPT_KIND_INT NVL_OPT_CALL
#define NVL_LP_OPT_KIND_NUMBER NVL_OPT_CALL
#define NVL_LP_OPT_KIND_BOOL NVL_OPT_FLAG
/* One option row of a parameter, its field at `base` (the ask's offset in the command's struct)
 * + its place in nvl_llm_ask. */
#define NVL_LP_OPT_ROW_(base, field, name, arg, json, parser, show, help)                          \
  {NVL_LP_OPT_KIND_##json, 0,   name, arg, (base) + offsetof(nvl_llm_ask, field),                  \
   nvl_lp_cli_##parser,    help},
/* The option-table rows of every parameter (not --model, -g, --ranks, --seed), into field `f` (an
 * nvl_llm_ask) of `type`. */
#define NVL_OPT_LLM_ASK_(type, f)                                                                  \
  NVL_LLM_STEP_PARAMS(NVL_LP_OPT_ROW_, offsetof(type, f))                                          \
  NVL_OPT_GROUP_("layout"), NVL_LLM_LAYOUT_PARAMS(NVL_LP_OPT_ROW_, offsetof(type, f))

/* Every parameter, in order (at most NVL_LLM_MAX_PARAMS); how many. */
#define NVL_LLM_MAX_PARAMS 64
extern const nvl_llm_param nvl_llm_params[];
extern const size_t nvl_llm_n_params;

/* The parameter whose key (the option's name, with '_' or '-') is `key`, or NULL. */
const nvl_llm_param *nvl_llm_param_find(const char *key);
/* The parameters' keys, ", "-separated ("llm, mode, precision, ..."), static. */
const char *nvl_llm_param_keys(void);
/* p's key ('_' for '-') into buf. */
void nvl_llm_param_key(const nvl_llm_param *p, char *buf, size_t len);
/* Sets p from text v (a validate-model cell; empty: the default). Returns 0, or -1 with
 * "bad KEY: "v" is not ..." in err. */
int nvl_llm_param_set_text(const nvl_llm_param *p, nvl_llm_ask *a, const char *v, char *err,
                           size_t len);
/* Sets p from a sweep's JSON value (its type must be p's). Returns 0, or -1 with "KEY: V is not
 * ..." in err. Text values point into v: it must outlive the ask. */
int nvl_llm_param_set_json(const nvl_llm_param *p, nvl_llm_ask *a, json_t *v, char *err,
                           size_t len);

/* The llm CSV: design, llm, every parameter with a column (its resolved value), then the
 * figures (output/llm.h). */
void nvl_llm_csv_header(FILE *out);
size_t nvl_llm_csv_columns(void);
void nvl_llm_csv_row(const nvl_llm_labels *lb, const nvl_llm_step *st, const nvl_llm_result *r,
                     FILE *out);
/* Header and row, each ending its line. Returns 0, or -1 on a write error. */
int nvl_llm_csv_write(const nvl_llm_labels *lb, const nvl_llm_step *st, const nvl_llm_result *r,
                      FILE *out);

#endif
