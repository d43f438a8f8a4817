import { describe, expect, it } from 'vitest';
import { decodeInvoice, type InvoiceColumnPositions } from '../../../src/pipeline/invoice-rows.ts';
import { valueRejectionClass } from '../../../src/source/value-rejection-class.ts';

const AT: InvoiceColumnPositions = { invoiceId: 0, issueDate: 1, issuerId: 2, receiverId: 3, amount: 4 };
const GOOD = ['7', '2026-01-01 00:00:00+00', '1', '2', '10.50'];

/** The reason decodeInvoice gives for a tuple with `column` set to `value`. */
function reasonFor(column: number, value: string | null | undefined): string {
  const values = [...GOOD];
  values[column] = value as string;
  try {
    decodeInvoice(values, AT);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected a rejection');
}

describe('valueRejectionClass', () => {
  it.each<[number, string | null | undefined, string]>([
    [4, null, 'null_value'],
    [4, undefined, 'unchanged_toast'],
    [0, '1.5', 'integer_malformed'],
    [0, '9223372036854775808', 'integer_out_of_range'],
    [4, 'NaN', 'decimal_malformed'],
    [4, '1.005', 'decimal_scale'],
    [4, '1000000000000', 'decimal_out_of_range'],
    [1, 'infinity', 'timestamp_infinite'],
    [1, '-infinity', 'timestamp_infinite'],
    [1, '294250-01-01 00:00:00+00', 'timestamp_out_of_range'],
    [1, '0044-03-15 12:00:00+00 BC', 'timestamp_bc'],
    [1, '2024-02-30 00:00:00+00', 'timestamp_malformed'],
    [1, '2024-01-01 25:00:00+00', 'timestamp_malformed'],
    [1, 'now', 'timestamp_malformed'],
  ])('column %i = %j is %s', (column, value, expected) => {
    expect(valueRejectionClass(reasonFor(column, value))).toBe(expected);
  });

  it('a missing column and unforeseen text', () => {
    expect(valueRejectionClass('source table lacks column(s) amount, issuer_id')).toBe('missing_column');
    expect(valueRejectionClass('something else')).toBe('other');
  });
});
