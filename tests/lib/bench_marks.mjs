// bench_marks.mjs: runs a WASI module (wasi-host.mjs, the current directory
// preopened as ".") whose bench.start and bench.end write the lines
// "bench.start" and "bench.end" to stdout, unbuffered, so that what the engine
// prints meanwhile (node --trace-wasm-compilation-times) falls between them.
// The guest's own stdout goes to /dev/null.
//
//   node [flags] bench_marks.mjs HOSTS_DIR MODULE.wasm
import { openSync } from 'node:fs';
import { join } from 'node:path';

const [hosts, module] = process.argv.slice(2);
const { runWasi, writeAllSync } = await import(join(hosts, 'wasi-host.mjs'));
const mark = (line) => writeAllSync(1, Buffer.from(line)); // (a pipe may be non-blocking)
const result = await runWasi({
  module,
  preopens: { '.': '.' },
  stdout: openSync('/dev/null', 'w'),
  imports: { bench: { start() { mark('bench.start\n'); }, end() { mark('bench.end\n'); } } },
});
if (result.kind !== 'exit') process.stderr.write(`bench_marks: ${result.kind}: ${result.message}\n`);
process.exit(result.kind === 'exit' ? result.exitCode : 1);
