/*
 * xalloc: allocation that cannot return NULL. On exhaustion nvlsim prints one line and exits with
 * status 3 (NVL_EXIT_NOMEM, base/exit.h), removing unfinished outputs: designs are bounded by
 * --max-endpoints long before that, so running out of memory means the machine, not the input, is
 * too small.
 */
#ifndef NVL_XALLOC_H
#define NVL_XALLOC_H

#include <stddef.h>
#include <stdio.h>

/* Ends nvlsim as an allocation failure does (for allocators outside these: jansson's). */
__attribute__((noreturn)) void nvl_out_of_memory(void);
void *nvl_xmalloc(size_t n);
void *nvl_xcalloc(size_t n, size_t size);
void *nvl_xrealloc(void *p, size_t n);
char *nvl_xstrdup(const char *s);
/* open_memstream(3) that cannot fail either. */
FILE *nvl_xmemstream(char **buf, size_t *len);

#endif
