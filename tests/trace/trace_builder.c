/* trace_builder.c: see trace_builder.h. */
#include "trace_builder.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lz4frame.h>

uint8_t *tb_room(tb_buffer *b, size_t n) {
  if (n > b->capacity - b->size) {
    size_t capacity = b->capacity ? b->capacity : 256;
    while (capacity - b->size < n) {
      capacity *= 2;
    }
    b->bytes = realloc(b->bytes, capacity);
    if (!b->bytes) {
      fprintf(stderr, "trace_builder: out of memory\n");
      abort();
    }
    b->capacity = capacity;
  }
  return b->bytes + b->size;
}

void tb_append(tb_buffer *b, const void *bytes, size_t n) {
  uint8_t *at = tb_room(b, n);
  if (n) {
    memcpy(at, bytes, n);
  }
  b->size += n;
}

void tb_free(tb_buffer *b) {
  free(b->bytes);
  memset(b, 0, sizeof *b);
}

void tb_types(const char *letters, uint8_t *codes) {
  for (size_t i = 0; letters[i]; i++) {
    switch (letters[i]) {
    case 'i': codes[i] = SRR_T_I32; break;
    case 'I': codes[i] = SRR_T_I64; break;
    case 'f': codes[i] = SRR_T_F32; break;
    case 'F': codes[i] = SRR_T_F64; break;
    case 'v': codes[i] = SRR_T_V128; break;
    case 'r': codes[i] = SRR_T_FUNCREF; break;
    case 'e': codes[i] = SRR_T_EXTERNREF; break;
    default: fprintf(stderr, "trace_builder: bad type letter %c\n", letters[i]); abort();
    }
  }
}

void tb_field(tb_buffer *body, uint8_t tag, const void *payload, size_t n) {
  body->size += srr_put_header_field(tb_room(body, 1 + SRR_MAX_ULEB + n), tag, payload, n);
}

void tb_field_str(tb_buffer *body, uint8_t tag, const char *s) {
  uint8_t payload[SRR_MAX_ULEB + 256];
  size_t n = srr_put_str(payload, s, strlen(s));
  tb_field(body, tag, payload, n);
}

void tb_field_uleb(tb_buffer *body, uint8_t tag, uint64_t value) {
  uint8_t payload[SRR_MAX_ULEB];
  tb_field(body, tag, payload, srr_put_uleb(payload, value));
}

static size_t put_signature(uint8_t *p, const char *params, const char *results) {
  uint8_t param_codes[64], result_codes[64];
  tb_types(params, param_codes);
  tb_types(results, result_codes);
  return srr_put_signature(p, param_codes, (uint32_t)strlen(params), result_codes,
                           (uint32_t)strlen(results));
}

void tb_field_import(tb_buffer *body, uint32_t index, const char *module, const char *name,
                     const char *params, const char *results) {
  uint8_t payload[1024];
  size_t n = srr_put_uleb(payload, index);
  n += srr_put_str(payload + n, module, strlen(module));
  n += srr_put_str(payload + n, name, strlen(name));
  n += put_signature(payload + n, params, results);
  tb_field(body, SRR_HDR_IMPORT, payload, n);
}

void tb_field_export(tb_buffer *body, uint32_t index, const char *name, const char *params,
                     const char *results) {
  uint8_t payload[1024];
  size_t n = srr_put_uleb(payload, index);
  n += srr_put_str(payload + n, name, strlen(name));
  n += put_signature(payload + n, params, results);
  tb_field(body, SRR_HDR_EXPORT, payload, n);
}

void tb_field_memory(tb_buffer *body, uint32_t index, uint64_t initial, int has_max, uint64_t max) {
  uint8_t payload[3 * SRR_MAX_ULEB + 1];
  size_t n = srr_put_uleb(payload, index);
  n += srr_put_uleb(payload + n, initial);
  payload[n++] = (uint8_t)has_max;
  if (has_max) {
    n += srr_put_uleb(payload + n, max);
  }
  tb_field(body, SRR_HDR_MEMORY, payload, n);
}

void tb_field_global(tb_buffer *body, uint32_t index, uint8_t type, const char *name) {
  uint8_t payload[512];
  size_t n = srr_put_uleb(payload, index);
  payload[n++] = type;
  n += srr_put_str(payload + n, name, strlen(name));
  tb_field(body, SRR_HDR_GLOBAL, payload, n);
}

void tb_file_start(tb_buffer *file, uint16_t major, uint16_t minor, const tb_buffer *body) {
  uint8_t *at = tb_room(file, SRR_FILE_PREFIX_SIZE);
  file->size += srr_put_file_prefix(at, (uint32_t)body->size);
  /* srr_put_file_prefix writes this version; tests of other versions patch it. */
  srr_put_u16(at + 8, major);
  srr_put_u16(at + 10, minor);
  tb_append(file, body->bytes, body->size);
  file->size += srr_put_u32(tb_room(file, 4), srr_crc32(0, body->bytes, body->size));
}

