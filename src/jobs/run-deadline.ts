import { LakeError } from '../errors/lake-error.ts';
import { formatDuration } from './job-limits.ts';

/** What a deadline interrupts: a DuckDB session (LakeQuery). */
export interface Interruptible {
  interrupt(reason: string): void;
}

/** Reason recorded for runs interrupted by JobScheduler.stop(). */
export const STOPPING_REASON = 'cancelled: the job scheduler is stopping';

/**
 * Ends a job run at its timeout, or when `signal` aborts (the scheduler
 * stopping): the run's DuckDB session is interrupted (the running statement
 * fails within milliseconds and no later one starts) and the reason is kept
 * for job_runs. Work outside DuckDB (downloads, the output commit) is not
 * interrupted; the run checks `throwIfCancelled()` before committing.
 */
export class RunDeadline {
  readonly #timer: NodeJS.Timeout;
  readonly #signal: AbortSignal | undefined;
  readonly #onAbort = () => this.cancel(STOPPING_REASON);
  #reason: string | undefined;
  #session: Interruptible | undefined;

  constructor(timeoutMs: number, signal?: AbortSignal) {
    this.#timer = setTimeout(() => this.cancel(`timed out after ${formatDuration(timeoutMs)}`), timeoutMs);
    this.#signal = signal;
    if (signal?.aborted) this.cancel(STOPPING_REASON);
    else signal?.addEventListener('abort', this.#onAbort, { once: true });
  }

  /** Why the run was cancelled, or undefined while it may go on. */
  get reason(): string | undefined {
    return this.#reason;
  }

  /** The session to interrupt; interrupted at once when the run is already cancelled. */
  attach(session: Interruptible): void {
    this.#session = session;
    if (this.#reason !== undefined) session.interrupt(this.#reason);
  }

  cancel(reason: string): void {
    if (this.#reason !== undefined) return;
    this.#reason = reason;
    this.#session?.interrupt(reason);
  }

  throwIfCancelled(): void {
    if (this.#reason !== undefined) throw new LakeError('query', this.#reason, { retryable: false });
  }

  /** Stops the timer and the listener; call when the run ends, however it ends. */
  dispose(): void {
    clearTimeout(this.#timer);
    this.#signal?.removeEventListener('abort', this.#onAbort);
  }
}
