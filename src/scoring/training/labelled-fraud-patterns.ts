/**
 * Labelled fraud incidents for training data: each incident is a small set
 * of invoices following one known fraud pattern. They are planned up front
 * (a few percent of the rows, so a small array) and merged into the normal
 * stream by labelled-invoices.ts.
 *
 * Customers are generator indexes: 0..customers-1 are the normal population;
 * `new_customer_burst` shells get indexes from `customers` upwards, so they
 * never appear in normal traffic.
 */
import { createRng } from '../../source/populate/prng.ts';
import type { Rng } from '../../source/populate/prng.ts';
import { customerCountry } from '../../source/populate/synthetic-customers.ts';
import { MICROS_PER_DAY, MICROS_PER_HOUR, MICROS_PER_MINUTE } from '../../source/populate/time-text.ts';
import type { InvoiceWindow } from '../../source/populate/time-text.ts';

/** The fraud patterns, in the round-robin order incidents are planned. */
export const FRAUD_PATTERNS = [
  /** A brand-new customer sends 8–20 invoices within 1–3 hours. */
  'new_customer_burst',
  /** 3–4 customers invoice each other in a ring, 2–3 rounds, similar large amounts. */
  'circular_invoicing',
  /** 3–6 invoices just under 5,000 / 10,000 / 50,000 USD (e.g. 9,990.00–9,999.99). */
  'just_under_threshold',
  /** A large, non-round invoice to a receiver the issuer normally never bills. */
  'unusual_pair',
  /** Large round amounts (whole thousands) at night in the issuer's own time zone. */
  'night_round_amount',
] as const;

/** One fraud pattern name. */
export type FraudPattern = (typeof FRAUD_PATTERNS)[number];

/** One planned fraudulent invoice (customers as generator indexes). */
export interface FraudEvent {
  readonly micros: number;
  readonly issuer: number;
  readonly receiver: number;
  readonly cents: number;
  readonly pattern: FraudPattern;
}

/** What an incident generator may use. */
interface IncidentContext {
  readonly rng: Rng;
  readonly seed: number;
  readonly customers: number;
  /** Incidents start in [startMicros, latestStart) so that every one ends inside the window. */
  readonly startMicros: number;
  readonly latestStart: number;
  /** Index for the next new shell customer. */
  nextShell: number;
}

/** Longest incident (circular invoicing: 3 rounds up to 3 days apart, plus hops). */
const INCIDENT_SPAN_MICROS = 12 * MICROS_PER_DAY;
const THRESHOLDS_USD = [5_000, 10_000, 50_000] as const;

/** Uniform integer in [lo, hi]. */
const between = (rng: Rng, lo: number, hi: number): number => lo + rng.int(hi - lo + 1);
/** Log-uniform cents between two USD amounts (a spread without a round-number bias). */
const logUniformCents = (rng: Rng, loUsd: number, hiUsd: number): number =>
  Math.round(Math.exp(Math.log(loUsd * 100) + rng.next() * Math.log(hiUsd / loUsd)));
const startOf = (c: IncidentContext): number => c.startMicros + c.rng.int(c.latestStart - c.startMicros);
const customer = (c: IncidentContext): number => c.rng.int(c.customers);
/** A customer other than `not` (normal population only; it has at least 2 customers). */
function otherCustomer(c: IncidentContext, not: number): number {
  const pick = c.rng.int(c.customers - 1);
  return pick >= not ? pick + 1 : pick;
}

function burst(c: IncidentContext): FraudEvent[] {
  const shell = c.nextShell++;
  const start = startOf(c);
  const span = between(c.rng, 1, 3) * MICROS_PER_HOUR;
  const receivers = Array.from({ length: between(c.rng, 1, 3) }, () => customer(c));
  return Array.from({ length: between(c.rng, 8, 20) }, () => ({
    micros: start + c.rng.int(span),
    issuer: shell,
    receiver: receivers[c.rng.int(receivers.length)] ?? 0,
    cents: logUniformCents(c.rng, 2_000, 20_000),
    pattern: 'new_customer_burst' as const,
  }));
}

