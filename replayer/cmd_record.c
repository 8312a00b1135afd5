/* shadowrr record: instruments a module for recording, runs it on an engine,
 * and leaves a complete trace. The exit code is the program's own. */
#define _DEFAULT_SOURCE /* symlink */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "engines.h"
#include "file_io.h"
#include "srr_sha256.h"
#include "srr_trace.h"
#include "srr_trace_reader.h"
#include "trace_pack.h"

static const char kUsage[] =
    "usage: shadowrr record [options] APP.wasm [-- ARGS...]\n"
    "\n"
    "Records one run of a WASI program: the module is instrumented, run on an\n"
    "engine, and its trace written to OUTPUT (LZ4-packed).\n"
    "\n"
    "options:\n"
    "  --runtime R      node (default, node 24), node20 (the module lowered to\n"
    "                   one memory), bun, deno or wasmtime (wasmtime runs\n"
    "                   through wizer, which passes no arguments)\n"
    "  --dir D          preopen host directory D for the guest (repeatable); the\n"
    "                   trace is written into the first one, then moved\n"
    "  --env K=V        an environment variable for the guest (repeatable)\n"
    "  -o, --output F   the trace (default: APP's name with .srr)\n"
    "  --force          replace an existing trace\n"
    "  --durable        write the trace at every event (for engines that cannot\n"
    "                   drain it after a trap)\n"
    "  -h, --help       this text\n"
    "\n"
    "If no --dir is given, the trace goes into a fresh directory preopened as\n"
    "\"/.shadowrr\", which the recorder hides from the guest.\n";

#define MAX_LIST 64


/* The instrumented module for `input`, from the cache of instrumented
 * modules (${XDG_CACHE_HOME:-~/.cache}/shadowrr/modules, keyed by the
 * module's SHA-256, the durable and single-memory flags and shadowrr's
 * version), instrumenting it on a miss (lowered to one memory if `single`); linked as `link` (which keeps the input's file name: the
 * launchers pass it to the guest as argv[0]). Prints one line on failure. */
/* Wasmtime (wizer) cannot call shadowrr_on_trap after a trap, so its trace
 * stops at the last event before it. A durable recording has every event in
 * the file: when the run trapped (exit 134) and the trace neither ends (END,
 * TRAP) nor is damaged, the TRAP event the launcher could not record is
 * appended here, as a raw chunk of its own. Returns 0, or -1 with `why`. */
static int append_missing_trap(const char *path, char *why, size_t why_size) {
  uint8_t *bytes = NULL;
  size_t size = 0;
  if (srr_read_file(path, &bytes, &size, why, why_size) != 0) {
    return -1;
  }
  srr_trace_error err;
  srr_trace_summary summary;
  srr_trace *trace = srr_trace_open(bytes, size, &err);
  int append = trace && srr_trace_summarize(trace, &summary, &err) == 0 && !summary.complete &&
               !summary.truncation;
  srr_trace_close(trace);
  free(bytes);
  if (!append) {
    return 0;
  }
  uint8_t chunk[SRR_CHUNK_HEADER_SIZE + 2];
  uint8_t *events = chunk + SRR_CHUNK_HEADER_SIZE;
  size_t n = srr_put_trap(events, "", 0);
  srr_put_chunk_header(chunk, SRR_CODEC_RAW, (uint32_t)n, (uint32_t)n, srr_crc32(0, events, n));
  FILE *f = fopen(path, "ab");
  if (!f || fwrite(chunk, 1, SRR_CHUNK_HEADER_SIZE + n, f) != SRR_CHUNK_HEADER_SIZE + n) {
    snprintf(why, why_size, "cannot append the trap: %s", strerror(errno));
    if (f) {
      fclose(f);
    }
    return -1;
  }
  if (fclose(f) != 0) {
    snprintf(why, why_size, "cannot append the trap: %s", strerror(errno));
    return -1;
  }
  return 0;
}

