/*
 * exit: nvlsim's exit statuses, defined once (the help texts and README list the same table).
 */
#ifndef NVL_EXIT_H
#define NVL_EXIT_H

#define NVL_EXIT_MAP(XX)                                                                           \
  XX(OK, 0, "done; every design valid, every row within tolerance")                                \
  XX(FAIL, 1, "invalid input, failed check, simulation error")                                     \
  XX(USAGE, 2, "bad command line, unreadable input, unwritable output")                            \
  XX(NOMEM, 3, "out of memory")                                                                    \
  XX(TIME, 4, "--time-limit (wall clock) exceeded")                                                \
  XX(MEMORY, 5, "--memory-limit exceeded")

enum {
#define XX(name, code, help) NVL_EXIT_##name = code,
  NVL_EXIT_MAP(XX)
#undef XX
};

#endif
