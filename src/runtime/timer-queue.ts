/**
 * The timers of one keyed operator instance in one time domain (Flink's `InternalTimerService` for
 * event time or processing time).
 *
 * A timer is a (key, timestamp) pair registered under the key being processed. Timers are keyed state
 * (DESIGN.md "Keyed state"): each lives in the operator's own backend, in a map state named per domain
 * ({@link PROCESSING_TIMERS_STATE}, {@link EVENT_TIMERS_STATE}: timestamp → true under its key), so
 * every snapshot of the backend carries them, a restore brings them back and a rescale moves them with
 * their key group. That state is also the index: registering checks it, so registering twice is a
 * no-op. In memory a compact min-heap ordered by (timestamp, registration order) says what fires next
 * (tens of bytes per timer, no object per timer). A delete leaves the heap entry where it is and
 * records a tombstone for it: the entry is dropped when it comes up, so a deleted timer costs memory
 * only until its time, and a timer deleted and registered again fires once, in its new place.
 *
 * The owner drives firing: {@link TimerQueue.fireDue} with the processing time at the start of every
 * subtask step, or with the new watermark when it advances.
 */
import type { TimeDomain } from '../api/functions.js';
import { Buffer } from 'node:buffer';
import { ByteWriter } from '../state/byte-writer.js';
import { mapState } from '../state/descriptors.js';
import { readKey, writeKey } from '../state/key-codec.js';
import { Serializers } from '../state/serializers.js';
import type { Key, KeyedStateBackend, MapState } from '../state/types.js';
import { TimerHeap } from './timer-heap.js';

/** Prefix of the keyed-state names weir keeps for itself in an operator's backend; user states may not use it. */
export const RESERVED_STATE_PREFIX = '__weir.';

/** Name of the map state (timestamp → true, per key) holding an operator's processing-time timers. */
export const PROCESSING_TIMERS_STATE = `${RESERVED_STATE_PREFIX}timers.processing`;

/** Name of the map state (timestamp → true, per key) holding an operator's event-time timers. */
export const EVENT_TIMERS_STATE = `${RESERVED_STATE_PREFIX}timers.event`;

/** The state each domain's timers live in. */
const STATE_OF_DOMAIN: Readonly<Record<TimeDomain, string>> = {
  'processing-time': PROCESSING_TIMERS_STATE,
  'event-time': EVENT_TIMERS_STATE,
};

/**
 * Calls the user's `onTimer` for one timer, with the backend's current key already the timer's key.
 * The owner builds the context (it knows the domain's clock and outputs).
 */
export type FireTimerFn = (timestampMs: number, key: Key) => void;

const copyWriter = new ByteWriter(64);

/** `key` itself, or for an object key a private copy: the caller may mutate its key object after registering. */
function ownedKey(key: Key): Key {
  if (typeof key !== 'object') return key;
  copyWriter.reset();
  writeKey(key, copyWriter);
  return readKey(copyWriter.buf, 0, copyWriter.pos);
}

/** Equal for two (key, timestamp) pairs exactly when the backend sees one key: the tombstone index's key. */
function timerIdentity(key: Key, timestampMs: number): string {
  if (typeof key === 'number') return `n${key}|${timestampMs}`;
  copyWriter.reset();
  writeKey(key, copyWriter);
  return `${Buffer.from(copyWriter.buf.buffer, copyWriter.buf.byteOffset, copyWriter.pos).toString('latin1')}|${timestampMs}`;
}

function checkTimestamp(timestampMs: number, domain: TimeDomain): void {
  if (typeof timestampMs !== 'number' || !Number.isFinite(timestampMs)) {
    throw new RangeError(`a ${domain} timer needs a finite timestamp in ms, got ${String(timestampMs)}`);
  }
}

/**
 * The timers of one domain of one keyed operator instance.
 *
 * `fire` is undefined when the function has no `onTimer`: registering a timer then fails at once,
 * rather than leaving a timer that could never fire.
 *
 * @example
 * const timers = new TimerQueue(backend, 'event-time', 'sessions', (ts, key) => fn.onTimer!(ts, ctxFor(key), out));
 * timers.restore();              // after backend.restore(...) and the function's open, before the first element
 * backend.setCurrentKey('user-1');
 * timers.register(lastSeen + 30_000);
 * timers.fireDue(watermark);     // whenever the watermark advances
 */
export class TimerQueue {
  /** Registered on first use (or on a restore that found timers), so an operator without timers snapshots no timer state. */
  private state: MapState<number, boolean> | undefined;
  /** Every pending timer, plus the entries of deleted ones (each with a tombstone). */
  private readonly heap = new TimerHeap();
  /** Per (key, timestamp): how many of its entries in the heap (or the running `fireDue`'s due list) belong to deleted timers. */
  private readonly tombstones = new Map<string, number>();
  /** Timers popped by the running `fireDue` call, in firing order; empty between calls (reused). */
  private readonly dueTimes: number[] = [];
  private readonly dueKeys: Key[] = [];
  private readonly stateName: string;

