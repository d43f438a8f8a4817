import { describe, expect, it } from 'vitest';
import type { ChangeMessage, Relation } from '../../../src/source/change-source.ts';
import type { Lsn } from '../../../src/source/lsn.ts';
import { DurableStream, type DurableStreamOptions, type StreamCheckpoint } from '../../../src/pipeline/durable-stream.ts';
import { FakeChangeSource } from './fake-change-source.ts';
import { MemorySink, type MemoryCommit } from './memory-sink.ts';
import { ManualClock } from './manual-clock.ts';

const INVOICES: Relation = { oid: 16384, schema: 'public', name: 'invoices', replicaIdentity: 'default', columns: [] };

/** Transaction `n`: its commit record at n·100, its end at n·100 + 10. */
const commitLsn = (n: number): Lsn => BigInt(n * 100);
const endLsn = (n: number): Lsn => BigInt(n * 100 + 10);

function begin(n: number): ChangeMessage {
  return { kind: 'begin', finalLsn: commitLsn(n), commitTimeMicros: BigInt(n), xid: n };
}
function insert(id: number): ChangeMessage {
  return { kind: 'insert', relation: INVOICES, values: [String(id)] };
}
function commit(n: number): ChangeMessage {
  return { kind: 'commit', commitLsn: commitLsn(n), endLsn: endLsn(n), commitTimeMicros: BigInt(n) };
}
/** A whole transaction `n` with `rows` inserts. */
function transaction(n: number, rows = 1): ChangeMessage[] {
  return [begin(n), ...Array.from({ length: rows }, (_, i) => insert(n * 1000 + i)), commit(n)];
}
const keepalive = (walEnd: Lsn): ChangeMessage => ({ kind: 'keepalive', walEnd });

/** Lets every promise chain run; nothing in these tests waits for real time. */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
}

function start(options: Partial<DurableStreamOptions> = {}, checkpoint?: StreamCheckpoint) {
  const source = new FakeChangeSource();
  const sink = new MemorySink();
  const clock = new ManualClock();
  /** Acknowledgements beyond what had landed when they were made. */
  const early: Lsn[] = [];
  const reports: MemoryCommit[] = [];
  const stream = new DurableStream(
    { source, sink, clock, checkpoint },
    { maxDelayMs: 1000, confirmedLsn: 0n, ...options },
    {
      onCommit: (report) => reports.push(report),
      onAcknowledge: (lsn) => {
        if (lsn > sink.durableUpTo && sink.pendingRows > 0) early.push(lsn);
      },
    },
  );
  const outcome: { settled: boolean; error?: unknown } = { settled: false };
  const running = stream.run().then(
    () => void (outcome.settled = true),
    (error: unknown) => {
      outcome.settled = true;
      outcome.error = error;
    },
  );
  return { source, sink, clock, stream, running, outcome, early, reports };
}

