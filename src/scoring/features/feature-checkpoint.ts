/**
 * Feature state checkpoints: the stream stores these bytes with each lake
 * commit, so after a restart the extractor resumes with exactly the state
 * the committed invoices left and scores the next invoices bit-identically
 * to a process that never stopped.
 *
 * Format (little-endian), version 1:
 *   header   "IXFS" · u16 version · u16 FEATURE_COUNT · u8 24 · u8 30
 *            · u32 maxCustomers · u8 pairBitsLog2 · u8 pairProbes
 *            · f64 newestMicros · f64 evictedCustomers
 *   pairs    u32 non-zero words · u8 mode: 0 all words as u32,
 *            1 per non-zero word varint gap from the previous one + u32 word
 *   customers u32 count, then per customer:
 *            u32 idLow · i32 idHigh · i32 lastActiveDay · f64 issued · f64 mean · f64 M2 · f64 firstMicros
 *            · 3 rings (hour 24, day 30, received 30): i32 newest bucket,
 *              and unless EMPTY a u32 mask of non-zero slots, then per set
 *              slot a varint count (and f64 cents for the two issued rings)
 *   trailer  u32 FNV-1a of everything before it
 * Only live customers and non-zero slots are written, so a small or sparse
 * state stays small (the 8 MiB pair bitmap shrinks to its set words).
 */
import { LakeError } from '../../errors/lake-error.ts';
import {
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
  U_KEY_HI,
  U_KEY_LO,
  U_LAST_ACTIVE,
} from './customer-table.ts';
import type { CustomerTable, RingLayout } from './customer-table.ts';
import { ByteReader, ByteWriter, fnv1a } from './feature-bytes.ts';
import type { FeatureExtractor } from './feature-extractor.ts';
import { FEATURE_COUNT } from './feature-names.ts';
import { FeatureState } from './feature-state.ts';
import { DAYS_IN_WINDOW, HOURS_IN_WINDOW } from './feature-time.ts';
import { PairFilter } from './pair-filter.ts';

/** First bytes of every checkpoint. */
export const CHECKPOINT_MAGIC = 'IXFS';
/** Bumped on any layout or semantics change; older versions are refused, never misread. */
export const CHECKPOINT_VERSION = 1;

const MODE_DENSE = 0;
const MODE_SPARSE = 1;

/** The extractor's whole state as a compact, versioned binary checkpoint. */
export function serializeFeatureState(extractor: FeatureExtractor): Uint8Array {
  return encodeFeatureState(extractor.state);
}

/** Encodes a feature state (see the format above). */
export function encodeFeatureState(state: FeatureState): Uint8Array {
  return encodeFeatureImage(featureStateImage(state, { copy: false }));
}

/**
 * What a checkpoint holds, as plain numbers and arrays: a copy taken at a
 * commit boundary (a few memcpys) can be encoded on another thread while
 * the live state moves on.
 */
export interface FeatureStateImage {
  maxCustomers: number;
  newestMicros: number;
  evictedCustomers: number;
  pairBitsLog2: number;
  pairProbes: number;
  pairWords: Uint32Array;
  /** The customer records (f64/u32/i32 views of one buffer), up to the last used one. */
  records: ArrayBuffer;
  live: Int32Array;
}

export function featureStateImage(state: FeatureState, options: { copy: boolean }): FeatureStateImage {
  const t = state.customers;
  const live = Int32Array.from(t.liveIndexes());
  const usedBytes = live.length === 0 ? 0 : (live[live.length - 1]! + 1) * F64_STRIDE * 8;
  return {
    maxCustomers: state.maxCustomers,
    newestMicros: state.newestMicros,
    evictedCustomers: state.evictedCustomers,
    pairBitsLog2: state.pairs.bitsLog2,
    pairProbes: state.pairs.probes,
    pairWords: options.copy ? state.pairs.words.slice() : state.pairs.words,
    records: options.copy ? t.f64.buffer.slice(0, usedBytes) : t.f64.buffer,
    live,
  };
}

/** The transferable buffers of an image. */
export function featureImageTransferables(image: FeatureStateImage): ArrayBuffer[] {
  return [image.pairWords.buffer as ArrayBuffer, image.records, image.live.buffer as ArrayBuffer];
}

