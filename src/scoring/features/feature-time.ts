/**
 * Exact UTC time arithmetic for the feature extractor, in epoch microseconds.
 *
 * Timestamps arrive as bigint microseconds; as numbers they are exact until
 * the year 2255 (2^53 µs). Bucket indexes are floor divisions followed by
 * one exact integer check: a rounded quotient just below an integer could
 * otherwise round up to it and file an event under the next hour or day.
 */

/** Length of an hourly bucket. */
export const MICROS_PER_HOUR = 3_600_000_000;
/** Length of a daily (UTC) bucket. */
export const MICROS_PER_DAY = 86_400_000_000;

/** Hourly buckets in the 24 h window (one ring slot per hour). */
export const HOURS_IN_WINDOW = 24;
/** Daily buckets in the 30 d window (one ring slot per UTC day). */
export const DAYS_IN_WINDOW = 30;

/** Exact floor(micros / unit) for integer micros and a positive integer unit. */
export function floorDiv(micros: number, unit: number): number {
  let q = Math.floor(micros / unit);
  // q * unit and (q + 1) * unit stay below 2^53 here, so these products are exact.
  if (q * unit > micros) q -= 1;
  else if ((q + 1) * unit <= micros) q += 1;
  return q;
}

/** Hours since the epoch: the index of the hourly bucket holding `micros`. */
export function hourIndex(micros: number): number {
  return floorDiv(micros, MICROS_PER_HOUR);
}

/** Days since the epoch (UTC): the index of the daily bucket holding `micros`. */
export function dayIndex(micros: number): number {
  return floorDiv(micros, MICROS_PER_DAY);
}

/** Hour of the UTC day, 0–23. */
export function utcHourOfDay(micros: number): number {
  const hour = hourIndex(micros);
  return hour - floorDiv(hour, 24) * 24;
}

/** Day of the week in UTC, 0 = Monday … 6 = Sunday (1970-01-01 was a Thursday, 3). */
export function utcDayOfWeek(micros: number): number {
  return (((dayIndex(micros) + 3) % 7) + 7) % 7;
}

/** Ring slot of a bucket index (also right for negative, pre-1970 indexes). */
export function ringSlot(bucket: number, size: number): number {
  return ((bucket % size) + size) % size;
}
