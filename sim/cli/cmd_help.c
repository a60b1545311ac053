/* cmd_help: `nvlsim help [CMD]` and the overview printed by `nvlsim --help`. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/commands.h"

void nvl_print_overview(FILE *to) {
  fprintf(to, "usage: nvlsim <command> [options] [FILE]\n"
              "       nvlsim --version | --help\n\n"
              "nvlsim simulates NVLink-style GPU interconnects described in JSON.\n\ncommands:\n");
  for (const nvl_command *c = nvl_commands; c->name; c++)
    fprintf(to, "  %-15s %s\n", c->name, c->summary);
  fprintf(to, "\n'nvlsim help COMMAND' shows the options of a command.\n");
}

int nvl_cmd_help(int argc, char **argv) {
  if (argc < 2) {
    nvl_print_overview(stdout);
    return NVL_EXIT_OK;
  }
  const nvl_command *c = nvl_cli_find(argv[1]);
  if (!c) {
    fprintf(stderr, "nvlsim: unknown command \"%s\" (see 'nvlsim --help')\n", argv[1]);
    return NVL_EXIT_USAGE;
  }
  fputs(c->usage, stdout);
  return NVL_EXIT_OK;
}
