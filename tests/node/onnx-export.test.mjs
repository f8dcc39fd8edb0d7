// ONNX export: models trained here, exported, and run in ONNX Runtime on the 10,000 MNIST test images give the
// engine's class scores; the protobuf encoder against bytes computed by hand; the file's structure read back by a
// small decoder written here; version-1 files; the export command's errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { crc32 as zlibCrc32 } from 'node:zlib';
import ort from 'onnxruntime-node';
import { EngineError, defaultOptionsFor } from '../../web/src/engine/engine.js';
import {
  ONNX_OPSET, bytesField, crc32, encodeVarint, modelFileToOnnx, readModelFile, stringField, varintField,
} from '../../web/src/engine/onnx-export.js';
import { loadNodeEngine } from '../../web/src/engine/node.js';
import { seededRandom } from '../../scripts/lib/seeded-random.mjs';
import { engineWithMnist, mnistFiles } from './helpers.mjs';

/** The tolerance the issue asks for, on scores in 0..1: the two sides sum in different orders (and ORT with FMA). */
const TOLERANCE = 1e-5;
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'scratchnet-onnx-'));

// --- a protobuf reader, independent of the encoder, for reading the exported files back -------------------------

/** The fields of a message: [{field, wire, value}], value a BigInt (varint), a number (fixed32) or bytes. */
function decodeMessage(bytes) {
  const fields = [];
  let at = 0;
  const varint = () => {
    let value = 0n;
    for (let shift = 0n; ; shift += 7n) {
      const byte = bytes[at++];
      assert.ok(byte !== undefined, 'a varint runs past the end');
      value |= BigInt(byte & 0x7f) << shift;
      if (byte < 0x80) return value;
    }
  };
  while (at < bytes.length) {
    const key = Number(varint());
    const [field, wire] = [key >>> 3, key & 7];
    if (wire === 0) fields.push({ field, wire, value: varint() });
    else if (wire === 2) {
      const length = Number(varint());
      assert.ok(at + length <= bytes.length, 'a length-delimited field runs past the end');
      fields.push({ field, wire, value: bytes.subarray(at, at + length) });
      at += length;
    } else if (wire === 5) {
      fields.push({ field, wire, value: new DataView(bytes.buffer, bytes.byteOffset + at, 4).getFloat32(0, true) });
      at += 4;
    } else assert.fail(`unexpected wire type ${wire}`);
  }
  return fields;
}
const text = (bytes) => new TextDecoder().decode(bytes);
const all = (fields, number) => fields.filter((f) => f.field === number).map((f) => f.value);
const one = (fields, number) => {
  const values = all(fields, number);
  assert.equal(values.length, 1, `field ${number} once`);
  return values[0];
};

/** The parts of an exported ModelProto that the tests look at. */
function readOnnx(bytes) {
  const model = decodeMessage(bytes);
  const graph = decodeMessage(one(model, 7));
  const opset = decodeMessage(one(model, 8));
  const node = (b) => {
    const f = decodeMessage(b);
    const attributes = all(f, 5).map((a) => {
      const af = decodeMessage(a);
      return [text(one(af, 1)), BigInt.asIntN(64, one(af, 3)), Number(one(af, 20))];
    });
    return { op: text(one(f, 4)), inputs: all(f, 1).map(text), outputs: all(f, 2).map(text), attributes };
  };
  const valueInfo = (b) => {
    const f = decodeMessage(b);
    const tensor = decodeMessage(one(decodeMessage(one(f, 2)), 1));
    const dims = all(decodeMessage(one(tensor, 2)), 1).map((d) => {
      const df = decodeMessage(d);
      return df[0].field === 1 ? Number(df[0].value) : text(df[0].value);
    });
    return { name: text(one(f, 1)), elemType: Number(one(tensor, 1)), dims };
  };
  const initializer = (b) => {
    const f = decodeMessage(b);
    return { name: text(one(f, 8)), dims: all(f, 1).map(Number), dataType: Number(one(f, 2)), raw: one(f, 9) };
  };
  return {
    irVersion: Number(one(model, 1)),
    producer: text(one(model, 2)),
    opset: { domain: text(one(opset, 1)), version: Number(one(opset, 2)) },
    metadata: Object.fromEntries(all(model, 14).map((e) => decodeMessage(e)).map((e) => [text(one(e, 1)), text(one(e, 2))])),
    nodes: all(graph, 1).map(node),
    initializers: all(graph, 5).map(initializer),
    inputs: all(graph, 11).map(valueInfo),
    outputs: all(graph, 12).map(valueInfo),
  };
}

