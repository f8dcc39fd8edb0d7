// Reference benchmark: trains the same MLP as scratchnet (dense+ReLU hidden layers, sigmoid
// outputs, mean squared error, He-normal init, SGD with momentum) with TensorFlow.js on its
// WebAssembly backend, so our samples/s can be compared with a well-known library on the
// same machine. Only tfjs-core and tfjs-backend-wasm are used (both devDependencies).

import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import * as tfwasm from '@tensorflow/tfjs-backend-wasm';
import { seededRandom } from './seeded-random.mjs';

let configured = false;

// tfjs-core's Node bundle ships no gradient functions: they live in unbundled, extensionless
// ESM (dist/register_all_gradients.js) that the @tensorflow/tfjs union package bundles and
// Node cannot import directly. These are transcriptions of tfjs's own gradients
// (src/gradients/*_grad.ts) for the kernels this network differentiates through, so the
// backward pass runs the same ops it would with @tensorflow/tfjs, with one change in TF.js's
// favour: stock tfjs computes the backward products as transposed matmuls, which
// tfjs-backend-wasm runs in a plain C++ loop (only untransposed ones go to XNNPACK), at about a
// quarter of the speed. Here they transpose explicitly first, so XNNPACK runs all three products:
// we compare against TF.js at its best, not at its default. Ones already registered (e.g. by
// @tensorflow/tfjs) are left alone.
const reduceTo = (dy, shape, outShape) => {
  const axes = tf.broadcast_util.getReductionAxes(shape, outShape);
  return tf.reshape(axes.length > 0 ? tf.sum(dy, axes) : dy, shape);
};
const GRADIENTS = [
  {
    kernelName: tf.BatchMatMul,
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, [a, b], { transposeA, transposeB }) => {
      if (!transposeA && !transposeB) return { a: () => tf.matMul(dy, tf.transpose(b)), b: () => tf.matMul(tf.transpose(a), dy) };
      if (!transposeA) return { a: () => tf.matMul(dy, b, false, false), b: () => tf.matMul(dy, a, true, false) };
      if (!transposeB) return { a: () => tf.matMul(b, dy, false, true), b: () => tf.matMul(a, dy, false, false) };
      return { a: () => tf.matMul(b, dy, true, true), b: () => tf.matMul(dy, a, true, true) };
    },
  },
  {
    kernelName: tf.Add,
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, [a, b]) => {
      const outShape = tf.broadcast_util.assertAndGetBroadcastShape(a.shape, b.shape);
      return { a: () => reduceTo(dy, a.shape, outShape), b: () => reduceTo(dy, b.shape, outShape) };
    },
  },
  {
    kernelName: tf.Relu,
    inputsToSave: ['x'],
    gradFunc: (dy, [x]) => ({ x: () => tf.mul(dy, tf.cast(tf.step(x), 'float32')) }),
  },
  {
    kernelName: tf.Sigmoid,
    outputsToSave: [true],
    gradFunc: (dy, [y]) => ({ x: () => tf.mul(dy, tf.mul(y, tf.sub(tf.scalar(1), y))) }),
  },
  {
    kernelName: tf.SquaredDifference,
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, [a, b]) => ({
      a: () => tf.mul(dy, tf.mul(tf.scalar(2), tf.sub(a, b))),
      b: () => tf.mul(dy, tf.mul(tf.scalar(2), tf.sub(b, a))),
    }),
  },
  {
    kernelName: tf.Mean,
    inputsToSave: ['x'],
    gradFunc: (dy, [x], { axis }) => {
      const axes = tf.util.parseAxisParam(axis, x.shape);
      const reduceSize = axes.reduce((n, a) => n * x.shape[a], 1);
      const kept = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
      return { x: () => tf.div(tf.mul(tf.reshape(dy, kept), tf.ones(x.shape, 'float32')), reduceSize) };
    },
  },
];

// Loads the wasm backend once per process. In Node the Emscripten glue reads the .wasm with
// fs when given a plain directory path (its fetch path is skipped under Node), so the
// platform fetch, which cannot load file paths, must stay off (usePlatformFetch = false).
// tfjs never picks the threaded build under Node (WASM_HAS_MULTITHREAD_SUPPORT is false
// there), so this loads tfjs-backend-wasm-simd.wasm when SIMD validates, which Node 20 does;
// setThreadsCount(1) pins XNNPACK's pool to one thread regardless.
async function initWasmBackend() {
  if (!configured) {
    const dir = fileURLToPath(new URL('./', import.meta.resolve('@tensorflow/tfjs-backend-wasm')));
    tfwasm.setWasmPaths(dir, false);
    tfwasm.setThreadsCount(1);
    for (const g of GRADIENTS) if (!tf.getGradient(g.kernelName)) tf.registerGradient(g);
    configured = true;
  }
  // Every call, in case something switched backends since. Prod mode (no tfjs console
  // warnings, as in a deployed app) comes after, as it would hide why an init failed.
  if (!(await tf.setBackend('wasm'))) throw new Error('TensorFlow.js could not initialise the wasm backend');
  await tf.ready();
  tf.enableProdMode();
}

