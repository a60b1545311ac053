/* cmd_run: placeholder until the engine lands (issue 3). */
#include <stdio.h>
#include "cli.h"
#include "commands.h"
int nvl_cmd_run(int argc, char **argv) {
  (void)argc; (void)argv;
  fprintf(stderr, "nvlsim run: not implemented yet\n");
  return NVL_EXIT_FAIL;
}
