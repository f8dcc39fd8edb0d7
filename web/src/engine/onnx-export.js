// A scratchnet model file (docs/model-format.md) as a standard ONNX model, for ONNX Runtime and the tools that read
// ONNX. Plain JavaScript with no dependency, loaded only when an export is asked for (engine.exportOnnx() imports it
// on demand), so the page and the embed never pay for it. The protobuf wire format is written by hand: the few
// messages ONNX needs, one function each, with the field numbers of onnx.proto.

import { EngineError } from './engine.js';

/** The model file's versions this reader knows, and its limits (cpp/core/model_file.h, network.h). */
const MODEL_FORMAT_VERSION = 3;
const MAX_WEIGHT_LAYERS = 8;
const MAX_LAYER_SIZE = 16384;
const MAX_PARAMETERS = 24 * 2 ** 20;
const OUTPUTS = Object.freeze(['sigmoid-l2', 'softmax-xent']);
const SCALINGS = Object.freeze(['unit', 'rms', 'standard']);

/** ONNX's IR version and default-domain opset that the exported model declares. */
export const ONNX_IR_VERSION = 7;
export const ONNX_OPSET = 13;

// ---------------------------------------------------------------------------------------------------------------
// Reading the model file: the same checks, in the same order and words, as load_model in cpp/core/model_file.cpp.

let crcTable;
/** CRC-32 (IEEE, as zlib's crc32) of `bytes`. */
export function crc32(bytes) {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let i = 0; i < 256; i++) {
      let c = i;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[i] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) crc = crcTable[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** @param {string} message */
const refuse = (message) => new EngineError(`model file: ${message}`);

/** `count` little-endian float32s from `offset`; throws `what` if one of them is not finite. */
function readFloats(view, offset, count, what) {
  const values = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    values[i] = view.getFloat32(offset + 4 * i, true);
    if (!Number.isFinite(values[i])) throw refuse(`holds a non-finite ${what}`);
  }
  return values;
}

/**
 * Reads and checks a scratchnet model file (versions 1 to 3). A version-1 file has no shape or scaling: it is
 * 28x28 for 784 inputs, else one row, and its inputs are pixel / 255.
 * @param {Uint8Array} bytes
 * @returns {import('./onnx-export').ScratchnetModel}
 */
