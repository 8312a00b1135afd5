/*
 * shadowrr_transform.h: the C face of shadowrr's module transform.
 *
 * The transform itself is a set of binaryen passes written in C++ (binaryen's
 * C API cannot add a memory, list memories, or say which memory an access
 * uses). Everything else in shadowrr is C and sees only this header.
 *
 * Every function that can fail returns 0 on success (or a non-NULL pointer)
 * and, on failure, a non-zero value (or NULL) with a one-line explanation in
 * *err. No function prints, exits or aborts on bad input.
 */
#ifndef SHADOWRR_TRANSFORM_H
#define SHADOWRR_TRANSFORM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A one-line, human-readable reason for a failure (no trailing newline). */
typedef struct srr_error {
  char message[512];
} srr_error;

/* A parsed WebAssembly module, owned by the caller until srr_module_free. */
typedef struct srr_module srr_module;

/* Parses a module from memory: a binary (starts with "\0asm") or, for golden
 * tests and hand-written examples, the text format. The module's features are
 * detected from what it uses (see srr_module_features). Returns NULL with a
 * reason in *err if the bytes are not a well-formed module. */
srr_module *srr_module_parse(const uint8_t *bytes, size_t size, srr_error *err);

/* Frees a module; NULL is allowed. */
void srr_module_free(srr_module *module);

/* Checks that shadowrr can instrument the module: refuses shared memories
 * (threads), 64-bit memories, and custom page sizes, naming the memory. */
int srr_module_check_supported(srr_module *module, srr_error *err);

/* Validates the module (as it is now, e.g. after a pass) with binaryen's
 * validator under the module's features; *err gets the first problem. */
int srr_module_validate(srr_module *module, srr_error *err);

/* Writes the module as a binary into a malloc'd buffer (*out, *size); the
 * caller frees *out. Keeps the name section so traps name functions. */
int srr_module_write_binary(srr_module *module, uint8_t **out, size_t *size,
                            srr_error *err);

/* Returns the module in the text format (binaryen's printer, no colours) as a
 * malloc'd NUL-terminated string, or NULL if out of memory. */
char *srr_module_to_text(srr_module *module);

/* Writes the names of the module's detected features, space separated, into
 * buf (always NUL-terminated). Returns buf. */
char *srr_module_features(srr_module *module, char *buf, size_t bufsize);

/* The SHA-256 of the bytes the module was parsed from (a trace names its
 * module by it). */
void srr_module_sha256(srr_module *module, uint8_t digest[32]);

/* Number of memories, defined and imported. */
uint32_t srr_module_memory_count(srr_module *module);

/* Every kind of instruction that touches a linear memory or its size. The
 * later passes must handle each of these; the access counter proves that no
 * kind is missed by comparing with an independent disassembler. */
typedef enum srr_access_kind {
  SRR_ACCESS_LOAD,           /* i32/i64/f32/f64/v128 .load*, non-atomic */
  SRR_ACCESS_STORE,          /* .store*, non-atomic */
  SRR_ACCESS_SIMD_LOAD,      /* v128.load*_splat, *x*_s/u, *_zero */
  SRR_ACCESS_SIMD_LANE_LOAD, /* v128.load*_lane */
  SRR_ACCESS_SIMD_LANE_STORE,/* v128.store*_lane */
  SRR_ACCESS_ATOMIC_LOAD,    /* *.atomic.load* */
  SRR_ACCESS_ATOMIC_STORE,   /* *.atomic.store* */
  SRR_ACCESS_ATOMIC_RMW,     /* *.atomic.rmw*.add/sub/and/or/xor/xchg */
  SRR_ACCESS_ATOMIC_CMPXCHG, /* *.atomic.rmw*.cmpxchg */
  SRR_ACCESS_ATOMIC_WAIT,    /* memory.atomic.wait32/64 */
  SRR_ACCESS_ATOMIC_NOTIFY,  /* memory.atomic.notify */
  SRR_ACCESS_MEMORY_INIT,    /* memory.init */
  SRR_ACCESS_MEMORY_COPY,    /* memory.copy */
  SRR_ACCESS_MEMORY_FILL,    /* memory.fill */
  SRR_ACCESS_MEMORY_SIZE,    /* memory.size */
  SRR_ACCESS_MEMORY_GROW,    /* memory.grow */
  SRR_ACCESS_DATA_DROP,      /* data.drop: no access, but it changes what
                                memory.init may copy */
  SRR_ACCESS_KIND_COUNT
} srr_access_kind;

/* The kind's stable name, e.g. "load", "memory_grow" (used in reports). */
const char *srr_access_kind_name(srr_access_kind kind);

/* Access counts of a whole module, per kind. */
typedef struct srr_access_counts {
  uint64_t count[SRR_ACCESS_KIND_COUNT];
} srr_access_counts;

/* Counts every memory access in every function body by kind (the
 * count-accesses pass). Does not change the module. */
int srr_count_accesses(srr_module *module, srr_access_counts *counts,
                       srr_error *err);

