/**
 * Fixed classes of the reasons a row is quarantined, for a metric label:
 * reasons are free text naming values, so as labels they would make one
 * Prometheus series per bad value. The patterns follow the messages of
 * exact-values.ts and pipeline/invoice-rows.ts (a unit test holds them together).
 */
const CLASSES = [
  ['missing_column', /^source table lacks column/],
  ['null_value', / is null$/],
  ['unchanged_toast', /unchanged TOAST value/],
  ['integer_malformed', /not an integer/],
  ['integer_out_of_range', /integer out of 64-bit range/],
  ['decimal_malformed', /not a finite decimal/],
  ['decimal_scale', /fractional digits/],
  ['decimal_out_of_range', /does not fit decimal/],
  ['timestamp_infinite', /timestamp -?infinity is infinite/],
  ['timestamp_out_of_range', /beyond what a 64-bit microsecond timestamp holds/],
  ['timestamp_bc', /BC timestamp .* is not supported/],
  ['timestamp_malformed', /not a finite ISO timestamp|invalid date in|invalid time of day in/],
] as const satisfies ReadonlyArray<readonly [string, RegExp]>;

export type ValueRejectionClass = (typeof CLASSES)[number][0] | 'other';

/** Every class a reason can fall into, `other` last. */
export const VALUE_REJECTION_CLASSES: readonly ValueRejectionClass[] = [...CLASSES.map(([name]) => name), 'other'];

export function valueRejectionClass(reason: string): ValueRejectionClass {
  for (const [name, pattern] of CLASSES) if (pattern.test(reason)) return name;
  return 'other';
}
