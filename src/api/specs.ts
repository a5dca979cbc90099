/**
 * Placeholders for sources and sinks as the graph sees them. The real connector interfaces live in
 * src/connectors/ and are written in parallel; the graph only needs something to carry through to the
 * runtime, so these stay minimal and an adapter can map connectors onto them later.
 */

/**
 * A source as the job graph needs it: a `kind` to show in names and metrics, and an opaque payload
 * (the connector object or its config) that only the runtime interprets. `T` is phantom: it types the
 * stream the source produces.
 *
 * @example
 * const numbers: SourceSpec<number> = { kind: 'generator', payload: { count: 1000 } };
 */
export interface SourceSpec<T> {
  readonly kind: string;
  readonly payload?: unknown;
  /** Never set; carries the element type so `env.source(spec)` infers `DataStream<T>`. */
  readonly __elementType?: (value: T) => void;
}

/** A sink as the job graph needs it; `T` is the element type it accepts (phantom, as in {@link SourceSpec}). */
export interface SinkSpec<T> {
  readonly kind: string;
  readonly payload?: unknown;
  /** Never set; carries the element type so a sink of strings cannot take a stream of numbers. */
  readonly __elementType?: (value: T) => void;
}
