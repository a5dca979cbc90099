/**
 * `npm run demo:state`: the state layer alone, without the job runtime — a keyed counting loop
 * snapshotting every second into ./checkpoints/state-demo (a full snapshot, then incrementals,
 * compacted into a new full one every 10) and resuming from there when started again — with either
 * backend, since snapshots are canonical.
 *
 *   npm run demo:state -- --backend heap|wasm --keys 1000000 --dir ./checkpoints --seconds 30
 */
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  createKeyedStateBackend,
  reducingState,
  Serializers,
  valueState,
  type StateBackendKind,
} from '../src/index.js';
import { writeFileAtomically } from '../src/storage/atomic-file.js';

const { values: args } = parseArgs({
  options: {
    backend: { type: 'string', default: 'wasm' },
    keys: { type: 'string', default: '1000000' },
    dir: { type: 'string', default: './checkpoints' },
    seconds: { type: 'string' },
  },
});

const backendKind = args.backend as StateBackendKind;
const distinctKeys = Number(args.keys);
if (!Number.isInteger(distinctKeys) || distinctKeys < 1) throw new Error(`--keys must be a positive integer, got ${args.keys}`);
const dir = join(args.dir!, 'state-demo');
const manifestPath = join(dir, '_chain.json');
const FULL_EVERY = 10;
const BATCH = 50_000;

interface Manifest {
  /** Files of the current chain: one full snapshot then incrementals. */
  readonly files: string[];
  /** Events processed when the last file was taken: where the generator resumes. */
  readonly position: number;
  readonly nextId: number;
}

async function loadManifest(): Promise<Manifest | undefined> {
  try {
    return JSON.parse(await readFile(manifestPath, 'utf8')) as Manifest;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`cannot read ${manifestPath}: ${(e as Error).message}`);
  }
}

/** Event i's key: skewed so that a tenth of the keys get half of the events. */
function keyOf(i: number): number {
  const x = Math.imul(i ^ (i >>> 15), 0x2c1b3c6d) >>> 0;
  // the low bit picks hot or uniform; the key comes from the other bits, so both halves reach every key
  const k = x >>> 1;
  return x & 1 ? k % Math.max(1, Math.floor(distinctKeys / 10)) : k % distinctKeys;
}

async function main(): Promise<void> {
  await mkdir(dir, { recursive: true });
  const backend = createKeyedStateBackend(backendKind);
  const manifest = await loadManifest();
  let position = 0;
  let files: string[] = [];
  let nextId = 1;
  if (manifest) {
    const t0 = performance.now();
    backend.restore(await Promise.all(manifest.files.map((f) => readFile(join(dir, f)))));
    position = manifest.position;
    files = [...manifest.files];
    nextId = manifest.nextId;
    console.log(
      `resumed from ${files.length} snapshot file(s) in ${(performance.now() - t0).toFixed(0)} ms: ` +
        `${backend.entryCount()} entries, position ${position}`,
    );
  } else {
    console.log(`starting fresh in ${dir}`);
  }
  const count = backend.getState(valueState('count', Serializers.number));
  const total = backend.getReducingState(reducingState('total', (a: number, b: number) => a + b, Serializers.number));
  console.log(`backend ${backend.kind}, ${distinctKeys} distinct keys; Ctrl-C to stop, npm start again to resume`);

  const deadline = args.seconds ? Date.now() + Number(args.seconds) * 1000 : Infinity;
  let stopping = false;
  process.on('SIGINT', () => {
    stopping = true;
  });
  let lastReport = performance.now();
  let reportedAt = position;
  let writing: Promise<void> = Promise.resolve();

  while (!stopping && Date.now() < deadline) {
    for (const end = position + BATCH; position < end; position++) {
      backend.setCurrentKey(keyOf(position));
      count.update((count.value() ?? 0) + 1);
      total.add(position & 7);
    }
    const now = performance.now();
    if (now - lastReport >= 1000) {
      await writing; // one snapshot write in flight at a time
      const full = files.length === 0 || files.length >= FULL_EVERY;
      const snap = backend.snapshot({ incremental: !full });
      const id = nextId++;
      const at = position;
      const entries = backend.entryCount();
      const name = `${String(id).padStart(6, '0')}-${snap.kind}.snap`;
      const rate = ((position - reportedAt) / (now - lastReport)) * 1000;
      writing = (async () => {
        const bytes = await snap.bytes();
        await writeFileAtomically(join(dir, name), bytes);
        const old = full ? files : [];
        files = full ? [name] : [...files, name];
        const manifestJson = JSON.stringify({ files, position: at, nextId } satisfies Manifest);
        await writeFileAtomically(manifestPath, new TextEncoder().encode(manifestJson));
        await Promise.all(old.map((f) => rm(join(dir, f), { force: true })));
        console.log(
          `${(rate / 1e6).toFixed(2)} M records/s | snapshot ${id} ${snap.kind} ` +
            `${(bytes.length / 1e6).toFixed(1)} MB, sync ${snap.syncMs.toFixed(1)} ms | ` +
            `${entries} entries at ${at} records`,
        );
      })();
      lastReport = now;
      reportedAt = position;
    }
    await new Promise((r) => setImmediate(r));
  }
  await writing;
  console.log(`stopped at ${position} records; the last completed snapshot is in ${dir}`);
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
