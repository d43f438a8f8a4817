import type { ChangeMessage, Relation, TupleValues } from './change-source.ts';
import type { Lsn } from './lsn.ts';

/**
 * Decoder for pgoutput protocol versions 1 and 2:
 * https://www.postgresql.org/docs/current/protocol-logicalrep-message-formats.html
 *
 * It keeps values as text so nothing is converted through a JS float, and
 * reads commit timestamps as exact microseconds. It replaces the decoder of
 * pg-logical-replication, which parses timestamptz into a millisecond `Date`.
 *
 * Version 2 adds streaming of large in-progress transactions: between Stream
 * Start and Stream Stop the server sends changes of a transaction that has not
 * committed yet, each data message carrying the xid of the (sub)transaction it
 * belongs to; Stream Commit or Stream Abort settles it later. Such changes are
 * not decoded here but returned as raw bytes (`streamed-change`), to be spooled
 * and decoded with `decodeStreamedChange` once the transaction committed.
 */
export class PgoutputDecoder {
  readonly #relations = new Map<number, Relation>();
  /** Top-level xid of the stream segment being received (between Stream Start and Stream Stop). */
  #streamingXid: number | undefined;
  readonly #streams = new Map<number, StreamRelations>();

  decode(buffer: Buffer): SourceMessage {
    const reader = new Reader(buffer);
    const tag = String.fromCharCode(reader.uint8());
    if (this.#streamingXid !== undefined && XID_TAGGED.has(tag)) return this.#streamed(tag, reader, buffer, this.#streamingXid);
    switch (tag) {
      case 'S': {
        const xid = reader.int32();
        const firstSegment = reader.uint8() === 1;
        // Changes are decoded at commit against the relations known when the transaction
        // started streaming, then the Relation messages it carries itself, in order.
        if (firstSegment || !this.#streams.has(xid)) this.#streams.set(xid, { seed: new Map(this.#relations), sent: new Map() });
        this.#streamingXid = xid;
        return { kind: 'stream-start', xid, firstSegment };
      }
      case 'E':
        this.#streamingXid = undefined;
        return { kind: 'stream-stop' };
      case 'c': {
        const xid = reader.int32();
        reader.uint8(); // flags, unused by the protocol so far
        const commitLsn = reader.uint64();
        const endLsn = reader.uint64();
        const commitTimeMicros = pgEpochToUnixMicros(reader.int64());
        const stream = this.#streams.get(xid) ?? { seed: new Map(this.#relations), sent: new Map() };
        this.#streams.delete(xid);
        this.#streamingXid = undefined;
        // The server now counts the schemas sent inside this transaction as known for the
        // transactions after it, and sends their changes without a Relation message again.
        for (const [oid, relation] of stream.sent) this.#relations.set(oid, relation);
        return { kind: 'stream-commit', xid, commitLsn, endLsn, commitTimeMicros, relations: stream.seed };
      }
      case 'A': {
        const xid = reader.int32();
        const subXid = reader.int32();
        // Protocol 4 appends the abort LSN and time; nothing here needs them.
        if (subXid === xid) this.#streams.delete(xid);
        this.#streamingXid = undefined;
        return { kind: 'stream-abort', xid, subXid };
      }
      default:
        return decodeChange(tag, reader, this.#relations);
    }
  }

  #streamed(tag: string, reader: Reader, buffer: Buffer, xid: number): SourceMessage {
    const subXid = reader.int32();
    if (tag === 'Y' || tag === 'M') return { kind: 'ignored', tag }; // nothing the lake stores
    if (tag === 'R') {
      const relation = readRelation(reader);
      this.#streams.get(xid)?.sent.set(relation.oid, relation);
      // A schema belongs to the whole transaction: the server sends it once per top-level
      // xid, so it must survive the abort of the subtransaction it happened to arrive in.
      return { kind: 'streamed-change', xid, subXid: xid, bytes: Buffer.from(buffer) };
    }
    // A copy: the buffer is a view into the connection's read buffer, which is reused.
    return { kind: 'streamed-change', xid, subXid, bytes: Buffer.from(buffer) };
  }
}

/** Data messages that carry a (sub)transaction xid right after the tag inside a stream segment. */
const XID_TAGGED = new Set(['R', 'Y', 'I', 'U', 'D', 'T', 'M']);

interface StreamRelations {
  /** The connection's relations when the transaction started streaming. */
  seed: Map<number, Relation>;
  /** The Relation messages the transaction carried, last one per oid. */
  sent: Map<number, Relation>;
}

/** Protocol messages about streamed transactions; the replication source turns them back into whole transactions. */
export type StreamMessage =
  | { kind: 'stream-start'; xid: number; firstSegment: boolean }
  | { kind: 'stream-stop' }
  /** A data message of an in-progress transaction, as received (tag, xid, body). */
  | { kind: 'streamed-change'; xid: number; subXid: number; bytes: Buffer }
  | {
      kind: 'stream-commit';
      xid: number;
      commitLsn: Lsn;
      endLsn: Lsn;
      commitTimeMicros: bigint;
      /** Relations to start decoding the transaction's changes with (a copy, owned by the receiver). */
      relations: Map<number, Relation>;
    }
  /** `subXid === xid` aborts the whole transaction, otherwise only that subtransaction. */
  | { kind: 'stream-abort'; xid: number; subXid: number };

export type SourceMessage = ChangeMessage | StreamMessage;

/**
 * Decodes a spooled `streamed-change` message. A Relation message updates
 * `relations`, which the caller keeps for the rest of that transaction.
 */
export function decodeStreamedChange(bytes: Buffer, relations: Map<number, Relation>): ChangeMessage {
  const reader = new Reader(bytes);
  const tag = String.fromCharCode(reader.uint8());
  reader.int32(); // the (sub)transaction xid
  return decodeChange(tag, reader, relations);
}

function decodeChange(tag: string, reader: Reader, relations: Map<number, Relation>): ChangeMessage {
  switch (tag) {
    case 'B':
      return { kind: 'begin', finalLsn: reader.uint64(), commitTimeMicros: pgEpochToUnixMicros(reader.int64()), xid: reader.int32() };
    case 'C': {
      reader.uint8(); // flags, unused by the protocol so far
      const commitLsn = reader.uint64();
      const endLsn = reader.uint64();
      return { kind: 'commit', commitLsn, endLsn, commitTimeMicros: pgEpochToUnixMicros(reader.int64()) };
    }
    case 'R': {
      const relation = readRelation(reader);
      relations.set(relation.oid, relation);
      return { kind: 'relation', relation };
    }
    case 'I': {
      const relation = relationOf(relations, reader.int32());
      reader.uint8(); // 'N'
      return { kind: 'insert', relation, values: readTuple(reader) };
    }
    case 'U': {
      const relation = relationOf(relations, reader.int32());
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
      const relation = relationOf(relations, reader.int32());
      reader.uint8(); // 'K' or 'O'
      return { kind: 'delete', relation, old: readTuple(reader) };
    }
    case 'T': {
      const count = reader.int32();
      const options = reader.uint8();
      const truncated: Relation[] = [];
      for (let i = 0; i < count; i++) truncated.push(relationOf(relations, reader.int32()));
      return { kind: 'truncate', relations: truncated, cascade: (options & 1) !== 0, restartIdentity: (options & 2) !== 0 };
    }
    default:
      // Origin, Type and logical Message carry nothing the lake stores.
      return { kind: 'ignored', tag };
  }
}

function relationOf(relations: Map<number, Relation>, oid: number): Relation {
  const relation = relations.get(oid);
  // The server always sends Relation before the first change of a relation on a connection.
  if (!relation) throw new Error(`pgoutput: change for unknown relation oid ${oid}`);
  return relation;
}

function readRelation(reader: Reader): Relation {
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
  return { oid, schema, name, replicaIdentity, columns };
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
