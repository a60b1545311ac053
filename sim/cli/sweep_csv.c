/*
 * sweep_csv: see sweep_csv.h.
 */
#include "cli/sweep_csv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/csv.h"
#include "base/units.h"
#include "base/file.h"
#include "base/xalloc.h"
#include "cli/cli.h"

/* A sweep CSV is at most this large when read back. */
#define SWEEP_CSV_MAX_BYTES (1u << 30)

void nvl_sweep_add_row(nvl_sweep_rowset *rs, size_t point, const char *line) {
  if (rs->n == rs->cap) {
    rs->cap = rs->cap ? 2 * rs->cap : 64;
    rs->rows = nvl_xrealloc(rs->rows, rs->cap * sizeof *rs->rows);
  }
  rs->rows[rs->n++] = (nvl_sweep_row){point, nvl_xstrdup(line)};
}

static int cmp_row(const void *a, const void *b) {
  const nvl_sweep_row *x = a, *y = b;
  if (x->point != y->point)
    return x->point < y->point ? -1 : 1;
  return x < y ? -1 : x > y; /* stable within a point: insertion order */
}

void nvl_sweep_sort_rows(nvl_sweep_rowset *rs) {
  if (rs->n) /* never hand qsort a NULL array */
    qsort(rs->rows, rs->n, sizeof *rs->rows, cmp_row);
}

void nvl_sweep_free_rows(nvl_sweep_rowset *rs) {
  for (size_t i = 0; i < rs->n; i++)
    free(rs->rows[i].line);
  free(rs->rows);
  memset(rs, 0, sizeof *rs);
}

int nvl_sweep_write_rows(const char *path, const char *header, nvl_sweep_rowset *rs) {
  nvl_sweep_sort_rows(rs);
  nvl_outfile o;
  if (nvl_cli_output_open(&o, path, "sweep") != 0)
    return -1;
  fprintf(o.fp, "%s\n", header);
  for (size_t i = 0; i < rs->n; i++)
    fprintf(o.fp, "%s\n", rs->rows[i].line);
  return nvl_cli_output_commit(&o, "sweep");
}

/* The current record of r written back as one CSV line (malloc'ed). */
static char *record_text(const nvl_csv_reader *r) {
  char *buf = NULL;
  size_t len = 0;
  FILE *m = nvl_xmemstream(&buf, &len);
  nvl_csv_record(m, (const char *const *)r->fields, r->n_fields);
  fclose(m);
  while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
    buf[--len] = '\0';
  return buf;
}

/* Whether a resumed row is of this sweep: its point exists and its axis columns hold what the
 * spec gives that point (a spec edited since the rows were written has other values). */
static bool row_of_sweep(const nvl_sweep *s, const nvl_csv_reader *r, unsigned long long pt,
                         const char *path) {
  size_t na = nvl_sweep_axes(s);
  if (pt >= nvl_sweep_points(s)) {
    fprintf(stderr,
            "nvlsim sweep: %s:%d: a row for point %llu, but this sweep has %zu point%s: the file "
            "is of another sweep; remove it or choose another output\n",
            path, r->line, pt, nvl_sweep_points(s), nvl_sweep_points(s) == 1 ? "" : "s");
    return false;
  }
  for (size_t a = 0; a < na && a + 1 < r->n_fields; a++) {
    char *want = nvl_sweep_axis_value(s, (size_t)pt, a);
    bool same = strcmp(want, r->fields[a + 1]) == 0;
    if (!same)
      fprintf(stderr,
              "nvlsim sweep: %s:%d: point %llu has %s = %.80s%s in the file but %.80s%s in the "
              "spec: the spec changed since; remove the file or choose another output\n",
              path, r->line, pt, nvl_sweep_axis_name(s, a), r->fields[a + 1],
              strlen(r->fields[a + 1]) > 80 ? "..." : "", want, strlen(want) > 80 ? "..." : "");
    free(want);
    if (!same)
      return false;
  }
  const char *id = r->n_fields ? r->fields[r->n_fields - 1] : "";
  if (strcmp(id, nvl_sweep_id(s)) != 0) {
    fprintf(stderr,
            "nvlsim sweep: %s:%d: the row's sweep_id is %s but this sweep's is %s: the spec, its "
            "base design or a model file changed since; remove the file or choose another "
            "output\n",
            path, r->line, id, nvl_sweep_id(s));
    return false;
  }
  return true;
}

