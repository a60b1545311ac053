/*
 * json: small helpers over jansson shared by every stage that reads or writes JSON.
 */
#ifndef NVL_JSON_H
#define NVL_JSON_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* A JSON string of `s` that is always valid: bytes that do not form UTF-8 (a name cut in the middle
 * of a character by a fixed-size buffer) become '?'. */
json_t *nvl_json_text(const char *s);

/* The length (1 to 4) of the well-formed UTF-8 character at s (RFC 3629: no overlong forms, no
 * surrogates, at most U+10FFFF), or 0 when the bytes there do not form one. */
size_t nvl_utf8_char_len(const char *s);

/* "an object", "an array", "a string", ... for messages. */
const char *nvl_json_type_name(const json_t *v);

/* Sets `value` at RFC 6901 pointer `ptr` in `root`, creating missing object members. `value` is
 * borrowed: the document takes its own reference. Returns 0, or -1 with a message. */
int nvl_json_pointer_set(json_t *root, const char *ptr, json_t *value, char *err, size_t errlen);

/* A message size given in JSON: a string with a unit ("64 MiB", "1 GB"), as -b takes it ("64M",
 * "8"), or a whole number of bytes; 0 allowed (a message of count 0). Returns 0, or -1 with the
 * reason in err. */
int nvl_json_bytes(const json_t *v, uint64_t *out, char *err, size_t errlen);

#endif
