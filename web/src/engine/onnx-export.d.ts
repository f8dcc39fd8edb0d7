import type { OutputLoss, Scaling } from '../wasm/scratchnet-module.js';

/** A scratchnet model file as read by readModelFile (a version-1 file gets the shape and unit scaling it implies). */
export interface ScratchnetModel {
  /** the file's format version, 1 to 3 */
  version: number;
  output: OutputLoss;
  /** input, hidden..., output (the class count) */
  sizes: number[];
  /** rows, cols (rows × cols = sizes[0]) */
  inputShape: [number, number];
  scaling: Scaling;
  /** per input: input = pixel × scale + offset */
  scale: Float32Array;
  offset: Float32Array;
  /** per weight layer: weights [in × out], input-major, and bias [out] */
  layers: { weights: Float32Array; bias: Float32Array }[];
  /** whether the file also holds the optimizer's state (the export leaves it out) */
  optimizerState: boolean;
}

export declare const ONNX_IR_VERSION: number;
export declare const ONNX_OPSET: number;

/**
 * A scratchnet model file (versions 1 to 3) as an ONNX model (IR 7, opset 13): input `pixels` float32 [N, inputs]
 * of raw 0..255 pixels, output `scores` float32 [N, classes] (docs/model-format.md). A bad or corrupted file throws
 * an EngineError worded as loadModel's.
 */
export declare function modelFileToOnnx(bytes: Uint8Array): Uint8Array;
/** Reads and checks a model file as the engine's loadModel does; throws an EngineError for a bad one. */
export declare function readModelFile(bytes: Uint8Array): ScratchnetModel;
/** A model read by readModelFile as an ONNX ModelProto. */
export declare function modelToOnnx(model: ScratchnetModel): Uint8Array;
/** CRC-32 (IEEE, as zlib's crc32): the model file's checksum. */
export declare function crc32(bytes: Uint8Array): number;

// The protobuf wire-format pieces, exported for their tests.
/** A varint; a negative number is written as its 64-bit two's complement (ten bytes). */
export declare function encodeVarint(value: number | bigint): Uint8Array;
/** Key (field << 3 | 0) and a varint. */
export declare function varintField(field: number, value: number | bigint): Uint8Array;
/** Key (field << 3 | 2), the length as a varint, and the bytes. */
export declare function bytesField(field: number, bytes: Uint8Array): Uint8Array;
/** A bytes field holding the text in UTF-8. */
export declare function stringField(field: number, text: string): Uint8Array;
