/* shadowrr instrument: reads a module, transforms it, validates the result
 * and writes it atomically. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "file_io.h"
#include "srr_trace_reader.h"
#include "trace_pack.h"

static const char kUsage[] =
    "usage: shadowrr instrument [--mode MODE] [options] INPUT.wasm -o OUTPUT.wasm\n"
    "\n"
    "Transforms a WebAssembly module (binary, or text for tests).\n"
    "\n"
    "options:\n"
    "  --mode MODE        record (default): the module records itself, under any\n"
    "                     WASI runtime, into a trace file;\n"
    "                     identity: parse, validate and write back unchanged\n"
    "  -o, --output F     where to write the result (replaced atomically)\n"
    "  --trace-path P     record: where the trace goes, relative to the preopened\n"
    "                     directory \".\" (default: INPUT's name with .srr)\n"
    "  --durable          record: write the trace at every event, so that a trap\n"
    "                     under any runtime loses nothing (slower)\n"
    "  --reads-only       record: check every load, sync nothing and reconcile\n"
    "                     nothing when a WASI call returns, so that the trace\n"
    "                     holds only the host's bytes the guest read (the least\n"
    "                     this design records; slower: the bench measures it)\n"
    "  --host-writes-in-calls  record: the host writes the memories and tables\n"
    "                     only while the guest calls it (an import, or a host\n"
    "                     function through a table), as a WASI runner does\n"
    "                     (wasmtime run, node's WASI): calls of exports from\n"
    "                     outside the guest then start synced, not checked. A\n"
    "                     host that writes memory before calling an export loses\n"
    "                     those bytes\n"
    "  --pure-import M.N  record: import M.N writes no memory the guest can read\n"
    "                     (e.g. bench.start): it leaves the memories synced, as a\n"
    "                     WASI call without output does; repeatable\n"
    "  --mode replay      the guest's code with every import answered from a trace\n"
    "  --trace T          replay: the trace (read at run time from T, relative to\n"
    "                     the preopened directory \".\"; default INPUT's name .srr)\n"
    "  --embed            replay: put the trace T inside the module\n"
    "  --quiet            replay: no output passthrough (with --embed: a module\n"
    "                     that imports nothing)\n"
    "  --allow-other-module  replay: accept a trace of another build\n"
    "  --single-memory    lower the result to one memory (binaryen's\n"
    "                     multi-memory-lowering), for engines without\n"
    "                     multi-memory (node 20; `--runtime node20` does it)\n"
    "  --passthrough M.N  replay: import M.N (e.g. bench.start), once checked\n"
    "                     against the trace, is also called for real (its results\n"
    "                     give way to the recorded ones); repeatable\n"
    "  -h, --help         this text\n";

#define MAX_PASSTHROUGH 64

/* "dir/app.wasm" -> "app.srr" (the default trace path), in buf. */
static const char *default_trace_path(const char *input, char *buf, size_t size) {
  const char *base = strrchr(input, '/');
  base = base ? base + 1 : input;
  size_t len = strlen(base);
  if (len > 5 && strcmp(base + len - 5, ".wasm") == 0) {
    len -= 5;
  }
  snprintf(buf, size, "%.*s.srr", (int)len, base);
  return buf;
}

