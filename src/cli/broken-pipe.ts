/**
 * What a command does when the reader of its output goes away
 * (`invoice-lake setup | head -2`, a closed terminal): it stops writing there
 * and carries on. Node ignores SIGPIPE, so the failed write surfaces as an
 * 'error' event on the stream; without a listener that event is an uncaught
 * exception that kills the process wherever it happens to be, e.g. between
 * creating the replication slot and creating the catalog. Output is a report
 * of the work; losing the report must not lose the work.
 */
export function ignoreBrokenPipes(streams: readonly NodeJS.WriteStream[] = [process.stdout, process.stderr]): void {
  for (const stream of streams) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE' && error.code !== 'ERR_STREAM_DESTROYED') throw error;
      silence(stream);
    });
  }
}

/**
 * Turns further writes into no-ops that still call their callback: main.ts
 * exits from the callback of a last write, which must not wait forever on a
 * stream that will never drain.
 */
function silence(stream: NodeJS.WriteStream): void {
  stream.write = ((_chunk: unknown, encodingOrCallback?: unknown, callback?: unknown): boolean => {
    const done = typeof encodingOrCallback === 'function' ? encodingOrCallback : callback;
    if (typeof done === 'function') process.nextTick(done as () => void);
    return true;
  }) as NodeJS.WriteStream['write'];
}
