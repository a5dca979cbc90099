/**
 * The timers of one keyed operator instance in one time domain (Flink's `InternalTimerService` for
 * event time or processing time).
 *
 * A timer is a (key, timestamp) pair registered under the key being processed. Timers are keyed state
 * (DESIGN.md "Keyed state"): each lives in the operator's own backend, in a map state named per domain
 * ({@link PROCESSING_TIMERS_STATE}, {@link EVENT_TIMERS_STATE}: timestamp → true under its key), so
 * every snapshot of the backend carries them, a restore brings them back and a rescale moves them with
 * their key group. In memory a binary min-heap ordered by (timestamp, registration order) says what
 * fires next, and an index by key and timestamp makes registering twice a no-op and deleting O(log n).
 *
 * The owner drives firing: {@link TimerQueue.fireDue} with the processing time at the start of every
 * subtask step, or with the new watermark when it advances.
 */
import { Buffer } from 'node:buffer';
import type { TimeDomain } from '../api/functions.js';
import { ByteWriter } from '../state/byte-writer.js';
import { mapState } from '../state/descriptors.js';
import { readKey, writeKey } from '../state/key-codec.js';
import { Serializers } from '../state/serializers.js';
import type { Key, KeyedStateBackend, MapState } from '../state/types.js';

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

/**
 * A Map key equal for two keys exactly when the state backend sees one key: numbers are their own
 * identity (SameValueZero agrees with the canonical f64 encoding: -0 is 0, NaN is NaN), anything else
 * is its serialized bytes (tag byte included) as a latin1 string, so a string and a JSON key never meet.
 */
type KeyIdentity = number | string;

/** Timers of one key, found by timestamp. */
interface KeyTimers {
  readonly id: KeyIdentity;
  /** A private copy for object keys: the caller may mutate its key object after registering. */
  readonly key: Key;
  readonly byTimestamp: Map<number, Timer>;
}

/** `Timer.slot` of a timer popped by the running `fireDue` call and not fired yet. */
const DUE = -1;
/** `Timer.slot` of a timer that fired or was deleted. */
const GONE = -2;

interface Timer {
  readonly timestampMs: number;
  /** Registration order: breaks ties between equal timestamps. */
  readonly seq: number;
  readonly owner: KeyTimers;
  /** Index in the heap array when >= 0, else {@link DUE} or {@link GONE}. */
  slot: number;
}

function earlier(a: Timer, b: Timer): boolean {
  return a.timestampMs < b.timestampMs || (a.timestampMs === b.timestampMs && a.seq < b.seq);
}

/** A binary min-heap of timers that keeps each timer's index in `slot`, so any timer can be removed. */
class TimerHeap {
  /** items[i] is earlier than or equal to items[2i+1] and items[2i+2]; items[i].slot === i. */
  private readonly items: Timer[] = [];

  peek(): Timer | undefined {
    return this.items[0];
  }

  push(t: Timer): void {
    this.place(t, this.items.length);
    this.siftUp(t.slot);
  }

  remove(t: Timer): void {
    const i = t.slot;
    const last = this.items.pop()!;
    t.slot = GONE;
    if (last === t) return;
    this.place(last, i);
    this.siftUp(i);
    this.siftDown(last.slot);
  }

  private place(t: Timer, i: number): void {
    this.items[i] = t;
    t.slot = i;
  }

  private siftUp(i: number): void {
    const t = this.items[i]!;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = this.items[parent]!;
      if (!earlier(t, p)) break;
      this.place(p, i);
      i = parent;
    }
    this.place(t, i);
  }

  private siftDown(i: number): void {
    const items = this.items;
    const t = items[i]!;
    const n = items.length;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      const child = right < n && earlier(items[right]!, items[left]!) ? right : left;
      const c = items[child]!;
      if (!earlier(c, t)) break;
      this.place(c, i);
      i = child;
    }
    this.place(t, i);
  }
}

const identityWriter = new ByteWriter(64);

