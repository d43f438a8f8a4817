import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDatabase, type TestDatabase } from '../support/test-database.ts';
import { runCli, SHIPPED_JOBS_DIR } from '../support/cli.ts';
import { lakeEnv, queryLake, SOURCE_DDL } from '../support/lake-env.ts';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const SOURCES_FILE = join(REPO, 'sources.yaml');

type Row = Record<string, string | number | null>;
const byKey = (key: (row: Row) => string) => (a: Row, b: Row) => key(a).localeCompare(key(b));

/**
 * The three shipped jobs (jobs/*.sql), run by the daemon's code paths
 * (`run --once` runs the on-commit ones after the drain, `jobs run` the
 * scheduled one), each compared with the same computation done by
 * PostgreSQL from the source table and the demo files in data/. A second
 * round of invoices (an old month, the current one, a self-invoice, a
 * customer without a profile) checks the incremental runs against a full
 * recomputation.
 */
describe('shipped jobs equal PostgreSQL', () => {
  let db: TestDatabase;
  let env: Record<string, string>;

  beforeAll(async () => {
    db = await startTestDatabase();
    await db.query(SOURCE_DDL);
    // Populate's dates follow the clock, so at 0.9 the same seed gave 0 to a few alerts depending on the day;
    // 0.3 gives dozens, enough for the alert columns to be exercised on any day.
    env = await lakeEnv(db, { BATCH_MAX_ROWS: '500', JOBS_DIR: SHIPPED_JOBS_DIR, SOURCES_FILE, RISK_ALERT_THRESHOLD: '0.3' });
    expect((await runCli(['setup'], env)).code).toBe(0);
    const populate = await runCli(['populate', '--customers', '300', '--invoices', '3000', '--months', '3'], env);
    expect(populate.code, populate.stderr).toBe(0);
    await loadDemoFilesIntoPostgres(db);
    const drained = await runCli(['run', '--once'], env);
    expect(drained.code, drained.stderr).toBe(0);
  });
  afterAll(async () => db?.stop());

  it('jobs list shows the three shipped jobs, none rejected', async () => {
    const listed = await runCli(['jobs', 'list', '--format', 'json'], env);
    expect(listed.code, listed.stderr).toBe(0);
    const report = JSON.parse(listed.stdout) as { jobs: Array<{ job: string; schedule: string; mode: string }>; rejected: unknown[] };
    expect(report.rejected).toEqual([]);
    expect(report.jobs.map((job) => `${job.job} ${job.schedule} ${job.mode}`)).toEqual([
      'customer_monthly_totals on-commit invoices replace-partitions',
      'high_risk_daily every 10m replace',
      'invoices_enriched on-commit invoices append',
    ]);
  });

  it('after the first drain', async () => {
    await expectJobsEqualPostgres();
  });

  it('after a second round of invoices, incrementally', async () => {
    await db.query(`
      INSERT INTO invoices (invoice_id, issue_date, issuer_id, receiver_id, amount)
      SELECT m.id + g,
             CASE WHEN g % 3 = 0 THEN date_trunc('month', now()) - interval '2 months' + g * interval '7 hours'
                  ELSE now() - g * interval '1 minute' END,
             CASE WHEN g = 5 THEN 999999 ELSE 1 + g % 300 END,
             CASE WHEN g = 7 THEN 1 + g % 300 ELSE 1 + (g * 7) % 300 END,
             (g * 1234.5 % 90000)::numeric(14, 2) + 0.07
        FROM generate_series(1, 240) g, (SELECT max(invoice_id) AS id FROM invoices) m`);
    const drained = await runCli(['run', '--once'], env);
    expect(drained.code, drained.stderr).toBe(0);
    await expectJobsEqualPostgres();

    const history = await runCli(['jobs', 'history', '--format', 'json'], env);
    expect(history.code, history.stderr).toBe(0);
    const runs = JSON.parse(history.stdout) as Array<{ job: string; status: string; rows_in: string | null; trigger: string }>;
    const enriched = runs.filter((run) => run.job === 'invoices_enriched');
    expect(enriched.map((run) => [run.trigger, run.status])).toEqual([
      ['on-commit', 'succeeded'],
      ['on-commit', 'succeeded'],
    ]);
    expect(enriched.map((run) => Number(run.rows_in))).toEqual([240, 3000]);
  });

  async function expectJobsEqualPostgres(): Promise<void> {
    const ran = await runCli(['jobs', 'run', 'high_risk_daily'], env);
    expect(ran.code, ran.stderr).toBe(0);
    expect(ran.stdout).toMatch(/^high_risk_daily: \d+ row\(s\) written in \d+ ms, output snapshot \d+\n$/);
    await expectCustomerMonthlyTotals();
    await expectInvoicesEnriched();
    await expectHighRiskDaily();
  }

  async function expectCustomerMonthlyTotals(): Promise<void> {
    const lake = await queryLake<Row>(
      env,
      `SELECT customer_id::VARCHAR AS customer_id, strftime(month, '%Y-%m') AS month, sent_count::VARCHAR AS sent_count, sent_amount::VARCHAR AS sent_amount,
              received_count::VARCHAR AS received_count, received_amount::VARCHAR AS received_amount
         FROM customer_monthly_totals`,
    );
    const source = await db.query<Row>(`
      SELECT customer_id::text AS customer_id, to_char(month, 'YYYY-MM') AS month,
             count(*) FILTER (WHERE sent)::text AS sent_count, coalesce(sum(amount) FILTER (WHERE sent), 0)::numeric(18, 2)::text AS sent_amount,
             count(*) FILTER (WHERE NOT sent)::text AS received_count, coalesce(sum(amount) FILTER (WHERE NOT sent), 0)::numeric(18, 2)::text AS received_amount
        FROM (SELECT issuer_id AS customer_id, date_trunc('month', issue_date AT TIME ZONE 'UTC') AS month, amount, true AS sent FROM invoices
              UNION ALL
              SELECT receiver_id, date_trunc('month', issue_date AT TIME ZONE 'UTC'), amount, false FROM invoices) sides
       GROUP BY 1, 2`);
    const key = (row: Row) => `${row.customer_id}/${row.month}`;
    expect(lake.sort(byKey(key))).toEqual(source.sort(byKey(key)));
    expect(source.length).toBeGreaterThan(300);
  }

  async function expectInvoicesEnriched(): Promise<void> {
    const lake = await queryLake<Row>(
      env,
      `SELECT e.invoice_id::VARCHAR AS invoice_id, epoch_us(e.issue_date)::VARCHAR AS issue_date_us, e.amount::VARCHAR AS amount,
              e.issuer_id::VARCHAR AS issuer_id, e.issuer_name, e.issuer_country, e.issuer_region, e.issuer_industry, e.issuer_sector, e.issuer_risk_tier,
              e.receiver_id::VARCHAR AS receiver_id, e.receiver_name, e.receiver_country, e.receiver_region, e.receiver_industry, e.receiver_segment,
              e.receiver_payment_terms_days::VARCHAR AS receiver_payment_terms_days, e.over_receiver_credit_limit::VARCHAR AS over_receiver_credit_limit,
              e.receiver_payment_delayed::VARCHAR AS receiver_payment_delayed, e.receiver_disputed_invoice::VARCHAR AS receiver_disputed_invoice,
              e.receiver_vip::VARCHAR AS receiver_vip, (e.risk_score IS NOT DISTINCT FROM i.risk_score)::VARCHAR AS score_matches_invoices
         FROM invoices_enriched e JOIN invoices i USING (invoice_id)`,
    );
    const source = await db.query<Row>(`
      WITH customers AS (
        SELECT p.customer_id, p.name, p.segment, p.credit_limit_usd, p.payment_terms_days, p.country, c.region, p.industry, ind.sector, ind.risk_tier
          FROM pg_profiles p LEFT JOIN pg_countries c ON c.country = p.country LEFT JOIN pg_industries ind ON ind.industry = p.industry
      ), notes AS (
        SELECT substring(path FROM 'customer-(\\d+)\\.txt$')::bigint AS customer_id,
               (content ILIKE '%payment delayed%')::int AS payment_delayed, (content ILIKE '%disputed invoice%')::int AS disputed_invoice,
               (content ~ '\\mVIP\\M')::int AS vip
          FROM pg_notes
      )
      SELECT i.invoice_id::text AS invoice_id, ((extract(epoch FROM i.issue_date) * 1000000)::bigint)::text AS issue_date_us, i.amount::text AS amount,
             i.issuer_id::text AS issuer_id, s.name AS issuer_name, s.country AS issuer_country, s.region AS issuer_region, s.industry AS issuer_industry,
             s.sector AS issuer_sector, s.risk_tier AS issuer_risk_tier,
             i.receiver_id::text AS receiver_id, r.name AS receiver_name, r.country AS receiver_country, r.region AS receiver_region,
             r.industry AS receiver_industry, r.segment AS receiver_segment, r.payment_terms_days::text AS receiver_payment_terms_days,
             (i.amount > r.credit_limit_usd)::int::text AS over_receiver_credit_limit,
             coalesce(n.payment_delayed, 0)::text AS receiver_payment_delayed, coalesce(n.disputed_invoice, 0)::text AS receiver_disputed_invoice,
             coalesce(n.vip, 0)::text AS receiver_vip, 'true' AS score_matches_invoices
        FROM invoices i LEFT JOIN customers s ON s.customer_id = i.issuer_id LEFT JOIN customers r ON r.customer_id = i.receiver_id
        LEFT JOIN notes n ON n.customer_id = i.receiver_id`);
    const key = (row: Row) => String(row.invoice_id).padStart(12, '0');
    expect(lake.sort(byKey(key))).toEqual(source.sort(byKey(key)));
    // The data exercises every branch: flags set, a customer without a profile, a limit exceeded.
    for (const column of ['receiver_payment_delayed', 'receiver_disputed_invoice', 'receiver_vip', 'over_receiver_credit_limit']) {
      expect(source.some((row) => row[column] === '1'), column).toBe(true);
    }
  }

  async function expectHighRiskDaily(): Promise<void> {
    // The scores exist only in the lake: PostgreSQL gets a copy and computes the distribution itself.
    const scores = await queryLake<Row>(env, `SELECT invoice_id::VARCHAR AS invoice_id, epoch_us(issue_date)::VARCHAR AS issue_date_us, model, role, score FROM risk_scores`);
    const alerts = await queryLake<Row>(env, `SELECT invoice_id::VARCHAR AS invoice_id, model, amount::VARCHAR AS amount FROM risk_alerts`);
    expect(alerts.length).toBeGreaterThan(0);
    await db.query('DROP TABLE IF EXISTS pg_scores, pg_alerts');
    await db.query(
      `CREATE TABLE pg_scores AS SELECT invoice_id, timestamptz 'epoch' + issue_date_us * interval '1 microsecond' AS issue_date, model, role, score
         FROM jsonb_to_recordset($1::jsonb) AS x(invoice_id bigint, issue_date_us bigint, model text, role text, score float8)`,
      [JSON.stringify(scores)],
    );
    await db.query(`CREATE TABLE pg_alerts AS SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(invoice_id bigint, model text, amount numeric(14, 2))`, [JSON.stringify(alerts)]);
    const source = await db.query<Row>(`
      SELECT to_char(date_trunc('day', s.issue_date AT TIME ZONE 'UTC'), 'YYYY-MM-DD') AS day, s.model,
             count(*)::text AS scored, count(*) FILTER (WHERE s.score IS NULL)::text AS failed, count(a.invoice_id)::text AS alerts,
             coalesce(sum(a.amount), 0)::numeric(18, 2)::text AS alert_amount, avg(s.score) AS mean_score,
             percentile_cont(0.5) WITHIN GROUP (ORDER BY s.score) AS p50_score, percentile_cont(0.9) WITHIN GROUP (ORDER BY s.score) AS p90_score,
             percentile_cont(0.99) WITHIN GROUP (ORDER BY s.score) AS p99_score, max(s.score) AS max_score,
             count(*) FILTER (WHERE s.score < 0.1)::text AS b1, count(*) FILTER (WHERE s.score >= 0.1 AND s.score < 0.5)::text AS b2,
             count(*) FILTER (WHERE s.score >= 0.5 AND s.score < 0.9)::text AS b3, count(*) FILTER (WHERE s.score >= 0.9)::text AS b4
        FROM pg_scores s LEFT JOIN pg_alerts a ON a.invoice_id = s.invoice_id AND a.model = s.model
       WHERE s.role = 'active'
       GROUP BY 1, 2`);
    const lake = await queryLake<Row>(
      env,
      `SELECT strftime(day, '%Y-%m-%d') AS day, model, scored::VARCHAR AS scored, failed::VARCHAR AS failed, alerts::VARCHAR AS alerts,
              alert_amount::VARCHAR AS alert_amount, mean_score, p50_score, p90_score, p99_score, max_score,
              scores_below_0_1::VARCHAR AS b1, scores_0_1_to_0_5::VARCHAR AS b2, scores_0_5_to_0_9::VARCHAR AS b3, scores_0_9_and_above::VARCHAR AS b4
         FROM high_risk_daily`,
    );
    const key = (row: Row) => `${row.day}/${row.model}`;
    lake.sort(byKey(key));
    source.sort(byKey(key));
    const exact = (row: Row) => ({ ...row, mean_score: null, p50_score: null, p90_score: null, p99_score: null });
    expect(lake.map(exact)).toEqual(source.map(exact));
    // Floating-point sums and interpolations: equal up to rounding (the summation order differs).
    for (const [i, row] of lake.entries()) {
      for (const column of ['mean_score', 'p50_score', 'p90_score', 'p99_score']) {
        expect(Math.abs(Number(row[column]) - Number(source[i]![column])), `${key(row)} ${column}`).toBeLessThan(1e-12);
      }
    }
    expect(lake.some((row) => row.alerts !== '0')).toBe(true);
  }
});

