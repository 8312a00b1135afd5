// SHADOWRR_TRACE: the trace path given at run time through the environment
// (recorder_abi.h, "The trace path at run time"), on node 24 with
// wasi-run.mjs. Checks that
//  - the trace goes to the path SHADOWRR_TRACE names (relative to the preopen
//    ".", in a subdirectory, or absolute within a preopen), not to the path
//    given at instrument time;
//  - the guest never sees the variable, wherever it is among the others:
//    args_env prints exactly what the uninstrumented module prints with the
//    other variables only, and the trace's events are exactly those of a
//    recorded run without SHADOWRR_TRACE (what the guest saw), with
//    environ_sizes_get's results as the guest saw them (count 2, 8 bytes);
//  - without SHADOWRR_TRACE nothing changes;
//  - a program that never reads its environment is redirected too;
//  - a value too long for a path (over 4096 bytes) is hidden all the same,
//    and the launcher reports the trace as not written (ENAMETOOLONG).
//
//   node trace_override.mjs SHADOWRR PROGRAMS_DIR HOSTS_DIR SCRATCH
//
// The engine is the node running this script. Prints one line per case and
// finally "N passed, N failed".
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { join, resolve } from 'node:path';

const [shadowrr, programs, hosts, scratch] = process.argv.slice(2).map((a) => resolve(a));
if (!scratch) {
  console.error('usage: node trace_override.mjs SHADOWRR PROGRAMS_DIR HOSTS_DIR SCRATCH');
  process.exit(2);
}
const node = process.execPath;
const runner = join(hosts, 'wasi-run.mjs');
const hooks = join(hosts, 'recorder-hooks.mjs');
rmSync(scratch, { recursive: true, force: true });
mkdirSync(scratch, { recursive: true });

function run(cmd, args, cwd) {
  const r = spawnSync(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20, timeout: 300_000 });
  return { status: r.status ?? 128, stdout: r.stdout ?? Buffer.alloc(0), stderr: (r.stderr ?? '').toString() };
}

// The last line of a run's stderr, for messages.
function lastLine(text) {
  return text.trim().split('\n').pop();
}

function instrument(program, out) {
  const r = run(shadowrr, ['instrument', '--trace-path', 'default.srr', join(programs, `${program}.wasm`), '-o', out]);
  if (r.status !== 0) throw new Error(`instrument ${program}: ${lastLine(r.stderr)}`);
}

// Runs `wasm` under node in a fresh directory `dir` (preopened as "."), with
// the given --env pairs and extra options.
function wasiRun(dir, wasm, env, extra = []) {
  mkdirSync(dir, { recursive: true });
  return run(node, [runner, '--hooks', hooks, '--dir', '.', ...extra, ...env.flatMap((e) => ['--env', e]), wasm, 'x'], dir);
}

