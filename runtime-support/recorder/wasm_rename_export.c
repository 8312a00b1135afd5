/*
 * wasm_rename_export: a build tool (native). Copies a wasm module, renaming
 * one export:
 *
 *   wasm_rename_export IN.wasm OUT.wasm OLD_NAME NEW_NAME
 *
 * Used to export the recorder's memory as "shadowrr_memory": wasm-ld before
 * LLVM 16 has no --export-memory=NAME and always calls it "memory". Only the
 * export section is rewritten; every other section is copied byte for byte.
 * Fails (exit 1, one line on stderr) if OLD_NAME is not exported exactly
 * once or NEW_NAME already is.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *prog = "wasm_rename_export";

static void die(const char *what, const char *file) {
  fprintf(stderr, "%s: %s: %s\n", prog, file, what);
  exit(1);
}

/* Reads a uleb32 at *pos (< end); advances *pos. */
static int get_uleb(const uint8_t *buf, size_t end, size_t *pos, uint32_t *out) {
  uint32_t v = 0;
  for (int shift = 0; shift < 35; shift += 7) {
    if (*pos >= end) {
      return 0;
    }
    uint8_t b = buf[(*pos)++];
    v |= (uint32_t)(b & 0x7f) << shift;
    if (!(b & 0x80)) {
      *out = v;
      return 1;
    }
  }
  return 0;
}

typedef struct {
  uint8_t *data;
  size_t len, cap;
} bytes;

static void put(bytes *b, const void *p, size_t n) {
  if (b->len + n > b->cap) {
    b->cap = (b->len + n) * 2 + 64;
    b->data = realloc(b->data, b->cap);
    if (!b->data) {
      fprintf(stderr, "%s: out of memory\n", prog);
      exit(1);
    }
  }
  memcpy(b->data + b->len, p, n);
  b->len += n;
}

static void put_uleb(bytes *b, uint32_t v) {
  do {
    uint8_t byte = v & 0x7f;
    v >>= 7;
    if (v) {
      byte |= 0x80;
    }
    put(b, &byte, 1);
  } while (v);
}

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: %s IN.wasm OUT.wasm OLD_NAME NEW_NAME\n", prog);
    return 2;
  }
  const char *in = argv[1], *out = argv[2], *old_name = argv[3], *new_name = argv[4];
  FILE *f = fopen(in, "rb");
  if (!f) {
    die("cannot open", in);
  }
  bytes src = {0};
  uint8_t tmp[65536];
  size_t n;
  while ((n = fread(tmp, 1, sizeof tmp, f)) > 0) {
    put(&src, tmp, n);
  }
  if (ferror(f)) {
    die("cannot read", in);
  }
  fclose(f);
  static const uint8_t header[8] = {0, 'a', 's', 'm', 1, 0, 0, 0};
  if (src.len < 8 || memcmp(src.data, header, 8) != 0) {
    die("not a wasm module (version 1)", in);
  }

  bytes dst = {0};
  put(&dst, header, 8);
  size_t pos = 8;
  int renamed = 0;
  while (pos < src.len) {
    uint8_t id = src.data[pos++];
    uint32_t size;
    if (!get_uleb(src.data, src.len, &pos, &size) || size > src.len - pos) {
      die("malformed section", in);
    }
    size_t body = pos, body_end = pos + size;
    pos = body_end;
    if (id != 7) {
      put(&dst, &id, 1);
      put_uleb(&dst, size);
      put(&dst, src.data + body, size);
      continue;
    }
    bytes sec = {0};
    size_t p = body;
    uint32_t count;
    if (!get_uleb(src.data, body_end, &p, &count)) {
      die("malformed export section", in);
    }
    put_uleb(&sec, count);
    for (uint32_t i = 0; i < count; i++) {
      uint32_t name_len, index;
      if (!get_uleb(src.data, body_end, &p, &name_len) || name_len > body_end - p) {
        die("malformed export", in);
      }
      const uint8_t *name = src.data + p;
      p += name_len;
      if (p >= body_end) {
        die("malformed export", in);
      }
      uint8_t kind = src.data[p++];
      if (!get_uleb(src.data, body_end, &p, &index)) {
        die("malformed export", in);
      }
      if (name_len == strlen(new_name) && memcmp(name, new_name, name_len) == 0) {
        die("the new export name is taken", in);
      }
      if (name_len == strlen(old_name) && memcmp(name, old_name, name_len) == 0) {
        renamed++;
        name = (const uint8_t *)new_name;
        name_len = (uint32_t)strlen(new_name);
      }
      put_uleb(&sec, name_len);
      put(&sec, name, name_len);
      put(&sec, &kind, 1);
      put_uleb(&sec, index);
    }
    if (p != body_end) {
      die("malformed export section", in);
    }
    put(&dst, &id, 1);
    put_uleb(&dst, (uint32_t)sec.len);
    put(&dst, sec.data, sec.len);
    free(sec.data);
  }
  if (renamed != 1) {
    die("the export to rename is not there exactly once", in);
  }

  f = fopen(out, "wb");
  if (!f || fwrite(dst.data, 1, dst.len, f) != dst.len || fclose(f) != 0) {
    die("cannot write", out);
  }
  free(src.data);
  free(dst.data);
  return 0;
}
