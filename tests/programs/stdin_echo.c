/* stdin_echo: reads stdin to EOF; prints its length, checksum and first line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(void) {
  size_t cap = 4096, len = 0;
  char *buf = malloc(cap);
  for (;;) {
    if (len == cap) buf = realloc(buf, cap *= 2);
    ssize_t n = read(0, buf + len, cap - len);
    if (n < 0) { perror("read stdin"); return 1; }
    if (n == 0) break;
    len += (size_t)n;
  }
  unsigned h = 2166136261u;
  for (size_t i = 0; i < len; i++) h = (h ^ (unsigned char)buf[i]) * 16777619u;
  size_t first = 0;
  while (first < len && buf[first] != '\n') first++;
  printf("stdin %zu bytes, fnv1a %08x\n", len, h);
  printf("first line [%.*s]\n", (int)first, buf);
  free(buf);
  return 0;
}
