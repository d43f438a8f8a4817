import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { icebergRead } from 'icebird';
import type { TestDatabase } from './test-database.ts';
import { queryLake } from './lake-env.ts';
import { localTableUrl, serveLocalFiles } from './icebird-fetch.ts';

/** An invoice with every value as exact text; `micros` is issue_date in microseconds since the epoch. */
export interface InvoiceRow {
  invoice_id: string;
  issuer_id: string;
  receiver_id: string;
  amount: string;
  micros: string;
}

/** What differs between the lake and the source; empty lists when they are equal. Ids are listed up to 20. */
export interface InvoiceDiff {
  /** In the source, not in the lake. */
  missing: string[];
  missingCount: number;
  /** In the lake more than once. */
  duplicated: string[];
  duplicatedCount: number;
  /** In the lake, not in the source. */
  extra: string[];
  /** In both, with other values. */
  changed: string[];
}

export const NO_DIFF: InvoiceDiff = { missing: [], missingCount: 0, duplicated: [], duplicatedCount: 0, extra: [], changed: [] };

/** Rows written by `insertInvoices`: every value follows from the id, so a row can be checked alone. */
export const INSERT_INVOICES = (table: string) => `
  INSERT INTO ${table} (invoice_id, issue_date, issuer_id, receiver_id, amount)
  SELECT g, timestamptz '2026-01-15 10:00:00+00' + g * interval '37 minutes 0.000011 seconds', g % 50, g % 43, (g % 100000) / 100.0 + 0.01
    FROM generate_series($1::bigint, $2::bigint) g
  ON CONFLICT (invoice_id) DO NOTHING`;

export async function sourceInvoices(db: TestDatabase, table = 'invoices'): Promise<InvoiceRow[]> {
  return db.query<InvoiceRow & Record<string, string>>(
    `SELECT invoice_id::text, issuer_id::text, receiver_id::text, amount::text,
            (extract(epoch FROM issue_date) * 1000000)::bigint::text AS micros
       FROM ${table} ORDER BY invoice_id`,
  );
}

/** The lake's `invoices` as `invoice-lake query` (DuckDB) reads it. */
export async function lakeInvoices(env: Record<string, string>): Promise<InvoiceRow[]> {
  return queryLake<InvoiceRow>(
    env,
    `SELECT invoice_id::VARCHAR AS invoice_id, issuer_id::VARCHAR AS issuer_id, receiver_id::VARCHAR AS receiver_id,
            amount::VARCHAR AS amount, epoch_us(issue_date)::VARCHAR AS micros
       FROM invoices ORDER BY invoices.invoice_id`,
  );
}

/**
 * The lake's `invoices` as icebird 0.3.1 (an independent Iceberg reader) reads a
 * local table: through its version hint, metadata, manifests and Parquet files.
 * icebird gives milliseconds and a float amount (see icebird-read.pg.test.ts),
 * so `micros` is rounded down to the millisecond and compared that way by `diffIcebird`.
 */
export async function icebirdInvoices(lakeDirectory: string): Promise<InvoiceRow[]> {
  const served = serveLocalFiles();
  try {
    const rows = await icebergRead({ tableUrl: localTableUrl(join(lakeDirectory, 'invoices')) });
    return rows.map((row) => ({
      invoice_id: String(row.invoice_id),
      issuer_id: String(row.issuer_id),
      receiver_id: String(row.receiver_id),
      amount: centsText(BigInt(Math.round((row.amount as number) * 100))),
      micros: String(BigInt((row.issue_date as Date).getTime()) * 1000n),
    }));
  } finally {
    served.restore();
  }
}

/** The same source rows as icebird can represent them (milliseconds, truncated toward zero). */
export function asMillis(rows: InvoiceRow[]): InvoiceRow[] {
  return rows.map((row) => ({ ...row, micros: String((BigInt(row.micros) / 1000n) * 1000n), amount: centsText(cents(row.amount)) }));
}

