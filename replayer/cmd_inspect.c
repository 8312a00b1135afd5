/* shadowrr inspect: what a module holds that matters for recording it: its
 * memories, features, imports and exports, and every memory access by kind. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"

static const char kUsage[] =
    "usage: shadowrr inspect [--json] MODULE.wasm\n"
    "\n"
    "Prints the module's features, its number of memories, and how many\n"
    "instructions of each kind touch linear memory (count-accesses pass).\n"
    "\n"
    "options:\n"
    "  --json       one JSON object instead of text\n"
    "  -h, --help   this text\n";

int srr_cmd_inspect(int argc, char **argv) {
  int json = 0;
  const srr_cli_option options[] = {
      {"--json", NULL, SRR_OPT_FLAG, &json, NULL, 0},
  };
  srr_cli_args args;
  int parsed = srr_cli_parse("inspect", kUsage, argc, argv, options, sizeof options / sizeof options[0], 1, 0, &args);
  if (parsed) {
    return parsed == 1 ? SRR_EXIT_OK : parsed;
  }
  const char *input = args.positional[0];
  if (!input) {
    return srr_cli_usage_error("inspect", "no module given");
  }
  srr_module *module = srr_cli_load_module(input);
  if (!module) {
    return SRR_EXIT_FAILURE;
  }
  srr_error err;
  srr_access_counts counts;
  if (srr_count_accesses(module, &counts, &err) != 0) {
    srr_cli_error(input, "%s", err.message);
    srr_module_free(module);
    return SRR_EXIT_FAILURE;
  }
  char features[1024];
  srr_module_features(module, features, sizeof features);
  uint32_t memories = srr_module_memory_count(module);
  srr_module_free(module);

  if (json) {
    json_t *accesses = json_object();
    for (int k = 0; k < SRR_ACCESS_KIND_COUNT; k++) {
      json_object_set_new(accesses, srr_access_kind_name((srr_access_kind)k),
                          json_integer((json_int_t)counts.count[k]));
    }
    json_t *root = json_pack("{s:s, s:s, s:I, s:o}", "module", input, "features", features,
                             "memories", (json_int_t)memories, "accesses", accesses);
    if (!root || json_dumpf(root, stdout, JSON_INDENT(2) | JSON_SORT_KEYS) != 0) {
      json_decref(root);
      srr_cli_error(input, "cannot print JSON");
      return SRR_EXIT_FAILURE;
    }
    json_decref(root);
    putchar('\n');
    return SRR_EXIT_OK;
  }
  printf("module: %s\nfeatures: %s\nmemories: %u\naccesses:\n", input, features, memories);
  for (int k = 0; k < SRR_ACCESS_KIND_COUNT; k++) {
    printf("  %-16s %llu\n", srr_access_kind_name((srr_access_kind)k),
           (unsigned long long)counts.count[k]);
  }
  return SRR_EXIT_OK;
}
