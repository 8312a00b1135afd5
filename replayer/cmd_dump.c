/* shadowrr dump: every event of a trace, one per line, with its values typed
 * by the header's signatures; or the header and the events as JSON. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "srr_trace_reader.h"

static const char kUsage[] =
    "usage: shadowrr dump [--json] TRACE.srr\n"
    "\n"
    "Prints the trace's header, then one line per event:\n"
    "  #12 import_call 3 wasi_snapshot_preview1.fd_write(1, 1024, 1, 1040)\n"
    "  #13 memory_write mem 0 @1040 len 4: 0c 00 00 00\n"
    "i32 and i64 are shown signed, f32 and f64 so that they read back to the\n"
    "same bits (NaNs as nan:0xPAYLOAD), v128 as four i32 lanes. Writes of more\n"
    "than 32 bytes show their first 16.\n"
    "A truncated trace is dumped up to the damage, then reported on stderr\n"
    "with exit code 3.\n"
    "\n"
    "options:\n"
    "  --json       one JSON object: \"header\", \"events\" (memory bytes as hex),\n"
    "               \"complete\", \"truncated\"\n"
    "  -h, --help   this text\n";

enum {
  kBytesShownWhole = 32, /* writes up to this long are shown whole */
  kBytesShownHead = 16   /* of longer ones, this many */
};

static float f32_from_bits(uint32_t bits) {
  float f;
  memcpy(&f, &bits, sizeof f);
  return f;
}

static double f64_from_bits(uint64_t bits) {
  double d;
  memcpy(&d, &bits, sizeof d);
  return d;
}

static uint32_t v128_lane(const uint8_t *bytes, int lane) {
  const uint8_t *p = bytes + 4 * lane;
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* A NaN or an infinity as text ("nan:0x400000", "-inf"); returns 0 for a
 * finite number. */
static int format_special_float(char *out, size_t size, int negative, int is_nan, int is_inf,
                                uint64_t payload) {
  if (is_nan) {
    snprintf(out, size, "%snan:0x%llx", negative ? "-" : "", (unsigned long long)payload);
    return 1;
  }
  if (is_inf) {
    snprintf(out, size, "%sinf", negative ? "-" : "");
    return 1;
  }
  return 0;
}

static void format_value(char *out, size_t size, const srr_value *v) {
  switch (v->type) {
  case SRR_T_I32:
    snprintf(out, size, "%d", (int32_t)v->as.i32);
    break;
  case SRR_T_I64:
    snprintf(out, size, "%lld", (long long)(int64_t)v->as.i64);
    break;
  case SRR_T_F32: {
    float f = f32_from_bits(v->as.f32_bits);
    if (!format_special_float(out, size, v->as.f32_bits >> 31, isnan(f), isinf(f),
                              v->as.f32_bits & 0x7fffff)) {
      snprintf(out, size, "%.9g", (double)f); /* 9 digits: reads back to the same float */
    }
    break;
  }
  case SRR_T_F64: {
    double d = f64_from_bits(v->as.f64_bits);
    if (!format_special_float(out, size, (int)(v->as.f64_bits >> 63), isnan(d), isinf(d),
                              v->as.f64_bits & 0xfffffffffffffull)) {
      snprintf(out, size, "%.17g", d); /* 17 digits: reads back to the same double */
    }
    break;
  }
  case SRR_T_V128:
    snprintf(out, size, "i32x4 0x%08x 0x%08x 0x%08x 0x%08x", v128_lane(v->as.v128, 0),
             v128_lane(v->as.v128, 1), v128_lane(v->as.v128, 2), v128_lane(v->as.v128, 3));
    break;
  case SRR_T_FUNCREF:
  case SRR_T_EXTERNREF:
    snprintf(out, size, "%s", v->as.non_null ? "non-null" : "null");
    break;
  default:
    snprintf(out, size, "?");
  }
}

static void print_values(const srr_value *values, uint32_t count) {
  char text[96];
  for (uint32_t i = 0; i < count; i++) {
    format_value(text, sizeof text, &values[i]);
    printf("%s%s", i ? ", " : "", text);
  }
}

/* A string from the trace, quoted, with anything unprintable escaped. */
static void print_quoted(const char *s, size_t length) {
  putchar('"');
  for (size_t i = 0; i < length; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == '"' || c == '\\') {
      printf("\\%c", c);
    } else if (c == '\n') {
      printf("\\n");
    } else if (c < 0x20 || c == 0x7f) {
      printf("\\x%02x", c);
    } else {
      putchar(c);
    }
  }
  putchar('"');
}

