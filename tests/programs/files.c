/* files: file system traffic in the preopened current directory: create,
 * write, append, read back, stat, rename, delete. argv[1], if given, names an
 * input file to read and summarize. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int check(int ok, const char *what) {
  printf("%s: %s\n", what, ok ? "ok" : strerror(errno));
  return ok;
}

static void dump(const char *path) {
  char buf[256];
  int fd = open(path, O_RDONLY);
  if (!check(fd >= 0, "open for read")) return;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n < 0) n = 0;
  buf[n] = 0;
  printf("read %zd bytes: [%s]\n", n, buf);
}

int main(int argc, char **argv) {
  const char *a = "shadowrr_files_a.txt", *b = "shadowrr_files_b.txt";
  FILE *f = fopen(a, "w");
  if (!check(f != NULL, "fopen w")) return 1;
  fputs("hello, file\n", f);
  fclose(f);
  f = fopen(a, "a");
  if (!check(f != NULL, "fopen a")) return 1;
  fprintf(f, "appended line %d\n", 2);
  fclose(f);
  dump(a);

  struct stat st;
  if (check(stat(a, &st) == 0, "stat"))
    printf("size %lld regular %d dir %d\n", (long long)st.st_size, S_ISREG(st.st_mode), S_ISDIR(st.st_mode));
  int fd = open(a, O_RDWR);
  if (check(fd >= 0, "open rdwr")) {
    off_t end = lseek(fd, 0, SEEK_END);
    printf("lseek end %lld\n", (long long)end);
    lseek(fd, 0, SEEK_SET);
    check(write(fd, "J", 1) == 1, "overwrite first byte");
    check(ftruncate(fd, 12) == 0, "ftruncate 12");
    check(fstat(fd, &st) == 0, "fstat");
    printf("size after truncate %lld\n", (long long)st.st_size);
    close(fd);
  }
  dump(a);
  check(rename(a, b) == 0, "rename");
  printf("old exists %d\n", access(a, F_OK) == 0);
  printf("new exists %d\n", access(b, F_OK) == 0);
  check(mkdir("shadowrr_files_dir", 0755) == 0, "mkdir");
  check(stat("shadowrr_files_dir", &st) == 0 && S_ISDIR(st.st_mode), "stat dir");
  check(rmdir("shadowrr_files_dir") == 0, "rmdir");
  check(unlink(b) == 0, "unlink");
  printf("after unlink exists %d\n", access(b, F_OK) == 0);
  fd = open("shadowrr_no_such_file", O_RDONLY);
  printf("open missing: fd %d errno %s\n", fd, fd < 0 ? strerror(errno) : "none");

  if (argc > 1) {
    f = fopen(argv[1], "rb");
    if (!check(f != NULL, "open input")) return 1;
    unsigned long long n = 0, lines = 0;
    unsigned h = 2166136261u;
    int c;
    while ((c = fgetc(f)) != EOF) {
      n++;
      lines += c == '\n';
      h = (h ^ (unsigned char)c) * 16777619u;
    }
    fclose(f);
    printf("input %s: %llu bytes, %llu lines, fnv1a %08x\n", argv[1], n, lines, h);
  } else {
    printf("no input file\n");
  }
  return 0;
}
