/* trace_format: the trace format's encoder (srr_trace.h), reader
 * (srr_trace_reader.h) and packer (trace_pack.h), on traces built in memory:
 * every field read back, every byte offset of truncation, damaged and
 * foreign files refused with the documented message. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "srr_trace.h"
#include "srr_trace_reader.h"
#include "trace_builder.h"
#include "trace_pack.h"

static int passed, failed;

static int check(int ok, const char *what, const char *file, int line) {
  if (ok) {
    passed++;
  } else {
    failed++;
    printf("FAIL %s:%d: %s\n", file, line, what);
  }
  return ok;
}
#define CHECK(cond) check((cond) != 0, #cond, __FILE__, __LINE__)
#define CHECK_EQ(a, b)                                                                            \
  do {                                                                                            \
    unsigned long long a_ = (unsigned long long)(a), b_ = (unsigned long long)(b);                \
    if (!check(a_ == b_, #a " == " #b, __FILE__, __LINE__)) {                                     \
      printf("     got %llu (0x%llx), expected %llu (0x%llx)\n", a_, a_, b_, b_);               \
    }                                                                                             \
  } while (0)
#define CHECK_STR(a, b)                                                                           \
  do {                                                                                            \
    const char *a_ = (a), *b_ = (b);                                                              \
    if (!check(a_ && strcmp(a_, b_) == 0, #a " is \"" #b "\"", __FILE__, __LINE__)) {            \
      printf("     got \"%s\"\n", a_ ? a_ : "(null)");                                           \
    }                                                                                             \
  } while (0)
#define CHECK_BYTES(p, n, ...)                                                                    \
  do {                                                                                            \
    static const uint8_t expected_[] = {__VA_ARGS__};                                            \
    check((n) == sizeof expected_ && memcmp((p), expected_, sizeof expected_) == 0,               \
          #p " holds " #__VA_ARGS__, __FILE__, __LINE__);                                         \
  } while (0)

/* The trace is opened on an exact-size copy, so that a read past the end is
 * caught by the sanitizers rather than landing in the rest of a buffer. */
typedef struct opened {
  uint8_t *copy;
  srr_trace *trace;
  srr_trace_error err;
} opened;

static opened open_bytes(const uint8_t *bytes, size_t size) {
  opened o;
  memset(&o, 0, sizeof o);
  o.copy = malloc(size ? size : 1);
  memcpy(o.copy, bytes, size);
  o.trace = srr_trace_open(o.copy, size, &o.err);
  return o;
}

static void close_opened(opened *o) {
  srr_trace_close(o->trace);
  free(o->copy);
  memset(o, 0, sizeof *o);
}

/* A trace built in `file` (its header so far), the events in `ev` appended
 * as one raw chunk, opened with a cursor on its events. */
typedef struct event_reader {
  opened o;
  uint8_t *events;
  srr_event_cursor cursor;
  int ready; /* opened, read, cursor set */
} event_reader;

static void open_events(event_reader *r, tb_buffer *file, const tb_buffer *ev) {
  size_t size;
  tb_chunk_raw(file, ev->bytes, ev->size);
  r->o = open_bytes(file->bytes, file->size);
  r->events = NULL;
  r->ready = r->o.trace && srr_trace_read_events(r->o.trace, &r->events, &size, &r->o.err) == 0 &&
             srr_event_cursor_init(&r->cursor, r->o.trace, r->events, size, &r->o.err) == 0;
}

/* Closes the reader and frees the buffers the trace was built in. */
static void close_events(event_reader *r, tb_buffer *body, tb_buffer *file, tb_buffer *ev) {
  if (r->ready) {
    srr_event_cursor_free(&r->cursor);
  }
  free(r->events);
  close_opened(&r->o);
  tb_free(body);
  tb_free(file);
  tb_free(ev);
}

