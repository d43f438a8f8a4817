import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startEmbeddedDatabase } from '../../src/demo/embedded-database.ts';
import { pgControl, type PgControl, type ShutdownMode } from './pg-control.ts';
import type { TestDatabase } from './test-database.ts';

/**
 * A test database (the same embedded PostgreSQL as test-database.ts) that a
 * test may restart under running clients. `query` goes through a pool and
 * waits out a restart (retrying connection failures and "the database system
 * is starting up / shutting down"), so the test's own writes and checks
 * survive the faults it injects. test-database.ts holds one client with no
 * error listener, which a restart would turn into an uncaught error.
 */
export interface RestartableDatabase extends TestDatabase {
  control: PgControl;
  restart(mode: ShutdownMode, downMs?: number): Promise<void>;
}

/** Longest time `query` waits for the server to come back. */
const RETRY_FOR_MS = 120_000;

export async function startRestartableDatabase(name = 'invoices'): Promise<RestartableDatabase> {
  const directory = await mkdtemp(join(tmpdir(), 'invoice-lake-faults-'));
  const database = await startEmbeddedDatabase({ directory, database: name });
  const control = pgControl(directory);
  const pool = new pg.Pool({ connectionString: database.url, max: 4, connectionTimeoutMillis: 5_000 });
  pool.on('error', () => undefined); // an idle client cut by a restart: the pool drops it
  return {
    url: database.url,
    directory,
    control,
    async query<R extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, values?: unknown[]): Promise<R[]> {
      const deadline = Date.now() + RETRY_FOR_MS;
      while (true) {
        try {
          return (await pool.query<R>(sql, values)).rows;
        } catch (error) {
          if (!isTransient(error) || Date.now() > deadline) throw error;
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
      }
    },
    restart: (mode, downMs) => control.restart(mode, downMs),
    async stop() {
      await pool.end().catch(() => undefined);
      await control.stop('fast').catch(() => undefined);
      await rm(directory, { recursive: true, force: true });
    },
  };
}

/**
 * Failures a restart causes: the connection refused or cut, the session
 * terminated (57P01 admin_shutdown, 57P02 crash_shutdown), the server not
 * accepting connections yet (57P03), connection exceptions (class 08).
 * A statement cut this way may or may not have committed: writers use
 * idempotent statements (ON CONFLICT DO NOTHING), so a retry is safe.
 */
export function isTransient(error: unknown): boolean {
  const code = (error as { code?: string }).code ?? '';
  if (['57P01', '57P02', '57P03', 'ECONNREFUSED', 'ECONNRESET', 'EPIPE'].includes(code) || code.startsWith('08')) return true;
  return /Connection terminated|connection error|timeout exceeded when trying to connect|not queryable/i.test((error as Error).message ?? '');
}