/** The demo files of sources.yaml as PostgreSQL tables, parsed without DuckDB. */
async function loadDemoFilesIntoPostgres(db: TestDatabase): Promise<void> {
  const data = join(REPO, 'data');
  const profiles = await readFile(join(data, 'customer-profiles.json'), 'utf8');
  await db.query(
    `CREATE TABLE pg_profiles AS SELECT * FROM jsonb_to_recordset($1::jsonb)
       AS x(customer_id bigint, name text, country text, industry text, segment text, credit_limit_usd bigint, payment_terms_days int)`,
    [profiles],
  );
  for (const [table, file] of [
    ['pg_industries', 'industries.csv'],
    ['pg_countries', 'countries.csv'],
  ] as const) {
    const [header, ...lines] = (await readFile(join(data, file), 'utf8')).trim().split('\n');
    // The demo CSVs have no quoted fields, so a comma split is a faithful parse.
    expect(lines.some((line) => line.includes('"'))).toBe(false);
    const columns = header!.split(',');
    await db.query(`CREATE TABLE ${table} (${columns.map((column) => `${column} text`).join(', ')})`);
    for (const line of lines) await db.query(`INSERT INTO ${table} VALUES (${columns.map((_, i) => `$${i + 1}`).join(', ')})`, line.split(','));
  }
  const notesDir = join(data, 'notes');
  const notes = await Promise.all(
    (await readdir(notesDir)).filter((name) => /^customer-\d+\.txt$/.test(name)).map(async (name) => ({ path: join(notesDir, name), content: await readFile(join(notesDir, name), 'utf8') })),
  );
  await db.query(`CREATE TABLE pg_notes AS SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(path text, content text)`, [JSON.stringify(notes)]);
}
