/*
 * diag: diagnostics (errors and warnings) collected while loading and checking a design.
 *
 * `nvlsim validate` must report every problem of a file in one run, in document order, so
 * loaders and checks do not stop at the first error: they append records here and go on where
 * that is safe. Each record names where the problem is: a line and column for syntax errors
 * (from the JSON parser), a JSON pointer (RFC 6901, "/wiring/3/to") for semantic ones.
 *
 * Codes are defined once in NVL_DIAG_MAP, which yields the enum, the stable names used in
 * JSON/JUnit output and the check names listed by `nvlsim help validate`.
 */
#ifndef NVL_DIAG_H
#define NVL_DIAG_H

#include <stdarg.h>
#include <stddef.h>

#define NVL_DIAG_MAP(XX)                                                                           \
  XX(IO, "io", "file cannot be read")                                                              \
  XX(SYNTAX, "syntax", "JSON syntax, duplicate keys, invalid UTF-8")                               \
  XX(SCHEMA, "schema", "wrong type of value or missing required key")                              \
  XX(UNKNOWN_KEY, "unknown-key", "key not defined by the design format")                           \
  XX(QUANTITY, "quantity", "malformed or absurd quantity with unit")                               \
  XX(REFERENCE, "reference", "reference to an undefined name")                                     \
  XX(DUPLICATE, "duplicate", "name defined twice")                                                 \
  XX(LIMIT, "limit", "design larger than the configured limits")                                   \
  XX(LINK_TYPE, "link-type", "link type not supported by a device's ports")                        \
  XX(PORTS, "ports", "more links on a device than it has ports")                                   \
  XX(SELF_LOOP, "self-loop", "link from a device to itself")                                       \
  XX(WIRING, "wiring", "wiring rule that cannot be applied")                                       \
  XX(DISCONNECTED, "disconnected", "device without links, or unreachable")                         \
  XX(EXPECT, "expect", "an assertion of the expect block does not hold")                           \
  XX(UNUSED_PORTS, "unused-ports", "ports left unconnected (warning)")                             \
  XX(ASYMMETRY, "asymmetry", "switches of one tier with unequal load (warning)")                   \
  XX(FAILURE, "failure", "failure injection that names nothing or cuts too much")                  \
  XX(TRACE, "trace", "Chakra execution trace that cannot be read or run")

typedef enum {
#define XX(code, name, help) NVL_DIAG_##code,
  NVL_DIAG_MAP(XX)
#undef XX
      NVL_DIAG__COUNT
} nvl_diag_code;

typedef enum { NVL_SEV_ERROR, NVL_SEV_WARNING } nvl_severity;

#define NVL_DIAG_PTR_MAX 256
#define NVL_DIAG_MSG_MAX 320

typedef struct {
  nvl_severity severity;
  nvl_diag_code code;
  int line, column;               /* > 0 for syntax errors, else 0 */
  char pointer[NVL_DIAG_PTR_MAX]; /* JSON pointer, "" for the whole document */
  char message[NVL_DIAG_MSG_MAX];
} nvl_diag;

/* A growable list of diagnostics; caller-owned, zero-initialise with NVL_DIAGS_INIT. */
typedef struct {
  nvl_diag *items;
  size_t count, cap;
  size_t errors, warnings;
  size_t max_items; /* stop recording (but keep counting) past this many; 0 = default 1000 */
} nvl_diags;

#define NVL_DIAGS_INIT                                                                             \
  { NULL, 0, 0, 0, 0, 0 }

void nvl_diags_release(nvl_diags *d);

/* Appends a diagnostic. `pointer` may be NULL (whole document). printf-style message. */
void nvl_diag_add(nvl_diags *d, nvl_severity sev, nvl_diag_code code, const char *pointer,
                  const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void nvl_diag_addv(nvl_diags *d, nvl_severity sev, nvl_diag_code code, const char *pointer,
                   const char *fmt, va_list ap);
/* Syntax error at a line and column. */
void nvl_diag_syntax(nvl_diags *d, int line, int column, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* The message of the first error (warnings skipped), or `none` when there is no error. */
const char *nvl_diags_first_error(const nvl_diags *d, const char *none);

const char *nvl_diag_code_name(nvl_diag_code code);
const char *nvl_diag_code_help(nvl_diag_code code);

/* Formats one diagnostic as "error: FILE:LOC: message" (LOC = line:col or pointer); file NULL:
 * "error: POINTER: message", or "error: message" without a pointer. */
void nvl_diag_format(const nvl_diag *dg, const char *file, char *buf, size_t len);

/* Builds a JSON pointer "base/token" (escaping ~ and / as RFC 6901 requires). */
void nvl_ptr_join(char *out, size_t len, const char *base, const char *token);
void nvl_ptr_index(char *out, size_t len, const char *base, size_t index);

#endif
