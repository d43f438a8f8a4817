/**
 * The parts of any v1 or v2 table metadata JSON that reading the current
 * snapshot needs. Kept apart from our writer's `TableMetadata` (v2 only, our
 * primitive types) because foreign tables carry v1 layouts (`schema`,
 * `partition-spec`, no sequence numbers) and types we never write.
 */
import { parseJsonExactIntegers } from '../../lake/iceberg/table-metadata-json.ts';

export interface ForeignField {
  id: number;
  name: string;
  /** A primitive type name (`long`, `decimal(10, 2)`, `fixed[16]`) or a nested type object. */
  type: unknown;
}

export interface ForeignSchema {
  schemaId: number;
  fields: ForeignField[];
}

export interface ForeignPartitionSpec {
  specId: number;
  /** Transforms in field order; `void` fields partition nothing. */
  transforms: string[];
}

export interface ForeignSnapshot {
  snapshotId: bigint;
  /** 0 for v1 tables (spec Appendix E: v1 data has sequence number 0). */
  sequenceNumber: bigint;
  manifestList: string;
}

export interface ForeignTableMetadata {
  formatVersion: 1 | 2;
  location: string;
  schema: ForeignSchema;
  partitionSpecs: Map<number, ForeignPartitionSpec>;
  properties: Record<string, string>;
  currentSnapshot: ForeignSnapshot | null;
}

type Json = Record<string, unknown>;

function object(v: unknown, what: string): Json {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error(`${what} is not an object`);
  return v as Json;
}

function array(v: unknown, what: string): unknown[] {
  if (!Array.isArray(v)) throw new Error(`${what} is not a list`);
  return v;
}

function integer(v: unknown, what: string): number {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  throw new Error(`${what} is not an integer: ${String(v)}`);
}

function bigint(v: unknown, what: string): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
  throw new Error(`${what} is not an integer: ${String(v)}`);
}

function text(v: unknown, what: string): string {
  if (typeof v === 'string') return v;
  throw new Error(`${what} is not a string: ${String(v)}`);
}

function parseSchema(raw: unknown, fallbackId: number): ForeignSchema {
  const s = object(raw, 'schema');
  const schemaId = s['schema-id'] === undefined ? fallbackId : integer(s['schema-id'], 'schema-id');
  const fields = array(s.fields, `schema ${schemaId} fields`).map((f, i) => {
    const field = object(f, `schema ${schemaId} field ${i}`);
    return { id: integer(field.id, 'field id'), name: text(field.name, 'field name'), type: field.type };
  });
  return { schemaId, fields };
}

function transformsOf(fields: unknown, what: string): string[] {
  return array(fields, what).map((f, i) => text(object(f, `${what} ${i}`).transform, `${what} ${i} transform`));
}

/** The current snapshot id: -1 or null mean none (Appendix F); absent falls back to `refs.main`. */
function currentSnapshotId(doc: Json): bigint | null {
  const refs = doc.refs as { main?: Json } | undefined;
  const raw = doc['current-snapshot-id'] ?? refs?.main?.['snapshot-id'];
  if (raw === undefined || raw === null) return null;
  const id = bigint(raw, 'current-snapshot-id');
  return id < 0n ? null : id;
}

/** Parse metadata JSON of format version 1 or 2; throws an Error naming the field at fault. */
export function parseForeignTableMetadata(json: string): ForeignTableMetadata {
  const doc = object(parseJsonExactIntegers(json), 'table metadata');
  const formatVersion = doc['format-version'];
  if (formatVersion !== 1 && formatVersion !== 2) {
    throw new Error(`format-version ${String(formatVersion)} is not supported (only 1 and 2)`);
  }
  const location = text(doc.location, 'location');

  // v1 writers may keep only the single `schema` (and `partition-spec`); v2 always has the lists.
  const schemas = doc.schemas === undefined ? [parseSchema(doc.schema, 0)] : array(doc.schemas, 'schemas').map((s, i) => parseSchema(s, i));
  const currentSchemaId = doc['current-schema-id'] === undefined ? schemas[0]?.schemaId : integer(doc['current-schema-id'], 'current-schema-id');
  const schema = schemas.find((s) => s.schemaId === currentSchemaId);
  if (!schema) throw new Error(`current-schema-id ${String(currentSchemaId)} names no schema`);

  const partitionSpecs = new Map<number, ForeignPartitionSpec>();
  if (doc['partition-specs'] !== undefined) {
    for (const [i, raw] of array(doc['partition-specs'], 'partition-specs').entries()) {
      const spec = object(raw, `partition-specs ${i}`);
      const specId = integer(spec['spec-id'], 'spec-id');
      partitionSpecs.set(specId, { specId, transforms: transformsOf(spec.fields, `partition spec ${specId} field`) });
    }
  } else if (doc['partition-spec'] !== undefined) {
    partitionSpecs.set(0, { specId: 0, transforms: transformsOf(doc['partition-spec'], 'partition-spec field') });
  }

  const properties: Record<string, string> = {};
  for (const [key, value] of Object.entries(object(doc.properties ?? {}, 'properties'))) properties[key] = String(value);

  let currentSnapshot: ForeignSnapshot | null = null;
  const currentId = currentSnapshotId(doc);
  if (currentId !== null) {
    const raw = array(doc.snapshots ?? [], 'snapshots').find((s) => bigint(object(s, 'snapshot')['snapshot-id'], 'snapshot-id') === currentId);
    if (raw === undefined) throw new Error(`current snapshot ${currentId} is not among "snapshots"`);
    const snapshot = raw as Json;
    if (snapshot['manifest-list'] === undefined) {
      // Pre-manifest-list v1 writers listed manifests inline; no engine in use today writes that.
      throw new Error(`snapshot ${currentId} has no manifest-list (inline "manifests" lists are not supported)`);
    }
    currentSnapshot = {
      snapshotId: currentId,
      sequenceNumber: snapshot['sequence-number'] === undefined ? 0n : bigint(snapshot['sequence-number'], 'sequence-number'),
      manifestList: text(snapshot['manifest-list'], 'manifest-list'),
    };
  }
  return { formatVersion, location, schema, partitionSpecs, properties, currentSnapshot };
}
