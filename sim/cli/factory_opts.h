/*
 * factory_opts: `nvlsim factory`'s options: their table, help and checks (cmd_factory.c runs the
 * search they ask for).
 */
#ifndef NVL_CLI_FACTORY_OPTS_H
#define NVL_CLI_FACTORY_OPTS_H

#include <stdbool.h>
#include <stddef.h>

#include "cli/argvals.h"

#define MAX_LIST 32
#define MAX_DESIGNS 8

typedef struct {
  long v[MAX_LIST];
  int n;
} long_list;

typedef struct {
  const char *llm, *csv, *plot, *steps, *gpus_text, *batch_text, *tp_text;
  int precision, kv_precision; /* -1: the model's, llm's default */
  size_t isl, osl;
  double ttft_max_s, itl_max_s;
  double rate;         /* requests per second offered to the design (0: every batch full) */
  nvl_cli_shard shard; /* --shard i/N (n 0: none): this shard's replica sizes' steps only */
  int design;          /* the design searched (its place among the operands) */
  size_t kv_page;      /* tokens per KV-cache page */
  double kv_memory;    /* the share of HBM for weights and KV cache */
  double rack_W;       /* --rack-overhead: watts per scale-up domain (-1: the estimate) */
  bool disagg;
  long mtp;                  /* drafts per decode step (0: none) */
  double mtp_accept;         /* -1: NVL_LLM_MTP_ACCEPT */
  long_list gpus, batch, tp; /* tp: the layouts' TP degrees (empty: each size's default) */
} nvl_factory_opts;

/* Parses and checks the command line: the options into *o, the designs into files (at most
 * MAX_DESIGNS, *nf of them). Returns 0, NVL_OPTIONS_HELP when help was printed, or an exit status
 * (a usage error printed). */
int nvl_factory_parse(int argc, char **argv, nvl_factory_opts *o, char **files, int *nf);

/* A comma-separated list of positive integers (at most 1e6 each, MAX_LIST of them), ascending,
 * into *out. Returns 0 or a usage error's exit status (printed, naming --opt). */
int nvl_factory_list(const char *text, const char *opt, long_list *out);

#endif
