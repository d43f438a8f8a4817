import { describe, expect, it } from 'vitest';
import { decodeStreamedChange, PgoutputDecoder, pgEpochToUnixMicros } from '../../../src/source/pgoutput-decoder.ts';
import type { ChangeMessage, Relation } from '../../../src/source/change-source.ts';
import { INVOICES_OID, Message, NUMERIC_14_2_TYPMOD, PG_EPOCH_UNIX_MICROS, pgMicros, relationMessage, unixMicros } from './pgoutput-messages.ts';

function decoderWithRelation(): { decoder: PgoutputDecoder; relation: Relation } {
  const decoder = new PgoutputDecoder();
  const message = decoder.decode(relationMessage());
  if (message.kind !== 'relation') throw new Error('expected a relation');
  return { decoder, relation: message.relation };
}

describe('pgEpochToUnixMicros', () => {
  it('shifts from 2000-01-01 to 1970-01-01 exactly', () => {
    expect(pgEpochToUnixMicros(0n)).toBe(unixMicros('2000-01-01T00:00:00Z'));
    expect(pgEpochToUnixMicros(-PG_EPOCH_UNIX_MICROS)).toBe(0n);
    expect(pgEpochToUnixMicros(1n)).toBe(PG_EPOCH_UNIX_MICROS + 1n);
  });
});

