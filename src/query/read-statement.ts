import { StatementType, type DuckDBConnection } from '@duckdb/node-api';
import { LakeError, messageOf } from '../errors/lake-error.ts';

/** Where a refusal tells the user to go. */
const ALLOW_WRITES_HINT =
  'invoice-lake query runs one read statement (SELECT, WITH, VALUES, FROM, DESCRIBE, SHOW, SUMMARIZE, EXPLAIN); pass --allow-writes (QUERY_ALLOW_WRITES=true) to run other statements, at your own risk';

/**
 * `EXPLAIN [ANALYZE] [(options)]` in front of the statement it explains.
 * Only used to find the inner statement, whose type DuckDB then tells:
 * `EXPLAIN ANALYZE` runs it (an `EXPLAIN ANALYZE COPY … TO` writes the file).
 */
const EXPLAIN_PREFIX = /^(?:\s+|--[^\n]*(?:\n|$)|\/\*[\s\S]*?\*\/)*EXPLAIN\s+(?:ANALY[SZ]E\s+)?(?:\([^()]*\)\s*)?/i;

/** Statement types a read-only query may run: a SELECT (DESCRIBE, SHOW, SUMMARIZE, VALUES, FROM-first and read-only PRAGMAs are SELECTs to DuckDB) and EXPLAIN of one. */
const READ_TYPES: ReadonlySet<StatementType> = new Set([StatementType.SELECT, StatementType.EXPLAIN]);

/**
 * Throws unless `sql` is exactly one read statement. DuckDB parses and binds
 * it (a prepared statement knows its type), so nothing runs here and no
 * keyword match over the text decides. A refusal is a usage error (exit 2)
 * naming the statement type and `--allow-writes`; a read that DuckDB cannot
 * bind (a typo) is reported as the query error it is.
 */
export async function checkReadStatement(connection: DuckDBConnection, sql: string): Promise<void> {
  await checkOne(connection, sql, 0);
}

async function checkOne(connection: DuckDBConnection, sql: string, depth: number): Promise<void> {
  let extracted;
  try {
    extracted = await connection.extractStatements(sql);
  } catch (error) {
    // The bindings fail without a message on a text with no statement at all (blank, or comments only).
    if (/^\s*$/.test(withoutComments(sql)) || /native callback/.test(messageOf(error))) throw refusal('the query has no SQL statement');
    throw new LakeError('query', firstLine(error), { cause: error, retryable: false });
  }
  if (extracted.count !== 1) throw refusal(`a query runs exactly one statement, got ${extracted.count}`);
  let type: StatementType;
  try {
    const prepared = await extracted.prepare(0);
    type = prepared.statementType;
    prepared.destroySync();
  } catch (error) {
    // A SELECT that does not bind (a typo) is the user's query error; anything else that does not bind is not a read.
    if (await isSelect(connection, sql)) throw new LakeError('query', firstLine(error), { cause: error, retryable: false });
    // Not a SELECT, so refused whatever it is; its first keyword only names it in the message.
    throw refusal(`${leadingKeyword(sql)} statement refused: the query is read-only (DuckDB: ${firstLine(error)})`);
  }
  if (!READ_TYPES.has(type)) throw refusal(`${statementName(type)} statement refused: the query is read-only`);
  if (type === StatementType.EXPLAIN) {
    const inner = EXPLAIN_PREFIX.exec(sql);
    if (!inner || depth > 2) throw refusal('EXPLAIN statement refused: its inner statement cannot be told; the query is read-only');
    await checkOne(connection, sql.slice(inner[0].length), depth + 1);
  }
}

/** Whether DuckDB parses `sql` as a SELECT (only SELECTs serialize to JSON). */
async function isSelect(connection: DuckDBConnection, sql: string): Promise<boolean> {
  try {
    const reader = await connection.runAndReadAll('SELECT json_serialize_sql($1::VARCHAR)', [sql]);
    return (JSON.parse(String(reader.getRows()[0]?.[0])) as { error?: boolean }).error === false;
  } catch {
    return false;
  }
}

/** The statement type as users write it: `COPY`, `CREATE`, `SET`; INSTALL and LOAD are both `LOAD` to DuckDB. */
function statementName(type: StatementType): string {
  return (StatementType[type] ?? `type ${type}`).replace(/_/g, ' ');
}

function refusal(message: string): LakeError {
  return new LakeError('config', message, { hint: ALLOW_WRITES_HINT });
}

function firstLine(error: unknown): string {
  return (messageOf(error).split('\n')[0] ?? String(error)).replace(/^Failed to extract statements: /, '');
}

/** The statement's first keyword (after comments and any EXPLAIN prefix), upper-case, for messages. */
function leadingKeyword(sql: string): string {
  const rest = sql.slice(EXPLAIN_PREFIX.exec(sql)?.[0].length ?? 0);
  return /^[a-z]+/i.exec(withoutComments(rest).trim())?.[0].toUpperCase() ?? 'this';
}

function withoutComments(sql: string): string {
  return sql.replace(/--[^\n]*/g, '').replace(/\/\*[\s\S]*?\*\//g, '').replace(/;/g, '');
}
