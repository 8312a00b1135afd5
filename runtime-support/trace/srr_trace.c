/* srr_trace.c: encoding half of the trace format (docs/trace-format.md).
 * Freestanding: compiles natively and for wasm32 without a libc. */
#include "srr_trace.h"

const uint8_t srr_trace_magic[SRR_TRACE_MAGIC_SIZE] = {0x89, 'S', 'R', 'R', '\r', '\n', 0x1a, '\n'};

/* Table-driven CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320), the
 * table built on first use. */
static uint32_t crc_table[256];
static int crc_table_ready;

static void crc_table_build(void) {
  for (uint32_t n = 0; n < 256; n++) {
    uint32_t c = n;
    for (int k = 0; k < 8; k++) {
      c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    }
    crc_table[n] = c;
  }
  crc_table_ready = 1;
}

uint32_t srr_crc32(uint32_t crc, const void *data, size_t len) {
  if (!crc_table_ready) {
    crc_table_build();
  }
  const uint8_t *p = data;
  crc = ~crc;
  while (len--) {
    crc = crc_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
  }
  return ~crc;
}

size_t srr_put_uleb(uint8_t *p, uint64_t value) {
  size_t n = 0;
  do {
    uint8_t byte = value & 0x7f;
    value >>= 7;
    p[n++] = byte | (value ? 0x80 : 0);
  } while (value);
  return n;
}

size_t srr_put_sleb(uint8_t *p, int64_t value) {
  size_t n = 0;
  for (;;) {
    uint8_t byte = value & 0x7f;
    value >>= 7; /* arithmetic shift: implementation-defined, but every
                    compiler we build with (gcc, clang) shifts in the sign */
    int done = (value == 0 && !(byte & 0x40)) || (value == -1 && (byte & 0x40));
    p[n++] = byte | (done ? 0 : 0x80);
    if (done) {
      return n;
    }
  }
}

size_t srr_put_u16(uint8_t *p, uint16_t value) {
  p[0] = value & 0xff;
  p[1] = value >> 8;
  return 2;
}

size_t srr_put_u32(uint8_t *p, uint32_t value) {
  for (int i = 0; i < 4; i++) {
    p[i] = (value >> (8 * i)) & 0xff;
  }
  return 4;
}

size_t srr_put_file_prefix(uint8_t *p, uint32_t header_length) {
  for (int i = 0; i < SRR_TRACE_MAGIC_SIZE; i++) {
    p[i] = srr_trace_magic[i];
  }
  srr_put_u16(p + 8, SRR_TRACE_MAJOR);
  srr_put_u16(p + 10, SRR_TRACE_MINOR);
  srr_put_u32(p + 12, header_length);
  return SRR_FILE_PREFIX_SIZE;
}

size_t srr_put_chunk_header(uint8_t *p, enum srr_codec codec, uint32_t raw_length,
                            uint32_t stored_length, uint32_t crc) {
  p[0] = 'S';
  p[1] = 'R';
  p[2] = 'R';
  p[3] = 'C';
  p[4] = (uint8_t)codec;
  p[5] = p[6] = p[7] = 0;
  srr_put_u32(p + 8, raw_length);
  srr_put_u32(p + 12, stored_length);
  srr_put_u32(p + 16, crc);
  return SRR_CHUNK_HEADER_SIZE;
}

/* A loop, not memcpy: the wasm32 build has no libc. */
size_t srr_put_bytes(uint8_t *p, const void *bytes, size_t n) {
  const uint8_t *src = bytes;
  for (size_t i = 0; i < n; i++) {
    p[i] = src[i];
  }
  return n;
}

size_t srr_put_u64(uint8_t *p, uint64_t value) {
  for (int i = 0; i < 8; i++) {
    p[i] = (value >> (8 * i)) & 0xff;
  }
  return 8;
}

size_t srr_put_str(uint8_t *p, const char *s, size_t length) {
  size_t n = srr_put_uleb(p, length);
  return n + srr_put_bytes(p + n, s, length);
}

size_t srr_put_signature(uint8_t *p, const uint8_t *params, uint32_t param_count,
                         const uint8_t *results, uint32_t result_count) {
  size_t n = srr_put_uleb(p, param_count);
  n += srr_put_bytes(p + n, params, param_count);
  n += srr_put_uleb(p + n, result_count);
  n += srr_put_bytes(p + n, results, result_count);
  return n;
}

size_t srr_put_header_field(uint8_t *p, uint8_t tag, const void *payload, size_t payload_length) {
  p[0] = tag;
  size_t n = 1 + srr_put_uleb(p + 1, payload_length);
  return n + srr_put_bytes(p + n, payload, payload_length);
}

size_t srr_put_value_i32(uint8_t *p, uint32_t value) {
  return srr_put_uleb(p, value);
}

size_t srr_put_value_i64(uint8_t *p, uint64_t value) {
  return srr_put_uleb(p, value);
}

size_t srr_put_value_f32(uint8_t *p, uint32_t bits) {
  return srr_put_u32(p, bits);
}

size_t srr_put_value_f64(uint8_t *p, uint64_t bits) {
  return srr_put_u64(p, bits);
}

size_t srr_put_value_v128(uint8_t *p, uint64_t low, uint64_t high) {
  srr_put_u64(p, low);
  srr_put_u64(p + 8, high);
  return 16;
}

size_t srr_put_value_ref(uint8_t *p, int non_null) {
  p[0] = non_null ? 1 : 0;
  return 1;
}

size_t srr_put_event_head(uint8_t *p, enum srr_event_kind kind, uint32_t index) {
  p[0] = (uint8_t)kind;
  return 1 + srr_put_uleb(p + 1, index);
}

size_t srr_put_memory_write_head(uint8_t *p, uint32_t memory, uint64_t address, uint64_t length) {
  p[0] = SRR_EV_MEMORY_WRITE;
  size_t n = 1 + srr_put_uleb(p + 1, memory);
  n += srr_put_uleb(p + n, address);
  return n + srr_put_uleb(p + n, length);
}

/* The kind, then two ulebs (a memory or table, and a first number). */
static size_t put_kind_uleb2(uint8_t *p, enum srr_event_kind kind, uint64_t a, uint64_t b) {
  p[0] = (uint8_t)kind;
  size_t n = 1 + srr_put_uleb(p + 1, a);
  return n + srr_put_uleb(p + n, b);
}

size_t srr_put_memory_grow(uint8_t *p, uint32_t memory, uint64_t delta_pages, int64_t result) {
  size_t n = put_kind_uleb2(p, SRR_EV_MEMORY_GROW, memory, delta_pages);
  return n + srr_put_sleb(p + n, result);
}

size_t srr_put_host_memory_grow(uint8_t *p, uint32_t memory, uint64_t new_pages) {
  return put_kind_uleb2(p, SRR_EV_HOST_MEMORY_GROW, memory, new_pages);
}

size_t srr_put_host_table_set(uint8_t *p, uint32_t table, uint64_t element, int non_null) {
  size_t n = put_kind_uleb2(p, SRR_EV_HOST_TABLE_SET, table, element);
  return n + srr_put_value_ref(p + n, non_null);
}

size_t srr_put_host_table_grow(uint8_t *p, uint32_t table, uint64_t new_size) {
  return put_kind_uleb2(p, SRR_EV_HOST_TABLE_GROW, table, new_size);
}

size_t srr_put_trap(uint8_t *p, const char *message, size_t length) {
  p[0] = SRR_EV_TRAP;
  return 1 + srr_put_str(p + 1, message, length);
}

size_t srr_put_end(uint8_t *p) {
  p[0] = SRR_EV_END;
  return 1;
}