export function readModelFile(bytes) {
  if (!(bytes instanceof Uint8Array)) throw new EngineError('the model must be a Uint8Array');
  const size = bytes.length;
  if (size < 24) throw refuse(`${size} bytes is too short to be a model`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u32 = (offset) => view.getUint32(offset, true);
  if (bytes[0] !== 0x53 || bytes[1] !== 0x4e || bytes[2] !== 0x45 || bytes[3] !== 0x54) throw refuse('not a scratchnet model (bad magic)');
  const version = u32(4);
  if (version < 1 || version > MODEL_FORMAT_VERSION)
    throw refuse(`format version ${version} is not supported (this build reads 1 to ${MODEL_FORMAT_VERSION})`);
  const outputKind = u32(8);
  if (outputKind > 1) throw refuse(`unknown output/loss kind ${outputKind}`);
  if (u32(12) !== 0) throw refuse(`unknown hidden activation ${u32(12)}`);
  const layerCount = u32(16);
  if (layerCount < 1 || layerCount > MAX_WEIGHT_LAYERS) throw refuse(`${layerCount} layers is out of range`);
  const sizesEnd = 20 + 4 * (layerCount + 1);
  if (size < sizesEnd + 4) throw refuse('truncated inside its header');
  const sizes = [];
  for (let i = 0; i <= layerCount; i++) {
    const layerSize = u32(20 + 4 * i);
    if (layerSize < 1 || layerSize > MAX_LAYER_SIZE) throw refuse(`layer size ${layerSize} is out of range`);
    sizes.push(layerSize);
  }
  if (sizes.at(-1) < 2) throw refuse('the output layer needs at least 2 classes');
  let parameters = 0;
  for (let i = 0; i < layerCount; i++) parameters += sizes[i] * sizes[i + 1] + sizes[i + 1];
  if (parameters > MAX_PARAMETERS) throw refuse(`the network has ${parameters} parameters; the limit is ${MAX_PARAMETERS}`);
  const inputs = sizes[0];

  // Version 1: no shape (28x28 for 784 inputs, else one row) and unit scaling; version 2 on: both after the sizes.
  let header = sizesEnd;
  let inputShape = inputs === 784 ? [28, 28] : [1, inputs];
  let scaling = 'unit';
  if (version >= 2) {
    header = sizesEnd + 12 + 8 * inputs;
    if (size < header + 4) throw refuse('truncated inside its header');
    const rows = u32(sizesEnd), cols = u32(sizesEnd + 4);
    if (rows === 0 || cols === 0 || rows * cols !== inputs)
      throw refuse(`an input shape of ${rows}x${cols} does not match ${inputs} inputs`);
    inputShape = [rows, cols];
    const scalingKind = u32(sizesEnd + 8);
    if (scalingKind >= SCALINGS.length) throw refuse(`unknown input scaling ${scalingKind}`);
    scaling = SCALINGS[scalingKind];
  }
  const weightsEnd = header + 4 * parameters;

  // Version 2 on: the optimizer-state flag, then the state (version 3's says more); then the checksum.
  let expected = weightsEnd + 4;
  let optimizerState = false;
  let stateFloats = 0;
  const stateHeader = version >= 3 ? 44 : 20;
  if (version >= 2) {
    if (size < weightsEnd + 8) throw refuse(`truncated (${size} of at least ${weightsEnd + 8} bytes)`);
    const flag = u32(weightsEnd);
    const sealed = crc32(bytes.subarray(0, size - 4)) === u32(size - 4);
    const corrupted = 'checksum mismatch (the file is corrupted)';
    expected = weightsEnd + 8;
    // A flag that does not fit the file's length: a corrupted byte, or sizes that declare too few parameters.
    if (flag >= 1 && size === expected) throw refuse(!sealed ? corrupted : `bad optimizer-state flag ${flag}`);
    if (flag === 1) {
      if (size < weightsEnd + 8 + stateHeader) throw refuse('truncated inside its optimizer state');
      const kind = u32(weightsEnd + 4);
      if (kind > 2) throw refuse(!sealed ? corrupted : `unknown optimizer ${kind}`);
      if (version >= 3 && [0, 1, 2, 3].every((i) => u32(weightsEnd + 32 + 4 * i) === 0))
        throw refuse(!sealed ? corrupted : 'bad dropout generator state (all zero)');
      optimizerState = true;
      stateFloats = parameters * (kind === 0 ? 1 : 2); // SGD: a velocity; Adam and AdamW: two moments
      expected = weightsEnd + 8 + stateHeader + 4 * stateFloats;
    }
  }
  if (size < expected) throw refuse(`truncated (${size} of ${expected} bytes)`);
  if (size > expected) throw refuse(`${size - expected} unexpected bytes after the checksum`);
  if (crc32(bytes.subarray(0, size - 4)) !== u32(size - 4)) throw refuse('checksum mismatch (the file is corrupted)');

  let scale, offset;
  if (version >= 2) {
    scale = readFloats(view, sizesEnd + 12, inputs, 'input scaling');
    offset = readFloats(view, sizesEnd + 12 + 4 * inputs, inputs, 'input scaling');
  } else {
    scale = new Float32Array(inputs).fill(1 / 255); // stored as float32, as the engine's 1.f / 255.f
    offset = new Float32Array(inputs);
  }
  const layers = [];
  let at = header;
  for (let l = 0; l < layerCount; l++) {
    const [fanIn, fanOut] = [sizes[l], sizes[l + 1]];
    const weights = readFloats(view, at, fanIn * fanOut, 'parameter');
    const bias = readFloats(view, at + 4 * fanIn * fanOut, fanOut, 'parameter');
    at += 4 * (fanIn * fanOut + fanOut);
    layers.push({ weights, bias });
  }
  if (optimizerState) {
    const first = weightsEnd + 4 + stateHeader;
    for (let i = 0; i < stateFloats; i++)
      if (!Number.isFinite(view.getFloat32(first + 4 * i, true))) throw refuse('holds a non-finite optimizer state');
  }
  return { version, output: OUTPUTS[outputKind], sizes, inputShape, scaling, scale, offset, layers, optimizerState };
}

// ---------------------------------------------------------------------------------------------------------------
// The protobuf wire format: a message is its fields one after another, each a key (field number << 3 | wire type)
// as a varint, then the value: a varint (type 0), four little-endian bytes (type 5), or a varint length and that
// many bytes (type 2: strings, bytes, nested messages). onnx.proto is proto2, whose repeated numbers are not packed:
// each value of a repeated field is a field of its own.

const VARINT = 0;
const LENGTH_DELIMITED = 2;
const utf8 = new TextEncoder();

/** Concatenates byte arrays. */
function concat(parts) {
  const out = new Uint8Array(parts.reduce((total, part) => total + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/**
 * A varint: 7 bits a byte, lowest first, the top bit set on every byte but the last. A negative int64 is written
 * as its 64-bit two's complement (ten bytes), as protobuf does.
 * @param {number|bigint} value a whole number from -2^63 to 2^64 - 1
 */
export function encodeVarint(value) {
  if (typeof value === 'number' && !Number.isSafeInteger(value)) throw new RangeError(`a varint must be a whole number, not ${value}`);
  let rest = BigInt.asUintN(64, BigInt(value));
  const out = [];
  while (rest >= 0x80n) {
    out.push(Number(rest & 0x7fn) | 0x80);
    rest >>= 7n;
  }
  out.push(Number(rest));
  return Uint8Array.from(out);
}

/** A field's key: its number and wire type. */
const key = (field, wireType) => encodeVarint(field * 8 + wireType);

/** A varint field (int32, int64, enum). */
export function varintField(field, value) {
  return concat([key(field, VARINT), encodeVarint(value)]);
}

/** A length-delimited field: bytes, or a nested message's encoding. */
export function bytesField(field, bytes) {
  return concat([key(field, LENGTH_DELIMITED), encodeVarint(bytes.length), bytes]);
}

/** A string field, in UTF-8. */
export function stringField(field, text) {
  return bytesField(field, utf8.encode(text));
}

/** Float32s as little-endian bytes, whatever the machine's byte order. */
function littleEndianFloats(values) {
  const out = new Uint8Array(4 * values.length);
  if (new Uint8Array(Float32Array.of(1).buffer)[3] === 0x3f) out.set(new Uint8Array(values.buffer, values.byteOffset, out.length));
  else {
    const view = new DataView(out.buffer);
    values.forEach((value, i) => view.setFloat32(4 * i, value, true));
  }
  return out;
}

// The ONNX messages, one function each (field numbers from onnx.proto).

const FLOAT = 1; // TensorProto.DataType.FLOAT
const ATTRIBUTE_INT = 2; // AttributeProto.AttributeType.INT

/** TensorProto: dims = 1 (repeated int64), data_type = 2, name = 8, raw_data = 9. A float32 tensor. */
function tensorProto(name, dims, values) {
  return concat([...dims.map((dim) => varintField(1, dim)), varintField(2, FLOAT), stringField(8, name), bytesField(9, littleEndianFloats(values))]);
}

/** AttributeProto: name = 1, i = 3, type = 20. An int attribute. */
function intAttribute(name, value) {
  return concat([stringField(1, name), varintField(3, value), varintField(20, ATTRIBUTE_INT)]);
}

/** NodeProto: input = 1, output = 2, name = 3, op_type = 4, attribute = 5 (all repeated but name and op_type). */
function nodeProto(opType, name, inputs, outputs, attributes = []) {
  return concat([
    ...inputs.map((input) => stringField(1, input)), ...outputs.map((output) => stringField(2, output)),
    stringField(3, name), stringField(4, opType), ...attributes.map((attribute) => bytesField(5, attribute)),
  ]);
}

/**
 * ValueInfoProto: name = 1, type = 2; TypeProto: tensor_type = 1; TypeProto.Tensor: elem_type = 1, shape = 2;
 * TensorShapeProto: dim = 1; Dimension: dim_value = 1 (a number) or dim_param = 2 (a name: a dynamic size).
 * A float32 tensor of shape `dims`.
 */
function valueInfoProto(name, dims) {
  const dimension = (dim) => (typeof dim === 'string' ? stringField(2, dim) : varintField(1, dim));
  const shape = concat(dims.map((dim) => bytesField(1, dimension(dim))));
  const tensorType = concat([varintField(1, FLOAT), bytesField(2, shape)]);
  return concat([stringField(1, name), bytesField(2, bytesField(1, tensorType))]);
}

/** GraphProto: node = 1, name = 2, initializer = 5, input = 11, output = 12. */
function graphProto(name, nodes, initializers, inputs, outputs) {
  return concat([
    ...nodes.map((node) => bytesField(1, node)), stringField(2, name), ...initializers.map((tensor) => bytesField(5, tensor)),
    ...inputs.map((input) => bytesField(11, input)), ...outputs.map((output) => bytesField(12, output)),
  ]);
}

/** OperatorSetIdProto: domain = 1, version = 2. */
function operatorSetIdProto(domain, version) {
  return concat([stringField(1, domain), varintField(2, version)]);
}

/** StringStringEntryProto: key = 1, value = 2. */
function stringStringEntryProto(name, value) {
  return concat([stringField(1, name), stringField(2, value)]);
}

/**
 * ModelProto: ir_version = 1, producer_name = 2, producer_version = 3, doc_string = 6, graph = 7, opset_import = 8,
 * metadata_props = 14.
 */
function modelProto({ graph, docString, metadata }) {
  return concat([
    varintField(1, ONNX_IR_VERSION), stringField(2, 'scratchnet'), stringField(3, String(MODEL_FORMAT_VERSION)),
    stringField(6, docString), bytesField(7, graph), bytesField(8, operatorSetIdProto('', ONNX_OPSET)),
    ...Object.entries(metadata).map(([name, value]) => bytesField(14, stringStringEntryProto(name, value))),
  ]);
}

// ---------------------------------------------------------------------------------------------------------------
// The graph: pixels (0..255) -> Mul scale -> Add offset -> Gemm [-> Relu -> Gemm]... -> Sigmoid or Softmax -> scores.

/**
 * A model read by readModelFile as an ONNX ModelProto.
 * @param {import('./onnx-export').ScratchnetModel} model
 * @returns {Uint8Array}
 */
export function modelToOnnx(model) {
  const { sizes, layers, output, scaling, inputShape } = model;
  const classes = sizes.at(-1);
  const nodes = [
    nodeProto('Mul', 'input_scale', ['pixels', 'input_scale'], ['scaled_pixels']),
    nodeProto('Add', 'input_offset', ['scaled_pixels', 'input_offset'], ['layer0']),
  ];
  const initializers = [tensorProto('input_scale', [sizes[0]], model.scale), tensorProto('input_offset', [sizes[0]], model.offset)];
  layers.forEach((layer, i) => {
    const l = i + 1;
    const last = l === layers.length;
    // The file's weights are input-major, [in x out]: B as it is, not transposed.
    initializers.push(tensorProto(`layer${l}.weight`, [sizes[i], sizes[l]], layer.weights), tensorProto(`layer${l}.bias`, [sizes[l]], layer.bias));
    const logits = last ? 'logits' : `layer${l}.linear`;
    nodes.push(nodeProto('Gemm', `layer${l}.gemm`, [`layer${i}`, `layer${l}.weight`, `layer${l}.bias`], [logits], [intAttribute('transB', 0)]));
    if (!last) nodes.push(nodeProto('Relu', `layer${l}.relu`, [logits], [`layer${l}`]));
  });
  nodes.push(output === 'softmax-xent'
    ? nodeProto('Softmax', 'output.softmax', ['logits'], ['scores'], [intAttribute('axis', -1)])
    : nodeProto('Sigmoid', 'output.sigmoid', ['logits'], ['scores']));
  const graph = graphProto('scratchnet', nodes, initializers, [valueInfoProto('pixels', ['N', sizes[0]])], [valueInfoProto('scores', ['N', classes])]);
  const shape = `${inputShape[0]}x${inputShape[1]}`;
  return modelProto({
    graph,
    docString: `scratchnet ${sizes.join('-')} ${output}; input: pixels, raw 0..255, float32 [N, ${sizes[0]}] (images of ${shape}, row by row); output: scores, float32 [N, ${classes}]`,
    metadata: {
      'scratchnet.sizes': sizes.join('-'), 'scratchnet.output': output, 'scratchnet.input_scaling': scaling,
      'scratchnet.input_shape': shape, 'scratchnet.classes': String(classes),
    },
  });
}

/**
 * A scratchnet model file (versions 1 to 3) as an ONNX model (IR 7, opset 13). A bad or corrupted file throws an
 * EngineError worded as the engine's loadModel words it.
 * @param {Uint8Array} bytes
 * @returns {Uint8Array}
 */
export function modelFileToOnnx(bytes) {
  return modelToOnnx(readModelFile(bytes));
}
