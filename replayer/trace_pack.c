/* trace_pack.c: rewriting a trace's raw chunks as LZ4 chunks. */
#include "trace_pack.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lz4frame.h>

#include "file_io.h"

typedef struct out_buffer {
  uint8_t *bytes;
  size_t size;
  size_t capacity;
} out_buffer;

/* Makes room for n more bytes; returns where they go, or NULL. */
static uint8_t *reserve(out_buffer *b, size_t n) {
  if (n > b->capacity - b->size) {
    size_t capacity = b->capacity ? b->capacity : 4096;
    while (capacity - b->size < n) {
      capacity *= 2;
    }
    uint8_t *bigger = realloc(b->bytes, capacity);
    if (!bigger) {
      return NULL;
    }
    b->bytes = bigger;
    b->capacity = capacity;
  }
  return b->bytes + b->size;
}

static int append(out_buffer *b, const void *bytes, size_t n) {
  uint8_t *at = reserve(b, n);
  if (!at) {
    return -1;
  }
  memcpy(at, bytes, n);
  b->size += n;
  return 0;
}

static int out_of_memory(srr_trace_error *err) {
  err->status = SRR_TRACE_OUT_OF_MEMORY;
  snprintf(err->message, sizeof err->message, "out of memory");
  return -1;
}

/* Appends the chunk as an LZ4 chunk; leaves it raw (returns 0 with *packed
 * = 0) when LZ4 does not make it smaller. */
static int append_lz4_chunk(out_buffer *b, const srr_trace_chunk *chunk, int *packed) {
  LZ4F_preferences_t prefs;
  memset(&prefs, 0, sizeof prefs);
  prefs.frameInfo.contentChecksumFlag = LZ4F_contentChecksumEnabled;
  prefs.frameInfo.contentSize = chunk->raw_length;
  size_t bound = LZ4F_compressFrameBound(chunk->raw_length, &prefs);
  uint8_t *at = reserve(b, SRR_CHUNK_HEADER_SIZE + bound);
  if (!at) {
    return -1;
  }
  size_t stored =
      LZ4F_compressFrame(at + SRR_CHUNK_HEADER_SIZE, bound, chunk->raw, chunk->raw_length, &prefs);
  if (LZ4F_isError(stored) || stored >= chunk->raw_length) {
    *packed = 0; /* the bytes written past b->size are simply overwritten */
    srr_put_chunk_header(at, SRR_CODEC_RAW, chunk->raw_length, chunk->raw_length, chunk->crc);
    memcpy(at + SRR_CHUNK_HEADER_SIZE, chunk->raw, chunk->raw_length);
    b->size += SRR_CHUNK_HEADER_SIZE + chunk->raw_length;
    return 0;
  }
  *packed = 1;
  srr_put_chunk_header(at, SRR_CODEC_LZ4, chunk->raw_length, (uint32_t)stored, chunk->crc);
  b->size += SRR_CHUNK_HEADER_SIZE + stored;
  return 0;
}

