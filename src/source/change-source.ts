import type { Lsn } from './lsn.ts';

/**
 * The contract between the replication source and the pipeline.
 *
 * Ordering: messages arrive in WAL commit order; a transaction is `begin`,
 * its changes, then `commit`, and only committed transactions are delivered.
 * (With pgoutput protocol 2 the server streams large transactions while they
 * are still in progress; the source keeps those on local disk and delivers
 * each one whole, at the position of its commit, so this contract does not
 * change.) A `keepalive` is delivered in order with the data, so when it
 * arrives every transaction that commits before `walEnd` was delivered.
 *
 * Durability: the source never confirms a position by itself. The pipeline
 * calls `acknowledge(lsn)` only after everything up to `lsn` is committed to
 * the lake; after a restart the server resumes from the last acknowledged
 * position, so delivery is at least once and the lake's per-table watermark
 * makes it exactly once.
 */
export interface ChangeSource {
  /** Streams from the slot until `stop()` or a fatal error; the handler is awaited (backpressure). */
  run(handler: ChangeHandler): Promise<void>;
  /** Confirms to the server that everything up to `lsn` is durable downstream. */
  acknowledge(lsn: Lsn): void;
  /** Asks the server for a keepalive so the caller learns the current WAL end soon. */
  requestKeepalive(): void;
  stop(): Promise<void>;
}

export type ChangeHandler = (message: ChangeMessage) => void | Promise<void>;

export interface RelationColumn {
  name: string;
  typeOid: number;
  typeMod: number;
  /** Part of the replica identity key. */
  isKey: boolean;
}

export interface Relation {
  oid: number;
  schema: string;
  name: string;
  replicaIdentity: 'default' | 'nothing' | 'full' | 'index';
  columns: RelationColumn[];
}

/**
 * A tuple in column order: text value, `null` for SQL NULL, `undefined`
 * for an unchanged TOASTed value PostgreSQL did not resend.
 */
export type TupleValues = Array<string | null | undefined>;

export type ChangeMessage =
  | { kind: 'begin'; finalLsn: Lsn; commitTimeMicros: bigint; xid: number }
  | { kind: 'commit'; commitLsn: Lsn; endLsn: Lsn; commitTimeMicros: bigint }
  | { kind: 'relation'; relation: Relation }
  | { kind: 'insert'; relation: Relation; values: TupleValues }
  | { kind: 'update'; relation: Relation; old: TupleValues | null; values: TupleValues }
  | { kind: 'delete'; relation: Relation; old: TupleValues }
  | { kind: 'truncate'; relations: Relation[]; cascade: boolean; restartIdentity: boolean }
  | { kind: 'keepalive'; walEnd: Lsn }
  | { kind: 'ignored'; tag: string };