static void print_types(const uint8_t *types, uint32_t count) {
  putchar('(');
  for (uint32_t i = 0; i < count; i++) {
    printf("%s%s", i ? ", " : "", srr_value_type_name(types[i]));
  }
  putchar(')');
}

static void print_header_text(const char *path, const srr_trace_header *h) {
  printf("trace %s: format %u.%u, module %s, sha256 ", path, h->major, h->minor,
         h->module_name ? h->module_name : "(no name)");
  for (int i = 0; i < 32; i++) {
    printf("%02x", h->module_sha256[i]);
  }
  printf(", recorder %s, flags 0x%llx\n", h->recorder ? h->recorder : "(not said)",
         (unsigned long long)h->flags);
  for (uint32_t i = 0; i < h->import_count; i++) {
    const srr_trace_import *im = &h->imports[i];
    printf("import %u: %s.%s ", im->index, im->module, im->name);
    print_types(im->signature.params, im->signature.param_count);
    printf(" -> ");
    print_types(im->signature.results, im->signature.result_count);
    putchar('\n');
  }
  for (uint32_t i = 0; i < h->export_count; i++) {
    const srr_trace_export *ex = &h->exports[i];
    printf("export %u: %s ", ex->index, ex->name);
    print_types(ex->signature.params, ex->signature.param_count);
    printf(" -> ");
    print_types(ex->signature.results, ex->signature.result_count);
    putchar('\n');
  }
  for (uint32_t i = 0; i < h->memory_count; i++) {
    const srr_trace_memory *m = &h->memories[i];
    printf("memory %u: pages initial %llu", m->index, (unsigned long long)m->initial_pages);
    if (m->has_max) {
      printf(", max %llu", (unsigned long long)m->max_pages);
    }
    putchar('\n');
  }
  for (uint32_t i = 0; i < h->global_count; i++) {
    const srr_trace_global *g = &h->globals[i];
    printf("global %u: %s %s\n", g->index, srr_value_type_name(g->type), g->export_name);
  }
  for (uint32_t i = 0; i < h->table_count; i++) {
    printf("table %u: %s\n", h->tables[i].index, srr_value_type_name(h->tables[i].type));
  }
}

