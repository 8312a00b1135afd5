// WASI edge cases of record and replay that wasi-testsuite does not reach,
// as small WAT programs (compiled here with wat2wasm), each recorded with
// `shadowrr record` on node 24, bun and Wasmtime and replayed on all three:
// the replay's exit code, stdout and stderr must be the recording's, and the
// recording must have done what the program does (checked per case).
//
//  unread_output  random bytes and stdin written out by fd_write without the
//                 guest ever loading them, and fd_write's nwritten never
//                 loaded: the recorder must put those bytes (and nwritten)
//                 in the trace at the call, or the replay's passthrough
//                 prints stale memory;
//  onto_stdout    a file renumbered onto fd 1 and written to: the bytes go
//                 to the file, and the replay must not print them;
//  stdout_moved   fd 1 renumbered onto a file's fd and written to there:
//                 that is stdout, and the replay must print it;
//  copy_to_file   stdin copied to a file unseen: fd_read's buffer is
//                 reconciled when it returns, so exactly the stdin bytes go
//                 into the trace, at the buffer;
//  close_preopen  the guest closes the preopen the trace goes into, then
//                 goes on: the trace must still be written, whole.
//
// An engine whose plain run of a case already fails its check (its own WASI
// gap) is skipped for that case.
//
//   node wasi_output_edges.mjs SHADOWRR HOSTS_DIR SCRATCH [--engines node,bun,wasmtime]
// Final line `N passed, N failed, N skipped`; exit 0, 1, or 77 (no wat2wasm
// or no engine).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const SKIP = 77;
const [shadowrrArg, hostsArg, scratchArg, ...rest] = process.argv.slice(2);
if (!shadowrrArg || !hostsArg || !scratchArg) {
  console.log('usage: wasi_output_edges.mjs SHADOWRR HOSTS_DIR SCRATCH [--engines E,...]');
  process.exit(2);
}
const [shadowrr, hosts, scratch] = [shadowrrArg, hostsArg, scratchArg].map((p) => resolve(p));
let engines = ['node', 'bun', 'wasmtime'];
for (let i = 0; i < rest.length; i++) if (rest[i] === '--engines') engines = rest[++i].split(',');

// The plain engine command, from engines.sh (the launchers record uses).
function engineArgv(engine) {
  const name = engine === 'node' ? 'node24' : engine;
  const r = spawnSync('bash', ['-c', `source "${hosts}/engines.sh" && engine_available ${name} && engine_argv ${name} && printf '%s\\0' "\${ENGINE_ARGV[@]}"`]);
  return r.status === 0 ? r.stdout.toString().split('\0').filter((x) => x.length) : null;
}
const argvOf = Object.fromEntries(engines.map((e) => [e, engineArgv(e)]));
const live = engines.filter((e) => argvOf[e]);
if (!live.length) {
  console.log('SKIP: no engine installed (run scripts/bootstrap.sh)');
  process.exit(SKIP);
}
if (spawnSync('wat2wasm', ['--version']).status !== 0) {
  console.log('SKIP: wat2wasm (wabt) not found');
  process.exit(SKIP);
}

const imports = `
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "random_get" (func $random_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_open" (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_renumber" (func $fd_renumber (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_close" (func $fd_close (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  ;; write(fd, ptr, len): one iovec at 16, nwritten at 8 (never loaded)
  (func $write (param $fd i32) (param $ptr i32) (param $len i32)
    (i32.store (i32.const 16) (local.get $ptr))
    (i32.store (i32.const 20) (local.get $len))
    (drop (call $fd_write (local.get $fd) (i32.const 16) (i32.const 1) (i32.const 8))))
  ;; out.txt in the preopen (fd 3), created, for writing; the fd, or exit 9
  (data (i32.const 100) "out.txt")
  (func $open_out (result i32)
    (if (call $path_open (i32.const 3) (i32.const 0) (i32.const 100) (i32.const 7) (i32.const 9)
                         (i64.const 64) (i64.const 0) (i32.const 0) (i32.const 32))
      (then (call $proc_exit (i32.const 9))))
    (i32.load (i32.const 32)))`;

