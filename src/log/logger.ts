import pino from 'pino';

export type Logger = pino.Logger;

/**
 * Structured JSON logs on stderr (stdout stays for command results).
 * Connection strings never reach a log line: callers log `redactUrl(...)` only,
 * and these keys are censored wherever they appear.
 */
export function createLogger(level: string): Logger {
  return pino(
    {
      level,
      base: { app: 'invoice-lake' },
      redact: { paths: ['databaseUrl', 'catalogUrl', 'password', '*.password', '*.connectionString'], censor: '***' },
    },
    pino.destination({ dest: 2, sync: true }),
  );
}
