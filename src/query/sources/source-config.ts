/**
 * Sources: files outside the lake that queries and jobs see as views. They
 * come from a sources file (YAML or JSON) and from repeatable
 * `--source NAME=KIND:PATH` flags; a flag replaces a file entry of the same
 * name. Everything here is validated before DuckDB sees it, with messages
 * naming the file or the flag.
 */
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { LakeError } from '../../errors/lake-error.ts';
import type { Settings } from '../../config/settings.ts';

export const SOURCE_KINDS = ['csv', 'json', 'ndjson', 'parquet', 'text', 'iceberg'] as const;
export type SourceKind = (typeof SOURCE_KINDS)[number];

export interface CsvOptions {
  /** One character; DuckDB sniffs it when absent. */
  delimiter?: string;
  /** Whether the first line names the columns; DuckDB sniffs it when absent. */
  header?: boolean;
}

export interface SourceDefinition {
  /** The view name: a lower-case SQL identifier. */
  name: string;
  kind: SourceKind;
  /** Absolute path or glob (a URL is kept as written); for `iceberg`, the table directory. */
  path: string;
  csv?: CsvOptions;
  /** Where the source was defined, for messages: the sources file's path or `--source`. */
  origin: string;
}

/** The file read when SOURCES_FILE is not set, only if it exists. */
export const DEFAULT_SOURCES_FILE = './sources.yaml';

const FLAG = '--source';
const NAME = /^[a-z_][a-z0-9_]{0,62}$/;
// A scheme such as s3:// or https:// is left to DuckDB; only local paths are resolved and checked.
const URL_PATH = /^[a-z][a-z0-9+.-]*:\/\//i;

const CSV_ONLY = ['delimiter', 'header'] as const;

const entrySchema = z
  .strictObject({
    kind: z.enum(SOURCE_KINDS, {
      error: (issue) =>
        issue.input === undefined
          ? `kind is required (one of ${SOURCE_KINDS.join(', ')})`
          : `unknown kind ${JSON.stringify(issue.input)}; expected one of ${SOURCE_KINDS.join(', ')}`,
    }),
    path: z
      .string({ error: (issue) => (issue.input === undefined ? 'path is required' : 'path must be a string') })
      .trim()
      .min(1, { error: 'path is empty' }),
    delimiter: z.string({ error: 'delimiter must be a string' }).length(1, { error: 'delimiter must be exactly one character' }).optional(),
    header: z.boolean({ error: 'header must be true or false' }).optional(),
  })
  .superRefine((entry, context) => {
    if (entry.kind === 'csv') return;
    for (const key of CSV_ONLY) {
      if (entry[key] !== undefined) context.addIssue({ code: 'custom', path: [key], message: `${key} applies to csv sources only` });
    }
  });

/** Parses a sources file's text. `filePath` names the file in messages and anchors relative paths. */
export function parseSourcesFile(text: string, filePath: string): SourceDefinition[] {
  const fail = (message: string) =>
    new LakeError('config', `sources file ${filePath}: ${message}`, {
      hint: 'expected `sources:` mapping each view name to { kind, path } (see "Sources" in README.md)',
    });
  const document = parseDocument(text, { prettyErrors: true });
  const syntaxError = document.errors[0];
  // Duplicate keys are a parse error here too, which is how duplicate source names are caught.
  if (syntaxError) {
    const message = (syntaxError.message.split('\n')[0] ?? syntaxError.message).replace(/:\s*$/, '');
    throw fail(syntaxError.code === 'DUPLICATE_KEY' ? `${message} (each source name may appear once)` : message);
  }
  const root: unknown = document.toJS();
  if (root === null || root === undefined) return [];
  if (!isPlainObject(root)) throw fail('the top level must be a mapping with the key `sources`');
  const unknownKeys = Object.keys(root).filter((key) => key !== 'sources');
  if (unknownKeys.length > 0) throw fail(`unknown top-level key ${JSON.stringify(unknownKeys[0])}; only \`sources\` is allowed`);
  const entries = root.sources;
  if (entries === null || entries === undefined) return [];
  if (!isPlainObject(entries)) throw fail('`sources` must be a mapping from view name to { kind, path }');

  const baseDirectory = dirname(resolve(filePath));
  return Object.entries(entries).map(([name, raw]) => {
    if (!NAME.test(name)) throw fail(`source ${JSON.stringify(name)}: ${nameRule()}`);
    const parsed = entrySchema.safeParse(raw ?? {});
    if (!parsed.success) {
      // Every message names its key, so the first issue reads well on its own.
      const issue = parsed.error.issues[0]!;
      throw fail(`source ${name}: ${isPlainObject(raw) || raw === null ? issue.message : 'expected a mapping with kind and path'}`);
    }
    const { kind, path, delimiter, header } = parsed.data;
    const source: SourceDefinition = { name, kind, path: resolvePath(path, baseDirectory), origin: filePath };
    if (kind === 'csv' && (delimiter !== undefined || header !== undefined)) source.csv = definedOnly({ delimiter, header });
    return source;
  });
}

