// A compiled run (replayer_abi.h, section 5): the embedded trace of a run
// that is nothing but export calls (numbers in, numbers out) replays as
// generated code, without loading the trace. Checked:
//  - the replay of the recorded run ends as recorded (status 0, exit code 0)
//    and is compiled: its `_start` calls the exports itself, with or without
//    a memory.grow in a call, and a trace with anything else (here an
//    import call) is not compiled;
//  - where the guest does other than the trace says, the replayer is
//    entered at the event the run had reached, so each divergence names
//    the right event: a result that differs, a trap, a memory.grow the
//    trace does not have, each in the third call, from a trace whose
//    recorded argument of that call was edited (the module stays the same,
//    so the header stays the module's own): event 5, the call's
//    EXPORT_RETURN; and a memory.grow the guest does not make (event 5, the
//    MEMORY_GROW).
// (The bench replays the wasm-r3 programs this way on node and Wasmtime.)
//
//   node compiled_run.mjs SHADOWRR SCRATCH_DIR
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checker, replayerMessage, sh } from '../lib/harness.mjs';
import { K, crc32, uleb } from '../lib/trace_bytes.mjs';

const [shadowrr, scratch] = process.argv.slice(2);
mkdirSync(scratch, { recursive: true });
const { check, done } = checker();

// f(x): x * 3 + 1; traps when x is 13 (unreachable) and grows the memory
// when x is 7: a guest that does other things for other arguments.
const wat = `(module
  (import "env" "tick" (func $tick))
  (memory (export "memory") 1)
  (func (export "tick") (call $tick))
  (func (export "f") (param $x i32) (result i32)
    (if (i32.eq (local.get $x) (i32.const 13)) (then unreachable))
    (if (i32.eq (local.get $x) (i32.const 7)) (then (drop (memory.grow (i32.const 1)))))
    (i32.add (i32.mul (local.get $x) (i32.const 3)) (i32.const 1)))
  (func (export "half") (param $x f64) (result f64 i64)
    (f64.mul (local.get $x) (f64.const 0.5)) (i64.trunc_f64_s (local.get $x))))`;
writeFileSync(join(scratch, 'guest.wat'), wat);
const guest = join(scratch, 'guest.wasm');
sh('wat2wasm', [join(scratch, 'guest.wat'), '-o', guest]);
const rec = join(scratch, 'guest.rec.wasm');
sh(shadowrr, ['instrument', '--mode', 'record', guest, '-o', rec]);

// Records the calls f(a), half(2.5), f(b) (and tick(), if `tick`); returns
// the raw trace's path.
const env = { env: { tick() {} } };
function record(name, a, b, tick = false) {
  const e = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(rec)), env).exports;
  const results = [e.f(a), ...e.half(2.5), e.f(b)];
  if (tick) e.tick();
  e.shadowrr_finish();
  const trace = join(scratch, `${name}.srr`);
  writeFileSync(trace, new Uint8Array(e.shadowrr_memory.buffer, e.shadowrr_drain_ptr(), e.shadowrr_drain_size()).slice());
  return { trace, results };
}

// The embedded replay of `trace`: how it ends, and whether its `_start` is
// a compiled run (it calls the exports itself, not srr_rep_run).
function replay(trace, label) {
  const out = join(scratch, `${label}.replay.wasm`);
  sh(shadowrr, ['instrument', '--mode', 'replay', '--trace', trace, '--embed', '--quiet', guest, '-o', out]);
  const e = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(out)), {}).exports;
  let trapped = '';
  try { e._start(); } catch (x) { trapped = String(x); }
  const exit = trapped ? -1 : e.shadowrr_exit_code(); // (asked first, as a WASI host does)
  const status = e.shadowrr_status(); // (after a trap: decides, as a host does)
  let again = '';
  try { e._start(); } catch (x) { again = String(x); }
  const message = replayerMessage(e);
  const dis = sh('wasm-objdump', ['-d', out]);
  const start = dis.slice(dis.lastIndexOf('<_start>:'));
  const compiled = start.slice(0, start.indexOf('\n\n')).includes('<srr$rt$srr_rep_compiled_diverged>');
  return { status, exit: trapped ? e.shadowrr_exit_code() : exit, message, trapped, compiled, out, again };
}

const plain = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(guest)), env).exports;
const recorded = record('run', 2, 5);
check(recorded.results.join() === [plain.f(2), ...plain.half(2.5), plain.f(5)].join(),
      `recorded results ${recorded.results.join()} are the original's`);
