/* print_lots: ~1 MB of stdout (50,000 lines) and a few stderr lines; the
 * host must deliver all of it, through a pipe too. */
#include <stdio.h>

int main(void) {
  fprintf(stderr, "print_lots: starting\n");
  for (int i = 0; i < 50000; i++)
    printf("line %05d of 50000\n", i);
  fflush(stdout);
  fprintf(stderr, "print_lots: done\n");
  return 0;
}
