import { spawn } from 'node:child_process';
import { readdir, readFile, stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Keeps the benchmark harness from rotting: the quick run must produce every metric (values are not judged). */
describe('npm run bench -- --quick', () => {
  it('prints the table and writes a JSON result and a chart with every metric present', async () => {
    const started = Date.now();
    const child = spawn('npm', ['run', '--silent', 'bench', '--', '--quick'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code, stderr).toBe(0);
    expect(stdout).toContain('backlog drain, end to end (rows/s)');
    expect(stdout).toContain('score latency p50 / p99 (ms)');
    expect(stdout).toContain('invoice by id, lake p50 / p99 (ms)');

    const directory = `${ROOT}bench/results/`;
    const candidates = (await readdir(directory)).filter((name) => name.startsWith('quick-') && name.endsWith('.json'));
    const fresh: string[] = [];
    for (const name of candidates) if ((await stat(directory + name)).mtimeMs >= started) fresh.push(name);
    expect(fresh).toHaveLength(1);
    const result = JSON.parse(await readFile(directory + fresh[0]!, 'utf8'));
    for (const key of ['rowsPerSecond', 'peakRssMb', 'bareNodeRowsPerSecond']) expect(result.drain[key], key).toBeGreaterThan(0);
    for (const key of ['achievedRate', 'freshnessP50Ms', 'freshnessP99Ms', 'scoreLatencyP50Ms', 'scoreLatencyP99Ms', 'peakRssMb']) {
      expect(result.steady[key], key).toBeGreaterThan(0);
    }
    expect(result.steady.timeline.length).toBeGreaterThan(2);
    for (const key of ['batch1RowsPerSecond', 'batch25RowsPerSecond', 'batch1024RowsPerSecond']) expect(result.scoring[key], key).toBeGreaterThan(0);
    for (const key of ['secondsToLake', 'peakRssMb', 'streamBytes']) expect(result.huge[key], key).toBeGreaterThan(0);
    expect(result.huge.spillBytes).toBeGreaterThanOrEqual(0);
    for (const key of ['groupByLakeMs', 'groupByPgMs', 'groupBySpeedup', 'lookupLakeP50Ms', 'lookupPgP50Ms', 'lookupLakeFilesMax']) expect(result.queries[key], key).toBeGreaterThan(0);
    const svg = await readFile(directory + fresh[0]!.replace(/\.json$/, '.svg'), 'utf8');
    expect(svg).toContain('<svg');
    expect(svg.match(/<rect /g)!.length).toBeGreaterThan(3);
  });
});
