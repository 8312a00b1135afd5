/*
 * srr_trace.h: the shadowrr trace format (docs/trace-format.md), the one
 * implementation. Compiles natively (the CLI, replayer, tests) and for
 * wasm32 without a libc (the in-module recorder): this header and the
 * encoding half of srr_trace.c use no allocation and nothing beyond
 * <stddef.h>/<stdint.h>.
 *
 * Encoding functions write into a caller-provided buffer and return the number
 * of bytes written; the caller makes sure there is room (the SRR_MAX_* bounds
 * below say how much).
 */
#ifndef SHADOWRR_TRACE_H
#define SHADOWRR_TRACE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SRR_TRACE_MAJOR 1
#define SRR_TRACE_MINOR 3
#define SRR_TRACE_MAGIC_SIZE 8
extern const uint8_t srr_trace_magic[SRR_TRACE_MAGIC_SIZE];

/* Sizes of the fixed parts. */
#define SRR_FILE_PREFIX_SIZE 16 /* magic, versions, header_length */
#define SRR_CHUNK_HEADER_SIZE 20
#define SRR_MAX_ULEB 10

/* Header field tags. */
enum srr_header_tag {
  SRR_HDR_MODULE_SHA256 = 1,
  SRR_HDR_MODULE_NAME = 2,
  SRR_HDR_IMPORT = 3,
  SRR_HDR_EXPORT = 4,
  SRR_HDR_MEMORY = 5,
  SRR_HDR_GLOBAL = 6,
  SRR_HDR_RECORDER = 7,
  SRR_HDR_FLAGS = 8,
  SRR_HDR_SHADOW_OFFSET = 9,
  SRR_HDR_TABLE = 10 /* since 1.1 */
};
#define SRR_HDR_TAG_MAX SRR_HDR_TABLE

/* Event kinds. */
enum srr_event_kind {
  SRR_EV_IMPORT_CALL = 1,
  SRR_EV_IMPORT_RETURN = 2,
  SRR_EV_EXPORT_CALL = 3,
  SRR_EV_EXPORT_RETURN = 4,
  SRR_EV_MEMORY_WRITE = 5,
  SRR_EV_MEMORY_GROW = 6,
  SRR_EV_HOST_MEMORY_GROW = 7,
  SRR_EV_GLOBAL_CHANGE = 8,
  SRR_EV_TRAP = 9,
  SRR_EV_END = 10,
  SRR_EV_HOST_TABLE_SET = 11, /* since 1.1 */
  SRR_EV_HOST_TABLE_GROW = 12, /* since 1.1 */
  SRR_EV_HOST_FUNCREF_CALL = 13 /* since 1.3 */
};
#define SRR_EV_KIND_MAX SRR_EV_HOST_FUNCREF_CALL

/* The most values a HOST_FUNCREF_CALL carries: its arguments and results,
 * 1000 of each at most (the limits of the JS API and of every engine). A
 * reader of a trace with a funcref TABLE makes room for that many. */
#define SRR_HOST_FUNCREF_CALL_MAX_VALUES 2000

/* Value type codes (wasm binary encoding). A reference's value in an event
 * is whether it is null (docs/trace-format.md, "References"). */
enum srr_value_type {
  SRR_T_I32 = 0x7f,
  SRR_T_I64 = 0x7e,
  SRR_T_F32 = 0x7d,
  SRR_T_F64 = 0x7c,
  SRR_T_V128 = 0x7b,
  SRR_T_FUNCREF = 0x70,
  SRR_T_EXTERNREF = 0x6f
};

/* Chunk codecs. */
enum srr_codec { SRR_CODEC_RAW = 0, SRR_CODEC_LZ4 = 1 };

/* Flags (SRR_HDR_FLAGS). */
#define SRR_FLAG_DURABLE 1u

/* CRC-32 (IEEE, zlib's crc32): crc = srr_crc32(0, data, len), and chaining
 * srr_crc32(crc, more, n) continues it. */
uint32_t srr_crc32(uint32_t crc, const void *data, size_t len);

/* LEB128 encoding into p (room for SRR_MAX_ULEB bytes); return the size. */
size_t srr_put_uleb(uint8_t *p, uint64_t value);
size_t srr_put_sleb(uint8_t *p, int64_t value);

/* Little-endian fixed-size integers; return the size. */
size_t srr_put_u16(uint8_t *p, uint16_t value);
size_t srr_put_u32(uint8_t *p, uint32_t value);

/* The 16-byte file prefix: magic, version 1.0, header_length. */
size_t srr_put_file_prefix(uint8_t *p, uint32_t header_length);

