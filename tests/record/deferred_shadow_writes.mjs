// Deferred shadow writes (transform/passes/deferred_shadow_writes.cpp): a
// memory.copy or memory.fill in code that runs only while synced leaves the
// shadow stale until the host can run next. Each case here has the guest
// overwrite a zeroed buffer with such a write and then the host write zeros
// back, the very bytes the stale shadow still holds, before the guest reads
// the buffer. Only a shadow brought up to date before the host ran tells
// those zeros from the guest's bytes: every one of them must be in the trace
// (a replay would otherwise keep the guest's bytes), and the result must be
// the original module's (0). The host gets control
//  - by an import call (copy, fill, two copies far apart so that the second
//    flushes the first, two close enough to merge);
//  - when an export it called from inside an import returns;
//  - by a trap, after which it calls an export again.
// Each case runs in a fresh instance, with and without
// --host-writes-in-calls (the memory, 1 page, is synced at every host event
// in both builds, so the writes run in synced code). The recording modules
// must show the deferral: the synced copies of the writes leave the shadow
// alone.
//
//   node deferred_shadow_writes.mjs SHADOWRR SCRATCH_DIR
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SUM_BYTES_WAT, checker, drainedEvents, sh, writtenBytes } from '../lib/harness.mjs';

const [shadowrr, scratch] = process.argv.slice(2);
mkdirSync(scratch, { recursive: true });
const { check, done } = checker();

// $put writes [p, p+n) from the nonzero pattern at 1024 (copy) or with 0x5a
// (fill); both are host-free, so their bulk writes run in synced copies.
const plain = join(scratch, 'deferred_shadow_writes');
writeFileSync(`${plain}.wat`, `(module
  (import "env" "zero" (func $zero (param i32 i32)))
  (import "env" "call_put" (func $call_put (param i32 i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 1024) "${'\\7f\\01\\33\\c4'.repeat(64)}")
  ${SUM_BYTES_WAT}
  (func $put (export "put") (param $fill i32) (param $p i32) (param $n i32)
    (if (local.get $fill)
      (then (memory.fill (local.get $p) (i32.const 0x5a) (local.get $n)))
      (else (memory.copy (local.get $p) (i32.const 1024) (local.get $n)))))
  (func (export "sum") (param $p i32) (param $n i32) (result i32) (call $sum (local.get $p) (local.get $n)))
  ;; put, the host zeroes, sum.
  (func (export "put_zero_sum") (param $fill i32) (param $p i32) (param $n i32) (result i32)
    (call $put (local.get $fill) (local.get $p) (local.get $n))
    (call $zero (local.get $p) (local.get $n))
    (call $sum (local.get $p) (local.get $n)))
  ;; put twice (the second at q), the host zeroes both, sum both.
  (func (export "put2_zero_sum") (param $p i32) (param $q i32) (param $n i32) (result i32)
    (call $put (i32.const 0) (local.get $p) (local.get $n))
    (call $put (i32.const 1) (local.get $q) (local.get $n))
    (call $zero (local.get $p) (local.get $n))
    (call $zero (local.get $q) (local.get $n))
    (i32.add (call $sum (local.get $p) (local.get $n)) (call $sum (local.get $q) (local.get $n))))
  ;; the host calls "put" back, then zeroes; sum.
  (func (export "callback_zero_sum") (param $p i32) (param $n i32) (result i32)
    (call $call_put (i32.const 0) (local.get $p) (local.get $n))
    (call $sum (local.get $p) (local.get $n)))
  ;; put, then trap.
  (func (export "put_trap") (param $p i32) (param $n i32)
    (call $put (i32.const 0) (local.get $p) (local.get $n))
    unreachable))`);
sh('wat2wasm', ['--enable-all', `${plain}.wat`, '-o', `${plain}.wasm`]);

// Each case: a name, and what it does with the instance; `zeroed` lists the
// [p, n] the host zeroed after the guest wrote them.
const cases = [
  ['copy, then an import', (e) => e.put_zero_sum(0, 4096, 200), [[4096, 200]]],
  ['fill, then an import', (e) => e.put_zero_sum(1, 4096, 200), [[4096, 200]]],
  ['two writes far apart', (e) => e.put2_zero_sum(4096, 20000, 100), [[4096, 100], [20000, 100]]],
  ['two writes close by', (e) => e.put2_zero_sum(4096, 4096 + 100 + 30, 100), [[4096, 100], [4226, 100]]],
  ['an export returning inside an import', (e) => e.callback_zero_sum(8192, 150), [[8192, 150]]],
  ['a trap', (e, zero) => {
    try { e.put_trap(12288, 120); } catch { /* the trap is the case */ }
    zero(12288, 120);
    return e.sum(12288, 120);
  }, [[12288, 120]]],
];

function run(file, act) {
  let instance;
  const zero = (p, n) => new Uint8Array(instance.exports.memory.buffer).fill(0, p, p + n);
  const imports = {
    env: { zero, call_put(fill, p, n) { instance.exports.put(fill, p, n); zero(p, n); } },
    // ENOSYS: the recorder keeps the trace for shadowrr_drain_* (recorder_abi.h).
    wasi_snapshot_preview1: new Proxy({}, { get: () => () => 52 }),
  };
  instance = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(file)), imports);
  return { instance, result: act(instance.exports, zero) };
}

for (const [build, flags] of [['default', []], ['declared', ['--host-writes-in-calls']]]) {
  const rec = `${plain}.${build}.rec.wasm`;
  sh(shadowrr, ['instrument', '--mode', 'record', ...flags, `${plain}.wasm`, '-o', rec]);
  // Memory 1 is the shadow (memory 0's; the recorder's is 2). $put has a
  // synced and a checked copy: only the checked one writes the shadow
  // itself, and the flush copies the memory into it.
  const code = sh('wasm-objdump', ['-d', rec]);
  const shadowWrites = (code.match(/memory\.(fill 1|copy 1 1)$/gm) || []).length;
  const flushes = (code.match(/memory\.copy 1 0$/gm) || []).length;
  check(shadowWrites === 2 && flushes === 1,
        `${build}: ${shadowWrites} bulk writes into the shadow (expected 2, the checked copy's) and ${flushes} flush (expected 1)`);
  cases.forEach(([name, act, zeroed], k) => {
    const expected = run(`${plain}.wasm`, act).result;
    const { instance, result } = run(rec, act);
    check(result === expected && expected === 0, `${build}, ${name}: result ${result}, the original's ${expected}`);
    const written = writtenBytes(drainedEvents(shadowrr, instance, `${plain}.${build}.${k}.srr`));
    let total = 0, missing = 0;
    for (const [p, n] of zeroed) {
      for (let a = p; a < p + n; a++, total++) missing += written.get(a) === 0 ? 0 : 1;
    }
    check(missing === 0, `${build}, ${name}: ${missing} of the ${total} bytes the host zeroed are missing from the trace`);
  });
}

done();
