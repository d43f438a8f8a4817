import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLake, type Lake } from '../../src/lake/open-lake.ts';
import { INVOICES_TABLE } from '../../src/lake/tables/lake-tables.ts';
import { ColumnBuffer } from '../../src/lake/batch/column-buffer.ts';
import { writeDataFiles } from '../../src/lake/batch/data-file-writer.ts';
import { LakeQuery } from '../../src/query/lake-query.ts';
import { queryCommand } from '../../src/cli/query-command.ts';
import { loadSettings } from '../../src/config/load-config.ts';
import { LakeError } from '../../src/errors/lake-error.ts';
import { runCli } from '../support/cli.ts';
import { startS3Server, type TestS3Server } from '../support/s3-server.ts';

const ISSUE_DATE = 1_767_225_600_000_000n; // 2026-01-01T00:00:00Z

async function fillInvoices(lake: Lake, count: number): Promise<void> {
  const table = lake.table('invoices');
  await table.ensureCreated();
  const buffer = new ColumnBuffer(INVOICES_TABLE);
  for (let id = 1n; id <= BigInt(count); id++) buffer.append([id, ISSUE_DATE + id, 1n, 2n, 100n * id, 0.5, 'm', id, ISSUE_DATE]);
  await table.append(await table.load(), await writeDataFiles(table, buffer), {});
}

/**
 * `invoice-lake query` is read-only: one read statement, and DuckDB reads
 * only the lake, the read-through cache and the configured sources (its
 * configuration locked, so the statement cannot lift that). A refusal exits
 * 2 and names what was refused and `--allow-writes`.
 */
