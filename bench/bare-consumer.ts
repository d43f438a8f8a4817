/**
 * The baseline: a bare Node.js consumer of the same slot data that only
 * receives pgoutput messages and acknowledges each commit, with the same
 * library (pg-logical-replication) and no decoding, batching or lake.
 * Usage: bare-consumer.ts <database-url> <slot> <publication> <stop-at-lsn>
 */
import { LogicalReplicationService } from 'pg-logical-replication';
import type { Client } from 'pg';
import { formatLsn, parseLsn } from '../src/source/lsn.ts';

const [url, slot, publication, stopAt] = process.argv.slice(2) as [string, string, string, string];
const target = parseLsn(stopAt);
const service = new LogicalReplicationService({ connectionString: url }, { acknowledge: { auto: false, timeoutSeconds: 0 } });
let commits = 0;
let rows = 0;
let done = false;
const finish = async () => {
  if (done) return;
  done = true;
  clearInterval(ping);
  await service.stop();
  process.stdout.write(`${JSON.stringify({ commits, rows })}\n`);
  process.exitCode = 0;
  process.exit(0);
};
service.on('data', (lsn: string, message: Buffer) => {
  const tag = message[0];
  if (tag === 0x49) rows++;
  if (tag === 0x43) {
    commits++;
    // Commit: tag, flags, commit LSN (bytes 2-9), end LSN (bytes 10-17), timestamp.
    const endLsn = message.readBigUInt64BE(10);
    void service.acknowledge(formatLsn(endLsn - 1n));
    if (endLsn >= target) void finish();
  }
});
service.on('heartbeat', (lsn: string) => {
  if (parseLsn(lsn) >= target) void finish();
});
const ping = setInterval(() => void service.acknowledge(service.lastLsn(), true), 250);
const rawPlugin = {
  name: 'pgoutput',
  options: {},
  parse: (buffer: Buffer) => buffer,
  start: (client: Client, slotName: string, lastLsn: string) =>
    client.query(`START_REPLICATION SLOT "${slotName}" LOGICAL ${lastLsn} (proto_version '1', publication_names '${publication}')`),
};
await service.subscribe(rawPlugin as never, slot);