const cases = [
  {
    name: 'unread_output',
    wat: `(module ${imports}
      (func (export "_start")
        ;; 32 random bytes at 1024, straight to stdout
        (drop (call $random_get (i32.const 1024) (i32.const 32)))
        (call $write (i32.const 1) (i32.const 1024) (i32.const 32))
        ;; stdin (up to 4096 bytes at 4096) straight to stderr
        (i32.store (i32.const 16) (i32.const 4096))
        (i32.store (i32.const 20) (i32.const 4096))
        (drop (call $fd_read (i32.const 0) (i32.const 16) (i32.const 1) (i32.const 12)))
        (call $write (i32.const 2) (i32.const 4096) (i32.load (i32.const 12)))))`,
    check: (r) => (r.stdout.length === 32 ? [] : [`recorded stdout has ${r.stdout.length} bytes, not 32`])
      .concat(r.stderr.toString() === stdinText ? [] : [`recorded stderr ${JSON.stringify(r.stderr.toString())} is not stdin`]),
  },
  {
    name: 'onto_stdout',
    wat: `(module ${imports}
      (data (i32.const 200) "to stdout\\n")
      (data (i32.const 300) "to the file\\n")
      (func (export "_start")
        (call $write (i32.const 1) (i32.const 200) (i32.const 10))
        (if (call $fd_renumber (call $open_out) (i32.const 1)) (then (call $proc_exit (i32.const 8))))
        (call $write (i32.const 1) (i32.const 300) (i32.const 12))))`,
    check: (r, dir) => (r.stdout.toString() === 'to stdout\n' ? [] : [`recorded stdout ${JSON.stringify(r.stdout.toString())}`])
      .concat(fileText(dir) === 'to the file\n' ? [] : [`out.txt holds ${JSON.stringify(fileText(dir))}`]),
  },
  {
    name: 'stdout_moved',
    wat: `(module ${imports}
      (data (i32.const 200) "to stdout\\n")
      (data (i32.const 300) "still stdout\\n")
      (func (export "_start") (local $fd i32)
        (call $write (i32.const 1) (i32.const 200) (i32.const 10))
        (local.set $fd (call $open_out))
        (if (call $fd_renumber (i32.const 1) (local.get $fd)) (then (call $proc_exit (i32.const 8))))
        (call $write (local.get $fd) (i32.const 300) (i32.const 13))))`,
    check: (r) => (r.stdout.toString() === 'to stdout\nstill stdout\n' ? [] : [`recorded stdout ${JSON.stringify(r.stdout.toString())}`]),
  },
  {
    name: 'copy_to_file',
    wat: `(module ${imports}
      (func (export "_start") (local $fd i32)
        (local.set $fd (call $open_out))
        ;; stdin (up to 4096 bytes at 4096) straight to out.txt
        (i32.store (i32.const 16) (i32.const 4096))
        (i32.store (i32.const 20) (i32.const 4096))
        (drop (call $fd_read (i32.const 0) (i32.const 16) (i32.const 1) (i32.const 12)))
        (call $write (local.get $fd) (i32.const 4096) (i32.load (i32.const 12)))))`,
    check: (r, dir) => (fileText(dir) === stdinText ? [] : [`out.txt holds ${JSON.stringify(fileText(dir))}`]),
    // fd_read says exactly what it wrote: its buffer is reconciled when it
    // returns (transform/wasi_writes.h), as rr records a read's data, so the
    // stdin bytes are in the trace at the buffer even though the guest never
    // loads them; nothing else of the file's bytes is.
    checkTrace: (events) => {
      const writes = events.filter((e) => e.kind === 'memory_write');
      const atBuffer = writes.filter((e) => e.address === 4096);
      const bytes = atBuffer.map((e) => Buffer.from(e.bytes, 'hex').toString('latin1')).join('');
      const other = writes.filter((e) => e.address !== 4096 && (e.address < 4096 || e.address >= 4096 + stdinText.length));
      const problems = [];
      if (bytes !== stdinText) problems.push(`fd_read's buffer in the trace holds ${JSON.stringify(bytes)}, not the stdin bytes`);
      if (other.some((e) => e.length > 8)) problems.push(`the trace holds other host writes: ${other.map((e) => `${e.address}+${e.length}`)}`);
      return problems;
    },
  },
  {
    name: 'close_preopen',
    wat: `(module ${imports}
      (func (export "_start")
        (if (call $fd_close (i32.const 3)) (then (call $proc_exit (i32.const 8))))
        (drop (call $random_get (i32.const 1024) (i32.const 16)))
        (call $write (i32.const 1) (i32.const 1024) (i32.const 16))
        (call $proc_exit (i32.const 5))))`,
    status: 5,
    check: (r) => (r.stdout.length === 16 ? [] : [`recorded stdout has ${r.stdout.length} bytes, not 16`]),
  },
];

