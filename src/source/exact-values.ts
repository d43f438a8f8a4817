/**
 * Exact decoding of PostgreSQL text output (pgoutput sends tuples as text).
 *
 * Nothing here goes through a JS float: integers become `bigint`, numeric
 * becomes an unscaled `bigint` at the column's scale, timestamptz becomes
 * microseconds since the Unix epoch. The replication connection runs with
 * `DateStyle=ISO` and `TimeZone=UTC` (see replication-source.ts), so the
 * timestamp grammar below is ISO 8601 with a numeric offset.
 * Each decoder throws `ValueRejected` with a reason; the caller quarantines the row.
 */
import { civilFromDays, daysFromCivil } from '../calendar/civil-date.ts';

export class ValueRejected extends Error {
  override readonly name = 'ValueRejected';
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const INTEGER_TEXT = /^-?\d{1,20}$/;

/** int2/int4/int8 text → bigint, checked against the 64-bit range Iceberg `long` holds. */
export function decodeInteger(text: string): bigint {
  if (!INTEGER_TEXT.test(text)) throw new ValueRejected(`not an integer: ${JSON.stringify(text)}`);
  const value = BigInt(text);
  if (value < INT64_MIN || value > INT64_MAX) throw new ValueRejected(`integer out of 64-bit range: ${text}`);
  return value;
}

const NUMERIC_TEXT = /^(-?)(\d+)(?:\.(\d+))?$/;

/**
 * numeric text → unscaled integer at `scale` digits (e.g. "12.3" at scale 2 → 1230n).
 * Rejects NaN/Infinity, values needing more fractional digits than the scale
 * (they would be rounded), and values wider than `precision` digits.
 */
export function decodeDecimal(text: string, precision: number, scale: number): bigint {
  const match = NUMERIC_TEXT.exec(text);
  if (!match) throw new ValueRejected(`not a finite decimal: ${JSON.stringify(text)}`);
  const [, sign, whole = '0', fraction = ''] = match;
  const significantFraction = fraction.replace(/0+$/, '');
  if (significantFraction.length > scale) {
    throw new ValueRejected(`decimal ${text} has more than ${scale} fractional digits`);
  }
  const unscaled = BigInt(whole + fraction.slice(0, scale).padEnd(scale, '0'));
  if (unscaled >= 10n ** BigInt(precision)) {
    throw new ValueRejected(`decimal ${text} does not fit decimal(${precision}, ${scale})`);
  }
  return sign === '-' ? -unscaled : unscaled;
}

/** Unscaled integer → canonical decimal text ("-0.05", "12.30"). */
export function formatDecimal(unscaled: bigint, scale: number): string {
  const negative = unscaled < 0n;
  const digits = (negative ? -unscaled : unscaled).toString().padStart(scale + 1, '0');
  const body = scale === 0 ? digits : `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  return negative ? `-${body}` : body;
}

const TIMESTAMP_TEXT =
  /^(\d{4,})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?(?:([+-])(\d{2})(?::?(\d{2}))?(?::?(\d{2}))?)?( BC)?$/;
const MICROS_PER_SECOND = 1_000_000n;
const SECONDS_PER_DAY = 86_400n;

/**
 * What the lake can hold. An Iceberg timestamptz is a signed 64-bit count of
 * microseconds (Iceberg spec, "Primitive Types"), which ends at
 * 294247-01-10 04:00:54.775807 UTC, while PostgreSQL accepts up to 294276 AD
 * and ±infinity (docs, "Date/Time Types"): past the end, the sum would wrap to
 * a date ~290,000 years BC. The very last microsecond is DuckDB's 'infinity'
 * (a query reads it as such), so the lake ends one microsecond earlier.
 * BC dates fit the counter but are not decoded (their text and every
 * consumer's formatting would need the era too).
 */
const LAST_MICROS = INT64_MAX - 1n;
const REPRESENTABLE = '0001-01-01 00:00:00 to 294247-01-10 04:00:54.775806 UTC';
const LAST_YEAR = 294_247;

/**
 * timestamptz text (ISO DateStyle) → microseconds since 1970-01-01T00:00Z.
 * Rejects `infinity`, BC dates, instants past the int64 range and malformed
 * text instead of guessing; each reason names the value and the range.
 */
export function decodeTimestamptz(text: string): bigint {
  if (text === 'infinity' || text === '-infinity') {
    throw new ValueRejected(`timestamp ${text} is infinite; the lake holds ${REPRESENTABLE}`);
  }
  const match = TIMESTAMP_TEXT.exec(text);
  if (!match) throw new ValueRejected(`not a finite ISO timestamp: ${JSON.stringify(text)}`);
  const [, y = '', mo, d, h, mi, s, frac = '', offSign, offH = '0', offM = '0', offS = '0', bc] = match;
  if (bc) throw new ValueRejected(`BC timestamp ${text} is not supported; the lake holds ${REPRESENTABLE}`);
  // Checked before any arithmetic: a 20-digit year is not exact as a Number.
  if (y.length > 6 || Number(y) > LAST_YEAR) throw outOfRange(text);
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) throw new ValueRejected(`invalid date in ${text}`);
  if (Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) throw new ValueRejected(`invalid time of day in ${text}`);
  const days = daysFromCivil(year, month, day);
  const secondsOfDay = BigInt(Number(h) * 3600 + Number(mi) * 60 + Number(s));
  const offsetSeconds = BigInt(Number(offH) * 3600 + Number(offM) * 60 + Number(offS));
  const signedOffset = offSign === '-' ? -offsetSeconds : offsetSeconds;
  const micros = BigInt(frac.padEnd(6, '0') || '0');
  const value = (BigInt(days) * SECONDS_PER_DAY + secondsOfDay - signedOffset) * MICROS_PER_SECOND + micros;
  if (value > LAST_MICROS) throw outOfRange(text);
  return value;
}

function outOfRange(text: string): ValueRejected {
  return new ValueRejected(`timestamp ${text} is beyond what a 64-bit microsecond timestamp holds (${REPRESENTABLE})`);
}

/** Microseconds since the epoch → "YYYY-MM-DD HH:MM:SS.ffffff+00" (PostgreSQL's ISO output in UTC). */
export function formatTimestamptz(micros: bigint): string {
  const days = floorDiv(micros, SECONDS_PER_DAY * MICROS_PER_SECOND);
  const microsOfDay = micros - days * SECONDS_PER_DAY * MICROS_PER_SECOND;
  const { year, month, day } = civilFromDays(Number(days));
  const seconds = Number(microsOfDay / MICROS_PER_SECOND);
  const fraction = (microsOfDay % MICROS_PER_SECOND).toString().padStart(6, '0');
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  const time = `${pad(Math.floor(seconds / 3600))}:${pad(Math.floor(seconds / 60) % 60)}:${pad(seconds % 60)}`;
  return `${pad(year, 4)}-${pad(month)}-${pad(day)} ${time}.${fraction}+00`;
}

function daysInMonth(year: number, month: number): number {
  const nextMonthStart = month === 12 ? daysFromCivil(year + 1, 1, 1) : daysFromCivil(year, month + 1, 1);
  return nextMonthStart - daysFromCivil(year, month, 1);
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return (a % b !== 0n && (a < 0n) !== (b < 0n)) ? q - 1n : q;
}