static void print_event_text(const srr_event *ev) {
  printf("#%llu %s", (unsigned long long)ev->number, srr_event_kind_name(ev->kind));
  switch (ev->kind) {
  case SRR_EV_IMPORT_CALL:
  case SRR_EV_IMPORT_RETURN:
    printf(" %u %s.%s", ev->index, ev->import_entry->module, ev->import_entry->name);
    break;
  case SRR_EV_EXPORT_CALL:
  case SRR_EV_EXPORT_RETURN:
    printf(" %u %s", ev->index, ev->export_entry->name);
    break;
  default:
    break;
  }
  switch (ev->kind) {
  case SRR_EV_IMPORT_CALL:
  case SRR_EV_EXPORT_CALL:
    putchar('(');
    print_values(ev->values, ev->value_count);
    putchar(')');
    break;
  case SRR_EV_IMPORT_RETURN:
  case SRR_EV_EXPORT_RETURN:
    printf(" -> ");
    if (ev->value_count != 1) {
      putchar('(');
    }
    print_values(ev->values, ev->value_count);
    if (ev->value_count != 1) {
      putchar(')');
    }
    break;
  case SRR_EV_GLOBAL_CHANGE:
    printf(" %u %s = ", ev->index, ev->global_entry->export_name);
    print_values(ev->values, 1);
    break;
  case SRR_EV_MEMORY_WRITE: {
    printf(" mem %u @%llu len %llu:", ev->memory, (unsigned long long)ev->address,
           (unsigned long long)ev->length);
    uint64_t shown = ev->length <= kBytesShownWhole ? ev->length : kBytesShownHead;
    for (uint64_t i = 0; i < shown; i++) {
      printf(" %02x", ev->bytes[i]);
    }
    if (shown < ev->length) {
      printf(" ... (%llu more)", (unsigned long long)(ev->length - shown));
    }
    break;
  }
  case SRR_EV_MEMORY_GROW:
    printf(" mem %u delta %llu -> %lld", ev->memory, (unsigned long long)ev->delta_pages,
           (long long)ev->result);
    break;
  case SRR_EV_HOST_MEMORY_GROW:
    printf(" mem %u -> %llu pages", ev->memory, (unsigned long long)ev->new_pages);
    break;
  case SRR_EV_HOST_TABLE_SET:
    printf(" table %u [%llu] = %s", ev->table, (unsigned long long)ev->element, ev->non_null ? "non-null" : "null");
    break;
  case SRR_EV_HOST_TABLE_GROW:
    printf(" table %u -> %llu elements", ev->table, (unsigned long long)ev->new_size);
    break;
  case SRR_EV_HOST_FUNCREF_CALL:
    printf(" table %u [%llu](", ev->table, (unsigned long long)ev->element);
    print_values(ev->values, ev->signature.param_count);
    printf(") -> ");
    if (ev->signature.result_count != 1) {
      putchar('(');
    }
    print_values(ev->values + ev->signature.param_count, ev->signature.result_count);
    if (ev->signature.result_count != 1) {
      putchar(')');
    }
    break;
  case SRR_EV_TRAP:
    putchar(' ');
    print_quoted(ev->message, ev->message_length);
    break;
  default:
    break;
  }
  putchar('\n');
}

/* ---- JSON ------------------------------------------------------------------ */

static json_t *json_hex(const uint8_t *bytes, size_t length) {
  static const char kDigits[] = "0123456789abcdef";
  char *text = malloc(2 * length + 1);
  if (!text) {
    return NULL;
  }
  for (size_t i = 0; i < length; i++) {
    text[2 * i] = kDigits[bytes[i] >> 4];
    text[2 * i + 1] = kDigits[bytes[i] & 15];
  }
  text[2 * length] = '\0';
  json_t *s = json_stringn(text, 2 * length);
  free(text);
  return s;
}

/* A string from the trace. JSON strings must be UTF-8: anything else (which
 * a correct recorder never writes) has its non-ASCII bytes shown as \xNN. */
static json_t *json_text(const char *s, size_t length) {
  json_t *valid = json_stringn(s, length);
  if (valid) {
    return valid;
  }
  char *escaped = malloc(4 * length + 1);
  if (!escaped) {
    return NULL;
  }
  size_t n = 0;
  for (size_t i = 0; i < length; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c >= 0x80 || c == 0) {
      n += (size_t)snprintf(escaped + n, 5, "\\x%02x", c);
    } else {
      escaped[n++] = (char)c;
    }
  }
  json_t *result = json_stringn(escaped, n);
  free(escaped);
  return result;
}

static json_t *json_types(const uint8_t *types, uint32_t count) {
  json_t *array = json_array();
  for (uint32_t i = 0; i < count; i++) {
    json_array_append_new(array, json_string(srr_value_type_name(types[i])));
  }
  return array;
}

static json_t *json_value(const srr_value *v) {
  char text[96];
  json_t *value;
  switch (v->type) {
  case SRR_T_I32:
    value = json_integer((json_int_t)(int32_t)v->as.i32);
    break;
  case SRR_T_I64:
    value = json_integer((json_int_t)(int64_t)v->as.i64);
    break;
  case SRR_T_F32:
  case SRR_T_F64: {
    /* A number when finite (the double printed by jansson reads back to the
       same bits), else the text form; the bits always, for exactness. */
    double d = v->type == SRR_T_F32 ? (double)f32_from_bits(v->as.f32_bits)
                                    : f64_from_bits(v->as.f64_bits);
    if (isfinite(d)) {
      value = json_real(d);
    } else {
      format_value(text, sizeof text, v);
      value = json_string(text);
    }
    if (v->type == SRR_T_F32) {
      snprintf(text, sizeof text, "0x%08x", v->as.f32_bits);
    } else {
      snprintf(text, sizeof text, "0x%016llx", (unsigned long long)v->as.f64_bits);
    }
    return json_pack("{s:s, s:o, s:s}", "type", srr_value_type_name(v->type), "value", value, "bits",
                     text);
  }
  case SRR_T_V128:
    value = json_hex(v->as.v128, 16);
    break;
  case SRR_T_FUNCREF:
  case SRR_T_EXTERNREF:
    value = json_string(v->as.non_null ? "non-null" : "null");
    break;
  default:
    value = json_null();
  }
  return json_pack("{s:s, s:o}", "type", srr_value_type_name(v->type), "value", value);
}