const faithful = replay(recorded.trace, 'run');
check(faithful.again !== '', `a second _start after the end traps (${faithful.again})`);
check(faithful.compiled && faithful.status === 0 && faithful.exit === 0 && faithful.trapped === '' && faithful.message === '',
      `the replay is compiled (${faithful.compiled}) and ends as recorded (status ${faithful.status}, exit ${faithful.exit}` +
      `${faithful.trapped ? `, ${faithful.trapped}` : ''}${faithful.message ? `: ${faithful.message}` : ''})`);

// A run with a memory.grow (f(7)) is compiled too; one with an import call
// is not; both replay as recorded.
const grown = record('grown', 2, 7);
const grownReplay = replay(grown.trace, 'grown');
check(grownReplay.compiled && grownReplay.status === 0 && grownReplay.exit === 0,
      `a trace with a memory.grow replays compiled (${grownReplay.compiled}), as recorded ` +
      `(status ${grownReplay.status}: ${grownReplay.message})`);
const ticked = replay(record('ticked', 2, 5, true).trace, 'ticked');
check(!ticked.compiled && ticked.status === 0 && ticked.exit === 0,
      `a trace with an import call replays through the replayer (compiled: ${ticked.compiled}), as recorded ` +
      `(status ${ticked.status}: ${ticked.message})`);

// The trace of `trace` with the argument of its second call of f (event 4)
// replaced by b (and a MEMORY_GROW of memory 0 by 1 page in that call, which
// returned growResult, if `grows`) and its result by `result`: the same header,
// its events rebuilt as the format says (f is export 1, half export 2).
function edited(trace, name, b, grows = false, growResult = 1, result = plain.f(5)) {
  const bytes = readFileSync(trace);
  const headerEnd = 16 + bytes.readUInt32LE(12) + 4;
  const f64 = (x) => [...new Uint8Array(new Float64Array([x]).buffer)];
  const grow = grows ? [K.MEMORY_GROW, ...uleb(0), ...uleb(1), ...uleb(growResult)] : [];
  const events = [
    K.EXPORT_CALL, ...uleb(1), ...uleb(2), K.EXPORT_RETURN, ...uleb(1), ...uleb(plain.f(2)),
    K.EXPORT_CALL, ...uleb(2), ...f64(2.5), K.EXPORT_RETURN, ...uleb(2), ...f64(1.25), ...uleb(2),
    K.EXPORT_CALL, ...uleb(1), ...uleb(b), ...grow, K.EXPORT_RETURN, ...uleb(1), ...uleb(result), K.END,
  ];
  const chunk = Buffer.alloc(20);
  chunk.write('SRRC', 0, 'latin1');
  chunk.writeUInt32LE(events.length, 8);
  chunk.writeUInt32LE(events.length, 12);
  chunk.writeUInt32LE(crc32(Uint8Array.from(events)), 16);
  const file = join(scratch, `${name}.srr`);
  writeFileSync(file, Buffer.concat([bytes.subarray(0, headerEnd), chunk, Buffer.from(events)]));
  return file;
}
// (the rebuilt trace of the recorded arguments replays as the recording's does)
const rebuilt = replay(edited(recorded.trace, 'rebuilt', 5), 'rebuilt');
check(rebuilt.compiled && rebuilt.status === 0, `the rebuilt trace replays compiled, as recorded (status ${rebuilt.status}: ${rebuilt.message})`);
for (const [b, what, expect] of [
  [6, 'a result that differs', /divergence at event 5: export f returned \(19\) but the trace has export f returning \(16\)/],
  [13, 'a trap', /divergence at event 5: the guest trapped/],
  [7, 'a memory.grow', /divergence at event 5: the guest grew memory 0/],
]) {
  const r = replay(edited(recorded.trace, `edited-${b}`, b), `edited-${b}`);
  check(r.compiled && r.status === 101 && expect.test(r.message),
        `${what} in the compiled run (f(${b})) is a divergence at event 5 (status ${r.status}): ${r.message}`);
}
{
  const r = replay(edited(recorded.trace, 'missing-grow', 5, true), 'missing-grow');
  check(r.compiled && r.status === 101 &&
        /divergence at event 5: export f returned \(16\) but the trace has .*memory 0/.test(r.message),
        `a memory.grow the guest does not make is a divergence at event 5 (status ${r.status}): ${r.message}`);
  const grew = replay(edited(recorded.trace, 'grew', 7, true, 1, 22), 'grew');
  check(grew.compiled && grew.status === 0, `the grow of f(7) replays compiled (status ${grew.status}: ${grew.message})`);
  const other = replay(edited(recorded.trace, 'other-size', 7, true, 3), 'other-size');
  check(other.compiled && other.status === 101 &&
        /divergence at event 5: the guest grew memory 0 by 1 page from 1 page but the recording grew it from 3 pages/
          .test(other.message),
        `a grow from another size is a divergence at event 5 (status ${other.status}): ${other.message}`);
}

done();