static int instrument_cached(const char *input, int durable, int single, const char *link) {
  uint8_t *file;
  size_t file_size;
  char why[256];
  if (srr_read_file(input, &file, &file_size, why, sizeof why) != 0) {
    srr_cli_error(input, "%s", why);
    return -1;
  }
  uint8_t digest[32];
  srr_sha256(file, file_size, digest);
  char key[65], cached[4096];
  for (int i = 0; i < 32; i++) {
    snprintf(key + 2 * i, 3, "%02x", digest[i]);
  }
  const char *xdg = getenv("XDG_CACHE_HOME");
  const char *home = getenv("HOME");
  char dir[4096];
  if (xdg && *xdg) {
    snprintf(dir, sizeof dir, "%s/shadowrr/modules", xdg);
  } else {
    snprintf(dir, sizeof dir, "%s/.cache/shadowrr/modules", home ? home : "/tmp");
  }
  /* The running binary's size and time stamp tell builds apart: a rebuilt
   * shadowrr (another recorder, another transform) never reuses a module
   * another build instrumented. */
  struct stat self;
  long long stamp = stat("/proc/self/exe", &self) == 0 ? (long long)self.st_mtime * 1000003 + (long long)self.st_size : 0;
  snprintf(cached, sizeof cached, "%.3900s/%s-%s%s-v%s-%llx.rec.wasm", dir, key, durable ? "durable" : "buffered",
           single ? "-single" : "", SHADOWRR_VERSION, stamp);
  struct stat st;
  if (stat(cached, &st) != 0) {
    /* A miss: instrument the bytes already read for the key. */
    srr_module *module = srr_cli_parse_module(input, file, file_size);
    free(file);
    file = NULL;
    if (!module) {
      return -1;
    }
    srr_error err;
    const char *base = strrchr(input, '/');
    /* The launchers are WASI runners: they write the guest's memory only
     * inside its WASI calls. */
    srr_record_options record_options = {.trace_path = ".shadowrr.srr",
                                         .module_name = base ? base + 1 : input,
                                         .durable = durable,
                                         .host_writes_in_calls = 1};
    uint8_t *bytes = NULL;
    size_t size = 0;
    if (srr_instrument_record(module, &record_options, &err) != 0 ||
        (single && srr_module_lower_memories(module, &err) != 0) || srr_module_validate(module, &err) != 0 ||
        srr_module_write_binary(module, &bytes, &size, &err) != 0) {
      srr_cli_error(input, "%s", err.message);
      srr_module_free(module);
      return -1;
    }
    srr_module_free(module);
    /* mkdir -p the cache; a failure shows at the write. */
    for (char *p = dir + 1; *p; p++) {
      if (*p == '/') {
        *p = 0;
        mkdir(dir, 0755);
        *p = '/';
      }
    }
    mkdir(dir, 0755);
    int failed = srr_write_file_atomic(cached, bytes, size, 1, why, sizeof why);
    free(bytes);
    if (failed) {
      srr_cli_error(cached, "cannot write: %s", why);
      return -1;
    }
  }
  free(file); /* a hit: only its hash was needed */
  if (symlink(cached, link) != 0) {
    srr_cli_error(link, "cannot link the instrumented module: %s", strerror(errno));
    return -1;
  }
  return 0;
}

