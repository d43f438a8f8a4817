import { hostname } from 'node:os';
import type pg from 'pg';

/**
 * Who streams a replication slot, and whether that holder is still alive.
 *
 * After kill -9 the walsender of the dead process can linger until the
 * server notices the broken connection (up to `wal_sender_timeout`, 60 s by
 * default), holding the slot. A restart must not wait for that, and must
 * not take the slot from a live process either. Our replication connections
 * name themselves `invoice-lake/<host>/<pid>` (application_name), and send a
 * status update every 10 s, so a holder is stale when it is ours on this
 * host and its pid is gone, or when it has not replied for much longer than that.
 */
export interface SlotHolder {
  pid: number;
  applicationName: string;
  clientAddress: string | null;
  /** Milliseconds since the holder's last status reply (or since it connected), null when unknown. */
  silentForMs: number | null;
}

const APPLICATION_PREFIX = 'invoice-lake/';

/** `application_name` of this process's replication connections (PostgreSQL keeps 63 bytes). */
export function replicationApplicationName(host = hostname(), pid = process.pid): string {
  const suffix = `/${pid}`;
  return `${APPLICATION_PREFIX}${host.slice(0, 63 - APPLICATION_PREFIX.length - suffix.length)}${suffix}`;
}

/** A holder silent this long has stopped sending status updates (we send one every 10 s). */
export const STALE_AFTER_MS = 45_000;

export type Liveness = { stale: false } | { stale: true; reason: string };

/** Whether `holder` is a leftover of a process that is gone. */
export function holderLiveness(holder: SlotHolder, here: { host: string; isAlive(pid: number): boolean }): Liveness {
  const ours = parseApplicationName(holder.applicationName);
  if (ours && ours.host === here.host.slice(0, ours.host.length) && !here.isAlive(ours.pid)) {
    return { stale: true, reason: `process ${ours.pid} on this host (${ours.host}) no longer runs` };
  }
  if (holder.silentForMs !== null && holder.silentForMs > STALE_AFTER_MS) {
    return { stale: true, reason: `no status reply for ${Math.round(holder.silentForMs / 1000)} s` };
  }
  return { stale: false };
}

function parseApplicationName(name: string): { host: string; pid: number } | undefined {
  if (!name.startsWith(APPLICATION_PREFIX)) return undefined;
  const rest = name.slice(APPLICATION_PREFIX.length);
  const slash = rest.lastIndexOf('/');
  const pid = Number(rest.slice(slash + 1));
  if (slash <= 0 || !Number.isInteger(pid) || pid <= 0) return undefined;
  return { host: rest.slice(0, slash), pid };
}

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The process streaming `slotName` now, or undefined when the slot is free (or missing). */
export async function readSlotHolder(client: pg.ClientBase, slotName: string): Promise<SlotHolder | undefined> {
  const row = (
    await client.query<{ pid: number; application_name: string | null; client_addr: string | null; client_port: number | null; silent_ms: string | null }>(
      `SELECT s.active_pid AS pid, r.application_name, r.client_addr::text AS client_addr, r.client_port,
              (EXTRACT(EPOCH FROM (clock_timestamp() - COALESCE(r.reply_time, r.backend_start))) * 1000)::bigint::text AS silent_ms
         FROM pg_replication_slots s LEFT JOIN pg_stat_replication r ON r.pid = s.active_pid
        WHERE s.slot_name = $1 AND s.active`,
      [slotName],
    )
  ).rows[0];
  if (!row) return undefined;
  return {
    pid: row.pid,
    applicationName: row.application_name ?? '',
    clientAddress: row.client_addr === null ? null : `${row.client_addr}${row.client_port ? `:${row.client_port}` : ''}`,
    silentForMs: row.silent_ms === null ? null : Number(row.silent_ms),
  };
}

export function describeHolder(holder: SlotHolder): string {
  const who = holder.applicationName ? `"${holder.applicationName}"` : 'a client';
  const from = holder.clientAddress ? ` from ${holder.clientAddress}` : '';
  return `${who}${from} (walsender pid ${holder.pid})`;
}

/** Ends a stale holder's walsender so the slot is free at once. */
export async function terminateHolder(client: pg.ClientBase, holder: SlotHolder): Promise<boolean> {
  const row = (await client.query<{ done: boolean }>('SELECT pg_terminate_backend($1) AS done', [holder.pid])).rows[0];
  return row?.done === true;
}
