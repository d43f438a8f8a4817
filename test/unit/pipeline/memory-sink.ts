import type { Relation } from '../../../src/source/change-source.ts';
import type { Lsn } from '../../../src/source/lsn.ts';
import type { ChangeSink, OpenTransaction, SinkChange } from '../../../src/pipeline/change-sink.ts';

/** One commit the stream started; a test lands or fails it when the sink hangs commits. */
export interface MemoryCommit {
  lsn: Lsn;
  commitTimeMicros: bigint;
  /** The changes it took, as accepted. */
  changes: Array<{ change: SinkChange; txn: OpenTransaction }>;
  state: 'landing' | 'landed' | 'failed';
  land(): void;
  fail(error: Error): void;
}

/**
 * A ChangeSink in memory with the lake writer's contract: a commit takes the
 * accepted changes at once, commits land in the order they started, a failed
 * commit fails every later one until `discard()`, and a discarded commit
 * never lands. `hangCommits` makes commits wait for the test's `land()`.
 */
export class MemorySink implements ChangeSink<MemoryCommit> {
  hangCommits = false;
  /** `hasSpilled` turns true once this many changes are fresh (spilling is a no-op otherwise). */
  spillAtRows = Number.POSITIVE_INFINITY;
  readonly commits: MemoryCommit[] = [];
  /** What landed, in order: the sink's durable state. */
  readonly durable: Array<{ change: SinkChange; txn: OpenTransaction }> = [];
  readonly endedTransactions: Lsn[] = [];
  readonly relations: Relation[] = [];
  discards = 0;
  #fresh: Array<{ change: SinkChange; txn: OpenTransaction }> = [];
  #spilled = false;
  #committingRows = 0;
  #chain: Promise<unknown> = Promise.resolve();
  #failure: unknown;
  #generation = 0;

  relation(relation: Relation): void {
    this.relations.push(relation);
  }

  accept(change: SinkChange, txn: OpenTransaction): boolean {
    this.#fresh.push({ change, txn });
    return true;
  }

  async endTransaction(txn: OpenTransaction): Promise<void> {
    this.endedTransactions.push(txn.commitLsn);
  }

  async spillIfFull(): Promise<void> {
    if (this.#fresh.length >= this.spillAtRows) this.#spilled = true;
  }

  get pendingRows(): number {
    return this.#fresh.length + this.#committingRows;
  }

  get freshRows(): number {
    return this.#fresh.length;
  }

  get hasSpilled(): boolean {
    return this.#spilled;
  }

  get committing(): boolean {
    return this.#committingRows > 0;
  }

  commit(boundary: { lsn: Lsn; commitTimeMicros: bigint }): Promise<MemoryCommit> {
    const changes = this.#fresh;
    this.#fresh = [];
    this.#spilled = false;
    this.#committingRows += changes.length;
    const generation = this.#generation;
    let settle!: (error?: Error) => void;
    const outcome = new Promise<void>((resolve, reject) => (settle = (error) => (error ? reject(error) : resolve())));
    const commit: MemoryCommit = {
      ...boundary,
      changes,
      state: 'landing',
      land: () => settle(),
      fail: (error) => settle(error),
    };
    this.commits.push(commit);
    if (!this.hangCommits) commit.land();
    const landed = this.#chain.then(async () => {
      if (this.#failure !== undefined) throw this.#failure;
      try {
        await outcome;
        if (generation !== this.#generation) throw new Error('the commit was discarded');
      } catch (error) {
        commit.state = 'failed';
        if (generation === this.#generation) this.#failure ??= error;
        throw error;
      }
      commit.state = 'landed';
      this.durable.push(...changes);
      this.#committingRows -= changes.length;
      return commit;
    });
    this.#chain = landed.catch(() => undefined);
    return landed;
  }

  async settled(): Promise<void> {
    await this.#chain;
  }

  discard(): void {
    this.discards++;
    this.#generation++;
    this.#fresh = [];
    this.#spilled = false;
    this.#committingRows = 0;
    this.#failure = undefined;
  }

  /** The highest commit LSN among durable changes (0 when nothing landed). */
  get durableUpTo(): Lsn {
    return this.commits.filter((c) => c.state === 'landed').reduce((max, c) => (c.lsn > max ? c.lsn : max), 0n);
  }
}
