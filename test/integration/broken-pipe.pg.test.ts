import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rm } from 'node:fs/promises';
import type { ChildProcess } from 'node:child_process';
import { startTestDatabase, type TestDatabase } from '../support/test-database.ts';
import { lakeEnv, openEnvLake, SOURCE_DDL } from '../support/lake-env.ts';
import { completion, runCli, startCli, type CliResult } from '../support/cli.ts';

/**
 * `invoice-lake setup | head -2`: the reader goes away after a line or two.
 * Setup must still finish (slot, catalog and lake tables), and no command may
 * die of an unhandled EPIPE.
 */

let db: TestDatabase;
const scratch: string[] = [];

async function scratchEnv(extra: Record<string, string> = {}): Promise<Record<string, string>> {
  const env = await lakeEnv(db, extra);
  scratch.push(env.LAKE!);
  return env;
}

/** Runs the CLI and closes the read end of its stdout as soon as the first line arrives, as `head -1` does. */
function runWithStdoutClosedAfterFirstLine(args: string[], env: Record<string, string>): Promise<CliResult & { linesSeen: string }> {
  const child: ChildProcess = startCli(args, env);
  let linesSeen = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    linesSeen += chunk.toString('utf8');
    if (linesSeen.includes('\n')) child.stdout!.destroy();
  });
  return completion(child).then((result) => ({ ...result, linesSeen }));
}

beforeAll(async () => {
  db = await startTestDatabase('broken_pipe');
  await db.query(SOURCE_DDL);
});

afterAll(async () => {
  await db?.stop();
  await Promise.all(scratch.map((path) => rm(path, { recursive: true, force: true })));
});

describe('stdout closed by the reader', () => {
  it('setup still creates the publication, slot, catalog and every lake table, and a second setup finds them', async () => {
    const env = await scratchEnv();
    const result = await runWithStdoutClosedAfterFirstLine(['setup'], env);
    expect(result.linesSeen).toMatch(/^publication invoice_lake: created\n/);
    expect(result.stderr).not.toMatch(/EPIPE|Unhandled|at .*\.ts:/);
    expect(result.code, result.stderr).toBe(0);

    const [state] = await db.query<{ publication: boolean; slot: boolean; catalog: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM pg_publication WHERE pubname = 'invoice_lake') AS publication,
              EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = 'invoice_lake') AS slot,
              to_regclass('invoice_lake_catalog.iceberg_tables') IS NOT NULL AS catalog`,
    );
    expect(state).toEqual({ publication: true, slot: true, catalog: true });
    const lake = await openEnvLake(env, db);
    try {
      expect(await lake.catalog.listTables('lake')).toEqual(lake.streamTables.map((table) => table.definition.name).sort());
    } finally {
      await lake.close();
    }

    const again = await runCli(['setup'], env);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).not.toMatch(/: created/);
    expect(again.stdout.match(/^lake table .*: exists/gm)).toHaveLength(lake.streamTables.length);
  });

  it('query with more output than the reader takes exits 0 without an EPIPE', async () => {
    const env = await scratchEnv();
    expect((await runCli(['setup'], env)).code).toBe(0);
    const result = await runWithStdoutClosedAfterFirstLine(['query', 'SELECT i, repeat(\'x\', 100) AS pad FROM range(200000) t(i)', '--format', 'csv'], env);
    expect(result.linesSeen).toMatch(/^i,pad\n/);
    expect(result.stderr).not.toMatch(/EPIPE|Unhandled/);
    expect(result.code, result.stderr).toBe(0);
  });

  it('stderr closed too (`2>&1 | head -1`): an error still exits with its code', async () => {
    const env = await scratchEnv({ SOURCE_TABLE: 'public.no_such_table' });
    const child = startCli(['setup'], env);
    child.stdout!.destroy();
    child.stderr!.destroy();
    const exit = await new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    expect(exit).toBe(2);
  });
});