char **nvl_sweep_read_records(const char *path, size_t *n) {
  char *text, **recs = NULL;
  size_t len;
  *n = 0;
  nvl_diags diags = NVL_DIAGS_INIT;
  int rc = nvl_file_read(path, "point rows", SWEEP_CSV_MAX_BYTES, &text, &len, &diags);
  nvl_diags_release(&diags);
  if (rc != 0)
    return NULL;
  nvl_csv_reader r;
  nvl_csv_reader_init(&r, text, len);
  char err[160];
  int got;
  while ((got = nvl_csv_read(&r, err, sizeof err)) > 0) {
    recs = nvl_xrealloc(recs, (*n + 2) * sizeof *recs);
    recs[(*n)++] = record_text(&r);
    recs[*n] = NULL;
  }
  nvl_csv_reader_release(&r);
  free(text);
  if (got < 0) { /* a torn file is no rows */
    for (size_t k = 0; k < *n; k++)
      free(recs[k]);
    free(recs);
    *n = 0;
    return NULL;
  }
  return recs;
}

int nvl_sweep_read_rows(const char *path, const char *want_header, char **header,
                        nvl_sweep_rowset *rs, bool missing_ok, const nvl_sweep *check) {
  char *text;
  size_t len;
  if (missing_ok && access(path, F_OK) != 0 && errno == ENOENT)
    return 0;
  if (nvl_cli_read_file(path, "sweep CSV", SWEEP_CSV_MAX_BYTES, &text, &len) != 0)
    return -2;
  nvl_csv_reader r;
  nvl_csv_reader_init(&r, text, len);
  char err[160];
  int got, rc = 0;
  for (int n = 0; rc == 0 && (got = nvl_csv_read(&r, err, sizeof err)) != 0; n++) {
    char *line = got > 0 ? record_text(&r) : NULL;
    uint64_t pt = 0;
    bool point = got > 0 && n > 0 && nvl_parse_uint(r.fields[0], &pt) == 0;
    if (got < 0) {
      fprintf(stderr, "nvlsim sweep: %s:%d:%d: %s\n", path, r.line, r.column, err);
      rc = -1;
    } else if (n == 0 && want_header && strcmp(line, want_header) != 0) {
      fprintf(stderr,
              "nvlsim sweep: %s has other columns than this sweep; remove it or choose "
              "another output\n",
              path);
      rc = -1;
    } else if (n == 0 && !want_header) {
      *header = line;
      line = NULL;
    } else if (n > 0 && !point) {
      fprintf(stderr, "nvlsim sweep: %s:%d: not a sweep row\n", path, r.line);
      rc = -1;
    } else if (n > 0 && check && !row_of_sweep(check, &r, pt, path)) {
      rc = -1;
    } else if (n > 0) {
      nvl_sweep_add_row(rs, (size_t)pt, line);
    }
    free(line);
  }
  nvl_csv_reader_release(&r);
  free(text);
  return rc;
}

char *nvl_sweep_make_header(const nvl_sweep *s) {
  char *buf = NULL;
  size_t len = 0;
  FILE *m = nvl_xmemstream(&buf, &len);
  fputs("point", m);
  for (size_t a = 0; a < nvl_sweep_axes(s); a++) {
    fputc(',', m);
    nvl_csv_field(m, nvl_sweep_axis_name(s, a));
  }
  fputs(",status,", m);
  nvl_sweep_result_header(s, m);
  fputs(",error,sweep_id", m);
  fclose(m);
  return buf;
}
