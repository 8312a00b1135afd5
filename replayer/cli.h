/*
 * cli.h: what the shadowrr subcommands share. Each subcommand is a function
 * taking its own argc/argv (argv[0] is the subcommand's name) and returning
 * the process exit code.
 */
#ifndef SHADOWRR_CLI_H
#define SHADOWRR_CLI_H

#include <stddef.h>
#include <stdint.h>

#include "shadowrr_transform.h"

/* Exit codes of the CLI itself (a recorded program's own exit code is passed
 * through unchanged by the commands that run one). */
enum {
  SRR_EXIT_OK = 0,
  SRR_EXIT_FAILURE = 1, /* bad input file, failed transform, I/O error */
  SRR_EXIT_USAGE = 2,   /* wrong flags or arguments */
  SRR_EXIT_TRUNCATED = 3 /* a truncated trace: what it holds was used, then said so */
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

/* A trace file read and opened for a command (info, dump). */
typedef struct srr_cli_trace {
  uint8_t *file; /* the whole file, which trace reads from */
  size_t file_size;
  struct srr_trace *trace;
} srr_cli_trace;

/* Reads and opens a trace file (its header only). On failure prints one line
 * naming the file and returns SRR_EXIT_TRUNCATED (the file ends inside its
 * header) or SRR_EXIT_FAILURE (unreadable, foreign, other version, corrupt);
 * returns SRR_EXIT_OK otherwise. */
int srr_cli_load_trace(const char *path, srr_cli_trace *loaded);

/* Frees what srr_cli_load_trace allocated. */
void srr_cli_trace_free(srr_cli_trace *loaded);

/* The exit code for a trace error (status is enum srr_trace_status):
 * SRR_EXIT_TRUNCATED for a truncated header, else SRR_EXIT_FAILURE. */
int srr_cli_trace_exit_code(int status);

int srr_cmd_record(int argc, char **argv);
int srr_cmd_replay(int argc, char **argv);
int srr_cmd_instrument(int argc, char **argv);
int srr_cmd_inspect(int argc, char **argv);
int srr_cmd_info(int argc, char **argv);
int srr_cmd_dump(int argc, char **argv);
int srr_cmd_pack(int argc, char **argv);

#endif /* SHADOWRR_CLI_H */
