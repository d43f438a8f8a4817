/**
 * The contract every risk model must meet, whoever trained it.
 *
 * A model is an ONNX file. To bring a model trained elsewhere (scikit-learn
 * via skl2onnx, LightGBM/XGBoost via onnxmltools, PyTorch via torch.onnx…):
 *
 * 1. Graph input: exactly one tensor, element type float32, shape `[N, F]`
 *    where N is dynamic (a symbolic dim such as "N", or unknown) and
 *    F = FEATURE_COUNT. Column j is FEATURE_NAMES[j]; the input name is free
 *    (`features` recommended).
 * 2. Graph output: the score, float32, shape `[N]` or `[N, 1]`, one value in
 *    [0, 1] per row (higher = riskier). Name it `score`; other outputs are
 *    allowed only if one of them is called `score`, otherwise the graph must
 *    have exactly one output. (skl2onnx classifiers emit `label` plus a
 *    `[N, 2]` probability map: add a Slice/Reshape to column 1 named `score`.)
 * 3. `metadata_props` (ModelProto.metadata_props, e.g. `onnx.helper.set_model_props`):
 *    - `invoice_lake.features`: FEATURE_NAMES joined by "," with no spaces,
 *      in order — this is what proves the columns mean what you think;
 *    - `invoice_lake.model_name`, `invoice_lake.model_version`: short
 *      identifiers (letters, digits, `.`, `_`, `-`; at most 128 characters).
 *
 * `checkContract` verifies everything that can be checked without running the
 * model; `checkScores` verifies the [0, 1] range on an actual run.
 */
import { FEATURE_COUNT, FEATURE_NAMES } from '../features/feature-names.ts';

/** metadata_props key: comma-separated ordered feature names, must equal FEATURE_NAMES. */
export const META_FEATURES = 'invoice_lake.features';
/** metadata_props key: the model's name (stable across versions). */
export const META_MODEL_NAME = 'invoice_lake.model_name';
/** metadata_props key: the model's version. */
export const META_MODEL_VERSION = 'invoice_lake.model_version';
/** The value `invoice_lake.features` must have. */
export const EXPECTED_FEATURES_VALUE = FEATURE_NAMES.join(',');
/** Recommended name of the single input (what our exporters write). */
export const INPUT_NAME = 'features';
/** Name of the score output; required when the graph has several outputs. */
export const SCORE_OUTPUT_NAME = 'score';
/** The only element type accepted for the input and the score (ONNX Runtime's name for FLOAT). */
export const SCORE_ELEMENT_TYPE = 'float32';
/** Model names and versions: safe in file names, URLs and Prometheus labels. */
export const IDENTIFIER_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/**
 * One graph input or output. Structurally compatible with onnxruntime's
 * `InferenceSession.ValueMetadata`, so `session.inputMetadata` can be passed
 * as is. A dimension is fixed when it is a non-negative number, dynamic when
 * it is a string (symbolic) or negative (unknown).
 */
export interface ContractValueInfo {
  readonly name: string;
  /** false for sequences and maps (e.g. skl2onnx's ZipMap output). */
  readonly isTensor?: boolean;
  /** Element type in onnxruntime spelling: 'float32', 'float64', 'int64', … */
  readonly type?: string;
  readonly shape?: ReadonlyArray<number | string>;
}

/** What `checkContract` looks at: the graph signature and metadata_props. */
export interface ContractMeta {
  readonly inputs: readonly ContractValueInfo[];
  readonly outputs: readonly ContractValueInfo[];
  readonly metadata: Readonly<Record<string, string>>;
}

const isDynamic = (dim: number | string | undefined): boolean => typeof dim === 'string' || (typeof dim === 'number' && dim < 0);

const showShape = (shape: ReadonlyArray<number | string> | undefined): string =>
  shape === undefined ? 'undefined' : `[${shape.map((d) => (typeof d === 'string' ? JSON.stringify(d) : String(d))).join(', ')}]`;

function tensorProblems(what: string, info: ContractValueInfo): string[] {
  if (info.isTensor === false) return [`${what} "${info.name}" must be a tensor, not a sequence or map`];
  if (info.type !== SCORE_ELEMENT_TYPE) return [`${what} "${info.name}" must be float32, found ${info.type ?? 'no type'}`];
  return [];
}

