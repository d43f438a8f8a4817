import { describe, expect, it } from 'vitest';
import { decodeInvoice, type InvoiceColumnPositions } from '../../../src/pipeline/invoice-rows.ts';
import { ValueRejected } from '../../../src/source/exact-values.ts';

const AT: InvoiceColumnPositions = { invoiceId: 0, issueDate: 1, issuerId: 2, receiverId: 3, amount: 4 };
const tuple = (issueDate: string) => ['7', issueDate, '1', '2', '10.50'];

describe('decodeInvoice', () => {
  it('decodes an invoice whose issue_date is the last instant the lake holds', () => {
    expect(decodeInvoice(tuple('294247-01-10 04:00:54.775806+00'), AT).issueDate).toBe(2n ** 63n - 2n);
  });

  it.each([
    ['294250-01-01 00:00:00+00', /^issue_date: timestamp 294250-01-01 00:00:00\+00 is beyond .*294247-01-10 04:00:54\.775806 UTC/],
    ['infinity', /^issue_date: timestamp infinity is infinite; the lake holds 0001-01-01/],
    ['-infinity', /^issue_date: timestamp -infinity is infinite/],
    ['0044-03-15 12:00:00+00 BC', /^issue_date: BC timestamp 0044-03-15 12:00:00\+00 BC is not supported/],
  ])('rejects issue_date %s with a reason naming the column, the value and the range', (issueDate, reason) => {
    expect(() => decodeInvoice(tuple(issueDate), AT)).toThrow(ValueRejected);
    expect(() => decodeInvoice(tuple(issueDate), AT)).toThrow(reason);
  });
});
