/**
 * Per-customer feature state: fixed-size records in one flat buffer.
 *
 * Each customer is a record of RECORD_BYTES at a dense index, read through
 * three views of the same buffer (f64, u32, i32). One record is contiguous,
 * so an invoice touches a dozen neighbouring cache lines instead of one per
 * field array, and the garbage collector never walks millions of objects.
 * An open-addressing hash table (linear probing) maps the 64-bit customer
 * id, held as two 32-bit halves so lookups never allocate a BigInt, to the
 * index.
 *
 * Record layout (824 bytes, plus 8–16 bytes of hash slots per customer):
 *   u32 0 id low · i32 1 id high · i32 2 lastActiveDay (FREE marks a
 *   reusable record) · i32 3/4/5 newest bucket of the hour / day / received
 *   rings · f64 3 invoices issued · f64 4 Welford mean (USD) · f64 5 Welford
 *   M2 · f64 6 earliest issue date (µs) · f64 7..30 cents per hour ·
 *   f64 31..60 cents per day · u32 122..145 invoices per hour ·
 *   u32 146..175 invoices per day · u32 176..205 invoices received per day.
 * Ring semantics live in feature-state.ts.
 */
import { DAYS_IN_WINDOW, HOURS_IN_WINDOW } from './feature-time.ts';
import { mix32 } from '../../source/populate/prng.ts';

/** Sentinel bucket index: the ring holds no event yet. As lastActiveDay it marks a free record. */
export const EMPTY = -2147483648;

/** Bytes per customer record. */
export const RECORD_BYTES = 824;
/** Record stride in the f64 view. */
export const F64_STRIDE = RECORD_BYTES / 8;
/** Record stride in the u32 / i32 views. */
export const U32_STRIDE = RECORD_BYTES / 4;

/** u32 index in a record: low 32 bits of the customer id. */
export const U_KEY_LO = 0;
/** i32 index in a record: high 32 bits of the customer id (signed). */
export const U_KEY_HI = 1;
/** i32 index in a record: latest UTC day the customer issued or received (EMPTY = free record). */
export const U_LAST_ACTIVE = 2;
/** f64 index in a record: invoices issued, all time. */
export const F_ISSUED = 3;
/** f64 index in a record: Welford running mean of issued amounts, USD. */
export const F_MEAN = 4;
/** f64 index in a record: Welford M2 (sum of squared deviations) of issued amounts. */
export const F_M2 = 5;
/** f64 index in a record: earliest issue date seen, µs. */
export const F_FIRST_MICROS = 6;

/** Where a ring lives in the record: newest-bucket field (i32), counts (u32), cents (f64, -1 for none). */
export interface RingLayout {
  readonly newest: number;
  readonly counts: number;
  readonly cents: number;
  readonly size: number;
}

/** Invoices issued (and their cents) per UTC hour. */
export const HOUR_RING: RingLayout = { newest: 3, counts: 122, cents: 7, size: HOURS_IN_WINDOW };
/** Invoices issued (and their cents) per UTC day. */
export const DAY_RING: RingLayout = { newest: 4, counts: 146, cents: 31, size: DAYS_IN_WINDOW };
/** Invoices received per UTC day. */
export const RECEIVED_RING: RingLayout = { newest: 5, counts: 176, cents: -1, size: DAYS_IN_WINDOW };

const INITIAL_CAPACITY = 1024;

/** The hash of a customer key; both halves are mixed so sequential ids spread evenly. */
function hashKey(lo: number, hi: number): number {
  return mix32((lo ^ mix32((hi ^ 0x9e3779b9) >>> 0)) >>> 0);
}

/** Fixed-record customer storage with a 64-bit-key hash index. */
export class CustomerTable {
  /** Live customers. */
  size = 0;
  /** Records allocated (live + free); grows by doubling up to `maxRecords`. */
  capacity = 0;
  f64 = new Float64Array(0);
  u32 = new Uint32Array(0);
  i32 = new Int32Array(0);
  /** Records handed out so far; records at or above it were never used. */
  private used = 0;
  /** Freed records, reused last-in first-out. */
  private readonly free: number[] = [];
  private slots = new Int32Array(0);
  private mask = 0;

  /** A table that never holds more than `maxRecords` customers at once. */
  constructor(readonly maxRecords: number) {
    this.grow(Math.min(INITIAL_CAPACITY, maxRecords));
  }

