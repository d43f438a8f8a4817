import pino from 'pino';
import { redactSecretValue, redactUrlsIn, secretPartsOf } from '../config/redact.ts';
import { SECRET_SETTINGS, secretSettingValues } from '../config/secret-values.ts';
import type { Settings } from '../config/settings.ts';

export type Logger = pino.Logger;

/** Where log lines go: a pino destination, or any object taking lines (tests). */
export interface LogDestination {
  write(line: string): unknown;
}

export interface LoggerOptions {
  /** The loaded settings: their secret values are redacted (flags included). */
  settings?: Partial<Settings>;
  /** Secret values, instead of those found in `settings`, the environment and argv. */
  secrets?: readonly string[];
  /** Default: stderr, synchronously. */
  destination?: LogDestination;
}

/**
 * Structured JSON logs on stderr (stdout stays for command results).
 *
 * No secret reaches a log line, in two layers both driven by the settings
 * schema's `secret` flag: a field named after a secret setting (`databaseUrl`,
 * also one level down, as in `{ settings }`) is censored by pino, and every
 * finished line (message, fields, serialized errors and their stacks) is
 * scrubbed of each secret value, in plain and JSON-escaped spelling, and of
 * credentials in any URL it quotes.
 */
export function createLogger(level: string, options: LoggerOptions = {}): Logger {
  const secrets = options.secrets ?? secretSettingValues({ settings: options.settings, env: process.env, argv: process.argv });
  const destination = options.destination ?? pino.destination({ dest: 2, sync: true });
  const scrub = lineScrubber(secrets);
  return pino(
    {
      level,
      base: { app: 'invoice-lake' },
      redact: {
        paths: [...SECRET_SETTINGS.flatMap((name) => [name, `*.${name}`]), 'password', '*.password', '*.connectionString'],
        censor: (value: unknown) => (typeof value === 'string' ? redactSecretValue(value) : '***'),
      },
    },
    { write: (line: string) => destination.write(scrub(line)) },
  );
}

/**
 * Redacts a JSON log line: each secret value and each of its parts (a URL's
 * password, a token), as written in JSON (quotes and backslashes escaped) and
 * as is, longest first; then credentials in any URL the line quotes.
 */
function lineScrubber(secrets: readonly string[]): (line: string) => string {
  const replacements = new Map<string, string>();
  const add = (needle: string, replacement: string) => {
    if (needle.length < 3) return; // a 1–2 character "secret" would scrub ordinary words
    replacements.set(needle, replacement);
    const escaped = JSON.stringify(needle).slice(1, -1);
    if (escaped !== needle) replacements.set(escaped, JSON.stringify(replacement).slice(1, -1));
  };
  for (const secret of secrets) {
    for (const part of secretPartsOf(secret)) add(part, '***');
  }
  // Whole values last, so they win over their parts where both match (the longest needle goes first).
  for (const secret of secrets) add(secret, redactSecretValue(secret));
  const needles = [...replacements.keys()].sort((a, b) => b.length - a.length);
  return (line) => {
    let result = line;
    for (const needle of needles) if (result.includes(needle)) result = result.split(needle).join(replacements.get(needle)!);
    return redactUrlsIn(result);
  };
}