export function diffInvoices(source: InvoiceRow[], lake: InvoiceRow[]): InvoiceDiff {
  const expected = new Map(source.map((row) => [row.invoice_id, row]));
  const seen = new Map<string, number>();
  const changed: string[] = [];
  const extra: string[] = [];
  for (const row of lake) {
    seen.set(row.invoice_id, (seen.get(row.invoice_id) ?? 0) + 1);
    const want = expected.get(row.invoice_id);
    if (!want) extra.push(row.invoice_id);
    else if (JSON.stringify(normalise(want)) !== JSON.stringify(normalise(row))) changed.push(`${JSON.stringify(row)} ≠ source ${JSON.stringify(want)}`);
  }
  const missing = source.filter((row) => !seen.has(row.invoice_id)).map((row) => row.invoice_id);
  const duplicated = [...seen].filter(([, n]) => n > 1).map(([id, n]) => `${id}×${n}`);
  return {
    missing: missing.slice(0, 20),
    missingCount: missing.length,
    duplicated: duplicated.slice(0, 20),
    duplicatedCount: duplicated.length,
    extra: extra.slice(0, 20),
    changed: changed.slice(0, 20),
  };
}

/**
 * Rows in the lake's `invoices` now (duplicates counted). For a local lake it is read from the current
 * snapshot's `total-records` (Iceberg snapshot summary), found through the JDBC catalog: cheap enough
 * to poll. For an object-storage lake it is counted by `invoice-lake query`.
 */
export async function lakeRecordCount(db: TestDatabase, env: Record<string, string>): Promise<number> {
  if (env.CATALOG !== 'filesystem' && !/^s3:/.test(env.LAKE ?? '')) {
    const location = (await catalogTables(db, env.CATALOG_NAME ?? 'invoice_lake', env.CATALOG_SCHEMA)).invoices;
    if (location?.startsWith('file:')) {
      const metadata = JSON.parse(await readFile(fileURLToPath(location), 'utf8')) as {
        'current-snapshot-id'?: number | null;
        snapshots?: Array<{ 'snapshot-id': number; summary: Record<string, string> }>;
      };
      const current = metadata.snapshots?.find((snapshot) => snapshot['snapshot-id'] === metadata['current-snapshot-id']);
      return Number(current?.summary['total-records'] ?? 0);
    }
  }
  const [lake] = await queryLake<{ n: string }>(env, 'SELECT count(*)::VARCHAR AS n FROM invoices');
  return Number(lake!.n);
}

/**
 * Waits until the lake holds at least as many invoices as the source, or
 * `timeoutMs` passed, or `alive()` turned false. Returns the last counts;
 * the caller compares the rows (a duplicate can make up for a missing row here).
 */
