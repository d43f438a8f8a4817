import pg from 'pg';
import { LakeError } from '../errors/lake-error.ts';
import { redactUrl } from '../config/redact.ts';
import { classifyPostgresError } from '../postgres/postgres-errors.ts';

/**
 * Connects a regular (non-replication) client, turning the usual failures
 * into one clear message with the connection string redacted.
 */
export async function connectPostgres(connectionString: string, purpose: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString, connectionTimeoutMillis: 10_000, options: '-c TimeZone=UTC' });
  client.on('error', () => undefined); // surfaced on the next query instead of crashing the process
  try {
    await client.connect();
    return client;
  } catch (error) {
    await client.end().catch(() => undefined);
    throw describeConnectionError(error, connectionString, purpose);
  }
}

export function describeConnectionError(
  error: unknown,
  connectionString: string,
  purpose: string,
  hint = 'check DATABASE_URL (--database-url)',
): LakeError {
  const code = (error as { code?: string }).code;
  const target = redactUrl(connectionString);
  const failure = classifyPostgresError(error);
  const reason =
    code === 'ECONNREFUSED' ? 'connection refused (is PostgreSQL running on that host and port?)'
    : code === 'ENOTFOUND' || code === 'EAI_AGAIN' ? 'host not found'
    : code === '28P01' || code === '28000' ? 'authentication failed (check the user and password)'
    : code === '3D000' ? 'the database does not exist'
    : code === 'ETIMEDOUT' ? 'connection timed out'
    : failure.reason;
  return new LakeError(failure.transient ? 'source-connection' : 'source-setup', `cannot connect to the ${purpose} database ${target}: ${reason}`, {
    cause: error,
    retryable: failure.transient,
    hint: failure.transient ? `${hint}; retrying with backoff` : [failure.hint, hint].filter(Boolean).join('; '),
  });
}
