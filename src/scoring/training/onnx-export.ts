/**
 * Exports risk models as ONNX files that meet the model contract
 * (src/scoring/model/model-contract.ts): input `features` float32 [N, F],
 * output `score` float32 [N, 1] in [0, 1], metadata_props naming the features,
 * the model and its version.
 *
 * Operator sets: ai.onnx 13 (Sigmoid-13, MatMul-13, Add-13) and ai.onnx.ml 3
 * (TreeEnsembleRegressor-3). ai.onnx.ml 5 deprecates TreeEnsembleRegressor in
 * favour of TreeEnsemble, but runtimes (onnxruntime ≥ 1.x) keep serving
 * version 3, which every converter (skl2onnx, onnxmltools) still emits.
 */
import { FEATURE_NAMES } from '../features/feature-names.ts';
import {
  IDENTIFIER_PATTERN,
  INPUT_NAME,
  META_FEATURES,
  META_MODEL_NAME,
  META_MODEL_VERSION,
  SCORE_OUTPUT_NAME,
} from '../model/model-contract.ts';
import type { GbtModel } from './gbt-model.ts';
import {
  DEFAULT_DOMAIN,
  ML_DOMAIN,
  attrFloats,
  attrInt,
  attrInts,
  attrString,
  attrStrings,
  encodeModel,
  floatTensor,
  floatValueInfo,
  makeNode,
} from './onnx-builder.ts';

/** Value of ModelProto.producer_name in every exported model. */
export const PRODUCER_NAME = 'invoice-lake';
/** Value of ModelProto.producer_version. */
export const PRODUCER_VERSION = '0.1.0';
/** ai.onnx opset of exported models. */
export const ONNX_OPSET = 13;
/** ai.onnx.ml opset of exported models. */
export const ONNX_ML_OPSET = 3;
/** Symbolic batch dimension of the input and output. */
export const BATCH_DIM = 'N';

/** Identity of an exported model, written to metadata_props. */
export interface ExportMeta {
  readonly modelName: string;
  readonly modelVersion: string;
  /** Column names in input order; defaults to FEATURE_NAMES (anything else fails the contract). */
  readonly featureNames?: readonly string[];
  /** More metadata_props (e.g. held-out AUC); cannot override the contract keys. */
  readonly extraMetadata?: Readonly<Record<string, string>>;
  readonly docString?: string;
}

function metadataOf(meta: ExportMeta, featureCount: number): Record<string, string> {
  const names = meta.featureNames ?? FEATURE_NAMES;
  if (names.length !== featureCount) throw new RangeError(`${names.length} feature names for a model of ${featureCount} features`);
  for (const [what, value] of [['modelName', meta.modelName], ['modelVersion', meta.modelVersion]] as const) {
    if (!IDENTIFIER_PATTERN.test(value)) throw new RangeError(`${what} must match ${String(IDENTIFIER_PATTERN)}, got ${JSON.stringify(value)}`);
  }
  return {
    ...meta.extraMetadata,
    [META_FEATURES]: names.join(','),
    [META_MODEL_NAME]: meta.modelName,
    [META_MODEL_VERSION]: meta.modelVersion,
  };
}

/** The TreeEnsembleRegressor node that sums all trees plus the base score into [N, 1] log-odds. */
function treeEnsembleNode(model: GbtModel, output: string) {
  const treeIds: number[] = [];
  const nodeIds: number[] = [];
  const featureIds: number[] = [];
  const modes: string[] = [];
  const values: number[] = [];
  const trueIds: number[] = [];
  const falseIds: number[] = [];
  const targetTreeIds: number[] = [];
  const targetNodeIds: number[] = [];
  const targetWeights: number[] = [];
  model.trees.forEach((tree, t) => {
    for (let n = 0; n < tree.feature.length; n++) {
      const leaf = tree.feature[n]! < 0;
      treeIds.push(t);
      nodeIds.push(n);
      // The spec wants every nodes_* list to cover every node; leaves carry dummies.
      featureIds.push(leaf ? 0 : tree.feature[n]!);
      // BRANCH_LEQ: x <= threshold takes the "true" child, as the TS predictor does.
      modes.push(leaf ? 'LEAF' : 'BRANCH_LEQ');
      values.push(leaf ? 0 : tree.threshold[n]!);
      trueIds.push(leaf ? 0 : tree.left[n]!);
      falseIds.push(leaf ? 0 : tree.right[n]!);
      if (leaf) {
        targetTreeIds.push(t);
        targetNodeIds.push(n);
        targetWeights.push(tree.value[n]!);
      }
    }
  });
  return makeNode('TreeEnsembleRegressor', [INPUT_NAME], [output], {
    name: 'trees',
    domain: ML_DOMAIN,
    docString: `${model.trees.length} gradient-boosted trees; output = base + sum of leaves (log-odds)`,
    attributes: [
      attrString('aggregate_function', 'SUM'),
      attrFloats('base_values', [model.baseScore]),
      attrInt('n_targets', 1),
      attrInts('nodes_treeids', treeIds),
      attrInts('nodes_nodeids', nodeIds),
      attrInts('nodes_featureids', featureIds),
      attrStrings('nodes_modes', modes),
      attrFloats('nodes_values', values),
      attrInts('nodes_truenodeids', trueIds),
      attrInts('nodes_falsenodeids', falseIds),
      // Logistic is applied by a separate standard Sigmoid node, so the raw sum stays inspectable.
      attrString('post_transform', 'NONE'),
      attrInts('target_ids', new Array<number>(targetTreeIds.length).fill(0)),
      attrInts('target_treeids', targetTreeIds),
      attrInts('target_nodeids', targetNodeIds),
      attrFloats('target_weights', targetWeights),
    ],
  });
}

