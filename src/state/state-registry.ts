/**
 * Assigns state ids and checks registrations against restored snapshots. Ids are registration
 * order, except that a state restored from a snapshot keeps the id the snapshot gave its name, so
 * restored entries need no rewriting (unless their serializer's schema evolved: state-migration.ts).
 */
import type { SnapshotStateInfo } from './snapshot-format.js';
import { resolveStateMigration, serializerIdOf, type ValueReader } from './state-migration.js';
import type { StateDescriptor, StateKind } from './types.js';

export interface RegisteredState {
  readonly id: number;
  readonly name: string;
  readonly kind: StateKind;
  readonly ttl: boolean;
  readonly serializerId: string;
  /** The value serializer's schema, recorded in snapshots. */
  readonly schema: string | undefined;
  readonly descriptor: StateDescriptor;
  /**
   * Set when this registration found restored entries in an older format: the reader of that
   * format. The backend rewrites those entries with the registered serializer as it creates the state.
   */
  readonly migrateFrom?: ValueReader;
}

/** Ids travel as u16 in composite keys. */
const MAX_STATES = 0xffff;

export class StateRegistry {
  private readonly byName = new Map<string, RegisteredState>();
  /** States found in the restored snapshot chain and not yet registered by this job. */
  private restored = new Map<string, SnapshotStateInfo>();
  private nextId = 0;

  /**
   * Registers `d` (or returns its earlier registration); throws on a conflicting redefinition, and
   * a StateMigrationError when restored state cannot be read with `d`'s serializer.
   */
  register(d: StateDescriptor): RegisteredState {
    const existing = this.byName.get(d.name);
    const serializerId = serializerIdOf(d);
    if (existing) {
      if (existing.kind !== d.kind) {
        throw new TypeError(`state '${d.name}' is already registered as ${existing.kind} state, not ${d.kind}`);
      }
      return existing;
    }
    const prior = this.restored.get(d.name);
    let id: number;
    let migrateFrom: ValueReader | undefined;
    if (prior) {
      if (prior.kind !== d.kind) {
        throw new TypeError(`state '${d.name}' was restored as ${prior.kind} state but is registered as ${d.kind} state`);
      }
      if (prior.ttl !== (d.ttl !== undefined)) {
        throw new TypeError(`state '${d.name}': TTL was ${prior.ttl ? 'on' : 'off'} when written and cannot be switched on restore`);
      }
      migrateFrom = resolveStateMigration(d, prior);
      id = prior.id;
      this.restored.delete(d.name);
    } else {
      id = this.allocateId();
    }
    const reg: RegisteredState = {
      id,
      name: d.name,
      kind: d.kind,
      ttl: d.ttl !== undefined,
      serializerId,
      schema: d.serializer.schema,
      descriptor: d,
      migrateFrom,
    };
    this.byName.set(d.name, reg);
    return reg;
  }

  get(name: string): RegisteredState | undefined {
    return this.byName.get(name);
  }

  /** The state table to write into a snapshot: registered states and restored ones not yet registered. */
  snapshotStates(): SnapshotStateInfo[] {
    const out: SnapshotStateInfo[] = [];
    for (const r of this.byName.values()) {
      out.push({ id: r.id, kind: r.kind, ttl: r.ttl, name: r.name, serializerId: r.serializerId, schema: r.schema });
    }
    for (const r of this.restored.values()) out.push(r);
    return out.sort((a, b) => a.id - b.id);
  }

  /** Id of a state by name among registered and restored states. */
  idOf(name: string): number | undefined {
    return this.byName.get(name)?.id ?? this.restored.get(name)?.id;
  }

  /**
   * Adopts the state table of a snapshot being restored. Throws if it disagrees with a state this
   * backend registered already (same name, other id or kind).
   */
  adopt(states: readonly SnapshotStateInfo[]): void {
    this.restored = new Map();
    this.byName.clear();
    this.nextId = 0;
    for (const s of states) {
      this.restored.set(s.name, s);
      this.nextId = Math.max(this.nextId, s.id + 1);
    }
  }

  private allocateId(): number {
    const used = new Set<number>([...this.restored.values()].map((s) => s.id));
    while (used.has(this.nextId)) this.nextId++;
    if (this.nextId >= MAX_STATES) throw new RangeError(`too many states (max ${MAX_STATES})`);
    return this.nextId++;
  }
}
