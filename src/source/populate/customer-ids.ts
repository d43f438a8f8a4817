/**
 * Maps the generator's customer indexes (0..N-1) to customer_id values that
 * exist in the database: the N smallest ids. Usually those ids are one
 * contiguous range (populate assigns consecutive ids), and then the mapping is
 * arithmetic with no memory; otherwise the ids are loaded once into a
 * BigInt64Array (8 bytes per customer).
 */
import type { ClientBase } from 'pg';

/** The customers invoices may reference. */
export interface CustomerIdPool {
  /** Number of customers in the pool (may be below the requested size if the table is smaller). */
  readonly size: number;
  /** customer_id, as decimal text, of the customer at `index` (0 <= index < size). */
  idAt(index: number): string;
}

/** A pool of `size` consecutive ids starting at `first`. */
export function contiguousPool(first: bigint, size: number): CustomerIdPool {
  const last = first + BigInt(Math.max(size - 1, 0));
  if (first >= BigInt(Number.MIN_SAFE_INTEGER) && last <= BigInt(Number.MAX_SAFE_INTEGER)) {
    // Number arithmetic is exact in this range and much cheaper than BigInt per row.
    const base = Number(first);
    return { size, idAt: (index) => String(base + index) };
  }
  return { size, idAt: (index) => String(first + BigInt(index)) };
}

/** A pool over an explicit list of ids. */
export function listPool(ids: BigInt64Array): CustomerIdPool {
  return { size: ids.length, idAt: (index) => String(ids[index]) };
}

/** Loads the pool of the `limit` smallest customer ids. */
export async function loadCustomerIdPool(client: ClientBase, limit: number): Promise<CustomerIdPool> {
  const summary = await client.query<{ n: string; lo: string | null; hi: string | null }>(
    `SELECT count(*)::bigint AS n, min(customer_id) AS lo, max(customer_id) AS hi
       FROM (SELECT customer_id FROM customers ORDER BY customer_id LIMIT $1) AS first_customers`,
    [limit],
  );
  const row = summary.rows[0];
  const size = Number(row?.n ?? 0);
  if (row === undefined || row.lo === null || row.hi === null || size === 0) return contiguousPool(1n, 0);
  const lo = BigInt(row.lo);
  if (BigInt(row.hi) - lo + 1n === BigInt(size)) return contiguousPool(lo, size);

  const result = await client.query<[string]>({
    text: 'SELECT customer_id FROM customers ORDER BY customer_id LIMIT $1',
    values: [limit],
    rowMode: 'array',
  });
  const ids = new BigInt64Array(result.rows.length);
  result.rows.forEach((r, i) => {
    ids[i] = BigInt(r[0]);
  });
  return listPool(ids);
}
