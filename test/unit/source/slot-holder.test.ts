import { describe, expect, it } from 'vitest';
import { holderLiveness, replicationApplicationName, STALE_AFTER_MS, type SlotHolder } from '../../../src/source/slot-holder.ts';

const holder = (applicationName: string, silentForMs: number | null = 1000): SlotHolder => ({ pid: 77, applicationName, clientAddress: '127.0.0.1:5000', silentForMs });

describe('slot holder liveness', () => {
  const here = (alive: boolean) => ({ host: 'box-1', isAlive: () => alive });

  it('our own process on this host that no longer runs is stale', () => {
    const liveness = holderLiveness(holder(replicationApplicationName('box-1', 4242)), here(false));
    expect(liveness).toEqual({ stale: true, reason: expect.stringContaining('4242') });
  });

  it('our own process that still runs is live', () => {
    expect(holderLiveness(holder(replicationApplicationName('box-1', 4242)), here(true)).stale).toBe(false);
  });

  it('a process on another host is judged by its replies, never by a local pid', () => {
    expect(holderLiveness(holder(replicationApplicationName('box-2', 4242)), here(false)).stale).toBe(false);
    expect(holderLiveness(holder(replicationApplicationName('box-2', 4242), STALE_AFTER_MS + 1), here(true)).stale).toBe(true);
  });

  it('a foreign client (pg_recvlogical) is live while it replies', () => {
    expect(holderLiveness(holder('pg_recvlogical'), here(false)).stale).toBe(false);
    expect(holderLiveness(holder('pg_recvlogical', null), here(false)).stale).toBe(false);
  });

  it('the application name fits PostgreSQL 63 bytes with a long host name', () => {
    const name = replicationApplicationName('h'.repeat(200), 123456);
    expect(name.length).toBeLessThanOrEqual(63);
    expect(name.endsWith('/123456')).toBe(true);
    expect(holderLiveness(holder(name), { host: 'h'.repeat(200), isAlive: () => false }).stale).toBe(true);
  });
});
