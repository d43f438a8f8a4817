import { describe, expect, it } from 'vitest';
import { firstRunDelayMs, JobRejected, nextRunDelayMs, parseJobFile } from '../../../src/jobs/job-definition.ts';

const RESERVED = ['invoices', 'risk_scores', 'job_runs'];
const INPUTS = ['invoices', 'risk_scores'];
const parse = (text: string, file = 'jobs/totals.sql') => parseJobFile(file, text, RESERVED, INPUTS);
const rejection = (text: string, file?: string) => {
  try {
    parse(text, file);
  } catch (error) {
    expect(error).toBeInstanceOf(JobRejected);
    return (error as Error).message;
  }
  throw new Error('expected the job to be rejected');
};

describe('job files', () => {
  it('reads the header and the SELECT', () => {
    const job = parse('-- schedule: on-commit invoices\n-- output: totals\n-- mode: replace-partitions\n-- partition: month(month)\n-- description: per month\n-- a plain comment\nSELECT 1 AS x;\n');
    expect(job).toMatchObject({ name: 'totals', output: 'totals', mode: 'replace-partitions', partitionColumn: 'month', description: 'per month', sql: 'SELECT 1 AS x' });
    expect(job.schedule).toEqual({ kind: 'on-commit', table: 'invoices', text: 'on-commit invoices' });
  });

  it('accepts intervals and five-field cron expressions, in UTC', () => {
    expect(parse('-- schedule: every 10m\n-- output: t\nSELECT 1').schedule).toMatchObject({ kind: 'every', everyMs: 600_000 });
    const cron = parse('-- schedule: 0 3 * * *\n-- output: t\nSELECT 1').schedule;
    expect(cron.kind).toBe('cron');
    expect(nextRunDelayMs(cron, new Date('2026-01-01T02:59:00Z'))).toBe(60_000);
    expect(parse('-- schedule: every 1h\n-- output: t\nSELECT 1').mode).toBe('append');
  });

  it.each([
    ['-- schedule: every 10m\n-- output: t\n-- owner: me\nSELECT 1', 'unknown header key "owner"'],
    ['-- schedule: every 10m\n-- schedule: every 5m\n-- output: t\nSELECT 1', 'appears twice'],
    ['-- output: t\nSELECT 1', 'lacks "-- schedule'],
    ['-- schedule: every 10m\nSELECT 1', 'lacks "-- output'],
    ['-- schedule: every 2s\n-- output: t\nSELECT 1', 'shorter than 10s'],
    ['-- schedule: hourly\n-- output: t\nSELECT 1', 'five-field cron'],
    ['-- schedule: 61 * * * *\n-- output: t\nSELECT 1', 'not a valid cron expression'],
    ['-- schedule: on-commit customers\n-- output: t\nSELECT 1', 'customers is not a lake table'],
    ['-- schedule: every 10m\n-- output: invoices\nSELECT 1', 'invoice-lake writes itself'],
    ['-- schedule: every 10m\n-- output: Bad-Name\nSELECT 1', 'lower-case SQL identifier'],
    ['-- schedule: every 10m\n-- output: t\n-- mode: upsert\nSELECT 1', 'mode "upsert"'],
    ['-- schedule: every 10m\n-- output: t\n-- mode: replace-partitions\nSELECT 1', 'needs a partition'],
    ['-- schedule: every 10m\n-- output: t\n-- partition: day(x)\nSELECT 1', 'must be month('],
    ['-- schedule: every 10m\n-- output: t\n', 'no SQL'],
    ['-- schedule: every 10m\n-- output: t\nDELETE FROM invoices', 'one SELECT'],
    ["-- schedule: every 10m\n-- output: t\nSELECT 1; DROP TABLE x", 'single statement'],
    ['-- schedule: every 10m\n-- a note\n-- output: t\nSELECT 1', 'header key "output" comes after a plain comment'],
  ])('rejects %j', (text, reason) => {
    expect(rejection(text)).toContain(reason);
  });

  it('reads a timeout and a memory limit of the job, leaving the others to the settings', () => {
    expect(parse('-- schedule: every 10m\n-- output: t\n-- timeout: 30m\n-- memory: 1GB\nSELECT 1').limits).toEqual({ timeoutMs: 1_800_000, memoryLimitMb: 1024 });
    expect(parse('-- schedule: every 10m\n-- output: t\n-- timeout: 90s\n-- memory: 512 MB\nSELECT 1').limits).toEqual({ timeoutMs: 90_000, memoryLimitMb: 512 });
    expect(parse('-- schedule: every 10m\n-- output: t\n-- timeout: 2h\nSELECT 1').limits).toEqual({ timeoutMs: 7_200_000 });
    expect(parse('-- schedule: every 10m\n-- output: t\nSELECT 1').limits).toEqual({});
  });

  it.each([
    ['-- timeout: soon', 'timeout "soon" must be'],
    ['-- timeout: 0s', 'between 1s and 24h'],
    ['-- timeout: 25h', 'between 1s and 24h'],
    ['-- memory: lots', 'memory "lots" must be'],
    ['-- memory: 8MB', 'at least 16MB'],
  ])('rejects the limit %j', (line, reason) => {
    expect(rejection(`-- schedule: every 10m\n-- output: t\n${line}\nSELECT 1`)).toContain(reason);
  });

  it('ends the header at the first plain comment, so later prose may hold colons', () => {
    const job = parse('-- schedule: every 10m\n-- output: t\n--\n-- Incremental: only new months.\n-- Note: mode: is not read here\nSELECT 1 AS x');
    expect(job).toMatchObject({ mode: 'append', sql: 'SELECT 1 AS x' });
  });

  it('allows semicolons inside strings and names the file in every message', () => {
    expect(parse("-- schedule: every 10m\n-- output: t\nSELECT 'a;b' AS s;").sql).toBe("SELECT 'a;b' AS s");
    expect(rejection('-- output: t\nSELECT 1', 'jobs/My Job.sql')).toMatch(/^My Job\.sql: /);
  });
});

