import type { ColumnDefinition, TableDefinition } from './table-definition.ts';
import { FEATURE_NAMES } from '../../scoring/features/feature-names.ts';

const AMOUNT = { kind: 'decimal', precision: 14, scale: 2 } as const;

/**
 * The lake tables the stream writes. Field ids are part of the on-disk format:
 * never renumber a column, only append new ids.
 */
export const INVOICES_TABLE: TableDefinition = {
  name: 'invoices',
  monthPartitionColumn: 'issue_date',
  columns: [
    { fieldId: 1, name: 'invoice_id', type: { kind: 'long' }, doc: 'Primary key of the source invoice' },
    { fieldId: 2, name: 'issue_date', type: { kind: 'timestamptz' }, doc: 'When the invoice was created (UTC, microseconds)' },
    { fieldId: 3, name: 'issuer_id', type: { kind: 'long' }, doc: 'Customer that sent the invoice' },
    { fieldId: 4, name: 'receiver_id', type: { kind: 'long' }, doc: 'Customer that received the invoice' },
    { fieldId: 5, name: 'amount', type: AMOUNT, doc: 'Amount in USD, exact' },
    { fieldId: 6, name: 'risk_score', type: { kind: 'double' }, doc: 'Risk score in [0, 1]; null when unscored' },
    { fieldId: 7, name: 'risk_model', type: { kind: 'string' }, doc: 'Model (name@version#sha) that produced risk_score' },
    { fieldId: 8, name: 'commit_lsn', type: { kind: 'long' }, doc: 'End LSN of the source transaction' },
    { fieldId: 9, name: 'committed_at', type: { kind: 'timestamptz' }, doc: 'Commit time of the source transaction' },
  ],
};

/** Every UPDATE, DELETE and TRUNCATE of the source invoices, append-only. */
export const INVOICE_CHANGES_TABLE: TableDefinition = {
  name: 'invoice_changes',
  monthPartitionColumn: 'committed_at',
  columns: [
    { fieldId: 1, name: 'operation', type: { kind: 'string' }, doc: 'update, delete or truncate' },
    { fieldId: 2, name: 'commit_lsn', type: { kind: 'long' }, doc: 'End LSN of the source transaction' },
    { fieldId: 3, name: 'committed_at', type: { kind: 'timestamptz' }, doc: 'Commit time of the source transaction' },
    { fieldId: 4, name: 'invoice_id', type: { kind: 'long' }, doc: 'Key of the changed row before the change; null for truncate' },
    { fieldId: 5, name: 'new_invoice_id', type: { kind: 'long' }, doc: 'invoice_id after an update' },
    { fieldId: 6, name: 'new_issue_date', type: { kind: 'timestamptz' }, doc: 'issue_date after an update' },
    { fieldId: 7, name: 'new_issuer_id', type: { kind: 'long' }, doc: 'issuer_id after an update' },
    { fieldId: 8, name: 'new_receiver_id', type: { kind: 'long' }, doc: 'receiver_id after an update' },
    { fieldId: 9, name: 'new_amount', type: AMOUNT, doc: 'amount after an update' },
  ],
};

/** Source rows that could not be stored exactly, with the reason; nothing is dropped silently. */
export const QUARANTINE_TABLE: TableDefinition = {
  name: 'quarantine',
  monthPartitionColumn: 'committed_at',
  columns: [
    { fieldId: 1, name: 'source_table', type: { kind: 'string' }, doc: 'schema.table of the source row' },
    { fieldId: 2, name: 'operation', type: { kind: 'string' }, doc: 'insert, update or delete' },
    { fieldId: 3, name: 'commit_lsn', type: { kind: 'long' }, doc: 'End LSN of the source transaction' },
    { fieldId: 4, name: 'committed_at', type: { kind: 'timestamptz' }, doc: 'Commit time of the source transaction' },
    { fieldId: 5, name: 'reason', type: { kind: 'string' }, doc: 'Why the row was not stored' },
    { fieldId: 6, name: 'row_json', type: { kind: 'string' }, doc: 'The row as received, column name to text value' },
  ],
};

/** Every model's score of every invoice (active and shadow), with the features it saw. */
export const RISK_SCORES_TABLE: TableDefinition = {
  name: 'risk_scores',
  monthPartitionColumn: 'issue_date',
  columns: [
    { fieldId: 1, name: 'invoice_id', type: { kind: 'long' }, doc: 'Scored invoice' },
    { fieldId: 2, name: 'issue_date', type: { kind: 'timestamptz' }, doc: 'issue_date of the invoice' },
    { fieldId: 3, name: 'model', type: { kind: 'string' }, doc: 'name@version#sha256-prefix of the model' },
    { fieldId: 4, name: 'role', type: { kind: 'string' }, doc: 'active or shadow' },
    { fieldId: 5, name: 'score', type: { kind: 'double' }, doc: 'Score in [0, 1]; null when inference failed' },
    { fieldId: 6, name: 'error', type: { kind: 'string' }, doc: 'Why inference failed, else null' },
    // Field id 7 was the feature vector as a JSON string; ids are never reused.
    { fieldId: 8, name: 'commit_lsn', type: { kind: 'long' }, doc: 'LSN of the source transaction commit record' },
    { fieldId: 9, name: 'committed_at', type: { kind: 'timestamptz' }, doc: 'Commit time of the source transaction' },
    ...featureColumns(10),
  ],
};

/** Invoices whose active-model score reached the alert threshold. */
export const RISK_ALERTS_TABLE: TableDefinition = {
  name: 'risk_alerts',
  monthPartitionColumn: 'committed_at',
  columns: [
    { fieldId: 1, name: 'invoice_id', type: { kind: 'long' }, doc: 'Invoice that raised the alert' },
    { fieldId: 2, name: 'issuer_id', type: { kind: 'long' }, doc: 'Customer that sent it' },
    { fieldId: 3, name: 'receiver_id', type: { kind: 'long' }, doc: 'Customer that received it' },
    { fieldId: 4, name: 'amount', type: AMOUNT, doc: 'Amount in USD' },
    { fieldId: 5, name: 'score', type: { kind: 'double' }, doc: 'Active model score' },
    { fieldId: 6, name: 'threshold', type: { kind: 'double' }, doc: 'Alert threshold in force' },
    { fieldId: 7, name: 'model', type: { kind: 'string' }, doc: 'Model that scored it' },
    { fieldId: 8, name: 'idempotency_key', type: { kind: 'string' }, doc: 'invoice_id:model, the key sent with NOTIFY and webhook alerts' },
    { fieldId: 9, name: 'commit_lsn', type: { kind: 'long' }, doc: 'LSN of the source transaction commit record' },
    { fieldId: 10, name: 'committed_at', type: { kind: 'timestamptz' }, doc: 'Commit time of the source transaction' },
  ],
};

export const STREAM_TABLES: readonly TableDefinition[] = [INVOICES_TABLE, INVOICE_CHANGES_TABLE, QUARANTINE_TABLE, RISK_SCORES_TABLE, RISK_ALERTS_TABLE];

/**
 * One double column per model input (`feature_<name>`, in the model
 * contract's order): queryable directly, and written as plain float arrays
 * rather than a string per row.
 */
function featureColumns(firstFieldId: number): ColumnDefinition[] {
  return FEATURE_NAMES.map((name, i) => ({
    fieldId: firstFieldId + i,
    name: `feature_${name}`,
    type: { kind: 'double' },
    doc: `Model input ${i}: ${name}`,
  }));
}
