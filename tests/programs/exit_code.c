/* exit_code: exit(3) reaches the host as proc_exit(3). */
#include <stdio.h>
#include <stdlib.h>

int main(void) {
  printf("about to exit with status 3\n");
  fprintf(stderr, "exit_code: stderr line\n");
  exit(3);
}
