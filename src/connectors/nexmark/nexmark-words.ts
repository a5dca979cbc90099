/**
 * The fixed word lists Nexmark draws people and bid channels from, plus lookup tables derived from
 * them once at load so generating an event concatenates as little as possible.
 */

/** Few states, so state-filtering queries (Nexmark q3) match even on small runs. */
export const US_STATES: readonly string[] = ['AZ', 'CA', 'ID', 'OR', 'WA', 'WY'];

export const US_CITIES: readonly string[] = [
  'Phoenix',
  'Los Angeles',
  'San Francisco',
  'Boise',
  'Portland',
  'Bend',
  'Redmond',
  'Seattle',
  'Kent',
  'Cheyenne',
];

export const FIRST_NAMES: readonly string[] = [
  'Peter',
  'Paul',
  'Luke',
  'John',
  'Saul',
  'Vicky',
  'Kate',
  'Julie',
  'Sarah',
  'Deiter',
  'Walter',
];

export const LAST_NAMES: readonly string[] = ['Shultz', 'Abrams', 'Spencer', 'White', 'Bartels', 'Walton', 'Smith', 'Jones', 'Noris'];

/** Channels that take the bulk of bids (flink-nexmark's bid channels). */
export const HOT_CHANNELS: readonly string[] = ['Google', 'Facebook', 'Baidu', 'Apple'];

/**
 * Every "First Last" name: `PERSON_NAMES[f * LAST_NAMES.length + l]`, so a person's name is one
 * lookup instead of two concatenations.
 */
export const PERSON_NAMES: readonly string[] = FIRST_NAMES.flatMap((first) => LAST_NAMES.map((last) => `${first} ${last}`));

/** `FOUR_DIGITS[n]` is `n` zero-padded to four digits, n in [0, 10000): credit-card groups. */
export const FOUR_DIGITS: readonly string[] = Array.from({ length: 10_000 }, (_, n) => String(n).padStart(4, '0'));
