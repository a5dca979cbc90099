/**
 * Rewriting every entry of one state in place (a schema migration, state-migration.ts). Writing
 * through putValue marks each entry dirty, so the next incremental snapshot carries all of them in
 * the new format. Runs once, when the state is registered; clobbers the store's current key.
 */
import { ByteWriter } from '../byte-writer.js';
import type { ValueRewrite } from '../state-migration.js';
import type { WasmStore } from './wasm-store.js';

/** Replaces the value of every entry of state `stateId` by its rewrite. */
export function rewriteStateValues(store: WasmStore, stateId: number, rewrite: ValueRewrite): void {
  // the cursor must not see the table change: collect (key, user key, new value), then write
  const keys: Uint8Array[] = [];
  const userKeys: Uint8Array[] = [];
  const values: Uint8Array[] = [];
  const w = new ByteWriter(256);
  store.ex.cursorState(stateId);
  for (let rec = store.ex.cursorNext(); rec !== 0; rec = store.ex.cursorNext()) {
    store.refresh();
    // record layout (assembly/record.ts): u32 vlen, u16 klen, 2 B, then u16 stateId | u16 keyLen | key | user key, value
    const vlen = store.dv.getUint32(rec, true);
    const klen = store.dv.getUint16(rec + 4, true);
    const keyLen = store.dv.getUint16(rec + 10, true);
    keys.push(store.u8.slice(rec + 12, rec + 12 + keyLen));
    userKeys.push(store.u8.slice(rec + 12 + keyLen, rec + 8 + klen));
    w.reset();
    // the rewrite runs JS only (a serializer), so the record stays valid while it reads the old value
    rewrite(store.u8, rec + 8 + klen, vlen, w);
    values.push(w.bytes().slice());
  }
  for (let i = 0; i < keys.length; i++) {
    store.setKeyBytes(keys[i]!);
    const out = store.beginWrite();
    out.raw(userKeys[i]!);
    out.raw(values[i]!);
    store.ex.putValue(stateId, userKeys[i]!.length, values[i]!.length);
  }
}
