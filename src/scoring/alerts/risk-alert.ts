/**
 * An alert raised when the active model's score reaches the threshold.
 *
 * Delivery is at least once: after a crash the stream re-scores the
 * transactions that were not yet in the lake and raises their alerts again,
 * with the same `idempotencyKey` (`<invoice_id>:<model>`), so receivers drop
 * duplicates. Sinks never block the stream: they queue and retry on their own.
 */
export interface RiskAlert {
  invoiceId: string;
  issuerId: string;
  receiverId: string;
  /** Exact decimal text, e.g. "9999.50". */
  amount: string;
  issueDate: string;
  score: number;
  threshold: number;
  model: string;
  idempotencyKey: string;
  commitLsn: string;
  committedAt: string;
}

export interface AlertSink {
  readonly name: string;
  /** Queues the alert; returns at once. */
  send(alert: RiskAlert): void;
  /** Delivers what is queued (bounded by a timeout), then releases resources. */
  close(): Promise<void>;
}
