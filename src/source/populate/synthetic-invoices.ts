/**
 * Deterministic, lazily generated synthetic invoices.
 *
 * Same options, same rows, on any machine: all randomness comes from the
 * seeded streams in prng.ts and `now` is an input, never the clock. Rows are
 * yielded one at a time in issue_date order with consecutive invoice ids, and
 * the generator holds at most one day's timestamps, so 10 million invoices
 * need no more memory than ten thousand.
 */
import { logNormalCents, roundLikeAHuman, sampleAmountCents, formatCents } from './amounts.ts';
import { createCounterparties } from './counterparties.ts';
import { hourWeight, localHour, planDays, sampleDayTimestamps } from './invoice-calendar.ts';
import { createRng, hash32, hashUnit } from './prng.ts';
import { customerCountry } from './synthetic-customers.ts';
import { formatUtcMicros, invoiceWindow } from './time-text.ts';

/** Options of {@link generateInvoices}. */
export interface InvoiceGeneratorOptions {
  /** Same seed as the customers, so countries and regular pairs agree with them. */
  readonly seed: number;
  /** Number of invoices to yield. */
  readonly count: number;
  /** Customers that can issue or receive, as indexes 0..customerCount-1 (>= 2). */
  readonly customerCount: number;
  /** Window length: the last `months` calendar months before `now`. */
  readonly months: number;
  /** Exclusive end of the window. */
  readonly now: Date;
  /** invoice_id of the first row; later rows follow by 1. Default 1n. */
  readonly startInvoiceId?: bigint;
}

/** One generated invoice, with both exact text (for COPY) and numbers (for tests). */
export interface SyntheticInvoice {
  readonly invoiceId: bigint;
  /** Epoch microseconds, UTC. */
  readonly issueMicros: number;
  /** issue_date as timestamptz text: `2026-03-04 09:12:33.123456+00`. */
  readonly issueDate: string;
  readonly issuerIndex: number;
  readonly receiverIndex: number;
  readonly amountCents: number;
  /** amount as exact numeric(14,2) text: `1234.05`. */
  readonly amount: string;
}

/** Tries to find an issuer whose office is open at the sampled time before accepting any. */
const ISSUER_TRIES = 24;
const TAG_STREAM = 401;
const TAG_SUBSCRIPTION_ROUNDING = 402;

/**
 * The seed of the per-row stream. It mixes in the first invoice id so that a
 * second populate run with the same seed appends different invoices, while
 * customers, countries and regular pairs (seeded by `seed` alone) stay stable.
 */
function streamSeedOf(seed: number, startInvoiceId: bigint): number {
  const low = Number(BigInt.asUintN(32, startInvoiceId));
  const high = Number(BigInt.asUintN(32, startInvoiceId >> 32n));
  return hash32(seed, TAG_STREAM, low, high);
}

/** Lazily yields `count` invoices in issue_date order. */
export function* generateInvoices(options: InvoiceGeneratorOptions): Generator<SyntheticInvoice> {
  const { seed, count, customerCount, months, now } = options;
  if (!Number.isSafeInteger(count) || count < 0) throw new RangeError(`count must be a non-negative integer, got ${count}`);
  if (count === 0) return;
  const counterparties = createCounterparties(seed, customerCount);
  const startId = options.startInvoiceId ?? 1n;
  const streamSeed = streamSeedOf(seed, startId);
  const rng = createRng(streamSeed);
  let nextId = startId;

  for (const day of planDays(invoiceWindow(now, months), count, streamSeed)) {
    if (day.count === 0) continue;
    for (const issueMicros of sampleDayTimestamps(rng, day)) {
      // Prefer an issuer for whom this instant is a working hour: the aggregate
      // time profile already follows the customers' country mix.
      let issuer = counterparties.pickActive(rng);
      for (let tries = 1; tries < ISSUER_TRIES; tries++) {
        const offset = customerCountry(seed, issuer).utcOffsetMinutes;
        if (rng.next() < hourWeight(localHour(issueMicros, offset))) break;
        issuer = counterparties.pickActive(rng);
      }
      const receiver = counterparties.pickReceiver(rng, issuer);
      const scale = counterparties.issuerScale(issuer);
      const fixed = counterparties.subscriptionNormal(issuer, receiver.slot);
      const amountCents =
        fixed === undefined
          ? sampleAmountCents(rng, scale)
          : roundLikeAHuman(logNormalCents(fixed, scale), hashUnit(seed, TAG_SUBSCRIPTION_ROUNDING, issuer, receiver.slot));
      yield {
        invoiceId: nextId,
        issueMicros,
        issueDate: formatUtcMicros(issueMicros),
        issuerIndex: issuer,
        receiverIndex: receiver.index,
        amountCents,
        amount: formatCents(amountCents),
      };
      nextId += 1n;
    }
  }
}
