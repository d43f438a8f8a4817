/**
 * Table metadata v2 JSON (spec "Table Metadata Fields", Appendix C) to and
 * from {@link TableMetadata}.
 *
 * 64-bit values (snapshot ids, sequence numbers) must be exact JSON integers
 * (ICEBERG_NOTES §1): ids are random 63-bit values that a JS number would round.
 * Writing builds those tokens from the bigint digits; parsing pre-quotes every
 * integer literal beyond 2^53 before `JSON.parse` and revives it as a bigint.
 */
import { randomUUID } from 'node:crypto';
import type {
  IcebergSchema,
  MetadataLogEntry,
  PartitionSpec,
  Snapshot,
  SnapshotLogEntry,
  SnapshotSummary,
  TableMetadata,
} from './spec-types.ts';

/** Serialize as pretty-printed v2 metadata JSON with exact 64-bit integers. */
export function serializeTableMetadata(m: TableMetadata): string {
  const current = m.currentSnapshotId;
  const doc = {
    'format-version': 2,
    'table-uuid': m.tableUuid,
    location: m.location,
    'last-sequence-number': m.lastSequenceNumber,
    'last-updated-ms': m.lastUpdatedMs,
    'last-column-id': m.lastColumnId,
    'current-schema-id': m.currentSchemaId,
    schemas: m.schemas,
    'default-spec-id': m.defaultSpecId,
    'partition-specs': m.partitionSpecs,
    'last-partition-id': m.lastPartitionId,
    // Java rejects metadata without a sort order; 0 is "unsorted".
    'default-sort-order-id': 0,
    'sort-orders': [{ 'order-id': 0, fields: [] }],
    properties: m.properties,
    // Java writes -1 for "no current snapshot" in v1/v2 (spec Appendix F).
    'current-snapshot-id': current ?? -1n,
    // Java checks refs.main against current-snapshot-id; write it whenever a snapshot is current.
    refs: current === undefined ? {} : { main: { 'snapshot-id': current, type: 'branch' } },
    snapshots: m.snapshots.map((s) => ({
      'sequence-number': s.sequenceNumber,
      'snapshot-id': s.snapshotId,
      ...(s.parentSnapshotId === undefined ? {} : { 'parent-snapshot-id': s.parentSnapshotId }),
      'timestamp-ms': s.timestampMs,
      summary: s.summary,
      'manifest-list': s.manifestList,
      'schema-id': s.schemaId,
    })),
    statistics: [],
    'snapshot-log': m.snapshotLog.map((e) => ({ 'timestamp-ms': e.timestampMs, 'snapshot-id': e.snapshotId })),
    'metadata-log': m.metadataLog.map((e) => ({ 'timestamp-ms': e.timestampMs, 'metadata-file': e.metadataFile })),
  };
  // A random tag cannot occur in user strings, so only our placeholders are unquoted.
  const tag = `bigint-${randomUUID()}:`;
  const text = JSON.stringify(doc, (_key, value: unknown) => (typeof value === 'bigint' ? `${tag}${value}` : value), 2);
  return text.replace(new RegExp(`"${tag}(-?\\d+)"`, 'g'), '$1');
}

/**
 * Quote integer literals outside strings that a double cannot hold exactly,
 * prefixed with `tag`; strings are skipped with their escapes.
 */
function quoteBigIntegers(json: string, tag: string): string {
  const number = /-?\d+(\.\d+)?([eE][+-]?\d+)?/y;
  let out = '';
  let i = 0;
  while (i < json.length) {
    const ch = json[i]!;
    if (ch === '"') {
      let j = i + 1;
      while (j < json.length && json[j] !== '"') j += json[j] === '\\' ? 2 : 1;
      out += json.slice(i, j + 1);
      i = j + 1;
    } else if (ch === '-' || (ch >= '0' && ch <= '9')) {
      number.lastIndex = i;
      const token = number.exec(json)?.[0] ?? ch;
      const isInteger = !/[.eE]/.test(token);
      out += isInteger && !Number.isSafeInteger(Number(token)) ? `"${tag}${token}"` : token;
      i += token.length;
    } else {
      out += ch;
      i++;
    }
  }
  return out;
}

type Json = Record<string, unknown>;

function need(obj: Json, key: string, where = 'table metadata'): unknown {
  const v = obj[key];
  if (v === undefined || v === null) throw new Error(`${where} has no "${key}"`);
  return v;
}

function asBigInt(v: unknown, what: string): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
  throw new Error(`${what} is not an integer: ${String(v)}`);
}

function asNumber(v: unknown, what: string): number {
  if (typeof v === 'number') return v;
  throw new Error(`${what} is not a number: ${String(v)}`);
}

function asString(v: unknown, what: string): string {
  if (typeof v === 'string') return v;
  throw new Error(`${what} is not a string: ${String(v)}`);
}

function list(obj: Json, key: string): Json[] {
  const v = obj[key];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new Error(`"${key}" is not a list`);
  return v as Json[];
}

function stringMap(v: unknown, what: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries((v ?? {}) as Json)) out[k] = asString(val, `${what}.${k}`);
  return out;
}

