import type { AlertSink, RiskAlert } from './risk-alert.ts';
import type { Logger } from '../../log/logger.ts';
import { redactSecretValue, redactText } from '../../config/redact.ts';

export interface WebhookOptions {
  url: string;
  /** `Authorization` header value (RISK_ALERT_WEBHOOK_AUTHORIZATION): where credentials go, never the URL. */
  authorization?: string;
  /** Attempts per alert, including the first. */
  maxAttempts: number;
  /** First retry delay; doubles each attempt up to 30 s. */
  initialBackoffMs: number;
  /** Alerts waiting for delivery before new ones are dropped (and counted). */
  maxQueued: number;
  timeoutMs: number;
}

/**
 * Alerts as HTTP POST (JSON) with an `Idempotency-Key` header, retried with
 * exponential backoff on network errors, 429 and 5xx. A 4xx other than 429
 * is not retried: the receiver refused this alert and will refuse it again.
 * Log lines show only the URL's origin (its path and query may be the token,
 * as in Slack-style hooks) and scrub the reason, which may quote the URL
 * (fetch's own errors do).
 */
export class WebhookSink implements AlertSink {
  readonly name = 'webhook';
  readonly #options: WebhookOptions;
  readonly #logger: Logger;
  readonly #onDropped: () => void;
  readonly #inFlight = new Set<Promise<void>>();
  #closing = false;

  constructor(deps: { logger: Logger; onDropped?: () => void }, options: WebhookOptions) {
    this.#options = options;
    this.#logger = deps.logger;
    this.#onDropped = deps.onDropped ?? (() => undefined);
  }

  send(alert: RiskAlert): void {
    if (this.#inFlight.size >= this.#options.maxQueued) {
      this.#onDropped();
      this.#logger.warn({ key: alert.idempotencyKey }, 'webhook queue full; alert dropped (it is still in risk_alerts)');
      return;
    }
    const delivery = this.#deliver(alert).finally(() => this.#inFlight.delete(delivery));
    this.#inFlight.add(delivery);
  }

  async close(): Promise<void> {
    this.#closing = true;
    await Promise.allSettled([...this.#inFlight]);
  }

  async #deliver(alert: RiskAlert): Promise<void> {
    const body = JSON.stringify(alert);
    let backoffMs = this.#options.initialBackoffMs;
    for (let attempt = 1; attempt <= this.#options.maxAttempts; attempt++) {
      let retryable = true;
      let reason: string;
      try {
        const response = await fetch(this.#options.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'idempotency-key': alert.idempotencyKey,
            ...(this.#options.authorization ? { authorization: this.#options.authorization } : {}),
          },
          body,
          signal: AbortSignal.timeout(this.#options.timeoutMs),
        });
        await response.body?.cancel().catch(() => undefined);
        if (response.ok) return;
        retryable = response.status === 429 || response.status >= 500;
        reason = `HTTP ${response.status}`;
      } catch (error) {
        reason = (error as Error).message;
      }
      if (!retryable || attempt === this.#options.maxAttempts || this.#closing) {
        const secrets = [this.#options.url, this.#options.authorization];
        this.#logger.warn(
          { key: alert.idempotencyKey, target: redactSecretValue(this.#options.url), reason: redactText(reason, secrets), attempts: attempt },
          'webhook alert not delivered',
        );
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, backoffMs));
      backoffMs = Math.min(backoffMs * 2, 30_000);
    }
  }
}
