/*
 * report: see report.h.
 */
#include "output/report.h"

#include <jansson.h>
#include <string.h>

#include "base/json.h"

/* Text for XML content or a quoted attribute: markup escaped, line breaks and tabs as character
 * references (an attribute keeps them), other control bytes '?', and bytes that are not UTF-8 (a
 * file name is any bytes) U+FFFD, so the document is always well-formed UTF-8. */
static void xml_escape(FILE *to, const char *s) {
  while (*s) {
    size_t k = nvl_utf8_char_len(s);
    switch (*s) {
    case '&': fputs("&amp;", to); break;
    case '<': fputs("&lt;", to); break;
    case '>': fputs("&gt;", to); break;
    case '"': fputs("&quot;", to); break;
    case '\n': fputs("&#10;", to); break;
    case '\t': fputs("&#9;", to); break;
    default:
      if (k == 0)
        fputs("\xEF\xBF\xBD", to);
      else if ((unsigned char)*s < 0x20 || *s == 0x7f)
        fputc('?', to);
      else
        fwrite(s, 1, k, to);
    }
    s += k ? k : 1;
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

void nvl_report_write_junit(const nvl_report_file *rs, size_t n, FILE *out) {
  size_t tests = 0, failures = 0;
  for (size_t i = 0; i < n; i++)
    for (size_t c = 0; c < rs[i].n_checks; c++) {
      tests++;
      failures += !rs[i].checks[c].passed;
    }
  fprintf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
  fprintf(out, "<testsuites name=\"nvlsim validate\" tests=\"%zu\" failures=\"%zu\">\n", tests,
          failures);
  char line[2048];
  for (size_t i = 0; i < n; i++) {
    const nvl_report_file *r = &rs[i];
    size_t f = 0;
    for (size_t c = 0; c < r->n_checks; c++)
      f += !r->checks[c].passed;
    fprintf(out, "  <testsuite name=\"");
    xml_escape(out, r->file);
    fprintf(out, "\" tests=\"%zu\" failures=\"%zu\">\n", r->n_checks, f);
    for (size_t c = 0; c < r->n_checks; c++) {
      const nvl_check *ck = &r->checks[c];
      fprintf(out, "    <testcase classname=\"");
      xml_escape(out, r->file);
      fprintf(out, "\" name=\"%s\">", ck->name);
      if (!ck->passed) {
        fprintf(out, "\n      <failure message=\"%s failed\">", ck->name);
        for (size_t k = 0; k < r->diags.count; k++) {
          if (!diag_belongs(&r->diags.items[k], ck->name))
            continue;
          nvl_diag_format(&r->diags.items[k], r->file, line, sizeof line);
          xml_escape(out, line);
          fputc('\n', out);
        }
        fprintf(out, "</failure>\n    ");
      }
      fprintf(out, "</testcase>\n");
    }
    fprintf(out, "  </testsuite>\n");
  }
  fprintf(out, "</testsuites>\n");
}

void nvl_report_write_json(const nvl_report_file *rs, size_t n, FILE *out) {
  json_t *root = json_object(), *files = json_array();
  bool all = true;
  for (size_t i = 0; i < n; i++) {
    const nvl_report_file *r = &rs[i];
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
  json_dumpf(root, out, JSON_INDENT(2));
  fputc('\n', out);
  json_decref(root);
}