static json_t *json_values(const srr_value *values, uint32_t count) {
  json_t *array = json_array();
  for (uint32_t i = 0; i < count; i++) {
    json_array_append_new(array, json_value(&values[i]));
  }
  return array;
}

static json_t *json_optional_text(const char *s) {
  return s ? json_text(s, strlen(s)) : json_null();
}

static json_t *json_header(const srr_trace_header *h) {
  char version[32];
  snprintf(version, sizeof version, "%u.%u", h->major, h->minor);
  json_t *imports = json_array();
  for (uint32_t i = 0; i < h->import_count; i++) {
    const srr_trace_import *im = &h->imports[i];
    json_array_append_new(
        imports, json_pack("{s:I, s:o, s:o, s:o, s:o}", "index", (json_int_t)im->index, "module",
                           json_optional_text(im->module), "name", json_optional_text(im->name),
                           "params", json_types(im->signature.params, im->signature.param_count),
                           "results", json_types(im->signature.results, im->signature.result_count)));
  }
  json_t *exports = json_array();
  for (uint32_t i = 0; i < h->export_count; i++) {
    const srr_trace_export *ex = &h->exports[i];
    json_array_append_new(
        exports, json_pack("{s:I, s:o, s:o, s:o}", "index", (json_int_t)ex->index, "name",
                           json_optional_text(ex->name), "params",
                           json_types(ex->signature.params, ex->signature.param_count), "results",
                           json_types(ex->signature.results, ex->signature.result_count)));
  }
  json_t *memories = json_array();
  for (uint32_t i = 0; i < h->memory_count; i++) {
    const srr_trace_memory *m = &h->memories[i];
    json_array_append_new(memories,
                          json_pack("{s:I, s:I, s:o}", "index", (json_int_t)m->index, "initial_pages",
                                    (json_int_t)m->initial_pages, "max_pages",
                                    m->has_max ? json_integer((json_int_t)m->max_pages) : json_null()));
  }
  json_t *globals = json_array();
  for (uint32_t i = 0; i < h->global_count; i++) {
    const srr_trace_global *g = &h->globals[i];
    json_array_append_new(globals, json_pack("{s:I, s:s, s:o}", "index", (json_int_t)g->index, "type",
                                             srr_value_type_name(g->type), "export_name",
                                             json_optional_text(g->export_name)));
  }
  json_t *tables = json_array();
  for (uint32_t i = 0; i < h->table_count; i++) {
    json_array_append_new(tables, json_pack("{s:I, s:s}", "index", (json_int_t)h->tables[i].index, "type",
                                            srr_value_type_name(h->tables[i].type)));
  }
  return json_pack("{s:s, s:o, s:o, s:o, s:I, s:b, s:o, s:o, s:o, s:o, s:o, s:o, s:I}", "format", version,
                   "module_sha256", json_hex(h->module_sha256, 32), "module_name",
                   json_optional_text(h->module_name), "recorder", json_optional_text(h->recorder),
                   "flags", (json_int_t)h->flags, "durable", (int)(h->flags & SRR_FLAG_DURABLE),
                   "shadow_offset",
                   h->has_shadow_offset ? json_integer((json_int_t)h->shadow_offset) : json_null(),
                   "imports", imports, "exports", exports, "memories", memories, "globals", globals,
                   "tables", tables, "skipped_fields", (json_int_t)h->unknown_field_count);
}

