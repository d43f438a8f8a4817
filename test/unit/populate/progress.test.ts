import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createProgress } from '../../../src/source/populate/progress.ts';

/** A stream that keeps what is written; `isTTY` decides which reporter is used. */
function sink(isTTY: boolean): { stream: Writable & { isTTY?: boolean; columns?: number }; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      chunks.push(chunk.toString());
      callback();
    },
  }) as Writable & { isTTY?: boolean; columns?: number };
  stream.isTTY = isTTY;
  stream.columns = 120;
  return { stream, text: () => chunks.join('') };
}

describe('createProgress', () => {
  it('writes nothing when quiet', () => {
    const out = sink(false);
    const progress = createProgress({ label: 'invoices', total: 100, quiet: true, stream: out.stream });
    progress.update(50);
    progress.stop();
    expect(out.text()).toBe('');
  });

  it('writes JSON lines every 10% or every interval, then a final line', () => {
    const out = sink(false);
    let now = 1_000;
    const progress = createProgress({ label: 'invoices', total: 1_000, stream: out.stream, clock: () => now });
    for (let done = 1; done <= 1_000; done++) progress.update(done); // no time passes: only 10% steps
    const steps = out.text().trim().split('\n');
    expect(steps).toHaveLength(10);
    now += 2_500;
    progress.update(1_000);
    expect(out.text().trim().split('\n')).toHaveLength(11); // interval elapsed
    progress.stop();
    progress.stop(); // idempotent
    progress.update(5); // ignored after stop
    const lines = out.text().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(12);
    expect(lines[0]).toMatchObject({ level: 30, label: 'invoices', done: 100, total: 1_000, percent: 10 });
    expect(lines.at(-1)).toMatchObject({ msg: 'invoices: done', done: 1_000, percent: 100, elapsedMs: 2_500, rowsPerSecond: 400 });
  });

  it('draws a bar on a terminal', () => {
    const out = sink(true);
    const progress = createProgress({ label: 'invoices', total: 10, stream: out.stream });
    progress.update(10);
    progress.stop();
    expect(out.text()).toContain('invoices');
    expect(out.text()).toContain('100%');
    expect(out.text()).not.toContain('"level"');
  });
});
