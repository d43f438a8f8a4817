/**
 * Small helpers to assemble ONNX protobuf messages with onnx-proto (the
 * compiled onnx.proto of ONNX 1.10, IR version 8), in the spirit of
 * `onnx.helper` in Python.
 */
import onnxProto from 'onnx-proto';
import type { onnx } from 'onnx-proto';

// onnx-proto is CommonJS whose exports Node's ESM loader cannot detect by name:
// take the namespace from the default export (module.exports).
const { onnx: proto } = onnxProto;

/** IR version written into every model: the newest onnx-proto knows (ONNX 1.10), read by all current runtimes. */
export const IR_VERSION = 8;
/** Domain of the classical-ML operators (TreeEnsembleRegressor, …). */
export const ML_DOMAIN = 'ai.onnx.ml';
/** The default operator domain is the empty string (ai.onnx). */
export const DEFAULT_DOMAIN = '';

const { AttributeType } = proto.AttributeProto;
const utf8 = new TextEncoder();

/** A FLOATS attribute (float32 values: ONNX stores `repeated float`). */
export function attrFloats(name: string, values: ArrayLike<number>): onnx.IAttributeProto {
  return { name, type: AttributeType.FLOATS, floats: Array.from(values) };
}

/** An INTS attribute. */
export function attrInts(name: string, values: ArrayLike<number>): onnx.IAttributeProto {
  return { name, type: AttributeType.INTS, ints: Array.from(values) };
}

/** An INT attribute. */
export function attrInt(name: string, value: number): onnx.IAttributeProto {
  return { name, type: AttributeType.INT, i: value };
}

/** A STRING attribute (UTF-8 bytes on the wire). */
export function attrString(name: string, value: string): onnx.IAttributeProto {
  return { name, type: AttributeType.STRING, s: utf8.encode(value) };
}

/** A STRINGS attribute. */
export function attrStrings(name: string, values: readonly string[]): onnx.IAttributeProto {
  return { name, type: AttributeType.STRINGS, strings: values.map((v) => utf8.encode(v)) };
}

/** A float32 initializer tensor. */
export function floatTensor(name: string, dims: readonly number[], values: ArrayLike<number>): onnx.ITensorProto {
  const size = dims.reduce((a, b) => a * b, 1);
  if (values.length !== size) throw new RangeError(`tensor ${name}: ${values.length} values for shape [${dims.join(', ')}]`);
  return { name, dims: [...dims], dataType: proto.TensorProto.DataType.FLOAT, floatData: Array.from(values) };
}

/** A float32 tensor graph input/output; string dims are symbolic (dim_param), numbers fixed (dim_value). */
export function floatValueInfo(name: string, dims: ReadonlyArray<number | string>): onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: proto.TensorProto.DataType.FLOAT,
        shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) },
      },
    },
  };
}

/** A graph node. */
export function makeNode(
  opType: string,
  inputs: readonly string[],
  outputs: readonly string[],
  options: { name: string; domain?: string; attributes?: onnx.IAttributeProto[]; docString?: string },
): onnx.INodeProto {
  return {
    opType,
    input: [...inputs],
    output: [...outputs],
    name: options.name,
    domain: options.domain ?? DEFAULT_DOMAIN,
    attribute: options.attributes ?? [],
    docString: options.docString ?? '',
  };
}

/** Everything a model file holds besides the defaults. */
export interface ModelParts {
  readonly graphName: string;
  readonly nodes: onnx.INodeProto[];
  readonly inputs: onnx.IValueInfoProto[];
  readonly outputs: onnx.IValueInfoProto[];
  readonly initializers?: onnx.ITensorProto[];
  /** Operator set versions per domain ('' is ai.onnx). */
  readonly opsets: ReadonlyArray<{ domain: string; version: number }>;
  readonly metadata: Readonly<Record<string, string>>;
  readonly producerName: string;
  readonly producerVersion: string;
  readonly docString?: string;
}

/** Serialises a ModelProto; throws if onnx-proto finds a malformed field. */
export function encodeModel(parts: ModelParts): Uint8Array {
  const model: onnx.IModelProto = {
    irVersion: IR_VERSION,
    producerName: parts.producerName,
    producerVersion: parts.producerVersion,
    docString: parts.docString ?? '',
    opsetImport: parts.opsets.map((o) => ({ domain: o.domain, version: o.version })),
    metadataProps: Object.entries(parts.metadata).map(([key, value]) => ({ key, value })),
    graph: {
      name: parts.graphName,
      node: parts.nodes,
      input: parts.inputs,
      output: parts.outputs,
      initializer: parts.initializers ?? [],
    },
  };
  const invalid = proto.ModelProto.verify(model);
  if (invalid !== null) throw new Error(`invalid ONNX model: ${invalid}`);
  return proto.ModelProto.encode(model).finish();
}

/** Parses ONNX bytes. */
export function decodeModel(bytes: Uint8Array): onnx.ModelProto {
  return proto.ModelProto.decode(bytes);
}
