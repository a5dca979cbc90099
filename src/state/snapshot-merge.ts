/**
 * Rescaling keyed state (DESIGN.md, "Keyed state"): after a parallelism change a subtask's key-group
 * range overlaps the ranges of several old subtasks, each with its own restore chain. This merges
 * the key groups of `range` from those chains into one full snapshot in the canonical format, which
 * either backend restores as usual. Only the sections of key groups inside `range` are read.
 *
 * State ids are per backend instance (registration order), so two old subtasks may have given one
 * state name different ids: the merged state table keeps the first chain's ids and renumbers the
 * others' entries by name.
 */
import { inChain, readChainHeaders } from './restore-chain.js';
import { rangeContains, type KeyGroupRange } from './key-groups.js';
import {
  compareEntries,
  compositeHash,
  readSnapshotEntries,
  SnapshotFormatError,
  writeSnapshot,
  type SnapshotEntry,
  type SnapshotStateInfo,
} from './snapshot-format.js';

/** Composite keys as map keys: latin1 maps each byte to one char, so distinct bytes stay distinct. */
const keyOf = (c: Uint8Array): string => Buffer.from(c.buffer, c.byteOffset, c.length).toString('latin1');

/**
 * One full snapshot of the key groups in `range`, merged from `chains` (each a full snapshot then
 * incrementals, as written by one old subtask). The chains must cover disjoint key groups.
 */
export function mergeSnapshotChains(
  chains: readonly (readonly Uint8Array[])[],
  maxParallelism: number,
  range: KeyGroupRange,
): Uint8Array {
  const states: SnapshotStateInfo[] = [];
  const idByName = new Map<string, number>();
  const groups = new Map<number, SnapshotEntry[]>();
  const coveredBy = new Map<number, number>();
  chains.forEach((chain, ci) => {
    const { headers, states: chainStates } = readChainHeaders(chain, maxParallelism);
    const remap = new Map<number, number>();
    for (const s of chainStates) {
      let id = idByName.get(s.name);
      if (id === undefined) {
        id = ci === 0 ? s.id : nextFreeId(states);
        idByName.set(s.name, id);
        states.push({ ...s, id });
      } else {
        const prior = states.find((p) => p.name === s.name)!;
        if (prior.kind !== s.kind || prior.serializerId !== s.serializerId) {
          throw new SnapshotFormatError(
            `state '${s.name}' is ${prior.kind} (${prior.serializerId}) in one subtask's snapshot and ${s.kind} (${s.serializerId}) in another's`,
          );
        }
      }
      remap.set(s.id, id);
    }
    const base = headers[0]!.keyGroups;
    for (let kg = Math.max(base.start, range.start); kg < Math.min(base.end, range.end); kg++) {
      const other = coveredBy.get(kg);
      if (other !== undefined) {
        throw new SnapshotFormatError(`key group ${kg} is in the snapshots of two old subtasks (${other} and ${ci}): they must be disjoint`);
      }
      coveredBy.set(kg, ci);
    }
    const live = new Map<number, Map<string, SnapshotEntry>>();
    headers.forEach((h, i) => {
      inChain(i, () =>
        readSnapshotEntries(chain[i]!, h, range, {
          delete(kg, c) {
            live.get(kg)?.delete(keyOf(c));
          },
          put(kg, c, v) {
            const composite = new Uint8Array(c); // a copy even when the input is a Buffer
            const sid = composite[0]! | (composite[1]! << 8);
            const id = remap.get(sid);
            if (id === undefined) throw new SnapshotFormatError(`entry of state id ${sid}, which the state table does not list`);
            composite[0] = id & 0xff;
            composite[1] = id >>> 8;
            let m = live.get(kg);
            if (m === undefined) live.set(kg, (m = new Map()));
            // keyed by the original bytes, which is what later deletes of this chain name
            m.set(keyOf(c), { hash: compositeHash(composite), composite, value: new Uint8Array(v) });
          },
        }),
      );
    });
    for (const [kg, m] of live) {
      if (!rangeContains(range, kg)) continue;
      const list = groups.get(kg) ?? [];
      for (const e of m.values()) list.push(e);
      groups.set(kg, list);
    }
  });
  for (const list of groups.values()) list.sort(compareEntries);
  const none: SnapshotEntry[] = [];
  return writeSnapshot(
    { kind: 'full', maxParallelism, keyGroups: range, states: states.sort((a, b) => a.id - b.id) },
    (kg) => ({ puts: groups.get(kg) ?? none, deletes: none }),
  );
}

function nextFreeId(states: readonly SnapshotStateInfo[]): number {
  let id = 0;
  for (const s of states) id = Math.max(id, s.id + 1);
  return id;
}
