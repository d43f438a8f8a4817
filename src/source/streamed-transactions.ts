import { open, rm, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createProcessTempDir } from '../runtime/process-temp-dir.ts';

/** Bytes buffered before a write, and read per read: the memory one streamed transaction costs. */
export const SPOOL_CHUNK_BYTES = 1 << 20;

/** Record header: UInt32 message length, Int32 subtransaction xid. */
const HEADER_BYTES = 8;

export interface SpooledChange {
  subXid: number;
  /** The message as received; valid until the replay moves on to the next change. */
  bytes: Buffer;
}

/**
 * Changes of in-progress transactions the server streams (pgoutput protocol
 * 2), kept on disk until their Stream Commit or Stream Abort: one append-only
 * file per top-level xid in a private temporary directory, records of
 * (subtransaction xid, message bytes).
 *
 * Memory stays bounded whatever the size of a transaction: writes go through
 * one chunk buffer, flushed when full and at the end of each stream segment
 * (only one segment is open at a time), and a replay reads one chunk at a
 * time. Per transaction, only the xids of its aborted subtransactions stay in
 * memory; their changes are skipped on replay instead of being cut out of the file.
 *
 * Nothing here survives a restart, on purpose: the server sends uncommitted
 * transactions again from the slot's restart position.
 */
export class StreamedTransactions {
  readonly #transactions = new Map<number, { path: string; abortedSubXids: Set<number> }>();
  #directory: Promise<string> | undefined;
  #writer: { xid: number; handle: FileHandle; buffer: Buffer; used: number } | undefined;
  #closed = false;
  readonly #parent: string;

  /** `parent`: where the private directory is created (the OS temporary directory by default). */
  constructor(options: { parent?: string } = {}) {
    this.#parent = options.parent ?? tmpdir();
  }

  /** Transactions received in part and not yet committed or aborted. */
  get openTransactions(): number {
    return this.#transactions.size;
  }

  /** Adds a change of `xid` (top level) made in `subXid`; awaiting is needed only when a promise is returned. */
  append(xid: number, subXid: number, bytes: Buffer): void | Promise<void> {
    const writer = this.#writer;
    if (writer?.xid === xid && writer.used + HEADER_BYTES + bytes.length <= writer.buffer.length) {
      writeRecord(writer.buffer, writer.used, subXid, bytes);
      writer.used += HEADER_BYTES + bytes.length;
      return;
    }
    return this.#appendSlow(xid, subXid, bytes);
  }

  /** The end of a stream segment: the next segment may belong to another transaction. */
  async endSegment(): Promise<void> {
    await this.#closeWriter();
  }

