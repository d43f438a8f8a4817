import type { Lake } from '../../lake/open-lake.ts';
import type { LakeQuery } from '../lake-query.ts';
import type { FileFilter } from '../file-filter.ts';
import { totalDataFiles } from '../sql-pruning.ts';
import { CUSTOMER_MONTHLY_TOTALS_TABLE } from './customer-monthly-totals-table.ts';
import { lastMonths, type MonthWindow } from './month-window.ts';
import { rollupFreshness } from './rollup-freshness.ts';

/** One month of a customer's invoices; counts and amounts as exact decimal text. */
export interface MonthTotals {
  month: string;
  sent_count: string;
  sent_amount: string;
  received_count: string;
  received_amount: string;
}

export interface CustomerMonths {
  customerId: bigint;
  window: MonthWindow;
  /** The lake table the totals were computed from. */
  source: 'customer_monthly_totals' | 'invoices';
  /** Why that table (the rollup's freshness). */
  reason: string;
  /** Every month of the window, oldest first; months without invoices are zeros. */
  rows: MonthTotals[];
  filesRead: number;
  filesConsidered: number;
}

const ZERO: Omit<MonthTotals, 'month'> = { sent_count: '0', sent_amount: '0.00', received_count: '0', received_amount: '0.00' };

/**
 * Use case 2: invoices a customer sent and received per UTC month over the
 * last `months` months. From the rollup when it has processed the current
 * invoices snapshot (a few rows of one small file per month), else from
 * invoices itself, reading only the window's month partitions. Both give the
 * same numbers; an invoice a customer sent to itself counts on both sides.
 */
export async function customerMonths(lake: Lake, session: LakeQuery, customerId: bigint, months: number, now = new Date()): Promise<CustomerMonths> {
  const window = lastMonths(months, now);
  const freshness = await rollupFreshness(lake);
  const answer = freshness.fresh ? await fromRollup(session, customerId, window) : await fromInvoices(session, customerId, window);
  const found = new Map(answer.rows.map((row) => [row.month, row]));
  return {
    customerId,
    window,
    source: freshness.fresh ? 'customer_monthly_totals' : 'invoices',
    reason: freshness.reason,
    rows: window.months.map((month) => found.get(month) ?? { month, ...ZERO }),
    filesRead: answer.filesRead,
    filesConsidered: answer.filesConsidered,
  };
}

interface PartialAnswer {
  rows: MonthTotals[];
  filesRead: number;
  filesConsidered: number;
}

async function fromRollup(session: LakeQuery, customerId: bigint, window: MonthWindow): Promise<PartialAnswer> {
  const table = CUSTOMER_MONTHLY_TOTALS_TABLE.name;
  const filter: FileFilter = [
    { column: 'customer_id', op: 'eq', value: customerId },
    { column: 'month', op: 'gte', value: window.startMicros },
    { column: 'month', op: 'lt', value: window.endMicros },
  ];
  const pruned = await session.restrictView(table, filter);
  // Summed, not read as is: a rollup written in several pieces per month still adds up.
  const { rows } = await session.run(
    `SELECT strftime(month, '%Y-%m'), sum(sent_count)::VARCHAR, sum(sent_amount)::VARCHAR, sum(received_count)::VARCHAR, sum(received_amount)::VARCHAR
       FROM ${table}
      WHERE customer_id = $1 AND month >= $2::TIMESTAMPTZ AND month < $3::TIMESTAMPTZ
      GROUP BY 1`,
    [customerId, window.start, window.end],
  );
  return { rows: rows.map(monthTotals), filesRead: pruned.counts.filesSelected, filesConsidered: totalDataFiles(pruned) };
}

async function fromInvoices(session: LakeQuery, customerId: bigint, window: MonthWindow): Promise<PartialAnswer> {
  const pruned = await session.restrictView('invoices', [
    { column: 'issue_date', op: 'gte', value: window.startMicros },
    { column: 'issue_date', op: 'lt', value: window.endMicros },
  ]);
  const { rows } = await session.run(
    `SELECT strftime(date_trunc('month', issue_date), '%Y-%m'),
            count(*) FILTER (WHERE issuer_id = $1)::VARCHAR,
            coalesce(sum(amount) FILTER (WHERE issuer_id = $1), 0)::DECIMAL(38, 2)::VARCHAR,
            count(*) FILTER (WHERE receiver_id = $1)::VARCHAR,
            coalesce(sum(amount) FILTER (WHERE receiver_id = $1), 0)::DECIMAL(38, 2)::VARCHAR
       FROM invoices
      WHERE (issuer_id = $1 OR receiver_id = $1) AND issue_date >= $2::TIMESTAMPTZ AND issue_date < $3::TIMESTAMPTZ
      GROUP BY 1`,
    [customerId, window.start, window.end],
  );
  return { rows: rows.map(monthTotals), filesRead: pruned.counts.filesSelected, filesConsidered: totalDataFiles(pruned) };
}

function monthTotals(row: unknown[]): MonthTotals {
  const [month, sentCount, sentAmount, receivedCount, receivedAmount] = row.map(String);
  return { month: month!, sent_count: sentCount!, sent_amount: sentAmount!, received_count: receivedCount!, received_amount: receivedAmount! };
}