// --- helpers -------------------------------------------------------------------------------------------------------

const testPixels = () => mnistFiles().testImages.subarray(16);
const testLabels = () => mnistFiles().testLabels.subarray(8);

function argmax(scores, row, classes) {
  let best = 0;
  for (let j = 1; j < classes; j++) if (scores[row * classes + j] > scores[row * classes + best]) best = j;
  return best;
}

/** Runs an ONNX file in ONNX Runtime on raw pixels (count × inputs, 0..255), as float32. */
async function runOnnx(onnx, pixels, inputs) {
  const session = await ort.InferenceSession.create(onnx);
  assert.deepEqual(session.inputNames, ['pixels']);
  assert.deepEqual(session.outputNames, ['scores']);
  const count = pixels.length / inputs;
  const result = await session.run({ pixels: new ort.Tensor('float32', Float32Array.from(pixels), [count, inputs]) });
  await session.release();
  return result.scores;
}

/** ONNX Runtime's scores against the engine's predict: within TOLERANCE and the same top class everywhere. */
function compareScores(actual, expected, classes, what) {
  assert.equal(actual.length, expected.length, `${what}: score count`);
  let maxDiff = 0, worst = -1;
  for (let i = 0; i < expected.length; i++) {
    const diff = Math.abs(actual[i] - expected[i]);
    if (!(diff <= maxDiff)) [maxDiff, worst] = [diff, i];
  }
  assert.ok(maxDiff <= TOLERANCE, `${what}: max |onnx - engine| ${maxDiff} at ${worst} (${actual[worst]} vs ${expected[worst]})`);
  const count = expected.length / classes;
  let disagreements = 0;
  for (let row = 0; row < count; row++) if (argmax(actual, row, classes) !== argmax(expected, row, classes)) disagreements++;
  assert.equal(disagreements, 0, `${what}: images whose top class differs`);
  return maxDiff;
}

function runCli(args) {
  const result = spawnSync(process.execPath, [join(ROOT, 'scripts', 'export.mjs'), ...args], { encoding: 'utf8', cwd: work });
  return { code: result.status, out: result.stdout, err: result.stderr };
}

// --- trained models in ONNX Runtime ---------------------------------------------------------------------------------

// Every output kind, every input scaling, and two networks with several hidden layers.
const MODELS = [
  { output: 'sigmoid-l2', scaling: 'unit', hidden: [64] },
  { output: 'softmax-xent', scaling: 'rms', hidden: [64] },
  { output: 'softmax-xent', scaling: 'standard', hidden: [64, 32] },
  { output: 'sigmoid-l2', scaling: 'standard', hidden: [48, 32, 16] },
];

