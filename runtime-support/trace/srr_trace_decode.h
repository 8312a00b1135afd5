/*
 * srr_trace_decode.h: the decoding half of the trace format
 * (docs/trace-format.md), freestanding like the encoder (srr_trace.h): no
 * allocation, no libc, only <stddef.h>/<stdint.h>. It runs inside the
 * replayer (wasm32) and under the native reader (srr_trace_reader.c), so the
 * format is decoded by one implementation.
 *
 * Layers, each usable alone:
 *   - srr_dec: a bounds-checked cursor over bytes with LEB128, fixed-size
 *     integer, span, `str` and `signature` readers;
 *   - srr_check_file_header: the 16-byte prefix, the header body, its CRC;
 *   - srr_next_header_field and srr_dec_*_field: the header body's fields;
 *   - srr_check_chunk: one chunk header (the caller checks the CRC, after
 *     decompressing if it can);
 *   - srr_decode_event_head/_rest: one event at a cursor, its values typed
 *     by the caller from its header.
 *
 * Nothing here formats text: a failure leaves a static reason in
 * srr_dec.problem (and, for an unknown item, the number in problem_value),
 * which callers turn into messages.
 */
#ifndef SHADOWRR_TRACE_DECODE_H
#define SHADOWRR_TRACE_DECODE_H

#include <stddef.h>
#include <stdint.h>

#include "srr_trace.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Fixed-size little-endian integers (no bounds check) ----------------- */

static inline uint16_t srr_get_u16(const uint8_t *p) {
  return (uint16_t)(p[0] | p[1] << 8);
}
static inline uint32_t srr_get_u32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t srr_get_u64(const uint8_t *p) {
  return (uint64_t)srr_get_u32(p) | (uint64_t)srr_get_u32(p + 4) << 32;
}

/* ---- The cursor ------------------------------------------------------------ */

/* Reads bytes[position..size). Every reader returns 0, or -1 with `problem`
 * set (the first failure sticks: later reads fail too). Problems are static
 * strings:
 *   "runs past the end"
 *   "malformed LEB128 number (more than 64 bits)"
 *   "number larger than 32 bits"
 *   "unknown value type"
 *   "unknown import", "unknown export", "unknown global", "unknown memory",
 *   "unknown event kind"   (with the number in problem_value)
 *   "too many values"      (more than the caller's value array holds)
 * and whatever a caller passes to srr_dec_fail. */
typedef struct srr_dec {
  const uint8_t *bytes;
  size_t size;
  size_t position;
  const char *problem;
  uint64_t problem_value; /* for the "unknown ..." problems */
} srr_dec;

static inline srr_dec srr_dec_make(const uint8_t *bytes, size_t size) {
  srr_dec d = {bytes, size, 0, NULL, 0};
  return d;
}

/* Sets the problem (unless one is set) and returns -1. */
int srr_dec_fail(srr_dec *d, const char *problem);
int srr_dec_fail_value(srr_dec *d, const char *problem, uint64_t value);

int srr_dec_u8(srr_dec *d, uint8_t *value);
int srr_dec_u32(srr_dec *d, uint32_t *value); /* little-endian, 4 bytes */
int srr_dec_u64(srr_dec *d, uint64_t *value); /* little-endian, 8 bytes */
int srr_dec_uleb(srr_dec *d, uint64_t *value);
int srr_dec_uleb32(srr_dec *d, uint32_t *value);
int srr_dec_sleb(srr_dec *d, int64_t *value);
/* Points *bytes at the next n bytes (in place). */
int srr_dec_span(srr_dec *d, uint64_t n, const uint8_t **bytes);
/* A `str`: *s points at its bytes (not NUL-terminated), *length. */
int srr_dec_str(srr_dec *d, const uint8_t **s, size_t *length);

/* Whether type is one of enum srr_value_type. */
int srr_is_value_type(uint8_t type);
/* funcref or externref. */
int srr_is_ref_type(uint8_t type);

/* A function type. The type codes are enum srr_value_type; the arrays point
 * into the decoded bytes. */
typedef struct srr_trace_signature {
  uint32_t param_count;
  uint32_t result_count;
  const uint8_t *params;  /* param_count codes */
  const uint8_t *results; /* result_count codes */
} srr_trace_signature;

/* A `signature`; refuses unknown type codes. */
int srr_dec_signature(srr_dec *d, srr_trace_signature *sig);

/* Whether two signatures are the same type. */
int srr_signature_equal(const srr_trace_signature *a, const srr_trace_signature *b);

/* ---- The file header --------------------------------------------------------- */