void tb_chunk_raw(tb_buffer *file, const uint8_t *events, size_t n) {
  uint32_t crc = srr_crc32(0, events, n);
  file->size += srr_put_chunk_header(tb_room(file, SRR_CHUNK_HEADER_SIZE), SRR_CODEC_RAW,
                                     (uint32_t)n, (uint32_t)n, crc);
  tb_append(file, events, n);
}

void tb_chunk_lz4(tb_buffer *file, const uint8_t *events, size_t n) {
  LZ4F_preferences_t prefs;
  memset(&prefs, 0, sizeof prefs);
  prefs.frameInfo.contentChecksumFlag = LZ4F_contentChecksumEnabled;
  size_t bound = LZ4F_compressFrameBound(n, &prefs);
  uint8_t *at = tb_room(file, SRR_CHUNK_HEADER_SIZE + bound);
  size_t stored = LZ4F_compressFrame(at + SRR_CHUNK_HEADER_SIZE, bound, events, n, &prefs);
  if (LZ4F_isError(stored)) {
    fprintf(stderr, "trace_builder: LZ4F_compressFrame: %s\n", LZ4F_getErrorName(stored));
    abort();
  }
  srr_put_chunk_header(at, SRR_CODEC_LZ4, (uint32_t)n, (uint32_t)stored, srr_crc32(0, events, n));
  file->size += SRR_CHUNK_HEADER_SIZE + stored;
}

void tb_ev_head(tb_buffer *ev, enum srr_event_kind kind, uint32_t index) {
  ev->size += srr_put_event_head(tb_room(ev, 1 + SRR_MAX_ULEB), kind, index);
}
void tb_ev_i32(tb_buffer *ev, uint32_t v) {
  ev->size += srr_put_value_i32(tb_room(ev, SRR_MAX_ULEB), v);
}
void tb_ev_i64(tb_buffer *ev, uint64_t v) {
  ev->size += srr_put_value_i64(tb_room(ev, SRR_MAX_ULEB), v);
}
void tb_ev_f32(tb_buffer *ev, uint32_t bits) {
  ev->size += srr_put_value_f32(tb_room(ev, 4), bits);
}
void tb_ev_f64(tb_buffer *ev, uint64_t bits) {
  ev->size += srr_put_value_f64(tb_room(ev, 8), bits);
}
void tb_ev_ref(tb_buffer *ev, int non_null) { ev->size += srr_put_value_ref(tb_room(ev, 1), non_null); }

void tb_ev_v128(tb_buffer *ev, uint64_t low, uint64_t high) {
  ev->size += srr_put_value_v128(tb_room(ev, SRR_MAX_VALUE_SIZE), low, high);
}
void tb_ev_memory_write(tb_buffer *ev, uint32_t memory, uint64_t address, const uint8_t *bytes,
                        uint64_t length) {
  ev->size += srr_put_memory_write_head(tb_room(ev, 1 + 3 * SRR_MAX_ULEB), memory, address, length);
  ev->size += srr_put_bytes(tb_room(ev, (size_t)length), bytes, (size_t)length);
}
void tb_ev_memory_grow(tb_buffer *ev, uint32_t memory, uint64_t delta, int64_t result) {
  ev->size += srr_put_memory_grow(tb_room(ev, 1 + 2 * SRR_MAX_ULEB + SRR_MAX_SLEB), memory, delta, result);
}
void tb_ev_host_memory_grow(tb_buffer *ev, uint32_t memory, uint64_t new_pages) {
  ev->size += srr_put_host_memory_grow(tb_room(ev, 1 + 2 * SRR_MAX_ULEB), memory, new_pages);
}
void tb_ev_trap(tb_buffer *ev, const char *message) {
  size_t n = strlen(message);
  ev->size += srr_put_trap(tb_room(ev, 1 + SRR_MAX_ULEB + n), message, n);
}
void tb_ev_end(tb_buffer *ev) {
  ev->size += srr_put_end(tb_room(ev, 1));
}

/* ---- The sample ------------------------------------------------------------ */

void tb_sample_header_body(tb_buffer *body) {
  uint8_t sha[32];
  for (int i = 0; i < 32; i++) {
    sha[i] = (uint8_t)(7 * i + 1);
  }
  tb_field(body, SRR_HDR_MODULE_SHA256, sha, 32);
  tb_field_str(body, SRR_HDR_MODULE_NAME, "sample.wasm");
  tb_field_import(body, 0, "wasi_snapshot_preview1", "fd_write", "iiii", "i");
  tb_field(body, 200, "future", 6); /* a tag from a newer minor version */
  tb_field_import(body, 2, "env", "wide", "Iv", "vI"); /* out of order on purpose */
  tb_field_import(body, 1, "env", "floats", "fF", "fF");
  tb_field_import(body, 3, "wasi_snapshot_preview1", "proc_exit", "i", "");
  tb_field_export(body, 0, "_start", "", "");
  tb_field_export(body, 1, "add", "ii", "i");
  tb_field_memory(body, 0, 2, 0, 0);
  tb_field_memory(body, 1, 1, 1, 4);
  tb_field_global(body, 0, SRR_T_I32, "counter");
  tb_field_global(body, 1, SRR_T_F64, "ratio");
  tb_field_str(body, SRR_HDR_RECORDER, "shadowrr-test 1.0");
  tb_field_uleb(body, SRR_HDR_FLAGS, SRR_FLAG_DURABLE);
  tb_field_uleb(body, SRR_HDR_SHADOW_OFFSET, 2147483648u);
}

