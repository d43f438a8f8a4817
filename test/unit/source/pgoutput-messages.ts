/**
 * Hand-built pgoutput messages (protocols 1 and 2), field by field, from
 * https://www.postgresql.org/docs/current/protocol-logicalrep-message-formats.html
 * (all integers big-endian; String = UTF-8 bytes + NUL).
 */
export class Message {
  readonly #parts: Buffer[] = [];

  byte(char: string): this {
    return this.int8(char.charCodeAt(0));
  }
  int8(value: number): this {
    this.#parts.push(Buffer.from([value]));
    return this;
  }
  int16(value: number): this {
    const b = Buffer.alloc(2);
    b.writeInt16BE(value);
    this.#parts.push(b);
    return this;
  }
  int32(value: number): this {
    const b = Buffer.alloc(4);
    b.writeInt32BE(value);
    this.#parts.push(b);
    return this;
  }
  int64(value: bigint): this {
    const b = Buffer.alloc(8);
    b.writeBigInt64BE(value);
    this.#parts.push(b);
    return this;
  }
  uint64(value: bigint): this {
    const b = Buffer.alloc(8);
    b.writeBigUInt64BE(value);
    this.#parts.push(b);
    return this;
  }
  string(value: string): this {
    this.#parts.push(Buffer.from(value, 'utf8'), Buffer.from([0]));
    return this;
  }
  /** TupleData: Int16 count, then per column 'n' | 'u' | 't' Int32 length bytes. */
  tuple(values: Array<string | null | undefined>): this {
    this.int16(values.length);
    for (const value of values) {
      if (value === null) this.byte('n');
      else if (value === undefined) this.byte('u');
      else {
        const bytes = Buffer.from(value, 'utf8');
        this.byte('t').int32(bytes.length);
        this.#parts.push(bytes);
      }
    }
    return this;
  }
  build(): Buffer {
    return Buffer.concat(this.#parts);
  }
}

export const PG_EPOCH_UNIX_MICROS = 946_684_800_000_000n; // 2000-01-01T00:00:00Z in Unix microseconds
export const unixMicros = (iso: string, extraMicros = 0n) => BigInt(Date.parse(iso)) * 1000n + extraMicros;
export const pgMicros = (unix: bigint) => unix - PG_EPOCH_UNIX_MICROS;

export const INVOICES_OID = 16_385;
export const NUMERIC_14_2_TYPMOD = ((14 << 16) | 2) + 4;

/** A Relation message for an invoices-shaped table; with `streamXid`, as sent inside a stream segment. */
export function relationMessage(oid = INVOICES_OID, identity = 'd', schema = 'public', name = 'invoices', streamXid?: number): Buffer {
  const columns: Array<[flags: number, name: string, typeOid: number, typeMod: number]> = [
    [1, 'invoice_id', 20, -1],
    [0, 'issue_date', 1184, -1],
    [0, 'issuer_id', 20, -1],
    [0, 'receiver_id', 20, -1],
    [0, 'amount', 1700, NUMERIC_14_2_TYPMOD],
  ];
  const message = new Message().byte('R');
  if (streamXid !== undefined) message.int32(streamXid);
  message.int32(oid).string(schema).string(name).byte(identity).int16(columns.length);
  for (const [flags, column, typeOid, typeMod] of columns) message.int8(flags).string(column).int32(typeOid).int32(typeMod);
  return message.build();
}
