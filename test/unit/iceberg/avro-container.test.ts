import { describe, expect, it } from 'vitest';
import { decodeAvroFile, encodeAvroFile } from '../../../src/lake/iceberg/avro-container.ts';

const schema = {
  type: 'record',
  name: 'thing',
  fields: [
    { name: 'id', type: 'long', 'field-id': 1 },
    { name: 'ts', type: ['null', { type: 'long', logicalType: 'timestamp-micros', 'adjust-to-utc': true }], default: null, 'field-id': 2 },
    { name: 'offsets', type: ['null', { type: 'array', items: 'long', 'element-id': 4 }], default: null, 'field-id': 3 },
    {
      name: 'sizes',
      type: [
        'null',
        {
          type: 'array',
          logicalType: 'map',
          items: { type: 'record', name: 'k6_v7', fields: [{ name: 'key', type: 'int', 'field-id': 6 }, { name: 'value', type: 'bytes', 'field-id': 7 }] },
        },
      ],
      default: null,
      'field-id': 5,
    },
  ],
};

const records = [
  { id: 9158179788527662767n, ts: -1n, offsets: [4n, 2n ** 62n], sizes: [{ key: 1, value: Buffer.from('0102', 'hex') }] },
  { id: -(2n ** 63n), ts: null, offsets: null, sizes: null },
  { id: 2n ** 53n + 1n, ts: 1767225600000000n, offsets: [], sizes: [] },
];

/** Plain objects, so avsc's record classes compare equal to literals. */
const plain = (values: unknown[]): unknown[] => values.map((v) => ({ ...(v as object) }));

describe('encodeAvroFile / decodeAvroFile', () => {
  it('round-trips records with 64-bit longs beyond 2^53 exactly', async () => {
    const file = await encodeAvroFile(schema, records, { 'snapshot-id': '9158179788527662767' });
    const decoded = await decodeAvroFile(file);
    expect(plain(decoded.records)).toEqual(records);
    expect(decoded.metadata['snapshot-id']).toBe('9158179788527662767');
    expect(decoded.metadata['avro.codec']).toBe('deflate');
  });

  it('writes the plain JSON schema verbatim, keeping field-id, element-id and logicalType map', async () => {
    const decoded = await decodeAvroFile(await encodeAvroFile(schema, records, {}));
    const header = JSON.parse(decoded.metadata['avro.schema']!);
    expect(header).toEqual(schema);
    expect(header.fields.map((f: { 'field-id': number }) => f['field-id'])).toEqual([1, 2, 3, 5]);
    expect(header.fields[2].type[1]['element-id']).toBe(4);
    expect(header.fields[3].type[1].logicalType).toBe('map');
  });

  it('starts with the Avro magic and compresses blocks with deflate', async () => {
    const file = await encodeAvroFile(schema, records, {});
    expect(file.subarray(0, 4).toString('latin1')).toBe('Obj\x01');
  });

  it('reads the null codec', async () => {
    const file = await encodeAvroFile(schema, records, {}, { codec: 'null' });
    const decoded = await decodeAvroFile(file);
    expect(decoded.metadata['avro.codec']).toBe('null');
    expect(plain(decoded.records)).toEqual(records);
  });

  it('writes a header even with no records', async () => {
    const decoded = await decodeAvroFile(await encodeAvroFile(schema, [], { content: 'data' }));
    expect(decoded.records).toEqual([]);
    expect(decoded.metadata.content).toBe('data');
  });

  it('spans several blocks', async () => {
    const many = Array.from({ length: 20_000 }, (_, i) => ({ id: BigInt(i) << 40n, ts: null, offsets: [BigInt(i)], sizes: null }));
    const decoded = await decodeAvroFile(await encodeAvroFile(schema, many, {}));
    expect(decoded.records).toHaveLength(many.length);
    expect(decoded.records[19_999].id).toBe(19_999n << 40n);
  });

  it('rejects records that do not match the schema', async () => {
    await expect(encodeAvroFile(schema, [{ id: 1, ts: null, offsets: null, sizes: null }], {})).rejects.toThrow(/long/);
  });

  it('rejects metadata keys reserved by Avro', async () => {
    await expect(encodeAvroFile(schema, [], { 'avro.codec': 'snappy' })).rejects.toThrow(/reserved/);
  });

  it('fails loudly on truncated or corrupted files instead of dropping records', async () => {
    const file = await encodeAvroFile(schema, records, {});
    await expect(decodeAvroFile(file.subarray(0, file.length - 3))).rejects.toThrow(/truncated/);
    await expect(decodeAvroFile(file.subarray(0, 20))).rejects.toThrow(/truncated/);
    const badSync = Buffer.from(file);
    badSync[badSync.length - 1]! ^= 0xff;
    await expect(decodeAvroFile(badSync)).rejects.toThrow(/sync/);
    await expect(decodeAvroFile(Buffer.from('PAR1'))).rejects.toThrow(/not an Avro/);
  });
});
