import type { Relation, TupleValues } from '../source/change-source.ts';
import { ValueRejected, decodeDecimal, decodeInteger, decodeTimestamptz } from '../source/exact-values.ts';
import type { RowValues } from '../lake/tables/table-definition.ts';

/** Where each invoice column sits in the source relation's tuples. */
export interface InvoiceColumnPositions {
  invoiceId: number;
  issueDate: number;
  issuerId: number;
  receiverId: number;
  amount: number;
}

const SOURCE_COLUMNS = {
  invoiceId: 'invoice_id',
  issueDate: 'issue_date',
  issuerId: 'issuer_id',
  receiverId: 'receiver_id',
  amount: 'amount',
} as const;

/** Column positions, or the list of columns the relation lacks. */
export function invoiceColumnPositions(relation: Relation): InvoiceColumnPositions | { missing: string[] } {
  const positions: Partial<InvoiceColumnPositions> = {};
  const missing: string[] = [];
  for (const [key, name] of Object.entries(SOURCE_COLUMNS) as Array<[keyof InvoiceColumnPositions, string]>) {
    const index = relation.columns.findIndex((column) => column.name === name);
    if (index < 0) missing.push(name);
    else positions[key] = index;
  }
  return missing.length > 0 ? { missing } : (positions as InvoiceColumnPositions);
}

export interface InvoiceValues {
  invoiceId: bigint;
  issueDate: bigint;
  issuerId: bigint;
  receiverId: bigint;
  amount: bigint;
}

/** Decodes one invoice tuple exactly; throws ValueRejected naming the column and the problem. */
export function decodeInvoice(values: TupleValues, at: InvoiceColumnPositions): InvoiceValues {
  return {
    invoiceId: column('invoice_id', values[at.invoiceId], decodeInteger),
    issueDate: column('issue_date', values[at.issueDate], decodeTimestamptz),
    issuerId: column('issuer_id', values[at.issuerId], decodeInteger),
    receiverId: column('receiver_id', values[at.receiverId], decodeInteger),
    amount: column('amount', values[at.amount], (text) => decodeDecimal(text, 14, 2)),
  };
}

/** Decodes only the key, for deletes whose old tuple carries nothing else. */
export function decodeInvoiceKey(values: TupleValues, at: InvoiceColumnPositions): bigint {
  return column('invoice_id', values[at.invoiceId], decodeInteger);
}

function column<T>(name: string, value: string | null | undefined, decode: (text: string) => T): T {
  if (value === null) throw new ValueRejected(`${name} is null`);
  if (value === undefined) throw new ValueRejected(`${name} was not sent (unchanged TOAST value)`);
  try {
    return decode(value);
  } catch (error) {
    if (error instanceof ValueRejected) throw new ValueRejected(`${name}: ${error.message}`);
    throw error;
  }
}

export interface TransactionContext {
  commitLsn: bigint;
  commitTimeMicros: bigint;
}

/** Row of the `invoices` lake table; the score columns stay null until a model scores it. */
export function invoiceRow(invoice: InvoiceValues, txn: TransactionContext): RowValues {
  return [invoice.invoiceId, invoice.issueDate, invoice.issuerId, invoice.receiverId, invoice.amount, null, null, txn.commitLsn, txn.commitTimeMicros];
}

/** Row of the `invoice_changes` lake table. */
export function changeRow(
  operation: 'update' | 'delete' | 'truncate',
  key: bigint | null,
  next: InvoiceValues | null,
  txn: TransactionContext,
): RowValues {
  return [
    operation,
    txn.commitLsn,
    txn.commitTimeMicros,
    key,
    next?.invoiceId ?? null,
    next?.issueDate ?? null,
    next?.issuerId ?? null,
    next?.receiverId ?? null,
    next?.amount ?? null,
  ];
}

/** Row of the `quarantine` lake table: the tuple as text, so nothing is lost. */
export function quarantineRow(relation: Relation, operation: string, values: TupleValues, reason: string, txn: TransactionContext): RowValues {
  const row: Record<string, string | null> = {};
  relation.columns.forEach((column, i) => {
    const value = values[i];
    row[column.name] = value === undefined ? null : value;
  });
  return [`${relation.schema}.${relation.name}`, operation, txn.commitLsn, txn.commitTimeMicros, reason, JSON.stringify(row)];
}
