/** Small builders for feature tests: invoices at ISO instants, features by name. */
import { FEATURE_NAMES } from '../../../../src/scoring/features/feature-names.ts';
import type { FeatureName, ScoringInvoice } from '../../../../src/scoring/features/feature-names.ts';

export const MICROS_PER_HOUR = 3_600_000_000n;
export const MICROS_PER_DAY = 24n * MICROS_PER_HOUR;

/** Epoch microseconds of an ISO instant (millisecond precision is enough here). */
export function micros(iso: string): bigint {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new Error(`bad instant ${iso}`);
  return BigInt(ms) * 1000n;
}

let nextId = 1n;

/** An invoice; `at` is an ISO instant or epoch microseconds. */
export function invoice(issuer: number | bigint, receiver: number | bigint, at: string | bigint, cents: number | bigint = 12_345): ScoringInvoice {
  return {
    invoiceId: nextId++,
    issueDate: typeof at === 'string' ? micros(at) : at,
    issuerId: BigInt(issuer),
    receiverId: BigInt(receiver),
    amountCents: BigInt(cents),
  };
}

/** One feature of a row by name. */
export function feature(row: Float32Array, name: FeatureName, rowIndex = 0): number {
  const value = row[rowIndex * FEATURE_NAMES.length + FEATURE_NAMES.indexOf(name)];
  if (value === undefined) throw new Error(`no ${name} in row ${rowIndex}`);
  return value;
}

/** A row as a name → value record, for readable failure messages. */
export function named(row: Float32Array): Record<FeatureName, number> {
  return Object.fromEntries(FEATURE_NAMES.map((name, i) => [name, row[i]])) as Record<FeatureName, number>;
}
