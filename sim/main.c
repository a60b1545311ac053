/*
 * nvlsim: entry point. Dispatches to the subcommand named by argv[1] (see commands.c).
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "commands.h"

int main(int argc, char **argv) {
  if (argc < 2) {
    nvl_print_overview(stderr);
    return NVL_EXIT_USAGE;
  }
  if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
    nvl_print_overview(stdout);
    return NVL_EXIT_OK;
  }
  if (strcmp(argv[1], "--version") == 0) {
    printf("nvlsim %s\n", NVL_VERSION);
    return NVL_EXIT_OK;
  }
  const nvl_command *c = nvl_cli_find(argv[1]);
  if (!c) {
    fprintf(stderr, "nvlsim: unknown command \"%s\" (see 'nvlsim --help')\n", argv[1]);
    return NVL_EXIT_USAGE;
  }
  for (int i = 2; i < argc; i++)
    if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
      fputs(c->usage, stdout);
      return NVL_EXIT_OK;
    }
  nvl_outfile_install_signal_cleanup();
  return c->fn(argc - 1, argv + 1);
}
