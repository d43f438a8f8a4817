import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SPOOL_CHUNK_BYTES, StreamedTransactions } from '../../../src/source/streamed-transactions.ts';
import { deliver } from '../../../src/source/replication-source.ts';
import { PgoutputDecoder } from '../../../src/source/pgoutput-decoder.ts';
import type { ChangeMessage } from '../../../src/source/change-source.ts';
import { INVOICES_OID, Message, relationMessage } from './pgoutput-messages.ts';

const TOP = 5_000;
const SUB_A = 5_001;
const SUB_B = 5_002;

/** Every file below `parent`, relative to it (the spool creates one private directory there). */
async function filesBelow(parent: string): Promise<string[]> {
  return (await readdir(parent, { recursive: true, withFileTypes: true })).filter((entry) => entry.isFile()).map((entry) => entry.name);
}
const payload = (text: string) => Buffer.from(text, 'utf8');

async function replayed(spool: StreamedTransactions, xid: number): Promise<Array<{ subXid: number; text: string }>> {
  const out = [];
  for await (const change of spool.replay(xid)) out.push({ subXid: change.subXid, text: change.bytes.toString('utf8') });
  return out;
}

describe('StreamedTransactions (spool of streamed in-progress transactions)', () => {
  let parent: string;
  const spools: StreamedTransactions[] = [];
  const newSpool = () => {
    const spool = new StreamedTransactions({ parent });
    spools.push(spool);
    return spool;
  };
  beforeAll(async () => {
    parent = await mkdtemp(join(tmpdir(), 'spool-test-'));
  });
  afterEach(async () => {
    for (const spool of spools.splice(0)) await spool.close();
  });
  afterAll(async () => rm(parent, { recursive: true, force: true }));

  it('removes the spool directory a killed daemon left behind when it opens its own', async () => {
    const dead = spawnSync(process.execPath, ['-e', '0']).pid;
    const abandoned = join(parent, `invoice-lake-stream-${dead}-kill09`);
    await mkdir(abandoned);
    await writeFile(join(abandoned, '77.spool'), 'half a transaction');
    const spool = newSpool();
    await spool.append(TOP, TOP, payload('a1'));
    expect(await filesBelow(parent)).toEqual([`${TOP}.spool`]);
    expect((await readdir(parent)).every((name) => name.startsWith(`invoice-lake-stream-${process.pid}-`))).toBe(true);
  });

  it('replays the changes of a transaction in the order they were appended, across segments', async () => {
    const spool = newSpool();
    await spool.append(TOP, TOP, payload('a1'));
    await spool.append(TOP, SUB_A, payload('a2'));
    await spool.endSegment();
    await spool.append(TOP, SUB_B, payload('a3'));
    await spool.endSegment();
    expect(await replayed(spool, TOP)).toEqual([
      { subXid: TOP, text: 'a1' },
      { subXid: SUB_A, text: 'a2' },
      { subXid: SUB_B, text: 'a3' },
    ]);
  });

  it('keeps interleaved transactions apart', async () => {
    const spool = newSpool();
    await spool.append(1, 1, payload('one-1'));
    await spool.endSegment();
    await spool.append(2, 2, payload('two-1'));
    await spool.endSegment();
    await spool.append(1, 1, payload('one-2'));
    await spool.endSegment();
    expect((await replayed(spool, 2)).map((c) => c.text)).toEqual(['two-1']);
    expect((await replayed(spool, 1)).map((c) => c.text)).toEqual(['one-1', 'one-2']);
  });

  it('a subtransaction abort drops exactly that subtransaction’s changes, even while its segment is open', async () => {
    const spool = newSpool();
    await spool.append(TOP, TOP, payload('keep-1'));
    await spool.append(TOP, SUB_A, payload('drop-1'));
    await spool.append(TOP, SUB_B, payload('keep-2'));
    await spool.abort(TOP, SUB_A);
    await spool.append(TOP, SUB_A, payload('drop-2'));
    await spool.append(TOP, TOP, payload('keep-3'));
    await spool.endSegment();
    expect((await replayed(spool, TOP)).map((c) => c.text)).toEqual(['keep-1', 'keep-2', 'keep-3']);
  });

  it('a top-level abort leaves nothing: no file, no replay', async () => {
    const spool = newSpool();
    await spool.append(TOP, TOP, payload('x'));
    await spool.endSegment();
    await spool.append(TOP, SUB_A, payload('y'));
    expect(await filesBelow(parent)).toHaveLength(1);
    await spool.abort(TOP, TOP);
    expect(spool.openTransactions).toBe(0);
    expect(await filesBelow(parent)).toEqual([]);
    expect(await replayed(spool, TOP)).toEqual([]);
  });

  it('removes the file after the replay, and the directory on close', async () => {
    const spool = newSpool();
    await spool.append(TOP, TOP, payload('x'));
    await spool.endSegment();
    expect(await filesBelow(parent)).toEqual([`${TOP}.spool`]);
    await replayed(spool, TOP);
    expect(await filesBelow(parent)).toEqual([]);
    expect(await readdir(parent)).toHaveLength(1);
    await spool.close();
    expect(await readdir(parent)).toEqual([]);
  });

  it('removes the file when a replay is abandoned half way', async () => {
    const spool = newSpool();
    for (let i = 0; i < 10; i++) await spool.append(TOP, TOP, payload(`c${i}`));
    for await (const change of spool.replay(TOP)) {
      expect(change.bytes.toString()).toBe('c0');
      break;
    }
    expect(await filesBelow(parent)).toEqual([]);
  });

  it('round-trips many changes across chunk boundaries, including one larger than a chunk', async () => {
    const spool = newSpool();
    const expected: string[] = [];
    for (let i = 0; i < 40_000; i++) {
      const text = `${i}:`.padEnd(20 + (i % 97), 'x');
      expected.push(text);
      const pending = spool.append(TOP, i % 3 === 0 ? SUB_A : TOP, payload(text));
      if (pending) await pending;
      if (i === 20_000) {
        const big = 'B'.repeat(SPOOL_CHUNK_BYTES + 123);
        expected.push(big);
        await spool.append(TOP, TOP, payload(big));
      }
      if (i % 5_000 === 4_999) await spool.endSegment();
    }
    const texts = (await replayed(spool, TOP)).map((c) => c.text);
    expect(texts.length).toBe(expected.length);
    expect(texts).toEqual(expected);
  });
});

