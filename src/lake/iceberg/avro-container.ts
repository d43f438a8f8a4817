/**
 * In-memory Avro object container files (Avro 1.x spec "Object Container
 * Files") for Iceberg manifests and manifest lists, encoded by avsc.
 *
 * Why the header is written here and not by avsc's BlockEncoder:
 * - given a `Type`, BlockEncoder writes `type.getSchema()` into the header,
 *   which drops `field-id`, `element-id` and `logicalType: "map"` — attributes
 *   Iceberg readers need (ICEBERG_NOTES §0.1; PyIceberg fails without field ids);
 * - given a plain schema, it builds its own Type with avsc's `long`, which
 *   throws on snapshot ids above 2^53 (§0.2);
 * - it writes no header at all when there are zero records.
 * So blocks come from BlockEncoder with `writeHeader: 'never'` and our BigInt
 * Type, and the header record (the spec's `org.apache.avro.file.Header`) is
 * encoded with an avsc Type carrying the plain JSON schema verbatim.
 */
import { randomBytes } from 'node:crypto';
import { inflateRawSync } from 'node:zlib';
import avro from 'avsc';
import { bigintAvroType } from './avro-long.ts';

/** Block codecs: Java writes deflate, PyIceberg has written null; icebird reads only these two. */
export type AvroCodec = 'deflate' | 'null';

const MAGIC = Buffer.from([0x4f, 0x62, 0x6a, 0x01]); // "Obj" 0x01

/** The container header record, as defined by the Avro specification. */
const HEADER_TYPE = avro.Type.forSchema({
  type: 'record',
  name: 'org.apache.avro.file.Header',
  fields: [
    { name: 'magic', type: { type: 'fixed', name: 'Magic', size: 4 } },
    { name: 'meta', type: { type: 'map', values: 'bytes' } },
    { name: 'sync', type: { type: 'fixed', name: 'Sync', size: 16 } },
  ],
});

/** Collect a finished Duplex stream's readable side. */
function collect<T>(stream: NodeJS.ReadableStream & NodeJS.EventEmitter, onData: (chunk: T) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.on('data', onData);
    stream.once('end', () => resolve());
    stream.once('error', reject);
  });
}

/**
 * Encode `records` as an Avro object container file.
 *
 * @param schema plain JSON Avro schema; written verbatim into `avro.schema`
 *   so Iceberg attributes (`field-id`, `element-id`, `logicalType: "map"`) survive.
 * @param records values matching `schema`; every `long` must be a `bigint`.
 * @param metadata extra header entries (Iceberg's `schema`, `partition-spec`, …).
 * @param options codec, `deflate` by default (what Java writes, notes §0.8).
 */
export async function encodeAvroFile(
  schema: object,
  records: unknown[],
  metadata: Record<string, string>,
  options: { codec?: AvroCodec } = {},
): Promise<Buffer> {
  const codec = options.codec ?? 'deflate';
  const meta: Record<string, Buffer> = {};
  for (const [key, value] of Object.entries(metadata)) {
    // The Avro spec reserves the "avro." prefix for the container itself.
    if (key.startsWith('avro.')) throw new Error(`metadata key ${key} is reserved by Avro`);
    meta[key] = Buffer.from(value, 'utf8');
  }
  meta['avro.schema'] = Buffer.from(JSON.stringify(schema), 'utf8');
  meta['avro.codec'] = Buffer.from(codec, 'utf8');

  const sync = randomBytes(16);
  const encoder = new avro.streams.BlockEncoder(bigintAvroType(schema), {
    codec,
    writeHeader: 'never',
    syncMarker: sync,
  });
  const chunks: Buffer[] = [HEADER_TYPE.toBuffer({ magic: MAGIC, meta, sync })];
  let typeError: unknown;
  // avsc reports invalid records as 'typeError' and then 'error'; keep the first.
  encoder.once('typeError', (err: unknown) => (typeError ??= err));
  const done = collect<Buffer>(encoder, (chunk) => chunks.push(chunk));
  for (const record of records) encoder.write(record);
  encoder.end();
  try {
    await done;
  } catch (err) {
    throw typeError ?? err;
  }
  if (typeError) throw typeError;
  return Buffer.concat(chunks);
}

/** Header metadata (all values as UTF-8 strings, including `avro.schema`) and records. */
export interface DecodedAvroFile {
  metadata: Record<string, string>;
  /** Shaped by the writer's schema, which only the caller knows how to map. */
  records: any[];
}

const LONG_TYPE = avro.Type.forSchema('long');

function readLong(buf: Buffer, pos: number, what: string): { value: number; offset: number } {
  const { value, offset } = LONG_TYPE.decode(buf, pos) as { value: number; offset: number };
  if (offset < 0) throw new Error(`truncated Avro file: ${what} at byte ${pos}`);
  return { value, offset };
}

/**
 * Decode an Avro object container file held in memory. Longs are read as
 * `bigint` (foreign snapshot ids use all 63 bits); `null` and `deflate`
 * codecs are supported; unions `["null", T]` decode to `null` or the value.
 *
 * Blocks are walked here rather than through avsc's BlockDecoder because that
 * stream silently ignores a truncated last block; a manifest cut short must
 * fail loudly instead of dropping data files. Values are still decoded by avsc.
 */
export async function decodeAvroFile(bytes: Uint8Array): Promise<DecodedAvroFile> {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < 4 || !buf.subarray(0, 4).equals(MAGIC)) throw new Error('not an Avro object container file');
  const header = HEADER_TYPE.decode(buf, 0) as {
    value: { meta: Record<string, Buffer>; sync: Buffer };
    offset: number;
  };
  if (header.offset < 0) throw new Error('truncated Avro file: header');
  const metadata: Record<string, string> = {};
  for (const [key, value] of Object.entries(header.value.meta)) metadata[key] = value.toString('utf8');
  const schemaJson = metadata['avro.schema'];
  if (schemaJson === undefined) throw new Error('Avro file header has no avro.schema');
  const codec = metadata['avro.codec'] ?? 'null';
  if (codec !== 'null' && codec !== 'deflate') throw new Error(`unsupported Avro codec: ${codec}`);
  const type = bigintAvroType(JSON.parse(schemaJson) as object);

  const records: unknown[] = [];
  let pos = header.offset;
  while (pos < buf.length) {
    const count = readLong(buf, pos, 'block count');
    const size = readLong(buf, count.offset, 'block size');
    const end = size.offset + size.value;
    if (count.value < 0 || size.value < 0 || end + 16 > buf.length) {
      throw new Error(`truncated Avro file: block at byte ${pos}`);
    }
    if (!buf.subarray(end, end + 16).equals(header.value.sync)) throw new Error(`bad Avro sync marker at byte ${end}`);
    const raw = buf.subarray(size.offset, end);
    const data = codec === 'deflate' ? inflateRawSync(raw) : raw;
    let offset = 0;
    for (let i = 0; i < count.value; i++) {
      const decoded = type.decode(data, offset);
      if (decoded.offset < 0) throw new Error(`truncated Avro block at byte ${pos}`);
      records.push(decoded.value);
      offset = decoded.offset;
    }
    if (offset !== data.length) throw new Error(`Avro block at byte ${pos} has trailing bytes`);
    pos = end + 16;
  }
  return { metadata, records };
}
