/**
 * The exact stream values of an invoice (bigint) turned into plain numbers
 * once per invoice, so the hot path does integer and float math only: ids
 * split into two 32-bit halves (no BigInt per lookup), timestamp in µs with
 * its hour and day bucket, amount in integer cents.
 */
import type { ScoringInvoice } from './feature-names.ts';
import { dayIndex, hourIndex } from './feature-time.ts';

/** An invoice as plain numbers: ids split into 32-bit halves, amount in cents. */
export interface ParsedInvoice {
  micros: number;
  hour: number;
  day: number;
  issuerLo: number;
  issuerHi: number;
  receiverLo: number;
  receiverHi: number;
  cents: number;
  selfInvoice: boolean;
}

/** A reusable scratch record for {@link parseInvoice}. */
export function emptyParsedInvoice(): ParsedInvoice {
  return { micros: 0, hour: 0, day: 0, issuerLo: 0, issuerHi: 0, receiverLo: 0, receiverHi: 0, cents: 0, selfInvoice: false };
}

const TWO_POW_32 = 4294967296;

/** Low 32 bits of a 64-bit id (unsigned). Fast path without BigInt arithmetic for ids within ±2^53. */
function idLow(id: bigint, asNumber: number): number {
  return Number.isSafeInteger(asNumber) ? asNumber >>> 0 : Number(BigInt.asUintN(32, id));
}

/** High 32 bits of a 64-bit id (signed, so int64 order is (high, low) order). */
function idHigh(id: bigint, asNumber: number): number {
  return Number.isSafeInteger(asNumber) ? Math.floor(asNumber / TWO_POW_32) | 0 : Number(BigInt.asIntN(32, id >> 32n));
}

/** Converts the exact stream values into `into` (no allocation). */
export function parseInvoice(invoice: ScoringInvoice, into: ParsedInvoice): ParsedInvoice {
  const micros = Number(invoice.issueDate);
  const issuer = Number(invoice.issuerId);
  const receiver = Number(invoice.receiverId);
  into.micros = micros;
  into.hour = hourIndex(micros);
  into.day = dayIndex(micros);
  into.issuerLo = idLow(invoice.issuerId, issuer);
  into.issuerHi = idHigh(invoice.issuerId, issuer);
  into.receiverLo = idLow(invoice.receiverId, receiver);
  into.receiverHi = idHigh(invoice.receiverId, receiver);
  // numeric(14,2) cents stay below 2^53, so this is exact.
  into.cents = Number(invoice.amountCents);
  into.selfInvoice = invoice.issuerId === invoice.receiverId;
  return into;
}
