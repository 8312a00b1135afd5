// harness.mjs: what the JS-hosted tests share: running a command (a tool the
// test needs, e.g. shadowrr or wat2wasm) and counting checks.

import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';

// Runs cmd with args and returns its stdout; throws with its stderr if it
// fails (a tool the test relies on failing is no test result).
export function sh(cmd, args) {
  const r = spawnSync(cmd, args, { maxBuffer: 256 << 20 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.toString();
}

// The replayer's last message (what it printed on fd 2, or would have), from
// the exports of an instance of a replay module.
export function replayerMessage(e) {
  return Buffer.from(new Uint8Array(e.shadowrr_memory.buffer, e.shadowrr_message_ptr(), e.shadowrr_message_size())).toString();
}

// Counts checks and prints each ("ok   what" / "FAIL what"); done() prints
// the counts and exits 1 if any failed.
export function checker() {
  let passed = 0, failed = 0;
  return {
    check(ok, what) {
      if (ok) { passed++; console.log(`ok   ${what}`); } else { failed++; console.log(`FAIL ${what}`); }
    },
    done() {
      console.log(`${passed} passed, ${failed} failed`);
      process.exit(failed ? 1 : 0);
    },
  };
}

// A WAT function the record tests' guests share: $sum (p, n) is the sum of
// the bytes [p, p+n), read one load at a time; it calls nothing, so the
// record transform gives it an unchecked (synced) copy.
export const SUM_BYTES_WAT = `(func $sum (param $p i32) (param $n i32) (result i32) (local $s i32)
    (block $done (loop $next
      (br_if $done (i32.eqz (local.get $n)))
      (local.set $s (i32.add (local.get $s) (i32.load8_u (local.get $p))))
      (local.set $p (i32.add (local.get $p) (i32.const 1)))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br $next)))
    (local.get $s))`;

// The events of the trace a recording instance kept in memory (its drain
// exports), written to `file` and read back with `shadowrr dump --json`.
export function drainedEvents(shadowrr, instance, file) {
  const e = instance.exports;
  writeFileSync(file, new Uint8Array(e.shadowrr_memory.buffer, e.shadowrr_drain_ptr(), e.shadowrr_drain_size()).slice());
  return JSON.parse(sh(shadowrr, ['dump', '--json', file])).events;
}

// The events split per top-level export call (each list starts with that
// call's export_call; nested calls stay inside their caller's list).
export function eventsPerExportCall(events) {
  const calls = [];
  let depth = 0;
  for (const ev of events) {
    if (ev.kind === 'export_call' && depth++ === 0) calls.push([]);
    if (calls.length) calls[calls.length - 1].push(ev);
    if (ev.kind === 'export_return') depth--;
  }
  return calls;
}

// The bytes that memory_write events put, as address -> value.
export function writtenBytes(events) {
  const bytes = new Map();
  for (const ev of events.filter((x) => x.kind === 'memory_write')) {
    Buffer.from(ev.bytes, 'hex').forEach((b, i) => bytes.set(ev.address + i, b));
  }
  return bytes;
}