function keyIdentity(key: Key): KeyIdentity {
  if (typeof key === 'number') return key;
  identityWriter.reset();
  writeKey(key, identityWriter);
  return Buffer.from(identityWriter.buf.buffer, identityWriter.buf.byteOffset, identityWriter.pos).toString('latin1');
}

/** `key` itself, or for an object key a copy decoded from its identity bytes. */
function ownedKey(key: Key, id: KeyIdentity): Key {
  if (typeof key !== 'object') return key;
  const bytes = Buffer.from(id as string, 'latin1');
  return readKey(bytes, 0, bytes.length);
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
  /** Every pending timer not popped by a running `fireDue`; exactly those with slot >= 0. */
  private readonly heap = new TimerHeap();
  /** Every pending timer (in the heap or due), by key then timestamp; exactly the entries of the timer state. */
  private readonly byKey = new Map<KeyIdentity, KeyTimers>();
  private nextSeq = 0;
  /** Timers popped by the running `fireDue` call, in firing order; empty between calls (reused to avoid allocation). */
  private readonly due: Timer[] = [];
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
    const key = this.backend.getCurrentKey();
    const id = keyIdentity(key);
    const owner = this.byKey.get(id);
    if (owner?.byTimestamp.has(timestampMs)) return;
    // state first: if the write fails, memory still matches the state
    this.timerState().put(timestampMs, true);
    this.add(owner ?? this.newOwner(id, ownedKey(key, id)), timestampMs);
  }

  /** Deletes the current key's timer at `timestampMs`, if any (also one due but not fired yet in this `fireDue` call). */
  delete(timestampMs: number): void {
    const owner = this.byKey.get(keyIdentity(this.backend.getCurrentKey()));
    const timer = owner?.byTimestamp.get(timestampMs);
    if (timer === undefined) return;
    this.timerState().remove(timestampMs);
    this.forget(timer);
    if (timer.slot >= 0) this.heap.remove(timer);
    else timer.slot = GONE;
  }

  /** The earliest pending timer's timestamp, or undefined when there is none. */
  nextTimerAt(): number | undefined {
    return this.heap.peek()?.timestampMs;
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
    const due = this.due;
    for (let top = heap.peek(); top !== undefined && top.timestampMs <= now; top = heap.peek()) {
      heap.remove(top);
      top.slot = DUE;
      due.push(top);
    }
    let i = 0;
    let fired = 0;
    try {
      for (; i < due.length; i++) {
        const timer = due[i]!;
        if (timer.slot !== DUE) continue; // deleted by an earlier timer of this call
        this.fireOne(timer);
        fired++;
      }
    } finally {
      // after a failing onTimer, timers not reached yet stay pending, as their state entries do
      for (i++; i < due.length; i++) {
        const timer = due[i]!;
        if (timer.slot === DUE) heap.push(timer);
      }
      due.length = 0;
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
      const owner = this.newOwner(keyIdentity(key), key);
      for (const timestampMs of state.keys()) this.add(owner, timestampMs);
    }
  }

  private fireOne(timer: Timer): void {
    this.forget(timer);
    timer.slot = GONE;
    this.backend.setCurrentKey(timer.owner.key);
    this.timerState().remove(timer.timestampMs);
    this.fire!(timer.timestampMs, timer.owner.key);
  }

  private timerState(): MapState<number, boolean> {
    return (this.state ??= this.backend.getMapState(mapState(this.stateName, Serializers.number, Serializers.boolean)));
  }

  private newOwner(id: KeyIdentity, key: Key): KeyTimers {
    const owner: KeyTimers = { id, key, byTimestamp: new Map() };
    this.byKey.set(id, owner);
    return owner;
  }

  private add(owner: KeyTimers, timestampMs: number): void {
    const timer: Timer = { timestampMs, seq: this.nextSeq++, owner, slot: GONE };
    owner.byTimestamp.set(timestampMs, timer);
    this.heap.push(timer);
  }

  /** Drops `timer` from the index (not from the heap or the state). */
  private forget(timer: Timer): void {
    const owner = timer.owner;
    owner.byTimestamp.delete(timer.timestampMs);
    if (owner.byTimestamp.size === 0) this.byKey.delete(owner.id);
  }
}
