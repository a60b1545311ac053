/*
 * options: see options.h.
 */
#include "cli/options.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/suggest.h"
#include "base/units.h"
#include "cli/cli.h"

static bool takes_value(const nvl_option *o) { return o->arg != NULL; }

static void *field(void *opts, const nvl_option *o) { return (char *)opts + o->offset; }

/* Stores one option's value; `name` is the option as written ("-b", "--minbytes"). */
static int apply(const nvl_cmd_doc *doc, const nvl_option *o, const char *name, const char *v,
                 void *opts) {
  char err[200];
  switch (o->kind) {
  case NVL_OPT_FLAG: *(bool *)field(opts, o) = true; return 0;
  case NVL_OPT_STRING: *(const char **)field(opts, o) = v; return 0;
  case NVL_OPT_SIZE:
  case NVL_OPT_BYTES:
    if (nvl_units_parse_cli_size(v, o->kind == NVL_OPT_BYTES, (uint64_t *)field(opts, o), err,
                                 sizeof err) != 0)
      return nvl_cli_usage_error(doc->name, "%s: %s", name, err);
    return 0;
  case NVL_OPT_COUNT: {
    uint64_t n;
    if (nvl_parse_uint(v, &n) != 0 || n > SIZE_MAX)
      return nvl_cli_usage_error(doc->name, "%s: \"%.40s\" is not a whole number from 0 to %zu",
                                 name, v, (size_t)SIZE_MAX);
    *(size_t *)field(opts, o) = (size_t)n;
    return 0;
  }
  case NVL_OPT_TIME:
  case NVL_OPT_MEMORY:
    if (nvl_units_parse(v, o->kind == NVL_OPT_TIME ? NVL_QTY_TIME : NVL_QTY_SIZE,
                        (double *)field(opts, o), err, sizeof err) != 0)
      return nvl_cli_usage_error(doc->name, "%s: %s", name, err);
    return 0;
  case NVL_OPT_CALL: return o->call(field(opts, o), v, name, doc->name);
  default: return 0;
  }
}

static const nvl_option *find_short(const nvl_option *opts, char c) {
  for (const nvl_option *o = opts; o->kind != NVL_OPT_END; o++)
    if (o->kind != NVL_OPT_GROUP && o->short_name == c)
      return o;
  return NULL;
}

/* The long option `name` (len bytes): an exact match, else the only one it abbreviates. */
static const nvl_option *find_long(const nvl_cmd_doc *doc, const char *name, size_t len,
                                   int *status) {
  const nvl_option *hit = NULL;
  int prefixes = 0;
  *status = 0;
  for (const nvl_option *o = doc->options; o->kind != NVL_OPT_END; o++) {
    if (o->kind == NVL_OPT_GROUP || !o->long_name || strncmp(o->long_name, name, len) != 0)
      continue;
    if (strlen(o->long_name) == len)
      return o;
    hit = o;
    prefixes++;
  }
  if (prefixes == 1)
    return hit;
  if (prefixes > 1)
    *status = nvl_cli_usage_error(doc->name, "option \"--%.*s\" is ambiguous", (int)len, name);
  return NULL;
}

/* An unknown option, with the closest long option's name when one is close (names compared
 * without their dashes). */
static int unknown(const nvl_cmd_doc *doc, const char *arg) {
  char word[64];
  snprintf(word, sizeof word, "%.*s", (int)strcspn(arg, "="), arg);
  const char *bare = word + strspn(word, "-");
  nvl_suggest s = NVL_SUGGEST_INIT(bare);
  for (const nvl_option *o = doc->options; o->kind != NVL_OPT_END; o++)
    if (o->kind != NVL_OPT_GROUP && o->long_name && *bare && word[1] == '-')
      nvl_suggest_offer(&s, o->long_name);
  char hint[160] = "";
  if (s.best)
    snprintf(hint, sizeof hint, " (did you mean \"--%s\"?)", s.best);
  return nvl_cli_usage_error(doc->name, "unknown option \"%s\"%s", word, hint);
}

static int missing(const nvl_cmd_doc *doc, const char *name, const nvl_option *o) {
  return nvl_cli_usage_error(doc->name, "%s needs a value (%s)", name, o->arg);
}

/* "--name", "--name=value" or "--name value" at argv[*i]. */
static int parse_long(const nvl_cmd_doc *doc, int argc, char **argv, int *i, void *opts) {
  const char *a = argv[*i] + 2, *eq = strchr(a, '=');
  size_t len = eq ? (size_t)(eq - a) : strlen(a);
  int st;
  const nvl_option *o = find_long(doc, a, len, &st);
  if (st)
    return st;
  if (!o)
    return unknown(doc, argv[*i]);
  char name[80];
  snprintf(name, sizeof name, "--%s", o->long_name);
  if (!takes_value(o)) {
    if (eq)
      return nvl_cli_usage_error(doc->name, "%s takes no value", name);
    return apply(doc, o, name, NULL, opts);
  }
  if (eq)
    return apply(doc, o, name, eq + 1, opts);
  if (*i + 1 >= argc)
    return missing(doc, name, o);
  return apply(doc, o, name, argv[++*i], opts);
}