/** Parses one `--source NAME=KIND:PATH` value; a relative path is taken from `cwd`. */
export function parseSourceFlag(value: string, cwd: string = process.cwd()): SourceDefinition {
  const fail = (message: string) =>
    new LakeError('config', `invalid ${FLAG} ${JSON.stringify(value)}: ${message}`, {
      hint: `write ${FLAG} NAME=KIND:PATH, e.g. ${FLAG} customers=csv:data/customers.csv (kinds: ${SOURCE_KINDS.join(', ')})`,
    });
  const match = /^([^=:]*)=([^:]*):(.*)$/s.exec(value);
  if (!match) throw fail('expected NAME=KIND:PATH');
  const [, name = '', kind = '', path = ''] = match;
  if (!NAME.test(name)) throw fail(nameRule());
  if (!(SOURCE_KINDS as readonly string[]).includes(kind)) throw fail(`unknown kind ${JSON.stringify(kind)}; expected one of ${SOURCE_KINDS.join(', ')}`);
  if (path.trim() === '') throw fail('the path is empty');
  return { name, kind: kind as SourceKind, path: resolvePath(path.trim(), cwd), origin: FLAG };
}

/** File entries, then flags: a flag replaces the file's entry of the same name; two flags may not share a name. */
export function mergeSources(fromFile: readonly SourceDefinition[], fromFlags: readonly SourceDefinition[]): SourceDefinition[] {
  const merged = new Map(fromFile.map((source) => [source.name, source]));
  const flagNames = new Set<string>();
  for (const source of fromFlags) {
    if (flagNames.has(source.name)) {
      throw new LakeError('config', `${FLAG} ${source.name} is given twice`, { hint: `give each ${FLAG} a name of its own` });
    }
    flagNames.add(source.name);
    merged.set(source.name, source);
  }
  return [...merged.values()];
}

/**
 * The configured sources: SOURCES_FILE (or `--sources-file`; must exist when
 * set), else ./sources.yaml if it exists, overridden by the `--source`
 * flag values. Relative paths in a file are relative to that file.
 */
export async function loadSources(settings: Pick<Settings, 'sourcesFile'>, flagValues: readonly string[] = [], cwd: string = process.cwd()): Promise<SourceDefinition[]> {
  const fromFlags = flagValues.map((value) => parseSourceFlag(value, cwd));
  const explicit = settings.sourcesFile;
  // Absolute, so messages name the file unambiguously and its directory anchors relative paths.
  const filePath = resolve(cwd, explicit ?? DEFAULT_SOURCES_FILE);
  let text: string | undefined;
  try {
    text = await readFile(filePath, 'utf8');
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    if (missing && explicit === undefined) text = undefined;
    else {
      throw new LakeError('config', `sources file ${filePath} (--sources-file / SOURCES_FILE) ${missing ? 'does not exist' : `cannot be read: ${(error as Error).message}`}`, {
        hint: 'point --sources-file or SOURCES_FILE at a YAML or JSON sources file, or unset it',
        cause: error,
      });
    }
  }
  const fromFile = text === undefined ? [] : parseSourcesFile(text, filePath);
  return mergeSources(fromFile, fromFlags);
}

function resolvePath(path: string, baseDirectory: string): string {
  return URL_PATH.test(path) || isAbsolute(path) ? path : resolve(baseDirectory, path);
}

function nameRule(): string {
  return 'a source name must be a lower-case SQL identifier (a-z, 0-9, _, not starting with a digit, at most 63 characters)';
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function definedOnly<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