static uint32_t u32_at(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* ---- The encoder ------------------------------------------------------------ */

static void test_encoder(void) {
  uint8_t b[64];
  size_t n;
  n = srr_put_uleb(b, 0);
  CHECK_BYTES(b, n, 0x00);
  n = srr_put_uleb(b, 127);
  CHECK_BYTES(b, n, 0x7f);
  n = srr_put_uleb(b, 128);
  CHECK_BYTES(b, n, 0x80, 0x01);
  n = srr_put_uleb(b, 624485);
  CHECK_BYTES(b, n, 0xe5, 0x8e, 0x26);
  n = srr_put_uleb(b, UINT64_MAX);
  CHECK_BYTES(b, n, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01);
  n = srr_put_sleb(b, 0);
  CHECK_BYTES(b, n, 0x00);
  n = srr_put_sleb(b, -1);
  CHECK_BYTES(b, n, 0x7f);
  n = srr_put_sleb(b, 63);
  CHECK_BYTES(b, n, 0x3f);
  n = srr_put_sleb(b, 64);
  CHECK_BYTES(b, n, 0xc0, 0x00);
  n = srr_put_sleb(b, -65);
  CHECK_BYTES(b, n, 0xbf, 0x7f);
  n = srr_put_sleb(b, -123456);
  CHECK_BYTES(b, n, 0xc0, 0xbb, 0x78);
  n = srr_put_sleb(b, INT64_MIN);
  CHECK_BYTES(b, n, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x7f);
  CHECK_EQ(srr_crc32(0, "123456789", 9), 0xcbf43926u);
  CHECK_EQ(srr_crc32(srr_crc32(0, "1234", 4), "56789", 5), 0xcbf43926u);

  n = srr_put_u64(b, 0x0807060504030201ull);
  CHECK_BYTES(b, n, 1, 2, 3, 4, 5, 6, 7, 8);
  n = srr_put_str(b, "ab", 2);
  CHECK_BYTES(b, n, 2, 'a', 'b');
  uint8_t params[2] = {SRR_T_I32, SRR_T_V128}, results[1] = {SRR_T_F64};
  n = srr_put_signature(b, params, 2, results, 1);
  CHECK_BYTES(b, n, 2, 0x7f, 0x7b, 1, 0x7c);
  n = srr_put_signature(b, NULL, 0, NULL, 0);
  CHECK_BYTES(b, n, 0, 0);
  n = srr_put_header_field(b, SRR_HDR_FLAGS, "\x01", 1);
  CHECK_BYTES(b, n, 8, 1, 1);
  n = srr_put_value_i32(b, 0xffffffffu);
  CHECK_BYTES(b, n, 0xff, 0xff, 0xff, 0xff, 0x0f);
  n = srr_put_value_i64(b, 300);
  CHECK_BYTES(b, n, 0xac, 0x02);
  n = srr_put_value_f32(b, 0x7fa00001u);
  CHECK_BYTES(b, n, 0x01, 0x00, 0xa0, 0x7f);
  n = srr_put_value_f64(b, 0xfff8000000000123ull);
  CHECK_BYTES(b, n, 0x23, 0x01, 0, 0, 0, 0, 0xf8, 0xff);
  n = srr_put_value_v128(b, 0x0706050403020100ull, 0x0f0e0d0c0b0a0908ull);
  CHECK_BYTES(b, n, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  n = srr_put_event_head(b, SRR_EV_IMPORT_CALL, 300);
  CHECK_BYTES(b, n, 1, 0xac, 0x02);
  n = srr_put_memory_write_head(b, 0, 1040, 4);
  CHECK_BYTES(b, n, 5, 0, 0x90, 0x08, 4);
  n = srr_put_memory_grow(b, 1, 10, -1);
  CHECK_BYTES(b, n, 6, 1, 10, 0x7f);
  n = srr_put_host_memory_grow(b, 0, 5);
  CHECK_BYTES(b, n, 7, 0, 5);
  n = srr_put_trap(b, "ab", 2);
  CHECK_BYTES(b, n, 9, 2, 'a', 'b');
  n = srr_put_end(b);
  CHECK_BYTES(b, n, 10);
  n = srr_put_file_prefix(b, 0x01020304);
  CHECK_BYTES(b, n, 0x89, 'S', 'R', 'R', '\r', '\n', 0x1a, '\n', 1, 0, 3, 0, 4, 3, 2, 1);
  n = srr_put_chunk_header(b, SRR_CODEC_LZ4, 0x100, 0x20, 0xdeadbeef);
  CHECK_BYTES(b, n, 'S', 'R', 'R', 'C', 1, 0, 0, 0, 0, 1, 0, 0, 0x20, 0, 0, 0, 0xef, 0xbe, 0xad, 0xde);
}

/* ---- The sample, read back --------------------------------------------------- */

static int value_is(const srr_value *v, uint8_t type, uint64_t bits) {
  if (v->type != type) {
    return 0;
  }
  switch (type) {
  case SRR_T_I32: return v->as.i32 == bits;
  case SRR_T_I64: return v->as.i64 == bits;
  case SRR_T_F32: return v->as.f32_bits == bits;
  case SRR_T_F64: return v->as.f64_bits == bits;
  default: return 0;
  }
}

static int v128_is(const srr_value *v, uint64_t low, uint64_t high) {
  uint8_t expected[16];
  srr_put_u64(expected, low);
  srr_put_u64(expected + 8, high);
  return v->type == SRR_T_V128 && memcmp(v->as.v128, expected, 16) == 0;
}

static void check_sample_header(const srr_trace *t) {
  const srr_trace_header *h = srr_trace_get_header(t);
  CHECK_EQ(h->major, 1);
  /* Written as the current version, and as 1.0 by test_sample_lz4 (a 1.0 trace reads the same). */
  CHECK(h->minor == SRR_TRACE_MINOR || h->minor == 0);
  int sha_ok = 1;
  for (int i = 0; i < 32; i++) {
    sha_ok &= h->module_sha256[i] == (uint8_t)(7 * i + 1);
  }
  CHECK(sha_ok);
  CHECK_STR(h->module_name, "sample.wasm");
  CHECK_STR(h->recorder, "shadowrr-test 1.0");
  CHECK(h->has_flags);
  CHECK_EQ(h->flags, SRR_FLAG_DURABLE);
  CHECK(h->has_shadow_offset);
  CHECK_EQ(h->shadow_offset, 2147483648u);
  CHECK_EQ(h->unknown_field_count, 1);
  CHECK_EQ(h->import_count, 4);
  if (h->import_count == 4) {
    for (uint32_t i = 0; i < 4; i++) {
      CHECK_EQ(h->imports[i].index, i); /* sorted, although given out of order */
    }
    CHECK_STR(h->imports[0].module, "wasi_snapshot_preview1");
    CHECK_STR(h->imports[0].name, "fd_write");
    CHECK_EQ(h->imports[0].signature.param_count, 4);
    CHECK_EQ(h->imports[0].signature.result_count, 1);
    CHECK(memcmp(h->imports[0].signature.params, "\x7f\x7f\x7f\x7f", 4) == 0);
    CHECK_EQ(h->imports[0].signature.results[0], SRR_T_I32);
    CHECK_STR(h->imports[1].module, "env");
    CHECK_STR(h->imports[1].name, "floats");
    CHECK(memcmp(h->imports[1].signature.params, "\x7d\x7c", 2) == 0);
    CHECK(memcmp(h->imports[1].signature.results, "\x7d\x7c", 2) == 0);
    CHECK_STR(h->imports[2].name, "wide");
    CHECK(memcmp(h->imports[2].signature.params, "\x7e\x7b", 2) == 0);
    CHECK(memcmp(h->imports[2].signature.results, "\x7b\x7e", 2) == 0);
    CHECK_STR(h->imports[3].name, "proc_exit");
    CHECK_EQ(h->imports[3].signature.param_count, 1);
    CHECK_EQ(h->imports[3].signature.result_count, 0);
  }
  CHECK_EQ(h->export_count, 2);
  if (h->export_count == 2) {
    CHECK_STR(h->exports[0].name, "_start");
    CHECK_EQ(h->exports[0].signature.param_count, 0);
    CHECK_EQ(h->exports[0].signature.result_count, 0);
    CHECK_STR(h->exports[1].name, "add");
    CHECK_EQ(h->exports[1].signature.param_count, 2);
    CHECK_EQ(h->exports[1].signature.result_count, 1);
  }
  CHECK_EQ(h->memory_count, 2);
  if (h->memory_count == 2) {
    CHECK_EQ(h->memories[0].initial_pages, 2);
    CHECK(!h->memories[0].has_max);
    CHECK_EQ(h->memories[1].index, 1);
    CHECK_EQ(h->memories[1].initial_pages, 1);
    CHECK(h->memories[1].has_max);
    CHECK_EQ(h->memories[1].max_pages, 4);
  }
  CHECK_EQ(h->global_count, 2);
  if (h->global_count == 2) {
    CHECK_EQ(h->globals[0].type, SRR_T_I32);
    CHECK_STR(h->globals[0].export_name, "counter");
    CHECK_EQ(h->globals[1].type, SRR_T_F64);
    CHECK_STR(h->globals[1].export_name, "ratio");
  }
  CHECK(srr_trace_find_import(t, 2) == &h->imports[2]);
  CHECK(srr_trace_find_import(t, 4) == NULL);
  CHECK(srr_trace_find_export(t, 1) == &h->exports[1]);
  CHECK(srr_trace_find_export(t, 2) == NULL);
  CHECK(srr_trace_find_memory(t, 1) == &h->memories[1]);
  CHECK(srr_trace_find_memory(t, 2) == NULL);
  CHECK(srr_trace_find_global(t, 0) == &h->globals[0]);
  CHECK(srr_trace_find_global(t, 2) == NULL);
}

/* Checks every field of every event of the sample. */
static void check_sample_events(const srr_trace *t, const uint8_t *events, size_t size) {
  srr_event_cursor c;
  srr_trace_error err;
  if (!CHECK(srr_event_cursor_init(&c, t, events, size, &err) == 0)) {
    return;
  }
  srr_event ev;
  int got;
  uint64_t count = 0;
  size_t expected_offset = 0;
  while ((got = srr_event_next(&c, &ev, &err)) == 1) {
    CHECK_EQ(ev.number, count);
    CHECK_EQ(ev.offset, expected_offset);
    expected_offset += ev.size;
    const srr_value *v = ev.values;
    switch (count) {
    case 0:
      CHECK(ev.kind == SRR_EV_EXPORT_CALL && ev.index == 0 && ev.value_count == 0);
      CHECK(ev.export_entry && strcmp(ev.export_entry->name, "_start") == 0);
      break;
    case 1:
      CHECK(ev.kind == SRR_EV_IMPORT_CALL && ev.index == 0 && ev.value_count == 4);
      CHECK(ev.import_entry && strcmp(ev.import_entry->name, "fd_write") == 0);
      CHECK(value_is(&v[0], SRR_T_I32, 1) && value_is(&v[1], SRR_T_I32, 1024) &&
            value_is(&v[2], SRR_T_I32, 1) && value_is(&v[3], SRR_T_I32, 1040));
      break;
    case 2:
      CHECK(ev.kind == SRR_EV_MEMORY_WRITE && ev.memory == 0 && ev.address == 1040 && ev.length == 4);
      CHECK(ev.bytes && memcmp(ev.bytes, "\x0c\0\0\0", 4) == 0);
      break;
    case 3:
      CHECK(ev.kind == SRR_EV_IMPORT_RETURN && ev.index == 0 && ev.value_count == 1);
      CHECK(value_is(&v[0], SRR_T_I32, 12));
      break;
    case 4: /* NaN payloads, a signalling one too, kept bit for bit */
      CHECK(ev.kind == SRR_EV_IMPORT_CALL && ev.index == 1 && ev.value_count == 2);
      CHECK(value_is(&v[0], SRR_T_F32, 0x7fa00001u));
      CHECK(value_is(&v[1], SRR_T_F64, 0xfff8000000000123ull));
      break;
    case 5:
      CHECK(ev.kind == SRR_EV_IMPORT_RETURN && ev.index == 1 && ev.value_count == 2);
      CHECK(value_is(&v[0], SRR_T_F32, 0x3f8ccccdu));
      CHECK(value_is(&v[1], SRR_T_F64, 0x3fb999999999999aull));
      break;
    case 6:
      CHECK(ev.kind == SRR_EV_IMPORT_CALL && ev.index == 2 && ev.value_count == 2);
      CHECK(value_is(&v[0], SRR_T_I64, UINT64_MAX));
      CHECK(v128_is(&v[1], 0x0706050403020100ull, 0x0f0e0d0c0b0a0908ull));
      break;
    case 7:
      CHECK(ev.kind == SRR_EV_IMPORT_RETURN && ev.index == 2 && ev.value_count == 2);
      CHECK(v128_is(&v[0], UINT64_MAX, 0x8000000000000001ull));
      CHECK(value_is(&v[1], SRR_T_I64, 0x8000000000000000ull));
      break;
    case 8:
      CHECK(ev.kind == SRR_EV_MEMORY_GROW && ev.memory == 0 && ev.delta_pages == 1 && ev.result == 2);
      break;
    case 9:
      CHECK(ev.kind == SRR_EV_MEMORY_GROW && ev.memory == 1 && ev.delta_pages == 10 && ev.result == -1);
      break;
    case 10:
      CHECK(ev.kind == SRR_EV_HOST_MEMORY_GROW && ev.memory == 0 && ev.new_pages == 5);
      break;
    case 11:
      CHECK(ev.kind == SRR_EV_GLOBAL_CHANGE && ev.index == 0 && ev.value_count == 1);
      CHECK(ev.global_entry && strcmp(ev.global_entry->export_name, "counter") == 0);
      CHECK(value_is(&v[0], SRR_T_I32, 0xffffffffu));
      break;
    case 12:
      CHECK(ev.kind == SRR_EV_GLOBAL_CHANGE && ev.index == 1 && ev.value_count == 1);
      CHECK(value_is(&v[0], SRR_T_F64, 0x4004000000000000ull));
      break;
    case 13: {
      CHECK(ev.kind == SRR_EV_MEMORY_WRITE && ev.memory == 1 && ev.address == 65536 && ev.length == 4096);
      int pattern_ok = ev.bytes != NULL;
      for (int i = 0; pattern_ok && i < 4096; i++) {
        pattern_ok = ev.bytes[i] == (i & 7);
      }
      CHECK(pattern_ok);
      break;
    }
    case 14:
      CHECK(ev.kind == SRR_EV_EXPORT_CALL && ev.index == 1 && ev.value_count == 2);
      CHECK(value_is(&v[0], SRR_T_I32, 2) && value_is(&v[1], SRR_T_I32, 3));
      break;
    case 15:
      CHECK(ev.kind == SRR_EV_EXPORT_RETURN && ev.index == 1 && ev.value_count == 1);
      CHECK(value_is(&v[0], SRR_T_I32, 5));
      break;
    case 16:
      CHECK(ev.kind == SRR_EV_IMPORT_CALL && ev.index == 3 && ev.value_count == 1);
      CHECK(value_is(&v[0], SRR_T_I32, 0));
      break;
    case 17:
      CHECK(ev.kind == SRR_EV_TRAP);
      CHECK(ev.message_length == 23 && memcmp(ev.message, "unreachable \"executed\"\n", 23) == 0);
      break;
    case 18:
      CHECK(ev.kind == SRR_EV_END && ev.size == 1);
      break;
    default:
      CHECK(!"more events than the sample holds");
    }
    count++;
  }
  CHECK_EQ(got, 0);
  CHECK_EQ(count, 19);
  CHECK_EQ(expected_offset, size);
  srr_event_cursor_free(&c);
}

static void check_sample_summary(srr_trace *t, uint32_t chunks_raw, uint32_t chunks_lz4) {
  srr_trace_summary s;
  srr_trace_error err;
  if (!CHECK(srr_trace_summarize(t, &s, &err) == 0)) {
    printf("     %s\n", err.message);
    return;
  }
  CHECK_EQ(s.events, 19);
  CHECK_EQ(s.events_by_kind[SRR_EV_IMPORT_CALL], 4);
  CHECK_EQ(s.events_by_kind[SRR_EV_IMPORT_RETURN], 3);
  CHECK_EQ(s.events_by_kind[SRR_EV_EXPORT_CALL], 2);
  CHECK_EQ(s.events_by_kind[SRR_EV_EXPORT_RETURN], 1);
  CHECK_EQ(s.events_by_kind[SRR_EV_MEMORY_WRITE], 2);
  CHECK_EQ(s.events_by_kind[SRR_EV_MEMORY_GROW], 2);
  CHECK_EQ(s.events_by_kind[SRR_EV_HOST_MEMORY_GROW], 1);
  CHECK_EQ(s.events_by_kind[SRR_EV_GLOBAL_CHANGE], 2);
  CHECK_EQ(s.events_by_kind[SRR_EV_TRAP], 1);
  CHECK_EQ(s.events_by_kind[SRR_EV_END], 1);
  CHECK_EQ(s.memory_write_bytes, 4100);
  CHECK(s.complete);
  CHECK(s.truncation == NULL);
  CHECK_EQ(s.chunks_raw, chunks_raw);
  CHECK_EQ(s.chunks_lz4, chunks_lz4);
  tb_buffer all = {0};
  for (int c = 0; c < TB_SAMPLE_CHUNKS; c++) {
    tb_sample_chunk_events(c, &all);
  }
  CHECK_EQ(s.raw_event_bytes, all.size);
  tb_free(&all);
}

/* Reads the trace whole and checks it is the sample. */
static void check_is_sample(const uint8_t *bytes, size_t size, uint32_t chunks_raw, uint32_t chunks_lz4) {
  opened o = open_bytes(bytes, size);
  if (!CHECK(o.trace != NULL)) {
    printf("     %s\n", o.err.message);
    close_opened(&o);
    return;
  }
  check_sample_header(o.trace);
  uint8_t *events;
  size_t events_size;
  CHECK(srr_trace_read_events(o.trace, &events, &events_size, &o.err) == 0);
  CHECK(srr_trace_truncation(o.trace, NULL) == NULL);
  check_sample_events(o.trace, events, events_size);
  free(events);
  check_sample_summary(o.trace, chunks_raw, chunks_lz4);
  close_opened(&o);
}

static void test_sample_raw(void) {
  tb_buffer file = {0};
  size_t offsets[TB_SAMPLE_CHUNKS];
  tb_sample_trace(&file, offsets);
  check_is_sample(file.bytes, file.size, 3, 0);

  /* The chunk walk, one chunk at a time. */
  opened o = open_bytes(file.bytes, file.size);
  CHECK(o.trace != NULL);
  if (o.trace) {
    CHECK_EQ(srr_trace_get_header(o.trace)->size, offsets[0]);
    srr_trace_chunk chunk;
    for (uint32_t c = 0; c < TB_SAMPLE_CHUNKS; c++) {
      tb_buffer ev = {0};
      tb_sample_chunk_events((int)c, &ev);
      CHECK_EQ(srr_trace_next_chunk(o.trace, &chunk, &o.err), 1);
      CHECK_EQ(chunk.number, c);
      CHECK_EQ(chunk.offset, offsets[c]);
      CHECK_EQ(chunk.codec, SRR_CODEC_RAW);
      CHECK_EQ(chunk.raw_length, ev.size);
      CHECK(memcmp(chunk.raw, ev.bytes, ev.size) == 0);
      tb_free(&ev);
    }
    CHECK_EQ(srr_trace_next_chunk(o.trace, &chunk, &o.err), 0);
    CHECK_EQ(srr_trace_next_chunk(o.trace, &chunk, &o.err), 0);
    srr_trace_rewind_chunks(o.trace);
    CHECK_EQ(srr_trace_next_chunk(o.trace, &chunk, &o.err), 1);
    CHECK_EQ(chunk.number, 0);
  }
  close_opened(&o);
  tb_free(&file);
}

/* The sample with its chunks LZ4 (made here with LZ4F directly, not by the
 * packer), then mixed raw and LZ4. */
static void test_sample_lz4(void) {
  tb_buffer body = {0}, all_lz4 = {0}, mixed = {0};
  tb_sample_header_body(&body);
  tb_file_start(&all_lz4, 1, 0, &body);
  tb_file_start(&mixed, 1, 0, &body);
  for (int c = 0; c < TB_SAMPLE_CHUNKS; c++) {
    tb_buffer ev = {0};
    tb_sample_chunk_events(c, &ev);
    tb_chunk_lz4(&all_lz4, ev.bytes, ev.size);
    if (c == 1) {
      tb_chunk_raw(&mixed, ev.bytes, ev.size);
    } else {
      tb_chunk_lz4(&mixed, ev.bytes, ev.size);
    }
    tb_free(&ev);
  }
  check_is_sample(all_lz4.bytes, all_lz4.size, 0, 3);
  check_is_sample(mixed.bytes, mixed.size, 1, 2);
  tb_free(&body);
  tb_free(&all_lz4);
  tb_free(&mixed);
}

static void test_pack(void) {
  tb_buffer file = {0};
  tb_sample_trace(&file, NULL);
  uint8_t *packed;
  size_t packed_size;
  srr_pack_result r;
  srr_trace_error err;
  if (!CHECK(srr_trace_pack(file.bytes, file.size, &packed, &packed_size, &r, &err) == 0)) {
    printf("     %s\n", err.message);
    tb_free(&file);
    return;
  }
  CHECK_EQ(r.size_before, file.size);
  CHECK_EQ(r.size_after, packed_size);
  CHECK(packed_size < file.size / 4); /* the 4 KiB write is 8 bytes repeated */
  CHECK(!r.truncated);
  /* The 4 KiB chunk compresses; whether the two small ones do is LZ4's call,
     but every chunk is counted once. */
  CHECK(r.chunks_packed >= 1);
  CHECK_EQ(r.chunks_packed + r.chunks_left_raw, 3);
  CHECK_EQ(r.chunks_were_lz4, 0);
  /* The header is kept byte for byte. */
  opened o = open_bytes(file.bytes, file.size);
  size_t header_size = o.trace ? srr_trace_get_header(o.trace)->size : 0;
  close_opened(&o);
  CHECK(header_size > 0 && memcmp(packed, file.bytes, header_size) == 0);
  check_is_sample(packed, packed_size, r.chunks_left_raw, r.chunks_packed);

  /* Packing again changes nothing. */
  uint8_t *again;
  size_t again_size;
  srr_pack_result r2;
  CHECK(srr_trace_pack(packed, packed_size, &again, &again_size, &r2, &err) == 0);
  CHECK(again_size == packed_size && memcmp(again, packed, packed_size) == 0);
  CHECK_EQ(r2.chunks_were_lz4, r.chunks_packed);
  CHECK_EQ(r2.chunks_packed, 0);
  free(again);

  /* A truncated trace: the whole chunks packed, the damaged tail kept. */
  size_t cut = file.size - 100; /* inside the last chunk */
  CHECK(srr_trace_pack(file.bytes, cut, &again, &again_size, &r2, &err) == 0);
  CHECK(r2.truncated);
  CHECK(strstr(r2.truncation, "chunk 2 at byte ") && strstr(r2.truncation, "is cut short"));
  o = open_bytes(again, again_size);
  if (CHECK(o.trace != NULL)) {
    uint8_t *events;
    size_t events_size;
    CHECK(srr_trace_read_events(o.trace, &events, &events_size, &o.err) == 0);
    CHECK(srr_trace_truncation(o.trace, NULL) != NULL);
    tb_buffer expected = {0};
    tb_sample_chunk_events(0, &expected);
    tb_sample_chunk_events(1, &expected);
    CHECK(events_size == expected.size && memcmp(events, expected.bytes, expected.size) == 0);
    tb_free(&expected);
    free(events);
  }
  close_opened(&o);
  free(again);

  /* Foreign and corrupt input is refused, with nothing allocated; an event
     the header does not allow is corrupt too, though every CRC is right. */
  CHECK(srr_trace_pack((const uint8_t *)"hello", 5, &again, &again_size, &r2, &err) == -1);
  CHECK(err.status == SRR_TRACE_FOREIGN && again == NULL);
  tb_buffer body = {0}, bad = {0}, ev = {0};
  tb_sample_header_body(&body);
  tb_file_start(&bad, 1, 0, &body);
  tb_ev_head(&ev, SRR_EV_EXPORT_CALL, 7);
  tb_chunk_raw(&bad, ev.bytes, ev.size);
  CHECK(srr_trace_pack(bad.bytes, bad.size, &again, &again_size, &r2, &err) == -1);
  CHECK(err.status == SRR_TRACE_CORRUPT && again == NULL);
  CHECK_STR(err.message, "corrupt trace: event 0 at byte 0: unknown export 7");
  tb_free(&body);
  tb_free(&bad);
  tb_free(&ev);
  free(packed);
  tb_free(&file);
}

/* ---- Truncation at every byte offset ----------------------------------------- */

static void check_every_cut(const uint8_t *bytes, size_t size, const char *label) {
  /* The whole trace's chunk boundaries and events. */
  opened whole = open_bytes(bytes, size);
  if (!CHECK(whole.trace != NULL)) {
    close_opened(&whole);
    return;
  }
  size_t header_size = srr_trace_get_header(whole.trace)->size;
  uint8_t *all_events;
  size_t all_size;
  CHECK(srr_trace_read_events(whole.trace, &all_events, &all_size, &whole.err) == 0);
  size_t chunk_start[64], events_before[64]; /* per chunk: file offset, raw bytes before it */
  int chunks = 0;
  srr_trace_rewind_chunks(whole.trace);
  srr_trace_chunk chunk;
  size_t raw_so_far = 0;
  while (chunks < 63 && srr_trace_next_chunk(whole.trace, &chunk, &whole.err) == 1) {
    chunk_start[chunks] = chunk.offset;
    events_before[chunks] = raw_so_far;
    raw_so_far += chunk.raw_length;
    chunks++;
  }
  chunk_start[chunks] = size;
  events_before[chunks] = raw_so_far;

  int bad = 0;
  for (size_t cut = 0; cut <= size; cut++) {
    opened o = open_bytes(bytes, cut);
    const char *problem = NULL;
    if (cut < header_size) {
      if (o.trace) {
        problem = "a cut header was accepted";
      } else if (cut == 0 ? o.err.status != SRR_TRACE_FOREIGN
                          : (o.err.status != SRR_TRACE_TRUNCATED ||
                             strncmp(o.err.message, "truncated trace: the file ends inside its header", 48) != 0)) {
        problem = o.err.message;
      }
    } else if (!o.trace) {
      problem = o.err.message;
    } else {
      uint8_t *events;
      size_t events_size;
      if (srr_trace_read_events(o.trace, &events, &events_size, &o.err) != 0) {
        problem = o.err.message;
      } else {
        int c = 0; /* the chunk the cut falls in, or starts */
        while (c < chunks && chunk_start[c + 1] <= cut) {
          c++;
        }
        size_t damage;
        const char *truncation = srr_trace_truncation(o.trace, &damage);
        int at_boundary = chunk_start[c] == cut;
        if (at_boundary && truncation) {
          problem = "truncated at a chunk boundary";
        } else if (!at_boundary && (!truncation || damage != chunk_start[c])) {
          problem = "not truncated, or at the wrong offset";
        } else if (events_size != events_before[c] || memcmp(events, all_events, events_size) != 0) {
          problem = "not the events of the whole chunks before the cut";
        } else {
          srr_event_cursor cursor;
          srr_event ev;
          int got;
          srr_event_cursor_init(&cursor, o.trace, events, events_size, &o.err);
          while ((got = srr_event_next(&cursor, &ev, &o.err)) == 1) {
          }
          srr_event_cursor_free(&cursor);
          if (got != 0) {
            problem = o.err.message;
          }
        }
        free(events);
      }
    }
    if (problem) {
      if (bad < 5) {
        printf("     %s cut at %zu of %zu: %s\n", label, cut, size, problem);
      }
      bad++;
    }
    close_opened(&o);
  }
  if (!check(bad == 0, "every cut is truncated or foreign, keeping the whole chunks", __FILE__, __LINE__)) {
    printf("     %s: %d bad cuts\n", label, bad);
  }
  free(all_events);
  close_opened(&whole);
}

static void test_truncation(void) {
  tb_buffer file = {0};
  tb_sample_trace(&file, NULL);
  check_every_cut(file.bytes, file.size, "raw sample");
  uint8_t *packed;
  size_t packed_size;
  srr_pack_result r;
  srr_trace_error err;
  if (CHECK(srr_trace_pack(file.bytes, file.size, &packed, &packed_size, &r, &err) == 0)) {
    check_every_cut(packed, packed_size, "packed sample");
    free(packed);
  }
  /* A header-only trace, and one with an empty chunk. */
  tb_buffer body = {0}, small = {0};
  tb_sample_header_body(&body);
  tb_file_start(&small, 1, 0, &body);
  check_every_cut(small.bytes, small.size, "header only");
  tb_chunk_raw(&small, NULL, 0);
  tb_buffer ev = {0};
  tb_ev_end(&ev);
  tb_chunk_raw(&small, ev.bytes, ev.size);
  check_every_cut(small.bytes, small.size, "empty chunk");
  tb_free(&ev);
  tb_free(&body);
  tb_free(&small);
  tb_free(&file);
}

/* Every byte of the trace changed in turn: the reader never crashes, and
 * never returns events other than the original's without saying so (the
 * reserved chunk bytes and the minor version are the only bytes that may
 * change without an error). */
static void check_every_byte_changed(const uint8_t *bytes, size_t size, const char *label) {
  opened whole = open_bytes(bytes, size);
  uint8_t *all_events = NULL;
  size_t all_size = 0;
  if (!CHECK(whole.trace && srr_trace_read_events(whole.trace, &all_events, &all_size, &whole.err) == 0)) {
    close_opened(&whole);
    return;
  }
  close_opened(&whole);
  uint8_t *changed = malloc(size);
  int bad = 0, unnoticed = 0;
  for (size_t at = 0; at < size; at++) {
    memcpy(changed, bytes, size);
    changed[at] ^= 0x5a;
    opened o = open_bytes(changed, size);
    if (!o.trace) {
      close_opened(&o);
      continue; /* refused: fine */
    }
    uint8_t *events = NULL;
    size_t events_size;
    if (srr_trace_read_events(o.trace, &events, &events_size, &o.err) == 0) {
      srr_trace_summary summary;
      int decodes = srr_trace_summarize(o.trace, &summary, &o.err) == 0;
      if (srr_trace_truncation(o.trace, NULL) == NULL && decodes) {
        unnoticed++;
        if (events_size != all_size || memcmp(events, all_events, all_size) != 0) {
          if (bad < 5) {
            printf("     %s: byte %zu changed, different events read without an error\n", label, at);
          }
          bad++;
        }
      }
    }
    free(events);
    close_opened(&o);
  }
  check(bad == 0, "no changed byte gives other events silently", __FILE__, __LINE__);
  /* Only the minor version (2 bytes) and 3 reserved bytes per chunk. */
  if (!check(unnoticed <= 2 + 3 * TB_SAMPLE_CHUNKS, "changes go unnoticed only where harmless", __FILE__,
             __LINE__)) {
    printf("     %s: %d changes unnoticed\n", label, unnoticed);
  }
  free(changed);
  free(all_events);
}

static void test_every_byte_changed(void) {
  tb_buffer file = {0};
  tb_sample_trace(&file, NULL);
  check_every_byte_changed(file.bytes, file.size, "raw sample");
  uint8_t *packed;
  size_t packed_size;
  srr_pack_result r;
  srr_trace_error err;
  if (CHECK(srr_trace_pack(file.bytes, file.size, &packed, &packed_size, &r, &err) == 0)) {
    check_every_byte_changed(packed, packed_size, "packed sample");
    free(packed);
  }
  tb_free(&file);
}

/* ---- Damage ------------------------------------------------------------------ */

/* Expects srr_trace_read_events to fail with a message starting with prefix
 * and holding also (if not NULL). */
static void expect_read_error(const uint8_t *bytes, size_t size, const char *prefix, const char *also) {
  opened o = open_bytes(bytes, size);
  if (!CHECK(o.trace != NULL)) {
    printf("     %s\n", o.err.message);
    close_opened(&o);
    return;
  }
  uint8_t *events = NULL;
  size_t events_size;
  int status = srr_trace_read_events(o.trace, &events, &events_size, &o.err);
  if (!check(status == -1 && o.err.status == SRR_TRACE_CORRUPT &&
                 strncmp(o.err.message, prefix, strlen(prefix)) == 0 && (!also || strstr(o.err.message, also)),
             prefix, __FILE__, __LINE__)) {
    printf("     got status %d: %s\n", status, status ? o.err.message : "(no error)");
  }
  CHECK(events == NULL);
  free(events);
  close_opened(&o);
}

/* Expects the trace to read as truncated, with the reason starting with
 * prefix and the events of the first `whole_chunks` sample chunks. */
static void expect_truncated(const uint8_t *bytes, size_t size, const char *prefix, int whole_chunks) {
  opened o = open_bytes(bytes, size);
  if (!CHECK(o.trace != NULL)) {
    close_opened(&o);
    return;
  }
  uint8_t *events;
  size_t events_size;
  if (CHECK(srr_trace_read_events(o.trace, &events, &events_size, &o.err) == 0)) {
    const char *why = srr_trace_truncation(o.trace, NULL);
    if (!check(why && strncmp(why, prefix, strlen(prefix)) == 0, prefix, __FILE__, __LINE__)) {
      printf("     got %s\n", why ? why : "(not truncated)");
    }
    tb_buffer expected = {0};
    for (int c = 0; c < whole_chunks; c++) {
      tb_sample_chunk_events(c, &expected);
    }
    CHECK(events_size == expected.size && memcmp(events, expected.bytes, expected.size) == 0);
    tb_free(&expected);
    free(events);
  }
  close_opened(&o);
}

static void expect_open_error(const uint8_t *bytes, size_t size, srr_trace_status status, const char *message) {
  opened o = open_bytes(bytes, size);
  if (!check(o.trace == NULL && o.err.status == status && strcmp(o.err.message, message) == 0, message,
             __FILE__, __LINE__)) {
    printf("     got %s\n", o.trace ? "an open trace" : o.err.message);
  }
  close_opened(&o);
}

static void test_damage(void) {
  tb_buffer file = {0};
  size_t off[TB_SAMPLE_CHUNKS];
  tb_sample_trace(&file, off);
  uint8_t *b = malloc(file.size);
  char text[160];

#define RESET() memcpy(b, file.bytes, file.size)
  /* A changed event byte, or CRC, in a chunk that is not the last: corrupt. */
  RESET();
  b[off[1] + SRR_CHUNK_HEADER_SIZE + 5] ^= 1;
  snprintf(text, sizeof text, "corrupt trace: chunk 1 at byte %zu: checksum mismatch", off[1]);
  expect_read_error(b, file.size, text, NULL);
  RESET();
  b[off[0] + 16] ^= 0x80;
  snprintf(text, sizeof text, "corrupt trace: chunk 0 at byte %zu: checksum mismatch", off[0]);
  expect_read_error(b, file.size, text, NULL);
  /* The same in the last chunk: the write was cut short, so truncated. */
  RESET();
  b[file.size - 1] ^= 1;
  snprintf(text, sizeof text, "last chunk 2 at byte %zu: checksum mismatch", off[2]);
  expect_truncated(b, file.size, text, 2);
  /* A file cut inside the last chunk's header, and inside its events. */
  snprintf(text, sizeof text, "chunk 2 at byte %zu is cut short: the file ends after 7 of its 20 header bytes", off[2]);
  expect_truncated(file.bytes, off[2] + 7, text, 2);
  snprintf(text, sizeof text, "chunk 2 at byte %zu is cut short: the file ends after 30 of its", off[2]);
  expect_truncated(file.bytes, off[2] + 30, text, 2);
  /* Chunk headers. */
  RESET();
  b[off[1]] = 'X';
  snprintf(text, sizeof text, "corrupt trace: chunk 1 at byte %zu: no SRRC chunk header", off[1]);
  expect_read_error(b, file.size, text, NULL);
  RESET();
  b[off[1] + 4] = 7;
  snprintf(text, sizeof text, "corrupt trace: chunk 1 at byte %zu: unknown codec 7", off[1]);
  expect_read_error(b, file.size, text, NULL);
  RESET();
  b[off[1] + 12] ^= 1; /* stored_length != raw_length */
  snprintf(text, sizeof text, "corrupt trace: chunk 1 at byte %zu: raw chunk with raw_length", off[1]);
  expect_read_error(b, file.size, text, NULL);
  /* Garbage after the last chunk. */
  tb_buffer tail = {0};
  tb_append(&tail, file.bytes, file.size);
  tb_append(&tail, "junk", 4);
  snprintf(text, sizeof text, "corrupt trace: chunk 3 at byte %zu: no SRRC chunk header", file.size);
  expect_read_error(tail.bytes, tail.size, text, NULL);
  tb_free(&tail);

  /* LZ4 chunks: a damaged frame in the middle is corrupt, at the end truncated. */
  tb_buffer body = {0}, lz = {0};
  tb_sample_header_body(&body);
  tb_file_start(&lz, 1, 0, &body);
  size_t lz_off[TB_SAMPLE_CHUNKS];
  for (int c = 0; c < TB_SAMPLE_CHUNKS; c++) {
    tb_buffer ev = {0};
    tb_sample_chunk_events(c, &ev);
    lz_off[c] = lz.size;
    tb_chunk_lz4(&lz, ev.bytes, ev.size);
    tb_free(&ev);
  }
  uint8_t *lb = malloc(lz.size);
  memcpy(lb, lz.bytes, lz.size);
  lb[lz_off[2] - 6] ^= 0xff; /* in chunk 1's frame, near its end */
  snprintf(text, sizeof text, "corrupt trace: chunk 1 at byte %zu: ", lz_off[1]);
  expect_read_error(lb, lz.size, text, NULL);
  memcpy(lb, lz.bytes, lz.size);
  lb[lz.size - 2] ^= 0xff; /* the last frame's content checksum */
  snprintf(text, sizeof text, "last chunk 2 at byte %zu: ", lz_off[2]);
  expect_truncated(lb, lz.size, text, 2);
  memcpy(lb, lz.bytes, lz.size);
  srr_put_u32(lb + lz_off[1] + 8, u32_at(lb + lz_off[1] + 8) + 1); /* raw_length one too many */
  snprintf(text, sizeof text, "corrupt trace: chunk 1 at byte %zu: LZ4 frame holds fewer than raw_length", lz_off[1]);
  expect_read_error(lb, lz.size, text, NULL);
  memcpy(lb, lz.bytes, lz.size);
  srr_put_u32(lb + lz_off[1] + 8, 0x7fffffff); /* must not allocate 2 GiB */
  snprintf(text, sizeof text, "corrupt trace: chunk 1 at byte %zu: raw_length too large", lz_off[1]);
  expect_read_error(lb, lz.size, text, NULL);
  free(lb);
  tb_free(&lz);

  /* The header. */
  RESET();
  b[20] ^= 1;
  expect_open_error(b, file.size, SRR_TRACE_CORRUPT, "corrupt trace: header checksum mismatch");
  RESET();
  b[off[0] - 1] ^= 1; /* the header CRC itself */
  expect_open_error(b, file.size, SRR_TRACE_CORRUPT, "corrupt trace: header checksum mismatch");
  RESET();
  b[0] = 'X';
  expect_open_error(b, file.size, SRR_TRACE_FOREIGN, "foreign file: not a shadowrr trace");
  expect_open_error((const uint8_t *)"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16, SRR_TRACE_FOREIGN,
                    "foreign file: not a shadowrr trace");
  expect_open_error((const uint8_t *)"\0asm\1\0\0\0", 8, SRR_TRACE_FOREIGN, "foreign file: not a shadowrr trace");
  expect_open_error((const uint8_t *)"", 0, SRR_TRACE_FOREIGN, "foreign file: not a shadowrr trace (empty file)");
  expect_open_error(b, 3, SRR_TRACE_FOREIGN, "foreign file: not a shadowrr trace");
  expect_open_error(file.bytes, 3, SRR_TRACE_TRUNCATED,
                    "truncated trace: the file ends inside its header (after 3 bytes)");
  RESET();
  srr_put_u16(b + 8, 2);
  srr_put_u16(b + 10, 0);
  expect_open_error(b, file.size, SRR_TRACE_VERSION,
                    "trace format version 2.0 is newer than this shadowrr (1.3)");
  expect_open_error(b, 12, SRR_TRACE_VERSION, "trace format version 2.0 is newer than this shadowrr (1.3)");
  srr_put_u16(b + 8, 0);
  srr_put_u16(b + 10, 9);
  expect_open_error(b, file.size, SRR_TRACE_VERSION,
                    "trace format version 0.9 is older than this shadowrr (1.3)");
#undef RESET
  free(b);
  tb_free(&body);
  tb_free(&file);
}

/* A trace of the sample header and one chunk: EXPORT_CALL 0 (2 bytes), then
 * the bad event, the last one. */
static void expect_event_error(const uint8_t *bad, size_t bad_size, uint16_t minor, const char *message) {
  tb_buffer body = {0}, file = {0}, ev = {0};
  tb_sample_header_body(&body);
  tb_file_start(&file, 1, minor, &body);
  tb_ev_head(&ev, SRR_EV_EXPORT_CALL, 0);
  tb_append(&ev, bad, bad_size);
  tb_chunk_raw(&file, ev.bytes, ev.size);
  opened o = open_bytes(file.bytes, file.size);
  uint8_t *events = NULL;
  size_t size;
  if (CHECK(o.trace && srr_trace_read_events(o.trace, &events, &size, &o.err) == 0)) {
    srr_event_cursor c;
    srr_event e;
    int got;
    srr_event_cursor_init(&c, o.trace, events, size, &o.err);
    CHECK_EQ(srr_event_next(&c, &e, &o.err), 1);
    got = srr_event_next(&c, &e, &o.err);
    if (!check(got == -1 && o.err.status == SRR_TRACE_CORRUPT && strcmp(o.err.message, message) == 0,
               message, __FILE__, __LINE__)) {
      printf("     got %d: %s\n", got, got < 0 ? o.err.message : "an event");
    }
    srr_event_cursor_free(&c);
    /* The summary fails the same way. */
    srr_trace_summary s;
    srr_trace_error err;
    CHECK(srr_trace_summarize(o.trace, &s, &err) == -1 && strcmp(err.message, message) == 0);
  }
  free(events);
  close_opened(&o);
  tb_free(&body);
  tb_free(&file);
  tb_free(&ev);
}

static void test_event_errors(void) {
  expect_event_error((const uint8_t *)"\x01\x09", 2, 0, "corrupt trace: event 1 at byte 2: unknown import 9");
  expect_event_error((const uint8_t *)"\x02\x80\x01", 3, 0, "corrupt trace: event 1 at byte 2: unknown import 128");
  expect_event_error((const uint8_t *)"\x04\x05", 2, 0, "corrupt trace: event 1 at byte 2: unknown export 5");
  expect_event_error((const uint8_t *)"\x08\x04\x00", 3, 0, "corrupt trace: event 1 at byte 2: unknown global 4");
  expect_event_error((const uint8_t *)"\x05\x07\x00\x01\xff", 5, 0,
                     "corrupt trace: event 1 at byte 2: unknown memory 7");
  expect_event_error((const uint8_t *)"\x07\x02\x05", 3, 0, "corrupt trace: event 1 at byte 2: unknown memory 2");
  expect_event_error((const uint8_t *)"\x00", 1, 0, "corrupt trace: event 1 at byte 2: unknown event kind 0");
  expect_event_error((const uint8_t *)"\x0e", 1, 0, "corrupt trace: event 1 at byte 2: unknown event kind 14");
  expect_event_error((const uint8_t *)"\x0e", 1, 7,
                     "corrupt trace: event 1 at byte 2: unknown event kind 14 (the trace is format 1.7, "
                     "this shadowrr reads 1.3)");
  expect_event_error((const uint8_t *)"\x05\x00\x10\x64\x01\x02\x03", 7, 0,
                     "corrupt trace: event 1 at byte 2: memory_write runs past the end of the events");
  expect_event_error((const uint8_t *)"\x01\x00\x01\x02", 4, 0,
                     "corrupt trace: event 1 at byte 2: import_call runs past the end of the events");
  expect_event_error((const uint8_t *)"\x01\x01\x00\x00\xc0", 5, 0,
                     "corrupt trace: event 1 at byte 2: import_call runs past the end of the events");
  expect_event_error((const uint8_t *)"\x09\x05hi", 4, 0,
                     "corrupt trace: event 1 at byte 2: trap runs past the end of the events");
  expect_event_error((const uint8_t *)"\x06\x00\x01\x80", 4, 0,
                     "corrupt trace: event 1 at byte 2: memory_grow runs past the end of the events");
  expect_event_error((const uint8_t *)"\x02\x00\x80\x80\x80\x80\x10", 7, 0,
                     "corrupt trace: event 1 at byte 2: number larger than 32 bits");
  expect_event_error((const uint8_t *)"\x07\x00\x80\x80\x80\x80\x80\x80\x80\x80\x80\x02", 12, 0,
                     "corrupt trace: event 1 at byte 2: malformed LEB128 number (more than 64 bits)");
}

/* Header bodies that are malformed, and one from a newer minor version. */
static void expect_header_error(const tb_buffer *body, const char *message) {
  tb_buffer file = {0};
  tb_file_start(&file, 1, 0, body);
  expect_open_error(file.bytes, file.size, SRR_TRACE_CORRUPT, message);
  tb_free(&file);
}

static void test_header_errors(void) {
  static const uint8_t sha[32];
  tb_buffer body = {0};
  tb_field_str(&body, SRR_HDR_MODULE_NAME, "m.wasm");
  expect_header_error(&body, "corrupt trace: header has no MODULE_SHA256 field");
  tb_free(&body);

  tb_field(&body, SRR_HDR_MODULE_SHA256, sha, 31);
  expect_header_error(&body, "corrupt trace: header field 0 (MODULE_SHA256) at byte 16: not 32 bytes long");
  tb_free(&body);

  tb_field(&body, SRR_HDR_MODULE_SHA256, sha, 32);
  tb_field_str(&body, SRR_HDR_MODULE_NAME, "a");
  tb_field_str(&body, SRR_HDR_MODULE_NAME, "b");
  expect_header_error(&body, "corrupt trace: header field 2 (MODULE_NAME) at byte 54: given twice");
  tb_free(&body);

  tb_field(&body, SRR_HDR_MODULE_SHA256, sha, 32);
  tb_field_import(&body, 0, "env", "f", "i", "");
  tb_field_import(&body, 0, "env", "g", "", "");
  expect_header_error(&body, "corrupt trace: header: import 0 given twice");
  tb_free(&body);

  tb_field(&body, SRR_HDR_MODULE_SHA256, sha, 32);
  tb_field(&body, SRR_HDR_IMPORT, "\x00\x01m\x01n\x01\x7a\x00", 8); /* type 0x7a */
  expect_header_error(&body, "corrupt trace: header field 1 (IMPORT) at byte 50: unknown value type");
  tb_free(&body);

  tb_field(&body, SRR_HDR_MODULE_SHA256, sha, 32);
  tb_field(&body, SRR_HDR_EXPORT, "\x00\x05_st", 4); /* the name runs past the field */
  expect_header_error(&body, "corrupt trace: header field 1 (EXPORT) at byte 50: runs past the end");
  tb_free(&body);

  tb_field(&body, SRR_HDR_MODULE_SHA256, sha, 32);
  tb_field(&body, SRR_HDR_MEMORY, "\x00\x01\x02\x05", 4);
  expect_header_error(&body, "corrupt trace: header field 1 (MEMORY) at byte 50: has_max is neither 0 nor 1");
  tb_free(&body);

  tb_field(&body, SRR_HDR_MODULE_SHA256, sha, 32);
  tb_append(&body, "\x03\x20\x00", 3); /* an IMPORT field longer than the header */
  expect_header_error(&body, "corrupt trace: header field 1 (tag 3) at byte 50: runs past the end");
  tb_free(&body);

  /* A newer minor version: its new fields are skipped, also between known
     ones, and a known field may grow at its end. */
  tb_field(&body, 0x42, "", 0);
  tb_field(&body, SRR_HDR_MODULE_SHA256, sha, 32);
  tb_field(&body, 0xff, "0123456789", 10);
  tb_field(&body, SRR_HDR_FLAGS, "\x01\x99\x98", 3);
  tb_field_str(&body, SRR_HDR_RECORDER, "future");
  tb_buffer file = {0};
  tb_file_start(&file, 1, 3, &body);
  opened o = open_bytes(file.bytes, file.size);
  if (CHECK(o.trace != NULL)) {
    const srr_trace_header *h = srr_trace_get_header(o.trace);
    CHECK_EQ(h->minor, 3);
    CHECK_EQ(h->unknown_field_count, 2);
    CHECK_EQ(h->flags, 1);
    CHECK_STR(h->recorder, "future");
    CHECK(h->module_name == NULL);
    CHECK_EQ(h->import_count, 0);
    CHECK_EQ(h->size, file.size);
  }
  close_opened(&o);
  tb_free(&file);
  tb_free(&body);
}

/* Completeness, and a trace of many chunks. */
static void summary_of(const tb_buffer *file, srr_trace_summary *s) {
  opened o = open_bytes(file->bytes, file->size);
  memset(s, 0, sizeof *s);
  if (CHECK(o.trace != NULL)) {
    CHECK(srr_trace_summarize(o.trace, s, &o.err) == 0);
    s->truncation = NULL; /* it points into the trace, closed here */
  }
  close_opened(&o);
}

static void test_summary(void) {
  tb_buffer body = {0};
  tb_sample_header_body(&body);
  srr_trace_summary s;

  tb_buffer file = {0}, ev = {0};
  tb_file_start(&file, 1, 0, &body);
  summary_of(&file, &s);
  CHECK(s.events == 0 && !s.complete && s.chunks_raw == 0 && s.raw_event_bytes == 0);

  tb_ev_head(&ev, SRR_EV_EXPORT_CALL, 0);
  tb_ev_trap(&ev, "out of bounds memory access");
  tb_chunk_raw(&file, ev.bytes, ev.size);
  summary_of(&file, &s);
  CHECK(s.events == 2 && s.complete && s.events_by_kind[SRR_EV_TRAP] == 1);

  tb_buffer call = {0};
  tb_ev_head(&call, SRR_EV_IMPORT_CALL, 3);
  tb_ev_i32(&call, 1);
  tb_chunk_raw(&file, call.bytes, call.size);
  summary_of(&file, &s);
  CHECK(s.events == 3 && !s.complete && s.chunks_raw == 2);
  tb_free(&call);
  tb_free(&file);
  tb_free(&ev);

  /* 200 chunks of varied events, half of them LZ4, packed again. */
  tb_file_start(&file, 1, 0, &body);
  uint32_t seed = 12345;
  uint64_t writes = 0, write_bytes = 0;
  uint8_t data[700];
  for (int c = 0; c < 200; c++) {
    tb_buffer chunk = {0};
    tb_ev_head(&chunk, SRR_EV_IMPORT_CALL, 0);
    for (int v = 0; v < 4; v++) {
      seed = seed * 1103515245u + 12345u;
      tb_ev_i32(&chunk, seed);
    }
    seed = seed * 1103515245u + 12345u;
    uint32_t length = seed % sizeof data;
    for (uint32_t i = 0; i < length; i++) {
      data[i] = (uint8_t)(i % 13 == 0 ? seed >> 24 : i);
    }
    tb_ev_memory_write(&chunk, c & 1, seed & 0xffff, data, length);
    writes++;
    write_bytes += length;
    tb_ev_head(&chunk, SRR_EV_IMPORT_RETURN, 0);
    tb_ev_i32(&chunk, 0);
    if (c == 199) {
      tb_ev_end(&chunk);
    }
    if (c % 2) {
      tb_chunk_lz4(&file, chunk.bytes, chunk.size);
    } else {
      tb_chunk_raw(&file, chunk.bytes, chunk.size);
    }
    tb_free(&chunk);
  }
  summary_of(&file, &s);
  CHECK_EQ(s.events, 3 * 200 + 1);
  CHECK_EQ(s.events_by_kind[SRR_EV_MEMORY_WRITE], writes);
  CHECK_EQ(s.memory_write_bytes, write_bytes);
  CHECK_EQ(s.chunks_raw, 100);
  CHECK_EQ(s.chunks_lz4, 100);
  CHECK(s.complete);
  uint64_t raw_bytes = s.raw_event_bytes;

  uint8_t *packed;
  size_t packed_size;
  srr_pack_result r;
  srr_trace_error err;
  if (CHECK(srr_trace_pack(file.bytes, file.size, &packed, &packed_size, &r, &err) == 0)) {
    CHECK_EQ(r.chunks_were_lz4, 100);
    CHECK_EQ(r.chunks_packed + r.chunks_left_raw, 100);
    CHECK(packed_size < file.size);
    tb_buffer packed_file = {packed, packed_size, packed_size};
    summary_of(&packed_file, &s);
    CHECK_EQ(s.events, 3 * 200 + 1);
    CHECK_EQ(s.memory_write_bytes, write_bytes);
    CHECK_EQ(s.raw_event_bytes, raw_bytes);
    CHECK_EQ(s.chunks_lz4, 100 + r.chunks_packed);
    /* The same event bytes. */
    opened a = open_bytes(file.bytes, file.size), b = open_bytes(packed, packed_size);
    uint8_t *ea, *eb;
    size_t na, nb;
    CHECK(srr_trace_read_events(a.trace, &ea, &na, &a.err) == 0);
    CHECK(srr_trace_read_events(b.trace, &eb, &nb, &b.err) == 0);
    CHECK(na == nb && memcmp(ea, eb, na) == 0);
    free(ea);
    free(eb);
    close_opened(&a);
    close_opened(&b);
    free(packed);
  }
  tb_free(&file);
  tb_free(&body);
}

/* Numbers at the edges of their LEB128 encodings, through encoder and reader. */
static void test_number_edges(void) {
  static const int64_t kResults[] = {0, 1, -1, 63, 64, -64, -65, 127, 128, -128, -129, 8191, -8192,
                                     2147483647, -2147483647 - 1, INT64_MAX, INT64_MIN};
  static const uint64_t kUnsigned[] = {0, 127, 128, 16383, 16384, UINT32_MAX, (uint64_t)UINT32_MAX + 1,
                                       UINT64_MAX >> 1, UINT64_MAX};
  const size_t results = sizeof kResults / sizeof kResults[0];
  const size_t unsigned_count = sizeof kUnsigned / sizeof kUnsigned[0];
  tb_buffer body = {0}, file = {0}, ev = {0};
  tb_sample_header_body(&body);
  tb_file_start(&file, 1, 0, &body);
  for (size_t i = 0; i < results; i++) {
    tb_ev_memory_grow(&ev, 0, kUnsigned[i % unsigned_count], kResults[i]);
  }
  for (size_t i = 0; i < unsigned_count; i++) {
    tb_ev_host_memory_grow(&ev, 1, kUnsigned[i]);
    tb_ev_head(&ev, SRR_EV_IMPORT_RETURN, 2); /* wide -> (v128, i64) */
    tb_ev_v128(&ev, kUnsigned[i], ~kUnsigned[i]);
    tb_ev_i64(&ev, kUnsigned[i]);
    tb_ev_head(&ev, SRR_EV_IMPORT_RETURN, 0); /* fd_write -> i32 */
    tb_ev_i32(&ev, (uint32_t)kUnsigned[i]);
  }
  event_reader r;
  srr_event e;
  open_events(&r, &file, &ev);
  if (CHECK(r.ready)) {
    int grows_ok = 1, others_ok = 1;
    for (size_t i = 0; i < results; i++) {
      grows_ok &= srr_event_next(&r.cursor, &e, &r.o.err) == 1 && e.kind == SRR_EV_MEMORY_GROW &&
                  e.result == kResults[i] && e.delta_pages == kUnsigned[i % unsigned_count];
    }
    for (size_t i = 0; i < unsigned_count; i++) {
      others_ok &= srr_event_next(&r.cursor, &e, &r.o.err) == 1 && e.kind == SRR_EV_HOST_MEMORY_GROW &&
                   e.memory == 1 && e.new_pages == kUnsigned[i];
      others_ok &= srr_event_next(&r.cursor, &e, &r.o.err) == 1 && v128_is(&e.values[0], kUnsigned[i], ~kUnsigned[i]) &&
                   value_is(&e.values[1], SRR_T_I64, kUnsigned[i]);
      others_ok &= srr_event_next(&r.cursor, &e, &r.o.err) == 1 && value_is(&e.values[0], SRR_T_I32, (uint32_t)kUnsigned[i]);
    }
    CHECK(grows_ok);
    CHECK(others_ok);
    CHECK_EQ(srr_event_next(&r.cursor, &e, &r.o.err), 0);
  }
  close_events(&r, &body, &file, &ev);
}

/* References (format 1.1): a byte, 1 for non-null, 0 for null; another
 * byte is a corrupt trace. */
static void test_references(void) {
  for (int bad = 0; bad < 2; bad++) {
    tb_buffer body = {0}, file = {0}, ev = {0};
    uint8_t sha[32] = {0};
    tb_field(&body, SRR_HDR_MODULE_SHA256, sha, 32);
    tb_field_export(&body, 0, "refs", "eir", "re");
    tb_file_start(&file, SRR_TRACE_MAJOR, SRR_TRACE_MINOR, &body);
    tb_ev_head(&ev, SRR_EV_EXPORT_CALL, 0);
    tb_ev_ref(&ev, 1);
    tb_ev_i32(&ev, 300);
    tb_ev_ref(&ev, 0);
    tb_ev_head(&ev, SRR_EV_EXPORT_RETURN, 0);
    tb_ev_ref(&ev, 0);
    if (bad) {
      *tb_room(&ev, 1) = 2;
      ev.size++;
    } else {
      tb_ev_ref(&ev, 1);
    }
    event_reader r;
    srr_event e;
    open_events(&r, &file, &ev);
    if (CHECK(r.ready)) {
      const srr_trace_export *x = srr_trace_find_export(r.o.trace, 0);
      CHECK(x && x->signature.param_count == 3 && x->signature.params[0] == SRR_T_EXTERNREF &&
            x->signature.params[2] == SRR_T_FUNCREF && x->signature.results[1] == SRR_T_EXTERNREF);
      CHECK(srr_event_next(&r.cursor, &e, &r.o.err) == 1 && e.value_count == 3 && e.values[0].type == SRR_T_EXTERNREF &&
            e.values[0].as.non_null == 1 && value_is(&e.values[1], SRR_T_I32, 300) &&
            e.values[2].type == SRR_T_FUNCREF && e.values[2].as.non_null == 0);
      if (bad == 1) {
        CHECK_EQ(srr_event_next(&r.cursor, &e, &r.o.err), -1);
        CHECK_STR(r.o.err.message, "corrupt trace: event 1 at byte 6: unknown reference value 2");
      } else {
        CHECK(srr_event_next(&r.cursor, &e, &r.o.err) == 1 && e.values[0].type == SRR_T_FUNCREF &&
              e.values[0].as.non_null == 0 && e.values[1].type == SRR_T_EXTERNREF && e.values[1].as.non_null == 1);
        CHECK_EQ(srr_event_next(&r.cursor, &e, &r.o.err), 0);
      }
    }
    close_events(&r, &body, &file, &ev);
  }
}

/* Host-written externref tables (format 1.1): the TABLE header field, and
 * HOST_TABLE_SET / HOST_TABLE_GROW naming a table the header has. */
static void test_tables(void) {
  /* bad 3 is no error: a funcref table (format 1.2). */
  for (int bad = 0; bad < 4; bad++) {
    tb_buffer body = {0}, file = {0}, ev = {0};
    uint8_t sha[32] = {0};
    uint8_t type = bad == 2 ? SRR_T_I32 : bad == 3 ? SRR_T_FUNCREF : SRR_T_EXTERNREF;
    uint8_t table[2] = {2, type};
    tb_field(&body, SRR_HDR_MODULE_SHA256, sha, 32);
    tb_field(&body, SRR_HDR_TABLE, table, 2);
    tb_file_start(&file, SRR_TRACE_MAJOR, SRR_TRACE_MINOR, &body);
    ev.size += srr_put_host_table_set(tb_room(&ev, 32), 2, 300, 1);
    ev.size += srr_put_host_table_grow(tb_room(&ev, 32), bad == 1 ? 3 : 2, 500);
    event_reader r;
    srr_event e;
    open_events(&r, &file, &ev);
    if (bad == 2) {
      CHECK(!r.o.trace);
      CHECK_STR(r.o.err.message, "corrupt trace: header field 1 (TABLE) at byte 50: unknown table type");
    } else if (CHECK(r.ready)) {
      const srr_trace_header *h = srr_trace_get_header(r.o.trace);
      CHECK(h->table_count == 1 && h->tables[0].index == 2 && h->tables[0].type == type);
      CHECK(srr_event_next(&r.cursor, &e, &r.o.err) == 1 && e.kind == SRR_EV_HOST_TABLE_SET && e.table == 2 &&
            e.element == 300 && e.non_null == 1);
      if (bad == 1) {
        CHECK_EQ(srr_event_next(&r.cursor, &e, &r.o.err), -1);
        CHECK_STR(r.o.err.message, "corrupt trace: event 1 at byte 5: unknown table 3");
      } else {
        CHECK(srr_event_next(&r.cursor, &e, &r.o.err) == 1 && e.kind == SRR_EV_HOST_TABLE_GROW && e.table == 2 &&
              e.new_size == 500);
        CHECK_EQ(srr_event_next(&r.cursor, &e, &r.o.err), 0);
      }
    }
    close_events(&r, &body, &file, &ev);
  }
}

/* A call of the host's function through a funcref table (format 1.3):
 * HOST_FUNCREF_CALL carries its own signature; bad 1 has an unknown value
 * type in it, bad 2 names a table the header does not have. */
static void test_host_funcref_call(void) {
  for (int bad = 0; bad < 3; bad++) {
    tb_buffer body = {0}, file = {0}, ev = {0};
    uint8_t sha[32] = {0};
    uint8_t table[2] = {1, SRR_T_FUNCREF};
    tb_field(&body, SRR_HDR_MODULE_SHA256, sha, 32);
    tb_field(&body, SRR_HDR_TABLE, table, 2);
    tb_file_start(&file, SRR_TRACE_MAJOR, SRR_TRACE_MINOR, &body);
    /* table 1, element 300, (i32 f64) -> (funcref), args 5 and 2.5, result non-null */
    const uint8_t event[] = {SRR_EV_HOST_FUNCREF_CALL, bad == 2 ? 4 : 1, 0xac, 0x02, 2, SRR_T_I32,
                             bad == 1 ? 0x40 : SRR_T_F64, 1, SRR_T_FUNCREF, 5, 0, 0, 0, 0, 0, 0, 0x04, 0x40, 1};
    memcpy(tb_room(&ev, sizeof event), event, sizeof event);
    ev.size += sizeof event;
    event_reader r;
    srr_event e;
    open_events(&r, &file, &ev);
    if (CHECK(r.ready)) {
      int got = srr_event_next(&r.cursor, &e, &r.o.err);
      if (bad == 1) {
        CHECK_EQ(got, -1);
        CHECK_STR(r.o.err.message, "corrupt trace: event 0 at byte 0: unknown value type");
      } else if (bad == 2) {
        CHECK_EQ(got, -1);
        CHECK_STR(r.o.err.message, "corrupt trace: event 0 at byte 0: unknown table 4");
      } else {
        CHECK(got == 1 && e.kind == SRR_EV_HOST_FUNCREF_CALL && e.table == 1 && e.element == 300 &&
              e.signature.param_count == 2 && e.signature.result_count == 1 && e.value_count == 3 &&
              e.size == sizeof event);
        CHECK(e.values[0].type == SRR_T_I32 && e.values[0].as.i32 == 5 && e.values[1].type == SRR_T_F64 &&
              e.values[1].as.f64_bits == 0x4004000000000000ull && e.values[2].type == SRR_T_FUNCREF &&
              e.values[2].as.non_null == 1);
        CHECK_EQ(srr_event_next(&r.cursor, &e, &r.o.err), 0);
      }
    }
    close_events(&r, &body, &file, &ev);
  }
}

static void test_names(void) {
  CHECK_STR(srr_event_kind_name(SRR_EV_IMPORT_CALL), "import_call");
  CHECK_STR(srr_event_kind_name(SRR_EV_HOST_MEMORY_GROW), "host_memory_grow");
  CHECK_STR(srr_event_kind_name(SRR_EV_END), "end");
  CHECK_STR(srr_event_kind_name(0), "?");
  CHECK_STR(srr_event_kind_name(SRR_EV_HOST_TABLE_SET), "host_table_set");
  CHECK_STR(srr_event_kind_name(SRR_EV_HOST_TABLE_GROW), "host_table_grow");
  CHECK_STR(srr_event_kind_name(SRR_EV_HOST_FUNCREF_CALL), "host_funcref_call");
  CHECK_STR(srr_event_kind_name(14), "?");
  CHECK_STR(srr_value_type_name(SRR_T_V128), "v128");
  CHECK_STR(srr_value_type_name(SRR_T_FUNCREF), "funcref");
  CHECK_STR(srr_value_type_name(SRR_T_EXTERNREF), "externref");
  CHECK_STR(srr_value_type_name(0x40), "?");
}

int main(void) {
  test_encoder();
  test_names();
  test_number_edges();
  test_references();
  test_tables();
  test_host_funcref_call();
  test_sample_raw();
  test_sample_lz4();
  test_pack();
  test_truncation();
  test_every_byte_changed();
  test_damage();
  test_event_errors();
  test_header_errors();
  test_summary();
  printf("%d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}
