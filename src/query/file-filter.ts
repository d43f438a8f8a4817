/**
 * A small typed filter (an AND of column comparisons) and the three tests an
 * Iceberg scan planner runs with it: against a manifest's partition summaries,
 * against a data file's partition tuple, and against a data file's column
 * bounds. Every test answers "may some row match?": it says false only when
 * the metadata proves no row can, so a missing statistic, a null partition, a
 * NaN or a type not handled here always keeps the file (a wrong "no" would
 * silently hide rows).
 */
import { decodeSingleValue } from '../lake/iceberg/single-value.ts';
import { partitionValue, partitionValueFromDays, transformResultType } from '../lake/iceberg/transforms.ts';
import type {
  DataFile,
  IcebergField,
  IcebergPrimitive,
  IcebergSchema,
  PartitionField,
  PartitionFieldSummary,
  PartitionSpec,
} from '../lake/iceberg/spec-types.ts';

export type ComparisonOp = 'eq' | 'lt' | 'lte' | 'gt' | 'gte';

/**
 * `column op value`. Values by Iceberg type: long → bigint, timestamptz →
 * bigint microseconds since the epoch (UTC), int and date (days since the
 * epoch) → number, double → number, string → string. Other types (decimal,
 * boolean) are accepted and never prune.
 */
export interface ColumnPredicate {
  column: string;
  op: ComparisonOp;
  value: bigint | number | string;
}

/** All predicates must hold (AND); an empty filter selects every file. */
export type FileFilter = readonly ColumnPredicate[];

/** A predicate resolved against the table schema. */
export interface BoundPredicate {
  field: IcebergField;
  op: ComparisonOp;
  value: bigint | number | string;
  /** False for types this module does not compare: the predicate then never prunes. */
  comparable: boolean;
}

const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;

/** Resolves column names to schema fields and checks each value's JS type against the column type. */
export function bindFilter(schema: IcebergSchema, filter: FileFilter): BoundPredicate[] {
  return filter.map((predicate) => {
    const field = schema.fields.find((candidate) => candidate.name === predicate.column);
    if (!field) throw new Error(`filter column ${predicate.column} is not in the table schema`);
    const expected = valueKind(field.type);
    if (expected !== undefined && typeof predicate.value !== expected) {
      // A bigint compared with a number, or a string date, is a caller bug: say so rather than guess.
      throw new TypeError(`filter on ${field.name} (${field.type}) needs a ${expected} value, got ${typeof predicate.value}`);
    }
    const comparable = expected !== undefined && !(typeof predicate.value === 'number' && Number.isNaN(predicate.value));
    return { field, op: predicate.op, value: predicate.value, comparable };
  });
}

/** The JS type of values of an Iceberg type this module compares, or undefined when it does not. */
function valueKind(type: IcebergPrimitive): 'bigint' | 'number' | 'string' | undefined {
  switch (type) {
    case 'long':
    case 'timestamptz':
      return 'bigint';
    case 'int':
    case 'date':
    case 'double':
      return 'number';
    case 'string':
      return 'string';
    default:
      return undefined;
  }
}

