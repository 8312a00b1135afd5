// Replay of every test program (tests/programs): recorded with `shadowrr
// record` on one engine, replayed with `shadowrr replay` on every engine
// (node 24, node 20 with the replay module lowered to one memory, bun, deno,
// Wasmtime);
// stdout, stderr and exit code must be those of the recording, byte for byte.
// Then what replay must refuse or report:
//  - a trace with one recorded argument changed: a divergence naming the event;
//  - a trace cut short: replayed up to its end, then the truncation message;
//  - the -O0 build of a program against the -O2 build's trace: refused
//    without --allow-other-module; with it, every event is checked and the
//    first difference reported;
//  - `instrument --mode replay --embed --quiet`: a module that imports
//    nothing, run on a plain engine with no WASI, ends as recorded;
//  - a program that imports nothing and exports its memory as "mem"
//    (no_wasi.wat): `shadowrr record` drains its in-memory trace on the JS
//    engines (refused on Wasmtime, which cannot drain it, in one line), and
//    `shadowrr replay` brings back its trap on every engine;
//  - hidden_preopen.wat: the trace's own preopen (record without --dir) is
//    invisible to the guest (fd 3 answers EBADF), recorded and replayed;
//  - `instrument --mode replay --passthrough bench.start --passthrough
//    bench.end` (timed.wat): the replay calls the host's bench.start and
//    bench.end (the launcher times the region) on every engine, and still
//    prints what was recorded.
//
//   node replay_programs.mjs SHADOWRR PROGRAMS_DIR HOSTS_DIR SCRATCH [--record ENGINE] [--replay ENGINE...]
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { crc32 } from 'node:zlib';
import { replayerMessage } from '../lib/harness.mjs';

const [shadowrr, programs, hosts, scratch, ...rest] = process.argv.slice(2);
let recordOn = ['node'];
let replayOn = ['node', 'node20', 'bun', 'deno', 'wasmtime'];
for (let i = 0; i < rest.length; i++) {
  if (rest[i] === '--record') recordOn = rest[++i].split(',');
  if (rest[i] === '--replay') replayOn = rest[++i].split(',');
}
const names = ['args_env', 'big_read', 'clock', 'exit_code', 'files', 'grow', 'print_lots', 'random', 'stdin_echo', 'trap'];
rmSync(scratch, { recursive: true, force: true });
mkdirSync(scratch, { recursive: true });
const stdin = Buffer.from('first line from stdin\nsecond\n');

let passed = 0, failed = 0, skipped = 0;
const ok = (what) => { passed++; console.log(`ok   ${what}`); };
const fail = (what, why) => { failed++; console.log(`FAIL ${what}: ${why}`); };

function available(engine) {
  const name = engine === 'node' ? 'node24' : engine;
  return spawnSync('bash', ['-c', `source "${hosts}/engines.sh" && engine_available ${name}`]).status === 0;
}

function run(argv, cwd) {
  const r = spawnSync(argv[0], argv.slice(1), { cwd, input: stdin, maxBuffer: 64 << 20, timeout: 300_000 });
  return { status: r.status ?? 128 + 0, stdout: r.stdout, stderr: r.stderr.toString() };
}

// The recorded run's own stderr, without the launcher's trap line (the
// replay's launcher prints its own).
const guestStderr = (s) => s.split('\n').filter((l) => !/^(wasi-run|wasmtime-run): trap:/.test(l)).join('\n');

