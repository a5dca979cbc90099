/**
 * State serializers for Nexmark records kept by the queries: versioned record serializers (field
 * names recorded in snapshots), so a query's saved state stays readable if a record gains a field.
 */
import type { Auction, Bid, Person } from '../connectors/nexmark/index.js';
import { ByteFormatError, ByteReader } from '../state/byte-reader.js';
import { recordSerializer } from '../state/record-serializer.js';
import type { Serializer } from '../state/serializers.js';

/** A whole {@link Auction}. */
export const auctionSerializer = recordSerializer<Auction>({
  name: 'nexmark-auction',
  version: 1,
  fields: { id: {}, itemName: {}, description: {}, initialBid: {}, reserve: {}, dateTime: {}, expires: {}, seller: {}, category: {}, extra: {} },
});

/** A whole {@link Bid}. */
export const bidSerializer = recordSerializer<Bid>({
  name: 'nexmark-bid',
  version: 1,
  fields: { auction: {}, bidder: {}, price: {}, channel: {}, url: {}, dateTime: {}, extra: {} },
});

/** The part of a {@link Person} a seller join reports. */
export type PersonSummary = Pick<Person, 'name' | 'city' | 'state'>;

/** A {@link PersonSummary}. */
export const personSummarySerializer = recordSerializer<PersonSummary>({
  name: 'nexmark-person-summary',
  version: 1,
  fields: { name: {}, city: {}, state: {} },
});

/**
 * A list of bids, compactly: `varint n`, then per bid its four numbers as f64 (auction, bidder,
 * price, dateTime) and its three strings length-prefixed (channel, url, extra). Fixed fields, no
 * field names or tags: for accumulators rewritten on every record.
 */
export const bidListSerializer: Serializer<Bid[]> = {
  id: 'nexmark-bid-list@1',
  write(bids, out) {
    out.varint(bids.length);
    for (const b of bids) {
      out.f64(b.auction);
      out.f64(b.bidder);
      out.f64(b.price);
      out.f64(b.dateTime);
      out.string(b.channel);
      out.string(b.url);
      out.string(b.extra);
    }
  },
  read(buf, offset, length) {
    const r = new ByteReader(buf, offset, offset + length, 'nexmark-bid-list@1');
    const n = r.varint();
    if (n > length) throw new ByteFormatError(`nexmark-bid-list@1: ${n} bids in ${length} bytes`);
    const bids = new Array<Bid>(n);
    for (let i = 0; i < n; i++) {
      const auction = r.f64();
      const bidder = r.f64();
      const price = r.f64();
      const dateTime = r.f64();
      const channel = r.string();
      const url = r.string();
      const extra = r.string();
      bids[i] = { auction, bidder, price, channel, url, dateTime, extra };
    }
    if (r.remaining() !== 0) throw new ByteFormatError(`nexmark-bid-list@1: ${r.remaining()} trailing bytes`);
    return bids;
  },
};
