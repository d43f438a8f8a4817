import { DuckDBTypeId } from '@duckdb/node-api';
import type { LakeQuery } from './lake-query.ts';
import { quoteIdentifier } from './sql-quoting.ts';
import type { ColumnPredicate, ComparisonOp } from './file-filter.ts';
import { currentSnapshot } from '../lake/lake-table.ts';
import { extractTablePredicates, type SqlPredicate } from './sql-predicates.ts';
import type { PrunedFiles } from './file-pruning.ts';

/** What pruning did for one lake table a statement reads. */
export interface TablePruning {
  table: string;
  /** Live data files of the table's snapshot. */
  filesConsidered: number;
  /** Files the view now reads (all of them when nothing could be pruned). */
  filesRead: number;
  /** The filter the files were chosen by, readable (`invoice_id = 42`); empty when none applied. */
  filter: string[];
}

const OPERATOR_TEXT: Readonly<Record<ComparisonOp, string>> = { eq: '=', lt: '<', lte: '<=', gt: '>', gte: '>=' };

/**
 * Before running `sql` in `session`: for each lake table it reads whose
 * WHERE compares a long or timestamptz column with constants, points the
 * table's view at only the files that may hold matching rows. The SQL itself
 * is unchanged and still applies its filter; only files that cannot hold a
 * row it uses are left out (see sql-predicates.ts for when that is provable).
 */
export async function restrictViewsForSql(session: LakeQuery, sql: string): Promise<TablePruning[]> {
  const serialized = await serialize(session, sql);
  const { referenced, predicates } = extractTablePredicates(serialized, session.views.map((view) => view.name));
  const report: TablePruning[] = [];
  for (const table of referenced) {
    const view = session.views.find((candidate) => candidate.name.toLowerCase() === table)!;
    const filter = await fileFilterFor(session, view.name, predicates.get(table) ?? []);
    if (filter.length === 0) {
      report.push({ table: view.name, filesConsidered: view.dataFiles, filesRead: view.dataFiles, filter: [] });
      continue;
    }
    const pruned = await session.restrictView(view.name, filter.map((term) => term.predicate));
    report.push({ table: view.name, filesConsidered: totalDataFiles(pruned), filesRead: pruned.counts.filesSelected, filter: filter.map((term) => term.text) });
  }
  return report;
}

/** DuckDB's parse tree of `sql`, or undefined when it cannot be had (the query itself will report bad SQL). */
async function serialize(session: LakeQuery, sql: string): Promise<unknown> {
  try {
    const { rows } = await session.run('SELECT json_serialize_sql($1::VARCHAR)', [sql]);
    return JSON.parse(String(rows[0]?.[0]));
  } catch {
    return undefined;
  }
}

/**
 * The predicates on the view's BIGINT and TIMESTAMPTZ columns as a typed
 * file filter. A text literal is evaluated by DuckDB in this session (UTC),
 * so `TIMESTAMPTZ '2026-01-01'`, `DATE '2026-01-01'` and a bare string mean
 * exactly what they mean in the query; one it cannot turn into a finite
 * instant is left out.
 */
async function fileFilterFor(session: LakeQuery, view: string, predicates: readonly SqlPredicate[]): Promise<Array<{ predicate: ColumnPredicate; text: string }>> {
  if (predicates.length === 0) return [];
  const columns = await session.describe(`SELECT * FROM ${quoteIdentifier(view)}`);
  const filter: Array<{ predicate: ColumnPredicate; text: string }> = [];
  for (const predicate of predicates) {
    const column = columns.find((candidate) => candidate.name.toLowerCase() === predicate.column);
    if (!column) continue;
    const { operand } = predicate;
    if (column.type.typeId === DuckDBTypeId.BIGINT && operand.kind === 'integer') {
      filter.push({ predicate: { column: column.name, op: predicate.op, value: operand.value }, text: `${column.name} ${OPERATOR_TEXT[predicate.op]} ${operand.value}` });
    } else if (column.type.typeId === DuckDBTypeId.TIMESTAMP_TZ && operand.kind === 'text') {
      const micros = await instantMicros(session, operand.text, operand.casts);
      if (micros !== undefined) {
        filter.push({ predicate: { column: column.name, op: predicate.op, value: micros }, text: `${column.name} ${OPERATOR_TEXT[predicate.op]} ${microsText(micros)}` });
      }
    }
  }
  return filter;
}

async function instantMicros(session: LakeQuery, text: string, casts: readonly string[]): Promise<bigint | undefined> {
  // Cast names come from a fixed allow-list (sql-predicates.ts); the text is a bound parameter.
  const literal = casts.reduce((expression, cast) => `CAST(${expression} AS ${cast})`, 'CAST($1 AS VARCHAR)');
  try {
    const { rows } = await session.run(`SELECT epoch_us(instant)::VARCHAR, isfinite(instant) FROM (SELECT CAST(${literal} AS TIMESTAMPTZ) AS instant)`, [text]);
    const [micros, finite] = rows[0] ?? [];
    return finite === true && typeof micros === 'string' ? BigInt(micros) : undefined;
  } catch {
    return undefined;
  }
}

/** Live data files of the pruned snapshot, from its summary (files in skipped manifests were never listed). */
export function totalDataFiles(pruned: PrunedFiles): number {
  const total = Number(currentSnapshot(pruned.metadata)?.summary['total-data-files']);
  return Number.isSafeInteger(total) && total >= pruned.counts.filesSelected ? total : pruned.counts.filesConsidered;
}

/** Microseconds since the epoch as an ISO instant with all six fraction digits. */
export function microsText(micros: bigint): string {
  const millis = micros / 1000n - (micros % 1000n < 0n ? 1n : 0n);
  const iso = new Date(Number(millis)).toISOString();
  const fraction = ((micros % 1_000_000n) + 1_000_000n) % 1_000_000n;
  return `${iso.slice(0, 19)}.${fraction.toString().padStart(6, '0')}Z`;
}
