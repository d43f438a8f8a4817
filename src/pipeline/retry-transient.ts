import { isLakeError, LakeError, messageOf } from '../errors/lake-error.ts';
import { classifyPostgresError } from '../postgres/postgres-errors.ts';
import type { Logger } from '../log/logger.ts';

/**
 * Runs start-up work (catalog, jobs, the WAL position) again while it fails
 * transiently, so a daemon started while PostgreSQL restarts waits instead
 * of exiting. With `budgetMs` (batch mode) it gives up after that long, so
 * `run --once` never waits forever; permanent failures are thrown at once.
 */
export async function retryTransient<T>(work: () => Promise<T>, options: { logger: Logger; what: string; budgetMs?: number; stopping?: () => boolean }): Promise<T> {
  const started = Date.now();
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      const transient = isLakeError(error) ? error.retryable : classifyPostgresError(error).transient;
      if (!transient || options.stopping?.()) throw error;
      if (options.budgetMs !== undefined && Date.now() - started >= options.budgetMs) {
        throw new LakeError(isLakeError(error) ? error.kind : 'source-connection', `gave up ${options.what} after ${Math.round(options.budgetMs / 1000)} s of failures: ${messageOf(error)}`, {
          cause: error,
          hint: isLakeError(error) ? error.hint : undefined,
          retryable: false,
        });
      }
      const backoffMs = Math.min(8_000, 250 * 2 ** Math.min(attempt, 6));
      options.logger.warn({ err: messageOf(error), retryInMs: backoffMs }, `${options.what} failed; retrying`);
      await new Promise((resolve) => setTimeout(resolve, backoffMs));
    }
  }
}
