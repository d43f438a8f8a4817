/**
 * Picks the invoice_id range a populate run loads with COPY, and reserves it
 * in the identity sequence before loading.
 *
 * The range starts after both the largest existing invoice_id and the
 * sequence's last value, so running populate twice appends. Reserving first
 * (setval to the end of the range) means live INSERTs that run during a long
 * COPY take ids after our range instead of colliding with it. The read and the
 * setval are one statement, so the window for a race is a few microseconds;
 * should one happen, COPY fails on the primary key: loudly, never silently.
 */
import type { ClientBase } from 'pg';

/** The ids a run will use: first .. first + count - 1. */
export interface InvoiceIdRange {
  readonly first: bigint;
  readonly count: number;
  /** The identity sequence, or null when invoice_id has none (a table we did not create). */
  readonly sequence: string | null;
}

const RESERVE_SQL = `WITH s AS (SELECT pg_get_serial_sequence('invoices', 'invoice_id') AS seq),
     t AS (SELECT coalesce(max(invoice_id), 0) AS max_id FROM invoices),
     r AS (
       SELECT s.seq,
              coalesce($1::bigint,
                       greatest(t.max_id, coalesce(pg_sequence_last_value(s.seq::regclass), 0)) + 1) AS first_id
         FROM s, t)
SELECT r.seq,
       r.first_id::text AS first_id,
       CASE WHEN r.seq IS NOT NULL AND $2::bigint > 0
             AND r.first_id + $2::bigint - 1 > coalesce(pg_sequence_last_value(r.seq::regclass), 0)
            THEN setval(r.seq::regclass, r.first_id + $2::bigint - 1) END AS reserved_to
  FROM r`;

/**
 * Chooses and reserves `count` invoice ids. With `startInvoiceId` the caller
 * chooses the start (the sequence is still moved past the range, never back).
 */
export async function reserveInvoiceIds(client: ClientBase, count: number, startInvoiceId?: bigint): Promise<InvoiceIdRange> {
  const result = await client.query<{ seq: string | null; first_id: string }>(RESERVE_SQL, [
    startInvoiceId === undefined ? null : startInvoiceId.toString(),
    String(count),
  ]);
  const row = result.rows[0];
  if (row === undefined) throw new Error('reserving invoice ids returned no row');
  return { first: BigInt(row.first_id), count, sequence: row.seq };
}
