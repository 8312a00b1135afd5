/* shadowrr instrument: reads a module, transforms it, validates the result
 * and writes it atomically. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "file_io.h"

static const char kUsage[] =
    "usage: shadowrr instrument [--mode MODE] INPUT.wasm -o OUTPUT.wasm\n"
    "\n"
    "Transforms a WebAssembly module (binary, or text for tests).\n"
    "\n"
    "options:\n"
    "  --mode MODE      identity: parse, validate and write back unchanged\n"
    "                   (record and replay modes come with the record and\n"
    "                   replay transforms; they are not in this build yet)\n"
    "  -o, --output F   where to write the result (replaced atomically)\n"
    "  -h, --help       this text\n";

int srr_cmd_instrument(int argc, char **argv) {
  const char *mode = "identity";
  const char *input = NULL;
  const char *output = NULL;
  for (int i = 1; i < argc; i++) {
    const char *value;
    int got;
    if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
      fputs(kUsage, stdout);
      return SRR_EXIT_OK;
    }
    if ((got = srr_cli_option_value("instrument", argc, argv, &i, "--mode", NULL, &value)) != 0) {
      if (got < 0) {
        return SRR_EXIT_USAGE;
      }
      mode = value;
    } else if ((got = srr_cli_option_value("instrument", argc, argv, &i, "--output", "-o", &value)) != 0) {
      if (got < 0) {
        return SRR_EXIT_USAGE;
      }
      output = value;
    } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
      return srr_cli_usage_error("instrument", "unknown option '%s'", argv[i]);
    } else if (input) {
      return srr_cli_usage_error("instrument", "more than one input module ('%s' and '%s')", input, argv[i]);
    } else {
      input = argv[i];
    }
  }
  if (strcmp(mode, "identity") != 0) {
    if (strcmp(mode, "record") == 0 || strcmp(mode, "replay") == 0) {
      return srr_cli_usage_error("instrument", "mode '%s' is not available in this build yet", mode);
    }
    return srr_cli_usage_error("instrument", "unknown mode '%s' (expected identity)", mode);
  }
  if (!input) {
    return srr_cli_usage_error("instrument", "no input module given");
  }
  if (!output) {
    return srr_cli_usage_error("instrument", "no output given (-o OUTPUT.wasm)");
  }

  srr_module *module = srr_cli_load_module(input);
  if (!module) {
    return SRR_EXIT_FAILURE;
  }
  srr_error err;
  uint8_t *bytes = NULL;
  size_t size = 0;
  int status = SRR_EXIT_OK;
  if (srr_module_validate(module, &err) != 0) {
    srr_cli_error(input, "transform produced an invalid module: %s", err.message);
    status = SRR_EXIT_FAILURE;
  } else if (srr_module_write_binary(module, &bytes, &size, &err) != 0) {
    srr_cli_error(output, "%s", err.message);
    status = SRR_EXIT_FAILURE;
  } else {
    char why[256];
    if (srr_write_file_atomic(output, bytes, size, 1, why, sizeof why) != 0) {
      srr_cli_error(output, "cannot write: %s", why);
      status = SRR_EXIT_FAILURE;
    }
  }
  free(bytes);
  srr_module_free(module);
  return status;
}
