import type { DuckDBConnection } from '@duckdb/node-api';
import { LakeError } from '../../errors/lake-error.ts';
import { quoteIdentifier, quoteLiteral } from '../sql-quoting.ts';
import type { SourceDefinition } from './source-config.ts';

export interface SourceView {
  name: string;
  kind: SourceDefinition['kind'];
  path: string;
}

const URL_PATH = /^[a-z][a-z0-9+.-]*:\/\//i;

/**
 * Creates one view per source in `connection`, next to the lake views, so
 * queries and jobs join files with lake tables. `reservedNames` are the
 * names a source may not take (the lake tables). DuckDB binds a view when it
 * is created, so an unreadable file fails here, before the query runs.
 */
export async function createSourceViews(
  connection: DuckDBConnection,
  sources: readonly SourceDefinition[],
  reservedNames: readonly string[],
): Promise<SourceView[]> {
  const reserved = new Set(reservedNames);
  const keywords = sources.length > 0 ? await reservedKeywords(connection) : new Set<string>();
  const views: SourceView[] = [];
  for (const source of sources) {
    const where = `source ${source.name} (${source.origin})`;
    if (reserved.has(source.name)) {
      throw new LakeError('config', `${where} has the name of the lake table ${source.name}`, { hint: 'rename the source: it would hide the lake table' });
    }
    if (keywords.has(source.name)) {
      throw new LakeError('config', `${where}: ${source.name} is a reserved SQL keyword`, { hint: 'rename the source so queries can name it without quotes' });
    }
    if (source.kind !== 'iceberg' && !URL_PATH.test(source.path) && !(await matchesAnyFile(connection, source.path))) {
      throw new LakeError('config', `${where}: no file matches ${source.path}`, { hint: 'relative paths in a sources file are relative to that file; flags are relative to the working directory' });
    }
    try {
      if (source.kind === 'iceberg') {
        // Loaded on demand: sessions without an Iceberg source never pay for its reader.
        const { createIcebergView } = await import('./iceberg-source.ts');
        await createIcebergView(connection, source.name, source.path);
      }
      else await connection.run(`CREATE OR REPLACE VIEW ${quoteIdentifier(source.name)} AS ${viewBody(source)}`);
    } catch (error) {
      if (error instanceof LakeError) throw error;
      const reason = (error as Error).message.split('\n')[0] ?? String(error);
      throw new LakeError('config', `${where}: cannot read ${source.path} as ${source.kind}: ${reason}`, { cause: error });
    }
    views.push({ name: source.name, kind: source.kind, path: source.path });
  }
  return views;
}

/** The SELECT behind a file source's view; globs are expanded by DuckDB's readers. */
export function viewBody(source: SourceDefinition): string {
  const path = quoteLiteral(source.path);
  switch (source.kind) {
    case 'csv': {
      const options = [
        source.csv?.header === undefined ? undefined : `header = ${source.csv.header}`,
        source.csv?.delimiter === undefined ? undefined : `delim = ${quoteLiteral(source.csv.delimiter)}`,
      ].filter((option) => option !== undefined);
      return `SELECT * FROM read_csv(${[path, ...options].join(', ')})`;
    }
    case 'json':
      // 'auto' reads one document, an array of records or concatenated documents.
      return `SELECT * FROM read_json(${path}, format = 'auto')`;
    case 'ndjson':
      return `SELECT * FROM read_json(${path}, format = 'newline_delimited')`;
    case 'parquet':
      return `SELECT * FROM read_parquet(${path})`;
    case 'text':
      return `SELECT filename AS path, content FROM read_text(${path})`;
    case 'iceberg':
      throw new Error('iceberg sources are created by createIcebergView');
  }
}

async function matchesAnyFile(connection: DuckDBConnection, path: string): Promise<boolean> {
  const reader = await connection.runAndReadAll('SELECT count(*) > 0 FROM glob($1)', [path]);
  return reader.getRows()[0]?.[0] === true;
}

async function reservedKeywords(connection: DuckDBConnection): Promise<Set<string>> {
  const reader = await connection.runAndReadAll("SELECT keyword_name FROM duckdb_keywords() WHERE keyword_category = 'reserved'");
  return new Set(reader.getRows().map((row) => String(row[0])));
}

