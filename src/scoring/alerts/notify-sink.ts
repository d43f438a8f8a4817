import pg from 'pg';
import type { AlertSink, RiskAlert } from './risk-alert.ts';
import type { Logger } from '../../log/logger.ts';

/** PostgreSQL limits a NOTIFY payload to just under 8000 bytes; an alert is a few hundred. */
const MAX_PAYLOAD_BYTES = 7999;

/**
 * Alerts as `NOTIFY <channel>, '<json>'` on the source database, so an
 * application already connected to PostgreSQL can `LISTEN` for them.
 * NOTIFY writes no table data. Alerts go out in order on one connection,
 * opened on the first alert and reopened on the next alert after a failure.
 */
export class NotifySink implements AlertSink {
  readonly name = 'notify';
  readonly #connectionString: string;
  readonly #channel: string;
  readonly #logger: Logger;
  #client: Promise<pg.Client> | undefined;
  #chain: Promise<void> = Promise.resolve();

  constructor(deps: { logger: Logger }, options: { connectionString: string; channel: string }) {
    this.#logger = deps.logger;
    this.#channel = options.channel;
    this.#connectionString = options.connectionString;
  }

  send(alert: RiskAlert): void {
    const payload = JSON.stringify(alert);
    if (Buffer.byteLength(payload) > MAX_PAYLOAD_BYTES) return;
    this.#chain = this.#chain
      .then(async () => {
        const client = await this.#connect();
        await client.query('SELECT pg_notify($1, $2)', [this.#channel, payload]);
      })
      .catch((error: Error) => {
        this.#logger.warn({ err: error.message, key: alert.idempotencyKey }, 'alert NOTIFY failed (the alert is in risk_alerts)');
        this.#reset();
      });
  }

  async close(): Promise<void> {
    await this.#chain;
    this.#reset();
  }

  #connect(): Promise<pg.Client> {
    this.#client ??= (async () => {
      const client = new pg.Client({ connectionString: this.#connectionString });
      client.on('error', () => this.#reset());
      await client.connect();
      return client;
    })();
    return this.#client;
  }

  #reset(): void {
    const client = this.#client;
    this.#client = undefined;
    void client?.then((c) => c.end()).catch(() => undefined);
  }
}
