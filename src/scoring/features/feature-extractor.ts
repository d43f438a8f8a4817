/**
 * The one implementation of the feature contract (feature-names.ts), shared
 * by training and serving so a model never sees skewed features.
 *
 * Features of an invoice are computed from the state *before* it (its own
 * amount never counts in its own window or mean); `observe` then folds it
 * in. Everything is pure arithmetic over the invoice sequence: the same
 * invoices in the same order give bit-identical Float32 vectors, whatever
 * the wall clock or the process's earlier history (evictions, checkpoints).
 */
import { decodeFeatureState } from './feature-checkpoint.ts';
import { FEATURE_COUNT, FEATURE_NAMES } from './feature-names.ts';
import type { FeatureName, ScoringInvoice } from './feature-names.ts';
import { DAY_RING, F64_STRIDE, F_FIRST_MICROS, F_ISSUED, F_M2, F_MEAN, HOUR_RING, RECEIVED_RING } from './customer-table.ts';
import { FeatureState, observeParsed, ringWindow } from './feature-state.ts';
import type { FeatureStateOptions } from './feature-state.ts';
import { emptyParsedInvoice, parseInvoice } from './parsed-invoice.ts';
import type { ParsedInvoice } from './parsed-invoice.ts';
import { MICROS_PER_DAY, utcDayOfWeek, utcHourOfDay } from './feature-time.ts';

/** Options of {@link FeatureExtractor}. */
export type FeatureExtractorOptions = FeatureStateOptions;

/** |amount_zscore| is capped here: a constant-amount issuer (std 0) would otherwise give ±Infinity. */
export const ZSCORE_CAP = 50;

/** Column of each feature, looked up by name so a reordered contract cannot silently swap columns. */
const COL = Object.fromEntries(FEATURE_NAMES.map((name, i) => [name, i])) as Record<FeatureName, number>;

/** Stateful, bounded-memory feature extraction over an invoice stream. */
export class FeatureExtractor {
  /** The whole state; feature-checkpoint.ts serialises it. */
  readonly state: FeatureState;
  private readonly scratch: ParsedInvoice = emptyParsedInvoice();

  /** A fresh extractor (`restored` is for {@link FeatureExtractor.restore} only). */
  constructor(options: FeatureExtractorOptions = {}, restored?: FeatureState) {
    this.state = restored ?? new FeatureState(options);
  }

  /** An extractor continuing exactly where the checkpointed one stopped (see feature-checkpoint.ts). */
  static restore(bytes: Uint8Array): FeatureExtractor {
    return new FeatureExtractor({}, decodeFeatureState(bytes));
  }

  /** Customers currently held in memory. */
  get customerCount(): number {
    return this.state.customers.size;
  }

  /** Features of `invoice` from the state before it; the state is unchanged. */
  extract(invoice: ScoringInvoice): Float32Array {
    const out = new Float32Array(FEATURE_COUNT);
    this.extractInto(invoice, out, 0);
    return out;
  }

  /** Like {@link extract}, writing the row at `out[offset … offset + FEATURE_COUNT)`. */
  extractInto(invoice: ScoringInvoice, out: Float32Array, offset = 0): void {
    const p = parseInvoice(invoice, this.scratch);
    const issuer = this.state.customers.find(p.issuerLo, p.issuerHi);
    const receiver = p.selfInvoice ? issuer : this.state.customers.find(p.receiverLo, p.receiverHi);
    writeFeatures(this.state, p, issuer, receiver, out, offset);
  }

  /** Folds `invoice` into the state, so later invoices see it. */
  observe(invoice: ScoringInvoice): void {
    const p = parseInvoice(invoice, this.scratch);
    const issuer = this.state.customers.find(p.issuerLo, p.issuerHi);
    const receiver = p.selfInvoice ? issuer : this.state.customers.find(p.receiverLo, p.receiverHi);
    observeParsed(this.state, p, issuer, receiver);
  }

  /** extract, then observe: the serving path. */
  next(invoice: ScoringInvoice): Float32Array {
    const out = new Float32Array(FEATURE_COUNT);
    this.nextInto(invoice, out, 0);
    return out;
  }

  /** {@link next} into a caller's buffer; one parse and one pair of lookups serve both steps. */
  nextInto(invoice: ScoringInvoice, out: Float32Array, offset = 0): void {
    const p = parseInvoice(invoice, this.scratch);
    const issuer = this.state.customers.find(p.issuerLo, p.issuerHi);
    const receiver = p.selfInvoice ? issuer : this.state.customers.find(p.receiverLo, p.receiverHi);
    writeFeatures(this.state, p, issuer, receiver, out, offset);
    observeParsed(this.state, p, issuer, receiver);
  }

