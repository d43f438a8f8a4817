/**
 * Reads the contract-relevant facts of an ONNX file without running it:
 * graph inputs and outputs (names, element types, shapes), metadata_props,
 * opsets and producer. onnxruntime's session exposes inputs and outputs but
 * not metadata_props, so the registry needs this to call checkContract.
 */
import type { onnx } from 'onnx-proto';
import type { ContractMeta, ContractValueInfo } from './model-contract.ts';
import { decodeModel } from '../training/onnx-builder.ts';

/** ContractMeta plus provenance. */
export interface OnnxModelDescription extends ContractMeta {
  readonly inputs: readonly ContractValueInfo[];
  readonly outputs: readonly ContractValueInfo[];
  readonly irVersion: number;
  readonly producerName: string;
  readonly producerVersion: string;
  /** Operator set per domain; ai.onnx is reported as '' as in the file. */
  readonly opsets: ReadonlyArray<{ readonly domain: string; readonly version: number }>;
}

/** onnxruntime's names for TensorProto.DataType values (onnx.proto numbering). */
const ELEMENT_TYPES: Readonly<Record<number, string>> = {
  1: 'float32',
  2: 'uint8',
  3: 'int8',
  4: 'uint16',
  5: 'int16',
  6: 'int32',
  7: 'int64',
  8: 'string',
  9: 'bool',
  10: 'float16',
  11: 'float64',
  12: 'uint32',
  13: 'uint64',
  16: 'bfloat16',
};

/** int64 fields decode as Long objects when the `long` package is present, else as numbers. */
const toNumber = (v: number | { toString(): string } | null | undefined): number =>
  v === null || v === undefined ? 0 : typeof v === 'number' ? v : Number(v.toString());

function describeValue(value: onnx.IValueInfoProto): ContractValueInfo {
  const name = value.name ?? '';
  const tensor = value.type?.tensorType;
  if (tensor === null || tensor === undefined) return { name, isTensor: false };
  const elemType = tensor.elemType ?? 0;
  return {
    name,
    isTensor: true,
    type: ELEMENT_TYPES[elemType] ?? `onnx-type-${elemType}`,
    // A dim with neither value nor param is unknown: -1, which the contract treats as dynamic.
    shape: (tensor.shape?.dim ?? []).map((d) => (d.dimParam ? d.dimParam : d.dimValue != null ? toNumber(d.dimValue) : -1)),
  };
}

/** Decodes ONNX bytes into what checkContract and the registry need. Throws on bytes that are not a ModelProto. */
export function describeOnnxModel(bytes: Uint8Array): OnnxModelDescription {
  const model = decodeModel(bytes);
  const graph = model.graph;
  if (graph === null || graph === undefined) throw new Error('ONNX model has no graph');
  // Before IR 4 initializers had to be listed as inputs too; they are not fed by the caller.
  const initialized = new Set((graph.initializer ?? []).map((t) => t.name));
  const metadata: Record<string, string> = {};
  for (const entry of model.metadataProps ?? []) metadata[entry.key ?? ''] = entry.value ?? '';
  return {
    inputs: (graph.input ?? []).filter((i) => !initialized.has(i.name ?? '')).map(describeValue),
    outputs: (graph.output ?? []).map(describeValue),
    metadata,
    irVersion: toNumber(model.irVersion),
    producerName: model.producerName ?? '',
    producerVersion: model.producerVersion ?? '',
    opsets: (model.opsetImport ?? []).map((o) => ({ domain: o.domain ?? '', version: toNumber(o.version) })),
  };
}