int srr_cmd_instrument(int argc, char **argv) {
  const char *mode = "record";
  const char *output = NULL;
  const char *trace_path = NULL, *trace = NULL;
  int durable = 0, reads_only = 0, embed = 0, quiet = 0, other = 0, single = 0;
  int host_writes_in_calls = 0;
  const char *passthrough[MAX_PASSTHROUGH], *pure_imports[MAX_PASSTHROUGH];
  int npassthrough = 0, npure_imports = 0;
  const srr_cli_option options[] = {
      {"--mode", NULL, SRR_OPT_VALUE, &mode, NULL, 0},
      {"--output", "-o", SRR_OPT_VALUE, &output, NULL, 0},
      {"--trace-path", NULL, SRR_OPT_VALUE, &trace_path, NULL, 0},
      {"--trace", NULL, SRR_OPT_VALUE, &trace, NULL, 0},
      {"--durable", NULL, SRR_OPT_FLAG, &durable, NULL, 0},
      {"--reads-only", NULL, SRR_OPT_FLAG, &reads_only, NULL, 0},
      {"--embed", NULL, SRR_OPT_FLAG, &embed, NULL, 0},
      {"--quiet", NULL, SRR_OPT_FLAG, &quiet, NULL, 0},
      {"--allow-other-module", NULL, SRR_OPT_FLAG, &other, NULL, 0},
      {"--single-memory", NULL, SRR_OPT_FLAG, &single, NULL, 0},
      {"--passthrough", NULL, SRR_OPT_LIST, passthrough, &npassthrough, MAX_PASSTHROUGH},
      {"--host-writes-in-calls", NULL, SRR_OPT_FLAG, &host_writes_in_calls, NULL, 0},
      {"--pure-import", NULL, SRR_OPT_LIST, pure_imports, &npure_imports, MAX_PASSTHROUGH},
  };
  srr_cli_args args;
  int parsed = srr_cli_parse("instrument", kUsage, argc, argv, options, sizeof options / sizeof options[0], 1, 0, &args);
  if (parsed) {
    return parsed == 1 ? SRR_EXIT_OK : parsed;
  }
  const char *input = args.positional[0];
  int record = strcmp(mode, "record") == 0, replay = strcmp(mode, "replay") == 0;
  if (!record && !replay && strcmp(mode, "identity") != 0) {
    return srr_cli_usage_error("instrument", "unknown mode '%s' (expected record, replay or identity)", mode);
  }
  if (!replay && (trace || embed || quiet || other || npassthrough)) {
    return srr_cli_usage_error("instrument",
                               "--trace, --embed, --quiet, --allow-other-module and --passthrough go with --mode replay");
  }
  if (embed && !trace) {
    return srr_cli_usage_error("instrument", "--embed needs --trace T");
  }
  if (trace_path && (!*trace_path || strlen(trace_path) > 4096)) {
    return srr_cli_usage_error("instrument", "--trace-path needs a path (1 to 4096 bytes)");
  }
  if (!record && (trace_path || durable || reads_only || host_writes_in_calls || npure_imports)) {
    return srr_cli_usage_error(
        "instrument", "--trace-path, --durable, --reads-only, --host-writes-in-calls and --pure-import go with --mode record");
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
  char default_path[512];
  const char *base = strrchr(input, '/');
  srr_record_options record_options = {
      .trace_path = trace_path ? trace_path : default_trace_path(input, default_path, sizeof default_path),
      .module_name = base ? base + 1 : input,
      .durable = durable,
      .reads_only = reads_only,
      .host_writes_in_calls = host_writes_in_calls,
      .pure_imports = pure_imports,
      .pure_import_count = (size_t)npure_imports,
  };
  uint8_t *raw = NULL;
  size_t raw_size = 0;
  char replay_default[512];
  if (replay && embed) {
    /* The replayer in the module reads raw chunks: unpack. */
    uint8_t *file;
    size_t file_size;
    char why[256];
    srr_trace_error terr;
    int truncated;
    if (srr_read_file(trace, &file, &file_size, why, sizeof why) != 0) {
      srr_cli_error(trace, "%s", why);
      srr_module_free(module);
      return SRR_EXIT_FAILURE;
    }
    int bad = srr_trace_unpack(file, file_size, &raw, &raw_size, &truncated, &terr);
    free(file);
    if (bad) {
      srr_cli_error(trace, "%s", terr.message);
      srr_module_free(module);
      return SRR_EXIT_FAILURE;
    }
  }
  srr_replay_options replay_options = {
      .trace_path = trace ? trace : default_trace_path(input, replay_default, sizeof replay_default),
      .embedded_trace = raw,
      .embedded_trace_size = raw_size,
      .module_name = base ? base + 1 : input,
      .quiet = quiet,
      .allow_other_module = other,
      .passthrough = passthrough,
      .passthrough_count = (size_t)npassthrough,
  };
  int failed = record ? srr_instrument_record(module, &record_options, &err)
               : replay ? srr_instrument_replay(module, &replay_options, &err)
                        : 0;
  free(raw);
  if (!failed && single) {
    failed = srr_module_lower_memories(module, &err);
  }
  if (failed) {
    srr_cli_error(input, "%s", err.message);
    status = SRR_EXIT_FAILURE;
  } else if (srr_module_validate(module, &err) != 0) {
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
