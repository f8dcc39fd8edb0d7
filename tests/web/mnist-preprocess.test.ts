// Tests of the drawing → MNIST preprocessing. Synthetic drawings check each property MNIST's own digits
// have (20×20 fit, centre of mass at (14, 14), aspect kept, anti-aliased edges); real MNIST digits, blown
// up and moved as if someone had drawn them, check that the whole pipeline gives them back.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  MNIST_SIZE,
  axisWeights,
  boundingBox,
  centreOfMass,
  extractInk,
  placeImage,
  preprocessDrawing,
  resampleToFit,
  shiftImage,
  type InkImage,
  type RasterImage,
} from '../../web/src/lib/mnist-preprocess';

// ---- helpers: fake canvases ----

/** A transparent RGBA canvas, as the draw pad has before anything is drawn. */
function blankCanvas(width: number, height: number): RasterImage {
  return { data: new Uint8ClampedArray(width * height * 4), width, height };
}

/** Paints ink (alpha, in a fixed colour) where `inside` says, like a stroke on the draw pad. */
function paint(canvas: RasterImage, inside: (x: number, y: number) => boolean, alpha = 255): RasterImage {
  for (let y = 0; y < canvas.height; y++) {
    for (let x = 0; x < canvas.width; x++) {
      if (!inside(x + 0.5, y + 0.5)) continue;
      const o = (y * canvas.width + x) * 4;
      canvas.data.set([20, 20, 20, alpha], o);
    }
  }
  return canvas;
}

function rectangle(left: number, top: number, width: number, height: number) {
  return (x: number, y: number) => x >= left && x < left + width && y >= top && y < top + height;
}

function disk(cx: number, cy: number, radius: number) {
  return (x: number, y: number) => (x - cx) ** 2 + (y - cy) ** 2 <= radius ** 2;
}

/** A thick polyline: points within `halfWidth` of any segment (a round-capped pen stroke). */
function stroke(points: [number, number][], halfWidth: number) {
  return (x: number, y: number) => {
    for (let i = 1; i < points.length; i++) {
      const [ax, ay] = points[i - 1]!;
      const [bx, by] = points[i]!;
      const lengthSquared = (bx - ax) ** 2 + (by - ay) ** 2;
      const t = lengthSquared === 0 ? 0 : Math.max(0, Math.min(1, ((x - ax) * (bx - ax) + (y - ay) * (by - ay)) / lengthSquared));
      if ((x - ax - t * (bx - ax)) ** 2 + (y - ay - t * (by - ay)) ** 2 <= halfWidth ** 2) return true;
    }
    return false;
  };
}

/** A "7" (top bar, then a diagonal down-left) of the given size, at (left, top). */
function seven(left: number, top: number, size: number) {
  const s = size / 10;
  return stroke([[left + 1 * s, top + 1 * s], [left + 7 * s, top + 1 * s], [left + 3 * s, top + 9 * s]], 0.7 * s);
}

// ---- helpers: measuring 28×28 outputs ----

function asInk(pixels: Uint8Array): InkImage {
  return { pixels: Float32Array.from(pixels), width: MNIST_SIZE, height: MNIST_SIZE };
}

function preprocessOrFail(image: RasterImage): Uint8Array {
  const result = preprocessDrawing(image);
  if (!result) throw new Error('expected ink, got null');
  return result;
}

function meanAbsoluteDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i]! - b[i]!);
  return sum / a.length;
}

function correlation(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  let meanA = 0;
  let meanB = 0;
  for (let i = 0; i < n; i++) {
    meanA += a[i]! / n;
    meanB += b[i]! / n;
  }
  let cov = 0;
  let varA = 0;
  let varB = 0;
  for (let i = 0; i < n; i++) {
    cov += (a[i]! - meanA) * (b[i]! - meanB);
    varA += (a[i]! - meanA) ** 2;
    varB += (b[i]! - meanB) ** 2;
  }
  return cov / Math.sqrt(varA * varB);
}

/** Checks the two things every MNIST digit has: centre of mass within half a pixel of (14, 14), fitted to 20. */
function expectMnistShaped(pixels: Uint8Array): void {
  expect(pixels).toHaveLength(784);
  const centre = centreOfMass(asInk(pixels))!;
  expect(Math.abs(centre.x - 14)).toBeLessThanOrEqual(0.5 + 1e-9);
  expect(Math.abs(centre.y - 14)).toBeLessThanOrEqual(0.5 + 1e-9);
  const box = boundingBox(asInk(pixels))!;
  expect(Math.max(box.width, box.height)).toBeGreaterThanOrEqual(19);
  expect(Math.max(box.width, box.height)).toBeLessThanOrEqual(20);
  expect(Math.min(...pixels)).toBe(0);
  expect(Math.max(...pixels)).toBe(255);
}

