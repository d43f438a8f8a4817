/** A DuckDB identifier, double-quoted: any name, keywords and capitals included. */
export function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** A DuckDB string literal (paths, settings, secrets), single-quoted. */
export function quoteLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}