int srr_trace_pack(const uint8_t *in, size_t in_size, uint8_t **out, size_t *out_size,
                   srr_pack_result *result, srr_trace_error *err) {
  *out = NULL;
  *out_size = 0;
  memset(result, 0, sizeof *result);
  result->size_before = in_size;
  srr_trace *trace = srr_trace_open(in, in_size, err);
  if (!trace) {
    return -1;
  }
  /* Every event is decoded first: packing must not give a damaged trace a
     fresh look (its chunk checksums would all be right). */
  srr_trace_summary summary;
  if (srr_trace_summarize(trace, &summary, err) != 0) {
    srr_trace_close(trace);
    return -1;
  }
  srr_trace_rewind_chunks(trace);
  out_buffer b = {NULL, 0, 0};
  const srr_trace_header *header = srr_trace_get_header(trace);
  if (append(&b, in, header->size) != 0) {
    srr_trace_close(trace);
    return out_of_memory(err);
  }
  srr_trace_chunk chunk;
  int got;
  while ((got = srr_trace_next_chunk(trace, &chunk, err)) == 1) {
    int failed;
    if (chunk.codec == SRR_CODEC_LZ4) {
      result->chunks_were_lz4++;
      failed = append(&b, in + chunk.offset, SRR_CHUNK_HEADER_SIZE + (size_t)chunk.stored_length);
    } else {
      int packed = 0;
      failed = append_lz4_chunk(&b, &chunk, &packed);
      if (packed) {
        result->chunks_packed++;
      } else {
        result->chunks_left_raw++;
      }
    }
    if (failed) {
      got = out_of_memory(err);
      break;
    }
  }
  size_t damage_offset;
  const char *truncation = got == 0 ? srr_trace_truncation(trace, &damage_offset) : NULL;
  if (truncation) {
    result->truncated = 1;
    snprintf(result->truncation, sizeof result->truncation, "%s", truncation);
    if (append(&b, in + damage_offset, in_size - damage_offset) != 0) {
      got = out_of_memory(err);
    }
  }
  srr_trace_close(trace);
  if (got < 0) {
    free(b.bytes);
    return -1;
  }
  if (!b.bytes) {
    b.bytes = malloc(1);
  }
  *out = b.bytes;
  *out_size = b.size;
  result->size_after = b.size;
  return 0;
}

int srr_trace_pack_file(const char *in_path, const char *out_path, srr_pack_result *result, char *why,
                        size_t whysize) {
  uint8_t *in;
  size_t in_size;
  char reason[256];
  if (srr_read_file(in_path, &in, &in_size, reason, sizeof reason) != 0) {
    snprintf(why, whysize, "%s", reason);
    return -1;
  }
  uint8_t *out;
  size_t out_size;
  srr_trace_error err;
  int status = srr_trace_pack(in, in_size, &out, &out_size, result, &err);
  free(in);
  if (status != 0) {
    snprintf(why, whysize, "%s", err.message);
    return -1;
  }
  status = srr_write_file_atomic(out_path, out, out_size, 1, reason, sizeof reason);
  free(out);
  if (status != 0) {
    snprintf(why, whysize, "cannot write: %s", reason);
    return -1;
  }
  return 0;
}

int srr_trace_unpack(const uint8_t *in, size_t in_size, uint8_t **out, size_t *out_size, int *truncated,
                     srr_trace_error *err) {
  *out = NULL;
  *out_size = 0;
  *truncated = 0;
  srr_trace *trace = srr_trace_open(in, in_size, err);
  if (!trace) {
    return -1;
  }
  /* The raw size is the header plus, per chunk, its 20-byte header and raw
   * bytes: count first, then copy. */
  size_t header_size = srr_trace_get_header(trace)->size;
  size_t total = header_size;
  srr_trace_chunk chunk;
  int rc;
  while ((rc = srr_trace_next_chunk(trace, &chunk, err)) == 1) {
    total += SRR_CHUNK_HEADER_SIZE + chunk.raw_length;
  }
  if (rc < 0) {
    srr_trace_close(trace);
    return -1;
  }
  uint8_t *buf = malloc(total ? total : 1);
  if (!buf) {
    srr_trace_close(trace);
    err->status = SRR_TRACE_OUT_OF_MEMORY;
    snprintf(err->message, sizeof err->message, "out of memory unpacking %zu bytes", total);
    return -1;
  }
  memcpy(buf, in, header_size);
  size_t at = header_size;
  srr_trace_rewind_chunks(trace);
  while ((rc = srr_trace_next_chunk(trace, &chunk, err)) == 1) {
    at += srr_put_chunk_header(buf + at, SRR_CODEC_RAW, chunk.raw_length, chunk.raw_length, chunk.crc);
    memcpy(buf + at, chunk.raw, chunk.raw_length);
    at += chunk.raw_length;
  }
  *truncated = srr_trace_truncation(trace, NULL) != NULL;
  srr_trace_close(trace);
  if (rc < 0) {
    free(buf);
    return -1;
  }
  *out = buf;
  *out_size = at;
  return 0;
}
