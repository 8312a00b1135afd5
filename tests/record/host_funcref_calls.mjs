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
// Then the replay (trace format 1.3, HOST_FUNCREF_CALL): a second host
// function takes arguments, returns two results, writes the guest's memory
// and calls back into the guest's exports; each call of a host function
// through the table is in the trace with its arguments and results, the
// embedded replay (no host, no other module) ends as recorded, on node, bun,
// deno and Wasmtime, and a trace whose recorded argument is edited is a divergence
// naming the event. An embedded trace without such calls replays without
// the marker checks.
//
//   node host_funcref_calls.mjs SHADOWRR SCRATCH_DIR
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SUM_BYTES_WAT, checker, replayerMessage, sh } from '../lib/harness.mjs';

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
  (table (export "table") 3 funcref)
  (elem (i32.const 1) func $own)
  (func $own (i32.store8 (i32.const 300) (i32.const 5)))
  ${SUM_BYTES_WAT}
  (func (export "call_then_sum") (param $i i32) (param $p i32) (param $n i32) (result i32)
    (call_indirect (type $v) (local.get $i))
    (call $sum (local.get $p) (local.get $n)))
  (type $mix (func (param i32 i64) (result i32 f64)))
  (func (export "mix") (param $i i32) (param $x i32) (result i32)
    (local $r f64)
    (call_indirect (type $mix) (local.get $x) (i64.const 7) (i32.add (local.get $i) (i32.const 1)))
    local.set $r
    local.get $r i32.trunc_f64_s i32.add
    (call $sum (i32.const 200) (i32.const 8)) i32.add)
  (func (export "bump") (param $v i32) (result i32) (i32.store8 (i32.const 400) (local.get $v)) (i32.add (local.get $v) (i32.const 1)))
  (func (export "tick") (call $tick)))`);
const callsBack = wasm('calls_back', `(module
  (import "js" "v" (func $v))
  (export "v" (func $v)))`);
// The second host function: JavaScript behind another module's export; it
// writes the guest's memory and calls the guest's export "bump" back.
const mixer = wasm('mixer', `(module
  (import "js" "mix" (func $mix (param i32 i64) (result i32 f64)))
  (export "mix" (func $mix)))`);
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
  const js = {
    mix(x, y) {
      new Uint8Array(e.memory.buffer).set([x, x + 1, x + 2, x + 3, 9, 9, 9, 9], 200);
      const back = e.bump(x);
      return [back * 2, Number(y) + 0.5];
    },
  };
  const mix = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(mixer)), { js }).exports.mix;
  e.table.set(2, mix); // a null element (as Emscripten's addFunction takes)
  const results = [e.call_then_sum(0, 100, 40), e.mix(1, 3), e.mix(1, 10)];
  // The host replaces the guest's own function at element 1 (no event says
  // so: the element stays non-null) by one that calls back into the guest
  // first; the replay finds the call by looking ahead.
  const hostV = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(callsBack)), {
    js: { v() { e.bump(77); new Uint8Array(e.memory.buffer)[401] = 5; } } }).exports.v;
  e.table.set(1, hostV);
  results.push(e.call_then_sum(1, 400, 2), e.call_then_sum(1, 400, 2));
  e.table.set(2, null);
  e.tick();
  return { e, results };
}

// The guest's own function at element 1 first, as the original module's
// element segment put it there.
function ownFirst(file) {
  const instance = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(file)), { env: { tick() {} } });
  return instance.exports.call_then_sum(1, 300, 1);
}
check(ownFirst(guest) === 5, 'the guest\'s own element runs in the original module');
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

// Each call of a host function through the table, in the trace.
const calls = events.filter((x) => x.kind === 'host_funcref_call');
check(calls.length === 5 && calls[0].element === 0 && calls[1].element === 2 && calls[3].element === 1 &&
      calls[1].args.map((v) => v.value).join() === '3,7' && calls[1].results.map((v) => v.value).join() === '8,7.5',

      `five host function calls recorded, at elements ${calls.map((c) => c.element).join()}: ` +
      `${JSON.stringify(calls[1] ?? null)}`);
const bumps = events.filter((x) => x.kind === 'export_call' && events.indexOf(x) < events.indexOf(calls[1]));
check(bumps.length >= 2, 'the host function\'s call back into the guest comes before its HOST_FUNCREF_CALL');

// The embedded replay, on node and on Wasmtime (through shadowrr replay).
function replayEmbedded(traceFile, label) {
  const out = join(scratch, `${label}.replay.wasm`);
  sh(shadowrr, ['instrument', '--mode', 'replay', '--trace', traceFile, '--embed', '--quiet', guest, '-o', out]);
  const r = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(out)), {}).exports;
  let trapped = '';
  try { r._start(); } catch (x) { trapped = String(x); }
  const message = replayerMessage(r);
  return { status: r.shadowrr_status(), message, trapped };
}
const replayed = replayEmbedded(trace, 'guest');
check(replayed.status === 0 && replayed.trapped === '', `the embedded replay ends as recorded (status ${replayed.status}: ${replayed.message.trim()})`);
for (const runtime of ['bun', 'deno', 'wasmtime']) {
  const r = spawnSync(shadowrr, ['replay', trace, '--module', guest, '--runtime', runtime], { encoding: 'utf8' });
  check(r.status === 0, `shadowrr replay --runtime ${runtime} ends as recorded (exit ${r.status}: ${(r.stderr || '').trim()})`);
}

// A trace without HOST_FUNCREF_CALL (the guest called only its own function
// through the table): its embedded replay has no marker checks at the
// call_indirect (a host function the trace never calls cannot need the
// replayer's answer), and replays as recorded.
{
  const own = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(rec)), { env: { tick() {} } }).exports;
  const sum = own.call_then_sum(1, 300, 1);
  own.shadowrr_finish();
  const ownTrace = join(scratch, 'own.srr');
  writeFileSync(ownTrace, new Uint8Array(own.shadowrr_memory.buffer, own.shadowrr_drain_ptr(), own.shadowrr_drain_size()).slice());
  const ownEvents = JSON.parse(sh(shadowrr, ['dump', '--json', ownTrace])).events;
  check(sum === 5 && !ownEvents.some((x) => x.kind === 'host_funcref_call'), `the guest's own call recorded (${sum}), no host function call`);
  const r = replayEmbedded(ownTrace, 'own');
  check(r.status === 0 && r.trapped === '', `its embedded replay ends as recorded (status ${r.status}: ${r.message.trim()})`);
  // (the marker table is the one the replay of host function calls adds)
  const tables = (file) => Number(/Table .* count: (\d+)/.exec(sh('wasm-objdump', ['-h', file]))?.[1] ?? 0);
  const [withCalls, without] = [tables(join(scratch, 'guest.replay.wasm')), tables(join(scratch, 'own.replay.wasm'))];
  check(without === withCalls - 1, `the replay of a trace without host function calls has no marker table (${without} tables, ` +
        `against ${withCalls} for the trace with them)`);
}

// A guest that passes the host function another argument than the
// recording's (the same program, patched: --allow-other-module): the
// divergence names the event and the call.
const patched = wasm('patched', readFileSync(join(scratch, 'guest.wat'), 'utf8')
  .replace('(call_indirect (type $mix) (local.get $x)', '(call_indirect (type $mix) (i32.add (local.get $x) (i32.const 1))'));
{
  const out = join(scratch, 'patched.replay.wasm');
  sh(shadowrr, ['instrument', '--mode', 'replay', '--trace', trace, '--embed', '--quiet', '--allow-other-module', patched,
                '-o', out]);
  const r = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(out)), {}).exports;
  try { r._start(); } catch {}
  const message = replayerMessage(r);
  const at = events.indexOf(calls[1]);
  check(r.shadowrr_status() !== 0 && message.includes(`divergence at event ${at}`) &&
        message.includes("the host's function at element 2 of table 0") && message.includes('argument 1 differs'),
        `the patched guest's call is a divergence at event ${at}: ${message.trim()}`);
}

done();