describe('first run of a scheduled job after the daemon starts', () => {
  const MINUTE = 60_000;
  const every10m = { kind: 'every', everyMs: 10 * MINUTE, text: 'every 10m' } as const;
  const at3am = { kind: 'cron', expression: '0 3 * * *', text: '0 3 * * *' } as const;
  const now = new Date('2026-03-10T12:00:00Z');
  const ago = (minutes: number) => now.getTime() - minutes * MINUTE;

  it('every: one interval after the last run, at once when it passed or the job never ran', () => {
    expect(firstRunDelayMs(every10m, undefined, now)).toBe(0);
    expect(firstRunDelayMs(every10m, ago(4), now)).toBe(6 * MINUTE);
    expect(firstRunDelayMs(every10m, ago(10), now)).toBe(0);
    expect(firstRunDelayMs(every10m, ago(60 * 24 * 30), now)).toBe(0);
    // A last run after now (the clock went back) waits one interval, not longer.
    expect(firstRunDelayMs(every10m, ago(-60), now)).toBe(10 * MINUTE);
  });

  it('cron: at once when a fire time passed since the last run, else at the next fire time', () => {
    // Last ran today at 03:00; the next fire is tomorrow 03:00.
    expect(firstRunDelayMs(at3am, Date.parse('2026-03-10T03:00:05Z'), now)).toBe(15 * 60 * MINUTE);
    // Last ran yesterday at 03:00: today's 03:00 was missed; one run now, however many were missed.
    expect(firstRunDelayMs(at3am, Date.parse('2026-03-09T03:00:05Z'), now)).toBe(0);
    expect(firstRunDelayMs(at3am, Date.parse('2025-01-01T00:00:00Z'), now)).toBe(0);
    // Never ran: like a new cron entry, it waits for its next fire time.
    expect(firstRunDelayMs(at3am, undefined, now)).toBe(15 * 60 * MINUTE);
    // A last run after now does not make it fire early.
    expect(firstRunDelayMs(at3am, Date.parse('2026-03-11T03:00:05Z'), now)).toBe(15 * 60 * MINUTE);
  });

  it('on-commit jobs have no schedule', () => {
    expect(firstRunDelayMs({ kind: 'on-commit', table: 'invoices', text: 'on-commit invoices' }, ago(5), now)).toBeUndefined();
  });
});