const stdinText = 'a line from stdin\nand another\n';
const fileText = (dir) => (existsSync(join(dir, 'd', 'out.txt')) ? readFileSync(join(dir, 'd', 'out.txt'), 'utf8') : null);

rmSync(scratch, { recursive: true, force: true });
mkdirSync(scratch, { recursive: true });

function run(argv, cwd, input = '') {
  const r = spawnSync(argv[0], argv.slice(1), { cwd, input, maxBuffer: 16 << 20, timeout: 120_000, killSignal: 'SIGKILL' });
  if (r.error && r.error.code !== 'ETIMEDOUT') throw new Error(`${argv[0]}: ${r.error.message}`);
  return { status: r.status ?? `signal ${r.signal}`, stdout: r.stdout, stderr: r.stderr };
}
const guestStderr = (b) => b.toString('latin1').split('\n')
  .filter((l) => !/^(wasi-run|wasmtime-run): trap:/.test(l)).join('\n');
const show = (b) => JSON.stringify(b.toString('latin1').slice(0, 120));

let passed = 0, failed = 0, skipped = 0;
const report = (what, problems) => {
  if (problems.length) { failed++; console.log(`FAIL ${what}: ${problems.join('; ')}`); }
  else { passed++; console.log(`ok   ${what}`); }
};

for (const c of cases) {
  const wat = join(scratch, `${c.name}.wat`), wasm = join(scratch, `${c.name}.wasm`);
  writeFileSync(wat, c.wat);
  const w = run(['wat2wasm', wat, '-o', wasm], scratch);
  if (w.status !== 0) { report(`${c.name}: wat2wasm`, [w.stderr.toString().trim()]); skipped += live.length * (1 + live.length); continue; }
  for (const e of engines) {
    if (!live.includes(e)) { skipped += 1 + live.length; console.log(`SKIP ${c.name} on ${e}: not installed`); continue; }
    // The program alone first: where the engine's own WASI does not do what
    // the program expects (bun's fd_renumber), that engine is skipped.
    const pdir = join(scratch, `${c.name}-${e}-plain`);
    mkdirSync(join(pdir, 'd'), { recursive: true });
    const plain = run([...argvOf[e], '--dir', `${join(pdir, 'd')}::.`, wasm], pdir, stdinText);
    const plainProblems = plain.status !== (c.status ?? 0) ? [`exit ${plain.status}: ${show(plain.stderr)}`] : c.check(plain, pdir);
    if (plainProblems.length) {
      skipped += 1 + live.length;
      console.log(`SKIP ${c.name} on ${e}: the program alone fails there: ${plainProblems.join('; ')}`);
      continue;
    }
    const dir = join(scratch, `${c.name}-${e}`);
    mkdirSync(join(dir, 'd'), { recursive: true });
    const trace = join(dir, 'trace.srr');
    const rec = run([shadowrr, 'record', '--runtime', e, '--dir', `${join(dir, 'd')}::.`, '-o', trace, wasm], dir, stdinText);
    const problems = [];
    if (rec.status !== (c.status ?? 0)) problems.push(`exit ${rec.status}, expected ${c.status ?? 0}: ${show(rec.stderr)}`);
    if (!existsSync(trace)) problems.push('no trace');
    else {
      problems.push(...c.check(rec, dir));
      if (c.checkTrace) {
        const d = spawnSync(shadowrr, ['dump', '--json', trace], { maxBuffer: 64 << 20 });
        problems.push(...(d.status === 0 ? c.checkTrace(JSON.parse(d.stdout.toString()).events) : [`dump: ${d.stderr}`]));
      }
    }
    report(`${c.name}: record on ${e}`, problems);
    if (!existsSync(trace)) { skipped += live.length; continue; }
    for (const e2 of live) {
      const ydir = join(dir, `replay-${e2}`);
      mkdirSync(ydir, { recursive: true });
      const rep = run([shadowrr, 'replay', '--runtime', e2, '--module', wasm, trace], ydir);
      const p = [];
      if (rep.status !== rec.status) p.push(`exit ${rep.status}, recorded ${rec.status}: ${show(rep.stderr)}`);
      if (!rep.stdout.equals(rec.stdout)) p.push(`stdout ${show(rep.stdout)}, recorded ${show(rec.stdout)}`);
      if (guestStderr(rep.stderr) !== guestStderr(rec.stderr)) p.push(`stderr ${show(rep.stderr)}, recorded ${show(rec.stderr)}`);
      report(`${c.name}: replay of the ${e} recording on ${e2}`, p);
    }
  }
}

console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed ? 1 : passed ? 0 : SKIP);
