/* srr_trace_decode.c: decoding half of the trace format (docs/trace-format.md).
 * Freestanding: compiles natively and for wasm32 without a libc. */
#include "srr_trace_decode.h"

/* ---- The cursor ------------------------------------------------------------ */

int srr_dec_fail(srr_dec *d, const char *problem) {
  if (!d->problem) {
    d->problem = problem;
  }
  return -1;
}

int srr_dec_fail_value(srr_dec *d, const char *problem, uint64_t value) {
  if (!d->problem) {
    d->problem = problem;
    d->problem_value = value;
  }
  return -1;
}

int srr_dec_u8(srr_dec *d, uint8_t *value) {
  if (d->problem) {
    return -1;
  }
  if (d->position >= d->size) {
    return srr_dec_fail(d, "runs past the end");
  }
  *value = d->bytes[d->position++];
  return 0;
}

int srr_dec_span(srr_dec *d, uint64_t n, const uint8_t **bytes) {
  if (d->problem) {
    return -1;
  }
  if (n > d->size - d->position) {
    return srr_dec_fail(d, "runs past the end");
  }
  *bytes = d->bytes + d->position;
  d->position += (size_t)n;
  return 0;
}

int srr_dec_u32(srr_dec *d, uint32_t *value) {
  const uint8_t *p;
  if (srr_dec_span(d, 4, &p) != 0) {
    return -1;
  }
  *value = srr_get_u32(p);
  return 0;
}

int srr_dec_u64(srr_dec *d, uint64_t *value) {
  const uint8_t *p;
  if (srr_dec_span(d, 8, &p) != 0) {
    return -1;
  }
  *value = srr_get_u64(p);
  return 0;
}

int srr_dec_uleb(srr_dec *d, uint64_t *value) {
  if (d->problem) {
    return -1;
  }
  /* The common case, inline: a number whose bytes are all there. */
  uint64_t result = 0;
  size_t p = d->position;
  for (int shift = 0;; shift += 7) {
    if (p >= d->size) {
      return srr_dec_fail(d, "runs past the end");
    }
    uint8_t byte = d->bytes[p++];
    if (shift == 63 && byte > 1) {
      return srr_dec_fail(d, "malformed LEB128 number (more than 64 bits)");
    }
    result |= (uint64_t)(byte & 0x7f) << shift;
    if (!(byte & 0x80)) {
      d->position = p;
      *value = result;
      return 0;
    }
  }
}

int srr_dec_uleb32(srr_dec *d, uint32_t *value) {
  uint64_t wide;
  if (srr_dec_uleb(d, &wide) != 0) {
    return -1;
  }
  if (wide > UINT32_MAX) {
    return srr_dec_fail(d, "number larger than 32 bits");
  }
  *value = (uint32_t)wide;
  return 0;
}

int srr_dec_sleb(srr_dec *d, int64_t *value) {
  uint64_t result = 0;
  for (int shift = 0;; shift += 7) {
    uint8_t byte;
    if (srr_dec_u8(d, &byte) != 0) {
      return -1;
    }
    if (shift == 63 && byte != 0x00 && byte != 0x7f) {
      return srr_dec_fail(d, "malformed LEB128 number (more than 64 bits)");
    }
    result |= (uint64_t)(byte & 0x7f) << shift;
    if (!(byte & 0x80)) {
      if (shift + 7 < 64 && (byte & 0x40)) {
        result |= ~(uint64_t)0 << (shift + 7);
      }
      /* Two's complement, without the implementation-defined conversion. */
      *value = result <= (uint64_t)INT64_MAX ? (int64_t)result
                                              : -(int64_t)(~result) - 1;
      return 0;
    }
  }
}

int srr_dec_str(srr_dec *d, const uint8_t **s, size_t *length) {
  uint64_t n;
  if (srr_dec_uleb(d, &n) != 0 || srr_dec_span(d, n, s) != 0) {
    return -1;
  }
  *length = (size_t)n;
  return 0;
}

int srr_is_value_type(uint8_t type) {
  return type == SRR_T_I32 || type == SRR_T_I64 || type == SRR_T_F32 || type == SRR_T_F64 ||
         type == SRR_T_V128 || srr_is_ref_type(type);
}

int srr_is_ref_type(uint8_t type) {
  return type == SRR_T_FUNCREF || type == SRR_T_EXTERNREF;
}

static int dec_types(srr_dec *d, uint32_t *count, const uint8_t **types) {
  if (srr_dec_uleb32(d, count) != 0 || srr_dec_span(d, *count, types) != 0) {
    return -1;
  }
  for (uint32_t i = 0; i < *count; i++) {
    if (!srr_is_value_type((*types)[i])) {
      return srr_dec_fail(d, "unknown value type");
    }
  }
  return 0;
}