typedef enum srr_file_header_status {
  SRR_FH_OK = 0,
  SRR_FH_EMPTY,    /* size 0 */
  SRR_FH_FOREIGN,  /* the magic (or as much of it as there is) differs */
  SRR_FH_SHORT,    /* the file ends inside its header; `need` is the whole
                      header's size once known (else 0) */
  SRR_FH_VERSION,  /* another major version (major, minor filled) */
  SRR_FH_CHECKSUM  /* the header body's CRC-32 does not match */
} srr_file_header_status;

typedef struct srr_file_header {
  uint16_t major, minor;
  const uint8_t *body;  /* the header body, in place */
  uint32_t body_size;
  uint64_t size;        /* prefix + body + CRC: where the first chunk starts */
  uint64_t need;        /* SRR_FH_SHORT: bytes the header needs, or 0 */
} srr_file_header;

/* Checks the prefix and the header's CRC of the file in bytes[0..size), in
 * this order: empty, magic, (short), major version, (short), CRC. */
srr_file_header_status srr_check_file_header(const uint8_t *bytes, size_t size, srr_file_header *out);

/* ---- Header fields ----------------------------------------------------------- */

/* The next field of a header body (a cursor over it): 1 with *tag and the
 * payload (in place), 0 at the end of the body, -1 when the field runs past
 * the end (body->problem set; *tag is filled if it was read). */
int srr_next_header_field(srr_dec *body, uint8_t *tag, const uint8_t **payload, uint64_t *length);

/* Decoders of known fields' payloads (a cursor over the payload). Strings
 * point into the payload, with their length. Trailing bytes after the known
 * part are left unread (a newer minor version may add them). */
typedef struct srr_hdr_import {
  uint32_t index;
  const uint8_t *module;
  size_t module_length;
  const uint8_t *name;
  size_t name_length;
  srr_trace_signature signature;
} srr_hdr_import;

typedef struct srr_hdr_export {
  uint32_t index;
  const uint8_t *name;
  size_t name_length;
  srr_trace_signature signature;
} srr_hdr_export;

typedef struct srr_hdr_memory {
  uint32_t index;
  uint64_t initial_pages;
  uint8_t has_max;
  uint64_t max_pages; /* 0 unless has_max */
} srr_hdr_memory;

typedef struct srr_hdr_global {
  uint32_t index;
  uint8_t type;
  const uint8_t *export_name;
  size_t export_name_length;
} srr_hdr_global;

int srr_dec_import_field(srr_dec *payload, srr_hdr_import *out);
int srr_dec_export_field(srr_dec *payload, srr_hdr_export *out);
int srr_dec_memory_field(srr_dec *payload, srr_hdr_memory *out); /* "has_max is neither 0 nor 1" */
int srr_dec_global_field(srr_dec *payload, srr_hdr_global *out);

/* TABLE: an externref table the host can write (exported or imported), by
 * its index among the module's tables. */
typedef struct srr_hdr_table {
  uint32_t index;
  uint8_t type; /* SRR_T_EXTERNREF */
} srr_hdr_table;
int srr_dec_table_field(srr_dec *payload, srr_hdr_table *out); /* "unknown table type" */

/* ---- Chunks ------------------------------------------------------------------- */

typedef enum srr_chunk_status {
  SRR_CHUNK_OK = 0,
  SRR_CHUNK_NONE,          /* no bytes left: the chunks are over */
  SRR_CHUNK_BAD_MAGIC,     /* no SRRC (as much of it as there is) */
  SRR_CHUNK_SHORT_HEADER,  /* the file ends inside the 20-byte header */
  SRR_CHUNK_BAD_CODEC,     /* codec filled */
  SRR_CHUNK_RAW_MISMATCH,  /* a raw chunk whose raw_length != stored_length */
  SRR_CHUNK_SHORT          /* the file ends inside the stored bytes */
} srr_chunk_status;

typedef struct srr_chunk_info {
  uint8_t codec;
  uint32_t raw_length;
  uint32_t stored_length;
  uint32_t crc;
  const uint8_t *stored; /* stored_length bytes after the header */
  int is_last;           /* the chunk ends exactly at the end of the bytes */
} srr_chunk_info;

/* Checks the chunk starting at bytes[0..left) (left = bytes to the end of
 * the file). The fields of *out are filled as far as they could be read. */
srr_chunk_status srr_check_chunk(const uint8_t *bytes, size_t left, srr_chunk_info *out);

/* ---- Events ------------------------------------------------------------------- */