describe('PgoutputDecoder', () => {
  it('Begin: final LSN, commit time in Unix microseconds, xid', () => {
    const commit = unixMicros('2024-03-01T12:34:56.789Z', 12n); // .789012
    const buffer = new Message().byte('B').uint64(0x16_b374d848n).int64(pgMicros(commit)).int32(741).build();
    expect(new PgoutputDecoder().decode(buffer)).toEqual<ChangeMessage>({
      kind: 'begin',
      finalLsn: 0x16_b374d848n,
      commitTimeMicros: commit,
      xid: 741,
    });
  });

  it('Begin: commit times before 2000 (negative on the wire) and LSNs above 2^63', () => {
    const commit = unixMicros('1999-12-31T23:59:59.999Z', 999n);
    const buffer = new Message().byte('B').uint64(0xffffffff_00000010n).int64(pgMicros(commit)).int32(-1).build();
    const message = new PgoutputDecoder().decode(buffer);
    expect(message).toMatchObject({ kind: 'begin', finalLsn: 0xffffffff_00000010n, commitTimeMicros: commit });
    expect(pgMicros(commit)).toBe(-1n);
  });

  it('Commit: flags, commit LSN, end LSN, commit time', () => {
    const commit = unixMicros('2026-01-01T00:00:00.000Z', 1n);
    const buffer = new Message().byte('C').int8(0).uint64(0x1_00000028n).uint64(0x1_00000058n).int64(pgMicros(commit)).build();
    expect(new PgoutputDecoder().decode(buffer)).toEqual<ChangeMessage>({
      kind: 'commit',
      commitLsn: 0x1_00000028n,
      endLsn: 0x1_00000058n,
      commitTimeMicros: commit,
    });
  });

  it('Relation: schema, name, replica identity and columns with key flags, type oids and typmods', () => {
    const message = new PgoutputDecoder().decode(relationMessage());
    expect(message).toEqual<ChangeMessage>({
      kind: 'relation',
      relation: {
        oid: INVOICES_OID,
        schema: 'public',
        name: 'invoices',
        replicaIdentity: 'default',
        columns: [
          { isKey: true, name: 'invoice_id', typeOid: 20, typeMod: -1 },
          { isKey: false, name: 'issue_date', typeOid: 1184, typeMod: -1 },
          { isKey: false, name: 'issuer_id', typeOid: 20, typeMod: -1 },
          { isKey: false, name: 'receiver_id', typeOid: 20, typeMod: -1 },
          { isKey: false, name: 'amount', typeOid: 1700, typeMod: NUMERIC_14_2_TYPMOD },
        ],
      },
    });
  });

  it.each([
    ['d', 'default'],
    ['n', 'nothing'],
    ['f', 'full'],
    ['i', 'index'],
  ] as const)('Relation: replica identity %s → %s', (code, expected) => {
    const message = new PgoutputDecoder().decode(relationMessage(7, code));
    expect(message.kind === 'relation' && message.relation.replicaIdentity).toBe(expected);
  });

  it('Relation: non-ASCII schema and table names', () => {
    const message = new PgoutputDecoder().decode(relationMessage(8, 'd', 'fäktura', 'rechnungen_€'));
    expect(message).toMatchObject({ kind: 'relation', relation: { schema: 'fäktura', name: 'rechnungen_€' } });
  });

  it('Insert: text values exactly as sent, SQL NULL as null, unchanged TOAST as undefined', () => {
    const { decoder, relation } = decoderWithRelation();
    const values = ['9007199254740993', '2024-02-29 23:59:59.999999+00', null, undefined, '-999999999999.99'];
    const buffer = new Message().byte('I').int32(INVOICES_OID).byte('N').tuple(values).build();
    const message = decoder.decode(buffer);
    expect(message.kind).toBe('insert');
    if (message.kind !== 'insert') return;
    expect(message.relation).toBe(relation);
    expect(message.values).toHaveLength(5);
    expect(message.values[0]).toBe('9007199254740993');
    expect(message.values[1]).toBe('2024-02-29 23:59:59.999999+00');
    expect(message.values[2]).toBeNull();
    expect(message.values[3]).toBeUndefined();
    expect(message.values[4]).toBe('-999999999999.99');
  });

  it('Insert: lengths are bytes, so multi-byte UTF-8 and empty strings decode intact', () => {
    const { decoder } = decoderWithRelation();
    const buffer = new Message().byte('I').int32(INVOICES_OID).byte('N').tuple(['Zürich €', '', '日本', null, '0.00']).build();
    const message = decoder.decode(buffer);
    expect(message).toMatchObject({ kind: 'insert', values: ['Zürich €', '', '日本', null, '0.00'] });
  });

  it('Update without old tuple (default identity, key unchanged)', () => {
    const { decoder } = decoderWithRelation();
    const buffer = new Message().byte('U').int32(INVOICES_OID).byte('N').tuple(['1', '2024-01-01 00:00:00+00', '2', '3', '4.00']).build();
    expect(decoder.decode(buffer)).toMatchObject({ kind: 'update', old: null, values: ['1', '2024-01-01 00:00:00+00', '2', '3', '4.00'] });
  });

  it("Update with a 'K' submessage (key changed): old key columns, others null", () => {
    const { decoder } = decoderWithRelation();
    const buffer = new Message()
      .byte('U')
      .int32(INVOICES_OID)
      .byte('K')
      .tuple(['1', null, null, null, null])
      .byte('N')
      .tuple(['100', '2024-01-01 00:00:00+00', '2', '3', undefined])
      .build();
    const message = decoder.decode(buffer);
    expect(message).toMatchObject({ kind: 'update', old: ['1', null, null, null, null] });
    expect(message.kind === 'update' && message.values).toEqual(['100', '2024-01-01 00:00:00+00', '2', '3', undefined]);
  });

  it("Update with an 'O' submessage (REPLICA IDENTITY FULL): the whole old row", () => {
    const { decoder } = decoderWithRelation();
    const old = ['5', '2023-12-31 23:59:59.999999+00', '7', '8', '0.01'];
    const buffer = new Message().byte('U').int32(INVOICES_OID).byte('O').tuple(old).byte('N').tuple(['5', old[1]!, '7', '8', '0.02']).build();
    expect(decoder.decode(buffer)).toMatchObject({ kind: 'update', old, values: ['5', old[1], '7', '8', '0.02'] });
  });

  it('Update with an unexpected submessage fails loudly', () => {
    const { decoder } = decoderWithRelation();
    const buffer = new Message().byte('U').int32(INVOICES_OID).byte('X').tuple(['1']).build();
    expect(() => decoder.decode(buffer)).toThrow(/unexpected update submessage X/);
  });

  it.each(['K', 'O'])("Delete with a '%s' submessage", (submessage) => {
    const { decoder, relation } = decoderWithRelation();
    const buffer = new Message().byte('D').int32(INVOICES_OID).byte(submessage).tuple(['42', null, null, null, null]).build();
    const message = decoder.decode(buffer);
    expect(message).toMatchObject({ kind: 'delete', old: ['42', null, null, null, null] });
    expect(message.kind === 'delete' && message.relation).toBe(relation);
  });

  it.each([
    [0, false, false],
    [1, true, false],
    [2, false, true],
    [3, true, true],
  ])('Truncate with options %i: cascade %s, restart identity %s', (options, cascade, restartIdentity) => {
    const decoder = new PgoutputDecoder();
    decoder.decode(relationMessage(INVOICES_OID));
    decoder.decode(relationMessage(16_400, 'd', 'public', 'customers'));
    const buffer = new Message().byte('T').int32(2).int8(options).int32(INVOICES_OID).int32(16_400).build();
    const message = decoder.decode(buffer);
    expect(message).toMatchObject({ kind: 'truncate', cascade, restartIdentity });
    expect(message.kind === 'truncate' && message.relations.map((r) => r.name)).toEqual(['invoices', 'customers']);
  });

  it('a change for a relation never announced fails (no guessing of columns)', () => {
    const decoder = new PgoutputDecoder();
    const buffer = new Message().byte('I').int32(999).byte('N').tuple(['1']).build();
    expect(() => decoder.decode(buffer)).toThrow(/unknown relation oid 999/);
  });

  it('a later Relation message for the same oid replaces the earlier one (ALTER TABLE)', () => {
    const decoder = new PgoutputDecoder();
    decoder.decode(relationMessage(INVOICES_OID, 'd'));
    decoder.decode(relationMessage(INVOICES_OID, 'f'));
    const message = decoder.decode(new Message().byte('D').int32(INVOICES_OID).byte('O').tuple(['1', 'x', '2', '3', '4.00']).build());
    expect(message.kind === 'delete' && message.relation.replicaIdentity).toBe('full');
  });

  it('relations are per decoder (per connection)', () => {
    const first = new PgoutputDecoder();
    first.decode(relationMessage());
    const insert = new Message().byte('I').int32(INVOICES_OID).byte('N').tuple(['1', null, null, null, null]).build();
    expect(first.decode(insert).kind).toBe('insert');
    expect(() => new PgoutputDecoder().decode(insert)).toThrow(/unknown relation/);
  });

  it.each([
    ['O', new Message().byte('O').uint64(0x10n).string('origin_a').build()],
    ['Y', new Message().byte('Y').int32(16_500).string('public').string('mood').build()],
    ['M', new Message().byte('M').int8(1).uint64(0x20n).string('prefix').int32(2).string('x').build()],
  ])('%s messages are ignored', (tag, buffer) => {
    expect(new PgoutputDecoder().decode(buffer)).toEqual({ kind: 'ignored', tag });
  });

  it('decodes a whole transaction in order: Begin, Relation, Insert, Update, Delete, Commit', () => {
    const decoder = new PgoutputDecoder();
    const commitTime = unixMicros('2025-12-31T23:59:59.999Z', 999n);
    const stream = [
      new Message().byte('B').uint64(0x3_00000100n).int64(pgMicros(commitTime)).int32(9).build(),
      relationMessage(),
      new Message().byte('I').int32(INVOICES_OID).byte('N').tuple(['1', '2025-12-31 23:59:59.999999+00', '10', '20', '0.00']).build(),
      new Message().byte('U').int32(INVOICES_OID).byte('N').tuple(['1', '2025-12-31 23:59:59.999999+00', '10', '20', '0.01']).build(),
      new Message().byte('D').int32(INVOICES_OID).byte('K').tuple(['1', null, null, null, null]).build(),
      new Message().byte('C').int8(0).uint64(0x3_00000100n).uint64(0x3_00000130n).int64(pgMicros(commitTime)).build(),
    ];
    const kinds = stream.map((buffer) => decoder.decode(buffer));
    expect(kinds.map((m) => m.kind)).toEqual(['begin', 'relation', 'insert', 'update', 'delete', 'commit']);
    expect(kinds[0]).toMatchObject({ finalLsn: 0x3_00000100n, commitTimeMicros: commitTime });
    expect(kinds[5]).toMatchObject({ commitLsn: 0x3_00000100n, endLsn: 0x3_00000130n, commitTimeMicros: commitTime });
  });
});