// ---- the building blocks ----

describe('building blocks', () => {
  it('extractInk reads alpha, luminance or darkness, and one-byte grey as is', () => {
    const rgba: RasterImage = { data: Uint8ClampedArray.from([255, 255, 255, 255, 0, 0, 0, 255, 255, 255, 255, 0]), width: 3, height: 1 };
    expect([...extractInk(rgba, 'alpha').pixels]).toEqual([255, 255, 0]);
    expect([...extractInk(rgba, 'luminance').pixels].map(Math.round)).toEqual([255, 0, 0]);
    expect([...extractInk(rgba, 'darkness').pixels].map(Math.round)).toEqual([0, 255, 0]);
    const grey: RasterImage = { data: Uint8Array.from([0, 7, 200]), width: 3, height: 1 };
    expect([...extractInk(grey).pixels]).toEqual([0, 7, 200]);
    expect([...extractInk(grey, 'alpha', 10).pixels]).toEqual([0, 0, 200]);
  });

  it('extractInk refuses data of the wrong length', () => {
    expect(() => extractInk({ data: new Uint8Array(10), width: 2, height: 2 })).toThrow(/10 bytes/);
    expect(() => extractInk({ data: new Uint8Array(0), width: 0, height: 0 })).toThrow(/size/);
  });

  it('boundingBox finds the ink and is null without it', () => {
    const image = extractInk(paint(blankCanvas(50, 40), rectangle(10, 5, 7, 20)));
    expect(boundingBox(image)).toEqual({ x: 10, y: 5, width: 7, height: 20 });
    expect(boundingBox(extractInk(blankCanvas(5, 5)))).toBeNull();
  });

  it('axisWeights covers each output pixel by area', () => {
    // 3 source pixels onto 2 output pixels: the middle one is split half and half.
    const spans = axisWeights(3, 2, 2 / 3);
    expect(spans[0]!.first).toBe(0);
    expect(spans[0]!.weights.map((w) => +w.toFixed(6))).toEqual([0.666667, 0.333333]);
    expect(spans[1]!.first).toBe(1);
    expect(spans[1]!.weights.map((w) => +w.toFixed(6))).toEqual([0.333333, 0.666667]);
  });

  it('resampleToFit scales the larger side to 20 and keeps the aspect ratio', () => {
    const image = extractInk(paint(blankCanvas(300, 300), rectangle(50, 20, 100, 200)));
    const fitted = resampleToFit(image, boundingBox(image)!, 20);
    expect([fitted.width, fitted.height]).toEqual([10, 20]);
    expect(Math.min(...fitted.pixels)).toBeCloseTo(255, 3); // a solid block stays solid
  });

  it('centreOfMass weighs by intensity', () => {
    const image: InkImage = { pixels: Float32Array.from([100, 0, 0, 300]), width: 2, height: 2 };
    expect(centreOfMass(image)).toEqual({ x: 0.75, y: 0.75 });
    expect(centreOfMass({ pixels: new Float32Array(4), width: 2, height: 2 })).toBeNull();
  });

  it('shiftImage moves by whole pixels and clips what falls off', () => {
    const image: InkImage = { pixels: Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]), width: 3, height: 3 };
    expect([...shiftImage(image, 1, 0).pixels]).toEqual([0, 1, 2, 0, 4, 5, 0, 7, 8]);
    expect([...shiftImage(image, -1, -1).pixels]).toEqual([5, 6, 0, 8, 9, 0, 0, 0, 0]);
    expect([...shiftImage(image, 5, 0).pixels]).toEqual(new Array(9).fill(0));
    expect([...placeImage(image, 2, 2, -1, 0).pixels]).toEqual([2, 3, 5, 6]);
  });
});

// ---- synthetic drawings ----

