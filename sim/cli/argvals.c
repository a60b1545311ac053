/*
 * argvals: see argvals.h.
 */
#include "cli/argvals.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/units.h"
#include "cli/cli.h"
#include "engine/cfg.h"
#include "models/algorithms.h"
#include "models/calibration.h"

int nvl_arg_coll(void *field, const char *v, const char *opt, const char *cmd) {
  (void)opt;
  if (nvl_coll_parse(v, field) == 0)
    return 0;
  char names[200] = "";
  for (int c = 0; c < NVL_COLL__COUNT; c++)
    snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s",
             c == 0                     ? ""
             : c == NVL_COLL__COUNT - 1 ? " or "
                                        : ", ",
             nvl_coll_name((nvl_coll)c));
  return nvl_cli_usage_error(cmd, "unknown collective \"%s\"; expected %s", v, names);
}

int nvl_arg_algo(void *field, const char *v, const char *opt, const char *cmd) {
  if (nvl_algo_parse(v, field) == 0)
    return 0;
  char names[128];
  nvl_algo_names(", ", names, sizeof names);
  return nvl_cli_usage_error(cmd, "%s must be %s", opt, names);
}

int nvl_arg_model(void *field, const char *v, const char *opt, const char *cmd) {
  if (nvl_model_parse(v, field) == 0)
    return 0;
  return nvl_cli_usage_error(cmd, "%s must be %s", opt, nvl_model_names());
}

int nvl_arg_pattern(void *field, const char *v, const char *opt, const char *cmd) {
  (void)opt;
  if (nvl_pattern_parse(v, field) == 0)
    return 0;
  return nvl_cli_usage_error(cmd,
                             "unknown traffic pattern \"%s\"; expected pair, bidir, pairs, "
                             "permutation, uniform, incast, shift or matrix",
                             v);
}

int nvl_arg_proto(void *field, const char *v, const char *opt, const char *cmd) {
  nvl_proto pr;
  if (strcmp(v, "auto") == 0)
    *(int *)field = -1;
  else if (nvl_proto_parse(v, &pr) == 0)
    *(int *)field = (int)pr;
  else
    return nvl_cli_usage_error(cmd, "%s must be LL, LL128, Simple or auto", opt);
  return 0;
}

/* A whole number in [lo, INT_MAX], or -1. */
static long whole(const char *v, long lo) {
  uint64_t n;
  return nvl_parse_uint(v, &n) != 0 || n < (uint64_t)lo || n > INT_MAX ? -1 : (long)n;
}

int nvl_arg_ranks(void *field, const char *v, const char *opt, const char *cmd) {
  long n = whole(v, 2);
  if (n < 0)
    return nvl_cli_usage_error(cmd, "%s needs at least 2 ranks", opt);
  *(int *)field = (int)n;
  return 0;
}

int nvl_arg_gpus(void *field, const char *v, const char *opt, const char *cmd) {
  long n = whole(v, 1);
  if (n < 0)
    return nvl_cli_usage_error(cmd, "%s needs at least 1 accelerator", opt);
  *(int *)field = (int)n;
  return 0;
}

int nvl_arg_positive(void *field, const char *v, const char *opt, const char *cmd) {
  long n = whole(v, 1);
  if (n < 0)
    return nvl_cli_usage_error(cmd, "%s needs a positive integer", opt);
  *(int *)field = (int)n;
  return 0;
}

int nvl_arg_seed(void *field, const char *v, const char *opt, const char *cmd) {
  uint64_t n;
  if (nvl_parse_uint(v, &n) != 0 || n > ULONG_MAX)
    return nvl_cli_usage_error(cmd, "%s: \"%.40s\" is not a whole number from 0 to %lu", opt, v,
                               ULONG_MAX);
  *(unsigned long *)field = (unsigned long)n;
  return 0;
}

int nvl_arg_flops(void *field, const char *v, const char *opt, const char *cmd) {
  double f;
  if (nvl_parse_decimal(v, &f) != 0 || !(f >= 1e6 && f <= 1e21))
    return nvl_cli_usage_error(cmd, "%s: a rate in FLOP/s from 1e6 to 1e21, such as 2.25e15", opt);
  *(double *)field = f;
  return 0;
}

int nvl_arg_factor(void *field, const char *v, const char *opt, const char *cmd) {
  nvl_cli_step *s = field;
  double f;
  if (nvl_parse_decimal(v, &f) != 0 || !(f > 1.0))
    return nvl_cli_usage_error(cmd, "%s: factor must be a number greater than 1", opt);
  if (s->given == 'i')
    return nvl_cli_usage_error(cmd, "-f and -i both given: sizes grow by a factor or a step");
  s->factor = f;
  s->bytes = 0;
  s->given = 'f';
  return 0;
}

int nvl_arg_step_bytes(void *field, const char *v, const char *opt, const char *cmd) {
  nvl_cli_step *s = field;
  char err[160];
  if (nvl_units_parse_cli_size(v, false, &s->bytes, err, sizeof err) != 0)
    return nvl_cli_usage_error(cmd, "%s: %s", opt, err);
  if (s->given == 'f')
    return nvl_cli_usage_error(cmd, "-f and -i both given: sizes grow by a factor or a step");
  s->factor = 0;
  s->given = 'i';
  return 0;
}

int nvl_arg_failure(void *field, const char *v, const char *opt, const char *cmd) {
  nvl_cli_failures *f = field;
  bool degrade = strcmp(opt, "--degrade") == 0;
  if (degrade && !strchr(v, '='))
    return nvl_cli_usage_error(cmd, "--degrade needs the remaining bandwidth: link:gpu3-sw7=50%%");
  if (!degrade && strchr(v, '='))
    return nvl_cli_usage_error(cmd, "--fail takes no share; use --degrade link:A-B=50%%");
  if (f->n == 64)
    return nvl_cli_usage_error(cmd, "at most 64 failures");
  f->specs[f->n++] = v;
  f->specs[f->n] = NULL;
  return 0;
}

int nvl_arg_cfg(void *field, const char *v, const char *opt, const char *cmd) {
  (void)opt;
  nvl_cli_cfg *c = field;
  if (c->n == 32)
    return nvl_cli_usage_error(cmd, "at most 32 --cfg options");
  snprintf(c->text[c->n], sizeof c->text[c->n], "--cfg=%s", v);
  char err[400];
  if (strlen(v) + 7 > sizeof c->text[c->n] || nvl_engine_check_cfg(c->text[c->n], err, sizeof err))
    return nvl_cli_usage_error(cmd, "%s",
                               strlen(v) + 7 > sizeof c->text[0] ? "--cfg: too long" : err);
  c->args[c->n] = c->text[c->n];
  c->n++;
  c->args[c->n] = NULL;
  return 0;
}

int nvl_arg_shard(void *field, const char *v, const char *opt, const char *cmd) {
  nvl_cli_shard *sh = field;
  char *end, *slash = strchr(v, '/');
  bool digits = slash && slash > v && slash[1];
  for (const char *c = v; digits && *c; c++)
    digits = c == slash || (*c >= '0' && *c <= '9');
  errno = 0;
  unsigned long i = digits ? strtoul(v, &end, 10) : 0,
                n = digits ? strtoul(slash + 1, &end, 10) : 0;
  if (!digits || errno || n == 0 || n > 1000000 || i >= n)
    return nvl_cli_usage_error(cmd, "%s takes i/N, whole numbers with 0 <= i < N <= 1000000", opt);
  sh->i = i;
  sh->n = n;
  return 0;
}
