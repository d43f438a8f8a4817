import { basename } from 'node:path';
import { Cron } from 'croner';
import { parseMemory, parseTimeout, type JobLimits } from './job-limits.ts';

/** When a job runs. */
export type JobSchedule =
  | { kind: 'every'; everyMs: number; text: string }
  | { kind: 'cron'; expression: string; text: string }
  | { kind: 'on-commit'; table: string; text: string };

export type JobMode = 'append' | 'replace' | 'replace-partitions';

export interface JobDefinition {
  name: string;
  file: string;
  schedule: JobSchedule;
  /** Lake table the result goes to. */
  output: string;
  mode: JobMode;
  /** Output column partitioned by month (required for replace-partitions). */
  partitionColumn: string | undefined;
  description: string;
  /** Limits the header sets (`timeout`, `memory`); the settings give the others. */
  limits: Partial<JobLimits>;
  /** The SELECT, header removed. */
  sql: string;
}

/** A job file that cannot run, and why; the other jobs run. */
export class JobRejected extends Error {
  constructor(
    readonly file: string,
    reason: string,
  ) {
    super(`${basename(file)}: ${reason}`);
    this.name = 'JobRejected';
  }
}

const KEYS = new Set(['schedule', 'output', 'mode', 'partition', 'description', 'timeout', 'memory']);
const MODES: readonly JobMode[] = ['append', 'replace', 'replace-partitions'];
const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;
const UNITS_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
/** Shorter intervals would mostly re-read the same snapshot. */
const MIN_EVERY_MS = 10_000;

/**
 * Parses `jobs/<name>.sql`: a header of `-- key: value` lines, then one
 * SELECT. Everything here is checked without a database; whether DuckDB can
 * prepare the SQL is checked when the job is loaded against the lake.
 */
export function parseJobFile(file: string, text: string, reservedTables: readonly string[], inputTables: readonly string[]): JobDefinition {
  const name = basename(file).replace(/\.sql$/, '');
  if (!IDENTIFIER.test(name)) throw new JobRejected(file, `the file name must be a lower-case SQL identifier (got "${name}")`);
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const header = new Map<string, string>();
  // The header is the leading run of `-- key: value` lines; the first plain
  // comment ends it, so prose after it may contain colons freely.
  let headerEnded = false;
  let bodyStart = 0;
  for (; bodyStart < lines.length; bodyStart++) {
    const line = lines[bodyStart]!.trim();
    if (line === '') continue;
    if (!line.startsWith('--')) break;
    const match = /^--\s*([A-Za-z_-]+)\s*:\s*(.*?)\s*$/.exec(line);
    const key = match?.[1]!.toLowerCase();
    if (!match || key === undefined || headerEnded) {
      if (headerEnded && key !== undefined && KEYS.has(key) && !header.has(key)) {
        throw new JobRejected(file, `header key "${key}" comes after a plain comment line; move it up into the header`);
      }
      headerEnded = true;
      continue;
    }
    if (!KEYS.has(key)) throw new JobRejected(file, `unknown header key "${key}" (known: ${[...KEYS].join(', ')})`);
    if (header.has(key)) throw new JobRejected(file, `header key "${key}" appears twice`);
    header.set(key, match[2]!);
  }
  const sql = lines.slice(bodyStart).join('\n').trim().replace(/;\s*$/, '');
  if (sql === '') throw new JobRejected(file, 'no SQL after the header');
  if (!/^(select|with|from)\b/i.test(sql)) throw new JobRejected(file, 'the SQL must be one SELECT (or WITH … SELECT)');
  if (/;\s*\S/.test(stripStringsAndComments(sql))) throw new JobRejected(file, 'the SQL must be a single statement');

  const scheduleText = required(file, header, 'schedule');
  const output = required(file, header, 'output');
  if (!IDENTIFIER.test(output)) throw new JobRejected(file, `output "${output}" must be a lower-case SQL identifier`);
  if (reservedTables.includes(output)) throw new JobRejected(file, `output "${output}" is a table invoice-lake writes itself; choose another name`);
  const mode = (header.get('mode') ?? 'append') as JobMode;
  if (!MODES.includes(mode)) throw new JobRejected(file, `mode "${mode}" is not one of ${MODES.join(', ')}`);
  const partitionColumn = parsePartition(file, header.get('partition'));
  if (mode === 'replace-partitions' && !partitionColumn) throw new JobRejected(file, 'mode replace-partitions needs a partition (e.g. "partition: month(month)")');
  return {
    name,
    file,
    schedule: parseSchedule(file, scheduleText, inputTables),
    output,
    mode,
    partitionColumn,
    description: header.get('description') ?? '',
    limits: parseLimits(file, header),
    sql,
  };
}