/* How a recording module is built (srr_instrument_record). */
typedef struct srr_record_options {
  /* Where the instrumented module writes its trace: relative to the preopened
   * directory "." (or the first preopen), or absolute within a preopen. */
  const char *trace_path;
  /* The module's file name, kept in the trace header (may be NULL). */
  const char *module_name;
  /* Non-zero: flush the trace at every event, so that a trap under a runtime
   * that cannot drain the buffer afterwards loses nothing. */
  int durable;
  /* Non-zero: every load is checked, the memories are never synced whole
   * and a WASI call's output is not reconciled when it returns, so the trace
   * holds exactly the host-written bytes the guest read: the least this
   * design can record, which the bench compares the real trace with. */
  int reads_only;
  /* Non-zero: the host is known to write the memories and tables only while
   * the guest calls out to it (an import, or a host function through a
   * table), as a WASI runner does (it instantiates, calls _start, and writes
   * nothing but what its imports write). An export the host calls from
   * outside such a call then finds the memories as the guest left them, so
   * the recorder neither checks nor syncs for it; and a module that imports
   * no function cannot reach the host through its exported tables. A host
   * that writes the memories at any other time (before calling an export)
   * loses those bytes from the trace. */
  int host_writes_in_calls;
  /* Function imports ("module.name", `pure_import_count` of them) known to
   * write no memory the host can reach (e.g. sightglass's bench.start and
   * bench.end): their calls and results are recorded as any import's, but
   * they leave the memories synced, as a WASI function with no output does.
   * Each name must be a function import of the module. */
  const char *const *pure_imports;
  size_t pure_import_count;
} srr_record_options;

/* The record transform (docs/trace-format.md, recorder_abi.h): adds a shadow
 * memory to every memory, shadows every store and checks every load, keeps
 * bulk memory and memory.grow in step, wraps every import and export, and
 * merges the recorder in. The module must have passed
 * srr_module_check_supported; validate the result afterwards. */
int srr_instrument_record(srr_module *module, const srr_record_options *options, srr_error *err);

/* How a replay module is built (srr_instrument_replay). */
typedef struct srr_replay_options {
  /* The trace file the replay module reads at run time (relative to the
   * preopen "." or absolute within a preopen); a SHADOWRR_REPLAY_TRACE
   * variable in the replay's environment overrides it. Ignored when the
   * trace is embedded. */
  const char *trace_path;
  /* A raw (unpacked) trace to embed in the module; size 0: none. With one,
   * the module's imported memories, globals and tables become its own,
   * filled from the trace (an imported memory or table starts as large as
   * the recording's host made it; an immutable global is a constant). */
  const uint8_t *embedded_trace;
  size_t embedded_trace_size;
  /* The module's file name, for the header compared with the trace's. */
  const char *module_name;
  /* Non-zero: the guest's stdout/stderr writes are not passed through. With
   * an embedded trace this makes a module that imports nothing. */
  int quiet;
  /* Non-zero: replay a trace recorded from another build of the program (its
   * SHA-256 differs); every event is still checked. */
  int allow_other_module;
  /* Imports ("module.name", e.g. "bench.start") that, once checked against
   * the trace, are also called for real, with the same arguments: they stay
   * imports of the replay module. Their results, and whatever the real call
   * does to the guest's memory, give way to the recorded ones. For hosts
   * that must see a call (a benchmark's timer, a progress marker). Each
   * must name an import of the module. */
  const char *const *passthrough;
  size_t passthrough_count;
} srr_replay_options;

/* The replay transform (replayer_abi.h): the guest's own code, without
 * shadow memory, with every import answered from the trace by the merged-in
 * replayer, memory.grow replayed, and `_start` a driver that calls the
 * exports in recorded order. The module must have passed
 * srr_module_check_supported; validate the result afterwards. */
int srr_instrument_replay(srr_module *module, const srr_replay_options *options, srr_error *err);

/* Lowers the module's memories to one (binaryen's multi-memory-lowering),
 * for engines without multi-memory (node 20); run after srr_instrument_record
 * or srr_instrument_replay, before validating. The memories are laid end to
 * end in their order; the first keeps its addresses and must be the one
 * exported as "memory". Exports of the other memories are removed, but for
 * "shadowrr_memory", which then exports the one memory, with the addresses
 * the shadowrr_*_ptr exports return moved to match. Each memory's maximum
 * is checked at its memory.grow, and what it grows by is zeroed. An access past the end of a memory that
 * should trap reaches the next memory instead. A module with one memory or
 * none is left as it is. Refuses an imported memory and an active data
 * segment whose offset is not a constant. */
int srr_module_lower_memories(srr_module *module, srr_error *err);

/* For golden tests and for reading: applies one step of the record transform
 * alone ("shadow-memories", "shadow-stores", "shadow-loads", "shadow-bulk",
 * "shadow-globals", "record-imports", "record-exports"), with the recorder's functions stood in
 * by imports from module "recorder", so the result is small and valid. */
int srr_record_pass_preview(srr_module *module, const char *pass, srr_error *err);

#ifdef __cplusplus
}
#endif

#endif /* SHADOWRR_TRANSFORM_H */