describe('the durable stream', () => {
  it('commits only at a transaction boundary, even when the delay elapses mid-transaction', async () => {
    const { source, sink, clock, stream, running } = start({ maxDelayMs: 1000 });
    source.push(begin(1), insert(1));
    await settle();
    clock.advance(5000);
    await settle();
    expect(sink.commits).toHaveLength(0);

    source.push(insert(2), commit(1), begin(2), insert(3));
    await settle();
    // The delay had elapsed: the boundary at the end of transaction 1 commits both of its rows, nothing of transaction 2.
    expect(sink.commits.map((c) => c.lsn)).toEqual([endLsn(1)]);
    expect(sink.commits[0]!.changes).toHaveLength(2);
    clock.advance(5000);
    await settle();
    expect(sink.commits).toHaveLength(1);

    source.push(commit(2));
    await settle();
    expect(sink.commits.map((c) => c.lsn)).toEqual([endLsn(1), endLsn(2)]);
    stream.requestStop();
    await running;
  });

  it('commits at the boundary once the delay has elapsed on the injected clock, not before', async () => {
    const { source, sink, clock, stream, running } = start({ maxDelayMs: 1000 });
    source.push(...transaction(1));
    await settle();
    clock.advance(999);
    await settle();
    expect(sink.commits).toHaveLength(0);
    expect(source.acknowledged).toEqual([]);
    clock.advance(1);
    await settle();
    expect(sink.commits.map((c) => c.lsn)).toEqual([endLsn(1)]);
    expect(source.acknowledged).toEqual([endLsn(1)]);
    stream.requestStop();
    await running;
  });

  it('acknowledges a commit only after it landed, and never beyond the landed commit', async () => {
    const { source, sink, stream, running, early } = start({ maxDelayMs: 0 });
    sink.hangCommits = true;
    source.push(...transaction(1));
    await settle();
    expect(sink.commits.map((c) => c.lsn)).toEqual([endLsn(1)]);
    expect(source.acknowledged).toEqual([]);

    source.push(...transaction(2));
    await settle();
    expect(sink.commits.map((c) => c.lsn)).toEqual([endLsn(1), endLsn(2)]);
    // The second commit is ready, but commits land in order: nothing is acknowledged yet.
    sink.commits[1]!.land();
    await settle();
    expect(source.acknowledged).toEqual([]);

    sink.commits[0]!.land();
    await settle();
    expect(source.acknowledged).toEqual([endLsn(1), endLsn(2)]);
    expect(early).toEqual([]);
    stream.requestStop();
    await running;
  });

  it('stops at the landed commit while a later one is still landing', async () => {
    const { source, sink, stream, running, early } = start({ maxDelayMs: 0 });
    sink.hangCommits = true;
    source.push(...transaction(1), ...transaction(2));
    await settle();
    sink.commits[0]!.land();
    await settle();
    expect(source.acknowledged).toEqual([endLsn(1)]);
    expect(early).toEqual([]);
    sink.commits[1]!.land();
    await settle();
    expect(source.acknowledged).toEqual([endLsn(1), endLsn(2)]);
    stream.requestStop();
    await running;
  });

  it('acknowledges keepalive positions while idle, and not while something is pending or landing', async () => {
    const { source, sink, clock, stream, running } = start({ maxDelayMs: 1000 });
    source.push(keepalive(500n));
    await settle();
    expect(source.acknowledged).toEqual([500n]);

    source.push(...transaction(6), keepalive(700n));
    await settle();
    expect(source.acknowledged).toEqual([500n]);

    sink.hangCommits = true;
    clock.advance(1000);
    await settle();
    expect(sink.commits.map((c) => c.lsn)).toEqual([endLsn(6)]);
    source.push(keepalive(750n));
    await settle();
    expect(source.acknowledged).toEqual([500n]);

    sink.commits[0]!.land();
    await settle();
    expect(source.acknowledged).toEqual([500n, endLsn(6)]);
    source.push(keepalive(800n));
    await settle();
    expect(source.acknowledged).toEqual([500n, endLsn(6), 800n]);
    stream.requestStop();
    await running;
  });

  it('ignores a keepalive inside a transaction', async () => {
    const { source, stream, running } = start({ maxDelayMs: 1000 });
    source.push(begin(1), keepalive(900n));
    await settle();
    expect(source.acknowledged).toEqual([]);
    source.push(insert(1), commit(1));
    stream.requestStop();
    await running;
    expect(source.acknowledged).toEqual([endLsn(1)]);
  });

  it('keeps at most two commits in flight; a third waits for the oldest to land', async () => {
    const { source, sink, stream, running } = start({ maxDelayMs: 0 });
    sink.hangCommits = true;
    source.push(...transaction(1), ...transaction(2), ...transaction(3));
    await settle();
    expect(sink.commits.map((c) => c.lsn)).toEqual([endLsn(1), endLsn(2)]);
    // The third transaction's commit message is still being handled: the source is held back.
    expect(source.delivered).toBe(8);

    sink.commits[0]!.land();
    await settle();
    expect(sink.commits.map((c) => c.lsn)).toEqual([endLsn(1), endLsn(2), endLsn(3)]);
    expect(source.delivered).toBe(9);
    sink.hangCommits = false;
    sink.commits[1]!.land();
    sink.commits[2]!.land();
    stream.requestStop();
    await running;
    expect(source.acknowledged.at(-1)).toBe(endLsn(3));
  });

  it('stops gracefully: finishes the open transaction, commits it, acknowledges, then stops the source', async () => {
    const { source, sink, clock, stream, running, outcome } = start({ maxDelayMs: 60_000 });
    sink.hangCommits = true;
    source.push(...transaction(1), begin(2), insert(2));
    await settle();
    stream.requestStop();
    await settle();
    expect(sink.commits).toHaveLength(0);
    expect(source.stopped).toBe(false);

    source.push(insert(3), commit(2));
    await settle();
    expect(sink.commits.map((c) => [c.lsn, c.changes.length])).toEqual([[endLsn(2), 3]]);
    // The source stops only once the commit landed and was acknowledged.
    expect(source.stopped).toBe(false);
    expect(outcome.settled).toBe(false);

    sink.commits[0]!.land();
    await running;
    expect(outcome.error).toBeUndefined();
    expect(source.acknowledged).toEqual([endLsn(2)]);
    expect(source.stopped).toBe(true);
    expect(clock.activeTimers).toBe(0);
  });

  it('in batch mode, commits and stops once the transaction reaching stopAtLsn is durable', async () => {
    const { source, sink, stream, running, outcome } = start({ maxDelayMs: 60_000, stopAtLsn: 250n });
    source.push(...transaction(1), ...transaction(2));
    await settle();
    expect(sink.commits).toHaveLength(0);
    expect(outcome.settled).toBe(false);

    source.push(...transaction(3));
    await running;
    expect(outcome.error).toBeUndefined();
    expect(sink.commits.map((c) => c.lsn)).toEqual([endLsn(3)]);
    expect(source.acknowledged).toEqual([endLsn(3)]);
    expect(source.stopped).toBe(true);
    void stream;
  });

  it('in batch mode with nothing to do, asks for keepalives and stops once one passes stopAtLsn', async () => {
    const { source, clock, running, outcome } = start({ maxDelayMs: 1000, stopAtLsn: 500n, confirmedLsn: 300n });
    clock.advance(250);
    await settle();
    expect(source.keepaliveRequests).toBe(1);
    source.push(keepalive(400n));
    await settle();
    expect(source.acknowledged).toEqual([400n]);
    expect(outcome.settled).toBe(false);

    source.push(keepalive(520n));
    await running;
    expect(outcome.error).toBeUndefined();
    expect(source.acknowledged).toEqual([400n, 520n]);
    expect(source.stopped).toBe(true);
  });

  it('fails the run when a commit fails, and acknowledges nothing after it', async () => {
    const { source, sink, running, outcome } = start({ maxDelayMs: 0 });
    sink.hangCommits = true;
    source.push(...transaction(1), ...transaction(2));
    await settle();
    sink.commits[0]!.land();
    await settle();
    expect(source.acknowledged).toEqual([endLsn(1)]);

    source.push(...transaction(3));
    await settle();
    expect(sink.commits.map((c) => c.lsn)).toEqual([endLsn(1), endLsn(2), endLsn(3)]);
    sink.commits[1]!.fail(new Error('disk on fire'));
    sink.commits[2]!.land();
    source.push(...transaction(4), keepalive(900n));
    await running;
    expect(outcome.error).toBeInstanceOf(Error);
    expect((outcome.error as Error).message).toBe('disk on fire');
    expect(source.acknowledged).toEqual([endLsn(1)]);
    expect(source.stopped).toBe(true);
  });

  it('fails the run when a commit fails in the background with nothing else arriving', async () => {
    const { source, sink, running, outcome } = start({ maxDelayMs: 0 });
    sink.hangCommits = true;
    source.push(...transaction(1));
    await settle();
    sink.commits[0]!.fail(new Error('bucket gone'));
    await running;
    expect((outcome.error as Error | undefined)?.message).toBe('bucket gone');
    expect(source.acknowledged).toEqual([]);
    expect(source.stopped).toBe(true);
  });

  it('commits after a spill at the end of the spilling transaction, not inside it', async () => {
    const { source, sink, stream, running } = start({ maxDelayMs: 60_000 });
    sink.spillAtRows = 3;
    source.push(begin(1), insert(1), insert(2), insert(3), insert(4));
    await settle();
    expect(sink.hasSpilled).toBe(true);
    expect(sink.commits).toHaveLength(0);
    source.push(insert(5), commit(1));
    await settle();
    expect(sink.commits.map((c) => [c.lsn, c.changes.length])).toEqual([[endLsn(1), 5]]);
    expect(source.acknowledged).toEqual([endLsn(1)]);
    stream.requestStop();
    await running;
  });

  it('discardUncommitted drops the sink’s work and goes back to the acknowledged position', async () => {
    const { source, sink, clock, stream, running } = start({ maxDelayMs: 1000 });
    source.push(...transaction(1));
    await settle();
    clock.advance(1000);
    await settle();
    expect(source.acknowledged).toEqual([endLsn(1)]);

    source.push(...transaction(2), begin(3), insert(3));
    await settle();
    expect(sink.pendingRows).toBe(2);
    stream.discardUncommitted();
    expect(sink.discards).toBe(1);
    expect(sink.pendingRows).toBe(0);
    expect(stream.acknowledgedLsn).toBe(endLsn(1));

    // Transaction 2 was dropped: stopping must not acknowledge it (the server resends it).
    stream.requestStop();
    await running;
    expect(source.acknowledged).toEqual([endLsn(1)]);
    expect(sink.commits).toHaveLength(1);
  });

  it('lets a pending model change take over only when the catch-up commit has landed', async () => {
    const calls: string[] = [];
    let changePending = false;
    const harness = start(
      { maxDelayMs: 60_000 },
      {
        changePending: async () => changePending,
        idle: async () => {
          calls.push(`idle pending=${harness.sink.pendingRows} committing=${harness.sink.committing}`);
          changePending = false;
        },
        afterCommit: async () => {
          calls.push(`afterCommit acknowledged=${harness.source.lastAcknowledged}`);
        },
      },
    );
    const { source, sink, stream, running } = harness;
    sink.hangCommits = true;
    source.push(...transaction(1));
    await settle();
    expect(sink.commits).toHaveLength(0);

    changePending = true;
    source.push(...transaction(2), ...transaction(3));
    await settle();
    expect(sink.commits.map((c) => c.lsn)).toEqual([endLsn(2)]);
    expect(calls).toEqual([]);
    // Transaction 3 waits until the model changed at the boundary after transaction 2.
    expect(sink.endedTransactions).toEqual([commitLsn(1), commitLsn(2)]);

    sink.commits[0]!.land();
    await settle();
    expect(calls).toEqual([`afterCommit acknowledged=${endLsn(2)}`, 'idle pending=0 committing=false']);
    expect(sink.endedTransactions).toEqual([commitLsn(1), commitLsn(2), commitLsn(3)]);
    sink.hangCommits = false;
    stream.requestStop();
    await running;
  });

  it('passes relations to the sink and rejects a row change outside a transaction', async () => {
    const { source, sink, running, outcome } = start();
    source.push({ kind: 'relation', relation: INVOICES }, { kind: 'ignored', tag: 'origin' }, insert(1));
    await running;
    expect(sink.relations).toEqual([INVOICES]);
    expect((outcome.error as Error).message).toBe('pgoutput: insert outside a transaction');
  });
});
