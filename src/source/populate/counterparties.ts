/**
 * Who invoices whom.
 *
 * Activity is Zipf-like: a customer's rank r in activity is picked with
 * probability about 1/(r+1) (exponent 1), so a handful of customers send a
 * large share of all invoices, mixed with a uniform share so every customer
 * trades now and then. Ranks are scattered over customer indexes by a
 * seed-dependent affine permutation, so the busiest customer is not always #0.
 *
 * Each issuer has 1..8 regular receivers (its clients), picked most of the
 * time, so issuer→receiver pairs repeat as in real invoicing; some regular
 * pairs are subscriptions that bill the same amount each time.
 */
import { hashUnit, normalFromUniforms } from './prng.ts';
import type { Rng } from './prng.ts';

/** Share of draws that follow the Zipf ranking rather than a uniform pick. */
const ZIPF_SHARE = 0.75;
/** Share of invoices sent to one of the issuer's regular receivers. */
const REGULAR_SHARE = 0.85;
const MAX_REGULARS = 8;
/** Share of regular pairs that are subscriptions with a fixed amount. */
const SUBSCRIPTION_SHARE = 0.3;
/** Spread of the per-issuer amount scale (log-normal sigma). */
const ISSUER_SCALE_SIGMA = 0.8;

const TAG_PERMUTATION = 201;
const TAG_REGULAR_COUNT = 202;
const TAG_REGULAR = 203;
const TAG_SUBSCRIPTION = 204;
const TAG_SCALE_A = 205;
const TAG_SCALE_B = 206;
const TAG_FIXED_A = 207;
const TAG_FIXED_B = 208;

/** A chosen receiver, and which regular slot of the issuer it is (-1 for an ad-hoc one). */
export interface ReceiverChoice {
  readonly index: number;
  readonly slot: number;
}

/** Counterparty selection over a population of customers. */
export interface Counterparties {
  readonly customerCount: number;
  /** An issuer drawn by activity. */
  pickActive(rng: Rng): number;
  /** A receiver for `issuer`, never `issuer` itself. */
  pickReceiver(rng: Rng, issuer: number): ReceiverChoice;
  /** The issuer's amount multiplier (a pure function of the issuer). */
  issuerScale(issuer: number): number;
  /** For a subscription pair, the standard normal that fixes its amount; otherwise undefined. */
  subscriptionNormal(issuer: number, slot: number): number | undefined;
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/** Rank in [0, n) with P(rank = r) roughly proportional to 1 / (r + 1). */
export function zipfRank(u: number, n: number): number {
  // Inverse CDF of the continuous density 1/x on [1, n + 1).
  const x = Math.floor(Math.exp(u * Math.log(n + 1))) - 1;
  return Math.min(n - 1, Math.max(0, x));
}

/** Creates the counterparty model for `customerCount` (>= 2) customers. */
export function createCounterparties(seed: number, customerCount: number): Counterparties {
  if (!Number.isSafeInteger(customerCount) || customerCount < 2) {
    throw new RangeError(`invoices need at least 2 customers, got ${customerCount}`);
  }
  const n = customerCount;
  // Multiplier coprime with n, kept below 2^21 so rank * multiplier stays exact.
  let multiplier = 1 + Math.floor(hashUnit(seed, TAG_PERMUTATION, 1) * Math.min(n, 1 << 21));
  while (gcd(multiplier, n) !== 1) multiplier = multiplier + 1 >= n ? 1 : multiplier + 1;
  const offset = Math.floor(hashUnit(seed, TAG_PERMUTATION, 2) * n);
  const indexOfRank = (rank: number): number => (rank * multiplier + offset) % n;

  const activeFromUniforms = (mode: number, u: number): number =>
    mode < ZIPF_SHARE ? indexOfRank(zipfRank(u, n)) : Math.min(n - 1, Math.floor(u * n));

  const avoid = (candidate: number, issuer: number): number => (candidate === issuer ? (candidate + 1) % n : candidate);

  const regularReceiver = (issuer: number, slot: number): number =>
    avoid(activeFromUniforms(hashUnit(seed, TAG_REGULAR, issuer, slot, 0), hashUnit(seed, TAG_REGULAR, issuer, slot, 1)), issuer);

  return {
    customerCount: n,
    pickActive: (rng) => activeFromUniforms(rng.next(), rng.next53()),
    pickReceiver: (rng, issuer) => {
      if (rng.next() < REGULAR_SHARE) {
        const regulars = 1 + Math.floor(hashUnit(seed, TAG_REGULAR_COUNT, issuer) * MAX_REGULARS);
        // Squaring skews towards the first slots: every issuer has a main client.
        const u = rng.next();
        const slot = Math.floor(u * u * regulars);
        return { index: regularReceiver(issuer, slot), slot };
      }
      return { index: avoid(activeFromUniforms(rng.next(), rng.next53()), issuer), slot: -1 };
    },
    issuerScale: (issuer) =>
      Math.exp(ISSUER_SCALE_SIGMA * normalFromUniforms(hashUnit(seed, TAG_SCALE_A, issuer), hashUnit(seed, TAG_SCALE_B, issuer))),
    subscriptionNormal: (issuer, slot) => {
      if (slot < 0 || hashUnit(seed, TAG_SUBSCRIPTION, issuer, slot) >= SUBSCRIPTION_SHARE) return undefined;
      return normalFromUniforms(hashUnit(seed, TAG_FIXED_A, issuer, slot), hashUnit(seed, TAG_FIXED_B, issuer, slot));
    },
  };
}
