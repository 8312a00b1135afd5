/* srr_trace_reader.c: reading traces (docs/trace-format.md), natively. */
#include "srr_trace_reader.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lz4frame.h>

struct srr_trace {
  const uint8_t *bytes;
  size_t size;
  srr_trace_header header;
  uint32_t max_value_count; /* the most values any event can carry */

  /* The chunk walk. */
  size_t next_offset;
  uint32_t next_chunk_number;
  int walk_done;
  int truncated;
  size_t truncation_offset;
  char truncation[200];
  uint8_t *scratch; /* decoded LZ4 chunk */
  size_t scratch_capacity;
  LZ4F_dctx *dctx;
  /* What the walk has seen so far (for srr_trace_summarize). */
  uint32_t chunks_raw, chunks_lz4;
  uint64_t raw_bytes, stored_bytes;
};

__attribute__((format(printf, 3, 4))) static int fail(srr_trace_error *err, srr_trace_status status,
                                                      const char *fmt, ...) {
  if (err) {
    va_list ap;
    va_start(ap, fmt);
    err->status = status;
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
  }
  return -1;
}

static int out_of_memory(srr_trace_error *err) {
  return fail(err, SRR_TRACE_OUT_OF_MEMORY, "out of memory");
}

static uint16_t get_u16(const uint8_t *p) {
  return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get_u32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get_u64(const uint8_t *p) {
  return (uint64_t)get_u32(p) | (uint64_t)get_u32(p + 4) << 32;
}

/* ---- A bounds-checked byte reader ----------------------------------------- */

/* Reading fails with a reason (a static string) instead of a status code, so
 * that callers can say where it happened. */
typedef struct byte_reader {
  const uint8_t *bytes;
  size_t size;
  size_t position;
  const char *problem; /* set on the first failure; later reads fail too */
} byte_reader;

static int reader_fail(byte_reader *r, const char *problem) {
  if (!r->problem) {
    r->problem = problem;
  }
  return -1;
}

static int read_u8(byte_reader *r, uint8_t *value) {
  if (r->problem) {
    return -1;
  }
  if (r->position >= r->size) {
    return reader_fail(r, "runs past the end");
  }
  *value = r->bytes[r->position++];
  return 0;
}

static int read_uleb(byte_reader *r, uint64_t *value) {
  uint64_t result = 0;
  for (int shift = 0;; shift += 7) {
    uint8_t byte;
    if (read_u8(r, &byte) != 0) {
      return -1;
    }
    if (shift == 63 && byte > 1) {
      return reader_fail(r, "malformed LEB128 number (more than 64 bits)");
    }
    result |= (uint64_t)(byte & 0x7f) << shift;
    if (!(byte & 0x80)) {
      *value = result;
      return 0;
    }
  }
}

static int read_uleb32(byte_reader *r, uint32_t *value) {
  uint64_t wide;
  if (read_uleb(r, &wide) != 0) {
    return -1;
  }
  if (wide > UINT32_MAX) {
    return reader_fail(r, "number larger than 32 bits");
  }
  *value = (uint32_t)wide;
  return 0;
}

static int read_sleb(byte_reader *r, int64_t *value) {
  uint64_t result = 0;
  for (int shift = 0;; shift += 7) {
    uint8_t byte;
    if (read_u8(r, &byte) != 0) {
      return -1;
    }
    if (shift == 63 && byte != 0x00 && byte != 0x7f) {
      return reader_fail(r, "malformed LEB128 number (more than 64 bits)");
    }
    result |= (uint64_t)(byte & 0x7f) << shift;
    if (!(byte & 0x80)) {
      if (shift + 7 < 64 && (byte & 0x40)) {
        result |= ~(uint64_t)0 << (shift + 7);
      }
      /* Two's complement reinterpretation, without relying on the
         implementation-defined unsigned-to-signed conversion. */
      int64_t signed_result;
      memcpy(&signed_result, &result, sizeof signed_result);
      *value = signed_result;
      return 0;
    }
  }
}

/* Points *bytes at the next n bytes. */
static int read_span(byte_reader *r, uint64_t n, const uint8_t **bytes) {
  if (r->problem) {
    return -1;
  }
  if (n > r->size - r->position) {
    return reader_fail(r, "runs past the end");
  }
  *bytes = r->bytes + r->position;
  r->position += (size_t)n;
  return 0;
}

/* A `str`, copied with a NUL added. */
static int read_str(byte_reader *r, char **out) {
  uint64_t length;
  const uint8_t *bytes;
  if (read_uleb(r, &length) != 0 || read_span(r, length, &bytes) != 0) {
    return -1;
  }
  char *s = malloc((size_t)length + 1);
  if (!s) {
    return reader_fail(r, "out of memory");
  }
  memcpy(s, bytes, (size_t)length);
  s[length] = '\0';
  *out = s;
  return 0;
}

static int is_value_type(uint8_t type) {
  return type == SRR_T_I32 || type == SRR_T_I64 || type == SRR_T_F32 || type == SRR_T_F64 ||
         type == SRR_T_V128;
}

static int read_types(byte_reader *r, uint32_t *count, const uint8_t **types) {
  if (read_uleb32(r, count) != 0 || read_span(r, *count, types) != 0) {
    return -1;
  }
  for (uint32_t i = 0; i < *count; i++) {
    if (!is_value_type((*types)[i])) {
      return reader_fail(r, "unknown value type");
    }
  }
  return 0;
}

static int read_signature(byte_reader *r, srr_trace_signature *sig) {
  if (read_types(r, &sig->param_count, &sig->params) != 0) {
    return -1;
  }
  return read_types(r, &sig->result_count, &sig->results);
}

/* ---- Names ---------------------------------------------------------------- */

const char *srr_value_type_name(uint8_t type) {
  switch (type) {
  case SRR_T_I32: return "i32";
  case SRR_T_I64: return "i64";
  case SRR_T_F32: return "f32";
  case SRR_T_F64: return "f64";
  case SRR_T_V128: return "v128";
  default: return "?";
  }
}

const char *srr_event_kind_name(uint8_t kind) {
  switch (kind) {
  case SRR_EV_IMPORT_CALL: return "import_call";
  case SRR_EV_IMPORT_RETURN: return "import_return";
  case SRR_EV_EXPORT_CALL: return "export_call";
  case SRR_EV_EXPORT_RETURN: return "export_return";
  case SRR_EV_MEMORY_WRITE: return "memory_write";
  case SRR_EV_MEMORY_GROW: return "memory_grow";
  case SRR_EV_HOST_MEMORY_GROW: return "host_memory_grow";
  case SRR_EV_GLOBAL_CHANGE: return "global_change";
  case SRR_EV_TRAP: return "trap";
  case SRR_EV_END: return "end";
  default: return "?";
  }
}

static const char *header_tag_name(uint8_t tag) {
  switch (tag) {
  case SRR_HDR_MODULE_SHA256: return "MODULE_SHA256";
  case SRR_HDR_MODULE_NAME: return "MODULE_NAME";
  case SRR_HDR_IMPORT: return "IMPORT";
  case SRR_HDR_EXPORT: return "EXPORT";
  case SRR_HDR_MEMORY: return "MEMORY";
  case SRR_HDR_GLOBAL: return "GLOBAL";
  case SRR_HDR_RECORDER: return "RECORDER";
  case SRR_HDR_FLAGS: return "FLAGS";
  case SRR_HDR_SHADOW_OFFSET: return "SHADOW_OFFSET";
  default: return "unknown";
  }
}

/* ---- The header ----------------------------------------------------------- */

/* Appends one zeroed element to a growing array; NULL when out of memory. */
static void *append(void **array, uint32_t *count, size_t element_size) {
  uint32_t n = *count;
  if ((n & (n - 1)) == 0) { /* 0, 1, 2, 4, ...: the capacity is full */
    void *bigger = realloc(*array, (n ? 2 * (size_t)n : 1) * element_size);
    if (!bigger) {
      return NULL;
    }
    *array = bigger;
  }
  void *element = (uint8_t *)*array + n * element_size;
  memset(element, 0, element_size);
  *count = n + 1;
  return element;
}

static void free_header(srr_trace_header *h) {
  free(h->module_name);
  free(h->recorder);
  for (uint32_t i = 0; i < h->import_count; i++) {
    free(h->imports[i].module);
    free(h->imports[i].name);
  }
  free(h->imports);
  for (uint32_t i = 0; i < h->export_count; i++) {
    free(h->exports[i].name);
  }
  free(h->exports);
  free(h->memories);
  for (uint32_t i = 0; i < h->global_count; i++) {
    free(h->globals[i].export_name);
  }
  free(h->globals);
}

static int compare_import(const void *a, const void *b) {
  uint32_t x = ((const srr_trace_import *)a)->index, y = ((const srr_trace_import *)b)->index;
  return (x > y) - (x < y);
}
static int compare_export(const void *a, const void *b) {
  uint32_t x = ((const srr_trace_export *)a)->index, y = ((const srr_trace_export *)b)->index;
  return (x > y) - (x < y);
}
static int compare_memory(const void *a, const void *b) {
  uint32_t x = ((const srr_trace_memory *)a)->index, y = ((const srr_trace_memory *)b)->index;
  return (x > y) - (x < y);
}
static int compare_global(const void *a, const void *b) {
  uint32_t x = ((const srr_trace_global *)a)->index, y = ((const srr_trace_global *)b)->index;
  return (x > y) - (x < y);
}

/* Parses one known field's payload; returns -1 with r->problem set. */
static int parse_field(srr_trace *t, uint8_t tag, byte_reader *r, int *seen) {
  srr_trace_header *h = &t->header;
  const uint8_t *bytes;
  int at_most_once = tag == SRR_HDR_MODULE_SHA256 || tag == SRR_HDR_MODULE_NAME ||
                     tag == SRR_HDR_RECORDER || tag == SRR_HDR_FLAGS || tag == SRR_HDR_SHADOW_OFFSET;
  if (at_most_once) {
    if (seen[tag]) {
      return reader_fail(r, "given twice");
    }
    seen[tag] = 1;
  }
  switch (tag) {
  case SRR_HDR_MODULE_SHA256:
    if (r->size != 32) {
      return reader_fail(r, "not 32 bytes long");
    }
    read_span(r, 32, &bytes);
    memcpy(h->module_sha256, bytes, 32);
    return 0;
  case SRR_HDR_MODULE_NAME:
    return read_str(r, &h->module_name);
  case SRR_HDR_RECORDER:
    return read_str(r, &h->recorder);
  case SRR_HDR_FLAGS:
    h->has_flags = 1;
    return read_uleb(r, &h->flags);
  case SRR_HDR_SHADOW_OFFSET:
    h->has_shadow_offset = 1;
    return read_uleb(r, &h->shadow_offset);
  case SRR_HDR_IMPORT: {
    srr_trace_import *im = append((void **)&h->imports, &h->import_count, sizeof *im);
    if (!im) {
      return reader_fail(r, "out of memory");
    }
    if (read_uleb32(r, &im->index) != 0 || read_str(r, &im->module) != 0 ||
        read_str(r, &im->name) != 0) {
      return -1;
    }
    return read_signature(r, &im->signature);
  }
  case SRR_HDR_EXPORT: {
    srr_trace_export *ex = append((void **)&h->exports, &h->export_count, sizeof *ex);
    if (!ex) {
      return reader_fail(r, "out of memory");
    }
    if (read_uleb32(r, &ex->index) != 0 || read_str(r, &ex->name) != 0) {
      return -1;
    }
    return read_signature(r, &ex->signature);
  }
  case SRR_HDR_MEMORY: {
    srr_trace_memory *mem = append((void **)&h->memories, &h->memory_count, sizeof *mem);
    if (!mem) {
      return reader_fail(r, "out of memory");
    }
    uint8_t has_max;
    if (read_uleb32(r, &mem->index) != 0 || read_uleb(r, &mem->initial_pages) != 0 ||
        read_u8(r, &has_max) != 0) {
      return -1;
    }
    if (has_max > 1) {
      return reader_fail(r, "has_max is neither 0 nor 1");
    }
    mem->has_max = has_max;
    return has_max ? read_uleb(r, &mem->max_pages) : 0;
  }
  case SRR_HDR_GLOBAL: {
    srr_trace_global *g = append((void **)&h->globals, &h->global_count, sizeof *g);
    if (!g) {
      return reader_fail(r, "out of memory");
    }
    if (read_uleb32(r, &g->index) != 0 || read_u8(r, &g->type) != 0) {
      return -1;
    }
    if (!is_value_type(g->type)) {
      return reader_fail(r, "unknown value type");
    }
    return read_str(r, &g->export_name);
  }
  default:
    return 0;
  }
}

/* Sorts the entries by index and refuses an index given twice. */
static int index_entries(srr_trace *t, srr_trace_error *err) {
  srr_trace_header *h = &t->header;
  /* (qsort wants a non-NULL array even when there is nothing to sort.) */
  if (h->import_count) {
    qsort(h->imports, h->import_count, sizeof *h->imports, compare_import);
  }
  if (h->export_count) {
    qsort(h->exports, h->export_count, sizeof *h->exports, compare_export);
  }
  if (h->memory_count) {
    qsort(h->memories, h->memory_count, sizeof *h->memories, compare_memory);
  }
  if (h->global_count) {
    qsort(h->globals, h->global_count, sizeof *h->globals, compare_global);
  }
  t->max_value_count = 1; /* a GLOBAL_CHANGE */
  for (uint32_t i = 0; i < h->import_count; i++) {
    if (i > 0 && h->imports[i].index == h->imports[i - 1].index) {
      return fail(err, SRR_TRACE_CORRUPT, "corrupt trace: header: import %u given twice",
                  h->imports[i].index);
    }
    const srr_trace_signature *sig = &h->imports[i].signature;
    t->max_value_count = t->max_value_count > sig->param_count ? t->max_value_count : sig->param_count;
    t->max_value_count = t->max_value_count > sig->result_count ? t->max_value_count : sig->result_count;
  }
  for (uint32_t i = 0; i < h->export_count; i++) {
    if (i > 0 && h->exports[i].index == h->exports[i - 1].index) {
      return fail(err, SRR_TRACE_CORRUPT, "corrupt trace: header: export %u given twice",
                  h->exports[i].index);
    }
    const srr_trace_signature *sig = &h->exports[i].signature;
    t->max_value_count = t->max_value_count > sig->param_count ? t->max_value_count : sig->param_count;
    t->max_value_count = t->max_value_count > sig->result_count ? t->max_value_count : sig->result_count;
  }
  for (uint32_t i = 1; i < h->memory_count; i++) {
    if (h->memories[i].index == h->memories[i - 1].index) {
      return fail(err, SRR_TRACE_CORRUPT, "corrupt trace: header: memory %u given twice",
                  h->memories[i].index);
    }
  }
  for (uint32_t i = 1; i < h->global_count; i++) {
    if (h->globals[i].index == h->globals[i - 1].index) {
      return fail(err, SRR_TRACE_CORRUPT, "corrupt trace: header: global %u given twice",
                  h->globals[i].index);
    }
  }
  return 0;
}

static int parse_header_body(srr_trace *t, const uint8_t *body, size_t size, srr_trace_error *err) {
  byte_reader fields = {body, size, 0, NULL};
  int seen[SRR_HDR_SHADOW_OFFSET + 1] = {0};
  for (uint32_t number = 0; fields.position < size; number++) {
    size_t start = fields.position;
    uint8_t tag = 0;
    uint64_t length;
    const uint8_t *payload;
    if (read_u8(&fields, &tag) != 0 || read_uleb(&fields, &length) != 0 ||
        read_span(&fields, length, &payload) != 0) {
      return fail(err, SRR_TRACE_CORRUPT, "corrupt trace: header field %u (tag %u) at byte %zu: %s",
                  number, tag, SRR_FILE_PREFIX_SIZE + start, fields.problem);
    }
    if (tag == 0 || tag > SRR_HDR_SHADOW_OFFSET) {
      t->header.unknown_field_count++; /* added by a newer minor version */
      continue;
    }
    /* A known field may carry trailing bytes a newer minor version added:
       they are ignored, but reading past the field is an error. */
    byte_reader r = {payload, (size_t)length, 0, NULL};
    if (parse_field(t, tag, &r, seen) != 0) {
      srr_trace_status status =
          strcmp(r.problem, "out of memory") == 0 ? SRR_TRACE_OUT_OF_MEMORY : SRR_TRACE_CORRUPT;
      return fail(err, status, "corrupt trace: header field %u (%s) at byte %zu: %s", number,
                  header_tag_name(tag), SRR_FILE_PREFIX_SIZE + start, r.problem);
    }
  }
  if (!seen[SRR_HDR_MODULE_SHA256]) {
    return fail(err, SRR_TRACE_CORRUPT, "corrupt trace: header has no MODULE_SHA256 field");
  }
  return index_entries(t, err);
}

static int truncated_header(srr_trace_error *err, size_t have, uint64_t need) {
  if (need) {
    return fail(err, SRR_TRACE_TRUNCATED,
                "truncated trace: the file ends inside its header (after %zu of its %llu bytes)", have,
                (unsigned long long)need);
  }
  return fail(err, SRR_TRACE_TRUNCATED, "truncated trace: the file ends inside its header (after %zu bytes)",
              have);
}

srr_trace *srr_trace_open(const uint8_t *bytes, size_t size, srr_trace_error *err) {
  if (size == 0) {
    fail(err, SRR_TRACE_FOREIGN, "foreign file: not a shadowrr trace (empty file)");
    return NULL;
  }
  size_t magic_bytes = size < SRR_TRACE_MAGIC_SIZE ? size : SRR_TRACE_MAGIC_SIZE;
  if (memcmp(bytes, srr_trace_magic, magic_bytes) != 0) {
    fail(err, SRR_TRACE_FOREIGN, "foreign file: not a shadowrr trace");
    return NULL;
  }
  if (size < 12) {
    truncated_header(err, size, 0);
    return NULL;
  }
  uint16_t major = get_u16(bytes + 8), minor = get_u16(bytes + 10);
  if (major != SRR_TRACE_MAJOR) {
    fail(err, SRR_TRACE_VERSION, "trace format version %u.%u is %s than this shadowrr (%d.%d)", major,
         minor, major > SRR_TRACE_MAJOR ? "newer" : "older", SRR_TRACE_MAJOR, SRR_TRACE_MINOR);
    return NULL;
  }
  if (size < SRR_FILE_PREFIX_SIZE) {
    truncated_header(err, size, 0);
    return NULL;
  }
  uint32_t body_size = get_u32(bytes + 12);
  uint64_t header_size = (uint64_t)SRR_FILE_PREFIX_SIZE + body_size + 4;
  if (header_size > size) {
    truncated_header(err, size, header_size);
    return NULL;
  }
  const uint8_t *body = bytes + SRR_FILE_PREFIX_SIZE;
  if (srr_crc32(0, body, body_size) != get_u32(body + body_size)) {
    fail(err, SRR_TRACE_CORRUPT, "corrupt trace: header checksum mismatch");
    return NULL;
  }
  srr_trace *t = calloc(1, sizeof *t);
  if (!t) {
    out_of_memory(err);
    return NULL;
  }
  t->bytes = bytes;
  t->size = size;
  t->header.major = major;
  t->header.minor = minor;
  t->header.size = (size_t)header_size;
  if (parse_header_body(t, body, body_size, err) != 0) {
    srr_trace_close(t);
    return NULL;
  }
  srr_trace_rewind_chunks(t);
  return t;
}

void srr_trace_close(srr_trace *trace) {
  if (!trace) {
    return;
  }
  free_header(&trace->header);
  free(trace->scratch);
  if (trace->dctx) {
    LZ4F_freeDecompressionContext(trace->dctx);
  }
  free(trace);
}

const srr_trace_header *srr_trace_get_header(const srr_trace *trace) {
  return &trace->header;
}

/* Binary search in an array sorted by a leading uint32_t index field. */
#define FIND_BY_INDEX(array, count, wanted)                                                        \
  do {                                                                                             \
    size_t lo = 0, hi = (count);                                                                   \
    while (lo < hi) {                                                                              \
      size_t mid = lo + (hi - lo) / 2;                                                             \
      if ((array)[mid].index == (wanted)) {                                                        \
        return &(array)[mid];                                                                      \
      }                                                                                            \
      if ((array)[mid].index < (wanted)) {                                                         \
        lo = mid + 1;                                                                              \
      } else {                                                                                     \
        hi = mid;                                                                                  \
      }                                                                                            \
    }                                                                                              \
    return NULL;                                                                                   \
  } while (0)

const srr_trace_import *srr_trace_find_import(const srr_trace *trace, uint64_t index) {
  FIND_BY_INDEX(trace->header.imports, trace->header.import_count, index);
}
const srr_trace_export *srr_trace_find_export(const srr_trace *trace, uint64_t index) {
  FIND_BY_INDEX(trace->header.exports, trace->header.export_count, index);
}
const srr_trace_memory *srr_trace_find_memory(const srr_trace *trace, uint64_t index) {
  FIND_BY_INDEX(trace->header.memories, trace->header.memory_count, index);
}
const srr_trace_global *srr_trace_find_global(const srr_trace *trace, uint64_t index) {
  FIND_BY_INDEX(trace->header.globals, trace->header.global_count, index);
}

/* ---- Chunks --------------------------------------------------------------- */

void srr_trace_rewind_chunks(srr_trace *trace) {
  trace->next_offset = trace->header.size;
  trace->next_chunk_number = 0;
  trace->walk_done = 0;
  trace->truncated = 0;
  trace->truncation_offset = 0;
  trace->truncation[0] = '\0';
  trace->chunks_raw = trace->chunks_lz4 = 0;
  trace->raw_bytes = trace->stored_bytes = 0;
}

const char *srr_trace_truncation(const srr_trace *trace, size_t *offset) {
  if (!trace->truncated) {
    return NULL;
  }
  if (offset) {
    *offset = trace->truncation_offset;
  }
  return trace->truncation;
}

__attribute__((format(printf, 3, 4))) static int end_truncated(srr_trace *t, size_t offset,
                                                               const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(t->truncation, sizeof t->truncation, fmt, ap);
  va_end(ap);
  t->truncated = 1;
  t->truncation_offset = offset;
  t->walk_done = 1;
  return 0;
}

/* Decodes one LZ4 frame of exactly src_size bytes into exactly dst_size
 * bytes; returns NULL or what is wrong. */
static const char *lz4_decode(srr_trace *t, const uint8_t *src, size_t src_size, uint8_t *dst,
                              size_t dst_size) {
  if (!t->dctx) {
    if (LZ4F_isError(LZ4F_createDecompressionContext(&t->dctx, LZ4F_VERSION))) {
      t->dctx = NULL;
      return "out of memory";
    }
  } else {
    LZ4F_resetDecompressionContext(t->dctx);
  }
  size_t src_used = 0, dst_used = 0;
  for (;;) {
    size_t src_step = src_size - src_used, dst_step = dst_size - dst_used;
    size_t hint = LZ4F_decompress(t->dctx, dst + dst_used, &dst_step, src + src_used, &src_step, NULL);
    if (LZ4F_isError(hint)) {
      return LZ4F_getErrorName(hint);
    }
    src_used += src_step;
    dst_used += dst_step;
    if (hint == 0) {
      break; /* the frame is complete (and its checksum checked) */
    }
    if (src_step == 0 && dst_step == 0) {
      return src_used == src_size ? "LZ4 frame cut short" : "LZ4 frame holds more than raw_length bytes";
    }
  }
  if (src_used != src_size) {
    return "bytes after the LZ4 frame";
  }
  if (dst_used != dst_size) {
    return "LZ4 frame holds fewer than raw_length bytes";
  }
  return NULL;
}

int srr_trace_next_chunk(srr_trace *t, srr_trace_chunk *chunk, srr_trace_error *err) {
  if (t->walk_done) {
    return 0;
  }
  size_t offset = t->next_offset;
  uint32_t number = t->next_chunk_number;
  size_t left = t->size - offset;
  if (left == 0) {
    t->walk_done = 1;
    return 0;
  }
  const uint8_t *p = t->bytes + offset;
  static const uint8_t kChunkMagic[4] = {'S', 'R', 'R', 'C'};
  if (memcmp(p, kChunkMagic, left < 4 ? left : 4) != 0) {
    return fail(err, SRR_TRACE_CORRUPT, "corrupt trace: chunk %u at byte %zu: no SRRC chunk header",
                number, offset);
  }
  if (left < SRR_CHUNK_HEADER_SIZE) {
    return end_truncated(t, offset,
                         "chunk %u at byte %zu is cut short: the file ends after %zu of its %d header bytes",
                         number, offset, left, SRR_CHUNK_HEADER_SIZE);
  }
  uint8_t codec = p[4];
  uint32_t raw_length = get_u32(p + 8), stored_length = get_u32(p + 12), crc = get_u32(p + 16);
  if (codec != SRR_CODEC_RAW && codec != SRR_CODEC_LZ4) {
    return fail(err, SRR_TRACE_CORRUPT, "corrupt trace: chunk %u at byte %zu: unknown codec %u", number,
                offset, codec);
  }
  if (codec == SRR_CODEC_RAW && raw_length != stored_length) {
    return fail(err, SRR_TRACE_CORRUPT,
                "corrupt trace: chunk %u at byte %zu: raw chunk with raw_length %u but stored_length %u",
                number, offset, raw_length, stored_length);
  }
  if (stored_length > left - SRR_CHUNK_HEADER_SIZE) {
    return end_truncated(t, offset,
                         "chunk %u at byte %zu is cut short: the file ends after %zu of its %llu bytes",
                         number, offset, left,
                         (unsigned long long)SRR_CHUNK_HEADER_SIZE + stored_length);
  }
  int is_last = stored_length == left - SRR_CHUNK_HEADER_SIZE;
  const uint8_t *stored = p + SRR_CHUNK_HEADER_SIZE;
  const uint8_t *raw = stored;
  const char *damage = NULL;
  if (codec == SRR_CODEC_LZ4) {
    /* LZ4 cannot expand data by more than 255 times: a larger raw_length is
       damage, and must not make us allocate gigabytes. */
    if (raw_length / 255 > stored_length) {
      damage = "raw_length too large for its LZ4 frame";
    } else {
      if (t->scratch_capacity < (size_t)raw_length + 1) {
        uint8_t *bigger = realloc(t->scratch, (size_t)raw_length + 1);
        if (!bigger) {
          return out_of_memory(err);
        }
        t->scratch = bigger;
        t->scratch_capacity = (size_t)raw_length + 1;
      }
      damage = lz4_decode(t, stored, stored_length, t->scratch, raw_length);
      if (damage && strcmp(damage, "out of memory") == 0) {
        return out_of_memory(err);
      }
      raw = t->scratch;
    }
  }
  if (!damage && srr_crc32(0, raw, raw_length) != crc) {
    damage = "checksum mismatch";
  }
  if (damage) {
    if (is_last) {
      return end_truncated(t, offset, "last chunk %u at byte %zu: %s", number, offset, damage);
    }
    return fail(err, SRR_TRACE_CORRUPT, "corrupt trace: chunk %u at byte %zu: %s", number, offset, damage);
  }
  chunk->number = number;
  chunk->offset = offset;
  chunk->codec = codec;
  chunk->raw_length = raw_length;
  chunk->stored_length = stored_length;
  chunk->crc = crc;
  chunk->raw = raw;
  t->next_offset = offset + SRR_CHUNK_HEADER_SIZE + stored_length;
  t->next_chunk_number = number + 1;
  if (codec == SRR_CODEC_RAW) {
    t->chunks_raw++;
  } else {
    t->chunks_lz4++;
  }
  t->raw_bytes += raw_length;
  t->stored_bytes += stored_length;
  return 1;
}

int srr_trace_read_events(srr_trace *trace, uint8_t **events, size_t *size, srr_trace_error *err) {
  *events = NULL;
  *size = 0;
  size_t used = 0, capacity = 4096;
  uint8_t *buffer = malloc(capacity);
  if (!buffer) {
    return out_of_memory(err);
  }
  srr_trace_rewind_chunks(trace);
  srr_trace_chunk chunk;
  int got;
  while ((got = srr_trace_next_chunk(trace, &chunk, err)) == 1) {
    if (chunk.raw_length > capacity - used) {
      size_t wanted = used + chunk.raw_length;
      while (capacity < wanted) {
        capacity *= 2;
      }
      uint8_t *bigger = realloc(buffer, capacity);
      if (!bigger) {
        free(buffer);
        return out_of_memory(err);
      }
      buffer = bigger;
    }
    memcpy(buffer + used, chunk.raw, chunk.raw_length);
    used += chunk.raw_length;
  }
  if (got < 0) {
    free(buffer);
    return -1;
  }
  *events = buffer;
  *size = used;
  return 0;
}

/* ---- Events --------------------------------------------------------------- */

int srr_event_cursor_init(srr_event_cursor *cursor, const srr_trace *trace, const uint8_t *bytes,
                          size_t size, srr_trace_error *err) {
  memset(cursor, 0, sizeof *cursor);
  cursor->trace = trace;
  cursor->bytes = bytes;
  cursor->size = size;
  cursor->value_capacity = trace->max_value_count;
  cursor->values = calloc(cursor->value_capacity, sizeof *cursor->values);
  if (!cursor->values) {
    return out_of_memory(err);
  }
  return 0;
}

void srr_event_cursor_free(srr_event_cursor *cursor) {
  free(cursor->values);
  cursor->values = NULL;
}

static int read_value(byte_reader *r, uint8_t type, srr_value *value) {
  const uint8_t *bytes;
  value->type = type;
  switch (type) {
  case SRR_T_I32:
    return read_uleb32(r, &value->as.i32);
  case SRR_T_I64:
    return read_uleb(r, &value->as.i64);
  case SRR_T_F32:
    if (read_span(r, 4, &bytes) != 0) {
      return -1;
    }
    value->as.f32_bits = get_u32(bytes);
    return 0;
  case SRR_T_F64:
    if (read_span(r, 8, &bytes) != 0) {
      return -1;
    }
    value->as.f64_bits = get_u64(bytes);
    return 0;
  case SRR_T_V128:
    if (read_span(r, 16, &bytes) != 0) {
      return -1;
    }
    memcpy(value->as.v128, bytes, 16);
    return 0;
  default:
    return reader_fail(r, "unknown value type"); /* the header parser refused it already */
  }
}

static int read_values(srr_event_cursor *c, byte_reader *r, srr_event *ev, const uint8_t *types,
                       uint32_t count) {
  for (uint32_t i = 0; i < count; i++) {
    if (read_value(r, types[i], &c->values[i]) != 0) {
      return -1;
    }
  }
  ev->values = c->values;
  ev->value_count = count;
  return 0;
}

/* Decodes the payload after the kind byte; -1 with r->problem set. */
static int read_event_payload(srr_event_cursor *c, byte_reader *r, srr_event *ev, char *problem,
                              size_t problem_size) {
  const srr_trace *t = c->trace;
  uint64_t index;
  switch (ev->kind) {
  case SRR_EV_IMPORT_CALL:
  case SRR_EV_IMPORT_RETURN: {
    if (read_uleb(r, &index) != 0) {
      return -1;
    }
    const srr_trace_import *im = srr_trace_find_import(t, index);
    if (!im) {
      snprintf(problem, problem_size, "unknown import %llu", (unsigned long long)index);
      return reader_fail(r, problem);
    }
    ev->index = im->index;
    ev->import_entry = im;
    return ev->kind == SRR_EV_IMPORT_CALL
               ? read_values(c, r, ev, im->signature.params, im->signature.param_count)
               : read_values(c, r, ev, im->signature.results, im->signature.result_count);
  }
  case SRR_EV_EXPORT_CALL:
  case SRR_EV_EXPORT_RETURN: {
    if (read_uleb(r, &index) != 0) {
      return -1;
    }
    const srr_trace_export *ex = srr_trace_find_export(t, index);
    if (!ex) {
      snprintf(problem, problem_size, "unknown export %llu", (unsigned long long)index);
      return reader_fail(r, problem);
    }
    ev->index = ex->index;
    ev->export_entry = ex;
    return ev->kind == SRR_EV_EXPORT_CALL
               ? read_values(c, r, ev, ex->signature.params, ex->signature.param_count)
               : read_values(c, r, ev, ex->signature.results, ex->signature.result_count);
  }
  case SRR_EV_GLOBAL_CHANGE: {
    if (read_uleb(r, &index) != 0) {
      return -1;
    }
    const srr_trace_global *g = srr_trace_find_global(t, index);
    if (!g) {
      snprintf(problem, problem_size, "unknown global %llu", (unsigned long long)index);
      return reader_fail(r, problem);
    }
    ev->index = g->index;
    ev->global_entry = g;
    return read_values(c, r, ev, &g->type, 1);
  }
  case SRR_EV_MEMORY_WRITE:
  case SRR_EV_MEMORY_GROW:
  case SRR_EV_HOST_MEMORY_GROW:
    if (read_uleb(r, &index) != 0) {
      return -1;
    }
    if (!srr_trace_find_memory(t, index)) {
      snprintf(problem, problem_size, "unknown memory %llu", (unsigned long long)index);
      return reader_fail(r, problem);
    }
    ev->memory = (uint32_t)index;
    if (ev->kind == SRR_EV_MEMORY_WRITE) {
      if (read_uleb(r, &ev->address) != 0 || read_uleb(r, &ev->length) != 0) {
        return -1;
      }
      return read_span(r, ev->length, &ev->bytes);
    }
    if (ev->kind == SRR_EV_MEMORY_GROW) {
      if (read_uleb(r, &ev->delta_pages) != 0) {
        return -1;
      }
      return read_sleb(r, &ev->result);
    }
    return read_uleb(r, &ev->new_pages);
  case SRR_EV_TRAP: {
    const uint8_t *message;
    if (read_uleb(r, &index) != 0 || read_span(r, index, &message) != 0) {
      return -1;
    }
    ev->message = (const char *)message;
    ev->message_length = (size_t)index;
    return 0;
  }
  case SRR_EV_END:
    return 0;
  default:
    if (t->header.minor > SRR_TRACE_MINOR) {
      snprintf(problem, problem_size,
               "unknown event kind %u (the trace is format %u.%u, this shadowrr reads %d.%d)", ev->kind,
               t->header.major, t->header.minor, SRR_TRACE_MAJOR, SRR_TRACE_MINOR);
    } else {
      snprintf(problem, problem_size, "unknown event kind %u", ev->kind);
    }
    return reader_fail(r, problem);
  }
}

int srr_event_next(srr_event_cursor *c, srr_event *ev, srr_trace_error *err) {
  if (c->position >= c->size) {
    return 0;
  }
  memset(ev, 0, sizeof *ev);
  ev->number = c->next_number;
  ev->offset = c->position;
  ev->kind = c->bytes[c->position];
  byte_reader r = {c->bytes, c->size, c->position + 1, NULL};
  char problem[160];
  if (read_event_payload(c, &r, ev, problem, sizeof problem) != 0) {
    return fail(err, SRR_TRACE_CORRUPT, "corrupt trace: event %llu at byte %zu: %s%s",
                (unsigned long long)ev->number, ev->offset,
                strcmp(r.problem, "runs past the end") == 0 ? srr_event_kind_name(ev->kind) : "",
                strcmp(r.problem, "runs past the end") == 0 ? " runs past the end of the events"
                                                            : r.problem);
  }
  ev->size = r.position - c->position;
  c->position = r.position;
  c->next_number++;
  return 1;
}

/* ---- Summary -------------------------------------------------------------- */

int srr_trace_summarize(srr_trace *trace, srr_trace_summary *summary, srr_trace_error *err) {
  memset(summary, 0, sizeof *summary);
  uint8_t *events;
  size_t size;
  if (srr_trace_read_events(trace, &events, &size, err) != 0) {
    return -1;
  }
  srr_event_cursor cursor;
  if (srr_event_cursor_init(&cursor, trace, events, size, err) != 0) {
    free(events);
    return -1;
  }
  srr_event ev;
  int got;
  uint8_t last_kind = 0;
  while ((got = srr_event_next(&cursor, &ev, err)) == 1) {
    summary->events++;
    summary->events_by_kind[ev.kind]++;
    if (ev.kind == SRR_EV_MEMORY_WRITE) {
      summary->memory_write_bytes += ev.length;
    }
    last_kind = ev.kind;
  }
  srr_event_cursor_free(&cursor);
  free(events);
  if (got < 0) {
    return -1;
  }
  summary->complete = last_kind == SRR_EV_END || last_kind == SRR_EV_TRAP;
  summary->raw_event_bytes = trace->raw_bytes;
  summary->stored_chunk_bytes = trace->stored_bytes;
  summary->chunks_raw = trace->chunks_raw;
  summary->chunks_lz4 = trace->chunks_lz4;
  summary->truncation = srr_trace_truncation(trace, &summary->truncation_offset);
  return 0;
}
