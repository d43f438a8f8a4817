import { LakeError } from '../errors/lake-error.ts';

const INT64_MAX = (1n << 63n) - 1n;

/** A command-line id (`invoice ID`, `customer ID`) as the 64-bit integer the lake stores; exit 2 otherwise. */
export function parseId(value: string, what: 'invoice' | 'customer'): bigint {
  const text = value.trim();
  if (!/^\d{1,19}$/.test(text) || BigInt(text) > INT64_MAX) {
    throw new LakeError('config', `${what} ID must be a whole number from 0 to ${INT64_MAX}, got ${JSON.stringify(value)}`, {
      hint: `e.g. invoice-lake ${what} 42`,
    });
  }
  return BigInt(text);
}