describe('preprocessDrawing on synthetic drawings', () => {
  it('returns null for an empty drawing, and for one that is all below the noise floor', () => {
    expect(preprocessDrawing(blankCanvas(280, 280))).toBeNull();
    const faint = paint(blankCanvas(280, 280), disk(100, 100, 30), 6);
    expect(preprocessDrawing(faint, { inkThreshold: 8 })).toBeNull();
    expect(preprocessDrawing(faint)).not.toBeNull();
  });

  it('centres an off-centre blob by its centre of mass and fits it in 20×20', () => {
    // A rectangle in the bottom-left corner, and a lopsided blob (big disk + small disk) top-right.
    const rect = preprocessOrFail(paint(blankCanvas(280, 280), rectangle(10, 150, 60, 120)));
    expectMnistShaped(rect);
    const box = boundingBox(asInk(rect))!;
    expect([box.width, box.height]).toEqual([10, 20]);

    const canvas = paint(blankCanvas(280, 280), disk(220, 40, 30));
    paint(canvas, disk(170, 60, 12));
    const blob = preprocessOrFail(canvas);
    expectMnistShaped(blob);
    // Lopsided: the centre of mass is not the box centre, so centring by mass is not centring by box.
    const blobBox = boundingBox(asInk(blob))!;
    expect(Math.abs(blobBox.x + (blobBox.width - 1) / 2 - 14)).toBeGreaterThan(1);
  });

  it('keeps the aspect ratio: a tall thin stroke stays tall and thin, a wide one wide', () => {
    const tall = boundingBox(asInk(preprocessOrFail(paint(blankCanvas(280, 280), rectangle(200, 30, 14, 220)))))!;
    expect(tall.height).toBe(20);
    expect(tall.width).toBeLessThanOrEqual(3);
    const wide = boundingBox(asInk(preprocessOrFail(paint(blankCanvas(280, 280), rectangle(20, 40, 240, 60)))))!;
    expect(wide.width).toBe(20);
    expect(wide.height).toBeGreaterThanOrEqual(5);
    expect(wide.height).toBeLessThanOrEqual(6);
  });

  it('anti-aliases: edges of a round stroke come out grey, not just 0 and 255', () => {
    const pixels = preprocessOrFail(paint(blankCanvas(280, 280), stroke([[60, 60], [200, 220]], 12)));
    const greys = pixels.filter((v) => v > 10 && v < 245).length;
    const solid = pixels.filter((v) => v >= 245).length;
    expect(greys).toBeGreaterThanOrEqual(10);
    expect(solid).toBeGreaterThanOrEqual(10);
  });

  it('handles a single dot: one pixel, and a pen tap', () => {
    const pixel = preprocessOrFail(paint(blankCanvas(280, 280), rectangle(5, 270, 1, 1)));
    expectMnistShaped(pixel);
    expect(pixel.filter((v) => v === 255)).toHaveLength(400); // one pixel blown up to fill 20×20
    const tap = preprocessOrFail(paint(blankCanvas(280, 280), disk(250, 30, 10)));
    expectMnistShaped(tap);
  });

  it('gives similar outputs for the same digit drawn big or tiny, anywhere', () => {
    const big = preprocessOrFail(paint(blankCanvas(280, 280), seven(15, 10, 260)));
    const tiny = preprocessOrFail(paint(blankCanvas(280, 280), seven(190, 200, 60)));
    expectMnistShaped(big);
    expectMnistShaped(tiny);
    expect(meanAbsoluteDifference(big, tiny)).toBeLessThan(10);
    expect(correlation(big, tiny)).toBeGreaterThan(0.95);
  });

  it('gives the same answer whatever the ink convention', () => {
    const shape = seven(40, 30, 200);
    const alpha = preprocessOrFail(paint(blankCanvas(280, 280), shape));
    // White on opaque black, and black on opaque white.
    const whiteOnBlack = blankCanvas(280, 280);
    const blackOnWhite = blankCanvas(280, 280);
    for (let i = 0; i < 280 * 280; i++) {
      const ink = shape((i % 280) + 0.5, Math.floor(i / 280) + 0.5);
      whiteOnBlack.data.set(ink ? [255, 255, 255, 255] : [0, 0, 0, 255], i * 4);
      blackOnWhite.data.set(ink ? [0, 0, 0, 255] : [255, 255, 255, 255], i * 4);
    }
    expect(preprocessDrawing(whiteOnBlack, { ink: 'luminance' })).toEqual(alpha);
    expect(preprocessDrawing(blackOnWhite, { ink: 'darkness' })).toEqual(alpha);
  });

  it('keeps faint ink faint unless asked to stretch the contrast', () => {
    const faint = paint(blankCanvas(280, 280), rectangle(100, 40, 40, 200), 100);
    expect(Math.max(...preprocessOrFail(faint))).toBe(255);
    expect(Math.max(...(preprocessDrawing(faint, { normalizeContrast: false }) ?? []))).toBe(100);
  });
});

// ---- real MNIST digits ----

const testImagesPath = fileURLToPath(new URL('../../web/public/data/mnist/t10k-images-idx3-ubyte.gz', import.meta.url));
const haveMnist = existsSync(testImagesPath);
if (!haveMnist) console.warn(`skipping the real-MNIST check: ${testImagesPath} is missing (run npm run setup)`);