// ---- record once per engine, replay everywhere -----------------------------
const recorded = {};
for (const engine of recordOn) {
  if (!available(engine)) { console.log(`SKIP recording on ${engine}: not installed`); skipped += names.length; continue; }
  for (const name of names) {
    const dir = join(scratch, `rec-${engine}-${name}`);
    mkdirSync(dir, { recursive: true });
    const trace = join(dir, `${name}.srr`);
    const args = engine === 'wasmtime' || name === 'files' ? [] : ['first', 'second arg'];
    // Wizer cannot drain a trace after a trap: record the trap durably.
    const durable = engine === 'wasmtime' && name === 'trap' ? ['--durable'] : [];
    const r = run([shadowrr, 'record', '--runtime', engine, '--dir', '.', '--env', 'SHADOWRR_TEST=replay-me', ...durable,
                   '-o', trace, join(programs, `${name}.wasm`), '--', ...args], dir);
    if (!existsSync(trace)) { fail(`record ${engine} ${name}`, `no trace (${r.stderr.trim()})`); continue; }
    recorded[`${engine}/${name}`] = { trace, ...r };
  }
}
for (const [key, rec] of Object.entries(recorded)) {
  const name = key.split('/')[1];
  for (const engine of replayOn) {
    if (!available(engine)) { skipped++; continue; }
    const what = `replay ${key} on ${engine}`;
    // Replay runs somewhere else: nothing of the recording's directory is
    // there, and the guest's files come from the trace.
    const dir = join(scratch, `replay-${key.replace('/', '-')}-${engine}`);
    mkdirSync(dir, { recursive: true });
    const r = run([shadowrr, 'replay', '--runtime', engine, '--module', join(programs, `${name}.wasm`), rec.trace], dir);
    const problems = [];
    if (r.status !== rec.status) problems.push(`exit ${r.status}, recorded ${rec.status}: ${r.stderr.trim().split('\n').pop()}`);
    if (!r.stdout.equals(rec.stdout)) problems.push('stdout differs');
    if (guestStderr(r.stderr) !== guestStderr(rec.stderr)) problems.push(`stderr differs: ${JSON.stringify(r.stderr.slice(0, 200))}`);
    if (problems.length) fail(what, problems.join('; ')); else ok(what);
  }
}

// node 24's binary (engines.sh), looked up once.
let node24Path;
const node24 = () => (node24Path ??= execFileSync('bash', ['-c', `source "${hosts}/engines.sh" && engine_bin node24`])
  .toString().trim());

// ---- divergence, truncation, other builds, embedding ------------------------
// A raw (unpacked) trace of a program, recorded on node with the launcher.
function rawTrace(name, dir, args = [], durable = false, module = join(programs, `${name}.wasm`)) {
  mkdirSync(dir, { recursive: true });
  execFileSync(shadowrr, ['instrument', '--trace-path', 'raw.srr', ...(durable ? ['--durable'] : []),
                          module, '-o', join(dir, `${name}.wasm`)]);
  const node = node24();
  const r = spawnSync(node, [join(hosts, 'wasi-run.mjs'), '--dir', '.', '--hooks', join(hosts, 'recorder-hooks.mjs'),
                             join(dir, `${name}.wasm`), ...args], { cwd: dir, input: stdin });
  return { path: join(dir, 'raw.srr'), status: r.status, stdout: r.stdout };
}
const dumpJson = (trace) => JSON.parse(execFileSync(shadowrr, ['dump', '--json', trace], { maxBuffer: 64 << 20 }).toString());

