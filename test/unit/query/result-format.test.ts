import { describe, expect, it } from 'vitest';
import { formatResult, type Cell } from '../../../src/query/result-format.ts';

const COLUMNS = ['invoice_id', 'amount', 'note'];
const ROWS: Cell[][] = [
  ['1', '0.00', 'plain'],
  ['22', '-12.50', null],
  ['333', '999999999999.99', 'a, b'],
];

/** A minimal RFC 4180 parser, to prove that the CSV reads back to the same cells. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += ch;
  }
  if (field !== '' || row.length > 0) throw new Error('CSV does not end with a newline');
  return rows;
}

describe('json', () => {
  it('is an array of objects keyed by column, with a trailing newline', () => {
    const text = formatResult(COLUMNS, ROWS, 'json');
    expect(text.endsWith('\n')).toBe(true);
    expect(JSON.parse(text)).toEqual([
      { invoice_id: '1', amount: '0.00', note: 'plain' },
      { invoice_id: '22', amount: '-12.50', note: null },
      { invoice_id: '333', amount: '999999999999.99', note: 'a, b' },
    ]);
  });

  it('keeps exact decimal text (no float conversion) and column order', () => {
    const text = formatResult(['amount', 'id'], [['999999999999.99', '9007199254740993']], 'json');
    expect(text).toContain('"999999999999.99"');
    expect(text).toContain('"9007199254740993"');
    expect(Object.keys(JSON.parse(text)[0])).toEqual(['amount', 'id']);
  });

  it('renders NULL and missing cells as null, keeps numbers, booleans and nested values', () => {
    const rows: Cell[][] = [[null, 1.5, true, { a: [1, 'x'] }], ['x']];
    expect(JSON.parse(formatResult(['a', 'b', 'c', 'd'], rows, 'json'))).toEqual([
      { a: null, b: 1.5, c: true, d: { a: [1, 'x'] } },
      { a: 'x', b: null, c: null, d: null },
    ]);
  });

  it('an empty result is []', () => {
    expect(JSON.parse(formatResult(['a'], [], 'json'))).toEqual([]);
  });
});

describe('csv', () => {
  it('has a header line and one line per row, newline-terminated', () => {
    expect(formatResult(['a', 'b'], [['1', '2'], ['3', '4']], 'csv')).toBe('a,b\n1,2\n3,4\n');
  });

  it('an empty result is the header only', () => {
    expect(formatResult(['a', 'b'], [], 'csv')).toBe('a,b\n');
  });

  it('quotes commas, quotes (doubled), newlines and carriage returns', () => {
    const rows: Cell[][] = [['a, b', 'say "hi"', 'line1\nline2', 'cr\rlf']];
    expect(formatResult(['w', 'x', 'y', 'z'], rows, 'csv')).toBe('w,x,y,z\n"a, b","say ""hi""","line1\nline2","cr\rlf"\n');
  });

  it('does not quote plain values', () => {
    expect(formatResult(['a'], [['-0.01']], 'csv')).toBe('a\n-0.01\n');
  });

  it('quotes an empty string so it differs from NULL', () => {
    expect(formatResult(['a', 'b'], [['', null]], 'csv')).toBe('a,b\n"",\n');
  });

  it('renders NULL as an empty field', () => {
    expect(formatResult(['a', 'b', 'c'], [[null, 'x', null]], 'csv')).toBe('a,b,c\n,x,\n');
  });

  it('quotes header names that need it', () => {
    expect(formatResult(['sum(a, b)', 'x'], [], 'csv')).toBe('"sum(a, b)",x\n');
  });

  it('renders objects as quoted JSON', () => {
    expect(formatResult(['j'], [[{ k: 'v' }]], 'csv')).toBe('j\n"{""k"":""v""}"\n');
  });

  it('reads back to the same cells with an RFC 4180 parser', () => {
    const rows: Cell[][] = [
      ['1', 'a, "quoted", multi\nline'],
      ['2', '""'],
      ['3', ','],
    ];
    expect(parseCsv(formatResult(['id', 'text'], rows, 'csv'))).toEqual([['id', 'text'], ...rows]);
  });
});

describe('table', () => {
  it('aligns numeric columns right and text left, shows NULL and a row count', () => {
    const text = formatResult(['id', 'name'], [['1', 'ab'], ['22', null]], 'table');
    expect(text).toBe(['id │ name', '───┼─────', ' 1 │ ab', '22 │ NULL', '(2 rows)', ''].join('\n'));
  });

  it('widens columns to the longest value and says "1 row"', () => {
    const text = formatResult(['a', 'amount'], [['long text', '-999999999999.99']], 'table');
    const lines = text.split('\n');
    expect(lines[0]).toBe('a         │           amount');
    expect(lines[2]).toBe('long text │ -999999999999.99');
    expect(lines[3]).toBe('(1 row)');
  });

  it('treats a column with any non-numeric value as text', () => {
    const text = formatResult(['v'], [['10'], ['x']], 'table');
    expect(text.split('\n').slice(2, 4)).toEqual(['10', 'x']);
  });

  it('an empty result shows the header and (0 rows)', () => {
    expect(formatResult(['id'], [], 'table')).toBe('id\n──\n(0 rows)\n');
  });

  it('shows booleans and objects as text', () => {
    const text = formatResult(['b', 'o'], [[true, { k: 1 }]], 'table');
    expect(text).toContain('true │ {"k":1}');
  });
});
