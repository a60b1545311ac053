/*
 * file: see file.h. The size is checked before reading (stat) and while reading (a file that
 * grows past the bound after stat is refused too).
 */
#include "base/file.h"

#include <errno.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/xalloc.h"

static int read_stream(FILE *f, size_t max_bytes, char **text, size_t *len) {
  size_t cap = 4096, n = 0;
  char *buf = nvl_xmalloc(cap);
  for (;;) {
    if (n + 1 >= cap) {
      if (cap > max_bytes + 1) {
        free(buf);
        return -2;
      }
      cap *= 2;
      buf = nvl_xrealloc(buf, cap);
    }
    size_t k = fread(buf + n, 1, cap - n - 1, f);
    n += k;
    if (n > max_bytes) {
      free(buf);
      return -2;
    }
    if (k == 0)
      break;
  }
  if (ferror(f)) {
    free(buf);
    return -1;
  }
  buf[n] = '\0';
  *text = buf;
  *len = n;
  return 0;
}

int nvl_file_read(const char *path, const char *what, size_t max_bytes, char **text, size_t *len,
                  nvl_diags *diags) {
  *text = NULL;
  *len = 0;
  bool is_stdin = strcmp(path, "-") == 0;
  struct stat st;
  if (!is_stdin) {
    if (stat(path, &st) != 0) {
      nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_IO, NULL, "cannot read: %s", strerror(errno));
      return -1;
    }
    if (S_ISDIR(st.st_mode)) {
      nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_IO, NULL, "is a directory, not a %s file", what);
      return -1;
    }
    if (!S_ISREG(st.st_mode)) {
      nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_IO, NULL,
                   "not a regular file (a %s is read from a regular file: a FIFO, device or "
                   "socket could block or never end)",
                   what);
      return -1;
    }
    if ((unsigned long long)st.st_size > max_bytes) {
      nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_LIMIT, NULL,
                   "file is %lld bytes; a %s of at most %zu bytes is accepted",
                   (long long)st.st_size, what, max_bytes);
      return -1;
    }
  }
  FILE *f = is_stdin ? stdin : fopen(path, "rb");
  if (!f) {
    nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_IO, NULL, "cannot read: %s", strerror(errno));
    return -1;
  }
  int rc = read_stream(f, max_bytes, text, len);
  if (!is_stdin)
    fclose(f);
  if (rc == -2)
    nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_LIMIT, NULL,
                 "input is larger than %zu bytes, the most a %s may be", max_bytes, what);
  else if (rc != 0)
    nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_IO, NULL, "read error");
  return rc == 0 ? 0 : -1;
}

int nvl_file_inside(const char *dir, const char *path) {
  char *d = realpath(*dir ? dir : ".", NULL), *f = realpath(path, NULL);
  int rc = -1;
  if (d && f) {
    size_t n = strlen(d);
    rc = strncmp(f, d, n) == 0 && (f[n] == '/' || (n == 1 && d[0] == '/'));
  }
  free(d);
  free(f);
  return rc;
}
