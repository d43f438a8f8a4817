/**
 * Iceberg binary single-value serialization (spec Appendix D), used for the
 * `lower_bounds`/`upper_bounds` maps of data files and for the partition
 * summaries of a manifest list.
 */
import type { IcebergPrimitive, IcebergValue } from './spec-types.ts';

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;
const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;

/** Precision and scale of a `decimal(P, S)` type string; undefined for other types. */
export function parseDecimalType(type: string): { precision: number; scale: number } | undefined {
  // Java writes "decimal(10, 2)"; tolerate missing/extra blanks from other writers.
  const m = /^decimal\(\s*(\d+)\s*,\s*(\d+)\s*\)$/.exec(type);
  if (!m) return undefined;
  return { precision: Number(m[1]), scale: Number(m[2]) };
}

/**
 * Unscaled decimal value as the minimum-length two's-complement big-endian
 * byte array (Appendix D; what Java's `BigInteger.toByteArray` produces).
 */
export function decimalToBytes(unscaled: bigint): Uint8Array {
  // Bits needed including the sign bit: n >= 0 needs bitlen(n) + 1,
  // n < 0 needs bitlen(-n - 1) + 1 (so -128 fits one byte, -129 needs two).
  const magnitude = unscaled >= 0n ? unscaled : -unscaled - 1n;
  const bits = (magnitude === 0n ? 0 : magnitude.toString(2).length) + 1;
  const length = Math.ceil(bits / 8);
  // BigInt `&` works on the infinite two's-complement form, so masking yields the low bytes.
  let rest = unscaled & ((1n << BigInt(length * 8)) - 1n);
  const out = new Uint8Array(length);
  for (let i = length - 1; i >= 0; i--) {
    out[i] = Number(rest & 0xffn);
    rest >>= 8n;
  }
  return out;
}

/** Inverse of {@link decimalToBytes}: big-endian two's complement → bigint. */
export function bytesToDecimal(bytes: Uint8Array): bigint {
  if (bytes.length === 0) throw new RangeError('decimal bound has no bytes');
  let value = 0n;
  for (const b of bytes) value = (value << 8n) | BigInt(b);
  const first = bytes[0] ?? 0;
  return first & 0x80 ? value - (1n << BigInt(bytes.length * 8)) : value;
}

function checkInt32(value: number, what: string): void {
  if (!Number.isInteger(value) || value < INT32_MIN || value > INT32_MAX) {
    throw new RangeError(`${what} ${value} is not a 32-bit integer`);
  }
}

function checkInt64(value: bigint, what: string): void {
  if (value < INT64_MIN || value > INT64_MAX) throw new RangeError(`${what} ${value} is not a 64-bit integer`);
}

function le(size: number, write: (view: DataView) => void): Uint8Array {
  const out = new Uint8Array(size);
  write(new DataView(out.buffer));
  return out;
}

/** Serialize one typed value per spec Appendix D "Binary single-value serialization". */
export function encodeSingleValue(v: IcebergValue): Uint8Array {
  switch (v.type) {
    case 'int':
    case 'date': // date = days since 1970-01-01 as a 4-byte LE int
      checkInt32(v.value, v.type);
      return le(4, (d) => d.setInt32(0, v.value, true));
    case 'long':
    case 'timestamptz': // timestamptz = µs since epoch UTC as an 8-byte LE long
      checkInt64(v.value, v.type);
      return le(8, (d) => d.setBigInt64(0, v.value, true));
    case 'double':
      return le(8, (d) => d.setFloat64(0, v.value, true));
    case 'boolean':
      return Uint8Array.of(v.value ? 1 : 0);
    case 'string':
      return new TextEncoder().encode(v.value);
    case 'decimal': {
      // An unscaled value with more digits than P is not a valid decimal(P, S).
      const abs = v.unscaled < 0n ? -v.unscaled : v.unscaled;
      if (abs >= 10n ** BigInt(v.precision)) {
        throw new RangeError(`unscaled ${v.unscaled} does not fit decimal(${v.precision}, ${v.scale})`);
      }
      return decimalToBytes(v.unscaled);
    }
  }
}

function view(bytes: Uint8Array, sizes: number[], type: string): DataView {
  if (!sizes.includes(bytes.length)) {
    throw new RangeError(`${type} value must be ${sizes.join(' or ')} bytes, got ${bytes.length}`);
  }
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Deserialize a bound or partition-summary value of Iceberg type `type`.
 * Like Java `Conversions.fromByteBuffer`, a 4-byte `long`/`double` is read as
 * the int/float it was written as before an int→long / float→double promotion.
 */
export function decodeSingleValue(type: IcebergPrimitive, bytes: Uint8Array): IcebergValue {
  switch (type) {
    case 'int':
    case 'date':
      return { type, value: view(bytes, [4], type).getInt32(0, true) };
    case 'long': {
      const d = view(bytes, [4, 8], type);
      return { type, value: bytes.length === 4 ? BigInt(d.getInt32(0, true)) : d.getBigInt64(0, true) };
    }
    case 'timestamptz':
      return { type, value: view(bytes, [8], type).getBigInt64(0, true) };
    case 'double': {
      const d = view(bytes, [4, 8], type);
      return { type, value: bytes.length === 4 ? d.getFloat32(0, true) : d.getFloat64(0, true) };
    }
    case 'boolean':
      // Appendix D: 0x00 is false, any non-zero byte is true.
      return { type, value: view(bytes, [1], type).getUint8(0) !== 0 };
    case 'string':
      return { type, value: new TextDecoder('utf-8', { fatal: true }).decode(bytes) };
    default: {
      const decimal = parseDecimalType(type);
      if (!decimal) throw new TypeError(`unsupported Iceberg type for single-value decoding: ${String(type)}`);
      return { type: 'decimal', unscaled: bytesToDecimal(bytes), ...decimal };
    }
  }
}
