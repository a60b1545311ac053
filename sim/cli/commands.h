/* commands: entry points of the subcommands, one source file each (cmd_<name>.c), each with its
 * documentation and option table (cli/options.h). */
#ifndef NVL_COMMANDS_H
#define NVL_COMMANDS_H

#include <stdio.h>

#include "cli/options.h"

int nvl_cmd_validate(int argc, char **argv);
int nvl_cmd_info(int argc, char **argv);
int nvl_cmd_route(int argc, char **argv);
int nvl_cmd_export(int argc, char **argv);
int nvl_cmd_run(int argc, char **argv);
int nvl_cmd_llm(int argc, char **argv);
int nvl_cmd_validate_model(int argc, char **argv);
int nvl_cmd_sweep(int argc, char **argv);
int nvl_cmd_compare(int argc, char **argv);
int nvl_cmd_help(int argc, char **argv);

extern const nvl_cmd_doc nvl_doc_validate, nvl_doc_info, nvl_doc_route, nvl_doc_export, nvl_doc_run,
    nvl_doc_llm, nvl_doc_validate_model, nvl_doc_sweep, nvl_doc_compare, nvl_doc_help;

/* Prints the overview (`nvlsim --help`). */
void nvl_print_overview(FILE *to);

#endif
