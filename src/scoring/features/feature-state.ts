/**
 * The bounded state behind the features, and how one invoice updates it.
 *
 * Window semantics (what "the 24 h / 30 days before this invoice" means):
 *  - Time is cut into UTC buckets: hours (floor(t / 1 h)) and days
 *    (floor(t / 24 h)) since the epoch. A bucket index is absolute, so
 *    midnight, month and year ends are nothing special.
 *  - For an invoice in hour bucket H, the 24 h window is buckets H−23 … H:
 *    its own clock hour plus the 23 whole hours before. An invoice issued
 *    23 h earlier therefore always counts, one issued 24 h or more earlier
 *    never does (the window reaches back between 23 and 24 h). Likewise the
 *    30 d window of an invoice on UTC day D is days D−29 … D.
 *  - Counted are invoices observed before this one (stream order) whose
 *    bucket lies in the window. A same-bucket invoice counts even if its
 *    timestamp is a little later (a bucket has no finer time); an invoice in
 *    a later bucket (out of order) is not "before" this one and is excluded.
 *  - Each ring keeps the buckets newest−size+1 … newest of its customer, each
 *    slot keyed by its bucket index (slot = index mod size). A late invoice
 *    whose bucket is still in that range lands in its own bucket; an older
 *    one updates only the all-time stats. A late invoice sees the part of
 *    its window the ring still holds.
 *
 * Memory is bounded: at most `maxCustomers` records of fixed size
 * (customer-table.ts) plus the fixed pair bitmap (pair-filter.ts).
 */
import {
  CustomerTable,
  DAY_RING,
  EMPTY,
  F64_STRIDE,
  F_FIRST_MICROS,
  F_ISSUED,
  F_M2,
  F_MEAN,
  HOUR_RING,
  RECEIVED_RING,
  U32_STRIDE,
  U_LAST_ACTIVE,
} from './customer-table.ts';
import type { RingLayout } from './customer-table.ts';
import { dayIndex, DAYS_IN_WINDOW, ringSlot } from './feature-time.ts';
import { PairFilter } from './pair-filter.ts';
import type { ParsedInvoice } from './parsed-invoice.ts';

/** Default bound on customers held in memory (≈ 840 bytes each with the hash index, so ≈ 1.7 GB when full). */
export const DEFAULT_MAX_CUSTOMERS = 2_000_000;

/** Options of the feature state. */
export interface FeatureStateOptions {
  /**
   * Most customers kept at once (>= 2); beyond it customers are evicted (see `evict`), and an evicted
   * customer's next invoice looks like a newcomer's, except for pair_seen_before (the bitmap keeps
   * pairs). Memory grows with the customers actually seen, up to this bound. Default 2,000,000.
   */
  maxCustomers?: number;
  /** log2 of the pair bitmap size in bits, 16..32. Default 26 (8 MiB). */
  pairBitsLog2?: number;
  /** Bit positions per pair, 1..8. Default 3. */
  pairProbes?: number;
}

/** Everything the extractor remembers; serialised whole by feature-checkpoint.ts. */
export class FeatureState {
  readonly maxCustomers: number;
  readonly customers: CustomerTable;
  readonly pairs: PairFilter;
  /** Latest issue date observed (µs); the clock eviction measures idleness against. */
  newestMicros = Number.NEGATIVE_INFINITY;
  /** Customers evicted so far (for metrics; features never read it). */
  evictedCustomers = 0;

  /** Fresh state, or one around a restored pair bitmap. */
  constructor(options: FeatureStateOptions = {}, pairs?: PairFilter) {
    const maxCustomers = options.maxCustomers ?? DEFAULT_MAX_CUSTOMERS;
    if (!Number.isSafeInteger(maxCustomers) || maxCustomers < 2 || maxCustomers > 2 ** 31 - 1) {
      throw new RangeError(`maxCustomers must be an integer in 2..2^31-1, got ${maxCustomers}`);
    }
    this.maxCustomers = maxCustomers;
    this.customers = new CustomerTable(maxCustomers);
    this.pairs = pairs ?? new PairFilter(options.pairBitsLog2, options.pairProbes);
  }
}

/** Adds one event to a customer's ring (see the window semantics above). */
function ringAdd(t: CustomerTable, index: number, ring: RingLayout, bucket: number, cents: number): void {
  const { i32, u32, f64 } = t;
  const { size } = ring;
  const newestAt = index * U32_STRIDE + ring.newest;
  const counts = index * U32_STRIDE + ring.counts;
  const amounts = ring.cents < 0 ? -1 : index * F64_STRIDE + ring.cents;
  const top = i32[newestAt] ?? EMPTY;
  if (top === EMPTY || bucket - top >= size) {
    u32.fill(0, counts, counts + size);
    if (amounts >= 0) f64.fill(0, amounts, amounts + size);
    i32[newestAt] = bucket;
  } else if (bucket > top) {
    // Slots of the buckets skipped over still hold events `size` buckets old: clear them.
    for (let b = top + 1; b <= bucket; b++) {
      const slot = ringSlot(b, size);
      u32[counts + slot] = 0;
      if (amounts >= 0) f64[amounts + slot] = 0;
    }
    i32[newestAt] = bucket;
  } else if (bucket <= top - size) {
    return;
  }
  const slot = ringSlot(bucket, size);
  u32[counts + slot] = (u32[counts + slot] ?? 0) + 1;
  if (amounts >= 0) f64[amounts + slot] = (f64[amounts + slot] ?? 0) + cents;
}

