import { describe, expect, it } from 'vitest';
import { classifyPostgresError, isSlotInUse, isSlotInvalidated } from '../../../src/postgres/postgres-errors.ts';
import { streamFailure } from '../../../src/source/replication-source.ts';

const pgError = (code: string, message: string) => Object.assign(new Error(message), { code });

describe('classifyPostgresError', () => {
  it.each([
    ['57P01', 'terminating connection due to administrator command'],
    ['57P02', 'terminating connection because of crash of another server process'],
    ['57P03', 'the database system is shutting down'],
    ['57P03', 'the database system is starting up'],
    ['40001', 'could not serialize access'],
    ['53300', 'sorry, too many clients already'],
    ['08006', 'connection failure'],
    ['ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432'],
    ['ECONNRESET', 'read ECONNRESET'],
    ['ENOTFOUND', 'getaddrinfo ENOTFOUND db'],
  ])('%s (%s) is transient', (code, message) => {
    expect(classifyPostgresError(pgError(code, message)).transient).toBe(true);
  });

  it('node-postgres messages of a closed socket are transient', () => {
    expect(classifyPostgresError(new Error('Connection terminated unexpectedly')).transient).toBe(true);
  });

  it.each([
    ['42501', 'must be superuser or replication role to start walsender', /REPLICATION/],
    ['28P01', 'password authentication failed for user "x"', /password/],
    ['3D000', 'database "nope" does not exist', /database name/],
    ['42704', 'replication slot "s" does not exist', /setup/],
  ])('%s (%s) is permanent, with a hint', (code, message, hint) => {
    const failure = classifyPostgresError(pgError(code, message));
    expect(failure.transient).toBe(false);
    expect(failure.transient === false && failure.hint).toMatch(hint);
  });

  it('an unknown error is permanent: retrying what is not understood could loop forever', () => {
    expect(classifyPostgresError(new Error('something odd')).transient).toBe(false);
  });
});

describe('streamFailure', () => {
  it('a slot active for another PID is slot-in-use (exit 2), not a lost connection', () => {
    const cause = pgError('55006', 'replication slot "s" is active for PID 4242');
    expect(isSlotInUse(cause)).toBe(true);
    const error = streamFailure(cause, 's');
    expect(error.kind).toBe('slot-in-use');
    expect(error.retryable).toBe(false);
    expect(error.exitCode).toBe(2);
  });

  it('an invalidated slot is permanent and names resync', () => {
    const cause = pgError('55000', 'can no longer access replication slot "s"'); // PostgreSQL 18's wording
    expect(isSlotInvalidated(pgError('55000', 'can no longer get changes from replication slot "s"'))).toBe(true);
    expect(isSlotInvalidated(cause)).toBe(true);
    const error = streamFailure(cause, 's');
    expect(error.retryable).toBe(false);
    expect(error.exitCode).toBe(2);
    expect(error.hint).toContain('resync');
  });

  it('missing privileges stop the stream instead of retrying forever', () => {
    const error = streamFailure(pgError('42501', 'must be superuser or replication role to start walsender'), 's');
    expect(error.retryable).toBe(false);
    expect(error.exitCode).toBe(2);
  });

  it('a server shutting down is retried', () => {
    const error = streamFailure(pgError('57P01', 'terminating connection due to administrator command'), 's');
    expect(error.retryable).toBe(true);
    expect(error.kind).toBe('source-connection');
  });
});