/**
 * ONNX bytes of a gradient-boosted tree model:
 * features → TreeEnsembleRegressor (SUM, base_values) → Sigmoid → score [N, 1].
 */
export function exportGbtModel(model: GbtModel, meta: ExportMeta): Uint8Array {
  const metadata = metadataOf(meta, model.featureCount);
  if (model.trees.length === 0) throw new RangeError('cannot export a model without trees');
  return encodeModel({
    graphName: 'invoice_lake_gbt',
    nodes: [treeEnsembleNode(model, 'raw_score'), makeNode('Sigmoid', ['raw_score'], [SCORE_OUTPUT_NAME], { name: 'sigmoid' })],
    inputs: [floatValueInfo(INPUT_NAME, [BATCH_DIM, model.featureCount])],
    outputs: [floatValueInfo(SCORE_OUTPUT_NAME, [BATCH_DIM, 1])],
    opsets: [
      { domain: DEFAULT_DOMAIN, version: ONNX_OPSET },
      { domain: ML_DOMAIN, version: ONNX_ML_OPSET },
    ],
    metadata,
    producerName: PRODUCER_NAME,
    producerVersion: PRODUCER_VERSION,
    docString: meta.docString ?? `Binary risk classifier: ${model.trees.length} gradient-boosted trees`,
  });
}

/**
 * ONNX bytes of a logistic-regression model:
 * score = Sigmoid(MatMul(features, W[F, 1]) + b) [N, 1]. Weights and bias are
 * stored as float32.
 */
export function exportLinearModel(weights: ArrayLike<number>, bias: number, meta: ExportMeta): Uint8Array {
  const F = weights.length;
  const metadata = metadataOf(meta, F);
  return encodeModel({
    graphName: 'invoice_lake_linear',
    nodes: [
      makeNode('MatMul', [INPUT_NAME, 'weights'], ['logit_no_bias'], { name: 'matmul' }),
      makeNode('Add', ['logit_no_bias', 'bias'], ['logit'], { name: 'add_bias' }),
      makeNode('Sigmoid', ['logit'], [SCORE_OUTPUT_NAME], { name: 'sigmoid' }),
    ],
    inputs: [floatValueInfo(INPUT_NAME, [BATCH_DIM, F])],
    outputs: [floatValueInfo(SCORE_OUTPUT_NAME, [BATCH_DIM, 1])],
    initializers: [floatTensor('weights', [F, 1], weights), floatTensor('bias', [1], [bias])],
    opsets: [{ domain: DEFAULT_DOMAIN, version: ONNX_OPSET }],
    metadata,
    producerName: PRODUCER_NAME,
    producerVersion: PRODUCER_VERSION,
    docString: meta.docString ?? `Binary risk classifier: logistic regression on ${F} features`,
  });
}

/**
 * What exportLinearModel's graph computes, in TypeScript: inputs, weights and
 * bias rounded to float32 like the ONNX tensors, the dot product in float64.
 * A runtime accumulates MatMul in float32 in an order of its kernel's choosing,
 * so the two agree to within float32 rounding of the dot product (~1e-7 on
 * standardised inputs), not bit for bit.
 */
export function predictLinearProba(weights: ArrayLike<number>, bias: number, x: ArrayLike<number>): Float64Array {
  const F = weights.length;
  if (F === 0 || x.length % F !== 0) throw new RangeError(`input length ${x.length} is not a multiple of ${F} features`);
  const w = Float32Array.from(weights);
  const b = Math.fround(bias);
  const out = new Float64Array(x.length / F);
  for (let r = 0; r < out.length; r++) {
    let z = 0;
    for (let f = 0; f < F; f++) z += Math.fround(x[r * F + f]!) * w[f]!;
    out[r] = 1 / (1 + Math.exp(-(z + b)));
  }
  return out;
}
