import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rm } from 'node:fs/promises';
import { startTestDatabase, type TestDatabase } from '../support/test-database.ts';
import { lakeEnv, SOURCE_DDL } from '../support/lake-env.ts';
import { runCli, type CliResult } from '../support/cli.ts';

/**
 * `setup` as the README's RDS-like role: LOGIN REPLICATION, no superuser,
 * either owning the source table or relying on a publication its owner
 * created. Run twice, it must succeed twice; a real problem is reported with
 * its cause and fix (exit 2) and nothing is created.
 */

const PASSWORD = 'role-pw';
let db: TestDatabase;
const scratch: string[] = [];

/** The test database's URL, logged in as `role`. */
function asRole(role: string): string {
  const url = new URL(db.url);
  url.username = role;
  url.password = PASSWORD;
  return url.href;
}

/** A fresh lake and catalog schema of its own for `role` (a schema one role created is not another's to add tables to). */
async function roleEnv(role: string, extra: Record<string, string> = {}): Promise<Record<string, string>> {
  const env = await lakeEnv(db, { DATABASE_URL: asRole(role), CATALOG_SCHEMA: `catalog_${role}`, ...extra });
  scratch.push(env.LAKE!);
  return env;
}

function expectSetupOk(result: CliResult): void {
  expect(result.code, `stdout: ${result.stdout}\nstderr: ${result.stderr}`).toBe(0);
  expect(result.stderr).not.toContain('permission denied');
}

