/**
 * The `storage` suite: throughput and ratio of every checkpoint-file codec on a real state snapshot,
 * to pick the default codec (FACTS.md, "Compression"). The `none` codec and a bare CRC32 pass are the
 * floors: every container write pays two CRCs on the JS thread whatever the codec.
 *
 * Times the whole container path (encodeFile / decodeFile: codec, both CRCs, header, one copy), so
 * the `none` row is the container's own cost. Rows: case `compress-<codec>-<level>` /
 * `decompress-<codec>-<level>` / `crc32`, backend = codec name (`baseline` for crc32), `mbPerSec`
 * over raw MB (10^6 B), `bytes` = file size, `ms` median of RUNS.
 */
import { performance } from 'node:perf_hooks';
import { crc32 } from 'node:zlib';
import { mulberry32 } from '../../src/random/mulberry32.js';
import { createKeyedStateBackend } from '../../src/state/backend-factory.js';
import { listState, valueState } from '../../src/state/descriptors.js';
import { Serializers } from '../../src/state/serializers.js';
import { createCodec } from '../../src/storage/codec.js';
import { decodeFile, encodeFile, FILE_KIND } from '../../src/storage/file-container.js';
import { machineLine } from '../harness/machine.js';
import type { BenchResult, Suite, SuiteContext, SuiteReport, SuiteRun } from '../harness/suite.js';

const RUNS = 3;

/** Codec settings compared: each codec's default (fast) level and the zlib-default middle level. */
const SETTINGS: readonly { codec: string; level: number }[] = [
  { codec: 'none', level: 0 },
  { codec: 'deflate', level: 1 },
  { codec: 'deflate', level: 6 },
  { codec: 'brotli', level: 1 },
  { codec: 'brotli', level: 4 },
  { codec: 'fflate', level: 1 },
  { codec: 'fflate', level: 6 },
];

/**
 * A real full snapshot of the wasm backend: counters and per-key lists under string keys, until the
 * snapshot reaches about `bytes`. What checkpoints actually compress, not a synthetic stand-in.
 */
async function snapshotData(bytes: number): Promise<Uint8Array> {
  const b = createKeyedStateBackend('wasm');
  const count = b.getState(valueState('count', Serializers.number));
  const seen = b.getListState(listState('seen', Serializers.string));
  const random = mulberry32(7);
  // about 52 bytes of snapshot per key: two entries, a string key, a number and a short string
  const keys = Math.ceil(bytes / 52);
  for (let i = 0; i < keys; i++) {
    b.setCurrentKey(`user-${i}`);
    count.update(Math.floor(random() * 10_000));
    seen.add(`page-${Math.floor(random() * 500)}`);
  }
  const out = await b.snapshot({ incremental: false }).bytes();
  b.dispose();
  return out;
}

async function medianMs(fn: () => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[times.length >> 1]!;
}

const mbPerSec = (bytes: number, ms: number): number => bytes / 1e6 / (ms / 1000);

/** Runs the comparison; exported apart from the suite so it can be called on its own. */
export async function runCodecSuite(ctx: SuiteContext): Promise<SuiteRun> {
  const data = await snapshotData(ctx.scale === 'full' ? 50e6 : 8e6);
  const size = data.length;
  ctx.log(`data: a full wasm snapshot of ${(size / 1e6).toFixed(1)} MB`);
  const results: BenchResult[] = [];
  const errors: string[] = [];
  const crcMs = await medianMs(async () => crc32(data));
  results.push({ suite: 'storage', case: 'crc32', backend: 'baseline', ms: crcMs, mbPerSec: mbPerSec(size, crcMs), runs: RUNS });
  for (const { codec: name, level } of SETTINGS) {
    try {
      const codec = createCodec(name, level);
      let file: Uint8Array = data;
      const cMs = await medianMs(async () => (file = await encodeFile(FILE_KIND.stateSegment, data, codec)));
      const dMs = await medianMs(() => decodeFile(file, FILE_KIND.stateSegment));
      const base = { suite: 'storage', backend: name, bytes: file.length, rawBytes: size, runs: RUNS };
      results.push({ ...base, case: `compress-${name}-${level}`, ms: cMs, mbPerSec: mbPerSec(size, cMs) });
      results.push({ ...base, case: `decompress-${name}-${level}`, ms: dMs, mbPerSec: mbPerSec(size, dMs) });
      ctx.log(`${name} ${level}: ${(size / file.length).toFixed(2)}× ${mbPerSec(size, cMs).toFixed(0)} / ${mbPerSec(size, dMs).toFixed(0)} MB/s`);
    } catch (e) {
      errors.push(`${name} ${level}: ${(e as Error).message}`);
    }
  }
  return { results, errors };
}

function renderMarkdown(report: SuiteReport): string {
  const raw = report.results.find((r) => r.rawBytes)?.rawBytes ?? 0;
  const rows = [
    '**Checkpoint-file codecs** — `npm run bench -- storage`',
    '',
    '| codec | level | ratio | compress MB/s | decompress MB/s |',
    '|---|---|---|---|---|',
  ];
  for (const r of report.results) {
    const m = /^compress-(.+)-(\d+)$/.exec(r.case);
    if (!m) continue;
    const d = report.results.find((x) => x.case === `de${r.case}`);
    const ratio = r.bytes && r.rawBytes ? (r.rawBytes / r.bytes).toFixed(2) : '–';
    rows.push(`| ${m[1]} | ${m[2]} | ${ratio} | ${r.mbPerSec?.toFixed(0)} | ${d?.mbPerSec?.toFixed(0) ?? '–'} |`);
  }
  const crc = report.results.find((r) => r.case === 'crc32');
  rows.push(
    '',
    `- Input: a full wasm-backend snapshot of ${(raw / 1e6).toFixed(1)} MB (string keys, a counter and a short ` +
      'list per key). MB/s over the raw size, median of 3, through the whole file container (codec, both CRCs, ' +
      'header); `none` is the container alone. Compression runs off the JS thread for every codec but `none`.',
  );
  if (crc) rows.push(`- CRC32 (on the JS thread, twice per file): ${crc.mbPerSec?.toFixed(0)} MB/s.`);
  rows.push('', `Machine: ${machineLine(report.machine)} · ${report.date.slice(0, 10)}`);
  return rows.join('\n');
}

export const codecSuite: Suite = {
  name: 'storage',
  description: 'checkpoint-file codecs: compress/decompress MB/s and ratio on a real state snapshot',
  run: runCodecSuite,
  renderMarkdown,
};
