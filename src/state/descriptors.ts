/**
 * Constructors for state descriptors: name a piece of keyed state, its serializer and options.
 *
 * @example
 * const count = valueState('count', Serializers.number);
 * const seen = mapState('seen', Serializers.string, Serializers.number, { ttl: { ttlMs: 60_000 } });
 */
import type { Serializer } from './serializers.js';
import type {
  AggregatingStateDescriptor,
  ListStateDescriptor,
  MapStateDescriptor,
  ReducingStateDescriptor,
  StateTtlConfig,
  ValueStateDescriptor,
} from './types.js';

export interface StateOptions {
  readonly ttl?: StateTtlConfig;
}

function checkName(name: string): void {
  if (typeof name !== 'string' || name.length === 0) throw new TypeError('a state needs a non-empty name');
}

function checkTtl(ttl: StateTtlConfig | undefined): void {
  if (ttl === undefined) return;
  if (!(ttl.ttlMs > 0) || !Number.isFinite(ttl.ttlMs)) {
    throw new RangeError(`ttl.ttlMs must be a positive finite number of milliseconds, got ${ttl.ttlMs}`);
  }
}

function base(name: string, options: StateOptions) {
  checkName(name);
  checkTtl(options.ttl);
  return options.ttl ? { name, ttl: options.ttl } : { name };
}

export function valueState<T>(name: string, serializer: Serializer<T>, options: StateOptions = {}): ValueStateDescriptor<T> {
  return { kind: 'value', ...base(name, options), serializer };
}

export function listState<T>(name: string, serializer: Serializer<T>, options: StateOptions = {}): ListStateDescriptor<T> {
  return { kind: 'list', ...base(name, options), serializer };
}

export function mapState<UK, UV>(
  name: string,
  keySerializer: Serializer<UK>,
  serializer: Serializer<UV>,
  options: StateOptions = {},
): MapStateDescriptor<UK, UV> {
  return { kind: 'map', ...base(name, options), keySerializer, serializer };
}

export function reducingState<T>(
  name: string,
  reduce: (a: T, b: T) => T,
  serializer: Serializer<T>,
  options: StateOptions = {},
): ReducingStateDescriptor<T> {
  return { kind: 'reducing', ...base(name, options), serializer, reduce };
}

export function aggregatingState<IN, ACC, OUT>(
  name: string,
  fns: {
    createAccumulator: () => ACC;
    add: (value: IN, acc: ACC) => ACC;
    getResult: (acc: ACC) => OUT;
  },
  accSerializer: Serializer<ACC>,
  options: StateOptions = {},
): AggregatingStateDescriptor<IN, ACC, OUT> {
  return { kind: 'aggregating', ...base(name, options), serializer: accSerializer, ...fns };
}