  /**
   * Row-major `[N, FEATURE_COUNT]` features of `invoices`, processed in order
   * (row k sees invoices 0 … k−1 and everything observed before the call),
   * observing each. Writes into `out` when given (at least N × F long; a
   * longer buffer is returned as a view of the first N rows).
   */
  extractBatch(invoices: readonly ScoringInvoice[], out?: Float32Array): Float32Array {
    const length = invoices.length * FEATURE_COUNT;
    if (out !== undefined && out.length < length) {
      throw new RangeError(`output buffer holds ${out.length} values, ${invoices.length} rows need ${length}`);
    }
    const rows = out === undefined ? new Float32Array(length) : out.length === length ? out : out.subarray(0, length);
    for (let k = 0; k < invoices.length; k++) {
      const invoice = invoices[k];
      if (invoice !== undefined) this.nextInto(invoice, rows, k * FEATURE_COUNT);
    }
    return rows;
  }
}

/** Scratch [count, cents] for window sums (single-threaded, so one buffer serves every call). */
const sums = new Float64Array(2);

/** Computes one feature row from the state before the invoice (`issuer`/`receiver` = record index or -1). */
function writeFeatures(state: FeatureState, p: ParsedInvoice, issuer: number, receiver: number, out: Float32Array, offset: number): void {
  const t = state.customers;
  const usd = p.cents / 100;
  const f = issuer * F64_STRIDE;
  const n = issuer < 0 ? 0 : (t.f64[f + F_ISSUED] ?? 0);
  const mean = issuer < 0 ? 0 : (t.f64[f + F_MEAN] ?? 0);

  ringWindow(t, issuer, HOUR_RING, p.hour, sums);
  out[offset + COL.issuer_count_24h] = sums[0] ?? 0;
  out[offset + COL.issuer_amount_24h] = (sums[1] ?? 0) / 100;
  ringWindow(t, issuer, DAY_RING, p.day, sums);
  out[offset + COL.issuer_count_30d] = sums[0] ?? 0;
  out[offset + COL.issuer_amount_30d] = (sums[1] ?? 0) / 100;
  ringWindow(t, receiver, RECEIVED_RING, p.day, sums);
  out[offset + COL.receiver_count_30d] = sums[0] ?? 0;
  out[offset + COL.pair_seen_before] = state.pairs.has(p.issuerLo, p.issuerHi, p.receiverLo, p.receiverHi) ? 1 : 0;
  out[offset + COL.amount_zscore] = n < 2 ? 0 : zscore(usd, mean, Math.sqrt((t.f64[f + F_M2] ?? 0) / (n - 1)));
  // A non-positive mean (credit notes) has no meaningful ratio: report "typical".
  out[offset + COL.amount_to_issuer_mean] = n === 0 || !(mean > 0) ? 1 : usd / mean;
  out[offset + COL.hour_of_day] = utcHourOfDay(p.micros);
  out[offset + COL.day_of_week] = utcDayOfWeek(p.micros);
  out[offset + COL.is_round_amount] = p.cents % 10_000 === 0 ? 1 : 0;
  // Fractional days; a late invoice dated before the first one seen reads 0, never negative.
  out[offset + COL.days_since_issuer_first] = n === 0 ? 0 : Math.max(0, (p.micros - (t.f64[f + F_FIRST_MICROS] ?? 0)) / MICROS_PER_DAY);
  out[offset + COL.is_self_invoice] = p.selfInvoice ? 1 : 0;
  // Sign-preserving, so a credit note of −X mirrors an invoice of X instead of producing NaN.
  out[offset + COL.log_amount] = usd >= 0 ? Math.log10(1 + usd) : -Math.log10(1 - usd);
  out[offset + COL.issuer_prior_count] = n;
}

/** (x − mean) / std capped at ±ZSCORE_CAP; with std 0 any difference is maximally unusual. */
function zscore(x: number, mean: number, std: number): number {
  if (std > 0) return Math.max(-ZSCORE_CAP, Math.min(ZSCORE_CAP, (x - mean) / std));
  return x === mean ? 0 : x > mean ? ZSCORE_CAP : -ZSCORE_CAP;
}
