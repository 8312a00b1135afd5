/* shadowrr replay: brings a recorded run back. The trace's module is turned
 * into a replay module (the guest's code, every import answered from the
 * trace) and run on an engine; the recorded output, exit code or trap comes
 * back, and any divergence is reported. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "engines.h"
#include "file_io.h"
#include "srr_trace_reader.h"
#include "trace_pack.h"

static const char kUsage[] =
    "usage: shadowrr replay [options] TRACE.srr\n"
    "\n"
    "Replays a recorded run: same output, same exit code, same trap.\n"
    "\n"
    "options:\n"
    "  --module M.wasm         the recorded module (default: the name in the trace,\n"
    "                          next to the trace, then in the current directory)\n"
    "  --runtime R             node (default, node 24), node20 (the replay module\n"
    "                          lowered to one memory), bun, deno or wasmtime\n"
    "  --quiet                 do not pass the guest's stdout/stderr through\n"
    "  --allow-other-module    replay with a module whose SHA-256 differs from the\n"
    "                          recorded one (another build of the same program);\n"
    "                          every event is still checked\n"
    "  -h, --help              this text\n"
    "\n"
    "exit codes: the recorded run's own; 101 divergence, 102 the trace ends\n"
    "before the run (it was cut), 103 unreadable trace; 1 or 2 for shadowrr's\n"
    "own errors.\n";

/* dir of `path` + name, into buf. */
static const char *beside(const char *path, const char *name, char *buf, size_t size) {
  const char *slash = strrchr(path, '/');
  snprintf(buf, size, "%.*s%s", slash ? (int)(slash - path) + 1 : 0, path, name);
  return buf;
}

static void hex(const uint8_t *bytes, char out[65]) {
  for (int i = 0; i < 32; i++) {
    snprintf(out + 2 * i, 3, "%02x", bytes[i]);
  }
}