/* "-x", "-xVALUE", "-x VALUE" or bundled flags "-xy" at argv[*i]. */
static int parse_short(const nvl_cmd_doc *doc, int argc, char **argv, int *i, void *opts) {
  for (const char *p = argv[*i] + 1; *p; p++) {
    const nvl_option *o = find_short(doc->options, *p);
    char name[3] = {'-', *p, 0};
    if (!o)
      return unknown(doc, name);
    if (!takes_value(o)) {
      int rc = apply(doc, o, name, NULL, opts);
      if (rc)
        return rc;
      continue;
    }
    if (p[1])
      return apply(doc, o, name, p + 1, opts);
    if (*i + 1 >= argc)
      return missing(doc, name, o);
    return apply(doc, o, name, argv[++*i], opts);
  }
  return 0;
}

int nvl_options_parse(const nvl_cmd_doc *doc, int argc, char **argv, void *opts, char **operands,
                      int max_operands, int *n_operands) {
  *n_operands = 0;
  bool only_operands = false;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    int rc = 0;
    if (!only_operands && (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0)) {
      nvl_options_help(doc, stdout);
      return NVL_OPTIONS_HELP;
    }
    if (!only_operands && strcmp(a, "--") == 0)
      only_operands = true;
    else if (!only_operands && a[0] == '-' && a[1] == '-')
      rc = parse_long(doc, argc, argv, &i, opts);
    else if (!only_operands && a[0] == '-' && a[1])
      rc = parse_short(doc, argc, argv, &i, opts);
    else if (*n_operands >= max_operands)
      return nvl_cli_usage_error(doc->name, "unexpected argument \"%s\"", a);
    else
      operands[(*n_operands)++] = argv[i];
    if (rc)
      return rc;
  }
  return 0;
}

bool nvl_options_accept(const nvl_cmd_doc *doc, int argc, char **argv, void *opts, char **operands,
                        int max_operands, int *n_operands, int *status) {
  int rc = nvl_options_parse(doc, argc, argv, opts, operands, max_operands, n_operands);
  *status = rc == NVL_OPTIONS_HELP ? 0 : rc;
  return rc == 0;
}

/* "  -c, --collective NAME" or "      --ranks LIST" (without the short column when no option of
 * the command has a short name: "  --ranks LIST") */
static void left_part(const nvl_option *o, bool shorts, char *buf, size_t len) {
  char s[8] = "", l[80] = "";
  if (shorts)
    snprintf(s, sizeof s, "    ");
  if (o->short_name)
    snprintf(s, sizeof s, "-%c%s", o->short_name, o->long_name ? ", " : "");
  if (o->long_name)
    snprintf(l, sizeof l, "--%s", o->long_name);
  snprintf(buf, len, "  %s%s%s%s", s, l, o->arg ? " " : "", o->arg ? o->arg : "");
}

void nvl_options_help(const nvl_cmd_doc *doc, FILE *out) {
  const char *u = doc->usage;
  for (bool first = true; *u; first = false) {
    size_t n = strcspn(u, "\n");
    fprintf(out, "%s%.*s\n", first ? "usage: " : "       ", (int)n, u);
    u += n + (u[n] == '\n');
  }
  if (doc->about)
    fprintf(out, "\n%s", doc->about);
  int col = 0;
  char buf[160];
  bool shorts = false;
  for (const nvl_option *o = doc->options; o->kind != NVL_OPT_END; o++)
    shorts |= o->kind != NVL_OPT_GROUP && o->short_name;
  for (const nvl_option *o = doc->options; o->kind != NVL_OPT_END; o++)
    if (o->kind != NVL_OPT_GROUP) {
      left_part(o, shorts, buf, sizeof buf);
      int w = (int)strlen(buf) + 2;
      if (w > col && w <= 34)
        col = w;
    }
  fputc('\n', out);
  for (const nvl_option *o = doc->options; o->kind != NVL_OPT_END; o++) {
    if (o->kind == NVL_OPT_GROUP) {
      fprintf(out, "%s%s\n", o == doc->options ? "" : "\n", o->help);
      continue;
    }
    left_part(o, shorts, buf, sizeof buf);
    int w = (int)strlen(buf);
    const char *h = o->help;
    for (bool first = true; *h || first; first = false) {
      size_t n = strcspn(h, "\n");
      if (first)
        fprintf(out, "%s%*s%.*s\n", buf, w + 2 > col ? 2 : col - w, "", (int)n, h);
      else
        fprintf(out, "%*s%.*s\n", col, "", (int)n, h);
      h += n + (h[n] == '\n');
    }
  }
  if (doc->epilogue)
    fprintf(out, "\n%s", doc->epilogue);
}
