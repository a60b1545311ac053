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

static const nvl_option options[] = {NVL_OPT_END_};

const nvl_cmd_doc nvl_doc_help = {"help", "nvlsim help [COMMAND]",
                                  "Lists the commands, or shows the options of one.\n", options,
                                  NULL};

int nvl_cmd_help(const nvl_model_ctx *ctx, int argc, char **argv) {
  (void)ctx; /* needs no model */
  char *operands[1];
  int n = 0, status;
  if (!nvl_options_accept(&nvl_doc_help, argc, argv, NULL, operands, 1, &n, &status))
    return status;
  if (n == 0) {
    nvl_print_overview(stdout);
    return NVL_EXIT_OK;
  }
  const nvl_command *c = nvl_cli_find(operands[0]);
  if (!c) {
    fprintf(stderr, "nvlsim: unknown command \"%s\" (see 'nvlsim --help')\n", operands[0]);
    return NVL_EXIT_USAGE;
  }
  nvl_options_help(c->doc, stdout);
  return NVL_EXIT_OK;
}
