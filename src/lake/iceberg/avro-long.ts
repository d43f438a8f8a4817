/**
 * An avsc `long` that reads and writes JavaScript `bigint`.
 *
 * avsc's built-in long refuses values beyond 2^53 ("potential precision
 * loss"), but Iceberg snapshot ids are random 63-bit values (spec "Snapshots")
 * and real Spark/Java manifests carry them (ICEBERG_NOTES §0.2).
 */
import avro from 'avsc';

/** avsc does not export its `Schema` type; take it from `forSchema`. */
type AvroSchemaArg = Parameters<typeof avro.Type.forSchema>[0];

function compareBigInt(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * BigInt long type built with the documented `LongType.__with` hook. avsc
 * hands `fromBuffer`/`toBuffer` the 8-byte little-endian two's-complement form.
 */
export const bigintLongType: avro.types.LongType = avro.types.LongType.__with({
  fromBuffer: (buf: Buffer): bigint => buf.readBigInt64LE(0),
  toBuffer: (n: bigint): Buffer => {
    const buf = Buffer.alloc(8);
    buf.writeBigInt64LE(n, 0);
    return buf;
  },
  // JSON forms only matter for schema defaults, which are null in Iceberg schemas.
  fromJSON: (v: unknown): bigint => BigInt(v as number | string),
  toJSON: (n: bigint): number => Number(n),
  isValid: (n: unknown): boolean => typeof n === 'bigint' && n >= -(1n << 63n) && n < 1n << 63n,
  compare: compareBigInt,
});

/**
 * avsc `typeHook` that swaps every `long` for {@link bigintLongType}. A
 * registry entry alone is not enough: it only covers the string form
 * `"long"`, not `{"type":"long","logicalType":"timestamp-micros"}` used for
 * timestamptz partition values (notes §3 "Partition struct").
 */
export function bigintTypeHook(schema: unknown): avro.Type | undefined {
  if (schema === 'long') return bigintLongType;
  if (typeof schema === 'object' && schema !== null && !Array.isArray(schema)) {
    if ((schema as { type?: unknown }).type === 'long') return bigintLongType;
  }
  return undefined;
}

/** avsc `Type` for a plain JSON Avro schema whose longs are bigints. */
export function bigintAvroType(schema: object): avro.Type {
  return avro.Type.forSchema(schema as AvroSchemaArg, { typeHook: bigintTypeHook });
}
