import pg from 'pg';
import type { AlertSink, RiskAlert } from './risk-alert.ts';
import type { Logger } from '../../log/logger.ts';

/** PostgreSQL limits a NOTIFY payload to just under 8000 bytes; an alert is a few hundred. */
const MAX_PAYLOAD_BYTES = 7999;

/**
 * Alerts as `NOTIFY <channel>, '<json>'` on the source database, so an
 * application already connected to PostgreSQL can `LISTEN` for them.
 * NOTIFY writes no table data. One connection, alerts sent in order.
 */
export class NotifySink implements AlertSink {
  readonly name = 'notify';
  readonly #client: pg.Client;
  readonly #channel: string;
  readonly #logger: Logger;
  #connected: Promise<void> | undefined;
  #chain: Promise<void> = Promise.resolve();
  #pending = 0;

  constructor(deps: { logger: Logger }, options: { connectionString: string; channel: string }) {
    this.#logger = deps.logger;
    this.#channel = options.channel;
    this.#client = new pg.Client({ connectionString: options.connectionString });
    this.#client.on('error', (error) => this.#logger.warn({ err: error.message }, 'alert NOTIFY connection error'));
  }

  /** Connects on the first alert, so a daemon that never alerts opens no extra connection. */
  #connect(): Promise<void> {
    this.#connected ??= this.#client.connect().then(() => undefined);
    return this.#connected;
  }

  send(alert: RiskAlert): void {
    const payload = JSON.stringify(alert);
    if (Buffer.byteLength(payload) > MAX_PAYLOAD_BYTES) return;
    this.#pending++;
    this.#chain = this.#chain
      .then(() => this.#connect())
      .then(() => this.#client.query('SELECT pg_notify($1, $2)', [this.#channel, payload]))
      .then(() => undefined)
      .catch((error: Error) => this.#logger.warn({ err: error.message, key: alert.idempotencyKey }, 'alert NOTIFY failed'))
      .finally(() => this.#pending--);
  }

  get pending(): number {
    return this.#pending;
  }

  async close(): Promise<void> {
    await this.#chain;
    if (this.#connected) await this.#client.end().catch(() => undefined);
  }
}
