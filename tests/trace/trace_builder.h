/*
 * trace_builder.h: building traces in memory for the tests, with the
 * encoder of srr_trace.h (so that the tests exercise it too). Out of memory
 * aborts: these are tests.
 */
#ifndef SHADOWRR_TEST_TRACE_BUILDER_H
#define SHADOWRR_TEST_TRACE_BUILDER_H

#include <stddef.h>
#include <stdint.h>

#include "srr_trace.h"

/* A growing byte buffer. */
typedef struct tb_buffer {
  uint8_t *bytes;
  size_t size;
  size_t capacity;
} tb_buffer;

/* Returns room for n bytes at the end (not yet counted in size). */
uint8_t *tb_room(tb_buffer *b, size_t n);
/* Appends bytes. */
void tb_append(tb_buffer *b, const void *bytes, size_t n);
void tb_free(tb_buffer *b);

/* Header-body fields. */
void tb_field(tb_buffer *body, uint8_t tag, const void *payload, size_t n);
void tb_field_str(tb_buffer *body, uint8_t tag, const char *s);
void tb_field_uleb(tb_buffer *body, uint8_t tag, uint64_t value);
void tb_field_import(tb_buffer *body, uint32_t index, const char *module, const char *name,
                     const char *params, const char *results);
void tb_field_export(tb_buffer *body, uint32_t index, const char *name, const char *params,
                     const char *results);
void tb_field_memory(tb_buffer *body, uint32_t index, uint64_t initial, int has_max, uint64_t max);
void tb_field_global(tb_buffer *body, uint32_t index, uint8_t type, const char *name);

/* Signatures are given as strings of letters: i (i32), I (i64), f (f32),
 * F (f64), v (v128), r (funcref), e (externref); "" is none. */
void tb_types(const char *letters, uint8_t *codes);

/* Starts a file: prefix with the given version, the body, its CRC-32. */
void tb_file_start(tb_buffer *file, uint16_t major, uint16_t minor, const tb_buffer *body);
/* Appends a raw chunk holding events[0..n). */
void tb_chunk_raw(tb_buffer *file, const uint8_t *events, size_t n);
/* Appends an LZ4 chunk (one frame, content checksum) holding events[0..n). */
void tb_chunk_lz4(tb_buffer *file, const uint8_t *events, size_t n);

/* Events (appended to an event buffer). */
void tb_ev_head(tb_buffer *ev, enum srr_event_kind kind, uint32_t index);
void tb_ev_i32(tb_buffer *ev, uint32_t v);
void tb_ev_i64(tb_buffer *ev, uint64_t v);
void tb_ev_f32(tb_buffer *ev, uint32_t bits);
void tb_ev_f64(tb_buffer *ev, uint64_t bits);
void tb_ev_v128(tb_buffer *ev, uint64_t low, uint64_t high);
void tb_ev_ref(tb_buffer *ev, int non_null); /* funcref, externref */
void tb_ev_memory_write(tb_buffer *ev, uint32_t memory, uint64_t address, const uint8_t *bytes,
                        uint64_t length);
void tb_ev_memory_grow(tb_buffer *ev, uint32_t memory, uint64_t delta, int64_t result);
void tb_ev_host_memory_grow(tb_buffer *ev, uint32_t memory, uint64_t new_pages);
void tb_ev_trap(tb_buffer *ev, const char *message);
void tb_ev_end(tb_buffer *ev);

/* The sample trace: every header field (and one unknown tag), every event
 * kind and value type, in three raw chunks, the last one a 4 KiB memory
 * write that compresses well. tests/trace/trace_format.c checks every field
 * of it; tests/trace/cli.sh checks how the CLI shows it. The offsets of its
 * chunks go to chunk_offsets[0..3) if not NULL. */
#define TB_SAMPLE_CHUNKS 3
void tb_sample_header_body(tb_buffer *body);
void tb_sample_chunk_events(int chunk, tb_buffer *ev);
void tb_sample_trace(tb_buffer *file, size_t *chunk_offsets);

#endif /* SHADOWRR_TEST_TRACE_BUILDER_H */
