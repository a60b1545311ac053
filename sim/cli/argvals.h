/*
 * argvals: option values several commands share, as option-table callbacks (cli/options.h):
 * each checks one value and stores it in its field, or prints a usage error naming the option.
 */
#ifndef NVL_ARGVALS_H
#define NVL_ARGVALS_H

#include <stddef.h>
#include <stdint.h>

#include "models/collectives.h"
#include "models/model.h"
#include "workload/workload.h"

int nvl_arg_coll(void *field, const char *v, const char *opt, const char *cmd);    /* nvl_coll */
int nvl_arg_algo(void *field, const char *v, const char *opt, const char *cmd);    /* nvl_algo */
int nvl_arg_model(void *field, const char *v, const char *opt, const char *cmd);   /* nvl_model */
int nvl_arg_pattern(void *field, const char *v, const char *opt, const char *cmd); /* pattern */
/* int: NCCL's protocol (nvl_proto), -1 for auto */
int nvl_arg_proto(void *field, const char *v, const char *opt, const char *cmd);
/* int: a rank count of at least 2 (-g) */
int nvl_arg_ranks(void *field, const char *v, const char *opt, const char *cmd);
/* int: an accelerator count of at least 1 (llm's -g: one GPU serving a model) */
int nvl_arg_gpus(void *field, const char *v, const char *opt, const char *cmd);
/* int: a positive integer */
int nvl_arg_positive(void *field, const char *v, const char *opt, const char *cmd);
/* double: a rate in FLOP/s, a positive number (2.25e15) */
int nvl_arg_flops(void *field, const char *v, const char *opt, const char *cmd);
/* unsigned long: a random seed */
int nvl_arg_seed(void *field, const char *v, const char *opt, const char *cmd);

/* A shard of a large run (--shard i/N): the units u with u mod n = i. */
typedef struct {
  size_t i, n;
} nvl_cli_shard;
int nvl_arg_shard(void *field, const char *v, const char *opt, const char *cmd);

/* The step of a size sweep, as nccl-tests: a factor (-f), or bytes added (-i) when factor is 0. */
typedef struct {
  double factor;
  uint64_t bytes;
  char given; /* 'f' or 'i' once one was given: the other is then refused */
} nvl_cli_step;
int nvl_arg_factor(void *field, const char *v, const char *opt, const char *cmd);
int nvl_arg_step_bytes(void *field, const char *v, const char *opt, const char *cmd);

/* Injected failures, --fail SPEC and --degrade SPEC (SPEC: switch:NAME, link:A-B, link:A-B=50%),
 * in order; specs[n] is NULL (ready for nvl_load_opts.failures). */
typedef struct {
  const char *specs[65];
  size_t n;
} nvl_cli_failures;
int nvl_arg_failure(void *field, const char *v, const char *opt, const char *cmd);
/* The two option-table rows of --fail and --degrade, into field `f` (an nvl_cli_failures). */
#define NVL_OPT_FAILURES_(type, f)                                                                 \
  NVL_OPT_CALL_(0, "fail", "SPEC", type, f, nvl_arg_failure,                                       \
                "fail switches or a link: switch:sw4, switch:sw[2:4] (a tray),\nlink:gpu3-sw7 "    \
                "(repeatable)"),                                                                   \
      NVL_OPT_CALL_(0, "degrade", "SPEC", type, f, nvl_arg_failure,                                \
                    "degrade a link to a share of its bandwidth: link:gpu3-sw7=50%")

/* SimGrid options (--cfg=KEY:VALUE, checked against engine/cfg.h), as "--cfg=..." arguments;
 * args[n] is NULL. */
typedef struct {
  char text[32][256];
  const char *args[33];
  int n;
} nvl_cli_cfg;
int nvl_arg_cfg(void *field, const char *v, const char *opt, const char *cmd);

#endif