for (const [index, config] of MODELS.entries()) {
  const name = `${config.output}, ${config.scaling} scaling, 784-${config.hidden.join('-')}-10`;
  test(`ONNX Runtime gives the engine's scores on the 10,000 test images: ${name}`, async (t) => {
    const engine = await engineWithMnist('simd', { trainLimit: 8000 });
    engine.createModel({ ...config, seed: 11 + index });
    engine.setOptions({ ...defaultOptionsFor(config.output), schedule: 'constant' });
    engine.train(200);
    const evaluation = engine.evaluate('test');
    assert.ok(evaluation.accuracy > 0.8, `the model learnt something (test accuracy ${evaluation.accuracy})`);

    const onnx = await engine.exportOnnx();
    const pixels = testPixels();
    const expected = engine.predict(pixels);
    const scores = await runOnnx(onnx, pixels, 784);
    assert.deepEqual(scores.dims, [10000, 10]);
    const maxDiff = compareScores(scores.data, expected, 10, name);
    // ONNX Runtime's top classes score as the engine's evaluate does.
    const labels = testLabels();
    let correct = 0;
    for (let i = 0; i < 10000; i++) if (argmax(scores.data, i, 10) === labels[i]) correct++;
    const engineCorrect = evaluation.confusion.filter((_, cell) => cell % 11 === 0).reduce((a, b) => a + b, 0);
    assert.equal(correct, engineCorrect, 'correct answers, ONNX Runtime against the engine\'s evaluate');
    t.diagnostic(`${name}: max |onnx - engine| = ${maxDiff.toExponential(2)}, test accuracy ${(correct / 100).toFixed(2)}%`);

    // The batch dimension is dynamic: one image alone gives the same scores.
    const single = await runOnnx(onnx, pixels.subarray(784 * 17, 784 * 18), 784);
    assert.deepEqual(single.dims, [1, 10]);
    compareScores(single.data, expected.subarray(170, 180), 10, `${name}, one image`);

    // The graph as docs/model-format.md describes it.
    const read = readOnnx(onnx);
    assert.equal(read.irVersion, 7);
    assert.equal(read.producer, 'scratchnet');
    assert.deepEqual(read.opset, { domain: '', version: ONNX_OPSET });
    assert.deepEqual(read.inputs, [{ name: 'pixels', elemType: 1, dims: ['N', 784] }]);
    assert.deepEqual(read.outputs, [{ name: 'scores', elemType: 1, dims: ['N', 10] }]);
    const last = config.output === 'sigmoid-l2' ? 'Sigmoid' : 'Softmax';
    const ops = ['Mul', 'Add', ...config.hidden.flatMap(() => ['Gemm', 'Relu']), 'Gemm', last];
    assert.deepEqual(read.nodes.map((node) => node.op), ops);
    for (const node of read.nodes.filter((n) => n.op === 'Gemm')) assert.deepEqual(node.attributes, [['transB', 0n, 2]]);
    if (last === 'Softmax') assert.deepEqual(read.nodes.at(-1).attributes, [['axis', -1n, 2]]);
    const sizes = [784, ...config.hidden, 10];
    assert.deepEqual(read.initializers.map((i) => [i.name, i.dims]), [
      ['input_scale', [784]], ['input_offset', [784]],
      ...sizes.slice(1).flatMap((out, l) => [[`layer${l + 1}.weight`, [sizes[l], out]], [`layer${l + 1}.bias`, [out]]]),
    ]);
    assert.deepEqual(read.metadata, {
      'scratchnet.sizes': sizes.join('-'), 'scratchnet.output': config.output, 'scratchnet.input_scaling': config.scaling,
      'scratchnet.input_shape': '28x28', 'scratchnet.classes': '10',
    });
    engine.dispose();
  });
}

// --- version-1 files -----------------------------------------------------------------------------------------------

/** A version-1 model file: "SNET", 1, output, 0 (ReLU), L, sizes, then per layer W [in x out] and b, then CRC-32. */
function version1File(output, sizes, seed) {
  const random = seededRandom(seed);
  let floats = 0;
  for (let l = 0; l + 1 < sizes.length; l++) floats += sizes[l] * sizes[l + 1] + sizes[l + 1];
  const bytes = new Uint8Array(20 + 4 * sizes.length + 4 * floats + 4);
  const view = new DataView(bytes.buffer);
  bytes.set([0x53, 0x4e, 0x45, 0x54]); // SNET
  [1, output, 0, sizes.length - 1, ...sizes].forEach((value, i) => view.setUint32(4 + 4 * i, value, true));
  for (let l = 0, at = 20 + 4 * sizes.length; l + 1 < sizes.length; l++) {
    const spread = 2 / Math.sqrt(sizes[l]);
    for (let i = 0; i < sizes[l] * sizes[l + 1] + sizes[l + 1]; i++, at += 4) view.setFloat32(at, (random() - 0.5) * spread, true);
  }
  view.setUint32(bytes.length - 4, zlibCrc32(bytes.subarray(0, bytes.length - 4)), true);
  return bytes;
}

