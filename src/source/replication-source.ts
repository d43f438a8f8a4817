import { LogicalReplicationService } from 'pg-logical-replication';
import type { Client, ClientConfig } from 'pg';
import type { ChangeHandler, ChangeSource } from './change-source.ts';
import { decodeStreamedChange, PgoutputDecoder, type SourceMessage, type StreamMessage } from './pgoutput-decoder.ts';
import { StreamedTransactions } from './streamed-transactions.ts';
import { formatLsn, parseLsn, type Lsn } from './lsn.ts';
import { LakeError } from '../errors/lake-error.ts';
import { classifyPostgresError, isSlotInUse, isSlotInvalidated } from '../postgres/postgres-errors.ts';
import { replicationApplicationName } from './slot-holder.ts';

export interface ReplicationSourceOptions {
  connectionString: string;
  slotName: string;
  publicationName: string;
  /** Position to ask the server for; it resumes at max(this, the slot's confirmed_flush_lsn). */
  startLsn: Lsn;
  /**
   * How often a standby status update is sent even without new acknowledgements.
   * Must stay well under the server's `wal_sender_timeout` (60 s by default).
   */
  statusIntervalMs: number;
  /** Decoded messages waiting for the handler before the socket is paused. */
  maxQueuedMessages: number;
}

/**
 * A pgoutput change source over pg-logical-replication's connection handling.
 *
 * The library's own decoder, automatic acknowledgement and periodic
 * "acknowledge the last received LSN" timer are all turned off: confirming a
 * position that is not yet in the lake would lose data after a crash.
 *
 * On PostgreSQL 14 and later it asks for protocol 2 with streaming, so the
 * server sends a transaction larger than `logical_decoding_work_mem` while it
 * is still in progress instead of spilling it to its own disk. Those changes
 * are spooled to local files (streamed-transactions.ts) and, at the queue
 * position of their Stream Commit, replayed to the handler as one ordinary
 * transaction: the handler still sees only complete transactions in commit order.
 */
export class ReplicationSource implements ChangeSource {
  readonly #options: ReplicationSourceOptions;
  readonly #service: LogicalReplicationService;
  /** Messages waiting for the handler; `#head` is the next one (Array.shift is O(n) on long queues). */
  #queue: SourceMessage[] = [];
  #head = 0;
  #confirmedLsn: Lsn;
  #statusTimer: NodeJS.Timeout | undefined;
  #wake: (() => void) | undefined;
  #stopped = false;
  #paused = false;

