/*
 * cmd_validate: `nvlsim validate FILE...`, the CI gate. Per file: load (syntax and semantic
 * checks), then graph checks and `expect` assertions; all diagnostics in document order, then a
 * summary. Text goes to stderr (diagnostics) and stdout (summaries); json and junit to stdout.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "graph/analysis.h"
#include "base/json.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "graph/graph.h"
#include "output/results.h"

typedef enum { FMT_TEXT, FMT_JSON, FMT_JUNIT } out_format;

typedef struct {
  const char *file;
  nvl_diags diags;
  nvl_check checks[NVL_CHECK_MAX + 1];
  size_t n_checks;
  bool io_error;
  bool valid;
} file_result;

static void validate_one(const char *path, const nvl_load_opts *opts, bool strict, file_result *r) {
  nvl_design *d = NULL;
  nvl_load_status st = nvl_design_load_file(path, opts, &d, &r->diags);
  r->io_error = st == NVL_LOAD_IO;
  r->checks[r->n_checks++] = (nvl_check){"load", true, st == NVL_LOAD_OK};
  if (d) {
    nvl_graph *g = nvl_graph_new(d);
    nvl_analysis a;
    if (nvl_analysis_run(d, g, &a) == 0)
      r->n_checks += nvl_analysis_check(d, &a, &r->diags, r->checks + r->n_checks);
    else
      nvl_diag_add(&r->diags, NVL_SEV_ERROR, NVL_DIAG_LIMIT, NULL, "graph analysis failed");
    nvl_graph_free(g);
    nvl_design_free(d);
  }
  r->valid = r->diags.errors == 0 && !(strict && r->diags.warnings);
}

static void xml_escape(FILE *to, const char *s) {
  for (; *s; s++) {
    switch (*s) {
    case '&': fputs("&amp;", to); break;
    case '<': fputs("&lt;", to); break;
    case '>': fputs("&gt;", to); break;
    case '"': fputs("&quot;", to); break;
    default:
      if ((unsigned char)*s < 0x20 && *s != '\n' && *s != '\t')
        fputc('?', to);
      else
        fputc(*s, to);
    }
  }
}

/* The diagnostics that belong to a check: syntax/semantic ones to "load", expect ones to the
 * check of the same name, reachability to "all_reachable". */
static bool diag_belongs(const nvl_diag *dg, const char *check) {
  if (strcmp(check, "load") == 0)
    return dg->code != NVL_DIAG_EXPECT &&
           !(dg->code == NVL_DIAG_DISCONNECTED && strstr(dg->message, "cannot reach"));
  if (strcmp(check, "all_reachable") == 0)
    return dg->code == NVL_DIAG_DISCONNECTED && strstr(dg->message, "cannot reach");
  size_t n = strlen(check);
  const char *p = strrchr(dg->pointer, '/');
  return dg->code == NVL_DIAG_EXPECT && p && strncmp(p + 1, check, n) == 0 && p[1 + n] == '\0';
}