/* One decoded value. f32/f64 are kept as bits so NaN payloads survive. */
typedef struct srr_value {
  uint8_t type; /* enum srr_value_type */
  union {
    uint32_t i32;
    uint64_t i64;
    uint32_t f32_bits;
    uint64_t f64_bits;
    uint8_t v128[16]; /* in memory order: the low half first */
    uint32_t non_null; /* funcref, externref: 1 non-null, 0 null */
  } as;
} srr_value;

/* One value of the given type. */
int srr_dec_value(srr_dec *d, uint8_t type, srr_value *value);

/* One event, as srr_decode_event_head/_rest find it. Pointers go into the
 * bytes. */
typedef struct srr_decoded_event {
  uint8_t kind;        /* enum srr_event_kind */
  size_t size;         /* its encoded size (set by srr_decode_event_rest) */
  /* IMPORT_*, EXPORT_*, GLOBAL_CHANGE, MEMORY_*, HOST_MEMORY_GROW,
   * HOST_TABLE_*: the import, export, global, memory or table it names
   * (srr_event_index_space). */
  uint64_t index;
  /* IMPORT_*, EXPORT_*, GLOBAL_CHANGE: the types of its values (params of
   * calls, results of returns, the global's type), as the caller gave them. */
  const uint8_t *types;
  uint32_t value_count;
  uint64_t address;      /* MEMORY_WRITE */
  uint64_t length;       /* MEMORY_WRITE */
  const uint8_t *bytes;  /* MEMORY_WRITE: length bytes */
  uint64_t delta_pages;  /* MEMORY_GROW */
  int64_t result;        /* MEMORY_GROW: the old size in pages, or -1 */
  uint64_t new_pages;    /* HOST_MEMORY_GROW */
  uint64_t element;      /* HOST_TABLE_SET, HOST_FUNCREF_CALL */
  uint32_t non_null;     /* HOST_TABLE_SET: 1 non-null, 0 null */
  uint64_t new_size;     /* HOST_TABLE_GROW: in elements */
  /* HOST_FUNCREF_CALL: the call's signature (from the event itself); its
   * values are the arguments, then the results (value_count of them). */
  srr_trace_signature signature;
  const uint8_t *message;  /* TRAP (not NUL-terminated) */
  size_t message_length;
} srr_decoded_event;

/* What the index of an event of this kind names. */
enum srr_index_space {
  SRR_INDEX_NONE = 0, /* TRAP, END */
  SRR_INDEX_IMPORT,   /* IMPORT_CALL, IMPORT_RETURN */
  SRR_INDEX_EXPORT,   /* EXPORT_CALL, EXPORT_RETURN */
  SRR_INDEX_GLOBAL,   /* GLOBAL_CHANGE */
  SRR_INDEX_MEMORY,   /* MEMORY_WRITE, MEMORY_GROW, HOST_MEMORY_GROW */
  SRR_INDEX_TABLE     /* HOST_TABLE_SET, HOST_TABLE_GROW, HOST_FUNCREF_CALL */
};
enum srr_index_space srr_event_index_space(uint8_t kind);

/* Decoding one event takes two steps, so that the caller types its values
 * from the header in whatever form it keeps it (no callbacks, so no
 * function table in the wasm32 build):
 *
 *   srr_decode_event_head: the kind, and the index of the import, export,
 *     global or memory it names. Returns 0, or -1: "unknown event kind"
 *     (the kind in problem_value), a malformed or cut index.
 *   The caller checks the index against its header, refusing an unknown
 *     one with srr_dec_fail_value(d, "unknown import", ev->index) (or
 *     export, global, memory), and for IMPORT_*, EXPORT_* and GLOBAL_CHANGE
 *     finds the types of the event's values.
 *   srr_decode_event_rest: the rest of the event, its values typed by
 *     types[0..count) (ignored for the other kinds; HOST_FUNCREF_CALL
 *     carries its own) and decoded into
 *     values[0..count) (at most capacity of them: "too many values"; values
 *     may be NULL, and then they are only checked). Returns 0 with ev->size
 *     set and d past the event, or -1.
 * After a failure d->problem says why and the position is unspecified. */
int srr_decode_event_head(srr_dec *d, srr_decoded_event *ev);
int srr_decode_event_rest(srr_dec *d, const uint8_t *types, uint32_t count, srr_value *values,
                          uint32_t capacity, srr_decoded_event *ev);

/* The name of a value type ("i32" ... "v128"), or "?" for another code. */
const char *srr_value_type_name(uint8_t type);

/* The name of an event kind ("import_call" ... "end"), or "?". */
const char *srr_event_kind_name(uint8_t kind);

#ifdef __cplusplus
}
#endif

#endif /* SHADOWRR_TRACE_DECODE_H */