function dump(trace) {
  const r = spawnSync(shadowrr, ['dump', '--json', trace], { maxBuffer: 256 << 20 });
  if (r.status !== 0) throw new Error(`dump ${trace}: exit ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout.toString());
}

// The bytes [address, address+size) at argument `ptrArg` of the first call
// of `name`, as the host's writes found after it left them (bytes not
// written: 0, which args_env's counters were). A write is found when the
// guest first reads the bytes, possibly after later calls: writes count until
// a later call is handed the same pointer.
function resultAfter(events, name, ptrArg, size) {
  const at = events.findIndex((e) => e.kind === 'import_call' && e.name === name);
  if (at < 0) return null;
  const address = Number(events[at].values[ptrArg].value);
  const writes = [];
  for (const e of events.slice(at + 1)) {
    if (e.kind === 'import_call' && e.values.some((v) => Number(v.value) === address)) break;
    if (e.kind === 'memory_write') writes.push(e);
  }
  const buf = Buffer.alloc(size);
  for (const w of writes) {
    const bytes = Buffer.from(w.bytes, 'hex');
    for (let i = 0; i < bytes.length; i++) {
      const at = w.address + i - address;
      if (at >= 0 && at < size) buf[at] = bytes[i];
    }
  }
  return buf;
}

const hostWrites = (events) =>
  Buffer.concat(events.filter((e) => e.kind === 'memory_write').map((e) => Buffer.from(e.bytes, 'hex')));

let passed = 0, failed = 0;
function report(name, problems) {
  if (problems.length) {
    failed++;
    console.log(`FAIL ${name}: ${problems.join('; ')}`);
  } else {
    passed++;
    console.log(`ok   ${name}`);
  }
}

// Files left in a run directory, but the module.
const leftFiles = (dir) => readdirSync(dir).filter((f) => !f.endsWith('.wasm')).sort();

const app = join(scratch, 'args_env.rec.wasm');
instrument('args_env', app);
const plainWasm = join(programs, 'args_env.wasm');
// argv[0] is the module's basename: the plain module runs under the same name.
const plainCopy = join(scratch, 'plain', 'args_env.rec.wasm');
mkdirSync(join(scratch, 'plain'), { recursive: true });
run('cp', [plainWasm, plainCopy]);

// The references: the uninstrumented module with A and B only, and a recorded
// run with A and B only.
const plain = wasiRun(join(scratch, 'plain'), plainCopy, ['A=1', 'B=2']);
const base = wasiRun(join(scratch, 'base'), app, ['A=1', 'B=2']);
let baseEvents = null;
{
  const problems = [];
  if (plain.status !== 0) problems.push(`plain run exited ${plain.status}: ${lastLine(plain.stderr)}`);
  if (!plain.stdout.toString().includes('envc 2\nenv "A=1"\nenv "B=2"\n')) problems.push(`plain run printed ${JSON.stringify(plain.stdout.toString())}`);
  if (base.status !== 0) problems.push(`recorded run exited ${base.status}: ${lastLine(base.stderr)}`);
  if (!base.stdout.equals(plain.stdout)) problems.push('recorded run without SHADOWRR_TRACE: stdout differs from the plain run');
  const files = leftFiles(join(scratch, 'base'));
  if (!isDeepStrictEqual(files, ['default.srr'])) problems.push(`files after the run: ${files.join(', ')} (expected default.srr)`);
  else {
    const t = dump(join(scratch, 'base', 'default.srr'));
    baseEvents = t.events;
    if (!t.complete || baseEvents[baseEvents.length - 1].kind !== 'end') problems.push('trace not complete');
  }
  report('without SHADOWRR_TRACE: trace at the instrument-time path, output as the plain run', problems);
}

// The plain module does see SHADOWRR_TRACE (the host passes it on).
{
  const r = wasiRun(join(scratch, 'plain-sees'), plainCopy, ['A=1', 'SHADOWRR_TRACE=other.srr', 'B=2']);
  report('the host passes SHADOWRR_TRACE to an uninstrumented module',
         r.stdout.toString().includes('env "SHADOWRR_TRACE=other.srr"') ? [] : ['not in its output']);
}

// Checks a recorded run whose trace should be at dir/expect (relative to the
// run directory, or absolute), with no other file left in dir.
function checkRedirected(dir, r, expectPath, extraOk, reference, referenceEvents) {
  const problems = [];
  if (r.status !== 0) problems.push(`exited ${r.status}: ${lastLine(r.stderr)}`);
  if (r.stderr.length) problems.push(`stderr: ${lastLine(r.stderr)}`);
  if (!r.stdout.equals(reference.stdout)) {
    problems.push(`stdout differs from the plain run: ${JSON.stringify(r.stdout.toString())}`);
  }
  if (existsSync(join(dir, 'default.srr'))) problems.push('a trace at the instrument-time path');
  const files = leftFiles(dir).filter((f) => !extraOk.includes(f));
  if (files.length) problems.push(`unexpected files: ${files.join(', ')}`);
  if (!existsSync(expectPath)) {
    problems.push(`no trace at ${expectPath}`);
    return problems;
  }
  const t = dump(expectPath);
  const ev = t.events;
  if (!t.complete || ev[ev.length - 1].kind !== 'end') problems.push('trace not complete');
  if (hostWrites(ev).includes('SHADOWRR_TRACE')) problems.push('SHADOWRR_TRACE is in the host writes the guest read');
  if (referenceEvents && !isDeepStrictEqual(ev, referenceEvents)) {
    const i = ev.findIndex((e, k) => !isDeepStrictEqual(e, referenceEvents[k]));
    problems.push(`events differ from the run without SHADOWRR_TRACE, first at #${i}: ${JSON.stringify(ev[i])} vs ${JSON.stringify(referenceEvents[i])}`);
  }
  return { problems, events: ev };
}

function environChecks(events, count, size) {
  const problems = [];
  const c = resultAfter(events, 'environ_sizes_get', 0, 4);
  const s = resultAfter(events, 'environ_sizes_get', 1, 4);
  if (!c) return ['no environ_sizes_get call in the trace'];
  if (c.readUInt32LE(0) !== count) problems.push(`environ_sizes_get count ${c.readUInt32LE(0)} in the trace, expected ${count}`);
  if (s.readUInt32LE(0) !== size) problems.push(`environ_sizes_get size ${s.readUInt32LE(0)} in the trace, expected ${size}`);
  return problems;
}