if (available('node')) {
  // Divergence: the first fd_write's first argument (fd 1) becomes 2.
  {
    const dir = join(scratch, 'divergence');
    const t = rawTrace('exit_code', dir);
    const bytes = readFileSync(t.path);
    const dump = dumpJson(t.path);
    const event = dump.events.find((e) => e.kind === 'import_call' && e.name === 'fd_write');
    // The file prefix (16 bytes, header_length at 12), the header, its CRC.
    const headerSize = 16 + bytes.readUInt32LE(12) + 4;
    // One raw chunk here: the event's bytes start 20 bytes into it.
    const at = headerSize + 20 + event.offset;
    // kind, import index (one byte each here), then fd as uleb (1 byte: 0x01)
    if (bytes[at] !== 1 || bytes[at + 2] !== 1) {
      fail('divergence: edit the trace', `unexpected bytes at ${at}: ${bytes.subarray(at, at + 4).toString('hex')}`);
    } else {
      bytes[at + 2] = 2;
      const rawLength = bytes.readUInt32LE(headerSize + 8);
      bytes.writeUInt32LE(crc32(bytes.subarray(headerSize + 20, headerSize + 20 + rawLength)) >>> 0, headerSize + 16);
      writeFileSync(join(dir, 'edited.srr'), bytes);
      const r = run([shadowrr, 'replay', '--module', join(programs, 'exit_code.wasm'), join(dir, 'edited.srr')], dir);
      const line = r.stderr.split('\n').find((l) => /divergence/.test(l)) || '';
      if (r.status === 101 && line.includes(`event ${event.number}`) && line.includes('fd_write')) ok(`divergence reported: ${line}`);
      else fail('divergence', `exit ${r.status}, stderr ${JSON.stringify(r.stderr)}`);
    }
  }
  // Truncation: a durable recording (a chunk per event) of exit_code, cut in
  // the middle of its last chunk: the replay goes through every whole chunk,
  // the program's output comes back, then the truncation is reported.
  {
    const dir = join(scratch, 'truncated');
    const t = rawTrace('exit_code', dir, [], true);
    const bytes = readFileSync(t.path);
    writeFileSync(join(dir, 'cut.srr'), bytes.subarray(0, bytes.length - 3));
    const r = run([shadowrr, 'replay', '--module', join(programs, 'exit_code.wasm'), join(dir, 'cut.srr')], dir);
    const events = Number((/through all its (\d+) events/.exec(r.stderr) || [])[1]);
    if (r.status === 102 && events > 0 && r.stdout.equals(t.stdout)) ok(`truncated trace: ${r.stderr.trim().split('\n').pop()}`);
    else fail('truncated trace', `exit ${r.status}, stdout ${JSON.stringify(r.stdout.toString())}, stderr ${JSON.stringify(r.stderr)}`);
  }
  // Another build: the -O0 program against the -O2 program's trace.
  {
    const dir = join(scratch, 'other-build');
    const rec = recorded['node/exit_code'];
    if (rec && existsSync(join(programs, 'exit_code.O0.wasm'))) {
      const refused = run([shadowrr, 'replay', '--module', join(programs, 'exit_code.O0.wasm'), rec.trace], scratch);
      if (refused.status === 1 && /another module/.test(refused.stderr)) ok('another build is refused by default');
      else fail('another build refused', `exit ${refused.status}: ${refused.stderr}`);
      mkdirSync(dir, { recursive: true });
      const r = run([shadowrr, 'replay', '--allow-other-module', '--module', join(programs, 'exit_code.O0.wasm'), rec.trace], dir);
      // Either the -O0 build makes exactly the recorded calls (then the run
      // comes back whole) or the first difference is reported.
      if ((r.status === rec.status && r.stdout.equals(rec.stdout)) || (r.status === 101 && /divergence at event \d+/.test(r.stderr))) {
        ok(`-O0 against the -O2 trace: ${r.status === 101 ? r.stderr.trim().split('\n').pop() : 'replays whole'}`);
      } else {
        fail('-O0 against the -O2 trace', `exit ${r.status}: ${r.stderr}`);
      }
    }
  }
  // Embedded, quiet: no imports at all; ends as recorded on a plain engine.
  for (const name of ['exit_code', 'random']) {
    const dir = join(scratch, `embed-${name}`);
    const rec = recorded[`node/${name}`];
    if (!rec) continue;
    mkdirSync(dir, { recursive: true });
    const out = join(dir, `${name}.replay.wasm`);
    execFileSync(shadowrr, ['instrument', '--mode', 'replay', '--trace', rec.trace, '--embed', '--quiet',
                            join(programs, `${name}.wasm`), '-o', out]);
    const module = new WebAssembly.Module(readFileSync(out));
    const imports = WebAssembly.Module.imports(module);
    const instance = new WebAssembly.Instance(module, {});
    let trapped = null;
    try { instance.exports._start(); } catch (e) { trapped = e; }
    const e = instance.exports;
    const status = e.shadowrr_status(), code = e.shadowrr_exit_code();
    const message = replayerMessage(e);
    if (imports.length === 0 && status === 0 && code === rec.status) ok(`embedded ${name}: no imports, ends with ${code}${trapped ? ' (unwound by a trap)' : ''}`);
    else fail(`embedded ${name}`, `imports ${imports.length}, status ${status}, exit code ${code} (recorded ${rec.status}) ${message}`);
  }
  // Lowered to one memory (--single-memory, for node 20), the replayer's
  // message is where shadowrr_message_ptr says in shadowrr_memory, as
  // before: the -O0 build against the -O2 build's trace diverges (embedded,
  // quiet).
  if (recorded['node/exit_code'] && existsSync(join(programs, 'exit_code.O0.wasm'))) {
    const dir = join(scratch, 'embed-single');
    mkdirSync(dir, { recursive: true });
    const diverge = (single) => {
      const out = join(dir, `exit_code.O0${single ? '.single' : ''}.wasm`);
      execFileSync(shadowrr, ['instrument', '--mode', 'replay', '--trace', recorded['node/exit_code'].trace, '--embed', '--quiet',
                              '--allow-other-module', ...(single ? ['--single-memory'] : []), join(programs, 'exit_code.O0.wasm'), '-o', out]);
      const e = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(out)), {}).exports;
      try { e._start(); } catch { /* the replayer traps: no WASI to exit through */ }
      return { status: e.shadowrr_status(), memories: new Set(Object.values(e).filter((x) => x instanceof WebAssembly.Memory)).size,
               message: replayerMessage(e) };
    };
    const [multi, single] = [diverge(false), diverge(true)];
    if (multi.status === 101 && /^shadowrr replay: divergence at event \d+/.test(multi.message) &&
        single.status === 101 && single.message === multi.message && single.memories === 1 && multi.memories === 2) {
      ok(`single memory: the same message through shadowrr_memory: ${single.message}`);
    } else {
      fail('single memory message', `${JSON.stringify(multi)} / ${JSON.stringify(single)}`);
    }
  }
}

