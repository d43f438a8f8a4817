/**
 * Which PostgreSQL failures can heal by themselves, decided where they enter
 * (a connection, the replication stream, the catalog): a daemon retries those
 * with backoff and stops at once on the rest, with the cause and the fix.
 *
 * SQLSTATE classes: https://www.postgresql.org/docs/current/errcodes-appendix.html
 */
export type PostgresFailure =
  /** The server or the network will come back: retry with backoff. */
  | { transient: true; reason: string }
  /** Retrying cannot help until an operator acts. */
  | { transient: false; reason: string; hint?: string };

/** Socket errors of a network that went away or a server that is not listening yet. */
const TRANSIENT_SOCKET_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  // A container's DNS name resolves only once its service started (Compose, Kubernetes).
  'ENOTFOUND',
]);

/** Server states that end by themselves: shutdown, restart, crash recovery, overload. */
const TRANSIENT_SQLSTATES: Readonly<Record<string, string>> = {
  '57P01': 'the server was shut down or the connection terminated by an administrator',
  '57P02': 'the server is restarting after a crash',
  '57P03': 'the server is starting up or shutting down',
  '57P05': 'the session was closed after being idle',
  '40001': 'a serialization failure',
  '40P01': 'a deadlock',
  '53000': 'the server lacks resources',
  '53100': "the server's disk is full",
  '53200': 'the server is out of memory',
  '53300': 'the server has too many connections',
  '58030': 'an I/O error on the server',
};

/** Messages of node-postgres for a socket that closed under it (no code attached). */
const TRANSIENT_MESSAGES = [/connection terminated/i, /connection ended unexpectedly/i, /timeout expired/i, /server closed the connection/i, /socket hang ?up/i];

const PERMANENT_HINTS: Readonly<Record<string, string>> = {
  '28000': 'check the user in DATABASE_URL and pg_hba.conf',
  '28P01': 'check the password in DATABASE_URL',
  '3D000': 'check the database name in DATABASE_URL',
  '42501': 'grant the missing privilege (the role needs REPLICATION, and SELECT on the mirrored tables), then run `invoice-lake setup` again',
  '42704': 'run `invoice-lake setup` to create the publication and the replication slot',
  '55000': 'see the message: the slot or the server is not in a usable state',
};

export function classifyPostgresError(error: unknown): PostgresFailure {
  const code = (error as { code?: unknown })?.code;
  const message = error instanceof Error ? error.message : String(error);
  if (typeof code === 'string') {
    if (TRANSIENT_SOCKET_CODES.has(code)) return { transient: true, reason: `${code}: ${message}` };
    const transient = TRANSIENT_SQLSTATES[code];
    if (transient) return { transient: true, reason: `${transient} (${code}: ${message})` };
    // Class 08: the connection broke or could not be made.
    if (code.startsWith('08')) return { transient: true, reason: `connection failure (${code}: ${message})` };
    const hint = PERMANENT_HINTS[code];
    return hint === undefined ? { transient: false, reason: `${code}: ${message}` } : { transient: false, reason: `${code}: ${message}`, hint };
  }
  if (TRANSIENT_MESSAGES.some((pattern) => pattern.test(message))) return { transient: true, reason: message };
  return { transient: false, reason: message };
}

/** SQLSTATE 55006 (object_in_use): START_REPLICATION on a slot another process streams. */
export function isSlotInUse(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  return code === '55006' || /replication slot .* is active for PID/i.test(error instanceof Error ? error.message : '');
}

/** The slot can no longer be streamed (its WAL was removed, or it was invalidated). */
export function isSlotInvalidated(error: unknown): boolean {
  const message = error instanceof Error ? error.message : String(error);
  return /can no longer (get changes from|access) replication slot|replication slot .* (has been|was) invalidated|requested WAL segment .* has already been removed/i.test(message);
}
