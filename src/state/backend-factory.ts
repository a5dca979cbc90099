/**
 * Creates a keyed-state backend by name.
 *
 * @example
 * const backend = createKeyedStateBackend('wasm', { maxParallelism: 128 });
 * const count = backend.getState(valueState('count', Serializers.number));
 * backend.setCurrentKey('user-1');
 * count.update((count.value() ?? 0) + 1);
 */
import { HeapKeyedStateBackend } from './heap/heap-backend.js';
import { WasmKeyedStateBackend } from './wasm/wasm-backend.js';
import type { KeyedStateBackend, KeyedStateBackendOptions, StateBackendKind } from './types.js';

export const STATE_BACKEND_KINDS: readonly StateBackendKind[] = ['heap', 'wasm'];

export function createKeyedStateBackend(
  kind: StateBackendKind,
  options: KeyedStateBackendOptions = {},
): KeyedStateBackend {
  switch (kind) {
    case 'heap':
      return new HeapKeyedStateBackend(options);
    case 'wasm':
      return new WasmKeyedStateBackend(options);
    default:
      throw new TypeError(`unknown state backend '${String(kind)}' (expected one of: ${STATE_BACKEND_KINDS.join(', ')})`);
  }
}
