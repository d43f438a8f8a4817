/**
 * Streams text lines into one `COPY ... FROM STDIN` statement with
 * backpressure: lines are packed into ~64 KiB writes, and each write is
 * awaited before the generator is asked for more lines, so a slow server
 * slows the generator instead of growing our heap.
 *
 * Why await every write's callback rather than only 'drain' after `write()`
 * returns false: pg-copy-streams 7 crashes (TypeError on a null connection)
 * when writes are still queued inside the Writable as the server rejects the
 * COPY. With one write in flight that queue is always empty, and pipelining
 * still happens in the socket's buffer. It is strictly more conservative than
 * the 'drain' protocol: when `write()` returns false, its callback only comes
 * after the data has been handed to the socket.
 */
import { finished } from 'node:stream/promises';
import type { Client } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';

/** Characters gathered before one write to the socket. */
const BATCH_CHARS = 64 * 1024;

/** Options of {@link copyLines}. */
export interface CopyLinesOptions {
  /** Called after each batch is handed to the stream, with the rows written so far in this COPY. */
  readonly onRows?: (rowsSoFar: number) => void;
}

/**
 * Runs `sql` (a `COPY ... FROM STDIN` in text format) and feeds it `lines`,
 * each ending with a newline. Resolves with the row count the server reports
 * once the data is committed (COPY outside a transaction block is its own
 * transaction); rejects with the server's or the generator's error, in which
 * case nothing of this COPY is kept and the client stays usable.
 */
export async function copyLines(client: Client, sql: string, lines: Iterable<string>, options: CopyLinesOptions = {}): Promise<number> {
  const stream = client.query(copyFrom(sql));
  // The server's error arrives as an 'error' event at any time, even before
  // COPY starts (no table, no privilege); it must end every wait below.
  let serverError: unknown;
  let rejectFailure: (error: unknown) => void = () => undefined;
  const failure = new Promise<never>((_, reject) => {
    rejectFailure = reject;
  });
  failure.catch(() => undefined);
  stream.on('error', (error: unknown) => {
    serverError ??= error;
    rejectFailure(error);
  });

  let rows = 0;
  let batch = '';
  const push = async (): Promise<void> => {
    if (serverError !== undefined) throw serverError;
    const chunk = batch;
    batch = '';
    const written = new Promise<void>((resolve, reject) => {
      stream.write(chunk, (error) => (error ? reject(error) : resolve()));
    });
    await Promise.race([written, failure]);
    options.onRows?.(rows);
  };

  try {
    for (const line of lines) {
      batch += line;
      rows++;
      if (batch.length >= BATCH_CHARS) await push();
    }
    if (batch.length > 0) await push();
    if (serverError !== undefined) throw serverError;
    stream.end();
    await Promise.race([finished(stream), failure]);
    return stream.rowCount;
  } catch (error) {
    if (serverError !== undefined) throw serverError;
    // Our side failed (e.g. the generator threw): destroy() sends CopyFail so
    // the server rolls the COPY back; wait for its answer before the client is reused.
    if (!stream.destroyed) {
      stream.destroy(error instanceof Error ? error : new Error(String(error)));
      await finished(stream).catch(() => undefined);
    }
    throw error;
  }
}

/**
 * Yields at most `limit` values from `iterator` without closing it, so one
 * long generator can feed several consecutive COPY statements.
 */
export function* take<T>(iterator: Iterator<T>, limit: number): Generator<T> {
  for (let i = 0; i < limit; i++) {
    const step = iterator.next();
    if (step.done === true) return;
    yield step.value;
  }
}
