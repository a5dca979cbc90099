/** Serializers of the window operator's own state values and of the windowed join's tagged records. */
import { ByteFormatError } from '../../state/byte-reader.js';
import type { ByteWriter } from '../../state/byte-writer.js';
import type { Serializer } from '../../state/serializers.js';

/** A flat array of numbers as little-endian f64s (a merging window set: `start, end, stateId` triples). */
export const numberArraySerializer: Serializer<number[]> = {
  id: 'weir.number-array@1',
  write(values: number[], out: ByteWriter): void {
    out.ensure(values.length * 8);
    for (const v of values) out.f64(v);
  },
  read(buf, offset, length): number[] {
    if (length % 8 !== 0) throw new ByteFormatError(`weir.number-array@1: length ${length} is not a multiple of 8`);
    const view = new DataView(buf.buffer, buf.byteOffset + offset, length);
    const out = new Array<number>(length / 8);
    for (let i = 0; i < out.length; i++) out[i] = view.getFloat64(i * 8, true);
    return out;
  },
};

/** A record of either input of a two-input window: `[0, left]` or `[1, right]`. */
export type Tagged<A, B> = readonly [0, A] | readonly [1, B];

/** `side` (one byte) then the value in its side's serializer. */
export function taggedSerializer<A, B>(left: Serializer<A>, right: Serializer<B>): Serializer<Tagged<A, B>> {
  return {
    id: `weir.tagged@1(${left.id},${right.id})`,
    write(v, out) {
      out.u8(v[0]);
      if (v[0] === 0) left.write(v[1], out);
      else right.write(v[1], out);
    },
    read(buf, offset, length) {
      if (length < 1) throw new ByteFormatError('weir.tagged@1: empty value');
      const side = buf[offset];
      if (side === 0) return [0, left.read(buf, offset + 1, length - 1)];
      if (side === 1) return [1, right.read(buf, offset + 1, length - 1)];
      throw new ByteFormatError(`weir.tagged@1: unknown side ${side}`);
    },
  };
}
