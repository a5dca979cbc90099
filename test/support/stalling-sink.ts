/**
 * A collecting sink whose pre-commit (snapshotState) of chosen checkpoints, at sink subtask 0, waits
 * until the test releases it: a sink that stalls a checkpoint, for timeout and concurrency tests.
 */
import type { SinkSpec } from '../../src/api/specs.js';
import type { CollectSink } from '../../src/connectors/collect-sink.js';
import { defaultConnectorRegistry, type ConnectorRegistry } from '../../src/runtime/connector-registry.js';

/** The spec of the stalling sink; run it with {@link stallingConnectors}. */
export const STALLING_SINK: SinkSpec<string> = { kind: 'stalling' };

/** Pre-commits of chosen checkpoints (at sink subtask 0) that wait until released. */
export class Stalls {
  private readonly waiting = new Map<number, { promise: Promise<void>; release: () => void }>();
  /** Checkpoint ids whose pre-commit actually stalled. */
  readonly stalled: number[] = [];

  /** `onStall` is called when a pre-commit starts waiting (e.g. to release it after a while). */
  constructor(
    private readonly ids: ReadonlySet<number>,
    private readonly onStall?: (checkpointId: number) => void,
  ) {}

  /** The wait for checkpoint `id` at `subtask`, or undefined when it does not stall. */
  waitFor(id: number, subtask: number): Promise<void> | undefined {
    if (subtask !== 0 || !this.ids.has(id)) return undefined;
    let entry = this.waiting.get(id);
    if (entry === undefined) {
      let release!: () => void;
      const promise = new Promise<void>((r) => (release = r));
      this.waiting.set(id, (entry = { promise, release }));
      this.stalled.push(id);
      this.onStall?.(id);
    }
    return entry.promise;
  }

  release(id: number): void {
    this.waiting.get(id)?.release();
  }

  releaseAll(): void {
    for (const w of this.waiting.values()) w.release();
  }
}

/** The default connectors plus the stalling sink: `out` collects (two-phase), pre-commits wait on `stalls`. */
export function stallingConnectors(out: CollectSink<string>, stalls: Stalls): ConnectorRegistry {
  return defaultConnectorRegistry().registerSink(STALLING_SINK.kind, (_p, ctx) => {
    const inner = out.writer(ctx.subtaskIndex, ctx.checkpointing);
    return {
      ...inner,
      snapshotState: async (id: number) => {
        await stalls.waitFor(id, ctx.subtaskIndex);
        return inner.snapshotState!(id);
      },
    };
  });
}
