/*
 * srr_trace_reader.h: reading shadowrr traces (docs/trace-format.md). Native
 * only (uses malloc and lz4); the encoding half, which also runs inside the
 * recorder, is srr_trace.h.
 *
 * Reading goes in three layers, each usable alone:
 *   1. srr_trace_open: checks and parses the file header;
 *   2. srr_trace_next_chunk: walks the chunks, decoding raw and LZ4 ones and
 *      checking their CRC-32; srr_trace_read_events concatenates them;
 *   3. srr_event_next: decodes the events of that concatenation, typing each
 *      value by the signature the header gives.
 * srr_trace_summarize runs them all and counts. The decoding itself (numbers,
 * header fields, chunk headers, events) is srr_trace_decode.h, shared with
 * the replayer that runs inside replay modules.
 *
 * Nothing here prints. Functions that can fail fill an srr_trace_error whose
 * message is one line such as "corrupt trace: event 12 at byte 80: unknown
 * import 9" (the CLI puts "shadowrr: FILE: " before it).
 *
 * A truncated trace (the run was killed mid-write) is not an error: the
 * chunk walk stops at the damage, the events before it are usable, and
 * srr_trace_truncation says what and where.
 */
#ifndef SHADOWRR_TRACE_READER_H
#define SHADOWRR_TRACE_READER_H

#include <stddef.h>
#include <stdint.h>

#include "srr_trace.h"
#include "srr_trace_decode.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Errors --------------------------------------------------------------- */

typedef enum srr_trace_status {
  SRR_TRACE_OK = 0,
  SRR_TRACE_FOREIGN,     /* not a shadowrr trace (wrong magic) */
  SRR_TRACE_VERSION,     /* a major version this reader does not read */
  SRR_TRACE_CORRUPT,     /* damaged: bad checksum, malformed header or event */
  SRR_TRACE_TRUNCATED,   /* the file ends inside its header: nothing usable */
  SRR_TRACE_OUT_OF_MEMORY
} srr_trace_status;

typedef struct srr_trace_error {
  srr_trace_status status;
  char message[256]; /* one line, no trailing newline */
} srr_trace_error;

/* ---- The header ----------------------------------------------------------- */

/* Function types are srr_trace_signature (srr_trace_decode.h). */

/* Strings are copies of the trace's `str`s with a NUL added (a name holding
 * a NUL byte shows only up to it). */
typedef struct srr_trace_import {
  uint32_t index; /* among the module's function imports */
  char *module;
  char *name;
  srr_trace_signature signature;
} srr_trace_import;

typedef struct srr_trace_export {
  uint32_t index; /* among the module's function exports */
  char *name;
  srr_trace_signature signature;
} srr_trace_export;

typedef struct srr_trace_memory {
  uint32_t index;
  uint64_t initial_pages;
  int has_max;
  uint64_t max_pages; /* 0 unless has_max */
} srr_trace_memory;

typedef struct srr_trace_global {
  uint32_t index;
  uint8_t type; /* enum srr_value_type */
  char *export_name;
} srr_trace_global;

typedef struct srr_trace_table {
  uint32_t index; /* among the module's tables */
  uint8_t type;   /* SRR_T_EXTERNREF */
} srr_trace_table;

/* Every field of the header. The arrays are sorted by index, with no index
 * twice (srr_trace_find_* look them up). */
typedef struct srr_trace_header {
  uint16_t major, minor;
  uint8_t module_sha256[32];
  char *module_name; /* NULL when the field is absent */
  char *recorder;    /* NULL when absent */
  int has_flags;
  uint64_t flags; /* SRR_FLAG_*; 0 when absent */
  int has_shadow_offset;
  uint64_t shadow_offset;
  srr_trace_import *imports;
  uint32_t import_count;
  srr_trace_export *exports;
  uint32_t export_count;
  srr_trace_memory *memories;
  uint32_t memory_count;
  srr_trace_global *globals;
  uint32_t global_count;
  srr_trace_table *tables; /* host-writable externref tables (1.1) */
  uint32_t table_count;
  uint32_t unknown_field_count; /* fields skipped because their tag is new */
  size_t size; /* bytes from the start of the file to the first chunk */
} srr_trace_header;

