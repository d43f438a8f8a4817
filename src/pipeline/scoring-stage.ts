import { FEATURE_COUNT } from '../scoring/features/feature-names.ts';
import type { FeatureExtractor } from '../scoring/features/feature-extractor.ts';
import type { ModelRegistry } from '../scoring/model/model-registry.ts';
import { scoreInvoices, type ModelScores } from '../scoring/risk-scorer.ts';
import type { AlertSink, RiskAlert } from '../scoring/alerts/risk-alert.ts';
import type { LakeWriter } from './lake-writer.ts';
import type { InvoiceValues, TransactionContext } from './invoice-rows.ts';
import { invoiceRow } from './invoice-rows.ts';
import type { RowValues } from '../lake/tables/table-definition.ts';
import { formatDecimal, formatTimestamptz } from '../source/exact-values.ts';
import { formatLsn } from '../source/lsn.ts';

export interface ScoringEvents {
  onScored?(rows: number, latestCommitTimeMicros: bigint, latest: { model: string | undefined; score: number | null }): void;
  onAlert?(alert: RiskAlert): void;
  onInferenceFailure?(model: string, error: string): void;
}

/** Invoices waiting to be scored; flushed at each source commit, or earlier in large transactions. */
export const SCORE_BATCH_ROWS = 1024;

/**
 * Scores invoices as soon as their transaction is complete and turns the
 * result into lake rows (`invoices` with the active score, `risk_scores`
 * for every model, `risk_alerts`) and alerts. Without a scorer (unscored
 * mode) invoices are written with null scores.
 */
export class ScoringStage {
  readonly #writer: LakeWriter;
  readonly #scoring: { extractor: FeatureExtractor; registry: ModelRegistry } | undefined;
  readonly #sinks: AlertSink[];
  readonly #threshold: number;
  readonly #events: ScoringEvents;
  #pending: Array<{ invoice: InvoiceValues; txn: TransactionContext }> = [];

  constructor(
    deps: { writer: LakeWriter; scoring?: { extractor: FeatureExtractor; registry: ModelRegistry }; sinks?: AlertSink[]; events?: ScoringEvents },
    options: { threshold: number },
  ) {
    this.#writer = deps.writer;
    this.#scoring = deps.scoring;
    this.#sinks = deps.sinks ?? [];
    this.#events = deps.events ?? {};
    this.#threshold = options.threshold;
  }

  get pendingCount(): number {
    return this.#pending.length;
  }

  add(invoice: InvoiceValues, txn: TransactionContext): void {
    this.#pending.push({ invoice, txn });
  }

  /** Forgets invoices not yet scored (the source resends them). */
  discard(): void {
    this.#pending = [];
  }

  async flush(): Promise<void> {
    if (this.#pending.length === 0) return;
    const batch = this.#pending;
    this.#pending = [];
    if (!this.#scoring) {
      for (const { invoice, txn } of batch) this.#writer.append('invoices', invoiceRow(invoice, txn));
      return;
    }
    const models = this.#scoring.registry.current;
    const result = await scoreInvoices(
      this.#scoring.extractor,
      models,
      batch.map(({ invoice }) => ({ invoiceId: invoice.invoiceId, issueDate: invoice.issueDate, issuerId: invoice.issuerId, receiverId: invoice.receiverId, amountCents: invoice.amount })),
    );
    for (const scored of [result.active, ...result.shadows]) {
      if (scored?.error) this.#events.onInferenceFailure?.(scored.model.label, scored.error);
    }
    batch.forEach(({ invoice, txn }, i) => {
      const active = result.active;
      const score = active?.scores ? active.scores[i]! : null;
      const row = invoiceRow(invoice, txn);
      row[5] = score;
      row[6] = active ? active.model.label : null;
      this.#writer.append('invoices', row);
      const features = result.features.subarray(i * FEATURE_COUNT, (i + 1) * FEATURE_COUNT);
      for (const scored of [active, ...result.shadows]) {
        if (scored) this.#writer.append('risk_scores', riskScoreRow(invoice, txn, scored, i, features));
      }
      if (active && score !== null && score >= this.#threshold) this.#raise(invoice, txn, active, score);
    });
    const last = result.active?.scores ? result.active.scores[batch.length - 1]! : null;
    this.#events.onScored?.(batch.length, batch.at(-1)!.txn.commitTimeMicros, { model: result.active?.model.label, score: last });
  }

  #raise(invoice: InvoiceValues, txn: TransactionContext, active: ModelScores, score: number): void {
    const key = `${invoice.invoiceId}:${active.model.label}`;
    this.#writer.append('risk_alerts', [
      invoice.invoiceId,
      invoice.issuerId,
      invoice.receiverId,
      invoice.amount,
      score,
      this.#threshold,
      active.model.label,
      key,
      txn.commitLsn,
      txn.commitTimeMicros,
    ]);
    const alert: RiskAlert = {
      invoiceId: invoice.invoiceId.toString(),
      issuerId: invoice.issuerId.toString(),
      receiverId: invoice.receiverId.toString(),
      amount: formatDecimal(invoice.amount, 2),
      issueDate: formatTimestamptz(invoice.issueDate),
      score,
      threshold: this.#threshold,
      model: active.model.label,
      idempotencyKey: key,
      commitLsn: formatLsn(txn.commitLsn),
      committedAt: formatTimestamptz(txn.commitTimeMicros),
    };
    for (const sink of this.#sinks) sink.send(alert);
    this.#events.onAlert?.(alert);
  }
}

function riskScoreRow(invoice: InvoiceValues, txn: TransactionContext, scored: ModelScores, index: number, features: Float32Array): RowValues {
  const row: RowValues = [
    invoice.invoiceId,
    invoice.issueDate,
    scored.model.label,
    scored.model.role,
    scored.scores ? scored.scores[index]! : null,
    scored.error,
    txn.commitLsn,
    txn.commitTimeMicros,
  ];
  for (let f = 0; f < features.length; f++) row.push(features[f]!);
  return row;
}
