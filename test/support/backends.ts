/**
 * Creating backends in tests: every suite runs over both kinds, and every backend a test creates is
 * disposed after it.
 */
import { afterEach } from 'vitest';
import { createKeyedStateBackend } from '../../src/state/backend-factory.js';
import type { KeyedStateBackend, KeyedStateBackendOptions, StateBackendKind } from '../../src/state/types.js';

/** Both backends, always: the conformance suites must never silently drop one. */
export const BACKEND_KINDS: readonly StateBackendKind[] = ['heap', 'wasm'];

/** Creates a backend the caller disposes of. */
export function createBackend(kind: StateBackendKind, options: KeyedStateBackendOptions = {}): KeyedStateBackend {
  return createKeyedStateBackend(kind, options);
}

/** The other backend kind (for cross-backend restores). */
export function otherKind(kind: StateBackendKind): StateBackendKind {
  return kind === 'heap' ? 'wasm' : 'heap';
}

/**
 * Returns a `create` that makes backends and disposes of them after each test of the enclosing
 * describe block. Call at describe level.
 */
export function backendPool(): (kind: StateBackendKind, options?: KeyedStateBackendOptions) => KeyedStateBackend {
  const live: KeyedStateBackend[] = [];
  afterEach(() => {
    for (const b of live.splice(0)) {
      try {
        b.dispose();
      } catch {
        // already disposed by the test
      }
    }
  });
  return (kind, options = {}) => {
    const b = createBackend(kind, options);
    live.push(b);
    return b;
  };
}

/** A clock tests move by hand (for TTL). */
export class ManualClock {
  constructor(public now = 1_000_000) {}
  readonly read = (): number => this.now;
  advance(ms: number): void {
    this.now += ms;
  }
}
