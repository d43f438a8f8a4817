import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDatabase, type TestDatabase } from '../support/test-database.ts';
import { runCli } from '../support/cli.ts';
import { lakeEnv, SOURCE_DDL } from '../support/lake-env.ts';

/**
 * Use cases 1 and 2 from the lake equal PostgreSQL's answers: invoices
 * loaded by `populate`, streamed by `run --once` into many small files
 * (BATCH_MAX_ROWS=400), then `invoice` and `customer` compared with the same
 * questions asked of the source table.
 */
describe('invoice and customer commands against PostgreSQL', () => {
  let db: TestDatabase;
  let env: Record<string, string>;

  beforeAll(async () => {
    db = await startTestDatabase();
    await db.query(SOURCE_DDL);
    env = await lakeEnv(db, { BATCH_MAX_ROWS: '400' });
    const setup = await runCli(['setup'], env);
    expect(setup.code, setup.stderr).toBe(0);
    const populate = await runCli(['populate', '--customers', '40', '--invoices', '6000', '--months', '3'], env);
    expect(populate.code, populate.stderr).toBe(0);
    const drained = await runCli(['run', '--once'], env);
    expect(drained.code, drained.stderr).toBe(0);
  });
  afterAll(async () => db?.stop());

  it('invoice ID returns the source row with its score, reading one data file of many', async () => {
    const ids = await db.query<{ id: string }>(
      `(SELECT min(invoice_id)::text AS id FROM invoices) UNION ALL (SELECT max(invoice_id)::text FROM invoices)
       UNION ALL (SELECT invoice_id::text FROM invoices ORDER BY invoice_id OFFSET 3001 LIMIT 1)`,
    );
    for (const { id } of ids) {
      const result = await runCli(['invoice', id, '--format', 'json'], env);
      expect(result.code, result.stderr).toBe(0);
      const { invoice, dataFiles } = JSON.parse(result.stdout) as { invoice: Record<string, unknown>; dataFiles: { read: number; considered: number } };
      expect(dataFiles.read).toBe(1);
      expect(dataFiles.considered).toBeGreaterThan(5);
      const [source] = await db.query(
        `SELECT invoice_id::text, issuer_id::text, receiver_id::text, amount::text,
                (extract(epoch FROM issue_date) * 1000000)::bigint::text AS micros,
                (extract(epoch FROM $2::timestamptz) * 1000000)::bigint::text AS lake_micros
           FROM invoices WHERE invoice_id = $1`,
        [id, invoice.issue_date],
      );
      expect({ invoice_id: invoice.invoice_id, issuer_id: invoice.issuer_id, receiver_id: invoice.receiver_id, amount: invoice.amount }).toEqual({
        invoice_id: source!.invoice_id,
        issuer_id: source!.issuer_id,
        receiver_id: source!.receiver_id,
        amount: source!.amount,
      });
      expect(source!.lake_micros).toBe(source!.micros);
      expect(invoice.risk_score).toEqual(expect.any(Number));
      expect(invoice.risk_model).toMatch(/^invoice-risk@.+#[0-9a-f]{12}$/);
    }

    const table = await runCli(['invoice', ids[0]!.id], env);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(new RegExp(`invoice_id\\s+│ ${ids[0]!.id}\\n`));
    expect(table.stdout).toMatch(/data files: read 1 of \d+/);
  });

  it('invoice ID of an invoice not in the lake exits 1; a malformed ID exits 2', async () => {
    const missing = await runCli(['invoice', '999999999'], env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^error: invoice 999999999 is not in the lake/);
    expect(missing.stdout).toBe('');
    const malformed = await runCli(['invoice', '12x'], env);
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toMatch(/invoice ID must be a whole number/);
    const months = await runCli(['customer', '1', '--months', '0'], env);
    expect(months.code).toBe(2);
    expect(months.stderr).toMatch(/--months/);
  });

  it('customer ID --months 3 equals PostgreSQL per UTC month, zero months included', async () => {
    const customers = await db.query<{ id: string }>(
      `SELECT id::text FROM (SELECT issuer_id AS id FROM invoices UNION ALL SELECT receiver_id FROM invoices) c
        GROUP BY id ORDER BY count(*) DESC, id LIMIT 2`,
    );
    for (const customer of [...customers.map((row) => row.id), '987654']) {
      const result = await runCli(['customer', customer, '--months', '3', '--format', 'json'], env);
      expect(result.code, result.stderr).toBe(0);
      const answer = JSON.parse(result.stdout) as {
        months: Array<Record<string, string>>;
        window: { start: string; end: string };
        source: string;
        reason: string;
        dataFiles: { read: number; considered: number };
      };
      expect(answer.source).toBe('invoices');
      expect(answer.reason).toMatch(/customer_monthly_totals does not exist/);
      expect(answer.months).toHaveLength(3);
      const source = await db.query<Record<string, string>>(
        `SELECT to_char(date_trunc('month', issue_date AT TIME ZONE 'UTC'), 'YYYY-MM') AS month,
                count(*) FILTER (WHERE issuer_id = $1)::text AS sent_count,
                coalesce(sum(amount) FILTER (WHERE issuer_id = $1), 0)::numeric(38, 2)::text AS sent_amount,
                count(*) FILTER (WHERE receiver_id = $1)::text AS received_count,
                coalesce(sum(amount) FILTER (WHERE receiver_id = $1), 0)::numeric(38, 2)::text AS received_amount
           FROM invoices
          WHERE (issuer_id = $1 OR receiver_id = $1) AND issue_date >= $2 AND issue_date < $3
          GROUP BY 1`,
        [customer, answer.window.start, answer.window.end],
      );
      const byMonth = new Map(source.map((row) => [row.month, row]));
      const expected = answer.months.map((row) => byMonth.get(row.month!) ?? { month: row.month!, sent_count: '0', sent_amount: '0.00', received_count: '0', received_amount: '0.00' });
      expect(answer.months).toEqual(expected);
      if (customer !== '987654') expect(answer.months.some((row) => row.sent_count !== '0' && row.received_count !== '0')).toBe(true);
    }

    const table = await runCli(['customer', customers[0]!.id, '--months', '2'], env);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/^customer \d+, last 2 UTC month\(s\)/);
    expect(table.stdout).toMatch(/from invoices \(customer_monthly_totals does not exist\); data files: read \d+ of \d+/);
  });
});