/** Encodes a feature state image (see the format above). */
export function encodeFeatureImage(image: FeatureStateImage): Uint8Array {
  const w = new ByteWriter();
  for (let i = 0; i < 4; i++) w.u8(CHECKPOINT_MAGIC.charCodeAt(i));
  w.u16(CHECKPOINT_VERSION);
  w.u16(FEATURE_COUNT);
  w.u8(HOURS_IN_WINDOW);
  w.u8(DAYS_IN_WINDOW);
  w.u32(image.maxCustomers);
  w.u8(image.pairBitsLog2);
  w.u8(image.pairProbes);
  w.f64(image.newestMicros);
  w.f64(image.evictedCustomers);
  writePairs(w, image.pairWords);
  const t: RecordViews = { f64: new Float64Array(image.records), u32: new Uint32Array(image.records), i32: new Int32Array(image.records) };
  const live = image.live;
  w.u32(live.length);
  for (const i of live) {
    const u = i * U32_STRIDE;
    const f = i * F64_STRIDE;
    w.u32(t.u32[u + U_KEY_LO] ?? 0);
    w.i32(t.i32[u + U_KEY_HI] ?? 0);
    w.i32(t.i32[u + U_LAST_ACTIVE] ?? 0);
    for (const field of RECORD_F64_FIELDS) w.f64(t.f64[f + field] ?? 0);
    for (const ring of RINGS) writeRing(w, t, i, ring);
  }
  const body = w.finish();
  const out = new Uint8Array(body.length + 4);
  out.set(body);
  new DataView(out.buffer).setUint32(body.length, fnv1a(body), true);
  return out;
}

/** Decodes a checkpoint into a fresh state; throws a LakeError on any mismatch or corruption. */
export function decodeFeatureState(bytes: Uint8Array): FeatureState {
  const fail = (message: string): never => {
    throw new LakeError('internal', `feature checkpoint: ${message}`, {
      hint: 'discard the checkpoint and rebuild the feature state by replaying the invoices',
    });
  };
  if (bytes.length < 8) fail(`too short (${bytes.length} bytes)`);
  const bodyLength = bytes.length - 4;
  const stored = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(bodyLength, true);
  const r = new ByteReader(bytes.subarray(0, bodyLength), fail);
  const magic = String.fromCharCode(r.u8(), r.u8(), r.u8(), r.u8());
  if (magic !== CHECKPOINT_MAGIC) fail(`not a feature checkpoint (magic ${JSON.stringify(magic)})`);
  const version = r.u16();
  if (version !== CHECKPOINT_VERSION) fail(`unsupported version ${version} (this build reads ${CHECKPOINT_VERSION})`);
  if (fnv1a(bytes, bodyLength) !== stored) fail('checksum mismatch (torn or corrupted)');
  const features = r.u16();
  if (features !== FEATURE_COUNT) fail(`written for ${features} features, this build has ${FEATURE_COUNT}`);
  if (r.u8() !== HOURS_IN_WINDOW || r.u8() !== DAYS_IN_WINDOW) fail('window bucket counts differ from this build');
  const maxCustomers = r.u32();
  const bitsLog2 = r.u8();
  const probes = r.u8();
  if (bitsLog2 < 16 || bitsLog2 > 32 || probes < 1 || probes > 8) fail(`invalid pair filter 2^${bitsLog2} bits × ${probes}`);
  if (maxCustomers < 2 || maxCustomers > 2 ** 31 - 1) fail(`invalid maxCustomers ${maxCustomers}`);
  const newestMicros = r.f64();
  const evictedCustomers = r.f64();
  // The bitmap comes before the customers so they can be read straight into the new state.
  const words = readPairs(r, 2 ** (bitsLog2 - 5));
  const state = new FeatureState({ maxCustomers }, new PairFilter(bitsLog2, probes, words));
  state.newestMicros = newestMicros;
  state.evictedCustomers = evictedCustomers;
  const count = r.u32();
  if (count > maxCustomers) fail(`${count} customers exceed maxCustomers ${maxCustomers}`);
  state.customers.reserve(count);
  for (let k = 0; k < count; k++) readCustomer(r, state.customers);
  if (r.remaining !== 0) fail(`${r.remaining} unexpected trailing bytes`);
  return state;
}

