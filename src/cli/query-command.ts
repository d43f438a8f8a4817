import type { Settings } from '../config/settings.ts';
import { openLake } from '../lake/open-lake.ts';
import { LakeQuery } from '../query/lake-query.ts';
import { formatResult, type OutputFormat } from '../query/result-format.ts';
import { loadSources } from '../query/sources/source-config.ts';
import { restrictViewsForSql } from '../query/sql-pruning.ts';
import { lakeSettings } from './lake-settings.ts';

/**
 * `invoice-lake query "<SQL>"`: DuckDB with every lake table and every source as a view.
 *
 * Read-only by default: exactly one read statement, and DuckDB opens only
 * the lake, its read-through cache and the sources (the session's
 * configuration is locked before the statement runs). A refusal exits 2.
 * `--allow-writes` (QUERY_ALLOW_WRITES) lifts both: any statements, several
 * separated by `;` (the last one's result is printed), and any file.
 */
export async function queryCommand(
  settings: Settings,
  sql: string,
  format: OutputFormat,
  write: (text: string) => void,
  sourceFlags: readonly string[] = [],
  /** Receives one line per lake table read: files considered and read after pruning (`--verbose`). */
  reportPruning?: (line: string) => void,
): Promise<void> {
  const allowWrites = settings.queryAllowWrites ?? false;
  // Sources are validated before the lake is opened: a bad sources file is a configuration error, whatever the lake holds.
  const sources = await loadSources(settings, sourceFlags);
  const lake = await openLake(lakeSettings(settings));
  try {
    const session = await LakeQuery.open(lake, { sources, unrestricted: allowWrites });
    try {
      // Checked before anything else touches the text: a refused statement leaves no trace.
      if (!allowWrites) await session.checkReadStatement(sql);
      if (session.dataFilesVia !== 'local disk') reportPruning?.(`data files are read via ${session.dataFilesVia}`);
      // Filters on a table's long and timestamptz columns (invoice_id, issue_date) narrow its view to the files that can match.
      for (const table of await restrictViewsForSql(session, sql)) {
        const filter = table.filter.length > 0 ? `pruned on ${table.filter.join(' AND ')}` : 'no filter to prune on';
        reportPruning?.(`${table.table}: read ${table.filesRead} of ${table.filesConsidered} data files considered (${filter})`);
      }
      const result = await session.run(sql);
      write(formatResult(result.columns, result.rows, format));
    } finally {
      session.close();
    }
  } finally {
    await lake.close();
  }
}