typedef struct srr_trace srr_trace;

/* Checks and parses the file header of the trace in bytes[0..size). The bytes
 * are not copied: they must stay alive and unchanged until srr_trace_close.
 * Returns NULL and fills err when the file is foreign ("foreign file: not a
 * shadowrr trace"), of another major version ("trace format version 2.0 is
 * newer than this shadowrr (1.0)"), corrupt ("corrupt trace: header checksum
 * mismatch", or a malformed field) or ends inside its header. */
srr_trace *srr_trace_open(const uint8_t *bytes, size_t size, srr_trace_error *err);

/* Frees the trace (not the bytes it was opened on). NULL is allowed. */
void srr_trace_close(srr_trace *trace);

/* The parsed header; lives as long as the trace. */
const srr_trace_header *srr_trace_get_header(const srr_trace *trace);

/* Header entries by index, or NULL when the header has none. */
const srr_trace_import *srr_trace_find_import(const srr_trace *trace, uint64_t index);
const srr_trace_export *srr_trace_find_export(const srr_trace *trace, uint64_t index);
const srr_trace_memory *srr_trace_find_memory(const srr_trace *trace, uint64_t index);
const srr_trace_global *srr_trace_find_global(const srr_trace *trace, uint64_t index);
const srr_trace_table *srr_trace_find_table(const srr_trace *trace, uint64_t index);


/* ---- Chunks --------------------------------------------------------------- */

typedef struct srr_trace_chunk {
  uint32_t number;      /* 0 for the first chunk */
  size_t offset;        /* file offset of its SRRC header */
  uint8_t codec;        /* enum srr_codec */
  uint32_t raw_length;
  uint32_t stored_length;
  uint32_t crc;         /* of the raw bytes, checked */
  const uint8_t *raw;   /* raw_length event bytes: into the file for raw
                           chunks, else a buffer reused by the next call */
} srr_trace_chunk;

/* Steps to the next chunk and decodes it. Returns 1 with *chunk filled, 0 at
 * the end of the chunks, -1 on error (err filled: a bad magic or codec, a
 * checksum mismatch in a chunk that is not the last, out of memory). A file
 * that ends inside a chunk, or whose last chunk does not decode to its
 * checksum, also ends the walk with 0: srr_trace_truncation then says so. */
int srr_trace_next_chunk(srr_trace *trace, srr_trace_chunk *chunk, srr_trace_error *err);

/* Starts the chunk walk again from the first chunk. */
void srr_trace_rewind_chunks(srr_trace *trace);

/* After a chunk walk ended with 0: NULL if the trace was whole, else why it
 * is truncated ("chunk 3 at byte 1234 is cut short: the file ends after 20
 * of its 540 bytes"), with the file offset of the damage in *offset (if
 * offset is not NULL). The text lives as long as the trace. */
const char *srr_trace_truncation(const srr_trace *trace, size_t *offset);

/* Walks all chunks from the first and concatenates their raw bytes into a
 * malloc'd buffer (*events, *size; *events is non-NULL even when empty; free
 * it). Returns 0 (check srr_trace_truncation) or -1 with err filled. */
int srr_trace_read_events(srr_trace *trace, uint8_t **events, size_t *size, srr_trace_error *err);

/* ---- Events --------------------------------------------------------------- */

/* Values are srr_value (srr_trace_decode.h). */

