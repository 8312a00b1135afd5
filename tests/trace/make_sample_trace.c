/* make_sample_trace: writes the traces tests/trace/cli.sh runs the CLI on.
 *
 *   make_sample_trace MODE OUT.srr
 *
 * MODE:
 *   sample      the sample trace (trace_builder.h): raw chunks, complete
 *   incomplete  its first two chunks only: whole, but no END
 *   corrupt     one event byte of its middle chunk changed (CRC mismatch)
 *   newer       the sample with format version 2.0
 *   bad-event   a chunk whose event calls import 9, which the header lacks
 */
#include <stdio.h>
#include <string.h>

#include "trace_builder.h"

static int write_file(const char *path, const tb_buffer *b) {
  FILE *f = fopen(path, "wb");
  if (!f || fwrite(b->bytes, 1, b->size, f) != b->size || fclose(f) != 0) {
    fprintf(stderr, "make_sample_trace: cannot write %s\n", path);
    return 1;
  }
  return 0;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: make_sample_trace sample|incomplete|corrupt|newer|bad-event OUT.srr\n");
    return 2;
  }
  const char *mode = argv[1];
  tb_buffer file = {0};
  size_t chunk_offsets[TB_SAMPLE_CHUNKS];
  if (strcmp(mode, "sample") == 0) {
    tb_sample_trace(&file, NULL);
  } else if (strcmp(mode, "incomplete") == 0) {
    tb_sample_trace(&file, chunk_offsets);
    file.size = chunk_offsets[2];
  } else if (strcmp(mode, "corrupt") == 0) {
    tb_sample_trace(&file, chunk_offsets);
    file.bytes[chunk_offsets[1] + SRR_CHUNK_HEADER_SIZE + 3] ^= 0x40;
  } else if (strcmp(mode, "newer") == 0) {
    tb_buffer body = {0};
    tb_sample_header_body(&body);
    tb_file_start(&file, 2, 0, &body);
    tb_free(&body);
  } else if (strcmp(mode, "bad-event") == 0) {
    tb_buffer body = {0}, ev = {0};
    tb_sample_header_body(&body);
    tb_file_start(&file, SRR_TRACE_MAJOR, SRR_TRACE_MINOR, &body);
    tb_ev_head(&ev, SRR_EV_EXPORT_CALL, 0);
    tb_ev_head(&ev, SRR_EV_IMPORT_CALL, 9);
    tb_chunk_raw(&file, ev.bytes, ev.size);
    tb_free(&body);
    tb_free(&ev);
  } else {
    fprintf(stderr, "make_sample_trace: unknown mode '%s'\n", mode);
    return 2;
  }
  int status = write_file(argv[2], &file);
  tb_free(&file);
  return status;
}
