/**
 * The one error type of invoice-lake. Every failure that reaches an operator
 * carries a kind (what went wrong), whether retrying can help, and a hint
 * that names the fix. `cause` chains are kept for `--verbose`.
 */
export type ErrorKind =
  /** Bad flag, setting or environment variable: exit code 2. */
  | 'config'
  /** The source database is not prepared (wal_level, privileges, missing table): exit 2. */
  | 'source-setup'
  /** The source database cannot be reached or the connection dropped. */
  | 'source-connection'
  /** The lake storage cannot be read or written. */
  | 'storage'
  /** Another writer moved the table between our read and our compare-and-swap. */
  | 'commit-conflict'
  /** Another process streams the replication slot: exit 2, naming the holder. */
  | 'slot-in-use'
  /** Another writer owns the lake table (a newer epoch, or the same source range committed elsewhere): exit 2. */
  | 'writer-fenced'
  /** The catalog database failed. */
  | 'catalog'
  /** The Parquet encoder thread died (crash, out of memory); the next batch starts a new one. */
  | 'encoder'
  /** A user query failed (bad SQL). */
  | 'query'
  /** A deliberate crash injected by a test failpoint. */
  | 'failpoint'
  | 'internal';

const RETRYABLE: ReadonlySet<ErrorKind> = new Set(['source-connection', 'commit-conflict', 'storage', 'catalog', 'encoder']);
const USAGE_KINDS: ReadonlySet<ErrorKind> = new Set(['config', 'source-setup', 'slot-in-use', 'writer-fenced']);

export class LakeError extends Error {
  readonly kind: ErrorKind;
  readonly hint: string | undefined;
  readonly retryable: boolean;

  constructor(kind: ErrorKind, message: string, options: { hint?: string; cause?: unknown; retryable?: boolean } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'LakeError';
    this.kind = kind;
    this.hint = options.hint;
    this.retryable = options.retryable ?? RETRYABLE.has(kind);
  }

  /** Exit codes of the command-line contract: 2 for usage or configuration, 1 for anything else. */
  get exitCode(): 1 | 2 {
    return USAGE_KINDS.has(this.kind) ? 2 : 1;
  }
}

export function isLakeError(error: unknown): error is LakeError {
  return error instanceof LakeError;
}

/** The message of any thrown value, without a stack. */
export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}