static void print_junit(file_result *rs, size_t n) {
  size_t tests = 0, failures = 0;
  for (size_t i = 0; i < n; i++)
    for (size_t c = 0; c < rs[i].n_checks; c++) {
      tests++;
      failures += !rs[i].checks[c].passed;
    }
  printf("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
  printf("<testsuites name=\"nvlsim validate\" tests=\"%zu\" failures=\"%zu\">\n", tests, failures);
  char line[2048];
  for (size_t i = 0; i < n; i++) {
    file_result *r = &rs[i];
    size_t f = 0;
    for (size_t c = 0; c < r->n_checks; c++)
      f += !r->checks[c].passed;
    printf("  <testsuite name=\"");
    xml_escape(stdout, r->file);
    printf("\" tests=\"%zu\" failures=\"%zu\">\n", r->n_checks, f);
    for (size_t c = 0; c < r->n_checks; c++) {
      const nvl_check *ck = &r->checks[c];
      printf("    <testcase classname=\"");
      xml_escape(stdout, r->file);
      printf("\" name=\"%s\">", ck->name);
      if (!ck->passed) {
        printf("\n      <failure message=\"%s failed\">", ck->name);
        for (size_t k = 0; k < r->diags.count; k++) {
          if (!diag_belongs(&r->diags.items[k], ck->name))
            continue;
          nvl_diag_format(&r->diags.items[k], r->file, line, sizeof line);
          xml_escape(stdout, line);
          putchar('\n');
        }
        printf("</failure>\n    ");
      }
      printf("</testcase>\n");
    }
    printf("  </testsuite>\n");
  }
  printf("</testsuites>\n");
}

static void print_json(file_result *rs, size_t n) {
  json_t *root = json_object(), *files = json_array();
  bool all = true;
  for (size_t i = 0; i < n; i++) {
    file_result *r = &rs[i];
    json_t *f = json_object(), *ds = json_array(), *cs = json_array();
    json_object_set_new(f, "file", nvl_json_text(r->file));
    json_object_set_new(f, "valid", json_boolean(r->valid));
    json_object_set_new(f, "errors", json_integer((json_int_t)r->diags.errors));
    json_object_set_new(f, "warnings", json_integer((json_int_t)r->diags.warnings));
    for (size_t k = 0; k < r->diags.count; k++) {
      const nvl_diag *dg = &r->diags.items[k];
      json_t *o = json_object();
      json_object_set_new(o, "severity",
                          nvl_json_text(dg->severity == NVL_SEV_ERROR ? "error" : "warning"));
      json_object_set_new(o, "code", nvl_json_text(nvl_diag_code_name(dg->code)));
      if (dg->line > 0) {
        json_object_set_new(o, "line", json_integer(dg->line));
        json_object_set_new(o, "column", json_integer(dg->column));
      } else {
        json_object_set_new(o, "pointer", nvl_json_text(dg->pointer));
      }
      json_object_set_new(o, "message", nvl_json_text(dg->message));
      json_array_append_new(ds, o);
    }
    for (size_t c = 0; c < r->n_checks; c++) {
      json_t *o = json_object();
      json_object_set_new(o, "name", nvl_json_text(r->checks[c].name));
      json_object_set_new(o, "passed", json_boolean(r->checks[c].passed));
      json_array_append_new(cs, o);
    }
    json_object_set_new(f, "diagnostics", ds);
    json_object_set_new(f, "checks", cs);
    json_array_append_new(files, f);
    all &= r->valid;
  }
  json_object_set_new(root, "valid", json_boolean(all));
  json_object_set_new(root, "files", files);
  json_dumpf(root, stdout, JSON_INDENT(2));
  putchar('\n');
  json_decref(root);
}

int nvl_cmd_validate(int argc, char **argv) {
  out_format fmt = FMT_TEXT;
  bool strict = false;
  nvl_load_opts opts = {0};
  const char **files = calloc((size_t)argc, sizeof *files);
  size_t nf = 0;
  int rc = NVL_EXIT_OK;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    int fo = nvl_cli_failure_option("validate", argc, argv, &i, &opts);
    if (fo == NVL_EXIT_USAGE) {
      free(files);
      return fo;
    }
    if (fo == 1)
      continue;
    if (strcmp(a, "--strict") == 0) {
      strict = true;
    } else if (strcmp(a, "--format") == 0 || strncmp(a, "--format=", 9) == 0) {
      const char *v = a[8] == '=' ? a + 9 : (i + 1 < argc ? argv[++i] : NULL);
      if (v && strcmp(v, "text") == 0)
        fmt = FMT_TEXT;
      else if (v && strcmp(v, "json") == 0)
        fmt = FMT_JSON;
      else if (v && strcmp(v, "junit") == 0)
        fmt = FMT_JUNIT;
      else {
        free(files);
        return nvl_cli_usage_error("validate", "--format must be text, json or junit");
      }
    } else if (strcmp(a, "--max-endpoints") == 0) {
      if (!nvl_cli_parse_size_t("validate", a, i + 1 < argc ? argv[++i] : NULL,
                                &opts.max_endpoints)) {
        free(files);
        return NVL_EXIT_USAGE;
      }
    } else if (a[0] == '-' && a[1] != '\0') {
      free(files);
      return nvl_cli_usage_error("validate", "unknown option \"%s\"", a);
    } else {
      files[nf++] = a;
    }
  }
  if (nf == 0) {
    free(files);
    return nvl_cli_usage_error("validate", "no design file given");
  }
  file_result *rs = calloc(nf, sizeof *rs);
  size_t n_valid = 0, n_err = 0, n_warn = 0;
  for (size_t i = 0; i < nf; i++) {
    file_result *r = &rs[i];
    r->file = files[i];
    validate_one(files[i], &opts, strict, r);
    n_valid += r->valid;
    n_err += r->diags.errors;
    n_warn += r->diags.warnings;
    if (r->io_error)
      rc = NVL_EXIT_USAGE;
    else if (!r->valid && rc == NVL_EXIT_OK)
      rc = NVL_EXIT_FAIL;
    if (fmt == FMT_TEXT) {
      nvl_cli_print_diags(&r->diags, r->file, stderr);
      fflush(stderr);
      printf("%s: %s (%zu error%s, %zu warning%s)\n", r->file,
             r->valid                               ? "valid"
             : r->diags.errors == 0 && !r->io_error ? "invalid under --strict"
                                                    : "invalid",
             r->diags.errors, r->diags.errors == 1 ? "" : "s", r->diags.warnings,
             r->diags.warnings == 1 ? "" : "s");
      fflush(stdout);
    }
  }
  if (fmt == FMT_TEXT && nf > 1)
    printf("%zu files: %zu valid, %zu invalid (%zu errors, %zu warnings)\n", nf, n_valid,
           nf - n_valid, n_err, n_warn);
  else if (fmt == FMT_JSON)
    print_json(rs, nf);
  else if (fmt == FMT_JUNIT)
    print_junit(rs, nf);
  for (size_t i = 0; i < nf; i++)
    nvl_diags_release(&rs[i].diags);
  free(rs);
  free(files);
  return rc;
}
