import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDatabase, type TestDatabase } from '../support/test-database.ts';
import { completion, runCli, startCli } from '../support/cli.ts';
import { openEnvLake, ownSourceEnv, queryLake, SOURCE_DDL } from '../support/lake-env.ts';
import { claimOf } from '../../src/lake/writer-fence.ts';

/**
 * One writer per lake table: a second stream into the same lake (another
 * slot on the same source, as after a failover or a mistaken second
 * deployment) never duplicates rows, and a writer that stalls mid-commit
 * (a zombie) cannot commit over the writer that took over.
 */
describe('writer fencing', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await startTestDatabase();
    await db.query(SOURCE_DDL);
  });
  afterAll(async () => {
    await db?.stop();
  });

  async function insertInvoices(table: string, from: number, count: number): Promise<void> {
    await db.query(
      `INSERT INTO ${table} (invoice_id, issue_date, issuer_id, receiver_id, amount)
       SELECT g, timestamptz '2026-01-15 10:00:00+00' + g * interval '7 minutes', g % 50, g % 43, (g % 1000) / 100.0 + 0.01
         FROM generate_series($1::bigint, $2::bigint) g`,
      [from, from + count - 1],
    );
  }

  /** Stall output of a writer reaching the failpoint. */
  function reached(child: ReturnType<typeof startCli>, marker: string): Promise<void> {
    return new Promise((resolve, reject) => {
      let seen = '';
      child.stderr?.on('data', (chunk: Buffer) => {
        seen += chunk.toString('utf8');
        if (seen.includes(marker)) resolve();
      });
      child.on('close', () => reject(new Error(`exited before ${marker}: ${seen}`)));
    });
  }

  it('a stalled writer loses to the writer that took over: it stops with exit 2 and nothing is duplicated', async () => {
    const first = await ownSourceEnv(db, 'fence_zombie');
    const second = { ...first, SLOT_NAME: 'slot_fence_zombie_b' };
    for (const env of [first, second]) expect((await runCli(['setup'], env)).code).toBe(0);
    await insertInvoices('fence_zombie', 1, 2000);

    // The first writer has written its files and stalls before the catalog swap, like a frozen VM.
    const zombie = startCli(['run', '--once'], { ...first, INVOICE_LAKE_FAILPOINTS: 'before-catalog-commit:stall15000' });
    const zombieDone = completion(zombie);
    await reached(zombie, 'failpoint before-catalog-commit: stalling');

    // Meanwhile a second writer, from its own slot, streams the same changes and commits them.
    const successor = await runCli(['run', '--once'], second);
    expect(successor.code, successor.stderr).toBe(0);

    const stopped = await zombieDone;
    expect(stopped.code, stopped.stderr).toBe(2);
    expect(stopped.stderr).toMatch(/another writer took over lake table/);

    const [totals] = await queryLake<{ n: string; ids: string }>(first, 'SELECT count(*)::VARCHAR AS n, count(DISTINCT invoice_id)::VARCHAR AS ids FROM invoices');
    expect(totals).toEqual({ n: '2000', ids: '2000' });

    // The zombie's slot kept its changes: restarted, it takes the tables back and adds nothing twice.
    await insertInvoices('fence_zombie', 2001, 10);
    const resumed = await runCli(['run', '--once'], first);
    expect(resumed.code, resumed.stderr).toBe(0);
    const [after] = await queryLake<{ n: string; ids: string }>(first, 'SELECT count(*)::VARCHAR AS n, count(DISTINCT invoice_id)::VARCHAR AS ids FROM invoices');
    expect(after).toEqual({ n: '2010', ids: '2010' });

    const lake = await openEnvLake(first, db);
    try {
      const invoices = lake.streamTables.find((table) => table.definition.name === 'invoices')!;
      const claim = claimOf((await invoices.load()).metadata);
      expect(claim?.epoch).toBe(3n); // first, successor, first again
      expect(claim?.id).toMatch(/\/slot_fence_zombie$/);
    } finally {
      await lake.close();
    }
  });

  it('two concurrent run --once from two slots write each invoice once', async () => {
    const first = await ownSourceEnv(db, 'fence_pair');
    const second = { ...first, SLOT_NAME: 'slot_fence_pair_b' };
    for (const env of [first, second]) expect((await runCli(['setup'], env)).code).toBe(0);
    for (let i = 0; i < 20; i++) await insertInvoices('fence_pair', 1 + i * 100, 100);

    const results = await Promise.all([runCli(['run', '--once'], first), runCli(['run', '--once'], second)]);
    for (const result of results) {
      // Whichever lost the race stops with exit 2 naming the other writer; none duplicates.
      expect([0, 2], result.stderr).toContain(result.code);
      if (result.code === 2) expect(result.stderr).toMatch(/another writer/);
    }
    const [totals] = await queryLake<{ n: string; ids: string }>(first, 'SELECT count(*)::VARCHAR AS n, count(DISTINCT invoice_id)::VARCHAR AS ids FROM invoices');
    expect(totals).toEqual({ n: '2000', ids: '2000' });
  });

  it('refuses a lake root that differs from where the catalog says the tables live', async () => {
    const env = await ownSourceEnv(db, 'fence_root');
    expect((await runCli(['setup'], env)).code).toBe(0);
    await insertInvoices('fence_root', 1, 10);
    const moved = { ...env, LAKE: `${env.LAKE}-elsewhere` };
    const result = await runCli(['run', '--once'], moved);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`lives at file://${env.LAKE}/`);
    expect(result.stderr).toContain('LAKE points at');
  });
});
