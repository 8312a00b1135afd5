#define _POSIX_C_SOURCE 200809L
#include "file_io.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int fail(char *why, size_t whysize, const char *reason) {
  snprintf(why, whysize, "%s", reason);
  return 1;
}

int srr_read_file(const char *path, uint8_t **bytes, size_t *size, char *why, size_t whysize) {
  *bytes = NULL;
  *size = 0;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return fail(why, whysize, errno == ENOENT ? "no such file" : strerror(errno));
  }
  struct stat st;
  if (fstat(fd, &st) != 0) {
    int e = errno;
    close(fd);
    return fail(why, whysize, strerror(e));
  }
  if (S_ISDIR(st.st_mode)) {
    close(fd);
    return fail(why, whysize, "is a directory, not a file");
  }
  if (!S_ISREG(st.st_mode)) {
    close(fd);
    return fail(why, whysize, "not a regular file");
  }
  size_t capacity = (size_t)st.st_size + 1;
  uint8_t *buf = malloc(capacity);
  if (!buf) {
    close(fd);
    return fail(why, whysize, "out of memory");
  }
  size_t used = 0;
  for (;;) {
    if (used == capacity) {
      uint8_t *bigger = realloc(buf, capacity * 2);
      if (!bigger) {
        free(buf);
        close(fd);
        return fail(why, whysize, "out of memory");
      }
      buf = bigger;
      capacity *= 2;
    }
    ssize_t n = read(fd, buf + used, capacity - used);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      int e = errno;
      free(buf);
      close(fd);
      return fail(why, whysize, strerror(e));
    }
    if (n == 0) {
      break;
    }
    used += (size_t)n;
  }
  close(fd);
  *bytes = buf;
  *size = used;
  return 0;
}

int srr_write_file_atomic(const char *path, const void *bytes, size_t size, int overwrite,
                          char *why, size_t whysize) {
  struct stat st;
  if (stat(path, &st) == 0) {
    if (S_ISDIR(st.st_mode)) {
      return fail(why, whysize, "is a directory");
    }
    if (!overwrite) {
      return fail(why, whysize, "already exists (use --force to overwrite)");
    }
  }
  size_t tmplen = strlen(path) + 32;
  char *tmp = malloc(tmplen);
  if (!tmp) {
    return fail(why, whysize, "out of memory");
  }
  snprintf(tmp, tmplen, "%s.tmp.%ld", path, (long)getpid());
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    int e = errno;
    free(tmp);
    return fail(why, whysize, strerror(e));
  }
  const uint8_t *p = bytes;
  size_t left = size;
  while (left > 0) {
    ssize_t n = write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      int e = errno;
      close(fd);
      unlink(tmp);
      free(tmp);
      return fail(why, whysize, strerror(e));
    }
    p += n;
    left -= (size_t)n;
  }
  if (close(fd) != 0) {
    int e = errno;
    unlink(tmp);
    free(tmp);
    return fail(why, whysize, strerror(e));
  }
  if (rename(tmp, path) != 0) {
    int e = errno;
    unlink(tmp);
    free(tmp);
    return fail(why, whysize, strerror(e));
  }
  free(tmp);
  return 0;
}
