/*
 * outfile: output files that appear atomically: written to a temporary file beside the target,
 * then renamed, so an interrupted run never leaves a half-written result where one was expected.
 * A fatal signal or a resource limit removes the temporary files of outputs still open.
 */
#ifndef NVL_OUTFILE_H
#define NVL_OUTFILE_H

#include <stdbool.h>
#include <stdio.h>

#include "base/diag.h"

/* An output destination: stdout for "-" or NULL, else an atomically replaced file. A symbolic
 * link is followed: its target is replaced, the link stays. A device or FIFO is written through
 * (never replaced by a file: as root, /dev/null would be), and so is one of the process's own
 * descriptors (/dev/stdout, /dev/stderr, /dev/fd/N, /proc/self/fd/N); a directory is an error. */
typedef struct {
  FILE *fp;
  char path[1024]; /* the file written (symbolic links followed) */
  char tmp[1040];
  bool through; /* written in place (a device or FIFO) */
} nvl_outfile;

/* Opens an output; returns -1 with an IO diagnostic if the directory is not writable. */
int nvl_outfile_open(nvl_outfile *o, const char *path, nvl_diags *diags);
/* Flushes and renames into place (commit; -1 with an IO diagnostic) or removes the temporary
 * file (abort). */
int nvl_outfile_commit(nvl_outfile *o, nvl_diags *diags);
void nvl_outfile_abort(nvl_outfile *o);
/* Removes temporary files of outputs still open when a fatal signal arrives. */
void nvl_outfile_install_signal_cleanup(void);
/* Removes the temporary files of every output still open (async-signal-safe). */
void nvl_outfile_remove_unfinished(void);

#endif