function inputProblems(inputs: readonly ContractValueInfo[]): string[] {
  if (inputs.length !== 1) return [`expected exactly 1 input, found ${inputs.length}`];
  const input = inputs[0]!;
  const problems = tensorProblems('input', input);
  if (input.isTensor === false) return problems;
  const shape = input.shape;
  const want = `[N, ${FEATURE_COUNT}]`;
  if (shape?.length !== 2) problems.push(`input "${input.name}" must have shape ${want}, found ${showShape(shape)}`);
  else {
    if (!isDynamic(shape[0])) problems.push(`input "${input.name}" must have a dynamic batch dimension, found ${showShape(shape)}`);
    if (shape[1] !== FEATURE_COUNT) problems.push(`input "${input.name}" must have ${FEATURE_COUNT} features (shape ${want}), found ${showShape(shape)}`);
  }
  return problems;
}

/**
 * The output that carries the score: the one named `score`, else the only
 * output. Undefined when neither exists.
 */
export function pickScoreOutput<T extends ContractValueInfo>(outputs: readonly T[]): T | undefined {
  const named = outputs.find((o) => o.name === SCORE_OUTPUT_NAME);
  if (named !== undefined) return named;
  return outputs.length === 1 ? outputs[0] : undefined;
}

function outputProblems(outputs: readonly ContractValueInfo[]): string[] {
  const output = pickScoreOutput(outputs);
  if (output === undefined) {
    const names = outputs.map((o) => `"${o.name}"`).join(', ') || 'none';
    return [`expected exactly 1 output or one named "${SCORE_OUTPUT_NAME}", found ${names}`];
  }
  const problems = tensorProblems('output', output);
  if (output.isTensor === false) return problems;
  const shape = output.shape;
  const rankOk = shape?.length === 1 || (shape?.length === 2 && shape[1] === 1);
  if (!rankOk || !isDynamic(shape?.[0])) {
    problems.push(`output "${output.name}" must have shape [N] or [N, 1] with N dynamic, found ${showShape(shape)}`);
  }
  return problems;
}

function featureProblems(value: string | undefined): string[] {
  if (value === undefined) return [`metadata_props lacks "${META_FEATURES}" (expected "${EXPECTED_FEATURES_VALUE}")`];
  if (value === EXPECTED_FEATURES_VALUE) return [];
  const got = value.split(',');
  const problems: string[] = [];
  if (got.length !== FEATURE_COUNT) problems.push(`"${META_FEATURES}" lists ${got.length} features, expected ${FEATURE_COUNT}`);
  const at = FEATURE_NAMES.findIndex((name, i) => got[i] !== name);
  if (at >= 0) problems.push(`"${META_FEATURES}" position ${at} is "${got[at] ?? ''}", expected "${FEATURE_NAMES[at]}"`);
  else if (got.length === FEATURE_COUNT) problems.push(`"${META_FEATURES}" must be exactly "${EXPECTED_FEATURES_VALUE}"`);
  return problems;
}

function identifierProblems(key: string, value: string | undefined): string[] {
  if (value === undefined) return [`metadata_props lacks "${key}"`];
  if (!IDENTIFIER_PATTERN.test(value)) return [`"${key}" must match ${String(IDENTIFIER_PATTERN)}, found ${JSON.stringify(value)}`];
  return [];
}

/**
 * Everything wrong with a model's signature and metadata, as human-readable
 * sentences; an empty list means the model meets the contract. Pure: never
 * throws, never loads anything.
 */
export function checkContract(meta: ContractMeta): string[] {
  return [
    ...inputProblems(meta.inputs),
    ...outputProblems(meta.outputs),
    ...featureProblems(meta.metadata[META_FEATURES]),
    ...identifierProblems(META_MODEL_NAME, meta.metadata[META_MODEL_NAME]),
    ...identifierProblems(META_MODEL_VERSION, meta.metadata[META_MODEL_VERSION]),
  ];
}

/**
 * Problems with scores from an actual run (e.g. a probe batch): one finite
 * value in [0, 1] per row. At most a few examples are reported.
 */
export function checkScores(scores: ArrayLike<number>, rows: number): string[] {
  if (scores.length !== rows) return [`expected ${rows} scores, got ${scores.length}`];
  const bad: string[] = [];
  for (let i = 0; i < scores.length && bad.length < 3; i++) {
    const s = scores[i]!;
    // Written so that NaN fails too.
    if (!(s >= 0 && s <= 1)) bad.push(`score of row ${i} is ${s}, outside [0, 1]`);
  }
  return bad;
}
