import { readFileSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import { startCli, type CliResult } from './cli.ts';

/** One line of the daemon's structured log (pino JSON on stderr), or the raw text of another line. */
export type LogLine = Record<string, unknown> & { msg?: string; raw?: string };

/**
 * An `invoice-lake` process watched while it runs: its output as it arrives,
 * its log lines parsed, its memory, and a bounded wait for its exit. Every
 * process started here is killed by `killAllDaemons()` (call it in afterEach),
 * so a failing test leaves nothing streaming into the next one.
 */
export interface Daemon {
  readonly name: string;
  readonly child: ChildProcess;
  readonly pid: number;
  readonly exited: Promise<CliResult>;
  /** Undefined while it runs. */
  readonly result: CliResult | undefined;
  stdout(): string;
  stderr(): string;
  logs(): LogLine[];
  /** Resident set size in MB, from /proc; undefined once it exited. */
  rssMb(): number | undefined;
  /**
   * Resolves with the first log line from index `from` on (see `logs().length`) that matches,
   * or undefined after `timeoutMs` or at exit.
   */
  waitForLog(match: RegExp | ((line: LogLine) => boolean), timeoutMs: number, from?: number): Promise<LogLine | undefined>;
  /** The result when it exits within `timeoutMs`, else undefined (it keeps running). */
  exitWithin(timeoutMs: number): Promise<CliResult | undefined>;
  /** SIGTERM, then SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<CliResult>;
  /** kill -9. */
  kill9(): Promise<CliResult>;
  /** SIGSTOP: frozen, as a process in a long GC pause or a suspended VM is; it keeps its connections. */
  freeze(): void;
  /** SIGCONT. */
  thaw(): void;
  /** A short account of the process for assertion messages: exit, last stderr lines. */
  describe(lines?: number): string;
}

const running = new Set<Daemon>();

export function startDaemon(name: string, args: string[], env: Record<string, string | undefined>): Daemon {
  const child = startCli(args, env);
  let stdout = '';
  let stderr = '';
  let pendingLine = '';
  const logs: LogLine[] = [];
  const listeners = new Set<() => void>();
  let result: CliResult | undefined;
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => {
    const text = chunk.toString('utf8');
    stderr += text;
    const lines = (pendingLine + text).split('\n');
    pendingLine = lines.pop() ?? '';
    for (const line of lines) if (line.trim() !== '') logs.push(parseLine(line));
    for (const listener of listeners) listener();
  });
  const exited = new Promise<CliResult>((resolve) =>
    child.on('close', (code, signal) => {
      if (pendingLine.trim() !== '') logs.push(parseLine(pendingLine));
      result = { code, signal, stdout, stderr };
      running.delete(daemon);
      for (const listener of listeners) listener();
      resolve(result);
    }),
  );
  const exitWithin = async (timeoutMs: number) => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), timeoutMs)));
    try {
      return await Promise.race([exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  };
  const daemon: Daemon = {
    name,
    child,
    pid: child.pid!,
    exited,
    get result() {
      return result;
    },
    stdout: () => stdout,
    stderr: () => stderr,
    logs: () => logs,
    rssMb() {
      if (result) return undefined;
      try {
        const kb = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1];
        return kb === undefined ? undefined : Number(kb) / 1024;
      } catch {
        return undefined;
      }
    },
    waitForLog(match, timeoutMs, from = 0) {
      const test = typeof match === 'function' ? match : (line: LogLine) => match.test(line.raw ?? JSON.stringify(line));
      let seen = from;
      return new Promise((resolve) => {
        const check = () => {
          for (; seen < logs.length; seen++) {
            if (test(logs[seen]!)) return finish(logs[seen]);
          }
          if (result) finish(undefined);
        };
        const timer = setTimeout(() => finish(undefined), timeoutMs);
        const finish = (line: LogLine | undefined) => {
          clearTimeout(timer);
          listeners.delete(check);
          resolve(line);
        };
        listeners.add(check);
        check();
      });
    },
    exitWithin,
    async stop(graceMs = 30_000) {
      if (!result) child.kill('SIGTERM');
      const done = await exitWithin(graceMs);
      if (done) return done;
      child.kill('SIGKILL');
      return exited;
    },
    async kill9() {
      if (!result) child.kill('SIGKILL');
      return exited;
    },
    freeze() {
      if (!result) child.kill('SIGSTOP');
    },
    thaw() {
      if (!result) child.kill('SIGCONT');
    },
    describe(lines = 25) {
      const status = result ? `exited code=${result.code} signal=${result.signal}` : 'still running';
      const tail = stderr.trimEnd().split('\n').slice(-lines).map(shorten).join('\n');
      return `${name} (pid ${child.pid}) ${status}\n--- stdout ---\n${stdout.trimEnd().slice(-2000)}\n--- stderr (last ${lines} lines) ---\n${tail}`;
    },
  };
  running.add(daemon);
  return daemon;
}

/** Kills (SIGKILL) every daemon still running; for afterEach/afterAll. */
export async function killAllDaemons(): Promise<void> {
  await Promise.all([...running].map((daemon) => daemon.kill9()));
}

/** Log lines of a message (pino's `msg`) matching `pattern`. */
export function logsMatching(daemon: Daemon, pattern: RegExp): LogLine[] {
  return daemon.logs().filter((line) => pattern.test(line.msg ?? line.raw ?? ''));
}

function parseLine(line: string): LogLine {
  if (line.startsWith('{')) {
    try {
      return JSON.parse(line) as LogLine;
    } catch {
      // not JSON after all
    }
  }
  return { raw: line };
}

function shorten(line: string): string {
  return line.length > 600 ? `${line.slice(0, 600)}…` : line;
}
