/**
 * A generator source that emits a record only when a test's gate allows it: the job idles (and keeps
 * checkpointing) at the first record the gate holds back. Tests use it to make "checkpoint n happens
 * before the input ends" independent of how fast the machine is. Positions are the generator's own,
 * so holding records back changes timing only, never what is replayed.
 */
import type { SourceSpec } from '../../src/api/specs.js';
import { GeneratorSource, type GeneratedRecord, type GeneratorOptions } from '../../src/connectors/generator-source.js';
import { readPositionCounter, readPositionHeader, type ReplayableSource } from '../../src/connectors/source.js';
import { defaultConnectorRegistry, type ConnectorRegistry } from '../../src/runtime/connector-registry.js';

/** Whether the record with id `nextId` may be emitted now. */
export type Gate = (nextId: number) => boolean;

const KIND = 'gated-generator';

class GatedGenerator implements ReplayableSource<GeneratedRecord> {
  private readonly inner: GeneratorSource;
  private nextId = 0;
  private parallelism = 1;

  constructor(
    private readonly options: GeneratorOptions,
    private readonly gate: Gate,
  ) {
    this.inner = new GeneratorSource(options);
  }

  open(subtaskIndex: number, parallelism: number, restoredPosition?: Uint8Array): void {
    this.inner.open(subtaskIndex, parallelism, restoredPosition);
    this.parallelism = parallelism;
    this.nextId =
      restoredPosition === undefined
        ? subtaskIndex
        : readPositionCounter(readPositionHeader(restoredPosition, 'generator', { subtaskIndex, parallelism }), 'generator');
  }

  pollBatch(max: number): GeneratedRecord[] | 'end' {
    let allowed = 0;
    for (let id = this.nextId; allowed < max && id < this.options.count && this.gate(id); id += this.parallelism) allowed++;
    if (allowed === 0 && this.nextId < this.options.count) return [];
    const batch = this.inner.pollBatch(Math.max(allowed, 1));
    if (batch !== 'end' && batch.length > 0) this.nextId = batch[batch.length - 1]!.id + this.parallelism;
    return batch;
  }

  snapshotPosition(): Uint8Array {
    return this.inner.snapshotPosition();
  }

  close(): void {
    this.inner.close();
  }
}

/** The spec of a gated generator; run it with {@link gatedConnectors}. */
export function gatedGeneratorSpec(options: GeneratorOptions, gate: Gate): SourceSpec<GeneratedRecord> {
  return { kind: KIND, payload: { options, gate } };
}

/** The default connectors plus the gated generator. */
export function gatedConnectors(): ConnectorRegistry {
  return defaultConnectorRegistry().registerSource(KIND, (p) => {
    const { options, gate } = p as { options: GeneratorOptions; gate: Gate };
    return new GatedGenerator(options, gate);
  });
}

/** A gate that holds back the records from `fromId` on until `released()` says so. */
export function holdFrom(fromId: number, released: () => boolean): Gate {
  return (id) => id < fromId || released();
}
