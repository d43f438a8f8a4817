/** Output formats of `invoice-lake query`. Values arrive as exact JSON-safe text from DuckDB. */
export type OutputFormat = 'table' | 'csv' | 'json';

export type Cell = string | number | boolean | null | object;

export function formatResult(columns: string[], rows: Cell[][], format: OutputFormat): string {
  switch (format) {
    case 'json':
      return `${JSON.stringify(rows.map((row) => Object.fromEntries(columns.map((column, i) => [column, row[i] ?? null]))), null, 2)}\n`;
    case 'csv':
      return [columns, ...rows].map((row) => row.map(csvCell).join(',')).join('\n') + '\n';
    case 'table':
      return textTable(columns, rows);
  }
}

function text(cell: Cell | undefined): string {
  if (cell === null || cell === undefined) return 'NULL';
  return typeof cell === 'object' ? JSON.stringify(cell) : String(cell);
}

function csvCell(cell: Cell | undefined): string {
  if (cell === null || cell === undefined) return '';
  const value = text(cell);
  // An empty string is quoted so it stays distinct from NULL (an empty field), as PostgreSQL's COPY CSV does.
  if (value === '') return '""';
  return /[",\n\r]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

function textTable(columns: string[], rows: Cell[][]): string {
  const cells = rows.map((row) => columns.map((_, i) => text(row[i])));
  const widths = columns.map((column, i) => Math.max(column.length, ...cells.map((row) => row[i]!.length)));
  const numeric = columns.map((_, i) => rows.length > 0 && rows.every((row) => row[i] === null || /^-?\d+(\.\d+)?$/.test(text(row[i]))));
  const line = (values: string[]) => values.map((value, i) => (numeric[i] ? value.padStart(widths[i]!) : value.padEnd(widths[i]!))).join(' │ ').trimEnd();
  const rule = widths.map((width) => '─'.repeat(width)).join('─┼─');
  const footer = `(${rows.length} row${rows.length === 1 ? '' : 's'})`;
  return [line(columns), rule, ...cells.map(line), footer].join('\n') + '\n';
}
