/**
 * Progress of a long load, adapted to where stderr goes:
 *  - a terminal: a live `cli-progress` bar;
 *  - a pipe or file (CI, containers, log shippers): one JSON line (pino's
 *    shape: level 30 = info) every ~2 s or each further 10%, since a redrawn
 *    bar would fill logs with control characters;
 *  - quiet: nothing.
 */
import cliProgress from 'cli-progress';

/** Where progress goes; `isTTY` picks the bar. */
export type ProgressStream = NodeJS.WritableStream & { isTTY?: boolean };

/** Options of {@link createProgress}. */
export interface ProgressOptions {
  /** What is progressing, e.g. "invoices". */
  readonly label: string;
  /** Units of work in total (rows). */
  readonly total: number;
  /** Report nothing. */
  readonly quiet?: boolean;
  /** Default process.stderr. */
  readonly stream?: ProgressStream;
  /** Minimum time between JSON lines, unless a 10% step is crossed. Default 2000 ms. */
  readonly intervalMs?: number;
  /** Milliseconds clock, injectable for tests. Default Date.now. */
  readonly clock?: () => number;
}

/** A running progress report. */
export interface ProgressReporter {
  /** Sets the units done so far (absolute, not an increment). */
  update(done: number): void;
  /** Ends the report (draws the final state); further calls do nothing. */
  stop(): void;
}

const NOOP: ProgressReporter = { update: () => undefined, stop: () => undefined };

/** Creates the reporter that fits `stream` (default stderr). */
export function createProgress(options: ProgressOptions): ProgressReporter {
  if (options.quiet === true) return NOOP;
  const stream = options.stream ?? process.stderr;
  return stream.isTTY === true ? createBar(options, stream) : createJsonLines(options, stream);
}

function rowsPerSecond(done: number, elapsedMs: number): number {
  return elapsedMs > 0 ? Math.round((done * 1000) / elapsedMs) : 0;
}

function createBar(options: ProgressOptions, stream: ProgressStream): ProgressReporter {
  const clock = options.clock ?? Date.now;
  const startedAt = clock();
  const bar = new cliProgress.SingleBar(
    {
      format: `${options.label} [{bar}] {percentage}% | {value}/{total} | {rate} rows/s | ETA {eta_formatted}`,
      stream,
      fps: 5,
      hideCursor: true,
      etaBuffer: 100,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(options.total, 0, { rate: 0 });
  let stopped = false;
  return {
    update: (done) => {
      if (!stopped) bar.update(done, { rate: rowsPerSecond(done, clock() - startedAt) });
    },
    stop: () => {
      if (stopped) return;
      stopped = true;
      bar.stop();
    },
  };
}

function createJsonLines(options: ProgressOptions, stream: ProgressStream): ProgressReporter {
  const clock = options.clock ?? Date.now;
  const intervalMs = options.intervalMs ?? 2000;
  const { label, total } = options;
  const startedAt = clock();
  let lastAt = startedAt;
  let lastStep = 0;
  let done = 0;
  let stopped = false;

  const step = (value: number): number => (total > 0 ? Math.floor((value * 10) / total) : 10);
  const write = (now: number, finished: boolean): void => {
    const elapsedMs = now - startedAt;
    const line = {
      level: 30,
      time: now,
      msg: finished ? `${label}: done` : `${label}: progress`,
      label,
      done,
      total,
      percent: total > 0 ? Math.round((done * 1000) / total) / 10 : 100,
      rowsPerSecond: rowsPerSecond(done, elapsedMs),
      elapsedMs,
    };
    stream.write(`${JSON.stringify(line)}\n`);
    lastAt = now;
    lastStep = step(done);
  };

  return {
    update: (value) => {
      if (stopped) return;
      done = value;
      const now = clock();
      if (now - lastAt >= intervalMs || step(done) > lastStep) write(now, false);
    },
    stop: () => {
      if (stopped) return;
      stopped = true;
      // Always one final line: it carries the totals and elapsed time of the whole load.
      write(clock(), true);
    },
  };
}