function parseSnapshot(s: Json, fallbackSchemaId: number): Snapshot {
  const snapshotId = asBigInt(need(s, 'snapshot-id', 'snapshot'), 'snapshot-id');
  const summary = stringMap(need(s, 'summary', `snapshot ${snapshotId}`), 'summary');
  if (summary.operation === undefined) throw new Error(`snapshot ${snapshotId} summary has no operation`);
  const snapshot: Snapshot = {
    snapshotId,
    sequenceNumber: asBigInt(need(s, 'sequence-number', `snapshot ${snapshotId}`), 'sequence-number'),
    timestampMs: asNumber(need(s, 'timestamp-ms', `snapshot ${snapshotId}`), 'timestamp-ms'),
    manifestList: asString(need(s, 'manifest-list', `snapshot ${snapshotId}`), 'manifest-list'),
    summary: summary as SnapshotSummary,
    // schema-id is optional in the spec; older writers omit it.
    schemaId: s['schema-id'] === undefined ? fallbackSchemaId : asNumber(s['schema-id'], 'schema-id'),
  };
  if (s['parent-snapshot-id'] !== undefined && s['parent-snapshot-id'] !== null) {
    snapshot.parentSnapshotId = asBigInt(s['parent-snapshot-id'], 'parent-snapshot-id');
  }
  return snapshot;
}

/** `current-snapshot-id`: -1 or null mean none (Appendix F); when absent, fall back to `refs.main`. */
function currentSnapshotId(doc: Json): bigint | undefined {
  const raw = doc['current-snapshot-id'] ?? (doc.refs as { main?: Json } | undefined)?.main?.['snapshot-id'];
  if (raw === undefined || raw === null) return undefined;
  const id = asBigInt(raw, 'current-snapshot-id');
  return id < 0n ? undefined : id;
}

/**
 * `JSON.parse` that returns integers beyond 2^53 as bigints instead of
 * rounding them (snapshot ids); also used by the foreign-table reader for v1 metadata.
 */
export function parseJsonExactIntegers(json: string): unknown {
  const tag = `bigint-${randomUUID()}:`;
  return JSON.parse(quoteBigIntegers(json, tag), (_key, value: unknown) =>
    typeof value === 'string' && value.startsWith(tag) ? BigInt(value.slice(tag.length)) : value,
  );
}

/**
 * Parse v2 table metadata JSON written by any engine (Java, Spark, Trino,
 * PyIceberg, ours). Unknown keys are ignored; schemas and partition specs are
 * kept verbatim so a later rewrite does not lose foreign column types.
 */
export function parseTableMetadata(json: string): TableMetadata {
  const doc = parseJsonExactIntegers(json) as Json;
  const formatVersion = need(doc, 'format-version');
  if (formatVersion !== 2) throw new Error(`only format-version 2 tables are supported, got ${String(formatVersion)}`);
  const currentSchemaId = asNumber(need(doc, 'current-schema-id'), 'current-schema-id');
  const metadata: TableMetadata = {
    formatVersion: 2,
    tableUuid: asString(need(doc, 'table-uuid'), 'table-uuid'),
    location: asString(need(doc, 'location'), 'location'),
    lastSequenceNumber: asBigInt(need(doc, 'last-sequence-number'), 'last-sequence-number'),
    lastUpdatedMs: asNumber(need(doc, 'last-updated-ms'), 'last-updated-ms'),
    lastColumnId: asNumber(need(doc, 'last-column-id'), 'last-column-id'),
    schemas: list(doc, 'schemas') as unknown as IcebergSchema[],
    currentSchemaId,
    partitionSpecs: list(doc, 'partition-specs') as unknown as PartitionSpec[],
    defaultSpecId: asNumber(need(doc, 'default-spec-id'), 'default-spec-id'),
    lastPartitionId: asNumber(need(doc, 'last-partition-id'), 'last-partition-id'),
    properties: stringMap(doc.properties, 'properties'),
    snapshots: list(doc, 'snapshots').map((s) => parseSnapshot(s, currentSchemaId)),
    snapshotLog: list(doc, 'snapshot-log').map(
      (e): SnapshotLogEntry => ({
        timestampMs: asNumber(need(e, 'timestamp-ms', 'snapshot-log entry'), 'timestamp-ms'),
        snapshotId: asBigInt(need(e, 'snapshot-id', 'snapshot-log entry'), 'snapshot-id'),
      }),
    ),
    metadataLog: list(doc, 'metadata-log').map(
      (e): MetadataLogEntry => ({
        timestampMs: asNumber(need(e, 'timestamp-ms', 'metadata-log entry'), 'timestamp-ms'),
        metadataFile: asString(need(e, 'metadata-file', 'metadata-log entry'), 'metadata-file'),
      }),
    ),
  };
  const current = currentSnapshotId(doc);
  if (current !== undefined) metadata.currentSnapshotId = current;
  if (metadata.schemas.length === 0) throw new Error('table metadata has no "schemas"');
  if (metadata.partitionSpecs.length === 0) throw new Error('table metadata has no "partition-specs"');
  return metadata;
}
