/**
 * Rows in PostgreSQL's COPY text format: columns separated by a tab, rows
 * ended by a newline, `\N` for NULL, and backslash escapes for the characters
 * that would otherwise be read as structure.
 * See https://www.postgresql.org/docs/current/sql-copy.html (Text Format).
 */
import type { SyntheticCustomer } from './synthetic-customers.ts';
import type { SyntheticInvoice } from './synthetic-invoices.ts';

/** Column lists, in the order the line builders below write them. */
export const CUSTOMER_COPY_COLUMNS = ['customer_id', 'name', 'country', 'industry', 'created_at'] as const;
export const INVOICE_COPY_COLUMNS = ['invoice_id', 'issue_date', 'issuer_id', 'receiver_id', 'amount'] as const;

const NEEDS_ESCAPE = /[\\\t\n\r\0]/;
const ESCAPES: Readonly<Record<string, string>> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/**
 * Escapes one text value for COPY text format: backslash, tab, newline and
 * carriage return become `\\`, `\t`, `\n`, `\r`. Everything else (quotes,
 * non-ASCII letters) is literal. NUL cannot be stored in a PostgreSQL text
 * value at all, so it is rejected rather than silently dropped.
 */
export function escapeCopyText(value: string): string {
  // Fast path: generated names rarely contain anything to escape.
  if (!NEEDS_ESCAPE.test(value)) return value;
  if (value.includes('\0')) throw new RangeError('text values cannot contain NUL (0x00) characters');
  return value.replace(/[\\\t\n\r]/g, (ch) => ESCAPES[ch] ?? ch);
}

/** One customers line (with its trailing newline) in CUSTOMER_COPY_COLUMNS order. */
export function customerCopyLine(customer: SyntheticCustomer): string {
  return `${customer.customerId}\t${escapeCopyText(customer.name)}\t${escapeCopyText(customer.country)}\t${escapeCopyText(
    customer.industry,
  )}\t${customer.createdAt}\n`;
}

/**
 * One invoices line in INVOICE_COPY_COLUMNS order. `customerIdAt` maps a
 * generator customer index to the customer_id stored in the database.
 */
export function invoiceCopyLine(invoice: SyntheticInvoice, customerIdAt: (index: number) => string): string {
  return `${invoice.invoiceId}\t${invoice.issueDate}\t${customerIdAt(invoice.issuerIndex)}\t${customerIdAt(
    invoice.receiverIndex,
  )}\t${invoice.amount}\n`;
}