typedef struct srr_event {
  uint64_t number; /* 0 for the first event of the trace */
  size_t offset;   /* where it starts in the concatenated event bytes */
  size_t size;     /* its encoded size */
  uint8_t kind;    /* enum srr_event_kind */
  /* IMPORT_*, EXPORT_*: the import or export, with the values of its params
   * (calls) or results (returns); GLOBAL_CHANGE: the global and 1 value. */
  uint32_t index;
  const srr_trace_import *import_entry; /* IMPORT_CALL, IMPORT_RETURN */
  const srr_trace_export *export_entry; /* EXPORT_CALL, EXPORT_RETURN */
  const srr_trace_global *global_entry; /* GLOBAL_CHANGE */
  const srr_value *values; /* owned by the cursor, until its next call */
  uint32_t value_count;
  /* MEMORY_WRITE, MEMORY_GROW, HOST_MEMORY_GROW */
  uint32_t memory;
  uint64_t address;           /* MEMORY_WRITE */
  uint64_t length;            /* MEMORY_WRITE */
  const uint8_t *bytes;       /* MEMORY_WRITE: length bytes, in the event bytes */
  uint64_t delta_pages;       /* MEMORY_GROW */
  int64_t result;             /* MEMORY_GROW: the old size in pages, or -1 */
  uint64_t new_pages;         /* HOST_MEMORY_GROW */
  uint32_t table;             /* HOST_TABLE_SET, HOST_TABLE_GROW, HOST_FUNCREF_CALL */
  uint64_t element;           /* HOST_TABLE_SET, HOST_FUNCREF_CALL */
  /* HOST_FUNCREF_CALL: the call's signature; values holds its arguments,
   * then its results. */
  srr_trace_signature signature;
  uint32_t non_null;          /* HOST_TABLE_SET: 1 non-null, 0 null */
  uint64_t new_size;          /* HOST_TABLE_GROW, in elements */
  /* TRAP: the message (not NUL-terminated), in the event bytes. */
  const char *message;
  size_t message_length;
} srr_event;

/* Decodes events from bytes[0..size) (srr_trace_read_events's output) using
 * the trace's header. Treat the fields as private. */
typedef struct srr_event_cursor {
  const srr_trace *trace;
  const uint8_t *bytes;
  size_t size;
  size_t position;
  uint64_t next_number;
  srr_value *values;
  uint32_t value_capacity;
} srr_event_cursor;

/* Starts a cursor at the first event. Returns 0, or -1 (out of memory). */
int srr_event_cursor_init(srr_event_cursor *cursor, const srr_trace *trace, const uint8_t *bytes,
                          size_t size, srr_trace_error *err);

/* Frees what the cursor holds (not the bytes). */
void srr_event_cursor_free(srr_event_cursor *cursor);

/* Decodes the next event into *event. Returns 1, 0 at the end of the bytes,
 * or -1 with err filled ("corrupt trace: event N at byte M: ..." for an
 * unknown kind, an import, export, memory or global the header does not
 * have, a malformed number, or an event running past the end). */
int srr_event_next(srr_event_cursor *cursor, srr_event *event, srr_trace_error *err);

/* ---- Summary -------------------------------------------------------------- */

typedef struct srr_trace_summary {
  uint64_t events;                         /* all kinds */
  uint64_t events_by_kind[SRR_EV_KIND_MAX + 1]; /* indexed by enum srr_event_kind */
  uint64_t memory_write_bytes;             /* sum of MEMORY_WRITE lengths */
  int complete;                            /* the last event is END or TRAP */
  uint64_t traps_resumed;                  /* TRAP events followed by more events:
                                              the host went on calling the module
                                              after a trap (format 1.1) */
  uint64_t raw_event_bytes;                /* sum of raw_length */
  uint64_t stored_chunk_bytes;             /* sum of stored_length */
  uint32_t chunks_raw;
  uint32_t chunks_lz4;
  const char *truncation;                  /* srr_trace_truncation, or NULL */
  size_t truncation_offset;
} srr_trace_summary;

/* Walks all chunks and events of the trace and counts. Returns 0 (the
 * summary of what is readable, truncated or not) or -1 with err filled. */
int srr_trace_summarize(srr_trace *trace, srr_trace_summary *summary, srr_trace_error *err);

#ifdef __cplusplus
}
#endif

#endif /* SHADOWRR_TRACE_READER_H */
