/*
 * file: reading an input file whole, safely. Every input nvlsim reads (designs, workload files,
 * traffic matrices, sweep specs, measurement tables, shard files) goes through here, so none can
 * hang on a FIFO, grow without bound on /dev/zero, or be read as a directory: only regular files
 * (and "-" for standard input, read up to the same bound) are accepted, at most a given size.
 */
#ifndef NVL_FILE_H
#define NVL_FILE_H

#include <stddef.h>

#include "base/diag.h"

/* Reads `path` into *text (malloc'ed, NUL-terminated; *len excludes the NUL). `what` names the
 * kind of file in messages ("design", "workload"). Returns 0, or -1 with an IO diagnostic (missing,
 * unreadable, a directory, not a regular file) or a LIMIT one (larger than max_bytes). */
int nvl_file_read(const char *path, const char *what, size_t max_bytes, char **text, size_t *len,
                  nvl_diags *diags);

/* Whether `path`, every symbolic link followed, lies inside folder `dir` (also resolved; "" is the
 * current folder): 1 inside, 0 outside, -1 when either cannot be resolved (a missing file: the
 * read that follows reports it). Checks like "a file in the spec's folder" use this, so a link
 * out of the folder is outside. */
int nvl_file_inside(const char *dir, const char *path);

#endif
