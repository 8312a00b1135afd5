// `shadowrr instrument --mode MODE` on every sightglass module: the result
// must validate (wabt's wasm-validate, independent of binaryen) and, run
// under node 24 the way sightglass runs it (working directory = the
// benchmark's folder, preopened as "."), produce the same exit code, stdout
// and stderr as the original module, which must match sightglass's expected
// output files where they exist. In record mode the run must also leave a
// complete trace (`shadowrr info` says so; the benchmark folders are
// read-only, so the trace goes to an absolute path in a second preopen), and
// `shadowrr replay` of that trace on node 24, node 20 (the replay module
// lowered to one memory), bun, deno and Wasmtime (engines in
// SHADOWRR_REPLAY_ENGINES, comma-separated, to change that) must give back
// the recording's exit code, stdout and stderr byte for byte, run from an
// empty directory (the inputs come from the trace).
//
//   node sightglass_transform.mjs identity|record SHADOWRR_BINARY HOSTS_DIR SCRATCH_DIR
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { run, pool, finish, requireCorpora, sightglassModules } from './corpus.mjs';

const [mode, shadowrr, hosts, scratch] = process.argv.slice(2);
const corpora = requireCorpora(`${mode} on sightglass`);
const node = process.env.SHADOWRR_NODE || process.execPath;
const replayEngines = (process.env.SHADOWRR_REPLAY_ENGINES || 'node,node20,bun,deno,wasmtime').split(',').filter((e) => e);
mkdirSync(scratch, { recursive: true });

async function runBench(m, wasm, tag, extra = []) {
  const stdout = join(scratch, `${m.bench}-${m.name}.${tag}.stdout`);
  const stderr = join(scratch, `${m.bench}-${m.name}.${tag}.stderr`);
  const r = await run(node, [join(hosts, 'wasi-run.mjs'), '--dir', '.', ...extra, '--stdout', stdout, '--stderr', stderr, wasm],
                      { cwd: m.dir, timeout: 600_000 });
  return { status: r.status, signal: r.signal, host: r.stderr.toString(),
           stdout: existsSync(stdout) ? readFileSync(stdout) : Buffer.alloc(0),
           stderr: existsSync(stderr) ? readFileSync(stderr) : Buffer.alloc(0) };
}

function expectedFile(m, stream) {
  for (const f of [`${m.name}.${stream}.expected`, `default.${stream}.expected`]) {
    if (existsSync(join(m.dir, f))) return readFileSync(join(m.dir, f));
  }
  return null;
}

let passed = 0, failed = 0;
const fail = (m, why) => { failed++; console.log(`FAIL ${m.bench}/${m.name}: ${why}`); };
await pool(sightglassModules(corpora), 2, async (m) => {
  const out = join(scratch, `${m.bench}-${m.name}.${mode}.wasm`);
  // The trace: in a folder of its own, preopened under a guest path the
  // benchmark never looks at.
  const traceDir = join(scratch, `${m.bench}-${m.name}.trace`);
  const trace = join(traceDir, 'run.srr');
  const args = mode === 'record' ? ['--trace-path', '/shadowrr-trace/run.srr'] : [];
  const inst = await run(shadowrr, ['instrument', '--mode', mode, ...args, m.path, '-o', out]);
  if (inst.status !== 0) return fail(m, `instrument: ${inst.stderr}`.trim());
  const val = await run('wasm-validate', ['--enable-all', out]);
  if (val.status !== 0) return fail(m, `wasm-validate: ${val.stderr}`.trim());
  mkdirSync(traceDir, { recursive: true });
  const extra = mode === 'record'
    ? ['--dir', `${traceDir}::/shadowrr-trace`, '--hooks', join(hosts, 'recorder-hooks.mjs')] : [];
  const [plain, ident] = [await runBench(m, m.path, 'plain'), await runBench(m, out, mode, extra)];
  // Sightglass's expected files are compared as sightglass does, up to
  // trailing white space. A module that fails as shipped (hex-simd's input
  // file is not in the corpus) has no expected output; it must still fail the
  // same way after the transform.
  let note = '';
  if (plain.status !== 0) note = ` (fails as shipped: exit ${plain.status ?? plain.signal})`;
  for (const stream of ['stdout', 'stderr']) {
    const want = expectedFile(m, stream);
    if (plain.status === 0 && want && plain[stream].toString().trimEnd() !== want.toString().trimEnd()) {
      return fail(m, `plain ${stream} differs from sightglass's expected file`);
    }
  }
  if (ident.status !== plain.status) return fail(m, `${mode} exited ${ident.status ?? ident.signal}, plain ${plain.status}: ${ident.host}`.trim());
  if (!ident.stdout.equals(plain.stdout)) return fail(m, 'stdout differs');
  if (!ident.stderr.equals(plain.stderr)) return fail(m, 'stderr differs');
  if (mode === 'record') {
    const info = await run(shadowrr, ['info', trace]);
    const text = info.stdout.toString();
    if (info.status !== 0 || !/status:\s+complete/.test(text)) return fail(m, `trace not complete: ${text}${info.stderr}`.trim());
    const events = /events:\s+(\d+)/.exec(text);
    note += ` (${events ? events[1] : '?'} events)`;
    rmSync(out);
    for (const engine of replayEngines) {
      const where = join(scratch, `${m.bench}-${m.name}.replay-${engine}`);
      mkdirSync(where, { recursive: true });
      const r = await run(shadowrr, ['replay', '--runtime', engine, '--module', m.path, trace], { cwd: where, timeout: 600_000 });
      const guestErr = (b) => b.toString().split('\n').filter((l) => !/^(wasi-run|wasmtime-run): trap:/.test(l)).join('\n');
      if (r.status !== ident.status) return fail(m, `replay on ${engine} exited ${r.status ?? r.signal}, recorded ${ident.status}: ${r.stderr}`.trim());
      if (!r.stdout.equals(ident.stdout)) return fail(m, `replay on ${engine}: stdout differs`);
      if (guestErr(r.stderr) !== guestErr(ident.stderr)) return fail(m, `replay on ${engine}: stderr differs: ${r.stderr.slice(0, 300)}`);
      rmSync(where, { recursive: true, force: true });
    }
    note += ` replayed on ${replayEngines.join(', ')}`;
  }
  passed++;
  console.log(`ok   ${m.bench}/${m.name}${note}`);
});
finish(passed, failed);
