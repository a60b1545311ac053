/*
 * csv: the one CSV writer and reader of nvlsim (RFC 4180).
 *
 * Writing: a field is quoted when it holds a comma, a double quote, CR or LF, and its quotes are
 * doubled, so names with commas or line breaks never make ragged rows. Reading: records are
 * separated by LF or CRLF; a quoted field may hold commas, doubled quotes and line breaks; a quote
 * inside an unquoted field, text after a closing quote and an unterminated quote are errors with
 * the line and column where they happen. The reader works on text in memory (see base/file.h
 * for reading a file safely) and bounds what one record may hold. A UTF-8 byte order mark at the
 * start (spreadsheets write one) is skipped; control characters other than TAB and line ends
 * are errors (tables are printed to terminals). A table read with a header (nvl_csv_header) has
 * distinct column names, and each of its rows has the header's number of fields (a blank line
 * excepted).
 */
#ifndef NVL_CSV_H
#define NVL_CSV_H

#include <stddef.h>
#include <stdio.h>

/* Writes one field (no separator). */
void nvl_csv_field(FILE *out, const char *s);
/* Writes a whole record of n fields and its line end. */
void nvl_csv_record(FILE *out, const char *const *fields, size_t n);

#define NVL_CSV_MAX_FIELDS 4096

typedef struct {
  const char *text;
  size_t len, pos;
  int line;      /* first line of the record just read (1-based) */
  int column;    /* on an error: the column (1-based) where it was found */
  char **fields; /* the record's fields, valid until the next read */
  size_t n_fields;
  char *buf;
  size_t buf_cap;
  size_t *offs;
  size_t fields_cap;
  int next_line;
  size_t width; /* after nvl_csv_header: the number of columns every row must have */
} nvl_csv_reader;

void nvl_csv_reader_init(nvl_csv_reader *r, const char *text, size_t len);
/* Reads the next record: 1 read, 0 at the end of the text, -1 malformed (reason in err, with
 * r->line and r->column). An empty line is a record of one empty field. */
int nvl_csv_read(nvl_csv_reader *r, char *err, size_t errlen);
void nvl_csv_reader_release(nvl_csv_reader *r);
/* Reads the first record as the table's header, as nvl_csv_read does; also -1 when two columns
 * have the same name. Every later record must then have as many fields. */
int nvl_csv_header(nvl_csv_reader *r, char *err, size_t errlen);
/* The index of a header field, or -1. */
int nvl_csv_find(const nvl_csv_reader *r, const char *name);

#endif