export function parseSchedule(file: string, text: string, lakeTables: readonly string[]): JobSchedule {
  const every = /^every\s+(\d+)\s*([smhd])$/i.exec(text);
  if (every) {
    const everyMs = Number(every[1]) * UNITS_MS[every[2]!.toLowerCase()]!;
    if (everyMs < MIN_EVERY_MS) throw new JobRejected(file, `schedule "${text}" is shorter than 10s`);
    return { kind: 'every', everyMs, text };
  }
  const onCommit = /^on-commit\s+(\S+)$/i.exec(text);
  if (onCommit) {
    const table = onCommit[1]!;
    if (!lakeTables.includes(table)) throw new JobRejected(file, `schedule "${text}": ${table} is not a lake table (known: ${lakeTables.join(', ')})`);
    return { kind: 'on-commit', table, text };
  }
  if (text.trim().split(/\s+/).length !== 5) {
    throw new JobRejected(file, `schedule "${text}" is not "every <n><s|m|h|d>", "on-commit <table>" or a five-field cron expression`);
  }
  try {
    new Cron(text, { paused: true, timezone: 'UTC' }).stop();
  } catch (error) {
    throw new JobRejected(file, `schedule "${text}" is not a valid cron expression: ${(error as Error).message}`);
  }
  return { kind: 'cron', expression: text, text };
}

/** Milliseconds from `now` to the schedule's next run (on-commit jobs have none). */
export function nextRunDelayMs(schedule: JobSchedule, now: Date): number | undefined {
  switch (schedule.kind) {
    case 'every':
      return schedule.everyMs;
    case 'cron': {
      const next = new Cron(schedule.expression, { paused: true, timezone: 'UTC' }).nextRun(now);
      return next ? Math.max(0, next.getTime() - now.getTime()) : undefined;
    }
    case 'on-commit':
      return undefined;
  }
}

/**
 * Milliseconds from `now` to a scheduled job's first run after the daemon
 * starts, given when it last ran (its output's latest commit), so runs are
 * spaced by the schedule across restarts rather than from each start:
 * - `every`: one interval after the last run, at once if that has passed or
 *   the job never ran;
 * - cron: at once when a fire time passed since the last run (however many
 *   passed, one run catches up), else at the next fire time; a job that never
 *   ran waits for its next fire time, as a new cron entry does.
 */
export function firstRunDelayMs(schedule: JobSchedule, lastRunMs: number | undefined, now: Date): number | undefined {
  switch (schedule.kind) {
    case 'every':
      if (lastRunMs === undefined) return 0;
      // A last run "in the future" (clock moved back) waits one interval at most.
      return Math.min(Math.max(0, lastRunMs + schedule.everyMs - now.getTime()), schedule.everyMs);
    case 'cron': {
      if (lastRunMs === undefined) return nextRunDelayMs(schedule, now);
      const due = new Cron(schedule.expression, { paused: true, timezone: 'UTC' }).nextRun(new Date(Math.min(lastRunMs, now.getTime())));
      if (!due) return undefined;
      return Math.max(0, due.getTime() - now.getTime());
    }
    case 'on-commit':
      return undefined;
  }
}

function parseLimits(file: string, header: Map<string, string>): Partial<JobLimits> {
  const limits: Partial<JobLimits> = {};
  try {
    const timeout = header.get('timeout');
    const memory = header.get('memory');
    if (timeout !== undefined) limits.timeoutMs = parseTimeout(timeout);
    if (memory !== undefined) limits.memoryLimitMb = parseMemory(memory);
  } catch (error) {
    throw new JobRejected(file, (error as Error).message);
  }
  return limits;
}

function parsePartition(file: string, text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const match = /^month\(\s*([a-z_][a-z0-9_]*)\s*\)$/.exec(text);
  if (!match) throw new JobRejected(file, `partition "${text}" must be month(<timestamptz column>)`);
  return match[1];
}

function required(file: string, header: Map<string, string>, key: string): string {
  const value = header.get(key);
  if (!value) throw new JobRejected(file, `the header lacks "-- ${key}: …"`);
  return value;
}

/** The SQL without string literals and comments, to look for statement separators. */
function stripStringsAndComments(sql: string): string {
  return sql
    .replace(/'(?:[^']|'')*'/g, "''")
    .replace(/"(?:[^"]|"")*"/g, '""')
    .replace(/--[^\n]*/g, '')
    .replace(/\/\*[\s\S]*?\*\//g, '');
}
