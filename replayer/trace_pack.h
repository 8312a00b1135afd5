/*
 * trace_pack.h: packing a trace, i.e. rewriting its raw chunks as LZ4 chunks
 * (codec 1: one LZ4 frame per chunk, with its content checksum). The recorder
 * writes raw chunks because compressing inside wasm costs the guest more time
 * than it saves; `shadowrr record` and `shadowrr pack` pack the finished
 * trace natively.
 *
 * The header and the chunk boundaries are kept, so a packed trace holds
 * exactly the events of the original, cut at the same places. A chunk that
 * LZ4 would not make smaller stays raw (the format allows mixing), and LZ4
 * chunks are copied unchanged.
 */
#ifndef SHADOWRR_TRACE_PACK_H
#define SHADOWRR_TRACE_PACK_H

#include <stddef.h>
#include <stdint.h>

#include "srr_trace_reader.h"

typedef struct srr_pack_result {
  uint32_t chunks_packed;   /* raw chunks now LZ4 */
  uint32_t chunks_left_raw; /* raw chunks LZ4 would not have made smaller */
  uint32_t chunks_were_lz4; /* copied unchanged */
  size_t size_before, size_after;
  /* The input was truncated: its complete chunks are packed, and the
   * damaged tail is copied unchanged after them, so that the packed trace is
   * truncated at the same event and says so the same way. truncation holds
   * the reason (as srr_trace_truncation gives it). */
  int truncated;
  char truncation[200];
} srr_pack_result;

/* Packs the trace in in[0..in_size) into a malloc'd buffer (*out, *out_size;
 * free it). The whole trace is checked first (chunks and events, as
 * srr_trace_summarize does): a corrupt trace is refused, not packed.
 * Returns 0 with *result filled, or -1 with err filled (foreign, corrupt,
 * out of memory) and nothing allocated. */
int srr_trace_pack(const uint8_t *in, size_t in_size, uint8_t **out, size_t *out_size,
                   srr_pack_result *result, srr_trace_error *err);

/* Packs the trace file in_path into out_path (the same path packs in place).
 * The output is written to a temporary name and renamed, so out_path is
 * either the old file or the whole packed trace, never a mix. Returns 0 with
 * *result filled, or -1 with a one-line reason in why; failures to read the
 * input or to write the output are said as such ("cannot write: ..."). */
int srr_trace_pack_file(const char *in_path, const char *out_path, srr_pack_result *result, char *why,
                        size_t whysize);

/* The reverse, for the replayer inside a module (which reads raw chunks
 * only): every chunk of in[0..in_size) decoded to a raw chunk, the header
 * kept, into a malloc'd buffer (*out, *out_size; free it). A truncated
 * input gives its complete chunks and *truncated = 1: a replay then stops,
 * saying so, where the recording was cut. Returns 0, or -1 with err filled
 * (foreign, corrupt, out of memory) and nothing allocated. */
int srr_trace_unpack(const uint8_t *in, size_t in_size, uint8_t **out, size_t *out_size, int *truncated,
                     srr_trace_error *err);

#endif /* SHADOWRR_TRACE_PACK_H */