  constructor(options: ReplicationSourceOptions) {
    this.#options = options;
    this.#confirmedLsn = options.startLsn;
    const clientConfig: ClientConfig = {
      connectionString: options.connectionString,
      // Names this process in pg_stat_replication, so a restart can tell a stale holder of the slot from a live one.
      application_name: replicationApplicationName(),
      // Text output of timestamptz must be ISO and in UTC for exact decoding (exact-values.ts).
      options: '-c DateStyle=ISO -c TimeZone=UTC -c extra_float_digits=3',
    };
    this.#service = new LogicalReplicationService(clientConfig, {
      acknowledge: { auto: false, timeoutSeconds: 0 },
      flowControl: { enabled: false },
    });
  }

  async run(handler: ChangeHandler): Promise<void> {
    const decoder = new PgoutputDecoder();
    const plugin = new ExactPgoutputPlugin(decoder, this.#options.publicationName);
    const spool = new StreamedTransactions();
    let failure: unknown;
    this.#service.on('data', (_lsn: string, message: SourceMessage) => this.#enqueue(message));
    this.#service.on('heartbeat', (lsn: string, _timestamp: number, shouldRespond: boolean) => {
      this.#enqueue({ kind: 'keepalive', walEnd: parseLsn(lsn) });
      if (shouldRespond) this.#sendStatus(false);
    });
    this.#service.on('error', (error: Error) => {
      failure ??= error;
      this.#wake?.();
    });
    this.#service.on('start', () => {
      this.#statusTimer = setInterval(() => this.#sendStatus(false), this.#options.statusIntervalMs);
    });

    const streaming = this.#service
      .subscribe(plugin, this.#options.slotName, formatLsn(this.#options.startLsn))
      .then(() => {
        // 08006: the stream ended without an error, as when the server goes away; transient.
        if (!this.#stopped) failure ??= Object.assign(new Error('the server ended the replication stream'), { code: '08006' });
      })
      .catch((error: unknown) => {
        failure ??= error;
      })
      .finally(() => this.#wake?.());

    try {
      while (true) {
        const message = this.#next();
        if (message) {
          if (this.#paused && this.#queued < this.#options.maxQueuedMessages / 2) this.#resume();
          const pending = deliver(message, spool, handler);
          if (pending) await pending;
          continue;
        }
        if (failure !== undefined && !this.#stopped) throw streamFailure(failure, this.#options.slotName);
        if (this.#stopped) return;
        await new Promise<void>((resolve) => (this.#wake = resolve));
        this.#wake = undefined;
      }
    } finally {
      clearInterval(this.#statusTimer);
      await this.#service.destroy().catch(() => undefined);
      await streaming;
      await spool.close();
    }
  }

  acknowledge(lsn: Lsn): void {
    if (lsn <= this.#confirmedLsn) return;
    this.#confirmedLsn = lsn;
    this.#sendStatus(false);
  }

  requestKeepalive(): void {
    this.#sendStatus(true);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#wake?.();
  }

  get #queued(): number {
    return this.#queue.length - this.#head;
  }

  #next(): SourceMessage | undefined {
    if (this.#head === this.#queue.length) {
      if (this.#head > 0) {
        this.#queue = [];
        this.#head = 0;
      }
      return undefined;
    }
    const message = this.#queue[this.#head]!;
    this.#queue[this.#head++] = undefined as never; // release it for the GC
    if (this.#head >= 4096 && this.#head * 2 >= this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
    return message;
  }

  #enqueue(message: SourceMessage): void {
    this.#queue.push(message);
    if (!this.#paused && this.#queued >= this.#options.maxQueuedMessages) this.#pause();
    this.#wake?.();
  }

  /**
   * Sends a standby status update with the durable position. The library adds 1
   * to the position it reports; reporting exactly the end LSN of the last
   * durable commit matters, because the next transaction's commit record may
   * start at that very LSN and the server skips commits that start below the
   * confirmed position.
   */
  #sendStatus(ping: boolean): void {
    if (this.#confirmedLsn <= 0n || this.#service.isStop()) return;
    void this.#service.acknowledge(formatLsn(this.#confirmedLsn - 1n), ping).catch(() => undefined);
  }

  #pause(): void {
    this.#paused = true;
    socketOf(this.#service)?.pause();
  }

  #resume(): void {
    this.#paused = false;
    socketOf(this.#service)?.resume();
  }
}

/**
 * The socket behind the replication connection. pg-logical-replication keeps
 * it private; its own flow-control mode pauses exactly this stream. Its mode
 * cannot be used here because it does not keep keepalives in order with data.
 */
function socketOf(service: LogicalReplicationService): { pause(): void; resume(): void } | undefined {
  return (service as unknown as { _connection?: { stream?: { pause(): void; resume(): void } } })._connection?.stream;
}

const STREAM_KINDS: ReadonlySet<string> = new Set<StreamMessage['kind']>(['stream-start', 'streamed-change', 'stream-stop', 'stream-commit', 'stream-abort']);

function isStreamMessage(message: SourceMessage): message is StreamMessage {
  return STREAM_KINDS.has(message.kind);
}

/**
 * Hands a decoded message on in queue order: ordinary messages to the
 * handler, messages about streamed transactions to the spool.
 */
export function deliver(message: SourceMessage, spool: StreamedTransactions, handler: ChangeHandler): void | Promise<void> {
  return isStreamMessage(message) ? settleStreamed(message, spool, handler) : handler(message);
}

/**
 * Applies a message about a streamed transaction to the spool; a Stream
 * Commit replays the transaction to the handler as begin, changes, commit,
 * awaiting the handler for each, so backpressure holds and memory stays bounded.
 */
function settleStreamed(message: StreamMessage, spool: StreamedTransactions, handler: ChangeHandler): void | Promise<void> {
  switch (message.kind) {
    case 'stream-start':
      return;
    case 'streamed-change':
      return spool.append(message.xid, message.subXid, message.bytes);
    case 'stream-stop':
      return spool.endSegment();
    case 'stream-abort':
      return spool.abort(message.xid, message.subXid);
    case 'stream-commit':
      return replayCommitted(message, spool, handler);
  }
}

async function replayCommitted(commit: Extract<StreamMessage, { kind: 'stream-commit' }>, spool: StreamedTransactions, handler: ChangeHandler): Promise<void> {
  const { commitLsn, endLsn, commitTimeMicros } = commit;
  await handler({ kind: 'begin', finalLsn: commitLsn, commitTimeMicros, xid: commit.xid });
  for await (const change of spool.replay(commit.xid)) {
    const pending = handler(decodeStreamedChange(change.bytes, commit.relations));
    if (pending) await pending;
  }
  await handler({ kind: 'commit', commitLsn, endLsn, commitTimeMicros });
}

/**
 * The stream ended with `cause`: a lost connection or a restarting server is
 * retried by the supervisor; a slot held by another process, an invalidated
 * slot and missing privileges or objects are not, since retrying cannot fix them.
 */
export function streamFailure(cause: unknown, slotName: string): LakeError {
  const message = (cause as Error)?.message ?? String(cause);
  if (isSlotInUse(cause)) {
    return new LakeError('slot-in-use', `replication slot ${slotName} is in use by another process: ${message}`, {
      cause,
      hint: 'only one invoice-lake streams a slot: stop the other one, use `run --standby` to take over when it stops, or set another SLOT_NAME',
    });
  }
  if (isSlotInvalidated(cause)) {
    return new LakeError('source-setup', `replication slot ${slotName} was invalidated (the server removed WAL it still needed): ${message}`, {
      cause,
      hint: 'the lake misses the changes the slot lost: run `invoice-lake resync` to re-snapshot from a new slot; raise max_slot_wal_keep_size so it does not happen again',
    });
  }
  const failure = classifyPostgresError(cause);
  if (!failure.transient) {
    return new LakeError('source-setup', `the replication stream failed: ${failure.reason}`, {
      cause,
      hint: failure.hint ?? 'retrying cannot fix this; check the message, then run `invoice-lake setup` to check the source',
    });
  }
  return new LakeError('source-connection', `replication connection lost: ${failure.reason}`, {
    cause,
    hint: 'the stream reconnects with backoff; check that the database is up',
  });
}

/** START_REPLICATION for pgoutput, decoding with the exact decoder. */
class ExactPgoutputPlugin {
  readonly #decoder: PgoutputDecoder;
  readonly #publication: string;

  constructor(decoder: PgoutputDecoder, publication: string) {
    this.#decoder = decoder;
    this.#publication = publication;
  }

  get name(): string {
    return 'pgoutput';
  }

  get options(): Record<string, never> {
    return {};
  }

  parse(buffer: Buffer): SourceMessage {
    return this.#decoder.decode(buffer);
  }

  async start(client: Client, slotName: string, lastLsn: string): Promise<unknown> {
    const publication = this.#publication.replace(/'/g, "''");
    const slot = slotName.replace(/"/g, '""');
    const protocol = (await serverVersionNum(client)) >= STREAMING_SERVER_VERSION ? "proto_version '2', streaming 'on'" : "proto_version '1'";
    return client.query(`START_REPLICATION SLOT "${slot}" LOGICAL ${lastLsn} (${protocol}, publication_names '${publication}')`);
  }
}

/** PostgreSQL 14 added protocol 2, which streams in-progress transactions. */
const STREAMING_SERVER_VERSION = 140_000;

/** `server_version_num` (e.g. 180001); a replication connection accepts SHOW. */
async function serverVersionNum(client: Client): Promise<number> {
  const result = await client.query<{ server_version_num: string }>('SHOW server_version_num');
  return Number(result.rows[0]?.server_version_num ?? 0);
}