test('version-1 files (no shape, pixel / 255) export with the shape and scaling they imply, and run', async (t) => {
  for (const [output, sizes] of [[0, [784, 32, 10]], [1, [784, 24, 16, 10]], [1, [6, 5, 3]]]) {
    const file = version1File(output, sizes, 5 + sizes.length);
    const engine = await loadNodeEngine('simd');
    const info = engine.loadModel(file);
    const model = readModelFile(file);
    assert.equal(model.version, 1);
    assert.deepEqual(model.inputShape, info.inputShape);
    assert.equal(model.scaling, 'unit');
    assert.ok(model.scale.every((s) => s === Math.fround(1 / 255)) && model.offset.every((o) => o === 0));

    const onnx = modelFileToOnnx(file);
    const inputs = sizes[0];
    const pixels = inputs === 784 ? testPixels() : Uint8Array.from({ length: inputs * 300 }, (_, i) => (i * 37) % 256);
    const classes = sizes.at(-1);
    const scores = await runOnnx(onnx, pixels, inputs);
    const maxDiff = compareScores(scores.data, engine.predict(pixels), classes, `version 1, ${sizes.join('-')}`);
    const metadata = readOnnx(onnx).metadata;
    assert.equal(metadata['scratchnet.input_shape'], inputs === 784 ? '28x28' : `1x${inputs}`);
    assert.equal(metadata['scratchnet.input_scaling'], 'unit');
    t.diagnostic(`version 1, ${sizes.join('-')} ${info.output}: max |onnx - engine| = ${maxDiff.toExponential(2)}`);
    // The same model saved again (today's version) exports to the same file but for nothing.
    assert.deepEqual(modelFileToOnnx(engine.saveModel()), onnx);
    engine.dispose();
  }
});

// --- the protobuf encoder ----------------------------------------------------------------------------------------

