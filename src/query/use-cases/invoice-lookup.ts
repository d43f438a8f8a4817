import type { LakeQuery } from '../lake-query.ts';
import type { Cell } from '../result-format.ts';
import { totalDataFiles } from '../sql-pruning.ts';

/** Columns shown for one invoice, in this order. */
export const INVOICE_COLUMNS = ['invoice_id', 'issue_date', 'issuer_id', 'receiver_id', 'amount', 'risk_score', 'risk_model', 'committed_at'] as const;

export interface InvoiceLookup {
  /** The invoice's row (exact text for ids, amounts and instants), or undefined when the lake does not hold it. */
  invoice: Record<(typeof INVOICE_COLUMNS)[number], Cell> | undefined;
  /** Data files the query opened: those whose month partition and invoice_id bounds can hold the id. */
  filesRead: number;
  /** Live data files of the invoices snapshot. */
  filesConsidered: number;
}

/**
 * Use case 1: one invoice by id. The manifests' invoice_id bounds select the
 * files that can hold it (one, on a stream written in id order), and DuckDB
 * reads only those.
 */
export async function lookUpInvoice(session: LakeQuery, invoiceId: bigint): Promise<InvoiceLookup> {
  const pruned = await session.restrictView('invoices', [{ column: 'invoice_id', op: 'eq', value: invoiceId }]);
  // The lake table is append-only: should an id have been deleted and inserted again, the newest row is the invoice.
  const { rows } = await session.run(
    `SELECT ${INVOICE_COLUMNS.join(', ')} FROM invoices WHERE invoice_id = $1 ORDER BY commit_lsn DESC LIMIT 1`,
    [invoiceId],
  );
  const row = rows[0];
  return {
    invoice: row ? (Object.fromEntries(INVOICE_COLUMNS.map((column, i) => [column, row[i] ?? null])) as InvoiceLookup['invoice']) : undefined,
    filesRead: pruned.counts.filesSelected,
    filesConsidered: totalDataFiles(pruned),
  };
}
