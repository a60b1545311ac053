/* commands: entry points of the subcommands, one source file each (cmd_<name>.c). */
#ifndef NVL_COMMANDS_H
#define NVL_COMMANDS_H

#include <stdio.h>

int nvl_cmd_validate(int argc, char **argv);
int nvl_cmd_info(int argc, char **argv);
int nvl_cmd_export(int argc, char **argv);
int nvl_cmd_run(int argc, char **argv);
int nvl_cmd_validate_model(int argc, char **argv);
int nvl_cmd_sweep(int argc, char **argv);
int nvl_cmd_compare(int argc, char **argv);
int nvl_cmd_help(int argc, char **argv);
/* Prints the overview (`nvlsim --help`). */
void nvl_print_overview(FILE *to);

#endif