static json_t *json_event(const srr_event *ev) {
  json_t *o = json_pack("{s:I, s:I, s:s}", "number", (json_int_t)ev->number, "offset",
                        (json_int_t)ev->offset, "kind", srr_event_kind_name(ev->kind));
  if (!o) {
    return NULL;
  }
  switch (ev->kind) {
  case SRR_EV_IMPORT_CALL:
  case SRR_EV_IMPORT_RETURN:
    json_object_set_new(o, "import", json_integer(ev->index));
    json_object_set_new(o, "module", json_optional_text(ev->import_entry->module));
    json_object_set_new(o, "name", json_optional_text(ev->import_entry->name));
    json_object_set_new(o, "values", json_values(ev->values, ev->value_count));
    break;
  case SRR_EV_EXPORT_CALL:
  case SRR_EV_EXPORT_RETURN:
    json_object_set_new(o, "export", json_integer(ev->index));
    json_object_set_new(o, "name", json_optional_text(ev->export_entry->name));
    json_object_set_new(o, "values", json_values(ev->values, ev->value_count));
    break;
  case SRR_EV_GLOBAL_CHANGE:
    json_object_set_new(o, "global", json_integer(ev->index));
    json_object_set_new(o, "name", json_optional_text(ev->global_entry->export_name));
    json_object_set_new(o, "value", json_value(&ev->values[0]));
    break;
  case SRR_EV_MEMORY_WRITE:
    json_object_set_new(o, "memory", json_integer(ev->memory));
    json_object_set_new(o, "address", json_integer((json_int_t)ev->address));
    json_object_set_new(o, "length", json_integer((json_int_t)ev->length));
    json_object_set_new(o, "bytes", json_hex(ev->bytes, (size_t)ev->length));
    break;
  case SRR_EV_MEMORY_GROW:
    json_object_set_new(o, "memory", json_integer(ev->memory));
    json_object_set_new(o, "delta_pages", json_integer((json_int_t)ev->delta_pages));
    json_object_set_new(o, "result", json_integer((json_int_t)ev->result));
    break;
  case SRR_EV_HOST_MEMORY_GROW:
    json_object_set_new(o, "memory", json_integer(ev->memory));
    json_object_set_new(o, "new_pages", json_integer((json_int_t)ev->new_pages));
    break;
  case SRR_EV_HOST_TABLE_SET:
    json_object_set_new(o, "table", json_integer(ev->table));
    json_object_set_new(o, "element", json_integer((json_int_t)ev->element));
    json_object_set_new(o, "value", json_string(ev->non_null ? "non-null" : "null"));
    break;
  case SRR_EV_HOST_TABLE_GROW:
    json_object_set_new(o, "table", json_integer(ev->table));
    json_object_set_new(o, "new_size", json_integer((json_int_t)ev->new_size));
    break;
  case SRR_EV_HOST_FUNCREF_CALL:
    json_object_set_new(o, "table", json_integer(ev->table));
    json_object_set_new(o, "element", json_integer((json_int_t)ev->element));
    json_object_set_new(o, "args", json_values(ev->values, ev->signature.param_count));
    json_object_set_new(o, "results",
                        json_values(ev->values + ev->signature.param_count, ev->signature.result_count));
    break;
  case SRR_EV_TRAP:
    json_object_set_new(o, "message", json_text(ev->message, ev->message_length));
    break;
  default:
    break;
  }
  return o;
}

/* Prints one JSON value (compact) through jansson; returns 0 or -1. */
static int print_json(json_t *value) {
  if (!value) {
    return -1;
  }
  int status = json_dumpf(value, stdout, JSON_COMPACT | JSON_ENCODE_ANY);
  json_decref(value);
  return status;
}

/* The events are streamed, one per line, rather than built into one json_t:
 * a trace can hold millions. Every value is still written by jansson; only
 * the punctuation between them is printed here. */
