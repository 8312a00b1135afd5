/* args_env: prints the command line and the environment (sorted, so that the
 * host's ordering does not matter). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern char **environ;

static int cmp(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv) {
  printf("argc %d\n", argc);
  for (int i = 0; i < argc; i++) printf("argv[%d] \"%s\"\n", i, argv[i]);
  size_t n = 0;
  while (environ && environ[n]) n++;
  char **sorted = malloc((n + 1) * sizeof *sorted);
  memcpy(sorted, environ, n * sizeof *sorted);
  qsort(sorted, n, sizeof *sorted, cmp);
  printf("envc %zu\n", n);
  for (size_t i = 0; i < n; i++) printf("env \"%s\"\n", sorted[i]);
  const char *home = getenv("SHADOWRR_TEST");
  printf("getenv SHADOWRR_TEST %s\n", home ? home : "(unset)");
  free(sorted);
  return 0;
}
