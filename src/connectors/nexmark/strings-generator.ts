/**
 * Random strings for Nexmark fields (Nexmark's StringsGenerator). The reference builds each string
 * character by character; here the hot ones are slices of a long random pool string taken at a
 * random offset with the reference's length distribution. Each character of a slice has the
 * reference's distribution, and a slice of a flat string is one small allocation (V8 shares the
 * pool's characters) instead of one per character.
 */
import { mulberry32 } from '../../random/mulberry32.js';
import type { EventRandom } from './event-random.js';

/** Shortest random string nextString draws (before trimming). */
const MIN_STRING_LENGTH = 3;
/** Fixed seeds of the pools: a pool's content is part of the generator, not of a job. */
const LETTER_POOL_SEED = 0x4e58_4d4b;
const WORD_POOL_SEED = 0x5752_4453;
const CHAR_A = 97;
/** In nextString, 1 character in this many is the special character (a space unless told). */
const SPECIAL_ONE_IN = 13;

/** Longest pool built so far of each kind; shorter requests are its prefixes (same seed, same stream). */
const pools = new Map<number, string>();

function pool(seed: number, length: number, withSpecial: boolean): string {
  const cached = pools.get(seed);
  if (cached !== undefined && cached.length >= length) return cached.length === length ? cached : cached.slice(0, length);
  const next = mulberry32(seed);
  const bytes = Buffer.allocUnsafe(length);
  for (let k = 0; k < length; k++) {
    bytes[k] =
      withSpecial && Math.floor(next() * SPECIAL_ONE_IN) === 0 ? 32 : CHAR_A + Math.floor(next() * 26);
  }
  const s = bytes.toString('latin1');
  pools.set(seed, s);
  return s;
}

/** `length` uniform lowercase letters (the characters of nextExactString), the same for every call. */
export function letterPool(length: number): string {
  return pool(LETTER_POOL_SEED, length, false);
}

/** `length` characters of nextString: a space with probability 1/13, else a uniform lowercase letter. */
export function wordPool(length: number): string {
  return pool(WORD_POOL_SEED, length, true);
}

/**
 * A random string of `3..maxLength-1` characters (uniform), each a space with probability 1/13 or
 * else a lowercase letter, trimmed of spaces at both ends: a slice of `words` (a {@link wordPool}
 * longer than `maxLength`).
 */
export function nextString(words: string, rng: EventRandom, maxLength: number): string {
  const len = MIN_STRING_LENGTH + rng.nextInt(maxLength - MIN_STRING_LENGTH);
  const off = rng.nextInt(words.length - len + 1);
  return words.slice(off, off + len).trim();
}

/**
 * nextString built character by character with `special` in place of the space, and not trimmed
 * unless `special` is a space; for the few strings made once per config (channel urls).
 */
export function nextStringWith(rng: EventRandom, maxLength: number, special: string): string {
  let len = MIN_STRING_LENGTH + rng.nextInt(maxLength - MIN_STRING_LENGTH);
  let s = '';
  while (len-- > 0) s += rng.nextInt(SPECIAL_ONE_IN) === 0 ? special : String.fromCharCode(CHAR_A + rng.nextInt(26));
  return special === ' ' ? s.trim() : s;
}

/**
 * Padding so that `currentSize` plus its length averages `desiredAverageSize` (Nexmark's nextExtra):
 * empty when the fields alone exceed the average; otherwise, with `d = desiredAverageSize -
 * currentSize` and `delta = round(d / 5)`, a length uniform in `[d - delta, d + delta)` (exactly `d`
 * when delta is 0), as a slice of `letters` (a {@link letterPool} at least twice the longest extra).
 */
export function nextExtra(letters: string, rng: EventRandom, currentSize: number, desiredAverageSize: number): string {
  if (currentSize > desiredAverageSize) return '';
  const d = desiredAverageSize - currentSize;
  const delta = Math.round(d * 0.2);
  const size = d - delta + (delta === 0 ? 0 : rng.nextInt(2 * delta));
  const off = rng.nextInt(letters.length - size + 1);
  return letters.slice(off, off + size);
}