describe('PgoutputDecoder, protocol 2 streaming of in-progress transactions', () => {
  const TOP = 900;
  const SUB = 901;
  const streamStart = (xid: number, first: boolean) => new Message().byte('S').int32(xid).int8(first ? 1 : 0).build();
  const streamStop = () => new Message().byte('E').build();
  const streamedInsert = (xid: number, values: Array<string | null>) => new Message().byte('I').int32(xid).int32(INVOICES_OID).byte('N').tuple(values).build();

  it('Stream Start: top-level xid and first-segment flag; Stream Stop', () => {
    const decoder = new PgoutputDecoder();
    expect(decoder.decode(streamStart(TOP, true))).toEqual({ kind: 'stream-start', xid: TOP, firstSegment: true });
    expect(decoder.decode(streamStop())).toEqual({ kind: 'stream-stop' });
    expect(decoder.decode(streamStart(TOP, false))).toEqual({ kind: 'stream-start', xid: TOP, firstSegment: false });
  });

  it('Stream Commit: xid, commit LSN, end LSN, commit time in Unix microseconds', () => {
    const commit = unixMicros('2026-02-03T04:05:06.000Z', 7n);
    const buffer = new Message().byte('c').int32(TOP).int8(0).uint64(0x2_00000010n).uint64(0x2_00000040n).int64(pgMicros(commit)).build();
    expect(new PgoutputDecoder().decode(buffer)).toMatchObject({
      kind: 'stream-commit',
      xid: TOP,
      commitLsn: 0x2_00000010n,
      endLsn: 0x2_00000040n,
      commitTimeMicros: commit,
    });
  });

  it('Stream Abort: xid and subtransaction xid, with or without the protocol 4 abort LSN and time', () => {
    const v2 = new Message().byte('A').int32(TOP).int32(SUB).build();
    const v4 = new Message().byte('A').int32(TOP).int32(TOP).uint64(0x5n).int64(0n).build();
    expect(new PgoutputDecoder().decode(v2)).toEqual({ kind: 'stream-abort', xid: TOP, subXid: SUB });
    expect(new PgoutputDecoder().decode(v4)).toEqual({ kind: 'stream-abort', xid: TOP, subXid: TOP });
  });

  it('inside a segment, changes come back as raw bytes with the top-level and subtransaction xids', () => {
    const { decoder } = decoderWithRelation();
    decoder.decode(streamStart(TOP, true));
    const bytes = streamedInsert(SUB, ['1', '2026-01-01 00:00:00+00', '2', '3', '4.00']);
    const message = decoder.decode(bytes);
    expect(message).toEqual({ kind: 'streamed-change', xid: TOP, subXid: SUB, bytes: Buffer.from(bytes) });
    bytes.fill(0); // the connection reuses its read buffer: the message must own a copy
    expect(message.kind === 'streamed-change' && message.bytes[0]).toBe('I'.charCodeAt(0));
  });

  it('inside a segment, a Relation message is attributed to the top-level xid, so a subtransaction abort keeps it', () => {
    const decoder = new PgoutputDecoder();
    decoder.decode(streamStart(TOP, true));
    expect(decoder.decode(relationMessage(INVOICES_OID, 'd', 'public', 'invoices', SUB))).toMatchObject({ kind: 'streamed-change', xid: TOP, subXid: TOP });
  });

  it.each([
    ['Y', new Message().byte('Y').int32(TOP).int32(16_500).string('public').string('mood').build()],
    ['M', new Message().byte('M').int32(TOP).int8(1).uint64(0x20n).string('prefix').int32(1).string('').build()],
  ])('inside a segment, %s messages are ignored', (tag, buffer) => {
    const decoder = new PgoutputDecoder();
    decoder.decode(streamStart(TOP, true));
    expect(decoder.decode(buffer)).toEqual({ kind: 'ignored', tag });
  });

  it('after Stream Stop, messages are decoded as ordinary (non-streamed) messages again', () => {
    const { decoder } = decoderWithRelation();
    decoder.decode(streamStart(TOP, true));
    decoder.decode(streamStop());
    const insert = new Message().byte('I').int32(INVOICES_OID).byte('N').tuple(['1', null, null, null, null]).build();
    expect(decoder.decode(insert)).toMatchObject({ kind: 'insert', values: ['1', null, null, null, null] });
  });

  it('decodeStreamedChange skips the xid and decodes with the relations it is given, updated by streamed Relation messages', () => {
    const relations = new Map<number, Relation>();
    expect(decodeStreamedChange(relationMessage(INVOICES_OID, 'f', 'public', 'invoices', SUB), relations)).toMatchObject({ kind: 'relation' });
    expect(relations.get(INVOICES_OID)?.replicaIdentity).toBe('full');
    const message = decodeStreamedChange(streamedInsert(SUB, ['7', null, '1', '2', '0.10']), relations);
    expect(message).toMatchObject({ kind: 'insert', values: ['7', null, '1', '2', '0.10'] });
    expect(message.kind === 'insert' && message.relation).toBe(relations.get(INVOICES_OID));
  });

  it('Stream Commit hands over the relations from the stream start, and the stream’s schemas become the connection’s', () => {
    const decoder = new PgoutputDecoder();
    decoder.decode(relationMessage(INVOICES_OID, 'd'));
    decoder.decode(streamStart(TOP, true));
    decoder.decode(relationMessage(INVOICES_OID, 'f', 'public', 'invoices', TOP));
    decoder.decode(streamStop());
    // A concurrent transaction committing before the streamed one still decodes with the old schema.
    const deleteMessage = new Message().byte('D').int32(INVOICES_OID).byte('K').tuple(['1', null, null, null, null]).build();
    expect(decoder.decode(deleteMessage)).toMatchObject({ kind: 'delete', relation: { replicaIdentity: 'default' } });
    const commit = decoder.decode(new Message().byte('c').int32(TOP).int8(0).uint64(0x10n).uint64(0x20n).int64(0n).build());
    expect(commit.kind === 'stream-commit' && commit.relations.get(INVOICES_OID)?.replicaIdentity).toBe('default');
    // The server sends later changes without a Relation message: it counts the streamed one as known.
    expect(decoder.decode(deleteMessage)).toMatchObject({ kind: 'delete', relation: { replicaIdentity: 'full' } });
  });

  it('an aborted stream leaves the connection’s schemas unchanged', () => {
    const decoder = new PgoutputDecoder();
    decoder.decode(relationMessage(INVOICES_OID, 'd'));
    decoder.decode(streamStart(TOP, true));
    decoder.decode(relationMessage(INVOICES_OID, 'f', 'public', 'invoices', TOP));
    decoder.decode(streamStop());
    decoder.decode(new Message().byte('A').int32(TOP).int32(TOP).build());
    const deleteMessage = new Message().byte('D').int32(INVOICES_OID).byte('K').tuple(['1', null, null, null, null]).build();
    expect(decoder.decode(deleteMessage)).toMatchObject({ kind: 'delete', relation: { replicaIdentity: 'default' } });
  });
});
