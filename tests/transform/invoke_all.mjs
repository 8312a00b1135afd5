// Instantiates a module that imports nothing and calls each of its exported
// functions without arguments, printing "name: result" or "name: trap: msg",
// one per line, in export order. Used to compare a module before and after a
// transform.
//
//   node invoke_all.mjs MODULE.wasm
import { readFileSync } from 'node:fs';

const module = new WebAssembly.Module(readFileSync(process.argv[2]));
const exports = WebAssembly.Module.exports(module).filter((e) => e.kind === 'function');
let instance;
try {
  instance = new WebAssembly.Instance(module, {});
} catch (e) {
  console.log(`instantiate: ${e.constructor.name}: ${e.message}`);
  process.exit(0);
}
for (const { name } of exports) {
  try {
    console.log(`${name}: ${instance.exports[name]()}`);
  } catch (e) {
    console.log(`${name}: ${e.constructor.name}: ${e.message}`);
  }
}