export async function waitForLakeToCatchUp(
  db: TestDatabase,
  env: Record<string, string>,
  options: { timeoutMs: number; table?: string; alive?: () => boolean },
): Promise<{ caughtUp: boolean; sourceCount: number; lakeCount: number }> {
  const deadline = Date.now() + options.timeoutMs;
  let sourceCount = 0;
  let lakeCount = -1;
  while (true) {
    const [source] = await db.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${options.table ?? 'invoices'}`);
    sourceCount = Number(source!.n);
    lakeCount = await lakeRecordCount(db, env).catch(() => -1);
    if (lakeCount >= sourceCount) return { caughtUp: true, sourceCount, lakeCount };
    if (Date.now() > deadline || (options.alive && !options.alive())) return { caughtUp: false, sourceCount, lakeCount };
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/**
 * Inserts invoices in small transactions until stopped, with ids from `firstId` on.
 * Through a RestartableDatabase it rides out restarts; its statements are idempotent.
 */
export interface InvoiceWriter {
  /** The next id it would insert. */
  readonly nextId: number;
  /** Stops after the transaction in flight; rejects if a write failed for good. */
  stop(): Promise<void>;
}

const writers = new Set<InvoiceWriter>();

export function startInvoiceWriter(
  db: TestDatabase,
  options: { table?: string; firstId: number; perTransaction: number; pauseMs: number; maxRows?: number },
): InvoiceWriter {
  let nextId = options.firstId;
  let stopping = false;
  const last = options.maxRows === undefined ? Infinity : options.firstId + options.maxRows;
  // Settled either way, so a test that fails before stop() leaves no unhandled rejection behind.
  const done = (async () => {
    while (!stopping && nextId < last) {
      const through = Math.min(nextId + options.perTransaction, last) - 1;
      await db.query(INSERT_INVOICES(options.table ?? 'invoices'), [nextId, through]);
      nextId = through + 1;
      await new Promise((resolve) => setTimeout(resolve, options.pauseMs));
    }
  })().then(
    () => undefined,
    (error: unknown) => error,
  );
  const writer: InvoiceWriter = {
    get nextId() {
      return nextId;
    },
    async stop() {
      stopping = true;
      writers.delete(writer);
      const error = await done;
      if (error !== undefined) throw error;
    },
  };
  writers.add(writer);
  return writer;
}

/** Stops every writer still running, ignoring their failures; for afterEach, before the database stops. */
export async function stopAllWriters(): Promise<void> {
  await Promise.all([...writers].map((writer) => writer.stop().catch(() => undefined)));
}

/** `table_name → metadata_location` of a catalog in the JDBC catalog tables. */
export async function catalogTables(db: TestDatabase, catalogName: string, schema = 'invoice_lake_catalog'): Promise<Record<string, string>> {
  const rows = await db.query<{ table_name: string; metadata_location: string }>(
    `SELECT table_name, metadata_location FROM ${schema}.iceberg_tables WHERE catalog_name = $1 ORDER BY table_name`,
    [catalogName],
  );
  return Object.fromEntries(rows.map((row) => [row.table_name, row.metadata_location]));
}

/**
 * Reads each local table's current metadata the two ways a reader finds it: the catalog's
 * metadata_location and the version hint (`v<N>.metadata.json`). Returns what is wrong (an unreadable or
 * unparsable current metadata file), or an empty list. A problem is reported only if it is still there
 * on a second look at an unchanged catalog row, so a commit landing between the reads is not one.
 */
export async function currentMetadataProblems(db: TestDatabase, catalogName: string, lakeDirectory: string): Promise<string[]> {
  const problems: string[] = [];
  const first = await catalogTables(db, catalogName);
  for (const [table, location] of Object.entries(first)) {
    const problem = await metadataProblem(location, join(lakeDirectory, table, 'metadata'));
    if (problem === undefined) continue;
    await new Promise((resolve) => setTimeout(resolve, 100));
    const again = (await catalogTables(db, catalogName))[table];
    if (again !== location) continue;
    const confirmed = await metadataProblem(location, join(lakeDirectory, table, 'metadata'));
    if (confirmed !== undefined) problems.push(`${table}: ${confirmed}`);
  }
  return problems;
}

async function metadataProblem(location: string, metadataDirectory: string): Promise<string | undefined> {
  try {
    JSON.parse(await readFile(fileURLToPath(location), 'utf8'));
  } catch (error) {
    return `catalog's current metadata ${location}: ${(error as Error).message}`;
  }
  const hintPath = join(metadataDirectory, 'version-hint.text');
  let hint: string;
  try {
    hint = (await readFile(hintPath, 'utf8')).trim();
  } catch (error) {
    return `version hint ${hintPath}: ${(error as Error).message}`;
  }
  const hinted = join(metadataDirectory, `v${hint}.metadata.json`);
  try {
    JSON.parse(await readFile(hinted, 'utf8'));
  } catch (error) {
    return `version hint ${JSON.stringify(hint)} names ${hinted}: ${(error as Error).message}`;
  }
  return undefined;
}

function normalise(row: InvoiceRow): InvoiceRow {
  return { invoice_id: row.invoice_id, issuer_id: row.issuer_id, receiver_id: row.receiver_id, amount: centsText(cents(row.amount)), micros: row.micros };
}

function cents(text: string): bigint {
  const [whole, fraction = ''] = text.replace('-', '').split('.');
  const value = BigInt(whole! + fraction.padEnd(2, '0').slice(0, 2));
  return text.startsWith('-') ? -value : value;
}

function centsText(value: bigint): string {
  const sign = value < 0n ? '-' : '';
  const abs = value < 0n ? -value : value;
  return `${sign}${abs / 100n}.${String(abs % 100n).padStart(2, '0')}`;
}