// SHADOWRR_TRACE first, in the middle, last.
const orders = {
  first: ['SHADOWRR_TRACE=other.srr', 'A=1', 'B=2'],
  middle: ['A=1', 'SHADOWRR_TRACE=other.srr', 'B=2'],
  last: ['A=1', 'B=2', 'SHADOWRR_TRACE=other.srr'],
};
for (const [where, env] of Object.entries(orders)) {
  const dir = join(scratch, `order-${where}`);
  const r = wasiRun(dir, app, env);
  const out = checkRedirected(dir, r, join(dir, 'other.srr'), ['other.srr'], plain, baseEvents);
  const problems = Array.isArray(out) ? out : [...out.problems, ...environChecks(out.events, 2, 8)];
  report(`SHADOWRR_TRACE ${where}: trace at other.srr, guest sees A and B only, trace as without it`, problems);
}

// Only SHADOWRR_TRACE: the guest sees an empty environment.
{
  const empty = wasiRun(join(scratch, 'plain-empty'), plainCopy, []);
  const emptyRec = wasiRun(join(scratch, 'base-empty'), app, []);
  const emptyEvents = existsSync(join(scratch, 'base-empty', 'default.srr')) ? dump(join(scratch, 'base-empty', 'default.srr')).events : null;
  const dir = join(scratch, 'only');
  const r = wasiRun(dir, app, ['SHADOWRR_TRACE=other.srr']);
  const out = checkRedirected(dir, r, join(dir, 'other.srr'), ['other.srr'], empty, emptyEvents);
  const problems = Array.isArray(out) ? out : out.problems;
  if (!empty.stdout.toString().includes('envc 0\n')) problems.push('plain run without environment: unexpected output');
  if (!emptyRec.stdout.equals(empty.stdout)) problems.push('recorded run without environment: stdout differs');
  report('SHADOWRR_TRACE alone: the guest sees an empty environment', problems);
}

// A path in a subdirectory, and an absolute path within a second preopen.
{
  const dir = join(scratch, 'subdir');
  mkdirSync(join(dir, 'traces'), { recursive: true });
  const r = wasiRun(dir, app, ['A=1', 'SHADOWRR_TRACE=traces/t.srr', 'B=2']);
  const out = checkRedirected(dir, r, join(dir, 'traces', 't.srr'), ['traces'], plain, baseEvents);
  report('SHADOWRR_TRACE=traces/t.srr: relative to the preopen "."', Array.isArray(out) ? out : out.problems);
}
{
  const dir = join(scratch, 'absolute');
  const outDir = join(scratch, 'absolute-out');
  mkdirSync(outDir, { recursive: true });
  const r = wasiRun(dir, app, ['A=1', 'B=2', 'SHADOWRR_TRACE=/out/abs.srr'], ['--dir', `${outDir}::/out`]);
  const out = checkRedirected(dir, r, join(outDir, 'abs.srr'), [], plain, baseEvents);
  report('SHADOWRR_TRACE=/out/abs.srr: absolute, within the preopen /out', Array.isArray(out) ? out : out.problems);
}

// A program that never reads its environment: redirected by the recorder's
// own environ calls at the first flush.
{
  const prog = join(scratch, 'exit_code.rec.wasm');
  instrument('exit_code', prog);
  const dir = join(scratch, 'no-env-reader');
  const r = wasiRun(dir, prog, ['SHADOWRR_TRACE=elsewhere.srr']);
  const problems = [];
  if (r.status !== 3) problems.push(`exited ${r.status}, expected 3: ${lastLine(r.stderr)}`);
  const files = leftFiles(dir);
  if (!isDeepStrictEqual(files, ['elsewhere.srr'])) problems.push(`files after the run: ${files.join(', ') || 'none'}`);
  else {
    const t = dump(join(dir, 'elsewhere.srr'));
    const last = t.events[t.events.length - 1];
    if (!t.complete || last.kind !== 'end') problems.push('trace not complete');
    if (t.events.some((e) => e.kind === 'import_call' && e.name.startsWith('environ'))) problems.push('environ calls recorded as guest calls');
  }
  report('a program that never reads its environment (exit_code): trace at elsewhere.srr', problems);
}

// A value too long for a path: still hidden; no trace; the launcher says so.
{
  const dir = join(scratch, 'too-long');
  const r = wasiRun(dir, app, ['A=1', `SHADOWRR_TRACE=${'d/'.repeat(2100)}t.srr`, 'B=2']);
  const problems = [];
  if (r.status !== 0) problems.push(`exited ${r.status}`);
  if (!r.stdout.equals(plain.stdout)) problems.push('stdout differs from the plain run');
  const files = leftFiles(dir);
  if (files.length) problems.push(`files after the run: ${files.join(', ')}`);
  if (!/WASI errno 37/.test(r.stderr)) problems.push(`the launcher did not report ENAMETOOLONG: ${JSON.stringify(r.stderr)}`);
  report('SHADOWRR_TRACE longer than 4096 bytes: hidden, trace fails with ENAMETOOLONG', problems);
}

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
