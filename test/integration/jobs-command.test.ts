import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.ts';

/** `invoice-lake jobs …` as a user sees it, on a lake with a filesystem catalog (no database). */
describe('jobs command', () => {
  let env: Record<string, string>;

  beforeAll(async () => {
    const jobs = await mkdtemp(join(tmpdir(), 'invoice-lake-jobs-'));
    await writeFile(join(jobs, 'new_ids.sql'), '-- schedule: on-commit invoices\n-- output: new_ids\n-- description: ids of new invoices\nSELECT invoice_id FROM invoices_delta\n');
    await writeFile(join(jobs, 'typo.sql'), '-- schedule: every 10m\n-- output: typo\n-- mdoe: replace\nSELECT 1 AS x\n');
    await writeFile(join(jobs, 'bad_sql.sql'), '-- schedule: every 10m\n-- output: bad_sql\nSELECT no_such_column FROM (SELECT 1 AS x)\n');
    env = { LAKE: await mkdtemp(join(tmpdir(), 'invoice-lake-lake-')), CATALOG: 'filesystem', JOBS_DIR: jobs, DATABASE_URL: '' };
  });

  it('list shows the good jobs and each rejected one with its reason, and exits 2', async () => {
    const listed = await runCli(['jobs', 'list'], env);
    expect(listed.code).toBe(2);
    expect(listed.stdout).toMatch(/new_ids\s+│ on-commit invoices\s+│ new_ids\s+│ append\s+│\s+│ ids of new invoices/);
    expect(listed.stdout).not.toMatch(/typo|bad_sql/);
    expect(listed.stderr).toContain('disabled: typo.sql: unknown header key "mdoe"');
    expect(listed.stderr).toMatch(/disabled: bad_sql\.sql: DuckDB cannot prepare the SQL: .*no_such_column/);
    expect(listed.stderr).toContain('error: 2 job file(s) rejected');
  });

  it('run reports a skip when the input has nothing new, and refuses unknown or disabled jobs', async () => {
    const skipped = await runCli(['jobs', 'run', 'new_ids'], env);
    expect(skipped.code, skipped.stderr).toBe(0);
    expect(skipped.stdout).toMatch(/^new_ids: skipped, invoices has no rows the job has not processed/);

    const unknown = await runCli(['jobs', 'run', 'nope'], env);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/no job named nope in .* \(jobs: new_ids\)/);

    const disabled = await runCli(['jobs', 'run', 'typo'], env);
    expect(disabled.code).toBe(2);
    expect(disabled.stderr).toContain('job typo is disabled: typo.sql: unknown header key "mdoe"');
  });

  it('history says when no job has run yet', async () => {
    const history = await runCli(['jobs', 'history'], env);
    expect(history.code, history.stderr).toBe(0);
    expect(history.stdout).toBe('no job has run yet (the job_runs table does not exist)\n');
    const json = await runCli(['jobs', 'history', '--format', 'json'], env);
    expect(JSON.parse(json.stdout)).toEqual([]);
  });
});