/**
 * Events and cents in the window of `ring.size` buckets ending at `bucket`,
 * limited to the buckets the ring still holds, into `sums` [count, cents]
 * (zeros for index -1). Cents are integers and their sums stay below 2^53,
 * so the float sums are exact whatever the order.
 */
export function ringWindow(t: CustomerTable, index: number, ring: RingLayout, bucket: number, sums: Float64Array): void {
  sums[0] = 0;
  sums[1] = 0;
  if (index < 0) return;
  const { size } = ring;
  const top = t.i32[index * U32_STRIDE + ring.newest] ?? EMPTY;
  if (top === EMPTY) return;
  const first = Math.max(bucket, top) - size + 1;
  const length = Math.min(bucket, top) - first + 1;
  const counts = index * U32_STRIDE + ring.counts;
  const amounts = index * F64_STRIDE + ring.cents;
  let count = 0;
  let cents = 0;
  // Walk the slots from the first bucket's, wrapping once, instead of a modulo per bucket.
  for (let k = 0, slot = ringSlot(first, size); k < length; k++, slot = slot + 1 === size ? 0 : slot + 1) {
    count += t.u32[counts + slot] ?? 0;
    if (ring.cents >= 0) cents += t.f64[amounts + slot] ?? 0;
  }
  sums[0] = count;
  sums[1] = cents;
}

/**
 * Frees at least `needed` records. First every customer idle for the whole
 * 30 d window ending at the newest issue date seen (losing only all-time
 * stats: their next invoice looks like a newcomer's). If that frees fewer
 * than `needed` or 1/64 of maxCustomers (so passes stay rare), the least
 * recently active customers (ties by id) go too, losing in-window counts.
 * Only data decides (days, ids), never record positions, so a restored
 * extractor evicts exactly the same customers.
 */
function evict(state: FeatureState, needed: number, protectA: number, protectB: number): void {
  const table = state.customers;
  const target = Math.max(needed, Math.ceil(state.maxCustomers / 64));
  const idleBefore = dayIndex(state.newestMicros) - (DAYS_IN_WINDOW - 1);
  const victims: number[] = [];
  const active: number[] = [];
  for (const i of table.liveIndexes()) {
    if (i === protectA || i === protectB) continue;
    if (table.lastActiveDay(i) < idleBefore) victims.push(i);
    else active.push(i);
  }
  if (victims.length < target) {
    active.sort((a, b) => {
      const [loA, hiA] = table.keyOf(a);
      const [loB, hiB] = table.keyOf(b);
      return table.lastActiveDay(a) - table.lastActiveDay(b) || hiA - hiB || loA - loB;
    });
    victims.push(...active.slice(0, target - victims.length));
  }
  table.remove(victims);
  state.evictedCustomers += victims.length;
}

/**
 * Folds one invoice into the state. `issuer` and `receiver` are their record
 * indexes from a lookup just before (-1 when absent), saving a second lookup.
 */
export function observeParsed(state: FeatureState, p: ParsedInvoice, issuer: number, receiver: number): void {
  const t = state.customers;
  if (p.micros > state.newestMicros) state.newestMicros = p.micros;
  const needed = (issuer < 0 ? 1 : 0) + (!p.selfInvoice && receiver < 0 ? 1 : 0);
  // Eviction frees records without moving the others, so the indexes stay valid.
  if (needed > 0 && t.size + needed > state.maxCustomers) evict(state, needed, issuer, receiver);
  if (issuer < 0) issuer = t.insert(p.issuerLo, p.issuerHi, p.day);
  if (p.selfInvoice) receiver = issuer;
  else if (receiver < 0) receiver = t.insert(p.receiverLo, p.receiverHi, p.day);
  const { i32, f64 } = t;
  const issuerActive = issuer * U32_STRIDE + U_LAST_ACTIVE;
  const receiverActive = receiver * U32_STRIDE + U_LAST_ACTIVE;
  if (p.day > (i32[issuerActive] ?? 0)) i32[issuerActive] = p.day;
  if (p.day > (i32[receiverActive] ?? 0)) i32[receiverActive] = p.day;

  // All-time issuer stats; Welford's update stays accurate where sum/sum-of-squares would cancel.
  const f = issuer * F64_STRIDE;
  const n = (f64[f + F_ISSUED] ?? 0) + 1;
  const usd = p.cents / 100;
  const mean = f64[f + F_MEAN] ?? 0;
  const delta = usd - mean;
  const nextMean = mean + delta / n;
  f64[f + F_MEAN] = nextMean;
  f64[f + F_M2] = (f64[f + F_M2] ?? 0) + delta * (usd - nextMean);
  f64[f + F_ISSUED] = n;
  if (n === 1 || p.micros < (f64[f + F_FIRST_MICROS] ?? 0)) f64[f + F_FIRST_MICROS] = p.micros;

  ringAdd(t, issuer, HOUR_RING, p.hour, p.cents);
  ringAdd(t, issuer, DAY_RING, p.day, p.cents);
  ringAdd(t, receiver, RECEIVED_RING, p.day, 0);
  state.pairs.add(p.issuerLo, p.issuerHi, p.receiverLo, p.receiverHi);
}