describe('invoice-lake query is read-only', () => {
  let root: string;
  let lakeRoot: string;
  let lake: Lake;
  let env: Record<string, string>;
  let dataFile: string;
  let outside: string;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'invoice-lake-read-only-'));
    lakeRoot = join(root, 'lake');
    lake = await openLake({ lake: lakeRoot, catalog: 'filesystem', catalogUrl: undefined, catalogName: 'x', catalogSchema: 'x', namespace: 'lake' });
    await fillInvoices(lake, 5);
    const location = await lake.catalog.currentMetadataLocation({ namespace: 'lake', name: 'invoices' });
    const { snapshotFiles } = await import('../../src/query/snapshot-files.ts');
    dataFile = fileURLToPath((await snapshotFiles(lake.storage, location!)).dataFiles[0]!.filePath);
    await mkdir(join(root, 'files'));
    await writeFile(join(root, 'files', 'segments.csv'), 'customer_id,segment\n1,gold\n');
    outside = join(root, 'files', 'secret.txt');
    await writeFile(outside, 'not a source\n');
    await writeFile(join(root, 'sources.yaml'), 'sources:\n  segments: { kind: csv, path: files/segments.csv }\n');
    env = { LAKE: lakeRoot, CATALOG: 'filesystem', DATABASE_URL: '', SOURCES_FILE: join(root, 'sources.yaml') };
  });
  afterAll(async () => {
    await lake?.close();
    await rm(root, { recursive: true, force: true });
  });

  /** queryCommand in this process, as main.ts calls it; the rows as JSON, or the LakeError it threw. */
  async function query(sql: string, extraEnv: Record<string, string> = {}): Promise<unknown[] | LakeError> {
    let out = '';
    try {
      await queryCommand(loadSettings({}, { ...env, ...extraEnv }), sql, 'json', (text) => (out += text));
      return JSON.parse(out) as unknown[];
    } catch (error) {
      if (error instanceof LakeError) return error;
      throw error;
    }
  }

  it('refuses COPY over a live data file (exit 2, naming COPY and --allow-writes); the table stays readable', async () => {
    const before = await readFile(dataFile);
    const result = await runCli(['query', `COPY (SELECT 1 AS broken) TO '${dataFile}' (FORMAT parquet)`], env);
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toMatch(/COPY statement/);
    expect(result.stderr).toContain('--allow-writes');
    expect(await readFile(dataFile)).toEqual(before);
    expect(await query('SELECT count(*)::INTEGER AS n FROM invoices')).toEqual([{ n: 5 }]);
  });

  it.each([
    ["ATTACH ':memory:' AS other", 'ATTACH'],
    ['CREATE TABLE t AS SELECT 1', 'CREATE'],
    ['INSTALL httpfs', 'LOAD'],
    ['SET enable_external_access = true', 'SET'],
    ["EXPLAIN ANALYZE COPY (SELECT 1) TO '/tmp/x.csv'", 'COPY'],
  ])('refuses %j as a %s statement', async (sql, type) => {
    const error = await query(sql);
    expect(error).toBeInstanceOf(LakeError);
    expect((error as LakeError).exitCode).toBe(2);
    expect((error as LakeError).message).toContain(`${type} statement`);
  });

  it('refuses several statements', async () => {
    const error = (await query('SELECT 1; SELECT 2')) as LakeError;
    expect(error).toBeInstanceOf(LakeError);
    expect(error.message).toMatch(/exactly one statement/);
  });

  it('reads the lake and the configured sources, and no other file (exit 2 with a clear message)', async () => {
    expect(await query("SELECT segment FROM segments JOIN invoices ON invoices.issuer_id = segments.customer_id WHERE invoice_id = 1")).toEqual([{ segment: 'gold' }]);
    const result = await runCli(['query', "SELECT * FROM read_text('/etc/passwd')"], env);
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toMatch(/cannot read \/etc\/passwd: a query reads only the lake, its read-through cache and the configured sources/);
    expect(result.stderr).toContain('--allow-writes');
    const sibling = (await query(`SELECT content FROM read_text('${outside}')`)) as LakeError;
    expect(sibling).toBeInstanceOf(LakeError);
    expect(sibling.message).toContain(`cannot read ${outside}`);
  });

  it('locks the configuration after the views are made: a session cannot widen its own access', async () => {
    const session = await LakeQuery.open(lake);
    try {
      await expect(session.run('SET enable_external_access = true')).rejects.toThrow(/locked/);
      await expect(session.run("SET allowed_directories = ['/']")).rejects.toThrow(/locked/);
      await expect(session.run("SELECT * FROM read_text('/etc/hostname')")).rejects.toThrow(/cannot read \/etc\/hostname/);
      expect((await session.run('SELECT count(*)::INTEGER FROM invoices')).rows).toEqual([[5]]);
    } finally {
      session.close();
    }
  });

  it('runs any statements with QUERY_ALLOW_WRITES (--allow-writes): several, writes and files outside the lake', async () => {
    const target = join(root, 'export.csv');
    const rows = await query(`CREATE TEMP TABLE t AS SELECT invoice_id FROM invoices; COPY t TO '${target}'; SELECT count(*)::INTEGER AS n FROM t`, { QUERY_ALLOW_WRITES: 'true' });
    expect(rows).toEqual([{ n: 5 }]);
    expect((await readFile(target, 'utf8')).trim().split('\n')).toHaveLength(6);
    expect(await query(`SELECT content FROM read_text('${outside}')`, { QUERY_ALLOW_WRITES: 'true' })).toEqual([{ content: 'not a source\n' }]);
  });
});

/** On object storage, DuckDB reads the read-through cache, which stays allowed. */
describe('invoice-lake query on an S3 lake read through the cache', () => {
  let s3: TestS3Server;
  let lake: Lake;
  let lakeUri: string;

  beforeAll(async () => {
    s3 = await startS3Server();
    Object.assign(process.env, s3.env);
    lakeUri = s3.lakeUri();
    lake = await openLake({ lake: lakeUri, catalog: 'filesystem', catalogUrl: undefined, catalogName: 'x', catalogSchema: 'x', namespace: 'lake', s3: { endpoint: s3.endpoint }, cache: { directory: s3.cacheDir } });
    await fillInvoices(lake, 3);
  });
  afterAll(async () => {
    await lake?.close();
    await s3?.stop();
  });

  it('reads lake tables from the cache and still refuses other files', async () => {
    const session = await LakeQuery.open(lake);
    try {
      expect(session.dataFilesVia).toBe('read-through cache');
      expect((await session.run('SELECT count(*)::INTEGER FROM invoices')).rows).toEqual([[3]]);
      await expect(session.run("SELECT * FROM read_text('/etc/passwd')")).rejects.toThrow(/cannot read \/etc\/passwd/);
    } finally {
      session.close();
    }
  });
});