int srr_dec_signature(srr_dec *d, srr_trace_signature *sig) {
  if (dec_types(d, &sig->param_count, &sig->params) != 0) {
    return -1;
  }
  return dec_types(d, &sig->result_count, &sig->results);
}

int srr_signature_equal(const srr_trace_signature *a, const srr_trace_signature *b) {
  if (a->param_count != b->param_count || a->result_count != b->result_count) {
    return 0;
  }
  for (uint32_t i = 0; i < a->param_count; i++) {
    if (a->params[i] != b->params[i]) {
      return 0;
    }
  }
  for (uint32_t i = 0; i < a->result_count; i++) {
    if (a->results[i] != b->results[i]) {
      return 0;
    }
  }
  return 1;
}

/* ---- The file header --------------------------------------------------------- */

srr_file_header_status srr_check_file_header(const uint8_t *bytes, size_t size, srr_file_header *out) {
  out->major = out->minor = 0;
  out->body = NULL;
  out->body_size = 0;
  out->size = 0;
  out->need = 0;
  if (size == 0) {
    return SRR_FH_EMPTY;
  }
  size_t magic_bytes = size < SRR_TRACE_MAGIC_SIZE ? size : SRR_TRACE_MAGIC_SIZE;
  for (size_t i = 0; i < magic_bytes; i++) {
    if (bytes[i] != srr_trace_magic[i]) {
      return SRR_FH_FOREIGN;
    }
  }
  if (size < 12) {
    return SRR_FH_SHORT;
  }
  out->major = srr_get_u16(bytes + 8);
  out->minor = srr_get_u16(bytes + 10);
  if (out->major != SRR_TRACE_MAJOR) {
    return SRR_FH_VERSION;
  }
  if (size < SRR_FILE_PREFIX_SIZE) {
    return SRR_FH_SHORT;
  }
  out->body_size = srr_get_u32(bytes + 12);
  uint64_t header_size = (uint64_t)SRR_FILE_PREFIX_SIZE + out->body_size + 4;
  if (header_size > size) {
    out->need = header_size;
    return SRR_FH_SHORT;
  }
  out->body = bytes + SRR_FILE_PREFIX_SIZE;
  out->size = header_size;
  if (srr_crc32(0, out->body, out->body_size) != srr_get_u32(out->body + out->body_size)) {
    return SRR_FH_CHECKSUM;
  }
  return SRR_FH_OK;
}

/* ---- Header fields ----------------------------------------------------------- */

int srr_next_header_field(srr_dec *body, uint8_t *tag, const uint8_t **payload, uint64_t *length) {
  if (body->problem) {
    return -1;
  }
  if (body->position >= body->size) {
    return 0;
  }
  if (srr_dec_u8(body, tag) != 0 || srr_dec_uleb(body, length) != 0 ||
      srr_dec_span(body, *length, payload) != 0) {
    return -1;
  }
  return 1;
}

int srr_dec_import_field(srr_dec *d, srr_hdr_import *out) {
  if (srr_dec_uleb32(d, &out->index) != 0 || srr_dec_str(d, &out->module, &out->module_length) != 0 ||
      srr_dec_str(d, &out->name, &out->name_length) != 0) {
    return -1;
  }
  return srr_dec_signature(d, &out->signature);
}

int srr_dec_export_field(srr_dec *d, srr_hdr_export *out) {
  if (srr_dec_uleb32(d, &out->index) != 0 || srr_dec_str(d, &out->name, &out->name_length) != 0) {
    return -1;
  }
  return srr_dec_signature(d, &out->signature);
}

int srr_dec_memory_field(srr_dec *d, srr_hdr_memory *out) {
  out->max_pages = 0;
  if (srr_dec_uleb32(d, &out->index) != 0 || srr_dec_uleb(d, &out->initial_pages) != 0 ||
      srr_dec_u8(d, &out->has_max) != 0) {
    return -1;
  }
  if (out->has_max > 1) {
    return srr_dec_fail(d, "has_max is neither 0 nor 1");
  }
  return out->has_max ? srr_dec_uleb(d, &out->max_pages) : 0;
}

int srr_dec_global_field(srr_dec *d, srr_hdr_global *out) {
  if (srr_dec_uleb32(d, &out->index) != 0 || srr_dec_u8(d, &out->type) != 0) {
    return -1;
  }
  if (!srr_is_value_type(out->type)) {
    return srr_dec_fail(d, "unknown value type");
  }
  return srr_dec_str(d, &out->export_name, &out->export_name_length);
}

