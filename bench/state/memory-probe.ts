/**
 * Memory per entry of one backend, in a fresh process (run by the `state` suite): populate `keys`
 * numeric counters (`value-counter-numeric` state) after a GC'd starting point, GC again, and divide
 * the growth of RSS, of the JS heap (`heapUsed`) and of `external` (ArrayBuffers, WASM memory) by
 * the number of entries.
 */
import { childInput, collectGarbage, replyToParent } from '../harness/child-process.js';
import type { BenchResult } from '../harness/suite.js';
import type { StateBenchBackend } from './plan.js';
import { createBackend, populateBaselineCounter, populateCounter } from './workloads.js';

export interface MemoryProbeInput {
  readonly backend: StateBenchBackend;
  readonly keys: number;
}

void replyToParent((): BenchResult => {
  const { backend, keys } = childInput<MemoryProbeInput>();
  // create the (empty) state first: its fixed cost (a WASM instance) is not per-entry
  const b = backend === 'baseline' ? undefined : createBackend(backend);
  const map = new Map<number | string, number>();
  collectGarbage();
  const before = process.memoryUsage();
  if (b) populateCounter(b, keys);
  else populateBaselineCounter(map, keys);
  collectGarbage();
  const after = process.memoryUsage();
  const entries = b ? b.entryCount() : map.size;
  if (entries !== keys) throw new Error(`memory probe: ${backend} holds ${entries} entries, expected ${keys}`);
  const perEntry = (field: 'rss' | 'heapUsed' | 'external') => (after[field] - before[field]) / keys;
  process.stderr.write(
    `[state] ${backend}: memory @ ${keys} keys: RSS +${((after.rss - before.rss) / 2 ** 20).toFixed(0)} MiB, ` +
      `heap +${((after.heapUsed - before.heapUsed) / 2 ** 20).toFixed(0)} MiB, ` +
      `external +${((after.external - before.external) / 2 ** 20).toFixed(0)} MiB\n`,
  );
  return {
    suite: 'state',
    case: 'value-counter-numeric',
    backend,
    keys,
    bytesPerEntry: perEntry('rss'),
    rssBytesPerEntry: perEntry('rss'),
    heapBytesPerEntry: perEntry('heapUsed'),
    externalBytesPerEntry: perEntry('external'),
    // what the structure itself occupies: JS objects for heap, linear memory for wasm
    dataBytesPerEntry: perEntry('heapUsed') + perEntry('external'),
  };
});
