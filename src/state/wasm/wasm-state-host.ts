/** What a WASM state handle needs from its backend. */
import type { WasmStore } from './wasm-store.js';

export interface WasmStateHost {
  /** The live store, with a current key set (throws if none is). */
  keyedStore(): WasmStore;
  /** TTL clock. */
  now(): number;
}
