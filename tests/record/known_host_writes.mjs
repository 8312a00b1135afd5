// A module whose imports all say, when they return, what they wrote (WASI
// preview1 functions of transform/wasi_writes.cpp's table, imports declared
// pure), recorded with --host-writes-in-calls: no memory needs a shadow
// (RecordContext::alwaysSynced), and the recorder writes into the trace what
// each call wrote, as it is. Checked, against the original module run under
// the same host:
//  - the recording module has no shadow memory (the guest's and the
//    recorder's are left), and the default and --reads-only builds have one;
//  - the results are the same;
//  - every byte the host wrote is in the trace with its value, zeros
//    included (nothing can be left out by comparing with a shadow);
//  - fd_read's bytes are recorded up to the length it returned, not to the
//    end of its buffers;
//  - args_get without an args_sizes_get first (extent unknown) records the
//    memory from its lower pointer on.
//
//   node known_host_writes.mjs SHADOWRR SCRATCH_DIR
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checker, drainedEvents, eventsPerExportCall, sh, writtenBytes } from '../lib/harness.mjs';

const [shadowrr, scratch] = process.argv.slice(2);
mkdirSync(scratch, { recursive: true });
const { check, done } = checker();

const plain = join(scratch, 'known_host_writes');
writeFileSync(`${plain}.wat`, `(module
  (import "wasi_snapshot_preview1" "random_get" (func $random_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_get" (func $args_get (param i32 i32) (result i32)))
  (import "bench" "tick" (func $tick))
  (memory (export "memory") 1)
  ;; The sum of the bytes [p, p+n), times their position, so order counts.
  (func $sum (param $p i32) (param $n i32) (result i32) (local $s i32) (local $i i32)
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $s (i32.add (local.get $s)
        (i32.mul (i32.load8_u (i32.add (local.get $p) (local.get $i))) (i32.add (local.get $i) (i32.const 1)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next)))
    (local.get $s))
  (func (export "random") (result i32)
    (drop (call $random_get (i32.const 1000) (i32.const 32)))
    (call $tick)
    (call $sum (i32.const 1000) (i32.const 32)))
  ;; Two iovecs at 2000: 100 bytes at 3000, 100 at 4000.
  (func (export "read") (result i32)
    (i32.store (i32.const 2000) (i32.const 3000)) (i32.store (i32.const 2004) (i32.const 100))
    (i32.store (i32.const 2008) (i32.const 4000)) (i32.store (i32.const 2012) (i32.const 100))
    (drop (call $fd_read (i32.const 0) (i32.const 2000) (i32.const 2) (i32.const 2020)))
    (i32.add (call $sum (i32.const 3000) (i32.const 100)) (call $sum (i32.const 4000) (i32.const 100))))
  (func (export "args") (result i32)
    (drop (call $args_get (i32.const 6000) (i32.const 6100)))
    (call $sum (i32.const 6000) (i32.const 200))))`);
sh('wat2wasm', [`${plain}.wat`, '-o', `${plain}.wasm`]);

const ARGS = ['prog', '--level', '9'];
const READ = 130; // fd_read fills the first iovec and 30 bytes of the second
function run(file) {
  let instance;
  const writes = [];
  const mem = () => new Uint8Array(instance.exports.memory.buffer);
  const wrote = (at, bytes) => { mem().set(bytes, at); writes.push([at, bytes]); };
  const word = (v) => new Uint8Array(new Uint32Array([v]).buffer);
  const imports = {
    wasi_snapshot_preview1: new Proxy({
      // Zeros among them: a shadow holding zeros would not see those.
      random_get(p, n) { wrote(p, Uint8Array.from({ length: n }, (_, i) => (i % 3 ? i * 11 : 0))); return 0; },
      fd_read(_fd, iovs, count, nread) {
        const view = new DataView(instance.exports.memory.buffer);
        let left = READ;
        for (let i = 0; i < count && left; i++) {
          const len = Math.min(view.getUint32(iovs + 8 * i + 4, true), left);
          wrote(view.getUint32(iovs + 8 * i, true), Uint8Array.from({ length: len }, (_, k) => 1 + ((k * 7 + i) % 250)));
          left -= len;
        }
        wrote(nread, word(READ));
        return 0;
      },
      args_get(list, buf) {
        let at = buf;
        ARGS.forEach((s, i) => {
          const bytes = new Uint8Array([...new TextEncoder().encode(s), 0]);
          wrote(at, bytes);
          wrote(list + 4 * i, word(at));
          at += bytes.length;
        });
        return 0;
      },
    }, { get: (known, name) => known[name] || (() => 52) }), // the recorder's own calls: ENOSYS
    bench: { tick() {} },
  };
  instance = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(file)), imports);
  const e = instance.exports;
  const calls = [];
  for (const name of ['random', 'read', 'args']) {
    writes.length = 0;
    calls.push({ name, result: e[name](), writes: writes.slice() });
  }
  return { instance, calls };
}

const expected = run(`${plain}.wasm`).calls.map((c) => c.result);
const memories = (file) => (sh('wasm-objdump', ['-x', '-j', 'Memory', file]).match(/ - memory\[/g) || []).length;
// A --reads-only build (the bench's measure of what the guest reads of the
// host's writes) checks every load, so it keeps its shadow even so.
for (const [build, flags, memoryCount] of [['default', [], 3],
  ['declared', ['--host-writes-in-calls', '--pure-import', 'bench.tick'], 2],
  ['declared, reads only', ['--host-writes-in-calls', '--pure-import', 'bench.tick', '--reads-only'], 3]]) {
  const rec = `${plain}.${build.replace(/\W+/g, '_')}.rec.wasm`;
  sh(shadowrr, ['instrument', '--mode', 'record', ...flags, `${plain}.wasm`, '-o', rec]);
  check(memories(rec) === memoryCount, `${build}: ${memories(rec)} memories in the recording module, expected ${memoryCount}`);
  const { instance, calls } = run(rec);
  const results = calls.map((c) => c.result);
  check(results.join() === expected.join(), `${build}: results ${results}, the original's ${expected}`);
  if (build !== 'declared') continue;
  const recorded = eventsPerExportCall(drainedEvents(shadowrr, instance, `${plain}.${build}.srr`)).map(writtenBytes);
  calls.forEach((c, k) => {
    let total = 0, missing = 0;
    for (const [at, bytes] of c.writes) {
      bytes.forEach((b, i) => { total++; if (recorded[k]?.get(at + i) !== b) missing++; });
    }
    check(total > 0 && missing === 0, `${build}, ${c.name}: ${missing} of the host's ${total} bytes missing from the trace`);
  });
  // Past what fd_read returned: 70 bytes of the second buffer, untouched.
  const past = [...recorded[1].keys()].filter((a) => a >= 4000 + READ - 100 && a < 4100).length;
  check(past === 0, `${build}, read: ${past} bytes past the length fd_read returned are in the trace`);
  // args_get with no sizes asked for: from 6000 (its lower pointer) to the
  // end of the memory.
  const fromList = [...recorded[2].keys()].filter((a) => a >= 6000).length;
  check(fromList === 65536 - 6000, `${build}, args: ${fromList} bytes recorded from 6000 on, expected ${65536 - 6000}`);
}

done();