static int dump_json(const char *path, srr_trace *trace, const uint8_t *events, size_t size,
                     int complete, srr_trace_error *err) {
  srr_event_cursor cursor;
  if (srr_event_cursor_init(&cursor, trace, events, size, err) != 0) {
    return -1;
  }
  int failed = 0;
  printf("{\"file\": ");
  failed |= print_json(json_text(path, strlen(path)));
  printf(",\n\"header\": ");
  failed |= print_json(json_header(srr_trace_get_header(trace)));
  printf(",\n\"events\": [");
  srr_event ev;
  int got;
  const char *separator = "\n";
  while (!failed && (got = srr_event_next(&cursor, &ev, err)) == 1) {
    fputs(separator, stdout);
    separator = ",\n";
    failed |= print_json(json_event(&ev));
  }
  srr_event_cursor_free(&cursor);
  size_t offset = 0;
  const char *truncation = srr_trace_truncation(trace, &offset);
  printf("\n],\n\"complete\": %s,\n\"truncated\": ", complete ? "true" : "false");
  failed |= print_json(truncation ? json_pack("{s:s, s:I}", "reason", truncation, "offset",
                                              (json_int_t)offset)
                                  : json_null());
  printf("}\n");
  if (failed) {
    err->status = SRR_TRACE_OUT_OF_MEMORY;
    snprintf(err->message, sizeof err->message, "cannot print JSON");
    return -1;
  }
  return 0;
}

/* Decodes every event once without printing, so that a corrupt trace gives
 * one error line rather than half a dump. */
static int check_events(srr_trace *trace, const uint8_t *events, size_t size, int *complete,
                        srr_trace_error *err) {
  srr_event_cursor cursor;
  if (srr_event_cursor_init(&cursor, trace, events, size, err) != 0) {
    return -1;
  }
  srr_event ev;
  int got;
  uint8_t last_kind = 0;
  while ((got = srr_event_next(&cursor, &ev, err)) == 1) {
    last_kind = ev.kind;
  }
  srr_event_cursor_free(&cursor);
  *complete = last_kind == SRR_EV_END || last_kind == SRR_EV_TRAP;
  return got < 0 ? -1 : 0;
}

int srr_cmd_dump(int argc, char **argv) {
  int json = 0;
  const srr_cli_option options[] = {
      {"--json", NULL, SRR_OPT_FLAG, &json, NULL, 0},
  };
  srr_cli_args args;
  int parsed = srr_cli_parse("dump", kUsage, argc, argv, options, sizeof options / sizeof options[0], 1, 0, &args);
  if (parsed) {
    return parsed == 1 ? SRR_EXIT_OK : parsed;
  }
  const char *input = args.positional[0];
  if (!input) {
    return srr_cli_usage_error("dump", "no trace given");
  }
  srr_cli_trace loaded;
  int status = srr_cli_load_trace(input, &loaded);
  if (status != SRR_EXIT_OK) {
    return status;
  }
  srr_trace_error err;
  uint8_t *events = NULL;
  size_t size = 0;
  int complete = 0;
  if (srr_trace_read_events(loaded.trace, &events, &size, &err) != 0 ||
      check_events(loaded.trace, events, size, &complete, &err) != 0) {
    srr_cli_error(input, "%s", err.message);
    free(events);
    srr_cli_trace_free(&loaded);
    return srr_cli_trace_exit_code(err.status);
  }
  if (json) {
    if (dump_json(input, loaded.trace, events, size, complete, &err) != 0) {
      srr_cli_error(input, "%s", err.message);
      status = SRR_EXIT_FAILURE;
    }
  } else {
    print_header_text(input, srr_trace_get_header(loaded.trace));
    srr_event_cursor cursor;
    if (srr_event_cursor_init(&cursor, loaded.trace, events, size, &err) != 0) {
      srr_cli_error(input, "%s", err.message);
      status = SRR_EXIT_FAILURE;
    } else {
      srr_event ev;
      while (srr_event_next(&cursor, &ev, &err) == 1) {
        print_event_text(&ev);
      }
      srr_event_cursor_free(&cursor);
    }
  }
  fflush(stdout);
  const char *truncation = srr_trace_truncation(loaded.trace, NULL);
  if (status == SRR_EXIT_OK && truncation) {
    srr_cli_error(input, "truncated trace: %s", truncation);
    status = SRR_EXIT_TRUNCATED;
  }
  free(events);
  srr_cli_trace_free(&loaded);
  return status;
}