  /** The record index of a customer, or -1. */
  find(lo: number, hi: number): number {
    const { slots, mask, u32, i32 } = this;
    for (let s = hashKey(lo, hi) & mask; ; s = (s + 1) & mask) {
      const index = slots[s] ?? -1;
      if (index === -1) return -1;
      const base = index * U32_STRIDE;
      if (u32[base + U_KEY_LO] === lo && i32[base + U_KEY_HI] === hi) return index;
    }
  }

  /** Adds a customer that is not present, active on `day`, and returns its fresh record; the caller keeps size < maxRecords. */
  insert(lo: number, hi: number, day: number): number {
    if (this.size >= this.maxRecords) throw new RangeError(`customer table is full (${this.maxRecords})`);
    let index = this.free.pop();
    if (index === undefined) {
      if (this.used === this.capacity) this.grow(Math.min(this.capacity * 2, this.maxRecords));
      index = this.used++;
    }
    const u = index * U32_STRIDE;
    const f = index * F64_STRIDE;
    this.u32[u + U_KEY_LO] = lo;
    this.i32[u + U_KEY_HI] = hi;
    this.i32[u + U_LAST_ACTIVE] = day;
    this.f64.fill(0, f + F_ISSUED, f + F_FIRST_MICROS + 1);
    // Stale ring slots need no clearing: the first event of an EMPTY ring clears it.
    this.i32[u + HOUR_RING.newest] = EMPTY;
    this.i32[u + DAY_RING.newest] = EMPTY;
    this.i32[u + RECEIVED_RING.newest] = EMPTY;
    this.size += 1;
    this.place(index);
    return index;
  }

  /** Makes room for `records` records at once (a restore knows its size; doubling would copy repeatedly). */
  reserve(records: number): void {
    if (records > this.capacity) this.grow(Math.min(records, this.maxRecords));
  }

  /** Record indexes of live customers in index order (the order checkpoints use). */
  liveIndexes(): number[] {
    const live: number[] = [];
    for (let i = 0; i < this.used; i++) if (this.isLive(i)) live.push(i);
    return live;
  }

  /** True for a record holding a customer (a real day is never EMPTY, so it doubles as the free mark). */
  isLive(index: number): boolean {
    return index < this.used && this.i32[index * U32_STRIDE + U_LAST_ACTIVE] !== EMPTY;
  }

  /** The customer's most recent activity day. */
  lastActiveDay(index: number): number {
    return this.i32[index * U32_STRIDE + U_LAST_ACTIVE] ?? EMPTY;
  }

  /** Low and high 32 bits of the customer's id. */
  keyOf(index: number): [lo: number, hi: number] {
    return [this.u32[index * U32_STRIDE + U_KEY_LO] ?? 0, this.i32[index * U32_STRIDE + U_KEY_HI] ?? 0];
  }

  /** Frees the given records and rebuilds the hash index (linear probing has no cheap delete). */
  remove(indexes: readonly number[]): void {
    for (const index of indexes) {
      if (!this.isLive(index)) continue;
      this.i32[index * U32_STRIDE + U_LAST_ACTIVE] = EMPTY;
      this.free.push(index);
      this.size -= 1;
    }
    this.slots.fill(-1);
    for (let i = 0; i < this.used; i++) if (this.isLive(i)) this.place(i);
  }

  private place(index: number): void {
    const { slots, mask } = this;
    const base = index * U32_STRIDE;
    let s = hashKey(this.u32[base + U_KEY_LO] ?? 0, this.i32[base + U_KEY_HI] ?? 0) & mask;
    while ((slots[s] ?? -1) !== -1) s = (s + 1) & mask;
    slots[s] = index;
  }

  private grow(records: number): void {
    const buffer = new ArrayBuffer(records * RECORD_BYTES);
    new Uint8Array(buffer).set(new Uint8Array(this.f64.buffer, 0, this.used * RECORD_BYTES));
    this.f64 = new Float64Array(buffer);
    this.u32 = new Uint32Array(buffer);
    this.i32 = new Int32Array(buffer);
    this.capacity = records;
    // A load factor of at most 1/2 keeps linear-probing chains short.
    let slotCount = 2;
    while (slotCount < records * 2) slotCount *= 2;
    this.slots = new Int32Array(slotCount).fill(-1);
    this.mask = slotCount - 1;
    for (let i = 0; i < this.used; i++) if (this.isLive(i)) this.place(i);
  }
}
