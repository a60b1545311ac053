/*
 * csv: see csv.h. The reader copies each record's fields into one growing buffer (offsets first,
 * pointers fixed up at the end, since the buffer may move while it grows).
 */
#include "base/csv.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"

void nvl_csv_field(FILE *out, const char *s) {
  if (!strpbrk(s, ",\"\r\n")) {
    fputs(s, out);
    return;
  }
  fputc('"', out);
  for (const char *p = s; *p; p++) {
    if (*p == '"')
      fputc('"', out);
    fputc(*p, out);
  }
  fputc('"', out);
}

void nvl_csv_record(FILE *out, const char *const *fields, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (i)
      fputc(',', out);
    nvl_csv_field(out, fields[i]);
  }
  fputc('\n', out);
}

void nvl_csv_reader_init(nvl_csv_reader *r, const char *text, size_t len) {
  memset(r, 0, sizeof *r);
  r->text = text;
  r->len = len;
  r->next_line = 1;
  if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
    r->pos = 3;
}

void nvl_csv_reader_release(nvl_csv_reader *r) {
  free(r->buf);
  free(r->offs);
  free(r->fields);
  memset(r, 0, sizeof *r);
}

static void put(nvl_csv_reader *r, size_t *n, char c) {
  if (*n + 1 >= r->buf_cap) {
    r->buf_cap = r->buf_cap ? 2 * r->buf_cap : 256;
    r->buf = nvl_xrealloc(r->buf, r->buf_cap);
  }
  r->buf[(*n)++] = c;
}

static int new_field(nvl_csv_reader *r, size_t start) {
  if (r->n_fields == NVL_CSV_MAX_FIELDS)
    return -1;
  if (r->n_fields == r->fields_cap) {
    r->fields_cap = r->fields_cap ? 2 * r->fields_cap : 16;
    r->offs = nvl_xrealloc(r->offs, r->fields_cap * sizeof *r->offs);
    r->fields = nvl_xrealloc(r->fields, r->fields_cap * sizeof *r->fields);
  }
  r->offs[r->n_fields++] = start;
  return 0;
}

int nvl_csv_read(nvl_csv_reader *r, char *err, size_t errlen) {
  if (r->pos >= r->len)
    return 0;
  r->line = r->next_line;
  r->n_fields = 0;
  size_t n = 0, line_start = r->pos;
  int line = r->line;
  new_field(r, 0);
  bool quoted = false, after_quote = false;
  for (;;) {
    if (r->pos >= r->len) {
      if (quoted) {
        r->column = 1;
        snprintf(err, errlen, "a quoted field is not closed");
        return -1;
      }
      break;
    }
    char c = r->text[r->pos++];
    unsigned char u = (unsigned char)c;
    bool line_end = c == '\n' || (c == '\r' && r->pos < r->len && r->text[r->pos] == '\n');
    if (((u < 0x20 && c != '\t' && !line_end) || u == 0x7f ||
         (u == 0xc2 && r->pos < r->len && (unsigned char)r->text[r->pos] >= 0x80 &&
          (unsigned char)r->text[r->pos] <= 0x9f))) {
      r->column = (int)(r->pos - line_start);
      snprintf(err, errlen, "control character U+%04X (a terminal would take it for a command)",
               u == 0xc2 ? (unsigned char)r->text[r->pos] : u);
      return -1;
    }
    if (quoted) {
      if (c == '"' && r->pos < r->len && r->text[r->pos] == '"') {
        put(r, &n, '"');
        r->pos++;
      } else if (c == '"') {
        quoted = false;
        after_quote = true;
      } else {
        if (c == '\n')
          line++, line_start = r->pos;
        put(r, &n, c);
      }
      continue;
    }
    if (c == '\n' || (c == '\r' && r->pos < r->len && r->text[r->pos] == '\n')) {
      if (c == '\r')
        r->pos++;
      line++;
      break;
    }
    if (c == ',') {
      put(r, &n, '\0');
      if (new_field(r, n) != 0) {
        r->column = (int)(r->pos - line_start);
        snprintf(err, errlen, "more than %d fields", NVL_CSV_MAX_FIELDS);
        return -1;
      }
      after_quote = false;
      continue;
    }
    if (after_quote || (c == '"' && n != r->offs[r->n_fields - 1])) {
      r->column = (int)(r->pos - line_start);
      snprintf(err, errlen,
               after_quote ? "text after a closing quote"
                           : "a quote inside an "
                             "unquoted field");
      return -1;
    }
    if (c == '"')
      quoted = true;
    else
      put(r, &n, c);
  }
  put(r, &n, '\0');
  r->next_line = line;
  for (size_t i = 0; i < r->n_fields; i++)
    r->fields[i] = r->buf + r->offs[i];
  if (r->width && r->n_fields != r->width && !(r->n_fields == 1 && !r->fields[0][0])) {
    r->column = 1;
    snprintf(err, errlen, "%zu field%s where the header has %zu columns", r->n_fields,
             r->n_fields == 1 ? "" : "s", r->width);
    return -1;
  }
  return 1;
}

int nvl_csv_header(nvl_csv_reader *r, char *err, size_t errlen) {
  int got = nvl_csv_read(r, err, errlen);
  if (got <= 0)
    return got;
  for (size_t i = 0; i < r->n_fields; i++)
    for (size_t j = 0; j < i; j++)
      if (strcmp(r->fields[i], r->fields[j]) == 0) {
        r->column = 1;
        snprintf(err, errlen, "column \"%.40s\" appears twice (columns %zu and %zu)", r->fields[i],
                 j + 1, i + 1);
        return -1;
      }
  r->width = r->n_fields;
  return 1;
}

int nvl_csv_find(const nvl_csv_reader *r, const char *name) {
  for (size_t i = 0; i < r->n_fields; i++)
    if (strcmp(r->fields[i], name) == 0)
      return (int)i;
  return -1;
}