  constructor(
    private readonly backend: KeyedStateBackend,
    readonly domain: TimeDomain,
    private readonly operatorUid: string,
    private readonly fire: FireTimerFn | undefined,
  ) {
    this.stateName = STATE_OF_DOMAIN[domain];
  }

  /** Registers a timer for the current key; a no-op if that key already has one at `timestampMs`. */
  register(timestampMs: number): void {
    checkTimestamp(timestampMs, this.domain);
    if (this.fire === undefined) {
      throw new Error(
        `operator '${this.operatorUid}' registers a ${this.domain} timer, but its function has no onTimer to call when it fires`,
      );
    }
    const state = this.timerState();
    if (state.contains(timestampMs)) return;
    // state first: if the write fails, the heap holds nothing the state does not
    state.put(timestampMs, true);
    this.heap.push(timestampMs, ownedKey(this.backend.getCurrentKey()));
  }

  /** Deletes the current key's timer at `timestampMs`, if any (also one due but not fired yet in this `fireDue` call). */
  delete(timestampMs: number): void {
    const state = this.timerState();
    if (!state.contains(timestampMs)) return;
    state.remove(timestampMs);
    // its heap entry stays, marked: dropped when it comes up
    const id = timerIdentity(this.backend.getCurrentKey(), timestampMs);
    this.tombstones.set(id, (this.tombstones.get(id) ?? 0) + 1);
  }

  /** The earliest pending timer's timestamp, or undefined when there is none. */
  nextTimerAt(): number | undefined {
    const heap = this.heap;
    for (let t = heap.peekTime(); t !== undefined; t = heap.peekTime()) {
      if (!this.buried(t, heap.peekKey())) return t;
      heap.pop();
    }
    return undefined;
  }

  /** Whether the entry (key, t) belongs to a deleted timer; if so its tombstone is used up. */
  private buried(t: number, key: Key): boolean {
    if (this.tombstones.size === 0) return false;
    const id = timerIdentity(key, t);
    const n = this.tombstones.get(id);
    if (n === undefined) return false;
    if (n === 1) this.tombstones.delete(id);
    else this.tombstones.set(id, n - 1);
    return true;
  }

  /**
   * Fires every timer due at `now` (timestamp <= now) in (timestamp, registration) order, each with
   * the backend's current key set to its key and already removed from state (so `onTimer` may
   * register it again). Timers that `onTimer` registers fire at the next call even when already due:
   * only timers due when the call starts fire, so a timer re-registering itself cannot loop forever.
   * Returns how many fired.
   */
  fireDue(now: number): number {
    const heap = this.heap;
    const times = this.dueTimes;
    const keys = this.dueKeys;
    for (let t = heap.peekTime(); t !== undefined && t <= now; t = heap.peekTime()) {
      times.push(t);
      keys.push(heap.peekKey());
      heap.pop();
    }
    let i = 0;
    let fired = 0;
    try {
      for (; i < times.length; i++) if (this.fireOne(times[i]!, keys[i]!)) fired++;
    } finally {
      // after a failing onTimer, timers not reached yet stay pending, as their state entries do
      for (i++; i < times.length; i++) heap.push(times[i]!, keys[i]!);
      times.length = 0;
      keys.length = 0;
    }
    return fired;
  }

  /**
   * Rebuilds the in-memory timers from the backend's timer state after `backend.restore`: call once,
   * before any timer is registered. Leaves the backend's current key at the last timer's key.
   */
  restore(): void {
    const keys = this.backend.keys(this.stateName);
    if (keys.length === 0) return;
    if (this.fire === undefined) {
      throw new Error(
        `operator '${this.operatorUid}' restored ${keys.length} key(s) with ${this.domain} timers, but its function has no onTimer`,
      );
    }
    const state = this.timerState();
    for (const key of keys) {
      this.backend.setCurrentKey(key);
      // keys() returned fresh key objects: no copy needed; canonical key then timestamp order stands
      // for the lost registration order
      for (const timestampMs of state.keys()) this.heap.push(timestampMs, key);
    }
  }

  /** Fires one popped entry unless its timer was deleted meanwhile; whether it fired. */
  private fireOne(timestampMs: number, key: Key): boolean {
    if (this.buried(timestampMs, key)) return false;
    this.backend.setCurrentKey(key);
    this.timerState().remove(timestampMs);
    this.fire!(timestampMs, key);
    return true;
  }

  private timerState(): MapState<number, boolean> {
    return (this.state ??= this.backend.getMapState(mapState(this.stateName, Serializers.number, Serializers.boolean)));
  }
}
