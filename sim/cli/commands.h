/* commands: entry points of the subcommands, one source file each (cmd_<name>.c), each with its
 * documentation and option table (cli/options.h). */
#ifndef NVL_COMMANDS_H
#define NVL_COMMANDS_H

#include <stdio.h>

#include "cli/options.h"
#include "models/context.h"

int nvl_cmd_validate(const nvl_model_ctx *ctx, int argc, char **argv);
int nvl_cmd_info(const nvl_model_ctx *ctx, int argc, char **argv);
int nvl_cmd_route(const nvl_model_ctx *ctx, int argc, char **argv);
int nvl_cmd_export(const nvl_model_ctx *ctx, int argc, char **argv);
int nvl_cmd_run(const nvl_model_ctx *ctx, int argc, char **argv);
int nvl_cmd_llm(const nvl_model_ctx *ctx, int argc, char **argv);
int nvl_cmd_factory(const nvl_model_ctx *ctx, int argc, char **argv);
int nvl_cmd_validate_model(const nvl_model_ctx *ctx, int argc, char **argv);
int nvl_cmd_sweep(const nvl_model_ctx *ctx, int argc, char **argv);
int nvl_cmd_compare(const nvl_model_ctx *ctx, int argc, char **argv);
int nvl_cmd_help(const nvl_model_ctx *ctx, int argc, char **argv);
int nvl_cmd_plot(const nvl_model_ctx *ctx, int argc, char **argv);

extern const nvl_cmd_doc nvl_doc_validate, nvl_doc_info, nvl_doc_route, nvl_doc_export, nvl_doc_run,
    nvl_doc_llm, nvl_doc_factory, nvl_doc_validate_model, nvl_doc_sweep, nvl_doc_compare,
    nvl_doc_help, nvl_doc_plot;

/* Prints the overview (`nvlsim --help`). */
void nvl_print_overview(FILE *to);

#endif
