import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDatabase, type TestDatabase } from '../support/test-database.ts';
import { completion, runCli, startCli } from '../support/cli.ts';
import { lakeEnv, ownSourceEnv, queryLake, SOURCE_DDL } from '../support/lake-env.ts';
import { linearModel, writeModel } from '../support/models.ts';
import { FEATURE_NAMES } from '../../src/scoring/features/feature-names.ts';
import { freePort } from '../../src/demo/embedded-database.ts';

/**
 * Scoring inside the stream: every invoice scored by the active model (and
 * recorded for shadows), alerts by NOTIFY and webhook, hot swap without a
 * restart, and features that survive restarts and crashes unchanged.
 */
describe('risk scoring in the stream', () => {
  let db: TestDatabase;
  let nextId = 1;

  beforeAll(async () => {
    db = await startTestDatabase();
    await db.query(SOURCE_DDL);
  });
  afterAll(async () => db?.stop());

  const sourceFor = (name: string, extra: Record<string, string> = {}) => ownSourceEnv(db, name, extra);

  /** Invoices with amounts from 1 to ~1e6 USD over a few days, several per transaction. */
  async function insertInvoices(table: string, count: number, perTransaction = 25): Promise<number[]> {
    const ids: number[] = [];
    for (let done = 0; done < count; done += perTransaction) {
      const n = Math.min(perTransaction, count - done);
      const rows = await db.query<{ invoice_id: string }>(
        `INSERT INTO ${table} (invoice_id, issue_date, issuer_id, receiver_id, amount)
         SELECT g, timestamptz '2026-05-01 08:00:00+00' + g * interval '13 minutes 7.000003 seconds', g % 17, (g * 5) % 23 + 1,
                round((10 ^ ((g % 7)::numeric)) * (1 + (g % 100) / 100.0), 2)
           FROM generate_series($1::bigint, $2::bigint) g RETURNING invoice_id`,
        [nextId, nextId + n - 1],
      );
      ids.push(...rows.map((row) => Number(row.invoice_id)));
      nextId += n;
    }
    return ids;
  }

  async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const value = await probe();
      if (value !== undefined) return value;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    throw new Error(`timed out waiting for ${what}`);
  }

  it('scores every invoice, records shadows, alerts by NOTIFY and webhook, and hot-swaps models without a restart', async () => {
    const models = await mkdtemp(join(tmpdir(), 'invoice-lake-models-'));
    await writeModel(models, 'risk-1.onnx', linearModel({ version: '1', slope: 3, bias: -15 }));
    await writeModel(models, 'challenger.shadow.onnx', linearModel({ name: 'challenger', version: '1', slope: 1, bias: 0 }));
    const webhook: Array<{ key: string; body: { invoiceId: string; score: number } }> = [];
    let failFirst = true;
    const server: Server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      request.on('end', () => {
        if (failFirst) {
          failFirst = false;
          response.writeHead(500).end();
          return;
        }
        webhook.push({ key: String(request.headers['idempotency-key']), body: JSON.parse(body) });
        response.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const env = await sourceFor('scored', {
      MODELS_DIR: models,
      RISK_ALERT_THRESHOLD: '0.9',
      RISK_ALERT_CHANNEL: 'risk_test',
      RISK_ALERT_WEBHOOK_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
      LOG_LEVEL: 'info',
    });
    expect((await runCli(['setup'], env)).code).toBe(0);
    const listener = new pg.Client({ connectionString: db.url });
    await listener.connect();
    const notified: Array<{ invoiceId: string; idempotencyKey: string; score: number }> = [];
    listener.on('notification', (message) => notified.push(JSON.parse(message.payload!)));
    await listener.query('LISTEN risk_test');

    const daemon = startCli(['run'], env);
    let logs = '';
    daemon.stderr?.on('data', (chunk: Buffer) => (logs += chunk.toString('utf8')));
    const done = completion(daemon);
    await waitFor('the daemon to stream', async () => ((await db.query(`SELECT 1 FROM pg_replication_slots WHERE slot_name = 'slot_scored' AND active`)).length ? true : undefined));

    const before = await insertInvoices(env.SOURCE_TABLE!, 140);
    await waitFor('the first invoices in the lake', async () => {
      const [row] = await queryLake<{ n: string }>(env, 'SELECT count(*)::VARCHAR AS n FROM invoices');
      return Number(row!.n) === before.length ? true : undefined;
    });
    await writeModel(models, 'risk-2.onnx', linearModel({ version: '2', slope: 2, bias: -9 }));
    await waitFor('the switch to risk-2', async () => (logs.includes('active model switched') ? true : undefined));
    const after = await insertInvoices(env.SOURCE_TABLE!, 140);
    await waitFor('all invoices in the lake', async () => {
      const [row] = await queryLake<{ n: string }>(env, 'SELECT count(*)::VARCHAR AS n FROM invoices');
      return Number(row!.n) === before.length + after.length ? true : undefined;
    });
    daemon.kill('SIGTERM');
    expect((await done).code).toBe(0);
    server.close();
    await listener.end();

    const byModel = await queryLake<{ model: string | null; first: string; last: string; n: string; nulls: string }>(
      env,
      `SELECT risk_model AS model, min(invoice_id)::VARCHAR AS first, max(invoice_id)::VARCHAR AS last, count(*)::VARCHAR AS n,
              count(*) FILTER (WHERE risk_score IS NULL)::VARCHAR AS nulls
         FROM invoices GROUP BY 1 ORDER BY 2`,
    );
    expect(byModel).toHaveLength(2);
    expect(byModel[0]).toMatchObject({ model: expect.stringMatching(/^test-linear@1#/), first: String(before[0]), last: String(before.at(-1)), nulls: '0' });
    expect(byModel[1]).toMatchObject({ model: expect.stringMatching(/^test-linear@2#/), first: String(after[0]), last: String(after.at(-1)), nulls: '0' });

    const roles = await queryLake<{ role: string; n: string }>(env, `SELECT role, count(DISTINCT invoice_id)::VARCHAR AS n FROM risk_scores GROUP BY 1 ORDER BY 1`);
    expect(roles).toEqual([
      { role: 'active', n: String(before.length + after.length) },
      { role: 'shadow', n: String(before.length + after.length) },
    ]);
    const [{ mismatches }] = (await queryLake<{ mismatches: string }>(
      env,
      `SELECT count(*)::VARCHAR AS mismatches FROM invoices i JOIN risk_scores s
          ON s.invoice_id = i.invoice_id AND s.role = 'active' WHERE s.score <> i.risk_score OR s.model <> i.risk_model`,
    )) as [{ mismatches: string }];
    expect(mismatches).toBe('0');

    const alerts = await queryLake<{ invoice_id: string; idempotency_key: string }>(env, 'SELECT invoice_id::VARCHAR AS invoice_id, idempotency_key FROM risk_alerts ORDER BY invoice_id');
    const expectedAlerts = await queryLake<{ invoice_id: string }>(env, 'SELECT invoice_id::VARCHAR AS invoice_id FROM invoices WHERE risk_score >= 0.9 ORDER BY invoice_id');
    expect(alerts.length).toBeGreaterThan(5);
    expect(alerts.map((a) => a.invoice_id)).toEqual(expectedAlerts.map((a) => a.invoice_id));
    expect(notified.map((n) => n.idempotencyKey).sort()).toEqual(alerts.map((a) => a.idempotency_key).sort());
    expect(webhook.map((w) => w.key).sort()).toEqual(alerts.map((a) => a.idempotency_key).sort());
  });

  it('computes the same features and scores whether the stream restarts, crashes or runs uninterrupted', async () => {
    await db.query(`CREATE TABLE replayed (LIKE invoices INCLUDING ALL)`);
    const shared = { SOURCE_TABLE: 'replayed', PUBLICATION_NAME: 'pub_replayed' };
    const steady = await lakeEnv(db, { ...shared, SLOT_NAME: 'slot_steady' });
    const restarted = await lakeEnv(db, { ...shared, SLOT_NAME: 'slot_restarted' });
    expect((await runCli(['setup'], steady)).code).toBe(0);
    expect((await runCli(['setup'], restarted)).code).toBe(0);
    await insertInvoices('replayed', 200);
    expect((await runCli(['run', '--once'], restarted)).code).toBe(0);
    await insertInvoices('replayed', 200);
    const crashed = await runCli(['run', '--once'], { ...restarted, INVOICE_LAKE_FAILPOINTS: 'before-catalog-commit:crash' });
    expect(crashed.signal).toBe('SIGKILL');
    await insertInvoices('replayed', 200);
    expect((await runCli(['run', '--once'], restarted)).code).toBe(0);
    expect((await runCli(['run', '--once'], steady)).code).toBe(0);

    const sql = `SELECT invoice_id::VARCHAR AS id, concat_ws(',', *COLUMNS('^feature_')) AS features, score FROM risk_scores WHERE role = 'active' ORDER BY invoice_id`;
    const uninterrupted = await queryLake<{ id: string; features: string; score: number }>(steady, sql);
    const interrupted = await queryLake<{ id: string; features: string; score: number }>(restarted, sql);
    expect(uninterrupted).toHaveLength(600);
    expect(interrupted).toEqual(uninterrupted);
    // The features must carry history: later invoices of an issuer see earlier ones.
    const vectors = uninterrupted.map((row) => row.features.split(',').map(Number));
    expect(vectors.every((vector) => vector.length === FEATURE_NAMES.length && vector.every(Number.isFinite))).toBe(true);
    expect(vectors.some((vector) => vector[14]! > 10)).toBe(true);
  });

  it('keeps scoring with the last model when every model file is removed, and says so once and on /metrics', async () => {
    const models = await mkdtemp(join(tmpdir(), 'invoice-lake-models-'));
    await writeModel(models, 'risk-1.onnx', linearModel({ version: '1', slope: 3, bias: -15 }));
    const port = await freePort();
    const env = await sourceFor('orphaned', { MODELS_DIR: models, LOG_LEVEL: 'info', HTTP_PORT: String(port), RISK_ALERT_CHANNEL: 'risk_orphaned' });
    expect((await runCli(['setup'], env)).code).toBe(0);
    const daemon = startCli(['run'], env);
    let logs = '';
    daemon.stderr?.on('data', (chunk: Buffer) => (logs += chunk.toString('utf8')));
    const done = completion(daemon);
    const lakeCount = async () => Number((await queryLake<{ n: string }>(env, 'SELECT count(*)::VARCHAR AS n FROM invoices'))[0]!.n);
    const metric = async () => /^invoice_lake_model_files_missing (\d)$/m.exec(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text())?.[1];
    try {
      await waitFor('the daemon to stream', async () => ((await db.query(`SELECT 1 FROM pg_replication_slots WHERE slot_name = 'slot_orphaned' AND active`)).length ? true : undefined));
      const before = await insertInvoices(env.SOURCE_TABLE!, 50);
      await waitFor('the first invoices in the lake', async () => ((await lakeCount()) === before.length ? true : undefined));
      expect(await metric()).toBe('0');

      await rm(join(models, 'risk-1.onnx'));
      await waitFor('the warning', async () => (logs.includes('no model file left') ? true : undefined));
      const after = await insertInvoices(env.SOURCE_TABLE!, 50);
      await waitFor('all invoices in the lake', async () => ((await lakeCount()) === before.length + after.length ? true : undefined));
      await new Promise((resolve) => setTimeout(resolve, 2500)); // a few more polls of the directory
      expect(await metric()).toBe('1');
    } finally {
      daemon.kill('SIGTERM');
    }
    expect((await done).code).toBe(0);

    const [scored] = await queryLake<{ n: string; nulls: string; models: string }>(
      env,
      `SELECT count(*)::VARCHAR AS n, count(*) FILTER (WHERE risk_score IS NULL OR risk_model IS NULL)::VARCHAR AS nulls,
              string_agg(DISTINCT risk_model, ',') AS models FROM invoices`,
    );
    expect(scored).toMatchObject({ n: '100', nulls: '0', models: expect.stringMatching(/^test-linear@1#[0-9a-f]{12}$/) });
    const warnings = logs.split('\n').filter((line) => line.includes('no model file left'));
    expect(warnings).toHaveLength(1);
    expect(JSON.parse(warnings[0]!)).toMatchObject({ level: 40, directory: models, model: expect.stringMatching(/^test-linear@1#/) });
  });

  it('refuses to start without a valid model unless told to run unscored', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'invoice-lake-no-models-'));
    const env = await sourceFor('unscored', { MODELS_DIR: empty });
    expect((await runCli(['setup'], env)).code).toBe(0);
    const refused = await runCli(['run', '--once'], env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`no valid risk model in ${empty}`);
    expect(refused.stderr).toContain('--unscored');
    await insertInvoices(env.SOURCE_TABLE!, 30);
    const unscored = await runCli(['run', '--once', '--unscored'], env);
    expect(unscored.code).toBe(0);
    const [row] = await queryLake<{ n: string; scored: string }>(env, 'SELECT count(*)::VARCHAR AS n, count(risk_score)::VARCHAR AS scored FROM invoices');
    expect(row).toEqual({ n: '30', scored: '0' });
  });
});
