import { describe, expect, it } from 'vitest';
import { customerCopyLine, escapeCopyText, invoiceCopyLine } from '../../../src/source/populate/copy-text.ts';
import type { SyntheticCustomer } from '../../../src/source/populate/synthetic-customers.ts';

/** What PostgreSQL's COPY text reader does with one escaped field (the subset we emit). */
function unescape(field: string): string {
  return field.replace(/\\(.)/g, (_, ch: string) => ({ t: '\t', n: '\n', r: '\r', '\\': '\\' })[ch] ?? ch);
}

describe('escapeCopyText', () => {
  it('escapes backslash, tab, newline and carriage return', () => {
    expect(escapeCopyText('a\\b')).toBe('a\\\\b');
    expect(escapeCopyText('a\tb')).toBe('a\\tb');
    expect(escapeCopyText('line1\nline2\r\n')).toBe('line1\\nline2\\r\\n');
    expect(escapeCopyText('\\.')).toBe('\\\\.');
  });

  it('leaves everything else literal', () => {
    for (const value of ["O'Brien & Co", 'Müller GmbH', 'São Bento', '"quoted"', '', 'N', '日本']) {
      expect(escapeCopyText(value)).toBe(value);
    }
  });

  it('round-trips and never leaves a raw separator in the field', () => {
    const nasty = 'tab\there\\back\nnew\rret\\t literal';
    const escaped = escapeCopyText(nasty);
    expect(escaped).not.toMatch(/[\t\n\r]/);
    expect(unescape(escaped)).toBe(nasty);
  });

  it('rejects NUL, which PostgreSQL text cannot store', () => {
    expect(() => escapeCopyText('a\0b')).toThrow(/NUL/);
  });
});

describe('copy lines', () => {
  it('writes a customer as five tab-separated fields ending with a newline', () => {
    const customer: SyntheticCustomer = {
      index: 0,
      customerId: 42n,
      name: 'Tab\tName\\Inc.',
      country: 'DE',
      industry: 'Food & Beverage',
      utcOffsetMinutes: 60,
      createdMicros: 0,
      createdAt: '1970-01-01 00:00:00.000000+00',
    };
    const line = customerCopyLine(customer);
    expect(line).toBe('42\tTab\\tName\\\\Inc.\tDE\tFood & Beverage\t1970-01-01 00:00:00.000000+00\n');
    expect(line.slice(0, -1).split('\t')).toHaveLength(5);
  });

  it('writes an invoice with mapped customer ids and exact text values', () => {
    const line = invoiceCopyLine(
      {
        invoiceId: 9_007_199_254_740_993n,
        issueMicros: 1_772_615_553_123_456,
        issueDate: '2026-03-04 09:12:33.123456+00',
        issuerIndex: 0,
        receiverIndex: 1,
        amountCents: 123_405,
        amount: '1234.05',
      },
      (index) => String(1000 + index),
    );
    expect(line).toBe('9007199254740993\t2026-03-04 09:12:33.123456+00\t1000\t1001\t1234.05\n');
  });
});
