import { describe, expect, it } from 'vitest';
import { FEATURE_COUNT } from '../../../../src/scoring/features/feature-names.ts';
import { checkContract, META_MODEL_NAME } from '../../../../src/scoring/model/model-contract.ts';
import type { GbtModel } from '../../../../src/scoring/training/gbt-model.ts';
import { decodeModel } from '../../../../src/scoring/training/onnx-builder.ts';
import { exportGbtModel, exportLinearModel, predictLinearProba } from '../../../../src/scoring/training/onnx-export.ts';
import { describeOnnxModel } from '../../../../src/scoring/model/onnx-inspect.ts';

/** One stump on feature 3 (x <= 0.5 → -1, else +2) and a single leaf (+0.25). */
const MODEL: GbtModel = {
  featureCount: FEATURE_COUNT,
  baseScore: Math.fround(-0.1),
  trees: [
    {
      feature: Int32Array.of(3, -1, -1),
      threshold: Float32Array.of(0.5, 0, 0),
      left: Int32Array.of(1, -1, -1),
      right: Int32Array.of(2, -1, -1),
      value: Float32Array.of(0, -1, 2),
    },
    { feature: Int32Array.of(-1), threshold: Float32Array.of(0), left: Int32Array.of(-1), right: Int32Array.of(-1), value: Float32Array.of(0.25) },
  ],
};
const META = { modelName: 'risk-gbt', modelVersion: '7', extraMetadata: { 'invoice_lake.auc': '0.91' } };
const text = (b: Uint8Array | null | undefined): string => new TextDecoder().decode(b ?? new Uint8Array());

describe('exportGbtModel', () => {
  it('writes a contract-conforming TreeEnsembleRegressor → Sigmoid graph', () => {
    const bytes = exportGbtModel(MODEL, META);
    const described = describeOnnxModel(bytes);
    expect(checkContract(described)).toEqual([]);
    expect(described.metadata['invoice_lake.auc']).toBe('0.91');
    expect(described.producerName).toBe('invoice-lake');
    expect(described.opsets).toEqual([
      { domain: '', version: 13 },
      { domain: 'ai.onnx.ml', version: 3 },
    ]);
    const graph = decodeModel(bytes).graph!;
    expect(graph.node!.map((n) => `${n.domain}:${n.opType}`)).toEqual(['ai.onnx.ml:TreeEnsembleRegressor', ':Sigmoid']);
    const attrs = new Map(graph.node![0]!.attribute!.map((a) => [a.name, a]));
    expect(attrs.get('nodes_modes')!.strings!.map(text)).toEqual(['BRANCH_LEQ', 'LEAF', 'LEAF', 'LEAF']);
    expect(attrs.get('nodes_treeids')!.ints!.map(Number)).toEqual([0, 0, 0, 1]);
    expect(attrs.get('nodes_featureids')!.ints!.map(Number)).toEqual([3, 0, 0, 0]);
    expect(attrs.get('nodes_values')!.floats).toEqual([0.5, 0, 0, 0]);
    expect(attrs.get('target_nodeids')!.ints!.map(Number)).toEqual([1, 2, 0]);
    expect(attrs.get('target_weights')!.floats).toEqual([-1, 2, 0.25]);
    expect(attrs.get('base_values')!.floats).toEqual([Math.fround(-0.1)]);
    expect(text(attrs.get('aggregate_function')!.s)).toBe('SUM');
  });

  it('is deterministic: the same model gives the same bytes', () => {
    expect(exportGbtModel(MODEL, META)).toEqual(exportGbtModel(MODEL, META));
  });

  it('refuses bad identities, feature-count mismatches and empty models', () => {
    expect(() => exportGbtModel(MODEL, { ...META, modelName: 'has space' })).toThrow(/modelName/);
    expect(() => exportGbtModel(MODEL, { ...META, featureNames: ['a', 'b'] })).toThrow(/2 feature names/);
    expect(() => exportGbtModel({ ...MODEL, trees: [] }, META)).toThrow(/without trees/);
  });

  it('keeps the contract keys even if extraMetadata tries to override them', () => {
    const bytes = exportGbtModel(MODEL, { ...META, extraMetadata: { [META_MODEL_NAME]: 'other' } });
    expect(describeOnnxModel(bytes).metadata[META_MODEL_NAME]).toBe('risk-gbt');
  });
});

describe('exportLinearModel', () => {
  it('writes MatMul → Add → Sigmoid with float32 initializers', () => {
    const weights = Array.from({ length: FEATURE_COUNT }, (_, i) => i / 10);
    const bytes = exportLinearModel(weights, 0.5, META);
    expect(checkContract(describeOnnxModel(bytes))).toEqual([]);
    const graph = decodeModel(bytes).graph!;
    expect(graph.node!.map((n) => n.opType)).toEqual(['MatMul', 'Add', 'Sigmoid']);
    expect(graph.initializer!.map((t) => [t.name, t.dims!.map(Number)])).toEqual([
      ['weights', [FEATURE_COUNT, 1]],
      ['bias', [1]],
    ]);
    const x = new Float32Array(FEATURE_COUNT).fill(1);
    const z = weights.reduce((a, w) => a + Math.fround(w), 0) + 0.5;
    expect(predictLinearProba(weights, 0.5, x)[0]).toBeCloseTo(1 / (1 + Math.exp(-z)), 12);
  });
});