function circular(c: IncidentContext): FraudEvent[] {
  const ring: number[] = [];
  // A population smaller than the ring would never fill it.
  const size = Math.min(between(c.rng, 3, 4), c.customers);
  while (ring.length < size) {
    const candidate = customer(c);
    if (!ring.includes(candidate)) ring.push(candidate);
  }
  const baseCents = logUniformCents(c.rng, 20_000, 200_000);
  const events: FraudEvent[] = [];
  let t = startOf(c);
  const rounds = between(c.rng, 2, 3);
  for (let round = 0; round < rounds; round++) {
    for (let hop = 0; hop < size; hop++) {
      // Each hop skims a little, as money passed around a ring does.
      const cents = Math.round(baseCents * (1 - 0.01 * (round * size + hop) * c.rng.next()));
      events.push({ micros: t, issuer: ring[hop] ?? 0, receiver: ring[(hop + 1) % size] ?? 0, cents, pattern: 'circular_invoicing' });
      t += between(c.rng, 1, 6) * MICROS_PER_HOUR + c.rng.int(MICROS_PER_HOUR);
    }
    t += c.rng.int(3 * MICROS_PER_DAY);
  }
  return events;
}

function underThreshold(c: IncidentContext): FraudEvent[] {
  const issuer = customer(c);
  const receiver = otherCustomer(c, issuer);
  const thresholdCents = (THRESHOLDS_USD[c.rng.int(THRESHOLDS_USD.length)] ?? 10_000) * 100;
  // Within 0.1 % below the threshold: 9,990.00–9,999.99 under 10,000.
  const band = thresholdCents / 1000;
  const start = startOf(c);
  return Array.from({ length: between(c.rng, 3, 6) }, () => ({
    micros: start + c.rng.int(10 * MICROS_PER_DAY),
    issuer,
    receiver,
    cents: thresholdCents - 1 - c.rng.int(band),
    pattern: 'just_under_threshold' as const,
  }));
}

function unusualPair(c: IncidentContext): FraudEvent[] {
  const issuer = customer(c);
  const receiver = otherCustomer(c, issuer);
  const start = startOf(c);
  return Array.from({ length: between(c.rng, 1, 2) }, () => {
    let cents = logUniformCents(c.rng, 20_000, 250_000);
    if (cents % 10_000 === 0) cents += 37;
    return { micros: start + c.rng.int(MICROS_PER_HOUR), issuer, receiver, cents, pattern: 'unusual_pair' as const };
  });
}

function nightRound(c: IncidentContext): FraudEvent[] {
  const issuer = customer(c);
  const receiver = otherCustomer(c, issuer);
  const offset = customerCountry(c.seed, issuer).utcOffsetMinutes;
  const day = Math.floor(startOf(c) / MICROS_PER_DAY);
  return Array.from({ length: between(c.rng, 1, 2) }, () => {
    // Local 00:00–04:59 in the issuer's time zone, converted to UTC.
    const localMinute = c.rng.int(5 * 60);
    const micros = (day * 1440 + localMinute - offset) * MICROS_PER_MINUTE + c.rng.int(MICROS_PER_MINUTE);
    return { micros, issuer, receiver, cents: between(c.rng, 10, 100) * 100_000, pattern: 'night_round_amount' as const };
  });
}

const GENERATORS: Record<FraudPattern, (c: IncidentContext) => FraudEvent[]> = {
  new_customer_burst: burst,
  circular_invoicing: circular,
  just_under_threshold: underThreshold,
  unusual_pair: unusualPair,
  night_round_amount: nightRound,
};

/**
 * Exactly `total` fraud invoices inside `window`, sorted by time (ties keep
 * plan order). Patterns take turns so that every one appears as soon as
 * five incidents are planned; the last incident may be cut short to hit
 * `total` exactly.
 */
export function planFraud(streamSeed: number, seed: number, customers: number, window: InvoiceWindow, total: number): FraudEvent[] {
  const { startMicros, endMicros } = window;
  const context: IncidentContext = {
    rng: createRng(streamSeed),
    seed,
    customers,
    startMicros,
    latestStart: Math.max(startMicros + 1, endMicros - INCIDENT_SPAN_MICROS),
    nextShell: customers,
  };
  const events: FraudEvent[] = [];
  for (let k = 0; events.length < total; k++) {
    const pattern = FRAUD_PATTERNS[k % FRAUD_PATTERNS.length] ?? 'unusual_pair';
    for (const event of GENERATORS[pattern](context)) {
      // A night invoice on the window's first or last day can fall outside it: keep the window exact.
      if (event.micros < startMicros || event.micros >= endMicros || events.length >= total) continue;
      events.push(event);
    }
  }
  return events.sort((a, b) => a.micros - b.micros);
}
