// A memory the host cannot reach (neither imported nor exported) gets no
// shadow, and none of its loads and stores is instrumented
// (transform/passes/shadow_memories.cpp): this checks that the rule loses
// nothing. The module (private_memory.wat) has an exported memory the host
// writes and a private one; bytes cross between them by memory.copy both
// ways. Recorded under a plain JS host, then:
//  - the recording module has one shadow memory, for the exported memory
//    only;
//  - every call's result equals the original module's;
//  - the bytes the host wrote and the guest copied into the private memory
//    are in the trace; the bytes the guest copied out of it are not (the
//    exported memory's shadow got them too);
//  - the private memory's growth is in the trace;
//  - the embedded replay (no host) ends as recorded: the import that
//    reports each sum has its arguments checked, so a lost host write would
//    be a divergence.
//
//   node private_memory.mjs SHADOWRR SCRATCH_DIR
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { checker, replayerMessage, sh } from '../lib/harness.mjs';

const [shadowrr, scratch] = process.argv.slice(2);
const here = dirname(new URL(import.meta.url).pathname);
mkdirSync(scratch, { recursive: true });
const { check, done } = checker();

const original = join(scratch, 'private.wasm');
const recording = join(scratch, 'private.rec.wasm');
sh('wat2wasm', ['--enable-multi-memory', join(here, 'private_memory.wat'), '-o', original]);
sh(shadowrr, ['instrument', '--mode', 'record', original, '-o', recording]);

// Memories of the recording module: the two of the application, one shadow,
// the recorder's own.
const memories = sh('wasm-objdump', ['-x', '-j', 'Memory', recording]).split('\n').filter((l) => /- memory\[\d+\]/.test(l));
check(memories.length === 4, `the recording module has ${memories.length} memories, expected 4 (no shadow for the private one)`);

const pattern = (i) => ((i * 11 + 5) % 251) + 1;
function drive(file) {
  let instance;
  const reported = [];
  const imports = {
    env: {
      fill(ptr, len) {
        const m = new Uint8Array(instance.exports.memory.buffer);
        for (let i = 0; i < len; i++) m[ptr + i] = pattern(i);
      },
      report(v) { reported.push(v); },
    },
  };
  instance = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(file)), imports);
  const e = instance.exports;
  const results = [e.copy_in(100, 300), e.copy_out(2000, 200), e.grow(), e.copy_in(700, 50)];
  return { instance, results, reported };
}

const expected = drive(original);
const got = drive(recording);
check(got.results.join() === expected.results.join(), `results ${got.results} != original ${expected.results}`);
check(got.reported.join() === expected.reported.join(), `reported ${got.reported} != original ${expected.reported}`);

const e = got.instance.exports;
e.shadowrr_finish();
const trace = join(scratch, 'private.srr');
const bytes = new Uint8Array(e.shadowrr_memory.buffer, e.shadowrr_drain_ptr(), e.shadowrr_drain_size()).slice();
writeFileSync(trace, bytes);
const events = JSON.parse(sh(shadowrr, ['dump', '--json', trace])).events;

// The bytes recorded per address of the exported memory (index 0).
const recorded = new Map();
for (const ev of events.filter((x) => x.kind === 'memory_write')) {
  check(ev.memory === 0, `a memory write into memory ${ev.memory}: only the exported memory can be written by the host`);
  Buffer.from(ev.bytes, 'hex').forEach((b, i) => recorded.set(ev.address + i, b));
}
let missing = 0;
for (const [ptr, len] of [[100, 300], [700, 50]]) {
  for (let i = 0; i < len; i++) if (recorded.get(ptr + i) !== pattern(i)) missing++;
}
check(missing === 0, `${missing} of the bytes the host wrote and the guest copied into the private memory are not in the trace`);
let copiedOut = 0;
for (let i = 0; i < 200; i++) if (recorded.has(2000 + i)) copiedOut++;
check(copiedOut === 0, `${copiedOut} bytes the guest copied out of the private memory were recorded as host writes`);
const grows = events.filter((x) => x.kind === 'memory_grow');
check(grows.length === 1 && grows[0].memory === 1 && grows[0].result === 1,
      `the private memory's growth is recorded: ${JSON.stringify(grows)}`);

// The embedded replay: nothing of the host; each report's argument checked.
const replay = join(scratch, 'private.replay.wasm');
sh(shadowrr, ['instrument', '--mode', 'replay', '--trace', trace, '--embed', '--quiet', original, '-o', replay]);
const r = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(replay)), {}).exports;
let trapped = '';
try { r._start(); } catch (x) { trapped = String(x); }
const message = replayerMessage(r);
check(r.shadowrr_status() === 0 && trapped === '', `the embedded replay ends as recorded (status ${r.shadowrr_status()}: ${message.trim()} ${trapped})`);

done();
