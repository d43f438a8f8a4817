/**
 * Deterministic synthetic customers.
 *
 * Every attribute of customer #index is a pure hash of (seed, index), so the
 * invoice generator can ask for any customer's country (its business hours)
 * without a table in memory, and a second populate run that adds customers
 * N..M-1 describes customers 0..N-1 exactly as the first run did.
 */
import { NAME_STEMS, pickCountry, pickIndustry, pickUniform } from './catalog.ts';
import type { Country } from './catalog.ts';
import { hashUnit } from './prng.ts';
import { formatUtcMicros, invoiceWindow, MICROS_PER_DAY } from './time-text.ts';

/** One generated customer row (plus the offset the invoice generator uses). */
export interface SyntheticCustomer {
  /** Position in the generated population, 0-based. */
  readonly index: number;
  readonly customerId: bigint;
  readonly name: string;
  /** ISO 3166-1 alpha-2. */
  readonly country: string;
  readonly industry: string;
  /** Rough offset of the customer's business hours from UTC. */
  readonly utcOffsetMinutes: number;
  /** Epoch microseconds, always before the invoices window. */
  readonly createdMicros: number;
  /** created_at as timestamptz text with microseconds. */
  readonly createdAt: string;
}

/** Options of {@link generateCustomers}. */
export interface CustomerGeneratorOptions {
  readonly seed: number;
  /** Size of the whole population (created_at is spread over it). */
  readonly count: number;
  /** First index to yield (customers below it already exist). Default 0. */
  readonly fromIndex?: number;
  /** customer_id of the customer at `fromIndex`; the next ones follow by 1. Default 1n. */
  readonly firstCustomerId?: bigint;
  /** End of the invoices window; created_at values precede its start. */
  readonly now: Date;
  /** Length of the invoices window in months. */
  readonly months: number;
}

// Hash domains keep the attributes of one customer independent of each other.
const TAG_COUNTRY = 101;
const TAG_INDUSTRY = 102;
const TAG_STEM = 103;
const TAG_STEM2 = 104;
const TAG_NOUN = 105;
const TAG_SUFFIX = 106;
const TAG_SHAPE = 107;
const TAG_CREATED = 108;

/** Customers signed up over the six years before the invoices window. */
const SIGNUP_SPAN_MICROS = 6 * 365 * MICROS_PER_DAY;

/** The country of customer #index (cheap: one hash). */
export function customerCountry(seed: number, index: number): Country {
  return pickCountry(hashUnit(seed, TAG_COUNTRY, index));
}

/** A plausible company name such as "Granite Freight GmbH" or "Rossi-Costa S.r.l.". */
export function customerName(seed: number, index: number): string {
  const country = customerCountry(seed, index);
  const industry = pickIndustry(hashUnit(seed, TAG_INDUSTRY, index));
  const stem = pickUniform(NAME_STEMS, hashUnit(seed, TAG_STEM, index));
  const noun = pickUniform(industry.nouns, hashUnit(seed, TAG_NOUN, index));
  const suffix = pickUniform(country.suffixes, hashUnit(seed, TAG_SUFFIX, index));
  const shape = hashUnit(seed, TAG_SHAPE, index);
  if (shape < 0.7) return `${stem} ${noun} ${suffix}`;
  if (shape < 0.85) return `${stem} ${suffix}`;
  const other = pickUniform(NAME_STEMS, hashUnit(seed, TAG_STEM2, index));
  return other === stem || other.includes('&') || stem.includes('&')
    ? `${stem} ${noun}`
    : `${stem}-${other} ${suffix}`;
}

/**
 * Customer #index of a population of `count` whose invoices window starts at
 * `windowStartMicros`. created_at grows with the index (older customers have
 * lower ids, as in a real table) and always precedes the window.
 */
export function customerProfile(
  seed: number,
  index: number,
  count: number,
  windowStartMicros: number,
  customerId: bigint,
): SyntheticCustomer {
  const country = customerCountry(seed, index);
  const position = (index + hashUnit(seed, TAG_CREATED, index)) / Math.max(count, index + 1);
  const createdMicros = Math.floor(windowStartMicros - SIGNUP_SPAN_MICROS * (1 - position)) - 1;
  return {
    index,
    customerId,
    name: customerName(seed, index),
    country: country.code,
    industry: pickIndustry(hashUnit(seed, TAG_INDUSTRY, index)).name,
    utcOffsetMinutes: country.utcOffsetMinutes,
    createdMicros,
    createdAt: formatUtcMicros(createdMicros),
  };
}

/** Lazily yields customers `fromIndex` .. `count - 1`. */
export function* generateCustomers(options: CustomerGeneratorOptions): Generator<SyntheticCustomer> {
  const fromIndex = options.fromIndex ?? 0;
  const firstId = options.firstCustomerId ?? 1n;
  const { startMicros } = invoiceWindow(options.now, options.months);
  for (let index = fromIndex; index < options.count; index++) {
    yield customerProfile(options.seed, index, options.count, startMicros, firstId + BigInt(index - fromIndex));
  }
}
