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

/* The same for a module already read into memory; `path` names it in
 * messages. */
srr_module *srr_cli_parse_module(const char *path, const uint8_t *bytes, size_t size);

/* A subcommand's options, for srr_cli_parse. */
typedef enum srr_option_kind {
  SRR_OPT_FLAG,  /* target: int*, set to 1 */
  SRR_OPT_VALUE, /* target: const char**, "--name X" or "--name=X" */
  SRR_OPT_LIST   /* target: const char** array of `max`, *count entries */
} srr_option_kind;

typedef struct srr_cli_option {
  const char *name;  /* "--output" */
  const char *alias; /* "-o", or NULL */
  srr_option_kind kind;
  void *target;
  int *count; /* SRR_OPT_LIST */
  int max;    /* SRR_OPT_LIST */
} srr_cli_option;

/* What a subcommand's command line holds besides its options. */
typedef struct srr_cli_args {
  const char *positional[4]; /* in order */
  int positional_count;
  int rest;                  /* SRR_CLI_REST: index in argv of the program's
                                arguments (after "--", or after the last
                                positional), argc if none */
} srr_cli_args;

/* Parses argv[1..argc) of `command` against `options`. Takes up to
 * `max_positional` positional words; with `rest_after_positional`, the first
 * word beyond them starts the program's arguments (as "--" does), else it is
 * a usage error. -h/--help prints `usage` to stdout. Returns 0 to go on, 1
 * after --help (exit 0), or SRR_EXIT_USAGE after printing the problem. */
int srr_cli_parse(const char *command, const char *usage, int argc, char **argv, const srr_cli_option *options,
                  int option_count, int max_positional, int rest_after_positional, srr_cli_args *args);

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
