import { hostname } from 'node:os';
import type { TableMetadata } from './iceberg/spec-types.ts';
import { LakeError } from '../errors/lake-error.ts';

/**
 * One writer per lake table. A stream writer claims each table it writes by
 * committing these two table properties with the epoch one higher than the
 * table's; every later commit of that writer is a compare-and-swap on the
 * metadata location, so once a successor claims the table, an older writer's
 * commit loses the swap, reloads, sees a newer epoch and stops (fencing, as
 * Kafka's producer epochs or ZooKeeper's zxid). Properties live in the
 * Iceberg metadata, so other engines keep them and the catalog needs nothing
 * of its own.
 */
export const WRITER_EPOCH_PROPERTY = 'invoice-lake.writer-epoch';
export const WRITER_ID_PROPERTY = 'invoice-lake.writer-id';

export interface WriterClaim {
  /** Who claimed: `host/pid/slot`, shown to the operator of a fenced writer. */
  id: string;
  epoch: bigint;
}

/** `host/pid/slot` of this process streaming from `slotName`. */
export function writerIdFor(slotName: string): string {
  return `${hostname()}/${process.pid}/${slotName}`;
}

/** The claim recorded in a table's metadata, or undefined for a table nobody claimed. */
export function claimOf(metadata: TableMetadata): WriterClaim | undefined {
  const epoch = metadata.properties[WRITER_EPOCH_PROPERTY];
  if (epoch === undefined || !/^\d+$/.test(epoch)) return undefined;
  return { id: metadata.properties[WRITER_ID_PROPERTY] ?? 'unknown', epoch: BigInt(epoch) };
}

/** The properties of the next claim after `metadata`'s. */
export function nextClaim(metadata: TableMetadata, id: string): WriterClaim {
  return { id, epoch: (claimOf(metadata)?.epoch ?? 0n) + 1n };
}

export function claimProperties(claim: WriterClaim): Record<string, string> {
  return { [WRITER_EPOCH_PROPERTY]: String(claim.epoch), [WRITER_ID_PROPERTY]: claim.id };
}

/** Throws when `metadata` was claimed by a writer other than `claim`. */
export function checkClaim(table: string, metadata: TableMetadata, claim: WriterClaim): void {
  const current = claimOf(metadata);
  if (current?.epoch === claim.epoch && current.id === claim.id) return;
  throw fencedError(table, claim, current);
}

export function fencedError(table: string, claim: WriterClaim, current: WriterClaim | undefined): LakeError {
  const by = current ? `${current.id} (epoch ${current.epoch})` : 'a writer that removed the claim';
  return new LakeError('writer-fenced', `another writer took over lake table ${table}: ${by}; this writer (${claim.id}, epoch ${claim.epoch}) stops without committing`, {
    hint: 'one process writes a lake table at a time: stop the other deployment, or use `run --standby` for a second instance; this process committed nothing after the takeover and its slot keeps the changes',
  });
}