/** The record's f64 scalars, in checkpoint order. */
const RECORD_F64_FIELDS = [F_ISSUED, F_MEAN, F_M2, F_FIRST_MICROS] as const;
/** The rings, in checkpoint order. */
const RINGS = [HOUR_RING, DAY_RING, RECEIVED_RING] as const;

/** Typed views of customer records (a CustomerTable, or a copy of its records). */
type RecordViews = Pick<CustomerTable, 'f64' | 'u32' | 'i32'>;

function writeRing(w: ByteWriter, t: RecordViews, index: number, ring: RingLayout): void {
  const top = t.i32[index * U32_STRIDE + ring.newest] ?? EMPTY;
  w.i32(top);
  if (top === EMPTY) return;
  const counts = index * U32_STRIDE + ring.counts;
  const cents = index * F64_STRIDE + ring.cents;
  let mask = 0;
  for (let s = 0; s < ring.size; s++) if ((t.u32[counts + s] ?? 0) !== 0) mask |= 1 << s;
  w.u32(mask >>> 0);
  for (let s = 0; s < ring.size; s++) {
    if ((mask & (1 << s)) === 0) continue;
    w.varuint(t.u32[counts + s] ?? 0);
    if (ring.cents >= 0) w.f64(t.f64[cents + s] ?? 0);
  }
}

/** Reads a ring written by writeRing straight into record `index`. */
function readRing(r: ByteReader, t: CustomerTable, index: number, ring: RingLayout): void {
  const counts = index * U32_STRIDE + ring.counts;
  const cents = index * F64_STRIDE + ring.cents;
  t.u32.fill(0, counts, counts + ring.size);
  if (ring.cents >= 0) t.f64.fill(0, cents, cents + ring.size);
  const top = r.i32();
  t.i32[index * U32_STRIDE + ring.newest] = top;
  if (top === EMPTY) return;
  const mask = r.u32();
  if (mask >>> ring.size !== 0) r.fail(`ring mask ${mask} has slots beyond ${ring.size}`);
  for (let s = 0; s < ring.size; s++) {
    if ((mask & (1 << s)) === 0) continue;
    t.u32[counts + s] = r.varuint();
    if (ring.cents >= 0) t.f64[cents + s] = r.f64();
  }
}

/** Reads one customer record into the table. */
function readCustomer(r: ByteReader, t: CustomerTable): void {
  const lo = r.u32();
  const hi = r.i32();
  const lastActiveDay = r.i32();
  if (lastActiveDay === EMPTY) r.fail('customer record without activity');
  if (t.find(lo, hi) !== -1) r.fail(`customer ${lo}/${hi} appears twice`);
  const i = t.insert(lo, hi, lastActiveDay);
  for (const field of RECORD_F64_FIELDS) t.f64[i * F64_STRIDE + field] = r.f64();
  for (const ring of RINGS) readRing(r, t, i, ring);
}

function writePairs(w: ByteWriter, words: Uint32Array): void {
  let nonZero = 0;
  for (let i = 0; i < words.length; i++) if (words[i] !== 0) nonZero += 1;
  w.u32(nonZero);
  // A sparse entry costs ≈ 6 bytes against 4 per word when dense.
  if (nonZero * 6 < words.length * 4) {
    w.u8(MODE_SPARSE);
    let previous = -1;
    for (let i = 0; i < words.length; i++) {
      const word = words[i] ?? 0;
      if (word === 0) continue;
      w.varuint(i - previous);
      w.u32(word);
      previous = i;
    }
  } else {
    w.u8(MODE_DENSE);
    for (let i = 0; i < words.length; i++) w.u32(words[i] ?? 0);
  }
}

function readPairs(r: ByteReader, wordCount: number): Uint32Array {
  const nonZero = r.u32();
  const mode = r.u8();
  const words = new Uint32Array(wordCount);
  if (mode === MODE_DENSE) {
    for (let i = 0; i < wordCount; i++) words[i] = r.u32();
  } else if (mode === MODE_SPARSE) {
    let index = -1;
    for (let k = 0; k < nonZero; k++) {
      index += r.varuint();
      if (index >= wordCount) r.fail(`pair bitmap word ${index} beyond ${wordCount}`);
      words[index] = r.u32();
    }
  } else {
    r.fail(`unknown pair bitmap mode ${mode}`);
  }
  return words;
}