/* A 20-byte chunk header. */
size_t srr_put_chunk_header(uint8_t *p, enum srr_codec codec, uint32_t raw_length,
                            uint32_t stored_length, uint32_t crc);

/* ---- Building blocks for header bodies and events ------------------------
 * Used by the recorder's transform-side header builder, the packer and the
 * tests. Each writes at p and returns the number of bytes written. */

#define SRR_MAX_SLEB 10
#define SRR_MAX_VALUE_SIZE 16 /* a v128; i64 takes at most SRR_MAX_ULEB */

/* Copies n bytes verbatim. */
size_t srr_put_bytes(uint8_t *p, const void *bytes, size_t n);

/* A little-endian u64. */
size_t srr_put_u64(uint8_t *p, uint64_t value);

/* A `str`: uleb length, then the length bytes of s (no terminator). At most
 * SRR_MAX_ULEB + length bytes. */
size_t srr_put_str(uint8_t *p, const char *s, size_t length);

/* A `signature`: counts and value type codes (enum srr_value_type). At most
 * 2 * SRR_MAX_ULEB + param_count + result_count bytes. */
size_t srr_put_signature(uint8_t *p, const uint8_t *params, uint32_t param_count,
                         const uint8_t *results, uint32_t result_count);

/* One header-body field: u8 tag, uleb payload_length, then the payload
 * (built beforehand with the functions here). At most 1 + SRR_MAX_ULEB +
 * payload_length bytes. The tag is a plain byte so that tests can write tags
 * this version does not know. */
size_t srr_put_header_field(uint8_t *p, uint8_t tag, const void *payload, size_t payload_length);

/* Event values, by type: i32 and i64 as the uleb of their bit pattern, f32
 * and f64 as their raw bits (taken as integers so that NaN payloads cannot
 * be changed on the way), v128 as 16 bytes, the low half first, funcref and
 * externref as one byte, 1 for a non-null reference and 0 for null (the same
 * byte as srr_put_value_i32 of 0 or 1, which the recorder uses). */
size_t srr_put_value_i32(uint8_t *p, uint32_t value);
size_t srr_put_value_i64(uint8_t *p, uint64_t value);
size_t srr_put_value_f32(uint8_t *p, uint32_t bits);
size_t srr_put_value_f64(uint8_t *p, uint64_t bits);
size_t srr_put_value_v128(uint8_t *p, uint64_t low, uint64_t high);
size_t srr_put_value_ref(uint8_t *p, int non_null);

/* The start of an IMPORT_CALL, IMPORT_RETURN, EXPORT_CALL, EXPORT_RETURN or
 * GLOBAL_CHANGE event: the kind byte and the uleb index; the values follow.
 * At most 1 + SRR_MAX_ULEB bytes. */
size_t srr_put_event_head(uint8_t *p, enum srr_event_kind kind, uint32_t index);

/* The start of a MEMORY_WRITE event: kind, memory, address, length; the
 * length bytes follow (srr_put_bytes). At most 1 + 3 * SRR_MAX_ULEB bytes. */
size_t srr_put_memory_write_head(uint8_t *p, uint32_t memory, uint64_t address, uint64_t length);

/* A whole MEMORY_GROW event (result is -1 when the grow failed). At most
 * 1 + 2 * SRR_MAX_ULEB + SRR_MAX_SLEB bytes. */
size_t srr_put_memory_grow(uint8_t *p, uint32_t memory, uint64_t delta_pages, int64_t result);

/* A whole HOST_MEMORY_GROW event. At most 1 + 2 * SRR_MAX_ULEB bytes. */
size_t srr_put_host_memory_grow(uint8_t *p, uint32_t memory, uint64_t new_pages);

/* A whole HOST_TABLE_SET event: element `element` of table `table` became
 * null (non_null 0) or not (1). At most 2 + 2 * SRR_MAX_ULEB bytes. */
size_t srr_put_host_table_set(uint8_t *p, uint32_t table, uint64_t element, int non_null);

/* A whole HOST_TABLE_GROW event. At most 1 + 2 * SRR_MAX_ULEB bytes. */
size_t srr_put_host_table_grow(uint8_t *p, uint32_t table, uint64_t new_size);

/* A whole TRAP event with its message. At most 1 + SRR_MAX_ULEB + length. */
size_t srr_put_trap(uint8_t *p, const char *message, size_t length);

/* A whole END event (1 byte). */
size_t srr_put_end(uint8_t *p);

#ifdef __cplusplus
}
#endif

#endif /* SHADOWRR_TRACE_H */
