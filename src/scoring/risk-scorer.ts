import type { FeatureExtractor } from './features/feature-extractor.ts';
import { FEATURE_COUNT, type ScoringInvoice } from './features/feature-names.ts';
import type { LoadedModel } from './model/onnx-model.ts';
import type { ModelSet } from './model/model-registry.ts';

export interface ModelScores {
  model: LoadedModel;
  /** null when inference failed for the batch. */
  scores: Float32Array | null;
  error: string | null;
}

export interface BatchScores {
  /** Row-major `[N, F]` features, in FEATURE_NAMES order. */
  features: Float32Array;
  active: ModelScores | undefined;
  shadows: ModelScores[];
}

/**
 * Features, then every model's scores, for a batch of invoices in commit
 * order. The extractor's state advances with each invoice, so a batch must
 * be scored exactly once; a failing model yields null scores with the
 * reason instead of stopping the stream.
 */
export async function scoreInvoices(extractor: FeatureExtractor, models: ModelSet, invoices: ScoringInvoice[]): Promise<BatchScores> {
  const features = extractor.extractBatch(invoices, new Float32Array(invoices.length * FEATURE_COUNT));
  const run = async (model: LoadedModel): Promise<ModelScores> => {
    try {
      const scores = await model.score(features, invoices.length);
      const bad = scores.findIndex((score) => !Number.isFinite(score) || score < 0 || score > 1);
      if (bad >= 0) return { model, scores: null, error: `model returned ${scores[bad]} for invoice ${invoices[bad]!.invoiceId}` };
      return { model, scores, error: null };
    } catch (error) {
      return { model, scores: null, error: `inference failed: ${(error as Error).message.split('\n')[0]}` };
    }
  };
  const [active, ...shadows] = await Promise.all([models.active ? run(models.active) : undefined, ...models.shadows.map(run)]);
  return { features, active, shadows: shadows as ModelScores[] };
}