int srr_cmd_replay(int argc, char **argv) {
  const char *module_path = NULL, *runtime = "node";
  int quiet = 0, other = 0;
  const srr_cli_option options[] = {
      {"--module", NULL, SRR_OPT_VALUE, &module_path, NULL, 0},
      {"--runtime", NULL, SRR_OPT_VALUE, &runtime, NULL, 0},
      {"--quiet", NULL, SRR_OPT_FLAG, &quiet, NULL, 0},
      {"--allow-other-module", NULL, SRR_OPT_FLAG, &other, NULL, 0},
  };
  srr_cli_args args;
  int parsed = srr_cli_parse("replay", kUsage, argc, argv, options, sizeof options / sizeof options[0], 1, 0, &args);
  if (parsed) {
    return parsed == 1 ? SRR_EXIT_OK : parsed;
  }
  const char *trace_path = args.positional[0];
  if (!trace_path) {
    return srr_cli_usage_error("replay", "no trace given");
  }
  const srr_engine *engine = srr_engine_find(runtime);
  if (!engine) {
    return srr_cli_usage_error("replay", "unknown runtime '%s' (node, node20, bun, deno, wasmtime)", runtime);
  }

  srr_cli_trace loaded;
  int rc = srr_cli_load_trace(trace_path, &loaded);
  if (rc != SRR_EXIT_OK) {
    return rc == SRR_EXIT_TRUNCATED ? 102 : 103;
  }
  if (!engine->calls_after_trap) {
    /* Wasmtime (wizer) cannot call into the replay after a trap: a trace
     * that goes on after one (a reactor recorded across traps) would replay
     * only up to it. */
    srr_trace_summary summary;
    srr_trace_error terr;
    if (srr_trace_summarize(loaded.trace, &summary, &terr) == 0 && summary.traps_resumed) {
      srr_cli_error(trace_path, "the recorded run goes on after a trap, and --runtime %s cannot resume a replay "
                    "after a trap; use node, bun or deno", runtime);
      srr_cli_trace_free(&loaded);
      return SRR_EXIT_FAILURE;
    }
  }
  const srr_trace_header *header = srr_trace_get_header(loaded.trace);
  uint8_t recorded_sha[32];
  memcpy(recorded_sha, header->module_sha256, 32);
  char found[4096], module_name[1024];
  snprintf(module_name, sizeof module_name, "%s", header->module_name ? header->module_name : "");
  if (!module_path) {
    if (!*module_name) {
      srr_cli_error(trace_path, "the trace does not name its module: give --module");
      srr_cli_trace_free(&loaded);
      return SRR_EXIT_USAGE;
    }
    struct stat st;
    module_path = beside(trace_path, module_name, found, sizeof found);
    if (stat(module_path, &st) != 0) {
      module_path = module_name;
    }
  }

  /* The replayer inside the module reads raw chunks only. */
  uint8_t *raw = NULL;
  size_t raw_size = 0;
  int truncated = 0;
  srr_trace_error terr;
  if (srr_trace_unpack(loaded.file, loaded.file_size, &raw, &raw_size, &truncated, &terr) != 0) {
    srr_cli_error(trace_path, "%s", terr.message);
    srr_cli_trace_free(&loaded);
    return 103;
  }
  srr_cli_trace_free(&loaded);

  int status = SRR_EXIT_FAILURE;
  char scratch[] = "/tmp/shadowrr-replay-XXXXXX";
  char raw_path[4096], module_out[4096], dir_arg[4200], why[256];
  if (!mkdtemp(scratch)) {
    srr_cli_error("/tmp", "cannot create a scratch directory: %s", strerror(errno));
    free(raw);
    return SRR_EXIT_FAILURE;
  }
  snprintf(raw_path, sizeof raw_path, "%s/trace.srr", scratch);
  snprintf(module_out, sizeof module_out, "%s/%s", scratch, *module_name ? module_name : "replay.wasm");
  snprintf(dir_arg, sizeof dir_arg, "%s::.", scratch);

  srr_module *module = srr_cli_load_module(module_path);
  if (!module) {
    goto cleanup;
  }
  uint8_t sha[32];
  srr_module_sha256(module, sha);
  if (memcmp(sha, recorded_sha, 32) != 0 && !other) {
    char want[65], have[65];
    hex(recorded_sha, want);
    hex(sha, have);
    srr_cli_error(trace_path, "recorded from another module (sha256 %.12s..., %s has %.12s...); "
                  "use --allow-other-module to replay it anyway, checking every event", want, module_path, have);
    srr_module_free(module);
    goto cleanup;
  }
  if (srr_write_file_atomic(raw_path, raw, raw_size, 1, why, sizeof why) != 0) {
    srr_cli_error(raw_path, "cannot write: %s", why);
    srr_module_free(module);
    goto cleanup;
  }
  srr_error err;
  srr_replay_options replay_options = {.trace_path = "trace.srr", .module_name = module_name,
                                .quiet = quiet, .allow_other_module = other};
  uint8_t *bytes = NULL;
  size_t size = 0;
  if (srr_instrument_replay(module, &replay_options, &err) != 0 ||
      (engine->single_memory && srr_module_lower_memories(module, &err) != 0) || srr_module_validate(module, &err) != 0 ||
      srr_module_write_binary(module, &bytes, &size, &err) != 0) {
    srr_cli_error(module_path, "%s", err.message);
    srr_module_free(module);
    goto cleanup;
  }
  srr_module_free(module);
  if (srr_write_file_atomic(module_out, bytes, size, 1, why, sizeof why) != 0) {
    free(bytes);
    srr_cli_error(module_out, "cannot write: %s", why);
    goto cleanup;
  }
  free(bytes);

  const char *cmd[32];
  int n = srr_engine_command(engine, cmd, 16);
  if (n < 0) {
    srr_cli_error(runtime, "engine not installed (run scripts/bootstrap.sh)");
    goto cleanup;
  }
  n = srr_engine_add_hooks(engine, "replay-hooks.mjs", cmd, n);
  cmd[n++] = "--dir";
  cmd[n++] = dir_arg;
  cmd[n++] = module_out;
  cmd[n] = NULL;
  status = srr_engine_run(cmd);
  if (status < 0) {
    srr_cli_error(cmd[0], "cannot run: %s", strerror(errno));
    status = SRR_EXIT_FAILURE;
  }

cleanup:
  free(raw);
  unlink(raw_path);
  unlink(module_out);
  rmdir(scratch);
  return status;
}
