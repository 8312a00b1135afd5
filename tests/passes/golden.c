/* Golden tests for the transform's passes, in the manner of binaryen's
 * test/lit/passes/: for every tests/passes/<pass>/<case>.wat, run <pass> on the
 * module and compare what it prints with <case>.expected, byte for byte.
 *
 *   golden [--update] TESTS_DIR
 *
 * --update rewrites the .expected files instead (review the diff, then commit).
 * Each pass's effect thus sits in a file a reviewer can read. */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "file_io.h"
#include "shadowrr_transform.h"

/* A growable string for the pass outputs. */
typedef struct text {
  char *data;
  size_t len, cap;
} text;

static void text_append(text *t, const char *s) {
  size_t n = strlen(s);
  if (t->len + n + 1 > t->cap) {
    t->cap = (t->len + n + 1) * 2;
    t->data = realloc(t->data, t->cap);
    if (!t->data) {
      fprintf(stderr, "golden: out of memory\n");
      exit(2);
    }
  }
  memcpy(t->data + t->len, s, n + 1);
  t->len += n;
}

/* count-accesses: the non-zero counts, one "kind count" per line. */
static int run_count_accesses(srr_module *module, text *out, srr_error *err) {
  srr_access_counts counts;
  if (srr_count_accesses(module, &counts, err) != 0) {
    return 1;
  }
  for (int k = 0; k < SRR_ACCESS_KIND_COUNT; k++) {
    if (counts.count[k]) {
      char line[64];
      snprintf(line, sizeof line, "%s %llu\n", srr_access_kind_name((srr_access_kind)k),
               (unsigned long long)counts.count[k]);
      text_append(out, line);
    }
  }
  return 0;
}

/* Appends the module's text form. */
static int append_text(srr_module *module, text *out, srr_error *err) {
  char *printed = srr_module_to_text(module);
  if (!printed) {
    snprintf(err->message, sizeof err->message, "out of memory");
    return 1;
  }
  text_append(out, printed);
  free(printed);
  return 0;
}

/* identity: what instrument --mode identity writes, read back as text. */
static int run_identity(srr_module *module, text *out, srr_error *err) {
  uint8_t *bytes;
  size_t size;
  if (srr_module_write_binary(module, &bytes, &size, err) != 0) {
    return 1;
  }
  srr_module *again = srr_module_parse(bytes, size, err);
  free(bytes);
  if (!again) {
    return 1;
  }
  int rc = append_text(again, out, err);
  srr_module_free(again);
  return rc;
}

/* One step of the record transform, shown as text. The step's name is the
 * folder's name, which run_case passes through `current_pass`. */
static const char *current_pass;
static int run_record_step(srr_module *module, text *out, srr_error *err) {
  if (srr_record_pass_preview(module, current_pass, err) != 0) {
    return 1;
  }
  return append_text(module, out, err);
}

struct pass {
  const char *name;
  int (*run)(srr_module *module, text *out, srr_error *err);
};

static const struct pass kPasses[] = {
    {"count-accesses", run_count_accesses},
    {"identity", run_identity},
    {"shadow-memories", run_record_step},
    {"synced-versions", run_record_step},
    {"shadow-stores", run_record_step},
    {"shadow-loads", run_record_step},
    {"shadow-bulk", run_record_step},
    {"shadow-globals", run_record_step},
    {"shadow-tables", run_record_step},
    {"record-imports", run_record_step},
    {"record-exports", run_record_step},
};

static int run_case(const struct pass *pass, const char *wat_path, int update) {
  uint8_t *src;
  size_t size;
  char why[256];
  if (srr_read_file(wat_path, &src, &size, why, sizeof why) != 0) {
    printf("FAIL %s: %s\n", wat_path, why);
    return 1;
  }
  srr_error err;
  srr_module *module = srr_module_parse(src, size, &err);
  free(src);
  if (!module) {
    printf("FAIL %s: %s\n", wat_path, err.message);
    return 1;
  }
  text out = {0};
  text_append(&out, "");
  current_pass = pass->name;
  int rc = pass->run(module, &out, &err);
  if (rc == 0 && srr_module_validate(module, &err) != 0) {
    rc = 1;
  }
  srr_module_free(module);
  if (rc != 0) {
    printf("FAIL %s: %s\n", wat_path, err.message);
    free(out.data);
    return 1;
  }
  char expected_path[4096];
  snprintf(expected_path, sizeof expected_path, "%.*s.expected", (int)(strlen(wat_path) - 4), wat_path);
  if (update) {
    int failed = srr_write_file_atomic(expected_path, out.data, out.len, 1, why, sizeof why);
    printf("%s %s\n", failed ? "FAIL" : "updated", expected_path);
    free(out.data);
    return failed;
  }
  uint8_t *expected;
  size_t expected_size;
  if (srr_read_file(expected_path, &expected, &expected_size, why, sizeof why) != 0) {
    printf("FAIL %s: %s: %s (run with --update to create it)\n", wat_path, expected_path, why);
    free(out.data);
    return 1;
  }
  int same = expected_size == out.len && memcmp(expected, out.data, out.len) == 0;
  if (!same) {
    /* Show the first line that differs. */
    size_t i = 0, line = 1, line_start = 0;
    while (i < out.len && i < expected_size && out.data[i] == (char)expected[i]) {
      if (out.data[i] == '\n') {
        line++;
        line_start = i + 1;
      }
      i++;
    }
    const char *got = out.data + line_start;
    const char *want = (const char *)expected + line_start;
    int got_len = (int)strcspn(got, "\n");
    int want_len = 0;
    while (line_start + (size_t)want_len < expected_size && want[want_len] != '\n') {
      want_len++;
    }
    printf("FAIL %s: differs from %s at line %zu\n  expected: %.*s\n  actual:   %.*s\n", wat_path,
           expected_path, line, want_len, want, got_len, got);
  } else {
    printf("ok   %s\n", wat_path);
  }
  free(expected);
  free(out.data);
  return !same;
}

static int by_name(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv) {
  int update = 0;
  const char *root = NULL;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--update") == 0) {
      update = 1;
    } else {
      root = argv[i];
    }
  }
  if (!root) {
    fprintf(stderr, "usage: golden [--update] TESTS_DIR\n");
    return 2;
  }
  int passed = 0, failed = 0;
  for (size_t p = 0; p < sizeof kPasses / sizeof kPasses[0]; p++) {
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/%s", root, kPasses[p].name);
    DIR *d = opendir(dir);
    if (!d) {
      printf("FAIL %s: no such folder\n", dir);
      failed++;
      continue;
    }
    char *names[1024];
    size_t count = 0;
    struct dirent *entry;
    while ((entry = readdir(d)) && count < 1024) {
      size_t n = strlen(entry->d_name);
      if (n > 4 && strcmp(entry->d_name + n - 4, ".wat") == 0) {
        names[count++] = strdup(entry->d_name);
      }
    }
    closedir(d);
    qsort(names, count, sizeof names[0], by_name);
    if (count == 0) {
      printf("FAIL %s: no cases\n", dir);
      failed++;
    }
    for (size_t i = 0; i < count; i++) {
      char path[8192];
      snprintf(path, sizeof path, "%s/%s", dir, names[i]);
      if (run_case(&kPasses[p], path, update) == 0) {
        passed++;
      } else {
        failed++;
      }
      free(names[i]);
    }
  }
  printf("%d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}
