/**
 * Deterministic labelled invoices for training the risk model.
 *
 * Normal traffic is the populate generator's (generateInvoices: Zipf-like
 * activity, regular pairs, business hours, heavy-tailed amounts); a few
 * percent of the rows are replaced by labelled fraud incidents
 * (labelled-fraud-patterns.ts). Labels exist only in this generator's
 * output, never in the source tables, so nothing in production can leak
 * them into features.
 *
 * Same options, same rows: randomness comes from seeded streams and `now`
 * is an input. Rows are yielded lazily in issue_date order with invoice ids
 * 1, 2, 3, …; memory holds only the planned fraud rows (fraudRate × count).
 */
import type { ScoringInvoice } from '../features/feature-names.ts';
import { hash32 } from '../../source/populate/prng.ts';
import { generateInvoices } from '../../source/populate/synthetic-invoices.ts';
import type { SyntheticInvoice } from '../../source/populate/synthetic-invoices.ts';
import { invoiceWindow } from '../../source/populate/time-text.ts';
import { planFraud } from './labelled-fraud-patterns.ts';
import type { FraudEvent, FraudPattern } from './labelled-fraud-patterns.ts';

/** Pattern name of unlabelled (label 0) traffic. */
export const NORMAL_PATTERN = 'normal';

/** Default share of fraudulent rows: inside the 1–3 % a fraud model typically meets. */
export const DEFAULT_FRAUD_RATE = 0.02;

/** Options of {@link generateLabelledInvoices}. */
export interface LabelledInvoiceOptions {
  /** Seeds both the normal traffic and the fraud plan. */
  readonly seed: number;
  /** Rows to yield, fraud included. */
  readonly count: number;
  /** Normal customer population (ids 1..customers); burst shells get the ids after it. */
  readonly customers: number;
  /** Window length: the last `months` calendar months before `now`. */
  readonly months: number;
  /** Exclusive end of the window. */
  readonly now: Date;
  /** Share of fraudulent rows, 0..0.5. Default 0.02. */
  readonly fraudRate?: number;
}

/** One training row. */
export interface LabelledInvoice {
  readonly invoice: ScoringInvoice;
  /** 1 for a row of a fraud incident. */
  readonly label: 0 | 1;
  /** NORMAL_PATTERN or the fraud pattern that produced the row. */
  readonly pattern: typeof NORMAL_PATTERN | FraudPattern;
}

/** Keeps the fraud plan independent of the normal stream (which seeds itself from `seed` and the start id). */
const TAG_FRAUD_PLAN = 901;

/** Lazily yields `count` labelled invoices in issue_date order. */
export function* generateLabelledInvoices(options: LabelledInvoiceOptions): Generator<LabelledInvoice> {
  const { seed, count, customers, months, now } = options;
  const fraudRate = options.fraudRate ?? DEFAULT_FRAUD_RATE;
  if (!Number.isSafeInteger(count) || count < 0) throw new RangeError(`count must be a non-negative integer, got ${count}`);
  if (!Number.isSafeInteger(customers) || customers < 2) throw new RangeError(`customers must be an integer >= 2, got ${customers}`);
  if (!(fraudRate >= 0 && fraudRate <= 0.5)) throw new RangeError(`fraudRate must be in [0, 0.5], got ${fraudRate}`);
  const fraudCount = Math.round(count * fraudRate);
  const fraud = planFraud(hash32(seed, TAG_FRAUD_PLAN), seed, customers, invoiceWindow(now, months), fraudCount);
  const normal = generateInvoices({ seed, count: count - fraudCount, customerCount: customers, months, now });

  let nextId = 1n;
  let f = 0;
  for (const row of normal) {
    // On equal timestamps the normal row goes first: any fixed rule keeps the output deterministic.
    for (let event = fraud[f]; event !== undefined && event.micros < row.issueMicros; event = fraud[++f]) {
      yield fraudRow(event, nextId++);
    }
    yield normalRow(row, nextId++);
  }
  for (; f < fraud.length; f++) {
    const event = fraud[f];
    if (event !== undefined) yield fraudRow(event, nextId++);
  }
}

/** Customer index → customer_id, as populate assigns ids (1-based, consecutive). */
const customerId = (index: number): bigint => BigInt(index + 1);

function normalRow(row: SyntheticInvoice, invoiceId: bigint): LabelledInvoice {
  return {
    invoice: {
      invoiceId,
      issueDate: BigInt(row.issueMicros),
      issuerId: customerId(row.issuerIndex),
      receiverId: customerId(row.receiverIndex),
      amountCents: BigInt(row.amountCents),
    },
    label: 0,
    pattern: NORMAL_PATTERN,
  };
}

function fraudRow(event: FraudEvent, invoiceId: bigint): LabelledInvoice {
  return {
    invoice: {
      invoiceId,
      issueDate: BigInt(event.micros),
      issuerId: customerId(event.issuer),
      receiverId: customerId(event.receiver),
      amountCents: BigInt(event.cents),
    },
    label: 1,
    pattern: event.pattern,
  };
}
