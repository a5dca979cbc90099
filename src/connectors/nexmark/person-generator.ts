/**
 * People (Nexmark's PersonGenerator): person ids follow from event numbers, so any event can name an
 * existing person without state, and sellers/bidders are drawn from the most recent people.
 */
import type { EventRandom } from './event-random.js';
import type { NexmarkConfig } from './nexmark-config.js';
import { FIRST_PERSON_ID, type Person } from './nexmark-model.js';
import { FOUR_DIGITS, LAST_NAMES, PERSON_NAMES, US_CITIES, US_STATES } from './nexmark-words.js';
import { nextExtra, nextString } from './strings-generator.js';

/** How many person ids past the last one generated a random pick may name (a person "from the future"). */
export const PERSON_ID_LEAD = 10;

/**
 * The base-0 id of the last person generated at or before event `i`: event i's own id when it is a
 * person, otherwise the last person of i's block (people open every block, so it exists).
 */
export function lastBase0PersonId(config: NexmarkConfig, i: number): number {
  const epoch = Math.floor(i / config.totalProportion);
  let offset = i - epoch * config.totalProportion;
  if (offset >= config.personProportion) offset = config.personProportion - 1;
  return epoch * config.personProportion + offset;
}

/**
 * A random base-0 person id among the latest `numActivePeople` as of event `i`, or up to
 * {@link PERSON_ID_LEAD} ids beyond the last one (so a person may appear to act before registering,
 * as the reference intends). Bounding to recent people keeps the activity per person constant in
 * long runs.
 */
export function nextBase0PersonId(config: NexmarkConfig, rng: EventRandom, i: number): number {
  const numPeople = lastBase0PersonId(config, i) + 1;
  const active = Math.min(numPeople, config.numActivePeople);
  return numPeople - active + rng.nextLong(active + PERSON_ID_LEAD);
}

/** The person of event `i` (a person event), at event time `timestamp`. */
export function nextPerson(config: NexmarkConfig, rng: EventRandom, i: number, timestamp: number): Person {
  const id = lastBase0PersonId(config, i) + FIRST_PERSON_ID;
  const name = PERSON_NAMES[rng.nextInt(PERSON_NAMES.length / LAST_NAMES.length) * LAST_NAMES.length + rng.nextInt(LAST_NAMES.length)]!;
  const words = config.wordPool;
  const emailAddress = `${nextString(words, rng, 7)}@${nextString(words, rng, 5)}.com`;
  const creditCard = `${FOUR_DIGITS[rng.nextInt(10_000)]!} ${FOUR_DIGITS[rng.nextInt(10_000)]!} ${FOUR_DIGITS[rng.nextInt(10_000)]!} ${FOUR_DIGITS[rng.nextInt(10_000)]!}`;
  const city = US_CITIES[rng.nextInt(US_CITIES.length)]!;
  const state = US_STATES[rng.nextInt(US_STATES.length)]!;
  const currentSize = 8 + name.length + emailAddress.length + creditCard.length + city.length + state.length;
  const extra = nextExtra(config.extraPool, rng, currentSize, config.avgPersonByteSize);
  return { id, name, emailAddress, creditCard, city, state, dateTime: timestamp, extra };
}
