import type { ChangeMessage, Relation, TupleValues } from './change-source.ts';

/**
 * Decoder for pgoutput protocol version 1 messages:
 * https://www.postgresql.org/docs/current/protocol-logicalrep-message-formats.html
 *
 * It keeps values as text so nothing is converted through a JS float, and
 * reads commit timestamps as exact microseconds. It replaces the decoder of
 * pg-logical-replication, which parses timestamptz into a millisecond `Date`.
 */
export class PgoutputDecoder {
  readonly #relations = new Map<number, Relation>();

  decode(buffer: Buffer): ChangeMessage {
    const reader = new Reader(buffer);
    const tag = String.fromCharCode(reader.uint8());
    switch (tag) {
      case 'B':
        return { kind: 'begin', finalLsn: reader.uint64(), commitTimeMicros: pgEpochToUnixMicros(reader.int64()), xid: reader.int32() };
      case 'C': {
        reader.uint8(); // flags, unused by the protocol so far
        const commitLsn = reader.uint64();
        const endLsn = reader.uint64();
        return { kind: 'commit', commitLsn, endLsn, commitTimeMicros: pgEpochToUnixMicros(reader.int64()) };
      }
      case 'R':
        return { kind: 'relation', relation: this.#readRelation(reader) };
      case 'I': {
        const relation = this.#relation(reader.int32());
        reader.uint8(); // 'N'
        return { kind: 'insert', relation, values: readTuple(reader) };
      }
      case 'U': {
        const relation = this.#relation(reader.int32());
        let marker = String.fromCharCode(reader.uint8());
        let old: TupleValues | null = null;
        if (marker === 'K' || marker === 'O') {
          old = readTuple(reader);
          marker = String.fromCharCode(reader.uint8());
        }
        if (marker !== 'N') throw new Error(`pgoutput: unexpected update submessage ${marker}`);
        return { kind: 'update', relation, old, values: readTuple(reader) };
      }
      case 'D': {
        const relation = this.#relation(reader.int32());
        reader.uint8(); // 'K' or 'O'
        return { kind: 'delete', relation, old: readTuple(reader) };
      }
      case 'T': {
        const count = reader.int32();
        const options = reader.uint8();
        const relations: Relation[] = [];
        for (let i = 0; i < count; i++) relations.push(this.#relation(reader.int32()));
        return { kind: 'truncate', relations, cascade: (options & 1) !== 0, restartIdentity: (options & 2) !== 0 };
      }
      default:
        // Origin, Type and logical Message carry nothing the lake stores.
        return { kind: 'ignored', tag };
    }
  }

  #relation(oid: number): Relation {
    const relation = this.#relations.get(oid);
    // The server always sends Relation before the first change of a relation on a connection.
    if (!relation) throw new Error(`pgoutput: change for unknown relation oid ${oid}`);
    return relation;
  }

  #readRelation(reader: Reader): Relation {
    const oid = reader.int32();
    const schema = reader.cstring();
    const name = reader.cstring();
    const identity = String.fromCharCode(reader.uint8());
    const columnCount = reader.int16();
    const columns = [];
    for (let i = 0; i < columnCount; i++) {
      const flags = reader.uint8();
      columns.push({ isKey: (flags & 1) !== 0, name: reader.cstring(), typeOid: reader.int32(), typeMod: reader.int32() });
    }
    const replicaIdentity = ({ d: 'default', n: 'nothing', f: 'full', i: 'index' } as const)[identity as 'd'] ?? 'default';
    const relation: Relation = { oid, schema, name, replicaIdentity, columns };
    this.#relations.set(oid, relation);
    return relation;
  }
}

function readTuple(reader: Reader): TupleValues {
  const count = reader.int16();
  const values: TupleValues = new Array(count);
  for (let i = 0; i < count; i++) {
    const kind = reader.uint8();
    if (kind === 0x74 /* t */ || kind === 0x62 /* b */) {
      const length = reader.int32();
      values[i] = reader.text(length);
    } else if (kind === 0x6e /* n */) {
      values[i] = null;
    } else {
      values[i] = undefined; // 'u': unchanged TOAST datum
    }
  }
  return values;
}

/** PostgreSQL timestamps count microseconds from 2000-01-01; Iceberg's from 1970-01-01. */
const PG_EPOCH_OFFSET_MICROS = 946_684_800_000_000n;

export function pgEpochToUnixMicros(pgMicros: bigint): bigint {
  return pgMicros + PG_EPOCH_OFFSET_MICROS;
}

class Reader {
  #offset = 0;
  readonly #buffer: Buffer;

  constructor(buffer: Buffer) {
    this.#buffer = buffer;
  }

  uint8(): number {
    return this.#buffer.readUInt8(this.#offset++);
  }

  int16(): number {
    const value = this.#buffer.readInt16BE(this.#offset);
    this.#offset += 2;
    return value;
  }

  int32(): number {
    const value = this.#buffer.readInt32BE(this.#offset);
    this.#offset += 4;
    return value;
  }

  int64(): bigint {
    const value = this.#buffer.readBigInt64BE(this.#offset);
    this.#offset += 8;
    return value;
  }

  uint64(): bigint {
    const value = this.#buffer.readBigUInt64BE(this.#offset);
    this.#offset += 8;
    return value;
  }

  cstring(): string {
    const end = this.#buffer.indexOf(0, this.#offset);
    const value = this.#buffer.toString('utf8', this.#offset, end);
    this.#offset = end + 1;
    return value;
  }

  text(length: number): string {
    const value = this.#buffer.toString('utf8', this.#offset, this.#offset + length);
    this.#offset += length;
    return value;
  }
}
