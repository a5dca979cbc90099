/**
 * Nexmark q3, local item suggestion: who sells in category 10 from OR, ID or CA, and which auctions.
 *
 * SQL: `SELECT P.name, P.city, P.state, A.id FROM auction A JOIN person P ON A.seller = P.id
 * WHERE A.category = 10 AND P.state IN ('OR', 'ID', 'CA')` — a regular (unwindowed) join. Here:
 * auctions of category 10 (filtered first) and persons, connected and keyed by person id, joined in
 * a keyed co-process function. Either side may come first (a seller may be drawn "from the future",
 * and splits interleave); each (person, auction) pair is emitted once, when its second half arrives.
 *
 * State per person id (uid `q3-join`):
 * - `person`: the person's name, city and state once it arrived; a person outside OR/ID/CA is kept
 *   as {@link NON_LOCAL} (empty fields), so later auctions of theirs are dropped at once instead of
 *   waiting forever. As in Flink's regular join, this grows with the number of persons (one small
 *   record each); nothing else is unbounded.
 * - `pending`: ids of category-10 auctions that arrived before their seller; emptied when the seller
 *   arrives.
 */
import type { KeyedCoProcessFunction } from '../../api/functions.js';
import type { Auction, Person } from '../../connectors/nexmark/index.js';
import { listState, valueState } from '../../state/descriptors.js';
import { Serializers } from '../../state/serializers.js';
import type { ListState, ValueState } from '../../state/types.js';
import { personSummarySerializer, type PersonSummary } from '../nexmark-serializers.js';
import { nexmarkStreams } from '../source-setup.js';
import type { NexmarkQuery } from './nexmark-query.js';

/** One q3 result: a local seller and one of their category-10 auctions. */
export interface LocalItem {
  readonly name: string;
  readonly city: string;
  readonly state: string;
  /** Auction id. */
  readonly id: number;
}

/** The category q3 selects. */
export const Q3_CATEGORY = 10;
/** The seller states q3 selects. */
export const Q3_STATES: readonly string[] = ['OR', 'ID', 'CA'];

/** Stored for a person outside {@link Q3_STATES}: never matches. */
const NON_LOCAL: PersonSummary = Object.freeze({ name: '', city: '', state: '' });

const isCategory = (a: Auction): boolean => a.category === Q3_CATEGORY;
const personId = (p: Person): number => p.id;
const sellerId = (a: Auction): number => a.seller;

type Q3Join = KeyedCoProcessFunction<number, Person, Auction, LocalItem> & {
  person?: ValueState<PersonSummary>;
  pending?: ListState<number>;
};

const q3Join: Q3Join = {
  open(rt) {
    this.person = rt.getState(valueState('person', personSummarySerializer));
    this.pending = rt.getListState(listState('pending', Serializers.number));
  },
  processElement1(p, _ctx, out) {
    const local = Q3_STATES.includes(p.state);
    const summary: PersonSummary = local ? { name: p.name, city: p.city, state: p.state } : NON_LOCAL;
    this.person!.update(summary);
    const waiting = this.pending!.get();
    if (waiting.length === 0) return;
    this.pending!.clear();
    if (!local) return;
    for (const id of waiting) out.collect({ name: p.name, city: p.city, state: p.state, id });
  },
  processElement2(a, _ctx, out) {
    const p = this.person!.value();
    if (p === undefined) this.pending!.add(a.id);
    else if (p.state !== '') out.collect({ name: p.name, city: p.city, state: p.state, id: a.id });
  },
};

export const q3: NexmarkQuery<LocalItem> = {
  name: 'q3',
  description: 'local item suggestion: sellers in OR/ID/CA joined with their category-10 auctions (regular join, both arrival orders)',
  stateful: true,
  build(env, options) {
    const streams = nexmarkStreams(env, options);
    const auctions = streams.auctions.filter(isCategory, { name: 'q3-category' });
    return streams.persons
      .connect(auctions)
      .keyBy(personId, sellerId)
      .process(q3Join, { uid: 'q3-join', name: 'q3-join' });
  },
  format(r) {
    return `${r.name},${r.city},${r.state},${r.id}`;
  },
};
