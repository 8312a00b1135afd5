// A call through a funcref table the host can write may run a function of
// the host's own, which writes the guest's memory with no import wrapper to
// say so (shadow_tables.cpp, markHostCall). The guest here imports a
// function (so its exported table is one the host could write during an
// import call too), and its host-free code reads the bytes right after such
// a call, from a small memory that each export call syncs at once: the call
// must leave the memories unsynced, or those bytes would be read by
// unchecked code and never recorded. The host's function is another
// module's export that writes into the guest's memory.
// Checked, for a call through the table to the host's function and to the
// guest's own: the result equals the original module's, and every byte read
// that the host wrote is in the trace with its value.
//
//   node host_funcref_calls.mjs SHADOWRR SCRATCH_DIR
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SUM_BYTES_WAT, checker, sh } from '../lib/harness.mjs';

const [shadowrr, scratch] = process.argv.slice(2);
mkdirSync(scratch, { recursive: true });
const { check, done } = checker();
const wasm = (name, wat) => {
  writeFileSync(join(scratch, `${name}.wat`), wat);
  sh('wat2wasm', [join(scratch, `${name}.wat`), '-o', join(scratch, `${name}.wasm`)]);
  return join(scratch, `${name}.wasm`);
};

const guest = wasm('guest', `(module
  (import "env" "tick" (func $tick))
  (type $v (func))
  (memory (export "memory") 1)
  (table (export "table") 2 funcref)
  (elem (i32.const 1) func $own)
  (func $own (i32.store8 (i32.const 300) (i32.const 5)))
  ${SUM_BYTES_WAT}
  (func (export "call_then_sum") (param $i i32) (param $p i32) (param $n i32) (result i32)
    (call_indirect (type $v) (local.get $i))
    (call $sum (local.get $p) (local.get $n)))
  (func (export "tick") (call $tick)))`);
// The host's function: another module's, writing into the guest's memory.
const writer = wasm('writer', `(module
  (import "guest" "memory" (memory 1))
  (func (export "write") (local $i i32)
    (loop $next
      (i32.store8 (i32.add (i32.const 100) (local.get $i)) (i32.add (local.get $i) (i32.const 1)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $next (i32.lt_u (local.get $i) (i32.const 40))))))`);
const rec = join(scratch, 'guest.rec.wasm');
sh(shadowrr, ['instrument', '--mode', 'record', guest, '-o', rec]);

function run(file) {
  const instance = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(file)), { env: { tick() {} } });
  const e = instance.exports;
  const write = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(writer)), { guest: { memory: e.memory } })
    .exports.write;
  e.table.set(0, write);
  const results = [e.call_then_sum(0, 100, 40), e.call_then_sum(1, 300, 1)];
  e.tick();
  return { e, results };
}

const plain = run(guest).results;
const { e, results } = run(rec);
check(results.join() === plain.join(), `recorded results ${results.join()} equal the original's ${plain.join()}`);
e.shadowrr_finish();
const trace = join(scratch, 'guest.srr');
writeFileSync(trace, new Uint8Array(e.shadowrr_memory.buffer, e.shadowrr_drain_ptr(), e.shadowrr_drain_size()).slice());
// The memory writes recorded inside the first export call (a later sync
// would find the bytes too, but after the guest read them: too late for the
// replay, which must give the guest those bytes before it reads them).
const events = JSON.parse(sh(shadowrr, ['dump', '--json', trace])).events;
const firstReturn = events.findIndex((x) => x.kind === 'export_return');
const recorded = new Map();
for (const ev of events.slice(0, firstReturn).filter((x) => x.kind === 'memory_write')) {
  Buffer.from(ev.bytes, 'hex').forEach((b, i) => recorded.set(ev.address + i, b));
}
let missing = 0;
for (let i = 0; i < 40; i++) if (recorded.get(100 + i) !== i + 1) missing++;
check(missing === 0, `the 40 bytes the host's function wrote and the guest read are in the trace, in the call that read them (${missing} missing)`);

done();
