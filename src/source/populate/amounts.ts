/**
 * Invoice amounts in integer cents and their exact numeric(14,2) text.
 *
 * Amounts are never formatted from a float of dollars (0.1 + 0.2 problems):
 * they are drawn as a float, rounded once to an integer number of cents, and
 * from then on handled with exact integer arithmetic. Every cents value here is
 * below 10^14 < 2^53, so plain numbers are exact.
 */
import type { Rng } from './prng.ts';

/** Largest amount numeric(14,2) holds: 999999999999.99 USD. */
export const MAX_AMOUNT_CENTS = 99_999_999_999_999;
/** Smallest amount generated: one cent (invoices are never zero or negative here). */
export const MIN_AMOUNT_CENTS = 1;

/** Median invoice around 450 USD; the log-normal spread gives the heavy tail. */
const LOG_MEDIAN_CENTS = Math.log(45_000);
const LOG_SIGMA = 1.8;

/** Clamps a (possibly fractional or huge) cents value into [1 cent, MAX_AMOUNT_CENTS]. */
export function clampCents(cents: number): number {
  if (Number.isNaN(cents)) return MIN_AMOUNT_CENTS;
  return Math.min(MAX_AMOUNT_CENTS, Math.max(MIN_AMOUNT_CENTS, Math.round(cents)));
}

/** Exact decimal text with two fraction digits: 123405 -> "1234.05", -5 -> "-0.05". */
export function formatCents(cents: number): string {
  if (!Number.isSafeInteger(cents)) throw new RangeError(`cents must be a safe integer, got ${cents}`);
  const sign = cents < 0 ? '-' : '';
  const abs = Math.abs(cents);
  const fraction = abs % 100;
  // (abs - fraction) is an exact multiple of 100, so the division is exact too.
  const units = (abs - fraction) / 100;
  return `${sign}${units}.${fraction < 10 ? '0' : ''}${fraction}`;
}

/**
 * A log-normal amount for standard normal `z`, multiplied by a per-issuer
 * `scale` (big suppliers send big invoices), clamped to the column's range.
 */
export function logNormalCents(z: number, scale: number): number {
  return clampCents(Math.exp(LOG_MEDIAN_CENTS + LOG_SIGMA * z) * scale);
}

/**
 * Humans like round numbers: about 15% of amounts become whole dollars and,
 * above 1,000 USD, a further share becomes whole hundreds. `u` is uniform in [0, 1).
 */
export function roundLikeAHuman(cents: number, u: number): number {
  if (u < 0.06 && cents >= 100_000) return clampCents(Math.round(cents / 10_000) * 10_000);
  if (u < 0.15) return clampCents(Math.round(cents / 100) * 100);
  return cents;
}

/** One ad-hoc invoice amount: log-normal times the issuer's scale, sometimes rounded. */
export function sampleAmountCents(rng: Rng, scale: number): number {
  return roundLikeAHuman(logNormalCents(rng.normal(), scale), rng.next());
}
