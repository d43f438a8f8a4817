import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LakeError } from '../../../../src/errors/lake-error.ts';
import { loadSources, mergeSources, parseSourceFlag, parseSourcesFile, type SourceDefinition } from '../../../../src/query/sources/source-config.ts';

const FILE = '/srv/conf/sources.yaml';

/** The LakeError `fn` throws (sync or async), failing the test when nothing is thrown. */
async function thrown(fn: () => unknown): Promise<LakeError> {
  try {
    await fn();
  } catch (error) {
    expect(error).toBeInstanceOf(LakeError);
    return error as LakeError;
  }
  throw new Error('expected a LakeError, nothing was thrown');
}

/** A configuration error (exit code 2) whose message contains every one of `parts`. */
async function configError(fn: () => unknown, ...parts: string[]): Promise<LakeError> {
  const error = await thrown(fn);
  expect(error.kind).toBe('config');
  expect(error.exitCode).toBe(2);
  for (const part of parts) expect(error.message).toContain(part);
  return error;
}

describe('parseSourcesFile', () => {
  it('reads the shipped sources.yaml with paths relative to the file', async () => {
    const path = fileURLToPath(new URL('../../../../sources.yaml', import.meta.url));
    const sources = parseSourcesFile(await readFile(path, 'utf8'), path);
    const root = fileURLToPath(new URL('../../../../', import.meta.url));
    expect(sources.map((s) => [s.name, s.kind, s.path])).toEqual([
      ['customer_profiles', 'json', join(root, 'data/customer-profiles.json')],
      ['industries', 'csv', join(root, 'data/industries.csv')],
      ['countries', 'csv', join(root, 'data/countries.csv')],
      ['customer_notes', 'text', join(root, 'data/notes/customer-*.txt')],
    ]);
  });

  it('reads every kind, keeps absolute paths and URLs, and csv options', () => {
    const sources = parseSourcesFile(
      `sources:
  a: { kind: csv, path: in/a.csv, delimiter: ";", header: false }
  b: { kind: json, path: /abs/b.json }
  c: { kind: ndjson, path: "logs/*.ndjson" }
  d: { kind: parquet, path: "s3://bucket/d/*.parquet" }
  e: { kind: text, path: notes/*.txt }
  f: { kind: iceberg, path: ../lake/invoices }
`,
      FILE,
    );
    expect(sources).toEqual<SourceDefinition[]>([
      { name: 'a', kind: 'csv', path: '/srv/conf/in/a.csv', csv: { delimiter: ';', header: false }, origin: FILE },
      { name: 'b', kind: 'json', path: '/abs/b.json', origin: FILE },
      { name: 'c', kind: 'ndjson', path: '/srv/conf/logs/*.ndjson', origin: FILE },
      { name: 'd', kind: 'parquet', path: 's3://bucket/d/*.parquet', origin: FILE },
      { name: 'e', kind: 'text', path: '/srv/conf/notes/*.txt', origin: FILE },
      { name: 'f', kind: 'iceberg', path: '/srv/lake/invoices', origin: FILE },
    ]);
  });

  it('reads JSON too', () => {
    const sources = parseSourcesFile('{"sources": {"notes": {"kind": "text", "path": "n/*.txt"}}}', '/x/sources.json');
    expect(sources).toEqual([{ name: 'notes', kind: 'text', path: '/x/n/*.txt', origin: '/x/sources.json' }]);
  });

  it('an empty file or an empty sources mapping defines nothing', () => {
    expect(parseSourcesFile('', FILE)).toEqual([]);
    expect(parseSourcesFile('# only a comment\n', FILE)).toEqual([]);
    expect(parseSourcesFile('sources:\n', FILE)).toEqual([]);
    expect(parseSourcesFile('sources: {}\n', FILE)).toEqual([]);
  });

  const bad: Array<[string, string, string[]]> = [
    ['a YAML syntax error', 'sources:\n  a: { kind: csv, path: x.csv\n', []],
    ['a duplicate name', 'sources:\n  a: { kind: csv, path: x.csv }\n  a: { kind: json, path: y.json }\n', ['each source name may appear once']],
    ['a top level that is a list', '- a\n- b\n', ['top level']],
    ['an unknown top-level key', 'source:\n  a: { kind: csv, path: x.csv }\n', ['"source"']],
    ['sources that is a list', 'sources:\n  - { kind: csv, path: x.csv }\n', ['`sources` must be a mapping']],
    ['an upper-case name', 'sources:\n  Customers: { kind: csv, path: x.csv }\n', ['"Customers"', 'SQL identifier']],
    ['a name starting with a digit', 'sources:\n  1st: { kind: csv, path: x.csv }\n', ['"1st"', 'SQL identifier']],
    ['a name with a dash', 'sources:\n  my-notes: { kind: text, path: x.txt }\n', ['"my-notes"', 'SQL identifier']],
    ['an unknown kind', 'sources:\n  a: { kind: xml, path: x.xml }\n', ['source a', 'unknown kind "xml"', 'csv, json, ndjson, parquet, text, iceberg']],
    ['a missing kind', 'sources:\n  a: { path: x.csv }\n', ['source a', 'kind is required']],
    ['a missing path', 'sources:\n  a: { kind: csv }\n', ['source a', 'path is required']],
    ['an empty path', 'sources:\n  a: { kind: csv, path: "  " }\n', ['source a', 'path is empty']],
    ['a path that is not text', 'sources:\n  a: { kind: csv, path: [x.csv] }\n', ['source a', 'path must be a string']],
    ['a misspelt option', 'sources:\n  a: { kind: csv, path: x.csv, delimter: ";" }\n', ['source a', 'delimter']],
    ['a csv option on another kind', 'sources:\n  a: { kind: json, path: x.json, header: true }\n', ['source a', 'header applies to csv sources only']],
    ['a long delimiter', 'sources:\n  a: { kind: csv, path: x.csv, delimiter: ";;" }\n', ['source a', 'exactly one character']],
    ['a header that is not a boolean', 'sources:\n  a: { kind: csv, path: x.csv, header: "maybe" }\n', ['source a', 'header must be true or false']],
    ['an entry that is not a mapping', 'sources:\n  a: data/x.csv\n', ['source a', 'expected a mapping with kind and path']],
    ['an entry with nothing', 'sources:\n  a:\n', ['source a', 'kind is required']],
  ];
  it.each(bad)('rejects %s, naming the file', async (_case, text, parts) => {
    await configError(() => parseSourcesFile(text, FILE), `sources file ${FILE}`, ...parts);
  });
});

