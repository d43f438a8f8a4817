import type { TableDefinition } from '../../lake/tables/table-definition.ts';

/**
 * The rollup behind `invoice-lake customer ID --months N`: one row per
 * customer and UTC month, written by the job `jobs/customer_monthly_totals.sql`
 * (on each commit of `invoices`, replacing the months it touched). Field ids
 * follow column order, as the job runner numbers a result's columns.
 */
export const CUSTOMER_MONTHLY_TOTALS_TABLE: TableDefinition = {
  name: 'customer_monthly_totals',
  monthPartitionColumn: 'month',
  columns: [
    { fieldId: 1, name: 'customer_id', type: { kind: 'long' }, doc: 'Customer (issuer or receiver)' },
    { fieldId: 2, name: 'month', type: { kind: 'timestamptz' }, doc: 'First instant of the UTC month' },
    { fieldId: 3, name: 'sent_count', type: { kind: 'long' }, doc: 'Invoices the customer issued in the month' },
    { fieldId: 4, name: 'sent_amount', type: { kind: 'decimal', precision: 18, scale: 2 }, doc: 'Their total amount in USD' },
    { fieldId: 5, name: 'received_count', type: { kind: 'long' }, doc: 'Invoices the customer received in the month' },
    { fieldId: 6, name: 'received_amount', type: { kind: 'decimal', precision: 18, scale: 2 }, doc: 'Their total amount in USD' },
  ],
};

/**
 * Summary key of the rollup's snapshots naming the `invoices` snapshot it has
 * processed; equal to `inputSnapshotKey('invoices')` of the job runner
 * (a test holds them equal; not imported, so neither module loads the other).
 */
export const ROLLUP_INPUT_SNAPSHOT_KEY = 'invoice-lake.input-snapshot.invoices';