async function setupState(slot: string, publication: string, catalogSchema: string): Promise<{ slot: boolean; publication: boolean; catalog: boolean }> {
  const [row] = await db.query<{ slot: boolean; publication: boolean; catalog: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = $1) AS slot,
            EXISTS (SELECT 1 FROM pg_publication WHERE pubname = $2) AS publication,
            to_regclass(format('%I.iceberg_tables', $3::text)) IS NOT NULL AS catalog`,
    [slot, publication, catalogSchema],
  );
  return row!;
}

beforeAll(async () => {
  db = await startTestDatabase('non_superuser');
  // customers (text columns, so a TOAST table) is created before invoices: the old
  // pg_publication_tables comparison cast every pg_class row it met on the way to
  // invoices to regclass, and a pg_toast one is "permission denied" for a plain role.
  await db.query(SOURCE_DDL);
  await db.query(`CREATE ROLE lake_owner LOGIN REPLICATION PASSWORD '${PASSWORD}'`);
  await db.query(`CREATE ROLE lake_reader LOGIN REPLICATION PASSWORD '${PASSWORD}'`);
  await db.query(`CREATE ROLE lake_plain LOGIN PASSWORD '${PASSWORD}'`);
  await db.query(`CREATE ROLE lake_nocreate LOGIN REPLICATION PASSWORD '${PASSWORD}'`);
  for (const role of ['lake_owner', 'lake_reader', 'lake_plain']) await db.query(`GRANT CREATE ON DATABASE non_superuser TO ${role}`);
  await db.query('ALTER TABLE customers OWNER TO lake_owner');
  await db.query('ALTER TABLE invoices OWNER TO lake_owner');
});

afterAll(async () => {
  await db?.stop();
  await Promise.all(scratch.map((path) => rm(path, { recursive: true, force: true })));
});

describe('a non-superuser role', () => {
  it('that owns the table: setup succeeds twice, the second time finding everything', async () => {
    const [{ toast_first }] = (await db.query<{ toast_first: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM pg_class t WHERE t.relnamespace = 'pg_toast'::regnamespace
                         AND t.ctid < (SELECT ctid FROM pg_class WHERE oid = 'public.invoices'::regclass)) AS toast_first`,
    )) as [{ toast_first: boolean }];
    expect(toast_first, 'precondition: a pg_toast relation precedes invoices in pg_class').toBe(true);

    const env = await roleEnv('lake_owner');
    const first = await runCli(['setup'], env);
    expectSetupOk(first);
    expect(first.stdout).toMatch(/publication invoice_lake: created/);
    expect(first.stdout).toMatch(/replication slot invoice_lake \(pgoutput\): created/);

    const second = await runCli(['setup'], env);
    expectSetupOk(second);
    expect(second.stdout).toMatch(/publication invoice_lake: exists/);
    expect(second.stdout).toMatch(/replication slot invoice_lake \(pgoutput\): exists/);
    expect(second.stdout).toMatch(/lake table lake\.invoices: exists/);
    expect(second.stdout).not.toMatch(/: created/);
  });

  it('that does not own the table, with a publication its owner created: setup succeeds twice', async () => {
    await db.query('CREATE TABLE reader_invoices (LIKE invoices INCLUDING ALL)');
    await db.query('CREATE PUBLICATION pub_reader FOR TABLE reader_invoices'); // as the owner (here the superuser)
    await db.query('GRANT SELECT ON reader_invoices TO lake_reader');
    const env = await roleEnv('lake_reader', { SOURCE_TABLE: 'public.reader_invoices', PUBLICATION_NAME: 'pub_reader', SLOT_NAME: 'slot_reader' });

    const first = await runCli(['setup'], env);
    expectSetupOk(first);
    expect(first.stdout).toMatch(/publication pub_reader: exists/);
    expect(first.stdout).toMatch(/replication slot slot_reader \(pgoutput\): created/);

    const second = await runCli(['setup'], env);
    expectSetupOk(second);
    expect(second.stdout).toMatch(/replication slot slot_reader \(pgoutput\): exists/);
    expect(await setupState('slot_reader', 'pub_reader', 'catalog_lake_reader')).toEqual({ slot: true, publication: true, catalog: true });
  });

  it('without REPLICATION, ownership or a replica identity: exit 2 naming each cause and fix, nothing created', async () => {
    await db.query('CREATE TABLE plain_invoices (invoice_id bigint, amount numeric(14,2))'); // no primary key
    await db.query('GRANT SELECT ON plain_invoices TO lake_plain');
    const env = await roleEnv('lake_plain', { SOURCE_TABLE: 'public.plain_invoices', PUBLICATION_NAME: 'pub_plain', SLOT_NAME: 'slot_plain' });

    const result = await runCli(['setup'], env);
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).not.toContain('permission denied');
    expect(result.stderr).toMatch(/role lake_plain may not use replication/);
    expect(result.stderr).toMatch(/ALTER ROLE lake_plain WITH REPLICATION/);
    expect(result.stderr).toMatch(/no replica identity/);
    expect(result.stderr).toMatch(/REPLICA IDENTITY FULL/);
    expect(result.stderr).toMatch(/does not own public\.plain_invoices/);
    expect(result.stderr).toMatch(/CREATE PUBLICATION pub_plain FOR TABLE public\.plain_invoices/);
    expect(await setupState('slot_plain', 'pub_plain', 'catalog_lake_plain')).toEqual({ slot: false, publication: false, catalog: false });
  });

  it('with a publication that leaves the table out: exit 2 saying so, not a permission error', async () => {
    await db.query('CREATE TABLE other_table (id bigint PRIMARY KEY)');
    await db.query('CREATE PUBLICATION pub_other FOR TABLE other_table');
    const env = await roleEnv('lake_owner', { PUBLICATION_NAME: 'pub_other', SLOT_NAME: 'slot_other', CATALOG_SCHEMA: 'catalog_other' });

    const result = await runCli(['setup'], env);
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).not.toContain('permission denied');
    expect(result.stderr).toMatch(/publication pub_other exists but does not include public\.invoices/);
    expect(result.stderr).toMatch(/ALTER PUBLICATION pub_other ADD TABLE public\.invoices/);
  });

  it('that may not create the catalog schema: exit 2 with the GRANT, before the publication or slot exist', async () => {
    await db.query('CREATE TABLE nocreate_invoices (LIKE invoices INCLUDING ALL)');
    await db.query('ALTER TABLE nocreate_invoices OWNER TO lake_nocreate');
    const env = await roleEnv('lake_nocreate', { SOURCE_TABLE: 'public.nocreate_invoices', PUBLICATION_NAME: 'pub_nocreate', SLOT_NAME: 'slot_nocreate' });

    const result = await runCli(['setup'], env);
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toMatch(/GRANT CREATE ON DATABASE non_superuser TO lake_nocreate/);
    expect(await setupState('slot_nocreate', 'pub_nocreate', 'catalog_lake_nocreate')).toEqual({ slot: false, publication: false, catalog: false });
  });
});