// An import-free program: its trace is drained, its replay reads the trace
// file through a WASI it never imported, on every engine.
{
  const dir = join(scratch, 'no_wasi');
  mkdirSync(dir, { recursive: true });
  const plain = join(dir, 'no_wasi.wasm');
  execFileSync(shadowrr, ['instrument', '--mode', 'identity', fileURLToPath(new URL('./no_wasi.wat', import.meta.url)),
                          '-o', plain]);
  for (const engine of ['node', 'bun', 'deno', 'wasmtime']) {
    if (!available(engine)) { skipped++; continue; }
    const trace = join(dir, `${engine}.srr`);
    const r = run([shadowrr, 'record', '--runtime', engine, '-o', trace, plain], dir);
    if (engine === 'wasmtime') {
      // (The launcher's trap line comes first: the run itself trapped.)
      const lines = r.stderr.trim().split('\n').filter((l) => l.startsWith('shadowrr'));
      if (r.status !== 0 && !existsSync(trace) && lines.length === 1 && /cannot drain it/.test(lines[0])) {
        ok('no_wasi: recording on wasmtime is refused in one line');
      } else {
        fail('no_wasi: record on wasmtime', `exit ${r.status}, trace ${existsSync(trace)}: ${r.stderr.trim()}`);
      }
      continue;
    }
    if (r.status !== 134 || !existsSync(trace)) {
      fail(`no_wasi: record on ${engine}`, `exit ${r.status}, trace ${existsSync(trace)}: ${r.stderr.trim()}`);
      continue;
    }
    const grows = JSON.parse(execFileSync(shadowrr, ['dump', '--json', trace])).events
      .filter((e) => e.kind === 'memory_grow').length;
    if (grows !== 2) fail(`no_wasi: trace recorded on ${engine}`, `${grows} memory_grow events, expected 2`);
    for (const on of replayOn) {
      if (!available(on)) { skipped++; continue; }
      const p = run([shadowrr, 'replay', '--runtime', on, '--module', plain, trace], dir);
      // (lowered to one memory, node 20's replay traps by `unreachable`)
      if (p.status === 134 && /out of bounds|unreachable/i.test(p.stderr)) ok(`no_wasi: recorded on ${engine}, replayed on ${on}: the trap again`);
      else fail(`no_wasi: recorded on ${engine}, replayed on ${on}`, `exit ${p.status}: ${p.stderr.trim()}`);
    }
  }
}

