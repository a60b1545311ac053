/*
 * units: strict parsing and printing of quantities with units.
 *
 * Designs write every physical quantity as a string with a unit, so that "50 GB/s" and
 * "400 Gb/s" cannot be confused and a bare 50 never slips through. Accepted forms:
 *   bandwidth  "50 GB/s", "400 Gb/s", "1.8 TB/s"   (B = byte, b = bit; K/M/G/T are powers of 1000,
 *              Ki/Mi/Gi/Ti powers of 1024), result in bytes per second;
 *   time       "100 ns", "0.6 us", "1.5 ms", "2 s"  result in seconds;
 *   size       "64 MiB", "1 GB", "8 B"              result in bytes (must be a whole number);
 *   FLOP rate  "2.25 PFLOP/s", "989 TFLOP/s"        result in FLOP per second;
 *   power      "1000 W", "1.2 kW"                   result in watts.
 * A number is decimal digits with an optional fraction and exponent; one optional space before
 * the unit. Zero, negative values, NaN, inf, hex and trailing garbage are errors.
 */
#ifndef NVL_UNITS_H
#define NVL_UNITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
  NVL_QTY_BANDWIDTH,
  NVL_QTY_TIME,
  NVL_QTY_SIZE,
  NVL_QTY_FLOPS, /* "2.25 PFLOP/s", "989 TFLOP/s" (G/T/P/E powers of 1000): FLOP per second */
  NVL_QTY_POWER  /* "1000 W", "1.2 kW": watts */
} nvl_qty_kind;

/* Parses `text` as a positive quantity of `kind`. On success returns 0 and sets *out (bytes/s,
 * seconds or bytes). On failure returns -1 and writes a lower-case reason into err. */
int nvl_units_parse(const char *text, nvl_qty_kind kind, double *out, char *err, size_t errlen);

/* Like nvl_units_parse for NVL_QTY_TIME but also accepts "0 s"/"0 ns" (for latencies that may be
 * zero, e.g. an ideal link). */
int nvl_units_parse_time0(const char *text, double *out, char *err, size_t errlen);

/* Parses a size for the command line: accepts a quantity with unit or a bare whole number of bytes
 * ("8", "64M" and "1G" as nccl-tests does: K/M/G here are powers of 1024). Zero only when
 * allow_zero (a message of count 0, as nccl-tests runs; never a chunk). */
int nvl_units_parse_cli_size(const char *text, bool allow_zero, uint64_t *out, char *err,
                             size_t errlen);

/* Plain numbers in text (tables, options): a decimal number, [-]digits[.digits][e[+-]digits]; no
 * sign "+", spaces, hex, "inf" or "nan" (strtod takes all of them). Return 0, or -1 for text that
 * is no such number. nvl_parse_uint: decimal digits only, 0 .. 2^64 - 1 (-2: more than that). */
int nvl_parse_decimal(const char *text, double *out);
int nvl_parse_uint(const char *text, uint64_t *out);
/* A fraction written as one ("0.05") or as a percentage ("5%"). */
int nvl_parse_fraction(const char *text, double *out);

/* Formats a bandwidth (bytes/s) with an SI unit, e.g. "129.6 TB/s"; a size with a binary unit. */
void nvl_units_fmt_bw(double bw_Bps, char *buf, size_t len);
void nvl_units_fmt_size(double bytes, char *buf, size_t len);
void nvl_units_fmt_time(double seconds, char *buf, size_t len);

#endif
