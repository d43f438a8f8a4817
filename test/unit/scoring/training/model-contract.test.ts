import { describe, expect, it } from 'vitest';
import { FEATURE_COUNT, FEATURE_NAMES } from '../../../../src/scoring/features/feature-names.ts';
import {
  EXPECTED_FEATURES_VALUE,
  META_FEATURES,
  META_MODEL_NAME,
  META_MODEL_VERSION,
  checkContract,
  checkScores,
  pickScoreOutput,
  type ContractMeta,
} from '../../../../src/scoring/model/model-contract.ts';

const GOOD: ContractMeta = {
  inputs: [{ name: 'features', isTensor: true, type: 'float32', shape: ['N', FEATURE_COUNT] }],
  outputs: [{ name: 'score', isTensor: true, type: 'float32', shape: ['N', 1] }],
  metadata: { [META_FEATURES]: EXPECTED_FEATURES_VALUE, [META_MODEL_NAME]: 'risk-gbt', [META_MODEL_VERSION]: '2024.06.1' },
};

const withMeta = (patch: Record<string, string | undefined>): ContractMeta => {
  const metadata: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...GOOD.metadata, ...patch })) if (v !== undefined) metadata[k] = v;
  return { ...GOOD, metadata };
};

describe('checkContract', () => {
  it('accepts a conforming model, with [N] or [N, 1] scores and unknown batch dims', () => {
    expect(checkContract(GOOD)).toEqual([]);
    expect(checkContract({ ...GOOD, outputs: [{ name: 'y', type: 'float32', shape: [-1] }] })).toEqual([]);
    expect(checkContract({ ...GOOD, inputs: [{ name: 'x', type: 'float32', shape: [-1, FEATURE_COUNT] }] })).toEqual([]);
  });

  it('names the feature list value exactly', () => {
    expect(EXPECTED_FEATURES_VALUE.split(',')).toEqual([...FEATURE_NAMES]);
  });

  it('rejects wrong input count, type and shape', () => {
    expect(checkContract({ ...GOOD, inputs: [] })).toEqual(['expected exactly 1 input, found 0']);
    const float64 = checkContract({ ...GOOD, inputs: [{ ...GOOD.inputs[0]!, type: 'float64' }] });
    expect(float64).toEqual(['input "features" must be float32, found float64']);
    expect(checkContract({ ...GOOD, inputs: [{ ...GOOD.inputs[0]!, shape: ['N', FEATURE_COUNT - 1] }] })[0]).toMatch(
      /must have 15 features/,
    );
    expect(checkContract({ ...GOOD, inputs: [{ ...GOOD.inputs[0]!, shape: [1, FEATURE_COUNT] }] })[0]).toMatch(/dynamic batch/);
    expect(checkContract({ ...GOOD, inputs: [{ ...GOOD.inputs[0]!, shape: [] }] })[0]).toMatch(/must have shape/);
  });

  it('rejects outputs that are not a float32 [N] / [N, 1] score', () => {
    const out = (o: ContractMeta['outputs']) => checkContract({ ...GOOD, outputs: o });
    expect(out([{ name: 'p', type: 'float32', shape: ['N', 2] }])[0]).toMatch(/\[N\] or \[N, 1\]/);
    expect(out([{ name: 'label', type: 'int64', shape: ['N'] }, { name: 'p', type: 'float32', shape: ['N'] }])[0]).toMatch(
      /exactly 1 output or one named "score"/,
    );
    expect(out([{ name: 'score', isTensor: false }])).toEqual(['output "score" must be a tensor, not a sequence or map']);
    // Extra outputs are fine when one is called score.
    expect(out([{ name: 'label', type: 'int64', shape: ['N'] }, GOOD.outputs[0]!])).toEqual([]);
  });

  it('rejects missing or mismatched metadata_props', () => {
    expect(checkContract(withMeta({ [META_FEATURES]: undefined }))[0]).toMatch(/lacks "invoice_lake.features"/);
    const swapped = [...FEATURE_NAMES];
    [swapped[3], swapped[4]] = [swapped[4]!, swapped[3]!];
    expect(checkContract(withMeta({ [META_FEATURES]: swapped.join(',') }))).toEqual([
      `"${META_FEATURES}" position 3 is "receiver_count_30d", expected "issuer_amount_30d"`,
    ]);
    expect(checkContract(withMeta({ [META_FEATURES]: FEATURE_NAMES.slice(0, 3).join(',') }))[0]).toMatch(/lists 3 features/);
    expect(checkContract(withMeta({ [META_FEATURES]: `${EXPECTED_FEATURES_VALUE},extra` }))[0]).toMatch(/lists 16 features/);
    expect(checkContract(withMeta({ [META_FEATURES]: EXPECTED_FEATURES_VALUE.replaceAll(',', ', ') })).length).toBeGreaterThan(0);
    expect(checkContract(withMeta({ [META_MODEL_NAME]: undefined }))).toEqual([`metadata_props lacks "${META_MODEL_NAME}"`]);
    expect(checkContract(withMeta({ [META_MODEL_VERSION]: 'v 1' }))[0]).toMatch(/model_version" must match/);
  });

  it('reports every problem at once', () => {
    expect(checkContract({ inputs: [], outputs: [], metadata: {} })).toHaveLength(5);
  });
});

describe('pickScoreOutput / checkScores', () => {
  it('picks the output named score, else the only output', () => {
    expect(pickScoreOutput([{ name: 'a' }, { name: 'score' }])?.name).toBe('score');
    expect(pickScoreOutput([{ name: 'a' }])?.name).toBe('a');
    expect(pickScoreOutput([{ name: 'a' }, { name: 'b' }])).toBeUndefined();
  });

  it('accepts finite scores in [0, 1] only', () => {
    expect(checkScores(Float32Array.of(0, 0.5, 1), 3)).toEqual([]);
    expect(checkScores([0.1, Number.NaN, 1.5, -0.1, 2], 5)).toHaveLength(3);
    expect(checkScores([0.1], 2)).toEqual(['expected 2 scores, got 1']);
  });
});
