/* big_read: one read() of ~1 MiB into a malloc'd buffer (a recorder must log
 * a large result without truncating it). Creates the file when absent. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#define SIZE (1024 * 1024 + 123)

int main(int argc, char **argv) {
  const char *path = argc > 1 ? argv[1] : "shadowrr_big.bin";
  unsigned char *buf = malloc(SIZE + 4096);
  if (!buf) return 1;
  int fd = open(path, O_RDONLY);
  if (fd < 0) {
    unsigned x = 12345;
    for (size_t i = 0; i < SIZE; i++) {
      x = x * 1103515245u + 12345u;
      buf[i] = (unsigned char)(x >> 16);
    }
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) { perror("create"); return 1; }
    size_t off = 0;
    while (off < SIZE) {
      ssize_t w = write(fd, buf + off, SIZE - off);
      if (w <= 0) { perror("write"); return 1; }
      off += (size_t)w;
    }
    close(fd);
    printf("created %s (%d bytes)\n", path, SIZE);
    for (size_t i = 0; i < SIZE; i++) buf[i] = 0;
    fd = open(path, O_RDONLY);
    if (fd < 0) { perror("reopen"); return 1; }
  }
  ssize_t n = read(fd, buf, SIZE + 4096);
  close(fd);
  if (n < 0) { perror("read"); return 1; }
  unsigned h = 2166136261u;
  for (ssize_t i = 0; i < n; i++) h = (h ^ buf[i]) * 16777619u;
  printf("read %zd bytes in one read(), fnv1a %08x\n", n, h);
  free(buf);
  return 0;
}