int srr_dec_table_field(srr_dec *d, srr_hdr_table *out) {
  if (srr_dec_uleb32(d, &out->index) != 0 || srr_dec_u8(d, &out->type) != 0) {
    return -1;
  }
  return out->type == SRR_T_EXTERNREF || out->type == SRR_T_FUNCREF ? 0 : srr_dec_fail(d, "unknown table type");
}

/* ---- Chunks ------------------------------------------------------------------- */

srr_chunk_status srr_check_chunk(const uint8_t *p, size_t left, srr_chunk_info *out) {
  static const uint8_t chunk_magic[4] = {'S', 'R', 'R', 'C'};
  out->codec = 0;
  out->raw_length = out->stored_length = out->crc = 0;
  out->stored = NULL;
  out->is_last = 0;
  if (left == 0) {
    return SRR_CHUNK_NONE;
  }
  for (size_t i = 0; i < 4 && i < left; i++) {
    if (p[i] != chunk_magic[i]) {
      return SRR_CHUNK_BAD_MAGIC;
    }
  }
  if (left < SRR_CHUNK_HEADER_SIZE) {
    return SRR_CHUNK_SHORT_HEADER;
  }
  out->codec = p[4];
  out->raw_length = srr_get_u32(p + 8);
  out->stored_length = srr_get_u32(p + 12);
  out->crc = srr_get_u32(p + 16);
  if (out->codec != SRR_CODEC_RAW && out->codec != SRR_CODEC_LZ4) {
    return SRR_CHUNK_BAD_CODEC;
  }
  if (out->codec == SRR_CODEC_RAW && out->raw_length != out->stored_length) {
    return SRR_CHUNK_RAW_MISMATCH;
  }
  if (out->stored_length > left - SRR_CHUNK_HEADER_SIZE) {
    return SRR_CHUNK_SHORT;
  }
  out->stored = p + SRR_CHUNK_HEADER_SIZE;
  out->is_last = out->stored_length == left - SRR_CHUNK_HEADER_SIZE;
  return SRR_CHUNK_OK;
}

/* ---- Events ------------------------------------------------------------------- */

int srr_dec_value(srr_dec *d, uint8_t type, srr_value *value) {
  const uint8_t *bytes;
  value->type = type;
  switch (type) {
  case SRR_T_I32:
    return srr_dec_uleb32(d, &value->as.i32);
  case SRR_T_I64:
    return srr_dec_uleb(d, &value->as.i64);
  case SRR_T_F32:
    return srr_dec_u32(d, &value->as.f32_bits);
  case SRR_T_F64:
    return srr_dec_u64(d, &value->as.f64_bits);
  case SRR_T_V128:
    if (srr_dec_span(d, 16, &bytes) != 0) {
      return -1;
    }
    for (int i = 0; i < 16; i++) {
      value->as.v128[i] = bytes[i];
    }
    return 0;
  case SRR_T_FUNCREF:
  case SRR_T_EXTERNREF:
    if (srr_dec_span(d, 1, &bytes) != 0) {
      return -1;
    }
    if (bytes[0] > 1) {
      return srr_dec_fail_value(d, "unknown reference value", bytes[0]);
    }
    value->as.non_null = bytes[0];
    return 0;
  default:
    return srr_dec_fail(d, "unknown value type");
  }
}

enum srr_index_space srr_event_index_space(uint8_t kind) {
  switch (kind) {
  case SRR_EV_IMPORT_CALL:
  case SRR_EV_IMPORT_RETURN:
    return SRR_INDEX_IMPORT;
  case SRR_EV_EXPORT_CALL:
  case SRR_EV_EXPORT_RETURN:
    return SRR_INDEX_EXPORT;
  case SRR_EV_GLOBAL_CHANGE:
    return SRR_INDEX_GLOBAL;
  case SRR_EV_MEMORY_WRITE:
  case SRR_EV_MEMORY_GROW:
  case SRR_EV_HOST_MEMORY_GROW:
    return SRR_INDEX_MEMORY;
  case SRR_EV_HOST_TABLE_SET:
  case SRR_EV_HOST_TABLE_GROW:
  case SRR_EV_HOST_FUNCREF_CALL:
    return SRR_INDEX_TABLE;
  default:
    return SRR_INDEX_NONE;
  }
}

int srr_decode_event_head(srr_dec *d, srr_decoded_event *ev) {
  size_t start = d->position;
  ev->kind = 0;
  ev->size = 0;
  ev->index = 0;
  ev->types = NULL;
  ev->value_count = 0;
  ev->address = ev->length = 0;
  ev->bytes = NULL;
  ev->delta_pages = 0;
  ev->result = 0;
  ev->new_pages = 0;
  ev->element = ev->new_size = 0;
  ev->signature.param_count = ev->signature.result_count = 0;
  ev->signature.params = ev->signature.results = NULL;
  ev->non_null = 0;
  ev->message = NULL;
  ev->message_length = 0;
  if (srr_dec_u8(d, &ev->kind) != 0) {
    return -1;
  }
  if (ev->kind == 0 || ev->kind > SRR_EV_KIND_MAX) {
    return srr_dec_fail_value(d, "unknown event kind", ev->kind);
  }
  if (srr_event_index_space(ev->kind) != SRR_INDEX_NONE && srr_dec_uleb(d, &ev->index) != 0) {
    return -1;
  }
  ev->size = d->position - start; /* so far: srr_decode_event_rest adds the rest */
  return 0;
}

