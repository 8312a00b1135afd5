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

/* A malloc'd copy of bytes[0..length) with a NUL added, or NULL. */
static char *copy_str(const uint8_t *bytes, size_t length) {
  char *s = malloc(length + 1);
  if (s) {
    memcpy(s, bytes, length);
    s[length] = '\0';
  }
  return s;
}

/* ---- Decoding: srr_trace_decode.h, plus copies of strings ------------------- */

/* A `str`, copied with a NUL added. */
static int read_str(srr_dec *r, char **out) {
  const uint8_t *bytes;
  size_t length;
  if (srr_dec_str(r, &bytes, &length) != 0) {
    return -1;
  }
  *out = copy_str(bytes, length);
  return *out ? 0 : srr_dec_fail(r, "out of memory");
}

/* ---- Names ---------------------------------------------------------------- */

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
  case SRR_HDR_TABLE: return "TABLE";
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
  free(h->tables);
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
static int compare_table(const void *a, const void *b) {
  uint32_t x = ((const srr_trace_table *)a)->index, y = ((const srr_trace_table *)b)->index;
  return (x > y) - (x < y);
}

/* Parses one known field's payload; returns -1 with r->problem set. */
static int parse_field(srr_trace *t, uint8_t tag, srr_dec *r, int *seen) {
  srr_trace_header *h = &t->header;
  const uint8_t *bytes;
  int at_most_once = tag == SRR_HDR_MODULE_SHA256 || tag == SRR_HDR_MODULE_NAME ||
                     tag == SRR_HDR_RECORDER || tag == SRR_HDR_FLAGS || tag == SRR_HDR_SHADOW_OFFSET;
  if (at_most_once) {
    if (seen[tag]) {
      return srr_dec_fail(r, "given twice");
    }
    seen[tag] = 1;
  }
  switch (tag) {
  case SRR_HDR_MODULE_SHA256:
    if (r->size != 32) {
      return srr_dec_fail(r, "not 32 bytes long");
    }
    srr_dec_span(r, 32, &bytes);
    memcpy(h->module_sha256, bytes, 32);
    return 0;
  case SRR_HDR_MODULE_NAME:
    return read_str(r, &h->module_name);
  case SRR_HDR_RECORDER:
    return read_str(r, &h->recorder);
  case SRR_HDR_FLAGS:
    h->has_flags = 1;
    return srr_dec_uleb(r, &h->flags);
  case SRR_HDR_SHADOW_OFFSET:
    h->has_shadow_offset = 1;
    return srr_dec_uleb(r, &h->shadow_offset);
  case SRR_HDR_IMPORT: {
    srr_trace_import *im = append((void **)&h->imports, &h->import_count, sizeof *im);
    srr_hdr_import f;
    if (!im) {
      return srr_dec_fail(r, "out of memory");
    }
    if (srr_dec_import_field(r, &f) != 0) {
      return -1;
    }
    im->index = f.index;
    im->signature = f.signature;
    im->module = copy_str(f.module, f.module_length);
    im->name = copy_str(f.name, f.name_length);
    return im->module && im->name ? 0 : srr_dec_fail(r, "out of memory");
  }
  case SRR_HDR_EXPORT: {
    srr_trace_export *ex = append((void **)&h->exports, &h->export_count, sizeof *ex);
    srr_hdr_export f;
    if (!ex) {
      return srr_dec_fail(r, "out of memory");
    }
    if (srr_dec_export_field(r, &f) != 0) {
      return -1;
    }
    ex->index = f.index;
    ex->signature = f.signature;
    ex->name = copy_str(f.name, f.name_length);
    return ex->name ? 0 : srr_dec_fail(r, "out of memory");
  }
  case SRR_HDR_MEMORY: {
    srr_trace_memory *mem = append((void **)&h->memories, &h->memory_count, sizeof *mem);
    srr_hdr_memory f;
    if (!mem) {
      return srr_dec_fail(r, "out of memory");
    }
    if (srr_dec_memory_field(r, &f) != 0) {
      return -1;
    }
    mem->index = f.index;
    mem->initial_pages = f.initial_pages;
    mem->has_max = f.has_max;
    mem->max_pages = f.max_pages;
    return 0;
  }
  case SRR_HDR_GLOBAL: {
    srr_trace_global *g = append((void **)&h->globals, &h->global_count, sizeof *g);
    srr_hdr_global f;
    if (!g) {
      return srr_dec_fail(r, "out of memory");
    }
    if (srr_dec_global_field(r, &f) != 0) {
      return -1;
    }
    g->index = f.index;
    g->type = f.type;
    g->export_name = copy_str(f.export_name, f.export_name_length);
    return g->export_name ? 0 : srr_dec_fail(r, "out of memory");
  }
  case SRR_HDR_TABLE: {
    srr_trace_table *tb = append((void **)&h->tables, &h->table_count, sizeof *tb);
    srr_hdr_table f;
    if (!tb) {
      return srr_dec_fail(r, "out of memory");
    }
    if (srr_dec_table_field(r, &f) != 0) {
      return -1;
    }
    tb->index = f.index;
    tb->type = f.type;
    return 0;
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
  if (h->table_count) {
    qsort(h->tables, h->table_count, sizeof *h->tables, compare_table);
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
  for (uint32_t i = 0; i < h->table_count; i++) {
    if (h->tables[i].type == SRR_T_FUNCREF && t->max_value_count < SRR_HOST_FUNCREF_CALL_MAX_VALUES) {
      t->max_value_count = SRR_HOST_FUNCREF_CALL_MAX_VALUES;
    }
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
  for (uint32_t i = 1; i < h->table_count; i++) {
    if (h->tables[i].index == h->tables[i - 1].index) {
      return fail(err, SRR_TRACE_CORRUPT, "corrupt trace: header: table %u given twice", h->tables[i].index);
    }
  }
  return 0;
}

static int parse_header_body(srr_trace *t, const uint8_t *body, size_t size, srr_trace_error *err) {
  srr_dec fields = srr_dec_make(body, size);
  int seen[SRR_HDR_TAG_MAX + 1] = {0};
  for (uint32_t number = 0;; number++) {
    size_t start = fields.position;
    uint8_t tag = 0;
    uint64_t length;
    const uint8_t *payload;
    int got = srr_next_header_field(&fields, &tag, &payload, &length);
    if (got == 0) {
      break;
    }
    if (got < 0) {
      return fail(err, SRR_TRACE_CORRUPT, "corrupt trace: header field %u (tag %u) at byte %zu: %s",
                  number, tag, SRR_FILE_PREFIX_SIZE + start, fields.problem);
    }
    if (tag == 0 || tag > SRR_HDR_TAG_MAX) {
      t->header.unknown_field_count++; /* added by a newer minor version */
      continue;
    }
    /* A known field may carry trailing bytes a newer minor version added:
       they are ignored, but reading past the field is an error. */
    srr_dec r = srr_dec_make(payload, (size_t)length);
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
  srr_file_header fh;
  switch (srr_check_file_header(bytes, size, &fh)) {
  case SRR_FH_OK:
    break;
  case SRR_FH_EMPTY:
    fail(err, SRR_TRACE_FOREIGN, "foreign file: not a shadowrr trace (empty file)");
    return NULL;
  case SRR_FH_FOREIGN:
    fail(err, SRR_TRACE_FOREIGN, "foreign file: not a shadowrr trace");
    return NULL;
  case SRR_FH_SHORT:
    truncated_header(err, size, fh.need);
    return NULL;
  case SRR_FH_VERSION:
    fail(err, SRR_TRACE_VERSION, "trace format version %u.%u is %s than this shadowrr (%d.%d)", fh.major,
         fh.minor, fh.major > SRR_TRACE_MAJOR ? "newer" : "older", SRR_TRACE_MAJOR, SRR_TRACE_MINOR);
    return NULL;
  case SRR_FH_CHECKSUM:
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
  t->header.major = fh.major;
  t->header.minor = fh.minor;
  t->header.size = (size_t)fh.size;
  if (parse_header_body(t, fh.body, fh.body_size, err) != 0) {
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
const srr_trace_table *srr_trace_find_table(const srr_trace *trace, uint64_t index) {
  FIND_BY_INDEX(trace->header.tables, trace->header.table_count, index);
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
  srr_chunk_info info;
  switch (srr_check_chunk(t->bytes + offset, left, &info)) {
  case SRR_CHUNK_OK:
    break;
  case SRR_CHUNK_NONE:
    t->walk_done = 1;
    return 0;
  case SRR_CHUNK_BAD_MAGIC:
    return fail(err, SRR_TRACE_CORRUPT, "corrupt trace: chunk %u at byte %zu: no SRRC chunk header",
                number, offset);
  case SRR_CHUNK_SHORT_HEADER:
    return end_truncated(t, offset,
                         "chunk %u at byte %zu is cut short: the file ends after %zu of its %d header bytes",
                         number, offset, left, SRR_CHUNK_HEADER_SIZE);
  case SRR_CHUNK_BAD_CODEC:
    return fail(err, SRR_TRACE_CORRUPT, "corrupt trace: chunk %u at byte %zu: unknown codec %u", number,
                offset, info.codec);
  case SRR_CHUNK_RAW_MISMATCH:
    return fail(err, SRR_TRACE_CORRUPT,
                "corrupt trace: chunk %u at byte %zu: raw chunk with raw_length %u but stored_length %u",
                number, offset, info.raw_length, info.stored_length);
  case SRR_CHUNK_SHORT:
    return end_truncated(t, offset,
                         "chunk %u at byte %zu is cut short: the file ends after %zu of its %llu bytes",
                         number, offset, left,
                         (unsigned long long)SRR_CHUNK_HEADER_SIZE + info.stored_length);
  }
  uint8_t codec = info.codec;
  uint32_t raw_length = info.raw_length, stored_length = info.stored_length, crc = info.crc;
  int is_last = info.is_last;
  const uint8_t *stored = info.stored;
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

int srr_event_next(srr_event_cursor *c, srr_event *ev, srr_trace_error *err) {
  if (c->position >= c->size) {
    return 0;
  }
  const srr_trace *t = c->trace;
  memset(ev, 0, sizeof *ev);
  ev->number = c->next_number;
  ev->offset = c->position;
  srr_dec d = srr_dec_make(c->bytes, c->size);
  d.position = c->position;
  srr_decoded_event de;
  const uint8_t *types = NULL;
  uint32_t count = 0;
  int rc = srr_decode_event_head(&d, &de);
  if (rc == 0) {
    switch (srr_event_index_space(de.kind)) {
    case SRR_INDEX_IMPORT: {
      const srr_trace_import *im = srr_trace_find_import(t, de.index);
      if (!im) {
        rc = srr_dec_fail_value(&d, "unknown import", de.index);
        break;
      }
      ev->import_entry = im;
      int call = de.kind == SRR_EV_IMPORT_CALL;
      types = call ? im->signature.params : im->signature.results;
      count = call ? im->signature.param_count : im->signature.result_count;
      break;
    }
    case SRR_INDEX_EXPORT: {
      const srr_trace_export *ex = srr_trace_find_export(t, de.index);
      if (!ex) {
        rc = srr_dec_fail_value(&d, "unknown export", de.index);
        break;
      }
      ev->export_entry = ex;
      int call = de.kind == SRR_EV_EXPORT_CALL;
      types = call ? ex->signature.params : ex->signature.results;
      count = call ? ex->signature.param_count : ex->signature.result_count;
      break;
    }
    case SRR_INDEX_GLOBAL: {
      const srr_trace_global *g = srr_trace_find_global(t, de.index);
      if (!g) {
        rc = srr_dec_fail_value(&d, "unknown global", de.index);
        break;
      }
      ev->global_entry = g;
      types = &g->type;
      count = 1;
      break;
    }
    case SRR_INDEX_MEMORY:
      if (!srr_trace_find_memory(t, de.index)) {
        rc = srr_dec_fail_value(&d, "unknown memory", de.index);
      }
      break;
    case SRR_INDEX_TABLE:
      if (!srr_trace_find_table(t, de.index)) {
        rc = srr_dec_fail_value(&d, "unknown table", de.index);
      }
      break;
    default:
      break;
    }
  }
  if (rc == 0) {
    rc = srr_decode_event_rest(&d, types, count, c->values, c->value_capacity, &de);
  }
  if (rc != 0) {
    uint8_t kind = c->bytes[c->position];
    char problem[160];
    if (strcmp(d.problem, "runs past the end") == 0) {
      snprintf(problem, sizeof problem, "%s runs past the end of the events", srr_event_kind_name(kind));
    } else if (strcmp(d.problem, "unknown event kind") == 0 && t->header.minor > SRR_TRACE_MINOR) {
      snprintf(problem, sizeof problem,
               "unknown event kind %u (the trace is format %u.%u, this shadowrr reads %d.%d)", kind,
               t->header.major, t->header.minor, SRR_TRACE_MAJOR, SRR_TRACE_MINOR);
    } else if (strncmp(d.problem, "unknown ", 8) == 0 && strcmp(d.problem, "unknown value type") != 0) {
      snprintf(problem, sizeof problem, "%s %llu", d.problem, (unsigned long long)d.problem_value);
    } else {
      snprintf(problem, sizeof problem, "%s", d.problem);
    }
    return fail(err, SRR_TRACE_CORRUPT, "corrupt trace: event %llu at byte %zu: %s",
                (unsigned long long)ev->number, ev->offset, problem);
  }
  ev->kind = de.kind;
  if (types) {
    ev->index = (uint32_t)de.index;
    ev->values = c->values;
    ev->value_count = count;
  }
  if (srr_event_index_space(de.kind) == SRR_INDEX_MEMORY) {
    ev->memory = (uint32_t)de.index;
  }
  if (srr_event_index_space(de.kind) == SRR_INDEX_TABLE) {
    ev->table = (uint32_t)de.index;
  }
  if (de.kind == SRR_EV_HOST_FUNCREF_CALL) {
    ev->values = c->values;
    ev->value_count = de.value_count;
    ev->signature = de.signature;
  }
  ev->element = de.element;
  ev->non_null = de.non_null;
  ev->new_size = de.new_size;
  ev->address = de.address;
  ev->length = de.length;
  ev->bytes = de.bytes;
  ev->delta_pages = de.delta_pages;
  ev->result = de.result;
  ev->new_pages = de.new_pages;
  ev->message = (const char *)de.message;
  ev->message_length = de.message_length;
  ev->size = de.size;
  c->position = d.position;
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
    summary->traps_resumed += last_kind == SRR_EV_TRAP;
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
