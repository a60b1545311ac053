/*
 * sweep_csv: a sweep's CSV as a set of rows kept by point. Rows are written sorted by point (so
 * the file does not depend on -j or timing) and atomically; read back (resume, merge) with the one
 * CSV reader, so quoted fields with commas or line breaks survive.
 */
#ifndef NVL_SWEEP_CSV_H
#define NVL_SWEEP_CSV_H

#include <stdbool.h>
#include <stddef.h>

#include "cli/sweep.h"

typedef struct {
  size_t point;
  char *line; /* the whole CSV record, without its end */
} nvl_sweep_row;

typedef struct {
  nvl_sweep_row *rows;
  size_t n, cap;
} nvl_sweep_rowset;

void nvl_sweep_add_row(nvl_sweep_rowset *rs, size_t point, const char *line);
/* By point; rows of one point keep their order. */
void nvl_sweep_sort_rows(nvl_sweep_rowset *rs);
void nvl_sweep_free_rows(nvl_sweep_rowset *rs);
/* Sorts the rows by point and writes header + rows to path atomically. 0, or -1 (printed). */
int nvl_sweep_write_rows(const char *path, const char *header, nvl_sweep_rowset *rs);
/* Reads a sweep CSV: checks its header (when want_header is given; else returns it in *header,
 * malloc'ed) and, with `check`, that every row is of that sweep (point, axis values, sweep_id);
 * adds its rows. A missing file is empty when missing_ok. 0, -2 when unreadable, or -1 (both
 * printed). */
int nvl_sweep_read_rows(const char *path, const char *want_header, char **header,
                        nvl_sweep_rowset *rs, bool missing_ok, const nvl_sweep *check);
/* The CSV records of a point's rows (each one record's text, which may hold quoted line breaks),
 * as a NULL-ended malloc'ed array of *n; NULL when unreadable or malformed. */
char **nvl_sweep_read_records(const char *path, size_t *n);
/* The CSV header of a sweep: point, its axes, status, the result columns, error, sweep_id. */
char *nvl_sweep_make_header(const nvl_sweep *s);

#endif
