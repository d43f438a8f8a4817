/**
 * Iceberg partition transforms on dates and timestamps (spec "Partition
 * Transforms"): results are counted from 1970-01-01 in UTC with floor
 * semantics, so instants before the epoch map to negative values
 * (1969-12-31 → month -1), matching Java `DateTimeUtil`.
 */
import { civilFromDays } from '../../calendar/civil-date.ts';
import type { IcebergPrimitive, PartitionTransform } from './spec-types.ts';

const MICROS_PER_DAY = 86_400_000_000n;
const MICROS_PER_HOUR = 3_600_000_000n;

/** Floor division for bigint (the `/` operator truncates towards zero). */
function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
}

/** `day` transform of a timestamptz: whole days since 1970-01-01 UTC (floor). */
export function dayFromMicros(micros: bigint): number {
  return Number(floorDiv(micros, MICROS_PER_DAY));
}

/** `hour` transform of a timestamptz: whole hours since the epoch (floor). */
export function hourFromMicros(micros: bigint): number {
  return Number(floorDiv(micros, MICROS_PER_HOUR));
}

/** `month` transform of a date given as days since 1970-01-01. */
export function monthFromDays(days: number): number {
  const { year, month } = civilFromDays(days);
  return (year - 1970) * 12 + (month - 1);
}

/** `year` transform of a date given as days since 1970-01-01. */
export function yearFromDays(days: number): number {
  return civilFromDays(days).year - 1970;
}

/** `month` transform of a timestamptz: months since 1970-01 in UTC (1969-12-31 → -1). */
export function monthFromMicros(micros: bigint): number {
  return monthFromDays(dayFromMicros(micros));
}

/** `year` transform of a timestamptz: years since 1970 in UTC. */
export function yearFromMicros(micros: bigint): number {
  return yearFromDays(dayFromMicros(micros));
}

/**
 * Human label of a month ordinal, e.g. 648 → "2024-01", as Java's
 * `Month.toHumanString` prints it. Used in directory names, which readers never parse.
 */
export function monthLabel(month: number): string {
  if (!Number.isInteger(month)) throw new RangeError(`month ordinal ${month} is not an integer`);
  const year = 1970 + Math.floor(month / 12);
  const m = month - Math.floor(month / 12) * 12 + 1;
  const yyyy = year < 0 ? `-${String(-year).padStart(4, '0')}` : String(year).padStart(4, '0');
  return `${yyyy}-${String(m).padStart(2, '0')}`;
}

/**
 * Partition value of a timestamptz source (µs since epoch) under `transform`.
 * `identity` keeps the long; `void` and null inputs give null.
 */
export function partitionValue(transform: PartitionTransform, micros: bigint | null): number | bigint | null {
  if (micros === null || transform === 'void') return null;
  switch (transform) {
    case 'identity':
      return micros;
    case 'year':
      return yearFromMicros(micros);
    case 'month':
      return monthFromMicros(micros);
    case 'day':
      return dayFromMicros(micros);
    case 'hour':
      return hourFromMicros(micros);
    default:
      throw new TypeError(`transform ${transform} is not supported on timestamps here`);
  }
}

/**
 * Partition value of a date source (days since epoch) under `transform`.
 * `hour` is not defined on dates (spec "Partition Transforms").
 */
export function partitionValueFromDays(transform: PartitionTransform, days: number | null): number | null {
  if (days === null || transform === 'void') return null;
  switch (transform) {
    case 'identity':
    case 'day':
      return days;
    case 'year':
      return yearFromDays(days);
    case 'month':
      return monthFromDays(days);
    default:
      throw new TypeError(`transform ${transform} is not supported on dates`);
  }
}

/**
 * Result type of a transform (spec "Partition Transforms" table): year, month,
 * hour and bucket give `int`, day gives `date`, identity/truncate/void keep the source type.
 */
export function transformResultType(transform: PartitionTransform, sourceType: IcebergPrimitive): IcebergPrimitive {
  if (transform === 'year' || transform === 'month' || transform === 'hour' || transform.startsWith('bucket[')) {
    return 'int';
  }
  if (transform === 'day') return 'date';
  return sourceType;
}