export async function benchTfjs({
  images,
  labels,
  count,
  inputs = 784,
  hidden = [2048],
  classes = 10,
  batchSize = 64,
  batches = 100,
  warmup = 10,
  learningRate = 0.5,
  momentum = 0.9,
  seed = 1,
}) {
  if (!(images instanceof Uint8Array) || images.length < count * inputs)
    throw new Error(`images must be a Uint8Array of at least count*inputs = ${count * inputs} bytes`);
  if (!(labels instanceof Uint8Array) || labels.length < count)
    throw new Error(`labels must be a Uint8Array of at least count = ${count} bytes`);
  if (labels.subarray(0, count).some((l) => l >= classes)) throw new Error(`labels must be below classes = ${classes}`);
  if (count < batchSize) throw new Error(`need at least one full batch (${batchSize}) of samples, got ${count}`);

  await initWasmBackend();

  // He-normal weights (stddev sqrt(2/fan_in), untruncated like ours). Hidden biases start at 0
  // and output biases, like ours, at the class-prior logit -ln(C-1) so each sigmoid starts at
  // 1/C: from 1/2 the first steps overshoot into the flat tail of the sigmoid and stall.
  const sizes = [inputs, ...hidden, classes];
  const params = [];
  for (let l = 0; l + 1 < sizes.length; ++l) {
    const [fanIn, fanOut] = [sizes[l], sizes[l + 1]];
    const bias0 = l + 2 === sizes.length && classes > 1 ? -Math.log(classes - 1) : 0;
    params.push(
      tf.tidy(() => ({
        w: tf.variable(tf.randomNormal([fanIn, fanOut], 0, Math.sqrt(2 / fanIn), 'float32', seed * 1000 + l)),
        b: tf.variable(tf.fill([fanOut], bias0)),
      })),
    );
  }
  const optimizer = tf.train.momentum(learningRate, momentum); // v = m·v + g; w -= lr·v, as ours
  const varList = params.flatMap(({ w, b }) => [w, b]);

  // Plain matMul + add + activation: tfjs-layers' Dense calls fused.matMul, but tfjs only
  // fuses the linear case while recording gradients, so training runs these same kernels.
  const forward = (x) => {
    let a = x;
    params.forEach(({ w, b }, l) => {
      const z = tf.add(tf.matMul(a, w), b);
      a = l === params.length - 1 ? tf.sigmoid(z) : tf.relu(z);
    });
    return a;
  };

  // Batches walk a fresh seeded shuffle each epoch, as our trainer does; the tail shorter
  // than a batch is dropped so every step has the same size.
  const rng = seededRandom(seed ^ 0x5eedf00d);  // the epoch shuffles, repeatable
  const order = new Uint32Array(count);
  for (let i = 0; i < count; ++i) order[i] = i;
  let cursor = count;
  const xBuf = new Float32Array(batchSize * inputs);
  const yBuf = new Float32Array(batchSize * classes);

  const step = () => {
    if (cursor + batchSize > count) {
      for (let i = count - 1; i > 0; --i) {
        const j = Math.floor(rng() * (i + 1));
        const t = order[i];
        order[i] = order[j];
        order[j] = t;
      }
      cursor = 0;
    }
    // Gather and /255 in JS into reused buffers, as ours fills its batch; tensor creation
    // then copies them into wasm memory. Both are part of the timed step.
    yBuf.fill(0);
    for (let b = 0; b < batchSize; ++b) {
      const idx = order[cursor + b];
      const src = idx * inputs;
      const dst = b * inputs;
      for (let p = 0; p < inputs; ++p) xBuf[dst + p] = images[src + p] * (1 / 255);
      yBuf[b * classes + labels[idx]] = 1;
    }
    cursor += batchSize;
    const loss = tf.tidy(() => {
      const x = tf.tensor2d(xBuf, [batchSize, inputs]);
      const y = tf.tensor2d(yBuf, [batchSize, classes]);
      // Mean over batch and classes of (onehot - y)^2, i.e. ours (gradient 2·diff/(B·C)).
      return optimizer.minimize(() => tf.mean(tf.squaredDifference(forward(x), y)), true, varList);
    });
    // Reading the loss back is what a training loop reporting progress does; it also makes
    // sure the step's work has completed before the clock is read.
    const value = loss.dataSync()[0];
    loss.dispose();
    return value;
  };

  try {
    for (let i = 0; i < warmup; ++i) step();
    let lossSum = 0;
    let finalLoss = NaN;
    const start = process.hrtime.bigint();
    for (let i = 0; i < batches; ++i) {
      finalLoss = step();
      lossSum += finalLoss;
    }
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;

    return {
      samplesPerSecond: (batches * batchSize) / seconds,
      seconds,
      batches,
      batchSize,
      backend: tf.getBackend(),
      // The backend loads the SIMD binary exactly when this flag is true (see initWasmBackend).
      simd: Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')),
      threads: tfwasm.getThreadsCount(),
      finalLoss, // loss of the last timed batch
      meanLoss: batches ? lossSum / batches : NaN, // mean over the timed batches, like our trainer's mean_loss
    };
  } finally {
    optimizer.dispose();
    // MomentumOptimizer.dispose() forgets its base class's learning-rate scalar (tfjs 4.22).
    if (optimizer.c && !optimizer.c.isDisposed) optimizer.c.dispose();
    for (const v of varList) v.dispose();
  }
}
