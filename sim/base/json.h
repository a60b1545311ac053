/*
 * json: small helpers over jansson shared by every stage that reads or writes JSON.
 */
#ifndef NVL_JSON_H
#define NVL_JSON_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/diag.h"

/* A JSON string of `s` that is always valid: bytes that do not form UTF-8 (a name cut in the middle
 * of a character by a fixed-size buffer) become '?'. */
json_t *nvl_json_text(const char *s);

/* The length (1 to 4) of the well-formed UTF-8 character at s (RFC 3629: no overlong forms, no
 * surrogates, at most U+10FFFF), or 0 when the bytes there do not form one. */
size_t nvl_utf8_char_len(const char *s);

/* A user's JSON document (a design, workload, model, sweep spec): parsed with duplicate keys
 * refused; a syntax error, or a key or string holding a control character (C0, DEL or C1: they
 * would reach the terminal as escape sequences in every message and table that prints the text),
 * is an error in diags (line and column, or the JSON pointer). Returns the root, or NULL. */
json_t *nvl_json_load_user(const char *text, size_t len, nvl_diags *diags);

/* "an object", "an array", "a string", ... for messages. */
const char *nvl_json_type_name(const json_t *v);

/* Sets `value` at RFC 6901 pointer `ptr` in `root`, creating missing object members. `value` is
 * borrowed: the document takes its own reference. Returns 0, or -1 with a message. */
int nvl_json_pointer_set(json_t *root, const char *ptr, json_t *value, char *err, size_t errlen);

/* A message size given in JSON: a string with a unit ("64 MiB", "1 GB"), as -b takes it ("64M",
 * "8"), or a whole number of bytes; 0 allowed (a message of count 0). Returns 0, or -1 with the
 * reason in err. */
int nvl_json_bytes(const json_t *v, uint64_t *out, char *err, size_t errlen);

/* A reader of a parameter file (models/calibration.json, models/compute.json): the first problem
 * wins, written to err as "where/key: what it must be". */
typedef struct {
  char *err;
  size_t len;
  bool failed;
} nvl_jreader;

void nvl_jr_fail(nvl_jreader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The document's root object (new reference), or NULL after failing ("line N: ...", or "not a JSON
 * object"). */
json_t *nvl_jr_root(nvl_jreader *r, const char *text, size_t len);
/* A number in [lo, hi] at o[key] (`where` names o, "" for none); lo after failing. */
double nvl_jr_num(nvl_jreader *r, json_t *o, const char *where, const char *key, double lo,
                  double hi);
/* A time ("12.5 us") in [0, hi] seconds at o[key]; 0 after failing. */
double nvl_jr_time(nvl_jreader *r, json_t *o, const char *where, const char *key, double hi);

#endif
