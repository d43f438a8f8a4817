/**
 * The synthetic invoices of `invoice-lake populate`, kept column by column
 * (28 bytes a row: 10 million fit in 280 MB) so the same rows can be loaded
 * into PostgreSQL and written to the lake without generating them twice.
 */
import { generateInvoices } from '../src/source/populate/synthetic-invoices.ts';
import type { CustomerIdPool } from '../src/source/populate/customer-ids.ts';

export interface InvoiceColumns {
  readonly count: number;
  /** invoice_id of row 0; row i has firstId + i. */
  readonly firstId: bigint;
  /** issue_date in µs since the epoch (UTC); exact in a double for any realistic date. */
  readonly issueMicros: Float64Array;
  readonly issuerId: Float64Array;
  readonly receiverId: Float64Array;
  readonly amountCents: Float64Array;
}

export function allocateInvoiceColumns(count: number, firstId: bigint): InvoiceColumns {
  return {
    count,
    firstId,
    issueMicros: new Float64Array(count),
    issuerId: new Float64Array(count),
    receiverId: new Float64Array(count),
    amountCents: new Float64Array(count),
  };
}

/**
 * Yields COPY text lines of the generated invoices (INVOICE_COPY_COLUMNS
 * order) and records each row into `columns` as it goes, so loading
 * PostgreSQL also captures the rows for the lake.
 */
export function* copyLinesRecording(
  columns: InvoiceColumns,
  options: { seed: number; months: number; now: Date; customers: CustomerIdPool },
): Generator<string> {
  let row = 0;
  for (const invoice of generateInvoices({
    seed: options.seed,
    count: columns.count,
    customerCount: options.customers.size,
    months: options.months,
    now: options.now,
    startInvoiceId: columns.firstId,
  })) {
    const issuer = options.customers.idAt(invoice.issuerIndex);
    const receiver = options.customers.idAt(invoice.receiverIndex);
    columns.issueMicros[row] = invoice.issueMicros;
    columns.issuerId[row] = Number(issuer);
    columns.receiverId[row] = Number(receiver);
    columns.amountCents[row] = invoice.amountCents;
    row++;
    yield `${invoice.invoiceId}\t${invoice.issueDate}\t${issuer}\t${receiver}\t${invoice.amount}\n`;
  }
  if (row !== columns.count) throw new Error(`generator yielded ${row} invoices, expected ${columns.count}`);
}

