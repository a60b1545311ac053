/*
 * chakra-gen: writes a Chakra execution trace of one collective, PREFIX.0.et .. PREFIX.{N-1}.et
 * (schema 1.0.0), for `nvlsim run --chakra` and for ASTRA-sim (tools/bench.sh compares the two).
 *   chakra-gen PREFIX NPUS COLLECTIVE BYTES
 * COLLECTIVE: all_reduce, all_gather, reduce_scatter, alltoall, broadcast, reduce. BYTES is
 * nccl-tests' S; for all_gather the trace's comm_size is S / NPUS, each NPU's input (Chakra's
 * and ASTRA-sim's convention). Exit 0, or 2 with a message.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chakra_gen.h"

int main(int argc, char **argv) {
  static const char *const names[] = {"all_reduce", "reduce",    "all_gather", "",
                                      "",           "broadcast", "alltoall",   "reduce_scatter"};
  if (argc != 5) {
    fprintf(stderr, "usage: chakra-gen PREFIX NPUS COLLECTIVE BYTES\n");
    return 2;
  }
  char *end;
  errno = 0;
  long n = strtol(argv[2], &end, 10);
  if (errno || *end || n < 1 || n > 1000000) {
    fprintf(stderr, "chakra-gen: NPUS must be 1 .. 1000000, not %s\n", argv[2]);
    return 2;
  }
  unsigned long long bytes = strtoull(argv[4], &end, 10);
  if (errno || *end || argv[4][0] == '-') {
    fprintf(stderr, "chakra-gen: BYTES must be a whole number of bytes, not %s\n", argv[4]);
    return 2;
  }
  int type = -1;
  for (int k = 0; k < 8; k++)
    if (names[k][0] && strcmp(names[k], argv[3]) == 0)
      type = k;
  if (type < 0) {
    fprintf(stderr, "chakra-gen: unknown collective %s\n", argv[3]);
    return 2;
  }
  uint64_t size = type == 2 ? bytes / (uint64_t)n : bytes;
  for (long i = 0; i < n; i++) {
    FILE *f = ctw_open(argv[1], (int)i, "1.0.0");
    if (!f) {
      fprintf(stderr, "chakra-gen: cannot write %s.%ld.et: %s\n", argv[1], i, strerror(errno));
      return 2;
    }
    ctw_coll(f, 1, type, size, NULL, NULL, 0);
    if (fclose(f) != 0) {
      fprintf(stderr, "chakra-gen: cannot write %s.%ld.et\n", argv[1], i);
      return 2;
    }
  }
  return 0;
}
