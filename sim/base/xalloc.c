/* xalloc: see xalloc.h. Zero-sized requests get one byte, so a valid pointer always comes back. */
#include "base/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/exit.h"
#include "base/outfile.h"

void nvl_out_of_memory(void) {
  nvl_outfile_remove_unfinished();
  fprintf(stderr, "nvlsim: out of memory\n");
  exit(NVL_EXIT_NOMEM);
}

void *nvl_xmalloc(size_t n) {
  void *p = malloc(n ? n : 1);
  if (!p)
    nvl_out_of_memory();
  return p;
}

void *nvl_xcalloc(size_t n, size_t size) {
  void *p = calloc(n ? n : 1, size ? size : 1);
  if (!p)
    nvl_out_of_memory();
  return p;
}

void *nvl_xrealloc(void *p, size_t n) {
  void *q = realloc(p, n ? n : 1);
  if (!q)
    nvl_out_of_memory();
  return q;
}

char *nvl_xstrdup(const char *s) {
  size_t n = strlen(s) + 1;
  return memcpy(nvl_xmalloc(n), s, n);
}

FILE *nvl_xmemstream(char **buf, size_t *len) {
  FILE *f = open_memstream(buf, len);
  if (!f)
    nvl_out_of_memory();
  return f;
}