describe('delivery of a streamed transaction to the handler', () => {
  const TOP_XID = 700;
  const SUB_XID = 701;
  const row = (id: string) => [id, '2026-01-01 00:00:00+00', '1', '2', '1.00'];
  const streamed = (xid: number, id: string) => new Message().byte('I').int32(xid).int32(INVOICES_OID).byte('N').tuple(row(id)).build();
  const plain = (id: string) => new Message().byte('I').int32(INVOICES_OID).byte('N').tuple(row(id)).build();

  it('replays it whole at its commit position, without the aborted subtransaction, between ordinary transactions', async () => {
    const decoder = new PgoutputDecoder();
    const parent = await mkdtemp(join(tmpdir(), 'spool-test-'));
    const spool = new StreamedTransactions({ parent });
    const received: ChangeMessage[] = [];
    const handler = async (message: ChangeMessage) => {
      await new Promise((resolve) => setImmediate(resolve));
      received.push(message);
    };
    const wire = [
      relationMessage(),
      new Message().byte('S').int32(TOP_XID).int8(1).build(),
      relationMessage(INVOICES_OID, 'd', 'public', 'invoices', TOP_XID),
      streamed(TOP_XID, '1'),
      streamed(SUB_XID, '900'),
      new Message().byte('E').build(),
      // an ordinary transaction committing while the big one is still open
      new Message().byte('B').uint64(0x100n).int64(0n).int32(800).build(),
      plain('50'),
      new Message().byte('C').int8(0).uint64(0x100n).uint64(0x110n).int64(0n).build(),
      new Message().byte('S').int32(TOP_XID).int8(0).build(),
      streamed(SUB_XID, '901'),
      streamed(TOP_XID, '2'),
      new Message().byte('E').build(),
      new Message().byte('A').int32(TOP_XID).int32(SUB_XID).build(),
      new Message().byte('c').int32(TOP_XID).int8(0).uint64(0x200n).uint64(0x210n).int64(5n).build(),
      new Message().byte('B').uint64(0x300n).int64(0n).int32(801).build(),
      plain('60'),
      new Message().byte('C').int8(0).uint64(0x300n).uint64(0x310n).int64(0n).build(),
    ];
    try {
      for (const bytes of wire) {
        const pending = deliver(decoder.decode(bytes), spool, handler);
        if (pending) await pending;
      }
      expect(await filesBelow(parent)).toEqual([]);
    } finally {
      await spool.close();
      await rm(parent, { recursive: true, force: true });
    }
    const summary = received.map((m) =>
      m.kind === 'insert' ? `insert ${m.values[0]}` : m.kind === 'begin' ? `begin ${m.xid} ${m.finalLsn}` : m.kind === 'commit' ? `commit ${m.commitLsn} ${m.endLsn}` : m.kind,
    );
    expect(summary).toEqual([
      'relation',
      'begin 800 256',
      'insert 50',
      'commit 256 272',
      'begin 700 512',
      'relation',
      'insert 1',
      'insert 2',
      'commit 512 528',
      'begin 801 768',
      'insert 60',
      'commit 768 784',
    ]);
    expect(received[4]).toMatchObject({ commitTimeMicros: 946_684_800_000_005n });
  });
});