// A WASI program with a table the host can write (exported): its recording
// and replay use table.set and the other reference-types instructions,
// which wizer refuses in its main module; wasmtime-run.sh then runs it
// preloaded behind a wrapper. Recorded on node and on Wasmtime, each
// replayed on both.
{
  const dir = join(scratch, 'host_table');
  mkdirSync(dir, { recursive: true });
  const wat = join(dir, 'host_table.wat');
  writeFileSync(wat, `(module
    (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
    (type $v (func (result i32)))
    (table (export "t") 2 funcref)
    (elem (i32.const 0) func $seven)
    (memory (export "memory") 1)
    (func $seven (result i32) (i32.const 7))
    (func (export "_start") (call $exit (call_indirect (type $v) (i32.const 0)))))`);
  const plain = join(dir, 'host_table.wasm');
  execFileSync(shadowrr, ['instrument', '--mode', 'identity', wat, '-o', plain]);
  for (const engine of ['node', 'wasmtime']) {
    if (!available(engine)) { skipped++; continue; }
    const trace = join(dir, `${engine}.srr`);
    const r = run([shadowrr, 'record', '--runtime', engine, '-o', trace, plain], dir);
    if (r.status !== 7 || !existsSync(trace)) {
      fail(`host_table: record on ${engine}`, `exit ${r.status}, trace ${existsSync(trace)}: ${r.stderr.trim()}`);
      continue;
    }
    for (const on of ['node', 'wasmtime']) {
      if (!available(on)) { skipped++; continue; }
      const p = run([shadowrr, 'replay', '--runtime', on, trace], dir);
      if (p.status === 7) ok(`host_table: recorded on ${engine}, replayed on ${on}: exit 7 again`);
      else fail(`host_table: recorded on ${engine}, replayed on ${on}`, `exit ${p.status}: ${p.stderr.trim()}`);
    }
  }
}

// The trace's own preopen (shadowrr record without --dir) is hidden from the
// guest on every engine, in the recording and in its replay.
{
  const dir = join(scratch, 'hidden_preopen');
  mkdirSync(dir, { recursive: true });
  const plain = join(dir, 'hidden_preopen.wasm');
  execFileSync(shadowrr, ['instrument', '--mode', 'identity',
                          fileURLToPath(new URL('./hidden_preopen.wat', import.meta.url)), '-o', plain]);
  for (const engine of ['node', 'bun', 'deno', 'wasmtime']) {
    if (!available(engine)) { skipped++; continue; }
    const trace = join(dir, `${engine}.srr`);
    const r = run([shadowrr, 'record', '--runtime', engine, '-o', trace, plain], dir);
    const p = existsSync(trace) ? run([shadowrr, 'replay', '--runtime', engine, '--module', plain, trace], dir) : null;
    if (r.status === 0 && p && p.status === 0) ok(`hidden_preopen on ${engine}: fd 3 is EBADF recorded and replayed`);
    else fail(`hidden_preopen on ${engine}`, `record exit ${r.status} (${r.stderr.trim()}), replay exit ${p?.status}`);
  }
}

