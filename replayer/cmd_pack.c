/* shadowrr pack: rewrites a trace's raw chunks as LZ4 chunks, in place or
 * into another file, atomically (trace_pack.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "file_io.h"
#include "trace_pack.h"

static const char kUsage[] =
    "usage: shadowrr pack TRACE.srr [-o OUTPUT.srr]\n"
    "\n"
    "Compresses a trace's raw chunks with LZ4 (the recorder writes them raw).\n"
    "The events are unchanged. Without -o the trace is replaced, atomically.\n"
    "Prints the sizes before and after.\n"
    "A truncated trace is packed up to the damage, which is kept as it was;\n"
    "it is then reported on stderr with exit code 3.\n"
    "\n"
    "options:\n"
    "  -o, --output F   where to write the packed trace (replaced atomically)\n"
    "  -h, --help       this text\n";

int srr_cmd_pack(int argc, char **argv) {
  const char *output = NULL;
  const srr_cli_option options[] = {
      {"--output", "-o", SRR_OPT_VALUE, &output, NULL, 0},
  };
  srr_cli_args args;
  int parsed = srr_cli_parse("pack", kUsage, argc, argv, options, sizeof options / sizeof options[0], 1, 0, &args);
  if (parsed) {
    return parsed == 1 ? SRR_EXIT_OK : parsed;
  }
  const char *input = args.positional[0];
  if (!input) {
    return srr_cli_usage_error("pack", "no trace given");
  }
  if (!output) {
    output = input;
  }
  uint8_t *in;
  size_t in_size;
  char why[256];
  if (srr_read_file(input, &in, &in_size, why, sizeof why) != 0) {
    srr_cli_error(input, "%s", why);
    return SRR_EXIT_FAILURE;
  }
  /* Not srr_trace_pack_file: the exit code depends on the kind of error. */
  uint8_t *out;
  size_t out_size;
  srr_pack_result result;
  srr_trace_error err;
  int status = srr_trace_pack(in, in_size, &out, &out_size, &result, &err);
  free(in);
  if (status != 0) {
    srr_cli_error(input, "%s", err.message);
    return srr_cli_trace_exit_code(err.status);
  }
  status = srr_write_file_atomic(output, out, out_size, 1, why, sizeof why);
  free(out);
  if (status != 0) {
    srr_cli_error(output, "cannot write: %s", why);
    return SRR_EXIT_FAILURE;
  }
  printf("%s: %zu -> %zu bytes (%u chunks packed, %u left raw, %u were lz4)\n", output,
         result.size_before, result.size_after, result.chunks_packed, result.chunks_left_raw,
         result.chunks_were_lz4);
  fflush(stdout);
  if (result.truncated) {
    srr_cli_error(input, "truncated trace: %s", result.truncation);
    return SRR_EXIT_TRUNCATED;
  }
  return SRR_EXIT_OK;
}
