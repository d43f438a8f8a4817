/**
 * Exact timestamp arithmetic in epoch microseconds (UTC).
 *
 * Microseconds since 1970 stay below 2^53 until the year 2255, so plain
 * numbers hold them exactly; formatting uses integer calendar math (Howard
 * Hinnant's civil-from-days) instead of Date, which only knows milliseconds
 * and would cost an allocation per row.
 */
import { civilFromDays } from '../../calendar/civil-date.ts';

export const MICROS_PER_SECOND = 1_000_000;
export const MICROS_PER_MINUTE = 60 * MICROS_PER_SECOND;
export const MICROS_PER_HOUR = 60 * MICROS_PER_MINUTE;
export const MICROS_PER_DAY = 24 * MICROS_PER_HOUR;

/** Epoch microseconds of a Date (whose resolution is milliseconds). */
export function dateToMicros(date: Date): number {
  const ms = date.getTime();
  if (!Number.isFinite(ms)) throw new RangeError('invalid Date');
  return ms * 1000;
}

function pad(value: number, width: number): string {
  return String(value).padStart(width, '0');
}

/**
 * PostgreSQL timestamptz text with all six fractional digits, in UTC:
 * `2026-03-04 09:12:33.123456+00`. The input must be an integer.
 */
export function formatUtcMicros(micros: number): string {
  if (!Number.isSafeInteger(micros)) throw new RangeError(`not an integer microsecond value: ${micros}`);
  const days = Math.floor(micros / MICROS_PER_DAY);
  const inDay = micros - days * MICROS_PER_DAY;
  const { year, month, day } = civilFromDays(days);
  const hour = Math.floor(inDay / MICROS_PER_HOUR);
  const minute = Math.floor((inDay % MICROS_PER_HOUR) / MICROS_PER_MINUTE);
  const second = Math.floor((inDay % MICROS_PER_MINUTE) / MICROS_PER_SECOND);
  const fraction = inDay % MICROS_PER_SECOND;
  return `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)} ${pad(hour, 2)}:${pad(minute, 2)}:${pad(second, 2)}.${pad(fraction, 6)}+00`;
}

/** Day of week of a day number: 0 = Sunday ... 6 = Saturday (1970-01-01 was a Thursday). */
export function weekdayOfDay(days: number): number {
  return (((days + 4) % 7) + 7) % 7;
}

/**
 * The same wall-clock instant `months` calendar months earlier, in UTC, with
 * the day clamped to the target month's length (31 March minus one month is
 * 28/29 February), as PostgreSQL's `timestamptz - interval 'n months'` does.
 */
export function subtractMonthsUtc(date: Date, months: number): Date {
  const monthIndex = date.getUTCFullYear() * 12 + date.getUTCMonth() - months;
  const year = Math.floor(monthIndex / 12);
  const month = monthIndex - year * 12;
  const lastDay = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  const shifted = new Date(date.getTime());
  shifted.setUTCFullYear(year, month, Math.min(date.getUTCDate(), lastDay));
  return shifted;
}

/** The invoices window: the last `months` calendar months ending (exclusive) at `now`. */
export interface InvoiceWindow {
  readonly startMicros: number;
  readonly endMicros: number;
}

/** The window [now - months, now) in epoch microseconds; `months` must be a positive integer. */
export function invoiceWindow(now: Date, months: number): InvoiceWindow {
  if (!Number.isInteger(months) || months < 1) throw new RangeError(`months must be a positive integer, got ${months}`);
  return { startMicros: dateToMicros(subtractMonthsUtc(now, months)), endMicros: dateToMicros(now) };
}