test('the protobuf encoder writes the bytes worked out by hand', () => {
  const bytes = (value) => [...value];
  // varints: 7 bits a byte, lowest first, the top bit on every byte but the last
  assert.deepEqual(bytes(encodeVarint(0)), [0x00]);
  assert.deepEqual(bytes(encodeVarint(1)), [0x01]);
  assert.deepEqual(bytes(encodeVarint(127)), [0x7f]);
  assert.deepEqual(bytes(encodeVarint(128)), [0x80, 0x01]);
  assert.deepEqual(bytes(encodeVarint(150)), [0x96, 0x01]); // 150 = 0b1_0010110
  assert.deepEqual(bytes(encodeVarint(300)), [0xac, 0x02]); // 300 = 0b10_0101100
  assert.deepEqual(bytes(encodeVarint(16384)), [0x80, 0x80, 0x01]);
  assert.deepEqual(bytes(encodeVarint(2 ** 32)), [0x80, 0x80, 0x80, 0x80, 0x10]);
  assert.deepEqual(bytes(encodeVarint(2n ** 63n)), [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]);
  // a negative int64 (Softmax's axis -1) is its 64-bit two's complement: ten bytes
  assert.deepEqual(bytes(encodeVarint(-1)), [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
  assert.deepEqual(bytes(encodeVarint(-2)), [0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
  assert.throws(() => encodeVarint(1.5), RangeError);
  // fields: key = field number << 3 | wire type, then the value
  assert.deepEqual(bytes(varintField(1, 7)), [0x08, 0x07]); // ModelProto.ir_version = 7
  assert.deepEqual(bytes(varintField(1, 150)), [0x08, 0x96, 0x01]);
  assert.deepEqual(bytes(varintField(20, 2)), [0xa0, 0x01, 0x02]); // AttributeProto.type = INT: key 160 takes two bytes
  assert.deepEqual(bytes(stringField(2, 'testing')), [0x12, 0x07, 0x74, 0x65, 0x73, 0x74, 0x69, 0x6e, 0x67]);
  assert.deepEqual(bytes(stringField(1, '')), [0x0a, 0x00]);
  assert.deepEqual(bytes(stringField(4, 'é')), [0x22, 0x02, 0xc3, 0xa9]); // UTF-8
  assert.deepEqual(bytes(bytesField(3, Uint8Array.of(0x08, 0x96, 0x01))), [0x1a, 0x03, 0x08, 0x96, 0x01]); // a nested message
  const long = bytesField(9, new Uint8Array(200).fill(7)); // a length past 127 takes two bytes
  assert.deepEqual(bytes(long.subarray(0, 3)), [0x4a, 0xc8, 0x01]);
  assert.equal(long.length, 203);
  // the model file's checksum: zlib's CRC-32
  assert.equal(crc32(new TextEncoder().encode('123456789')), 0xcbf43926);
  const random = seededRandom(3);
  const sample = Uint8Array.from({ length: 1000 }, () => Math.floor(random() * 256));
  assert.equal(crc32(sample), zlibCrc32(sample));
});

test('a tensor is written with its dims, FLOAT and little-endian raw_data', () => {
  const file = version1File(0, [3, 2], 1);
  const { initializers } = readOnnx(modelFileToOnnx(file));
  const weights = initializers.find((i) => i.name === 'layer1.weight');
  assert.deepEqual(weights.dims, [3, 2]);
  assert.equal(weights.dataType, 1);
  // the file's weights, input-major, byte for byte (both little-endian)
  assert.deepEqual([...weights.raw], [...file.subarray(20 + 4 * 2, 20 + 4 * 2 + 24)]);
  const scale = initializers.find((i) => i.name === 'input_scale');
  assert.deepEqual([...new Float32Array(scale.raw.slice().buffer)], [1, 2, 3].map(() => Math.fround(1 / 255)));
});

// --- the reader's checks against the engine's -----------------------------------------------------------------------

test('a bad model file is refused with the very message the engine gives', async () => {
  const engine = await engineWithMnist('simd', { trainLimit: 500, testLimit: 10 });
  engine.createModel({ hidden: [8], output: 'softmax-xent' });
  engine.setOptions({ ...defaultOptionsFor('softmax-xent'), optimizer: 'adam', learningRate: 0.001 });
  engine.train(3);
  const plain = engine.saveModel();
  const withState = engine.saveModel({ optimizerState: true });
  const edit = (bytes, change, reseal = false) => {
    const copy = bytes.slice();
    change(copy, new DataView(copy.buffer));
    if (reseal) new DataView(copy.buffer).setUint32(copy.length - 4, zlibCrc32(copy.subarray(0, copy.length - 4)), true);
    return copy;
  };
  const cases = {
    'too short': plain.subarray(0, 20),
    'bad magic': edit(plain, (b) => { b[0] = 0x58; }),
    'version 9': edit(plain, (_, v) => v.setUint32(4, 9, true)),
    'output kind 4': edit(plain, (_, v) => v.setUint32(8, 4, true)),
    'activation 1': edit(plain, (_, v) => v.setUint32(12, 1, true)),
    'no layers': edit(plain, (_, v) => v.setUint32(16, 0, true)),
    'a layer of 0': edit(plain, (_, v) => v.setUint32(24, 0, true)),
    'one class': edit(plain, (_, v) => v.setUint32(28, 1, true), true),
    'a shape that does not fit': edit(plain, (_, v) => v.setUint32(32, 27, true), true),
    'scaling 7': edit(plain, (_, v) => v.setUint32(40, 7, true), true),
    'a flipped weight byte': edit(plain, (b) => { b[5000] ^= 0x10; }),
    'truncated': plain.subarray(0, plain.length - 10),
    'an extra byte': Uint8Array.from([...plain, 0]),
    'a NaN weight': edit(plain, (_, v) => v.setFloat32(44 + 8 * 784 + 40, NaN, true), true),
    'an infinite scale': edit(plain, (_, v) => v.setFloat32(44, Infinity, true), true),
    'state truncated': withState.subarray(0, withState.length - 8),
    'unknown optimizer': edit(withState, (_, v) => v.setUint32(plain.length - 4, 9, true), true),
    'an optimizer state flag of 2': edit(plain, (_, v) => v.setUint32(plain.length - 8, 2, true), true),
  };
  for (const [what, bytes] of Object.entries(cases)) {
    let engineMessage;
    try {
      engine.loadModel(bytes);
      assert.fail(`${what}: the engine loaded it`);
    } catch (error) {
      assert.ok(error instanceof EngineError, `${what}: ${error}`);
      engineMessage = error.message;
    }
    assert.throws(() => modelFileToOnnx(bytes), (error) => {
      assert.ok(error instanceof EngineError, `${what}: an EngineError, not ${error}`);
      assert.equal(error.message, engineMessage, what);
      return true;
    });
  }
  // Files the engine takes are taken: with the optimizer's state (left out of the export) or without.
  assert.deepEqual(modelFileToOnnx(withState), modelFileToOnnx(plain));
  assert.equal(readModelFile(withState).optimizerState, true);
  engine.dispose();
});

// --- the command --------------------------------------------------------------------------------------------------

test('npm run export: writes the file engine.exportOnnx() gives; usage errors exit 2, a bad model exits 1', async () => {
  const engine = await engineWithMnist('simd', { trainLimit: 500, testLimit: 10 });
  engine.createModel({ hidden: [16], output: 'sigmoid-l2', scaling: 'rms' });
  engine.train(5);
  const modelPath = join(work, 'model.bin');
  writeFileSync(modelPath, engine.saveModel({ optimizerState: true }));
  const outPath = join(work, 'model.onnx');
  const good = runCli([modelPath, outPath]);
  assert.equal(good.code, 0, good.err);
  assert.match(good.out, /model\.onnx: 784-16-10 sigmoid-l2, rms scaling, 28x28 inputs, [\d,]+ bytes \(ONNX opset 13/);
  assert.deepEqual(new Uint8Array(readFileSync(outPath)), await engine.exportOnnx());
  const help = runCli(['--help']);
  assert.equal(help.code, 0);
  assert.match(help.out, /^usage: npm run export -- MODEL OUT\.onnx/);

  for (const [args, pattern] of [
    [[], /which model\?/], [[modelPath], /where to\?/], [[modelPath, outPath, 'extra'], /unexpected argument 'extra'/],
    [['--opset', '12', modelPath, outPath], /Unknown option '--opset'/], [[join(work, 'none.bin'), outPath], /MODEL: no file/],
    [[work, outPath], /that is a folder, not a model file/], [[modelPath, `${work}/`], /OUT .*: that names a folder/],
    [[modelPath, join(work, 'no-such-folder', 'x.onnx')], /the folder .* does not exist/],
  ]) {
    const result = runCli(args);
    assert.equal(result.code, 2, `${args.join(' ')}: ${result.err}`);
    assert.match(result.err, pattern);
    assert.match(result.err, /usage: npm run export/);
  }

  const corrupt = new Uint8Array(readFileSync(modelPath));
  corrupt[3000] ^= 0x01;
  const corruptPath = join(work, 'corrupt.bin');
  writeFileSync(corruptPath, corrupt);
  const corruptOut = join(work, 'corrupt.onnx');
  const bad = runCli([corruptPath, corruptOut]);
  assert.equal(bad.code, 1);
  assert.equal(bad.err, `error: ${corruptPath}: model file: checksum mismatch (the file is corrupted)\n`);
  assert.equal(bad.out, '');
  const notModel = join(work, 'notes.txt');
  writeFileSync(notModel, 'not a model at all, just some words');
  const refused = runCli([notModel, corruptOut]);
  assert.equal(refused.code, 1);
  assert.match(refused.err, /notes\.txt: model file: not a scratchnet model \(bad magic\)/);
  assert.ok(!existsSync(corruptOut), 'no ONNX file for a bad model');
  assert.deepEqual(readdirSync(work).filter((name) => name.includes('.tmp-')), [], 'no temporary file left');
  engine.dispose();
});