describe.skipIf(!haveMnist)('preprocessDrawing on real MNIST digits drawn large', () => {
  const DIGITS = 200;
  const SCALE = 10;

  function mnistDigits(): Uint8Array[] {
    const bytes = gunzipSync(readFileSync(testImagesPath));
    const digits: Uint8Array[] = [];
    for (let k = 0; k < DIGITS; k++) digits.push(bytes.subarray(16 + k * 784, 16 + (k + 1) * 784));
    return digits;
  }

  /** Grey value of a 28×28 digit at (x, y) in its pixel units (pixel centres at integers), bilinear. */
  function bilinear(digit: Uint8Array, x: number, y: number): number {
    const at = (col: number, row: number) => (col < 0 || row < 0 || col >= 28 || row >= 28 ? 0 : digit[row * 28 + col]!);
    const x0 = Math.floor(x);
    const y0 = Math.floor(y);
    const fx = x - x0;
    const fy = y - y0;
    return (
      (at(x0, y0) * (1 - fx) + at(x0 + 1, y0) * fx) * (1 - fy) + (at(x0, y0 + 1) * (1 - fx) + at(x0 + 1, y0 + 1) * fx) * fy
    );
  }

  /**
   * The digit's 28×28 field blown up ×10 onto a 360×330 canvas at (left, top), as alpha ink: either by
   * pixel replication, greys kept; or smoothly (bilinear) and then binarised at half intensity, which looks
   * like a pen stroke or one of the binary NIST scans that MNIST was made from.
   */
  function drawLarge(digit: Uint8Array, left: number, top: number, style: 'replicated' | 'binary'): RasterImage {
    const canvas = blankCanvas(360, 330);
    for (let y = 0; y < 28 * SCALE; y++) {
      for (let x = 0; x < 28 * SCALE; x++) {
        const alpha =
          style === 'replicated'
            ? digit[Math.floor(y / SCALE) * 28 + Math.floor(x / SCALE)]!
            : bilinear(digit, (x + 0.5) / SCALE - 0.5, (y + 0.5) / SCALE - 0.5) >= 128
              ? 255
              : 0;
        canvas.data[((top + y) * canvas.width + left + x) * 4 + 3] = alpha;
      }
    }
    return canvas;
  }

  /** Each digit drawn large at its own off-centre place, preprocessed, and compared with the original. */
  function compare(style: 'replicated' | 'binary'): { mad: number[]; correlation: number[] } {
    const mad: number[] = [];
    const r: number[] = [];
    mnistDigits().forEach((digit, k) => {
      const result = preprocessOrFail(drawLarge(digit, (k * 37) % 80, (k * 13) % 50, style));
      expectMnistShaped(result);
      mad.push(meanAbsoluteDifference(result, digit));
      r.push(correlation(result, digit));
    });
    return { mad, correlation: r };
  }

  const mean = (values: number[]) => values.reduce((sum, v) => sum + v, 0) / values.length;

  it('gives back a ×10 copy of each digit, drawn off-centre, almost exactly', () => {
    // MNIST digits are already fitted to 20 and centred by mass, so the pipeline must be a near identity.
    const { mad, correlation: r } = compare('replicated');
    console.info(`replicated ×10: mean |diff| ${mean(mad).toFixed(3)}, worst ${Math.max(...mad).toFixed(3)}; ` +
      `mean r ${mean(r).toFixed(6)}, worst ${Math.min(...r).toFixed(6)}`);
    expect(Math.max(...mad)).toBeLessThan(1);
    expect(Math.min(...r)).toBeGreaterThan(0.999);
  });

  it('turns a smooth binarised ×10 copy (like a NIST scan) back into something close to the MNIST digit', () => {
    // Binarising drops the faint pixels, so the box shrinks and thin strokes can land a pixel away, which
    // costs a thin "1" much correlation; measured over these 200 digits: mean |diff| 6.6, mean r 0.944,
    // 83% with r > 0.9, worst r 0.67.
    const { mad, correlation: r } = compare('binary');
    const shareAbove90 = r.filter((v) => v > 0.9).length / r.length;
    console.info(`binarised ×10: mean |diff| ${mean(mad).toFixed(2)}, worst ${Math.max(...mad).toFixed(2)}; ` +
      `mean r ${mean(r).toFixed(4)}, worst ${Math.min(...r).toFixed(4)}, share r > 0.9: ${shareAbove90}`);
    expect(mean(mad)).toBeLessThan(8);
    expect(Math.max(...mad)).toBeLessThan(25);
    expect(mean(r)).toBeGreaterThan(0.93);
    expect(shareAbove90).toBeGreaterThan(0.8);
  });
});
