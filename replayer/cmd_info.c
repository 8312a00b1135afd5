/* shadowrr info: what a trace holds, in a few lines: the module it was
 * recorded from, the recorder, the events by kind, sizes, and whether the run
 * was recorded to its end. Also the trace loading shared by the commands that
 * read traces. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "file_io.h"
#include "srr_trace_reader.h"

static const char kUsage[] =
    "usage: shadowrr info TRACE.srr\n"
    "\n"
    "Prints what a trace holds: the module (name and SHA-256), the recorder,\n"
    "the imports, exports and memories, the events by kind, the bytes the host\n"
    "wrote into memory, the sizes raw and as stored, and whether the trace is\n"
    "complete. A truncated trace is summarised up to the damage, then reported\n"
    "on stderr with exit code 3.\n"
    "\n"
    "options:\n"
    "  -h, --help   this text\n";

int srr_cli_trace_exit_code(int status) {
  return status == SRR_TRACE_TRUNCATED ? SRR_EXIT_TRUNCATED : SRR_EXIT_FAILURE;
}

int srr_cli_load_trace(const char *path, srr_cli_trace *loaded) {
  memset(loaded, 0, sizeof *loaded);
  char why[256];
  if (srr_read_file(path, &loaded->file, &loaded->file_size, why, sizeof why) != 0) {
    srr_cli_error(path, "%s", why);
    return SRR_EXIT_FAILURE;
  }
  srr_trace_error err;
  loaded->trace = srr_trace_open(loaded->file, loaded->file_size, &err);
  if (!loaded->trace) {
    srr_cli_error(path, "%s", err.message);
    srr_cli_trace_free(loaded);
    return srr_cli_trace_exit_code(err.status);
  }
  return SRR_EXIT_OK;
}

void srr_cli_trace_free(srr_cli_trace *loaded) {
  srr_trace_close(loaded->trace);
  free(loaded->file);
  memset(loaded, 0, sizeof *loaded);
}

static void print_flags(const srr_trace_header *h) {
  if (!h->has_flags || h->flags == 0) {
    printf("none\n");
    return;
  }
  const char *sep = "";
  if (h->flags & SRR_FLAG_DURABLE) {
    printf("durable");
    sep = ", ";
  }
  uint64_t other = h->flags & ~(uint64_t)SRR_FLAG_DURABLE;
  if (other) {
    printf("%sunknown 0x%llx", sep, (unsigned long long)other);
  }
  putchar('\n');
}

int srr_cmd_info(int argc, char **argv) {
  srr_cli_args args;
  int parsed = srr_cli_parse("info", kUsage, argc, argv, NULL, 0, 1, 0, &args);
  if (parsed) {
    return parsed == 1 ? SRR_EXIT_OK : parsed;
  }
  const char *input = args.positional[0];
  if (!input) {
    return srr_cli_usage_error("info", "no trace given");
  }
  srr_cli_trace loaded;
  int status = srr_cli_load_trace(input, &loaded);
  if (status != SRR_EXIT_OK) {
    return status;
  }
  srr_trace_summary summary;
  srr_trace_error err;
  if (srr_trace_summarize(loaded.trace, &summary, &err) != 0) {
    srr_cli_error(input, "%s", err.message);
    srr_cli_trace_free(&loaded);
    return srr_cli_trace_exit_code(err.status);
  }
  const srr_trace_header *h = srr_trace_get_header(loaded.trace);

  printf("trace:          %s (format %u.%u)\n", input, h->major, h->minor);
  printf("module:         %s\n", h->module_name ? h->module_name : "(no name)");
  printf("module sha256:  ");
  for (int i = 0; i < 32; i++) {
    printf("%02x", h->module_sha256[i]);
  }
  printf("\nrecorder:       %s\n", h->recorder ? h->recorder : "(not said)");
  printf("flags:          ");
  print_flags(h);
  if (h->has_shadow_offset) {
    printf("shadow offset:  %llu\n", (unsigned long long)h->shadow_offset);
  }
  printf("imports:        %u\n", h->import_count);
  printf("exports:        %u\n", h->export_count);
  printf("memories:       %u\n", h->memory_count);
  for (uint32_t i = 0; i < h->memory_count; i++) {
    const srr_trace_memory *m = &h->memories[i];
    printf("  memory %u: pages initial %llu", m->index, (unsigned long long)m->initial_pages);
    if (m->has_max) {
      printf(", max %llu", (unsigned long long)m->max_pages);
    }
    putchar('\n');
  }
  printf("globals:        %u\n", h->global_count);
  if (h->table_count) {
    printf("tables:         %u (externref, written by the host)\n", h->table_count);
  }
  if (h->unknown_field_count) {
    printf("skipped header fields: %u (from a newer format version)\n", h->unknown_field_count);
  }
  printf("events:         %llu\n", (unsigned long long)summary.events);
  for (int kind = 1; kind <= SRR_EV_KIND_MAX; kind++) {
    printf("  %-18s %llu\n", srr_event_kind_name((uint8_t)kind),
           (unsigned long long)summary.events_by_kind[kind]);
  }
  printf("memory writes:  %llu bytes\n", (unsigned long long)summary.memory_write_bytes);
  printf("raw events:     %llu bytes\n", (unsigned long long)summary.raw_event_bytes);
  printf("file size:      %zu bytes\n", loaded.file_size);
  printf("chunks:         %u (%u raw, %u lz4)\n", summary.chunks_raw + summary.chunks_lz4,
         summary.chunks_raw, summary.chunks_lz4);
  if (summary.raw_event_bytes) {
    printf("stored:         %llu bytes for %llu raw (%.1f%%)\n",
           (unsigned long long)summary.stored_chunk_bytes, (unsigned long long)summary.raw_event_bytes,
           100.0 * (double)summary.stored_chunk_bytes / (double)summary.raw_event_bytes);
  } else {
    printf("stored:         %llu bytes for 0 raw\n", (unsigned long long)summary.stored_chunk_bytes);
  }
  if (summary.truncation) {
    printf("status:         truncated at byte %zu: %s\n", summary.truncation_offset, summary.truncation);
  } else if (summary.complete && summary.traps_resumed) {
    printf("status:         complete (goes on after %llu trap%s)\n",
           (unsigned long long)summary.traps_resumed, summary.traps_resumed == 1 ? "" : "s");
  } else if (summary.complete) {
    printf("status:         complete\n");
  } else {
    printf("status:         incomplete (no END or TRAP event: the run was stopped between chunks)\n");
  }
  fflush(stdout);
  status = SRR_EXIT_OK;
  if (summary.truncation) {
    srr_cli_error(input, "truncated trace: %s", summary.truncation);
    status = SRR_EXIT_TRUNCATED;
  }
  srr_cli_trace_free(&loaded);
  return status;
}