void tb_sample_chunk_events(int chunk, tb_buffer *ev) {
  static const uint8_t kWritten[4] = {0x0c, 0, 0, 0};
  switch (chunk) {
  case 0:
    tb_ev_head(ev, SRR_EV_EXPORT_CALL, 0); /* #0 _start() */
    tb_ev_head(ev, SRR_EV_IMPORT_CALL, 0); /* #1 fd_write(1, 1024, 1, 1040) */
    tb_ev_i32(ev, 1);
    tb_ev_i32(ev, 1024);
    tb_ev_i32(ev, 1);
    tb_ev_i32(ev, 1040);
    tb_ev_memory_write(ev, 0, 1040, kWritten, 4); /* #2 */
    tb_ev_head(ev, SRR_EV_IMPORT_RETURN, 0);      /* #3 -> 12 */
    tb_ev_i32(ev, 12);
    break;
  case 1:
    tb_ev_head(ev, SRR_EV_IMPORT_CALL, 1); /* #4 floats(sNaN payload, -NaN payload) */
    tb_ev_f32(ev, 0x7fa00001u);
    tb_ev_f64(ev, 0xfff8000000000123ull);
    tb_ev_head(ev, SRR_EV_IMPORT_RETURN, 1); /* #5 -> (1.1f, 0.1) */
    tb_ev_f32(ev, 0x3f8ccccdu);
    tb_ev_f64(ev, 0x3fb999999999999aull);
    tb_ev_head(ev, SRR_EV_IMPORT_CALL, 2); /* #6 wide(-1, bytes 00..0f) */
    tb_ev_i64(ev, UINT64_MAX);
    tb_ev_v128(ev, 0x0706050403020100ull, 0x0f0e0d0c0b0a0908ull);
    tb_ev_head(ev, SRR_EV_IMPORT_RETURN, 2); /* #7 -> (v128, INT64_MIN) */
    tb_ev_v128(ev, UINT64_MAX, 0x8000000000000001ull);
    tb_ev_i64(ev, 0x8000000000000000ull);
    tb_ev_memory_grow(ev, 0, 1, 2);            /* #8 */
    tb_ev_memory_grow(ev, 1, 10, -1);          /* #9 */
    tb_ev_host_memory_grow(ev, 0, 5);          /* #10 */
    tb_ev_head(ev, SRR_EV_GLOBAL_CHANGE, 0);   /* #11 counter = -1 */
    tb_ev_i32(ev, 0xffffffffu);
    tb_ev_head(ev, SRR_EV_GLOBAL_CHANGE, 1);   /* #12 ratio = 2.5 */
    tb_ev_f64(ev, 0x4004000000000000ull);
    break;
  case 2: {
    uint8_t pattern[4096];
    for (int i = 0; i < 4096; i++) {
      pattern[i] = (uint8_t)(i & 7);
    }
    tb_ev_memory_write(ev, 1, 65536, pattern, sizeof pattern); /* #13 */
    tb_ev_head(ev, SRR_EV_EXPORT_CALL, 1);                     /* #14 add(2, 3) */
    tb_ev_i32(ev, 2);
    tb_ev_i32(ev, 3);
    tb_ev_head(ev, SRR_EV_EXPORT_RETURN, 1); /* #15 -> 5 */
    tb_ev_i32(ev, 5);
    tb_ev_head(ev, SRR_EV_IMPORT_CALL, 3); /* #16 proc_exit(0) */
    tb_ev_i32(ev, 0);
    tb_ev_trap(ev, "unreachable \"executed\"\n"); /* #17 */
    tb_ev_end(ev);                                 /* #18 */
    break;
  }
  default:
    break;
  }
}

void tb_sample_trace(tb_buffer *file, size_t *chunk_offsets) {
  tb_buffer body = {0};
  tb_sample_header_body(&body);
  tb_file_start(file, SRR_TRACE_MAJOR, SRR_TRACE_MINOR, &body);
  tb_free(&body);
  for (int c = 0; c < TB_SAMPLE_CHUNKS; c++) {
    tb_buffer ev = {0};
    tb_sample_chunk_events(c, &ev);
    if (chunk_offsets) {
      chunk_offsets[c] = file->size;
    }
    tb_chunk_raw(file, ev.bytes, ev.size);
    tb_free(&ev);
  }
}