  /** Drops the changes of subtransaction `subXid`, or the whole transaction when `subXid === xid`. */
  async abort(xid: number, subXid: number): Promise<void> {
    const transaction = this.#transactions.get(xid);
    if (!transaction) return; // nothing of it was spooled
    if (subXid !== xid) {
      transaction.abortedSubXids.add(subXid);
      return;
    }
    if (this.#writer?.xid === xid) await this.#closeWriter();
    this.#transactions.delete(xid);
    await rm(transaction.path, { force: true });
  }

  /**
   * The changes of committed transaction `xid` in the order they were made,
   * without those of aborted subtransactions. The file is removed once the
   * iteration ends, completed or not.
   */
  async *replay(xid: number): AsyncGenerator<SpooledChange> {
    const transaction = this.#transactions.get(xid);
    if (!transaction) return; // a streamed transaction may carry no change of a published table
    if (this.#writer?.xid === xid) await this.#closeWriter();
    this.#transactions.delete(xid);
    const handle = await open(transaction.path, 'r');
    try {
      let buffer = Buffer.allocUnsafe(SPOOL_CHUNK_BYTES);
      let start = 0;
      let end = 0;
      let eof = false;
      while (true) {
        const available = end - start;
        const length = available >= HEADER_BYTES ? buffer.readUInt32BE(start) : -1;
        if (length >= 0 && available >= HEADER_BYTES + length) {
          const subXid = buffer.readInt32BE(start + 4);
          const bytes = buffer.subarray(start + HEADER_BYTES, start + HEADER_BYTES + length);
          start += HEADER_BYTES + length;
          if (!transaction.abortedSubXids.has(subXid)) yield { subXid, bytes };
          continue;
        }
        if (eof) {
          if (available > 0) throw new Error(`spool of transaction ${xid}: ${available} trailing bytes`);
          return;
        }
        // Keep the partial record, growing the buffer only for a record larger than a chunk.
        const needed = length >= 0 ? HEADER_BYTES + length : HEADER_BYTES;
        const next = needed > buffer.length ? Buffer.allocUnsafe(needed) : buffer;
        buffer.copy(next, 0, start, end);
        buffer = next;
        start = 0;
        end = available;
        const { bytesRead } = await handle.read(buffer, end, buffer.length - end, null);
        if (bytesRead === 0) eof = true;
        end += bytesRead;
      }
    } finally {
      await handle.close();
      await rm(transaction.path, { force: true });
    }
  }

  /** Removes every spool file and the directory. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#writer?.handle.close().catch(() => undefined);
    this.#writer = undefined;
    this.#transactions.clear();
    const directory = await this.#directory?.catch(() => undefined);
    if (directory) await rm(directory, { recursive: true, force: true });
  }

  async #appendSlow(xid: number, subXid: number, bytes: Buffer): Promise<void> {
    if (this.#writer?.xid !== xid) {
      await this.#closeWriter();
      await this.#openWriter(xid);
    }
    const writer = this.#writer!;
    const size = HEADER_BYTES + bytes.length;
    if (writer.used + size > writer.buffer.length) await this.#flush(writer);
    if (size > writer.buffer.length) {
      // Larger than a chunk: written on its own rather than growing the buffer for good.
      const record = Buffer.allocUnsafe(size);
      writeRecord(record, 0, subXid, bytes);
      await writeAll(writer.handle, record, size);
      return;
    }
    writeRecord(writer.buffer, writer.used, subXid, bytes);
    writer.used += size;
  }

  async #openWriter(xid: number): Promise<void> {
    if (this.#closed) throw new Error('streamed transactions: spool closed');
    this.#directory ??= createProcessTempDir(this.#parent, 'invoice-lake-stream-');
    let transaction = this.#transactions.get(xid);
    if (!transaction) {
      transaction = { path: join(await this.#directory, `${xid >>> 0}.spool`), abortedSubXids: new Set() };
      this.#transactions.set(xid, transaction);
    }
    const handle = await open(transaction.path, 'a');
    this.#writer = { xid, handle, buffer: Buffer.allocUnsafe(SPOOL_CHUNK_BYTES), used: 0 };
  }

  async #closeWriter(): Promise<void> {
    const writer = this.#writer;
    if (!writer) return;
    this.#writer = undefined; // released between segments: an idle transaction holds no buffer
    try {
      await this.#flush(writer);
    } finally {
      await writer.handle.close();
    }
  }

  async #flush(writer: { handle: FileHandle; buffer: Buffer; used: number }): Promise<void> {
    if (writer.used === 0) return;
    await writeAll(writer.handle, writer.buffer, writer.used);
    writer.used = 0;
  }
}

function writeRecord(target: Buffer, offset: number, subXid: number, bytes: Buffer): void {
  target.writeUInt32BE(bytes.length, offset);
  target.writeInt32BE(subXid, offset + 4);
  bytes.copy(target, offset + HEADER_BYTES);
}

async function writeAll(handle: FileHandle, buffer: Buffer, length: number): Promise<void> {
  let written = 0;
  while (written < length) written += (await handle.write(buffer, written, length - written)).bytesWritten;
}
