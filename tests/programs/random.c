/* random: reads host entropy (getentropy -> random_get) and derives values
 * from it. Every run prints different bytes; a replay must print the same. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <wasi/api.h>

static void hex(const char *label, const unsigned char *b, size_t n) {
  printf("%s ", label);
  for (size_t i = 0; i < n; i++) printf("%02x", b[i]);
  printf("\n");
}

int main(void) {
  unsigned char a[32], b[16];
  if (getentropy(a, sizeof a) != 0) { perror("getentropy"); return 1; }
  hex("getentropy", a, sizeof a);
  __wasi_errno_t e = __wasi_random_get(b, sizeof b);
  printf("random_get errno %d\n", e);
  hex("random_get", b, sizeof b);
  unsigned seed = (unsigned)a[0] | (unsigned)a[1] << 8 | (unsigned)a[2] << 16 | (unsigned)a[3] << 24;
  srand(seed);
  printf("seed %u rand", seed);
  for (int i = 0; i < 4; i++) printf(" %d", rand());
  printf("\n");
  return 0;
}
