import pg from 'pg';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedDatabase } from '../src/demo/embedded-database.ts';
import { ensureSourceSchema } from '../src/source/source-schema.ts';

export interface BenchDatabase {
  url: string;
  directory: string;
  client: pg.Client;
  stop(): Promise<void>;
}

/** A fresh embedded PostgreSQL (wal_level=logical) with the invoices schema and customers 1..N. */
export async function startBenchDatabase(customers: number): Promise<BenchDatabase> {
  const directory = await mkdtemp(join(tmpdir(), 'invoice-lake-bench-'));
  const database = await startEmbeddedDatabase({ directory, database: 'bench' });
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  await ensureSourceSchema(client);
  await client.query(
    `INSERT INTO customers (customer_id, name, country, industry, created_at)
     SELECT g, 'customer ' || g, 'US', 'services', now() - interval '2 years' FROM generate_series(1, $1) g`,
    [customers],
  );
  return {
    url: database.url,
    directory,
    client,
    async stop() {
      await client.end().catch(() => undefined);
      await database.stop();
      await rm(directory, { recursive: true, force: true });
    },
  };
}

/** Inserts `count` invoices in transactions of `perTransaction` rows (server-side generation, as fast as PostgreSQL allows). */
export async function insertInvoices(client: pg.Client, count: number, perTransaction: number, customers: number): Promise<void> {
  for (let done = 0; done < count; done += perTransaction) {
    await client.query(
      `INSERT INTO invoices (issue_date, issuer_id, receiver_id, amount)
       SELECT clock_timestamp() - random() * interval '300 days', 1 + (random() * ($2 - 1))::bigint, 1 + (random() * ($2 - 1))::bigint,
              round((exp(random() * 9) * (1 + random()))::numeric, 2) + 1
         FROM generate_series(1, $1)`,
      [Math.min(perTransaction, count - done), customers],
    );
  }
}
