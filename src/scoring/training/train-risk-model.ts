import { FeatureExtractor } from '../features/feature-extractor.ts';
import { FEATURE_COUNT } from '../features/feature-names.ts';
import { generateLabelledInvoices } from './labelled-invoices.ts';
import { splitByTime, takeLabels, takeRows } from './split.ts';
import { trainGbt, type GbtTrainOptions } from './gbt-train.ts';
import { predictProba } from './gbt-model.ts';
import { precisionAtTopFraction, rocAuc } from './metrics.ts';
import { exportGbtModel } from './onnx-export.ts';

export interface TrainOptions {
  invoices: number;
  customers: number;
  months: number;
  seed: number;
  /** End of the synthetic window (injected for reproducibility). */
  now: Date;
  /** Share of the newest invoices held out for evaluation. */
  heldOutFraction: number;
  modelName: string;
  modelVersion: string;
  gbt?: Partial<GbtTrainOptions>;
  onProgress?(stage: string, detail: Record<string, number>): void;
}

export interface TrainReport {
  modelName: string;
  modelVersion: string;
  trainRows: number;
  heldOutRows: number;
  heldOutPositives: number;
  heldOutAuc: number;
  heldOutPrecisionAt1Percent: number;
  trees: number;
  trainMs: number;
}

/**
 * Trains the shipped risk model: labelled synthetic invoices → the same
 * FeatureExtractor the stream uses (so training and serving see identical
 * features) → gradient-boosted trees → ONNX. The newest invoices are held
 * out, as a model is always used on invoices newer than its training data.
 */
export function trainRiskModel(options: TrainOptions): { onnx: Uint8Array; report: TrainReport } {
  const extractor = new FeatureExtractor();
  const x = new Float32Array(options.invoices * FEATURE_COUNT);
  const y = new Uint8Array(options.invoices);
  const times = new Float64Array(options.invoices);
  let row = 0;
  for (const labelled of generateLabelledInvoices({
    seed: options.seed,
    count: options.invoices,
    customers: options.customers,
    months: options.months,
    now: options.now,
  })) {
    extractor.nextInto(labelled.invoice, x, row * FEATURE_COUNT);
    y[row] = labelled.label;
    times[row] = Number(labelled.invoice.issueDate);
    row++;
  }
  options.onProgress?.('features', { rows: row });
  const split = splitByTime(times.subarray(0, row), options.heldOutFraction);
  const trainX = takeRows(x, FEATURE_COUNT, split.train);
  const trainY = takeLabels(y, split.train);
  const heldX = takeRows(x, FEATURE_COUNT, split.heldOut);
  const heldY = takeLabels(y, split.heldOut);
  const started = performance.now();
  const { model } = trainGbt(
    { x: trainX, y: trainY, featureCount: FEATURE_COUNT },
    {
      rounds: 150,
      maxDepth: 5,
      learningRate: 0.1,
      seed: options.seed,
      validation: { x: heldX, y: heldY, featureCount: FEATURE_COUNT },
      earlyStoppingRounds: 20,
      onRound: (round, trainLoss, validLoss) => options.onProgress?.('round', { round, trainLoss, validLoss: validLoss ?? Number.NaN }),
      ...options.gbt,
    },
  );
  const trainMs = Math.round(performance.now() - started);
  const scores = predictProba(model, heldX);
  const report: TrainReport = {
    modelName: options.modelName,
    modelVersion: options.modelVersion,
    trainRows: split.train.length,
    heldOutRows: split.heldOut.length,
    heldOutPositives: heldY.reduce((sum, label) => sum + label, 0),
    heldOutAuc: rocAuc(scores, heldY),
    heldOutPrecisionAt1Percent: precisionAtTopFraction(scores, heldY, 0.01),
    trees: model.trees.length,
    trainMs,
  };
  const onnx = exportGbtModel(model, {
    modelName: options.modelName,
    modelVersion: options.modelVersion,
    extraMetadata: {
      'invoice_lake.heldout_auc': report.heldOutAuc.toFixed(4),
      'invoice_lake.heldout_precision_at_1pct': report.heldOutPrecisionAt1Percent.toFixed(4),
      'invoice_lake.training_rows': String(report.trainRows),
    },
    docString: 'Invoice risk: gradient-boosted trees trained by `invoice-lake train` on labelled synthetic invoices',
  });
  return { onnx, report };
}
