import { readdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { FeatureExtractor } from '../../src/scoring/features/feature-extractor.ts';
import { generateLabelledInvoices } from '../../src/scoring/training/labelled-invoices.ts';
import { loadModel } from '../../src/scoring/model/onnx-model.ts';
import { scoreInvoices } from '../../src/scoring/risk-scorer.ts';
import { SCORE_BATCH_ROWS } from '../../src/pipeline/scoring-stage.ts';

/** Workload 5: features + ONNX Runtime with the shipped model, at the batch sizes the pipeline uses. */
export async function scoringAlone(options: { invoices: number }): Promise<Record<string, number>> {
  const models = fileURLToPath(new URL('../../models/', import.meta.url));
  const file = (await readdir(models)).filter((name) => name.endsWith('.onnx') && !name.endsWith('.shadow.onnx')).sort().at(-1)!;
  const model = await loadModel(join(models, file), 'active');
  const invoices = Array.from(
    generateLabelledInvoices({ seed: 11, count: options.invoices, customers: 2000, months: 12, now: new Date('2026-11-01T00:00:00Z') }),
    (row) => row.invoice,
  );
  const result: Record<string, number> = {};
  try {
    for (const batch of [1, 25, SCORE_BATCH_ROWS]) {
      const extractor = new FeatureExtractor();
      const count = batch === 1 ? Math.min(invoices.length, 20_000) : invoices.length;
      const started = performance.now();
      for (let i = 0; i < count; i += batch) await scoreInvoices(extractor, { active: model, shadows: [] }, invoices.slice(i, i + batch));
      result[`batch${batch}RowsPerSecond`] = count / ((performance.now() - started) / 1000);
    }
  } finally {
    await model.release();
  }
  return result;
}