// Passthrough imports: timed.wat recorded on node (its clock read and
// bench.start/bench.end in the trace), replayed with the bench imports
// passed through to the launcher's timer.
if (available('node')) {
  const dir = join(scratch, 'passthrough');
  mkdirSync(dir, { recursive: true });
  const wat = fileURLToPath(new URL('./timed.wat', import.meta.url));
  // (The original beside, not in, dir: rawTrace puts the recording module there.)
  const plain = join(scratch, 'timed.wasm');
  execFileSync(shadowrr, ['instrument', '--mode', 'identity', wat, '-o', plain]);
  const t = rawTrace('timed', dir, [], false, plain);
  const instrument = (out, extra) => execFileSync(shadowrr, ['instrument', '--mode', 'replay', '--trace', 'raw.srr',
                                                             ...extra, plain, '-o', join(dir, out)]);
  const through = ['--passthrough', 'bench.start', '--passthrough', 'bench.end'];
  instrument('through.wasm', through);
  instrument('through.single.wasm', [...through, '--single-memory']); // for node 20
  instrument('answered.wasm', []);
  const guestImports = (file) => WebAssembly.Module.imports(new WebAssembly.Module(readFileSync(join(dir, file))))
    .filter((i) => i.module === 'bench' || i.name === 'clock_time_get').map((i) => `${i.module}.${i.name}`).sort();
  const imports = guestImports('through.wasm');
  if (imports.join() === 'bench.end,bench.start' && guestImports('answered.wasm').length === 0) {
    ok('passthrough: the replay module imports bench.start and bench.end, and no clock');
  } else {
    fail('passthrough imports', `${imports.join()} / ${guestImports('answered.wasm').join()}`);
  }
  if (t.status !== 0 || !/^region \d{6}\n$/.test(t.stdout.toString())) {
    fail('passthrough: record timed.wat', `exit ${t.status}, stdout ${JSON.stringify(t.stdout.toString())}`);
  }
  const times = join(dir, 'times.json');
  const replayTimed = (engine, file) => {
    rmSync(times, { force: true });
    const argv = execFileSync('bash', ['-c', `source "${hosts}/engines.sh" && engine_cmd ${engine === 'node' ? 'node24' : engine}`])
      .toString().trim().split(' ');
    const r = run([...argv, '--dir', '.', '--bench-times', times, join(dir, file)], dir);
    return { ...r, elapsed: existsSync(times) ? JSON.parse(readFileSync(times)).elapsed_ns : undefined };
  };
  for (const engine of replayOn) {
    if (!available(engine)) { skipped++; continue; }
    const r = replayTimed(engine, engine === 'node20' ? 'through.single.wasm' : 'through.wasm');
    if (r.status === 0 && r.stdout.equals(t.stdout) && r.elapsed > 0) {
      ok(`passthrough on ${engine}: ${JSON.stringify(r.stdout.toString())} as recorded, region timed by the host (${r.elapsed} ns)`);
    } else {
      fail(`passthrough on ${engine}`, `exit ${r.status}, stdout ${JSON.stringify(r.stdout.toString())} ` +
           `(recorded ${JSON.stringify(t.stdout.toString())}), elapsed ${r.elapsed}: ${r.stderr.trim()}`);
    }
  }
  const r = replayTimed('node', 'answered.wasm');
  if (r.status === 0 && r.stdout.equals(t.stdout) && r.elapsed === null) ok('without passthrough the host never sees bench.start');
  else fail('without passthrough', `exit ${r.status}, elapsed ${r.elapsed}: ${r.stderr.trim()}`);

  // Nothing compiled inside the region on node, which compiles each
  // function the first time it runs: bench.end's wrapper (recording) and stub
  // (replay) are bench.start's, shared by imports of one signature
  // (shared_wrappers.cpp), compiled before the region.
  const node = node24();
  const marks = fileURLToPath(new URL('../lib/bench_marks.mjs', import.meta.url));
  const markedDir = join(dir, 'marked');
  mkdirSync(markedDir, { recursive: true });
  const recording = join(markedDir, 'timed.rec.wasm');
  execFileSync(shadowrr, ['instrument', '--mode', 'record', '--pure-import', 'bench.start', '--pure-import', 'bench.end',
                          plain, '-o', recording]);
  for (const [what, file, cwd] of [['recording', recording, markedDir], ['replay', join(dir, 'through.wasm'), dir]]) {
    const m = run([node, '--trace-wasm-compilation-times', marks, hosts, file], cwd);
    const out = m.stdout.toString();
    const region = out.slice(out.indexOf('bench.start\n'), out.indexOf('bench.end\n'));
    const compiled = region.split('\n').filter((line) => /^Compiled function .* using Liftoff/.test(line));
    if (m.status === 0 && region.startsWith('bench.start') && compiled.length === 0) {
      ok(`passthrough, ${what} on node: nothing compiled between bench.start and bench.end`);
    } else {
      fail(`passthrough, ${what} on node: compiled inside the region`,
           `exit ${m.status}: ${compiled.join('; ') || 'no bench.start'} ${m.stderr.trim()}`);
    }
  }
}

console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed ? 1 : passed ? 0 : 77);
