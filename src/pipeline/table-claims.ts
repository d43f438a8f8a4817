import type { LakeTable, LoadedTable } from '../lake/lake-table.ts';
import type { WriterClaim } from '../lake/writer-fence.ts';
import type { ChangeSource } from '../source/change-source.ts';

/**
 * This process's claims on the stream's lake tables (writer-fence.ts).
 *
 * The tables are claimed once per process, and only once the replication
 * slot is ours: when the first message arrives, START_REPLICATION has
 * succeeded, so a second process that finds the slot busy never fences the
 * one that streams. Reconnects keep the claims; a takeover by a newer writer
 * is then seen by `LakeWriter.open` or at the next commit.
 */
export class TableClaims {
  readonly #tables: LakeTable[];
  readonly #writerId: string;
  readonly #claims = new Map<string, WriterClaim>();

  constructor(tables: LakeTable[], writerId: string) {
    this.#tables = tables;
    this.#writerId = writerId;
  }

  get writerId(): string {
    return this.#writerId;
  }

  /** Empty until the first claim. */
  get claims(): ReadonlyMap<string, WriterClaim> {
    return this.#claims;
  }

  get claimed(): boolean {
    return this.#claims.size > 0;
  }

  /** Claims every table (the next epoch each) and returns them as claimed. */
  async claim(): Promise<Map<string, { claim: WriterClaim; table: LoadedTable }>> {
    const claimed = new Map<string, { claim: WriterClaim; table: LoadedTable }>();
    for (const table of this.#tables) {
      const result = await table.claimWriter(this.#writerId);
      claimed.set(table.definition.name, result);
    }
    for (const [name, { claim }] of claimed) this.#claims.set(name, claim);
    return claimed;
  }
}

/**
 * A source that runs `beforeFirst` (awaited, so nothing is handled before
 * it) when its first message arrives: the moment the slot is known to be ours.
 */
export function onFirstMessage(source: ChangeSource, beforeFirst: () => Promise<void>): ChangeSource {
  let first = true;
  return {
    run: (handler) =>
      // Synchronous after the first message: this wrapper sits on the hot path.
      source.run((message) => {
        if (!first) return handler(message);
        first = false;
        return beforeFirst().then(() => handler(message));
      }),
    acknowledge: (lsn) => source.acknowledge(lsn),
    requestKeepalive: () => source.requestKeepalive(),
    stop: () => source.stop(),
  };
}
