/**
 * Loads the compiled state store (build/release.wasm, or build/debug.wasm with assertions when
 * WEIR_WASM=debug). Raw exports are called directly: FACTS.md measured them at 2.5–2.9 ns a call
 * against 3.0 ns through generated bindings and 7.3 ns through @assemblyscript/loader, and every
 * argument here is a number, so the bindings' marshalling would buy nothing.
 */
import { readFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The store's ABI (assembly/index.ts). Pointers are byte offsets into `memory`. */
export interface StoreExports {
  readonly memory: WebAssembly.Memory;
  init(maxParallelism: number, tracking: number, expected: number): void;
  ensureScratch(bytes: number): number;
  setKeyNumber(v: number): number;
  setKeyBytes(len: number): number;
  currentHash(): number;
  numberFind(stateId: number): number;
  numberValue(): number;
  numberPut(stateId: number, v: number): void;
  getValue(stateId: number, userKeyLen: number): number;
  lastValuePtr(): number;
  putValue(stateId: number, userKeyLen: number, valueLen: number): void;
  appendValue(stateId: number, len: number, ts: number, hasTs: number): void;
  setValuePrefix(stateId: number, userKeyLen: number, ts: number): number;
  removeValue(stateId: number, userKeyLen: number): number;
  removePrefix(stateId: number): number;
  cursorPrefix(stateId: number): void;
  cursorState(stateId: number): void;
  cursorKeyGroup(keyGroup: number): void;
  cursorNext(): number;
  entryCount(): number;
  tombCount(): number;
  tableCapacity(): number;
  snapshotFull(headerLen: number, kgStart: number, kgCount: number): number;
  snapshotIncremental(headerLen: number, kgStart: number, kgCount: number): number;
  snapshotLength(): number;
  alloc(bytes: number): number;
  free(ptr: number): void;
  restoreSnapshot(
    input: number, len: number, indexOffset: number, kgStart: number, kgCount: number,
    from: number, to: number, bulk: number,
  ): number;
  restoreErrorAt(): number;
}

let compiled: WebAssembly.Module | undefined;

function wasmPath(): string {
  const flavour = process.env.WEIR_WASM === 'debug' ? 'debug' : 'release';
  return fileURLToPath(new URL(`../../../build/${flavour}.wasm`, import.meta.url));
}

function storeModule(): WebAssembly.Module {
  if (compiled) return compiled;
  const path = wasmPath();
  if (!existsSync(path)) {
    throw new Error(`the WASM state store is not built (${path} is missing): run \`npm run build:wasm\``);
  }
  compiled = new WebAssembly.Module(readFileSync(path));
  return compiled;
}

/** Reads an AssemblyScript string (UTF-16, byte length in the 4 bytes before it). */
function readAsString(memory: WebAssembly.Memory, ptr: number): string {
  if (ptr === 0) return '';
  const len = new Uint32Array(memory.buffer, ptr - 4, 1)[0]!;
  return Buffer.from(memory.buffer, ptr, len).toString('utf16le');
}

/** A fresh store instance with its own linear memory. */
export function instantiateStore(): StoreExports {
  let memory: WebAssembly.Memory | undefined;
  const instance = new WebAssembly.Instance(storeModule(), {
    env: {
      abort(msg: number, file: number, line: number, col: number): never {
        const m = memory ? readAsString(memory, msg) : '?';
        const f = memory ? readAsString(memory, file) : '?';
        throw new Error(`WASM state store aborted: ${m} (${f}:${line}:${col})`);
      },
    },
  });
  const exports = instance.exports as unknown as StoreExports;
  memory = exports.memory;
  return exports;
}
