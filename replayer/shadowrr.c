/* shadowrr: record and replay for WebAssembly. The command-line entry point:
 * dispatches to one subcommand per verb. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "file_io.h"

#ifndef SHADOWRR_VERSION
#define SHADOWRR_VERSION "unknown"
#endif

static const char kUsage[] =
    "usage: shadowrr <command> [options]\n"
    "\n"
    "Record and replay for WebAssembly.\n"
    "\n"
    "commands:\n"
    "  record      record a run of a WASI program into a trace (shadowrr record --help)\n"
    "  replay      replay a trace: the recorded output, exit code or trap again\n"
    "  instrument  transform a module (shadowrr instrument --help)\n"
    "  inspect     show a module's memories, features and memory accesses\n"
    "  info        summarise a trace: module, events by kind, sizes, completeness\n"
    "  dump        print a trace's events, one per line (or --json)\n"
    "  pack        compress a trace's chunks with LZ4, in place or to -o FILE\n"
    "\n"
    "options:\n"
    "  -h, --help     this text\n"
    "  -V, --version  print the version\n"
    "\n"
    "exit codes: 0 success, 1 bad input or failed command, 2 wrong usage,\n"
    "            3 truncated trace (what it holds was used)\n";

void srr_cli_error(const char *what, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "shadowrr: %s: ", what);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
}

int srr_cli_usage_error(const char *command, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "shadowrr %s: ", command);
  vfprintf(stderr, fmt, ap);
  fprintf(stderr, " (see 'shadowrr %s --help')\n", command);
  va_end(ap);
  return SRR_EXIT_USAGE;
}

srr_module *srr_cli_parse_module(const char *path, const uint8_t *bytes, size_t size) {
  srr_error err;
  srr_module *module = srr_module_parse(bytes, size, &err);
  if (!module) {
    srr_cli_error(path, "%s", err.message);
    return NULL;
  }
  if (srr_module_check_supported(module, &err) != 0 || srr_module_validate(module, &err) != 0) {
    srr_cli_error(path, "%s", err.message);
    srr_module_free(module);
    return NULL;
  }
  return module;
}

srr_module *srr_cli_load_module(const char *path) {
  uint8_t *bytes;
  size_t size;
  char why[256];
  if (srr_read_file(path, &bytes, &size, why, sizeof why) != 0) {
    srr_cli_error(path, "%s", why);
    return NULL;
  }
  srr_module *module = srr_cli_parse_module(path, bytes, size);
  free(bytes);
  return module;
}

/* The option matching argv[*i], or NULL. */
static const srr_cli_option *find_option(const srr_cli_option *options, int count, const char *arg,
                                         const char **inline_value) {
  *inline_value = NULL;
  for (int o = 0; o < count; o++) {
    size_t len = strlen(options[o].name);
    if (strcmp(arg, options[o].name) == 0 || (options[o].alias && strcmp(arg, options[o].alias) == 0)) {
      return &options[o];
    }
    if (options[o].kind != SRR_OPT_FLAG && strncmp(arg, options[o].name, len) == 0 && arg[len] == '=') {
      *inline_value = arg + len + 1;
      return &options[o];
    }
  }
  return NULL;
}

int srr_cli_parse(const char *command, const char *usage, int argc, char **argv, const srr_cli_option *options,
                  int option_count, int max_positional, int rest_after_positional, srr_cli_args *args) {
  memset(args, 0, sizeof *args);
  args->rest = argc;
  for (int i = 1; i < argc; i++) {
    const char *arg = argv[i];
    if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
      fputs(usage, stdout);
      return 1;
    }
    if (strcmp(arg, "--") == 0) {
      args->rest = i + 1;
      return 0;
    }
    const char *value;
    const srr_cli_option *option = arg[0] == '-' && arg[1] ? find_option(options, option_count, arg, &value) : NULL;
    if (option) {
      if (option->kind == SRR_OPT_FLAG) {
        *(int *)option->target = 1;
        continue;
      }
      if (!value) {
        if (i + 1 >= argc) {
          return srr_cli_usage_error(command, "option '%s' needs a value", arg);
        }
        value = argv[++i];
      }
      if (option->kind == SRR_OPT_VALUE) {
        *(const char **)option->target = value;
      } else if (*option->count == option->max) {
        return srr_cli_usage_error(command, "too many %s options", option->name);
      } else {
        ((const char **)option->target)[(*option->count)++] = value;
      }
    } else if (arg[0] == '-' && arg[1] != '\0') {
      return srr_cli_usage_error(command, "unknown option '%s'", arg);
    } else if (args->positional_count < max_positional) {
      args->positional[args->positional_count++] = arg;
    } else if (rest_after_positional) {
      args->rest = i;
      return 0;
    } else {
      return srr_cli_usage_error(command, "unexpected argument '%s' (after '%s')", arg,
                                 args->positional[args->positional_count - 1]);
    }
  }
  return 0;
}

struct command {
  const char *name;
  int (*run)(int argc, char **argv);
};

static const struct command kCommands[] = {
    {"record", srr_cmd_record},
    {"replay", srr_cmd_replay},
    {"instrument", srr_cmd_instrument},
    {"inspect", srr_cmd_inspect},
    {"info", srr_cmd_info},
    {"dump", srr_cmd_dump},
    {"pack", srr_cmd_pack},
};

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "shadowrr: no command given (see 'shadowrr --help')\n");
    return SRR_EXIT_USAGE;
  }
  const char *verb = argv[1];
  if (strcmp(verb, "-h") == 0 || strcmp(verb, "--help") == 0 || strcmp(verb, "help") == 0) {
    fputs(kUsage, stdout);
    return SRR_EXIT_OK;
  }
  if (strcmp(verb, "-V") == 0 || strcmp(verb, "--version") == 0 || strcmp(verb, "version") == 0) {
    printf("shadowrr %s\n", SHADOWRR_VERSION);
    return SRR_EXIT_OK;
  }
  for (size_t i = 0; i < sizeof kCommands / sizeof kCommands[0]; i++) {
    if (strcmp(verb, kCommands[i].name) == 0) {
      return kCommands[i].run(argc - 1, argv + 1);
    }
  }
  fprintf(stderr, "shadowrr: unknown command '%s' (see 'shadowrr --help')\n", verb);
  return SRR_EXIT_USAGE;
}
