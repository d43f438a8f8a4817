import { describe, expect, it } from 'vitest';
import { LakeError } from '../../../src/errors/lake-error.ts';
import { populate } from '../../../src/source/populate/copy-loader.ts';
import type { PopulateOptions } from '../../../src/source/populate/copy-loader.ts';
import { take } from '../../../src/source/populate/copy-stream.ts';
import { contiguousPool, listPool, loadCustomerIdPool } from '../../../src/source/populate/customer-ids.ts';
import { reserveInvoiceIds } from '../../../src/source/populate/invoice-id-range.ts';
import { fakeClient } from './fake-pg.ts';

describe('customer id pools', () => {
  it('maps indexes arithmetically for a contiguous range, beyond 2^53 too', () => {
    expect(contiguousPool(101n, 3).idAt(2)).toBe('103');
    expect(contiguousPool(9_007_199_254_740_990n, 10).idAt(9)).toBe('9007199254740999');
    expect(listPool(BigInt64Array.from([5n, 9n, -2n])).idAt(1)).toBe('9');
  });

  it('uses arithmetic when the smallest ids are contiguous', async () => {
    const { client, queries } = fakeClient(() => [{ n: '1000', lo: '1', hi: '1000' }]);
    const pool = await loadCustomerIdPool(client, 1000);
    expect(pool.size).toBe(1000);
    expect(pool.idAt(999)).toBe('1000');
    expect(queries).toHaveLength(1);
  });

  it('loads the ids when they have gaps', async () => {
    const { client, queries } = fakeClient((text) =>
      text.includes('count(*)') ? [{ n: '3', lo: '10', hi: '99' }] : [['10'], ['42'], ['99']],
    );
    const pool = await loadCustomerIdPool(client, 3);
    expect([pool.idAt(0), pool.idAt(1), pool.idAt(2)]).toEqual(['10', '42', '99']);
    expect(queries).toHaveLength(2);
  });

  it('is empty for an empty table', async () => {
    const { client } = fakeClient(() => [{ n: '0', lo: null, hi: null }]);
    expect((await loadCustomerIdPool(client, 10)).size).toBe(0);
  });
});

describe('reserveInvoiceIds', () => {
  it('passes the explicit start and the count, and parses the first id exactly', async () => {
    const { client, queries } = fakeClient(() => [{ seq: 'public.invoices_invoice_id_seq', first_id: '9007199254740993' }]);
    const range = await reserveInvoiceIds(client, 500, 9_007_199_254_740_993n);
    expect(range).toEqual({ first: 9_007_199_254_740_993n, count: 500, sequence: 'public.invoices_invoice_id_seq' });
    expect(queries[0]!.values).toEqual(['9007199254740993', '500']);
    expect(queries[0]!.text).toMatch(/setval/);
  });

  it('starts after existing rows when no start is given', async () => {
    const { client, queries } = fakeClient(() => [{ seq: null, first_id: '201' }]);
    expect((await reserveInvoiceIds(client, 10)).first).toBe(201n);
    expect(queries[0]!.values).toEqual([null, '10']);
  });
});

describe('take', () => {
  it('takes a prefix without closing the source, so chunks continue where the last stopped', () => {
    const source = (function* () {
      for (let i = 0; i < 7; i++) yield i;
    })();
    expect([...take(source, 3)]).toEqual([0, 1, 2]);
    expect([...take(source, 3)]).toEqual([3, 4, 5]);
    expect([...take(source, 3)]).toEqual([6]);
    expect([...take(source, 3)]).toEqual([]);
  });
});

describe('populate option validation', () => {
  const valid: PopulateOptions = { customers: 10, invoices: 100, months: 3, seed: 1, now: new Date('2026-01-01T00:00:00Z') };
  const cases: [string, Partial<PopulateOptions>][] = [
    ['negative invoices', { invoices: -1 }],
    ['fractional customers', { customers: 1.5 }],
    ['zero months', { months: 0 }],
    ['invalid now', { now: new Date('nope') }],
    ['one customer with invoices', { customers: 1 }],
    ['zero chunk', { chunkRows: 0 }],
  ];
  for (const [name, patch] of cases) {
    it(`rejects ${name} as a configuration error before touching the database`, async () => {
      const { client, queries } = fakeClient(() => []);
      const error = await populate(client, { ...valid, ...patch }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(LakeError);
      expect((error as LakeError).exitCode).toBe(2);
      expect(queries).toEqual([]);
    });
  }
});
