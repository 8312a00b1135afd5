/*
 * cli.h: what the shadowrr subcommands share. Each subcommand is a function
 * taking its own argc/argv (argv[0] is the subcommand's name) and returning
 * the process exit code.
 */
#ifndef SHADOWRR_CLI_H
#define SHADOWRR_CLI_H

#include "shadowrr_transform.h"

/* Exit codes of the CLI itself (a recorded program's own exit code is passed
 * through unchanged by the commands that run one). */
enum {
  SRR_EXIT_OK = 0,
  SRR_EXIT_FAILURE = 1, /* bad input file, failed transform, I/O error */
  SRR_EXIT_USAGE = 2    /* wrong flags or arguments */
};

/* Prints "shadowrr: <what>: <message>" on one line to stderr. */
void srr_cli_error(const char *what, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prints "shadowrr <command>: <message>" and a hint to run --help; returns
 * SRR_EXIT_USAGE. */
int srr_cli_usage_error(const char *command, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Reads and parses a module file; on failure prints one line naming the file
 * and returns NULL. Also refuses modules shadowrr cannot instrument. */
srr_module *srr_cli_load_module(const char *path);

/* Option parsing shared by the subcommands. If argv[*i] is the option `name`
 * ("--output") or its short form `alias` (may be NULL), given as "--output X"
 * or "--output=X", stores X in *value, advances *i past it and returns 1.
 * Returns 0 if argv[*i] is another option, -1 (after printing a usage error)
 * if the value is missing. */
int srr_cli_option_value(const char *command, int argc, char **argv, int *i, const char *name,
                         const char *alias, const char **value);

int srr_cmd_instrument(int argc, char **argv);
int srr_cmd_inspect(int argc, char **argv);

#endif /* SHADOWRR_CLI_H */