/* count values typed by types[0..count) into values[first..first+count)
 * (only checked when values is NULL). */
static int dec_values(srr_dec *d, const uint8_t *types, uint32_t count, srr_value *values, uint32_t capacity,
                      srr_decoded_event *ev, uint32_t first) {
  ev->types = types;
  ev->value_count = count;
  if (values && (count > capacity || first > capacity - count)) {
    return srr_dec_fail(d, "too many values");
  }
  for (uint32_t i = 0; i < count; i++) {
    srr_value scratch;
    if (srr_dec_value(d, types[i], values ? &values[first + i] : &scratch) != 0) {
      return -1;
    }
  }
  return 0;
}

int srr_decode_event_rest(srr_dec *d, const uint8_t *types, uint32_t count, srr_value *values,
                          uint32_t capacity, srr_decoded_event *ev) {
  size_t start = d->position; /* after the head */
  int rc;
  switch (ev->kind) {
  case SRR_EV_IMPORT_CALL:
  case SRR_EV_IMPORT_RETURN:
  case SRR_EV_EXPORT_CALL:
  case SRR_EV_EXPORT_RETURN:
  case SRR_EV_GLOBAL_CHANGE:
    rc = dec_values(d, types, count, values, capacity, ev, 0);
    break;
  case SRR_EV_HOST_FUNCREF_CALL:
    if (srr_dec_uleb(d, &ev->element) != 0 || srr_dec_signature(d, &ev->signature) != 0) {
      return -1;
    }
    rc = dec_values(d, ev->signature.params, ev->signature.param_count, values, capacity, ev, 0);
    if (rc == 0) {
      rc = dec_values(d, ev->signature.results, ev->signature.result_count, values, capacity, ev,
                      ev->signature.param_count);
    }
    ev->types = NULL;
    ev->value_count = ev->signature.param_count + ev->signature.result_count;
    break;
  case SRR_EV_MEMORY_WRITE:
    rc = srr_dec_uleb(d, &ev->address) != 0 || srr_dec_uleb(d, &ev->length) != 0 ||
                 srr_dec_span(d, ev->length, &ev->bytes) != 0
             ? -1
             : 0;
    break;
  case SRR_EV_MEMORY_GROW:
    rc = srr_dec_uleb(d, &ev->delta_pages) != 0 || srr_dec_sleb(d, &ev->result) != 0 ? -1 : 0;
    break;
  case SRR_EV_HOST_MEMORY_GROW:
    rc = srr_dec_uleb(d, &ev->new_pages);
    break;
  case SRR_EV_HOST_TABLE_SET: {
    srr_value ref;
    rc = srr_dec_uleb(d, &ev->element) != 0 || srr_dec_value(d, SRR_T_EXTERNREF, &ref) != 0 ? -1 : 0;
    ev->non_null = rc == 0 ? ref.as.non_null : 0;
    break;
  }
  case SRR_EV_HOST_TABLE_GROW:
    rc = srr_dec_uleb(d, &ev->new_size);
    break;
  case SRR_EV_TRAP:
    rc = srr_dec_str(d, &ev->message, &ev->message_length);
    break;
  case SRR_EV_END:
    rc = 0;
    break;
  default:
    return srr_dec_fail_value(d, "unknown event kind", ev->kind);
  }
  if (rc != 0) {
    return -1;
  }
  ev->size = ev->size + (d->position - start);
  return 0;
}

/* ---- Names (shared by the native reader and the replayer's messages) ---- */

const char *srr_value_type_name(uint8_t type) {
  switch (type) {
  case SRR_T_I32: return "i32";
  case SRR_T_I64: return "i64";
  case SRR_T_F32: return "f32";
  case SRR_T_F64: return "f64";
  case SRR_T_V128: return "v128";
  case SRR_T_FUNCREF: return "funcref";
  case SRR_T_EXTERNREF: return "externref";
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
  case SRR_EV_HOST_TABLE_SET: return "host_table_set";
  case SRR_EV_HOST_TABLE_GROW: return "host_table_grow";
  case SRR_EV_HOST_FUNCREF_CALL: return "host_funcref_call";
  default: return "?";
  }
}