/** Orders two values of one type; strings by UTF-8 bytes (Iceberg's order), not UTF-16 code units. */
function compare(a: bigint | number | string, b: bigint | number | string): number {
  if (typeof a === 'string' && typeof b === 'string') return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Whether some value in [lower, upper] can satisfy `op value`; an undefined
 * side is unbounded. Bounds are inclusive, as Iceberg's are.
 */
export function rangeMayMatch(
  op: ComparisonOp,
  value: bigint | number | string,
  lower: bigint | number | string | undefined,
  upper: bigint | number | string | undefined,
): boolean {
  switch (op) {
    case 'eq':
      return (lower === undefined || compare(lower, value) <= 0) && (upper === undefined || compare(value, upper) <= 0);
    case 'lt':
      return lower === undefined || compare(lower, value) < 0;
    case 'lte':
      return lower === undefined || compare(lower, value) <= 0;
    case 'gt':
      return upper === undefined || compare(upper, value) > 0;
    case 'gte':
      return upper === undefined || compare(upper, value) >= 0;
  }
}

/** A bound decoded as a comparable value; undefined when absent, undecodable or NaN. */
function decodeBound(type: IcebergPrimitive, bytes: Uint8Array | undefined): bigint | number | string | undefined {
  if (bytes === undefined) return undefined;
  try {
    const decoded = decodeSingleValue(type, bytes);
    if (!('value' in decoded) || typeof decoded.value === 'boolean') return undefined;
    if (typeof decoded.value === 'number' && Number.isNaN(decoded.value)) return undefined;
    return decoded.value;
  } catch {
    return undefined; // a foreign writer's odd bytes: no pruning rather than a failed query
  }
}

/** Column-bounds test: may some row of the file satisfy every predicate? */
export function fileBoundsMayMatch(file: DataFile, predicates: readonly BoundPredicate[]): boolean {
  for (const predicate of predicates) {
    if (!predicate.comparable) continue;
    const lower = decodeBound(predicate.field.type, file.lowerBounds?.get(predicate.field.id));
    const upper = decodeBound(predicate.field.type, file.upperBounds?.get(predicate.field.id));
    if (!rangeMayMatch(predicate.op, predicate.value, lower, upper)) return false;
  }
  return true;
}

/** A predicate on the partition value at `position` of a spec's tuple. */
export interface ProjectedPredicate {
  position: number;
  resultType: IcebergPrimitive;
  op: ComparisonOp;
  value: number | bigint | string;
}

/**
 * The filter's predicates on partition source columns turned into predicates
 * on the partition values of `spec` (Iceberg's "inclusive projection"). The
 * date/time transforms are monotonic, so `x >= v` implies `t(x) >= t(v)`; a
 * strict bound is first made inclusive on the integer source (`x < v` is
 * `x <= v - 1`), so `issue_date < 2026-08-01T00:00Z` does not keep August.
 * Transforms that cannot be projected (bucket, truncate, void) give nothing.
 */
export function projectOntoSpec(spec: PartitionSpec, predicates: readonly BoundPredicate[]): ProjectedPredicate[] {
  const projected: ProjectedPredicate[] = [];
  spec.fields.forEach((partitionField, position) => {
    for (const predicate of predicates) {
      if (!predicate.comparable || partitionField['source-id'] !== predicate.field.id) continue;
      const projection = project(partitionField, predicate);
      if (projection) projected.push({ position, resultType: transformResultType(partitionField.transform, predicate.field.type), ...projection });
    }
  });
  return projected;
}

function project(partitionField: PartitionField, predicate: BoundPredicate): { op: ComparisonOp; value: number | bigint | string } | undefined {
  const { transform } = partitionField;
  if (transform === 'identity') return { op: predicate.op, value: predicate.value };
  const type = predicate.field.type;
  if (type !== 'timestamptz' && type !== 'date') return undefined;
  if (transform !== 'year' && transform !== 'month' && transform !== 'day' && transform !== 'hour') return undefined;
  if (type === 'date' && transform === 'hour') return undefined;
  const inclusive = inclusiveBound(predicate.op, predicate.value as bigint | number);
  if (!inclusive) return undefined;
  try {
    const value =
      type === 'timestamptz' ? partitionValue(transform, inclusive.value as bigint) : partitionValueFromDays(transform, inclusive.value as number);
    if (value === null) return undefined;
    return { op: inclusive.op, value };
  } catch {
    return undefined;
  }
}

/** `x < v` → `x <= v - 1`, `x > v` → `x >= v + 1` on integers; undefined at the type's ends (no projection then). */
function inclusiveBound(op: ComparisonOp, value: bigint | number): { op: ComparisonOp; value: bigint | number } | undefined {
  if (op === 'eq' || op === 'lte' || op === 'gte') return { op, value };
  const step = op === 'lt' ? -1 : 1;
  if (typeof value === 'bigint') {
    const next = value + BigInt(step);
    if (next < INT64_MIN || next > INT64_MAX) return undefined;
    return { op: op === 'lt' ? 'lte' : 'gte', value: next };
  }
  if (!Number.isSafeInteger(value)) return undefined;
  return { op: op === 'lt' ? 'lte' : 'gte', value: value + step };
}

/** Partition-tuple test; a null partition value keeps the file. */
export function partitionMayMatch(file: DataFile, projected: readonly ProjectedPredicate[]): boolean {
  for (const predicate of projected) {
    const value = file.partition[predicate.position];
    if (value === null || value === undefined) continue;
    const comparable = typeof predicate.value === 'bigint' && typeof value === 'number' ? BigInt(value) : value;
    if (!rangeMayMatch(predicate.op, predicate.value, comparable, comparable)) return false;
  }
  return true;
}

/**
 * Manifest-list test on the partition field summaries: the bounds cover every
 * non-null partition value of the manifest's files, so a projected predicate
 * they exclude excludes the whole manifest.
 */
export function manifestMayMatch(summaries: readonly PartitionFieldSummary[], projected: readonly ProjectedPredicate[]): boolean {
  for (const predicate of projected) {
    const summary = summaries[predicate.position];
    if (!summary) continue;
    const lower = decodeBound(predicate.resultType, summary.lowerBound);
    const upper = decodeBound(predicate.resultType, summary.upperBound);
    // No bounds at all: only nulls, or a writer that wrote none; keep it.
    if (lower === undefined && upper === undefined) continue;
    if (!rangeMayMatch(predicate.op, predicate.value, widen(lower, predicate.value), widen(upper, predicate.value))) return false;
  }
  return true;
}

/** A decoded int bound compared with a bigint projection (identity on a long) is widened to bigint. */
function widen(bound: bigint | number | string | undefined, like: bigint | number | string): bigint | number | string | undefined {
  return typeof like === 'bigint' && typeof bound === 'number' ? BigInt(bound) : bound;
}