describe('parseSourceFlag', () => {
  it('reads NAME=KIND:PATH relative to the working directory', () => {
    expect(parseSourceFlag('notes=text:notes/*.txt', '/home/me')).toEqual({ name: 'notes', kind: 'text', path: '/home/me/notes/*.txt', origin: '--source' });
    expect(parseSourceFlag('p=parquet:s3://bucket/x.parquet', '/home/me').path).toBe('s3://bucket/x.parquet');
    expect(parseSourceFlag('t=iceberg:/lake/invoices', '/home/me').path).toBe('/lake/invoices');
  });

  const bad: Array<[string, string, string[]]> = [
    ['no equals sign', 'notes:text:x.txt', ['NAME=KIND:PATH']],
    ['no kind separator', 'notes=x.txt', ['NAME=KIND:PATH']],
    ['an empty name', '=csv:x.csv', ['SQL identifier']],
    ['a bad name', 'My-Notes=text:x.txt', ['SQL identifier']],
    ['an unknown kind', 'notes=xml:x.xml', ['unknown kind "xml"']],
    ['an empty path', 'notes=text:', ['path is empty']],
  ];
  it.each(bad)('rejects %s, naming the flag', async (_case, value, parts) => {
    await configError(() => parseSourceFlag(value, '/home/me'), `--source ${JSON.stringify(value)}`, ...parts);
  });
});

describe('mergeSources', () => {
  const fromFile: SourceDefinition[] = [
    { name: 'a', kind: 'csv', path: '/f/a.csv', origin: FILE },
    { name: 'b', kind: 'json', path: '/f/b.json', origin: FILE },
  ];

  it('a flag replaces the file entry of the same name and adds new ones', () => {
    const merged = mergeSources(fromFile, [parseSourceFlag('a=parquet:/g/a.parquet'), parseSourceFlag('c=text:/g/*.txt')]);
    expect(merged.map((s) => `${s.name}:${s.kind}:${s.origin}`)).toEqual(['a:parquet:--source', 'b:json:' + FILE, 'c:text:--source']);
  });

  it('rejects two flags with one name', async () => {
    await configError(() => mergeSources([], [parseSourceFlag('a=csv:/x.csv'), parseSourceFlag('a=json:/y.json')]), '--source a is given twice');
  });
});

describe('loadSources', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'invoice-lake-sources-'));
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it('without SOURCES_FILE and without ./sources.yaml, only the flags count', async () => {
    expect(await loadSources({ sourcesFile: undefined }, [], dir)).toEqual([]);
    expect((await loadSources({ sourcesFile: undefined }, ['a=csv:a.csv'], dir)).map((s) => s.path)).toEqual([join(dir, 'a.csv')]);
  });

  it('reads ./sources.yaml of the working directory when present, flags overriding it', async () => {
    const sub = await mkdtemp(join(dir, 'cwd-'));
    await writeFile(join(sub, 'sources.yaml'), 'sources:\n  a: { kind: csv, path: a.csv }\n  b: { kind: json, path: b.json }\n');
    const sources = await loadSources({ sourcesFile: undefined }, ['b=ndjson:other/b.ndjson'], sub);
    expect(sources.map((s) => [s.name, s.kind, s.path])).toEqual([
      ['a', 'csv', join(sub, 'a.csv')],
      ['b', 'ndjson', join(sub, 'other/b.ndjson')],
    ]);
  });

  it('reads SOURCES_FILE with paths relative to that file', async () => {
    await writeFile(join(dir, 'mine.json'), '{"sources": {"n": {"kind": "text", "path": "notes/*.txt"}}}');
    const sources = await loadSources({ sourcesFile: 'mine.json' }, [], dir);
    expect(sources).toEqual([{ name: 'n', kind: 'text', path: join(dir, 'notes/*.txt'), origin: join(dir, 'mine.json') }]);
  });

  it('rejects a SOURCES_FILE that does not exist, naming the setting', async () => {
    await configError(() => loadSources({ sourcesFile: 'missing.yaml' }, [], dir), 'missing.yaml', '--sources-file / SOURCES_FILE', 'does not exist');
  });

  it('rejects a bad flag before reading any file', async () => {
    await configError(() => loadSources({ sourcesFile: 'missing.yaml' }, ['oops'], dir), '--source "oops"');
  });
});
