/* grow: allocates several MiB in steps, forcing memory.grow, and has the
 * host write into each freshly grown block many times (clock_time_get); a
 * host that caches the memory base across a grow gets it wrong here. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wasi/api.h>

int main(void) {
  printf("pages before %lu\n", (unsigned long)__builtin_wasm_memory_size(0));
  enum { N = 48, STEP = 128 * 1024 };
  unsigned char *blocks[N];
  unsigned h = 2166136261u;
  unsigned host_ok = 0, host_bad = 0;
  for (int i = 0; i < N; i++) {
    size_t len = STEP + (size_t)i * 4096;
    blocks[i] = malloc(len);
    if (!blocks[i]) { printf("malloc %d failed\n", i); return 1; }
    /* The host writes the clock into the last 8 bytes of the new block. */
    for (int k = 0; k < 200; k++) {
      __wasi_timestamp_t *t = (__wasi_timestamp_t *)(blocks[i] + len - 8);
      *t = ~(__wasi_timestamp_t)0; /* the host must overwrite this */
      if (__wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, t) == 0 && *t != ~(__wasi_timestamp_t)0) host_ok++;
      else host_bad++;
    }
    for (size_t j = 0; j < len; j++) blocks[i][j] = (unsigned char)(i * 31 + j);
  }
  printf("host writes into new memory: %u ok, %u bad\n", host_ok, host_bad);
  for (int i = 0; i < N; i++) {
    size_t len = STEP + (size_t)i * 4096;
    for (size_t j = 0; j < len; j += 97) h = (h ^ blocks[i][j]) * 16777619u;
  }
  printf("pages after %lu\n", (unsigned long)__builtin_wasm_memory_size(0));
  /* A write through stdio from a buffer in freshly grown memory. */
  char *msg = malloc(64);
  strcpy(msg, "message from grown memory\n");
  fputs(msg, stdout);
  for (int i = 0; i < N; i++) free(blocks[i]);
  free(msg);
  printf("checksum %08x\n", h);
  return 0;
}
