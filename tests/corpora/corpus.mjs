// Shared by the corpus-driven tests: where ../shared/corpora is, which modules
// in it are valid or malformed, and a small process pool.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { spawn } from 'node:child_process';

// Exit code CTest reads as "skipped" (SKIP_RETURN_CODE in tests/CMakeLists.txt).
export const SKIP = 77;

export function corporaDir() {
  const dir = process.env.SHADOWRR_CORPORA || resolve(import.meta.dirname, '../../../shared/corpora');
  return existsSync(join(dir, 'README.md')) ? dir : null;
}

export function requireCorpora(what) {
  const dir = corporaDir();
  if (!dir) {
    console.log(`SKIP: ${what}: ../shared/corpora is absent (set SHADOWRR_CORPORA to its path)`);
    process.exit(SKIP);
  }
  return dir;
}

// Every .wasm that a spec-2022 script loads, with its role: "valid" for
// module/assert_unlinkable/assert_uninstantiable (well-formed and valid),
// "invalid" for assert_invalid, "malformed" for binary assert_malformed.
export function specModules(corpora) {
  const root = join(corpora, 'spec-2022', 'json');
  const out = [];
  for (const name of readdirSync(root).sort()) {
    const script = join(root, name, `${name}.json`);
    if (!existsSync(script)) continue;
    for (const cmd of JSON.parse(readFileSync(script, 'utf8')).commands) {
      if (!cmd.filename || !cmd.filename.endsWith('.wasm')) continue;
      let role = null;
      if (cmd.type === 'module' || cmd.type === 'assert_unlinkable' || cmd.type === 'assert_uninstantiable') role = 'valid';
      else if (cmd.type === 'assert_invalid') role = 'invalid';
      else if (cmd.type === 'assert_malformed') role = 'malformed';
      if (role) out.push({ path: join(root, name, cmd.filename), role, suite: name });
    }
  }
  return out;
}

// Every sightglass benchmark module.
export function sightglassModules(corpora) {
  const root = join(corpora, 'sightglass');
  const out = [];
  for (const bench of readdirSync(root).sort()) {
    const dir = join(root, bench);
    if (!statSync(dir).isDirectory()) continue;
    for (const f of readdirSync(dir).sort()) {
      if (f.endsWith('.wasm')) out.push({ path: join(dir, f), dir, bench, name: f.replace(/\.wasm$/, '') });
    }
  }
  return out;
}

// Runs a command, capturing stdout and stderr as Buffers.
export function run(cmd, args, opts = {}) {
  return new Promise((resolvePromise) => {
    const child = spawn(cmd, args, { ...opts, stdio: ['ignore', 'pipe', 'pipe'] });
    const out = [], err = [];
    child.stdout.on('data', (d) => out.push(d));
    child.stderr.on('data', (d) => err.push(d));
    child.on('error', (e) => resolvePromise({ status: null, signal: null, stdout: Buffer.alloc(0), stderr: Buffer.from(String(e)) }));
    child.on('close', (status, signal) =>
      resolvePromise({ status, signal, stdout: Buffer.concat(out), stderr: Buffer.concat(err) }));
  });
}

// Maps items through an async function, `width` at a time, in order.
export async function pool(items, width, fn) {
  const results = new Array(items.length);
  let next = 0;
  async function worker() {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i], i);
    }
  }
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
  return results;
}

// Prints the closing line CTest logs and the project's CI reads.
export function finish(passed, failed, skipped = 0) {
  console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
  process.exit(failed ? 1 : 0);
}