int srr_cmd_record(int argc, char **argv) {
  const char *runtime = "node", *output = NULL;
  const char *dirs[MAX_LIST], *envs[MAX_LIST];
  int ndirs = 0, nenvs = 0, force = 0, durable = 0;
  const srr_cli_option options[] = {
      {"--runtime", NULL, SRR_OPT_VALUE, &runtime, NULL, 0},
      {"--output", "-o", SRR_OPT_VALUE, &output, NULL, 0},
      {"--dir", NULL, SRR_OPT_LIST, dirs, &ndirs, MAX_LIST},
      {"--env", NULL, SRR_OPT_LIST, envs, &nenvs, MAX_LIST},
      {"--force", NULL, SRR_OPT_FLAG, &force, NULL, 0},
      {"--durable", NULL, SRR_OPT_FLAG, &durable, NULL, 0},
  };
  srr_cli_args args;
  int parsed = srr_cli_parse("record", kUsage, argc, argv, options, sizeof options / sizeof options[0], 1, 1, &args);
  if (parsed) {
    return parsed == 1 ? SRR_EXIT_OK : parsed;
  }
  const char *input = args.positional[0];
  int argstart = args.rest;
  for (int e = 0; e < nenvs; e++) {
    if (!strchr(envs[e], '=')) {
      return srr_cli_usage_error("record", "--env takes K=V, not '%s'", envs[e]);
    }
  }
  if (!input) {
    return srr_cli_usage_error("record", "no module given");
  }
  const srr_engine *engine = srr_engine_find(runtime);
  if (!engine) {
    return srr_cli_usage_error("record", "unknown runtime '%s' (node, node20, bun, deno, wasmtime)", runtime);
  }
  char default_output[1024];
  if (!output) {
    const char *base = strrchr(input, '/');
    base = base ? base + 1 : input;
    size_t len = strlen(base);
    if (len > 5 && strcmp(base + len - 5, ".wasm") == 0) len -= 5;
    snprintf(default_output, sizeof default_output, "%.*s.srr", (int)len, base);
    output = default_output;
  }
  struct stat st;
  if (!force && stat(output, &st) == 0) {
    srr_cli_error(output, "already exists (use --force to replace it)");
    return SRR_EXIT_FAILURE;
  }
  /* Say now, not after the run, if the trace cannot be written there. */
  char output_dir[4096];
  const char *slash = strrchr(output, '/');
  snprintf(output_dir, sizeof output_dir, "%.*s", slash ? (int)(slash - output) + 1 : 1, slash ? output : ".");
  if (stat(output_dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
    srr_cli_error(output, "cannot write the trace: no such directory %s", output_dir);
    return SRR_EXIT_FAILURE;
  }
  if (access(output_dir, W_OK) != 0) {
    srr_cli_error(output, "cannot write the trace: directory %s is not writable", output_dir);
    return SRR_EXIT_FAILURE;
  }
  if (stat(output, &st) == 0 && S_ISDIR(st.st_mode)) {
    srr_cli_error(output, "is a directory");
    return SRR_EXIT_FAILURE;
  }
  for (int d = 0; d < ndirs; d++) {
    const char *host = dirs[d];
    char hostpart[4096];
    const char *sep = strstr(host, "::");
    snprintf(hostpart, sizeof hostpart, "%.*s", sep ? (int)(sep - host) : (int)strlen(host), host);
    if (stat(hostpart, &st) != 0 || !S_ISDIR(st.st_mode)) {
      srr_cli_error(hostpart, "not a directory (for --dir)");
      return SRR_EXIT_FAILURE;
    }
  }

  /* A scratch directory for the instrumented module (and the trace, when the
   * guest has no directory of its own). */
  char scratch[] = "/tmp/shadowrr-record-XXXXXX";
  if (!mkdtemp(scratch)) {
    srr_cli_error("/tmp", "cannot create a scratch directory: %s", strerror(errno));
    return SRR_EXIT_FAILURE;
  }
  char trace_name[64], rec_module[4096], trace_dir[4096], trace_file[8192];
  snprintf(trace_name, sizeof trace_name, ".shadowrr-%ld.srr", (long)getpid());
  /* The instrumented module keeps the original's file name: launchers pass
   * it to the guest as argv[0]. */
  const char *input_base = strrchr(input, '/');
  snprintf(rec_module, sizeof rec_module, "%s/%s", scratch, input_base ? input_base + 1 : input);
  if (ndirs > 0) {
    const char *sep = strstr(dirs[0], "::");
    snprintf(trace_dir, sizeof trace_dir, "%.*s", sep ? (int)(sep - dirs[0]) : (int)strlen(dirs[0]), dirs[0]);
  } else {
    snprintf(trace_dir, sizeof trace_dir, "%s/root", scratch);
    mkdir(trace_dir, 0755);
  }
  snprintf(trace_file, sizeof trace_file, "%s/%s", trace_dir, trace_name);

  int status = SRR_EXIT_FAILURE;
  char why[256];
  if (instrument_cached(input, durable, engine->single_memory, rec_module) != 0) {
    goto cleanup;
  }

  /* The engine's command line. */
  const char *cmd[4 * MAX_LIST + 64];
  int n = srr_engine_command(engine, cmd, 16);
  if (n < 0) {
    srr_cli_error(runtime, "engine not installed (run scripts/bootstrap.sh)");
    goto cleanup;
  }
  /* Without --dir the trace gets a directory of its own, preopened as
   * "/.shadowrr": the recorder hides a preopen of that name from the guest
   * (recorder_abi.h, srr_rec_hidden_fd), which then sees no preopen at all,
   * as in a plain run without --dir. */
  char default_dir[4200];
  if (ndirs == 0) {
    snprintf(default_dir, sizeof default_dir, "%s::/.shadowrr", trace_dir);
    cmd[n++] = "--dir";
    cmd[n++] = default_dir;
  }
  for (int d = 0; d < ndirs; d++) {
    cmd[n++] = "--dir";
    cmd[n++] = dirs[d];
  }
  for (int e = 0; e < nenvs; e++) {
    cmd[n++] = "--env";
    cmd[n++] = envs[e];
  }
  /* Where this run's trace goes: the recorder reads it from its environment
   * and hides it from the guest (recorder_abi.h), so one instrumented module
   * serves every recording. */
  char trace_env[160];
  snprintf(trace_env, sizeof trace_env, "SHADOWRR_TRACE=%s%s", ndirs == 0 ? "/.shadowrr/" : "", trace_name);
  cmd[n++] = "--env";
  cmd[n++] = trace_env;
  n = srr_engine_add_hooks(engine, "recorder-hooks.mjs", cmd, n);
  cmd[n++] = rec_module;
  if (argc - argstart > 0 && !engine->passes_args) {
    fprintf(stderr, "shadowrr: warning: %s passes no arguments to the guest; ignoring them\n", engine->name);
  }
  for (int a = argstart; a < argc && engine->passes_args && n < (int)(sizeof cmd / sizeof cmd[0]) - 1; a++) {
    cmd[n++] = argv[a];
  }
  cmd[n] = NULL;

  /* A module that imports nothing from WASI cannot write its trace: the
   * recorder keeps it in memory, and the hooks drain it into the trace file
   * after the run (recorder-hooks.mjs). Nothing is drained when the trace
   * went to the file. */
  if (engine->calls_after_trap && setenv("SHADOWRR_DRAIN_TO", trace_file, 1) != 0) {
    srr_cli_error("SHADOWRR_DRAIN_TO", "cannot set: %s", strerror(errno));
    goto cleanup;
  }
  int program_status = srr_engine_run(cmd);
  if (program_status < 0) {
    srr_cli_error(cmd[0], "cannot run: %s", strerror(errno));
    goto cleanup;
  }
  if (stat(trace_file, &st) != 0) {
    if (!engine->calls_after_trap && program_status == 70) {
      /* wasmtime-run.sh: wizer refused or failed to run the module (its
         message is above), e.g. the reference-types instructions a module
         with host-writable tables is recorded with. */
      srr_cli_error(input, "the run left no trace: %s could not run the instrumented module (its message is above; "
                           "record with --runtime node, bun or deno)",
                    engine->name);
    } else if (!engine->calls_after_trap) {
      srr_cli_error(input, "the run left no trace (expected %s); a module that imports no WASI keeps its trace in "
                           "memory, and %s cannot drain it after the run (record such a module with --runtime node, "
                           "bun or deno)",
                    trace_file, engine->name);
    } else {
      srr_cli_error(input, "the run left no trace (expected %s)", trace_file);
    }
    goto cleanup;
  }
  if (!engine->calls_after_trap && durable && program_status == 134 &&
      append_missing_trap(trace_file, why, sizeof why) != 0) {
    srr_cli_error(trace_file, "%s", why);
    goto cleanup;
  }
  /* Pack (LZ4) into the output, atomically; the raw trace is removed. */
  srr_pack_result packed;
  if (!force && stat(output, &st) == 0) {
    srr_cli_error(output, "appeared while recording; not replaced (use --force); the raw trace stays at %s",
                  trace_file);
    goto cleanup;
  }
  if (srr_trace_pack_file(trace_file, output, &packed, why, sizeof why) != 0) {
    srr_cli_error(output, "%s", why);
    unlink(trace_file);
    goto cleanup;
  }
  unlink(trace_file);
  status = program_status;

cleanup:
  unlink(rec_module);
  if (ndirs == 0) {
    unlink(trace_file);
    rmdir(trace_dir);
  }
  rmdir(scratch);
  return status;
}
