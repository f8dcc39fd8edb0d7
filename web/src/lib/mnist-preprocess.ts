// Turns a free-hand drawing into a 28×28 image in MNIST's own form, so that the network sees a drawn digit
// the way it saw its training digits. MNIST was made like this (LeCun, Cortes, Burges): each binary NIST
// digit was scaled, keeping its aspect ratio, to fit a 20×20 box, with anti-aliasing (so strokes get grey
// edges), then placed in a 28×28 field so that its centre of mass lands at the centre of the field.
//
// Measured on MNIST's 10,000 test digits (pixel i's centre at coordinate i): the ink's bounding box is 20
// pixels in its larger dimension for 9,997 of them (19 for the rest), every centre of mass lies within half
// a pixel of (14, 14), and the brightest pixel is 254 or 255. So: fit to 20, shift by a whole number of
// pixels that puts the centre of mass nearest (14, 14), and stretch the contrast so the peak is 255.
//
// Everything here is pure (no DOM) so that it runs in tests and in workers alike.

/** Side of an MNIST image. */
export const MNIST_SIZE = 28;
/** Side of the box MNIST fits each digit into, inside the 28×28 field. */
export const MNIST_FIT = 20;
/** Where MNIST puts the centre of mass, with pixel i's centre at coordinate i (see above). */
export const MNIST_CENTRE = 14;

/** Pixels as a canvas gives them (RGBA, 4 bytes a pixel), or one grey byte a pixel. */
export interface RasterImage {
  data: Uint8ClampedArray | Uint8Array;
  width: number;
  height: number;
}

/**
 * Which part of each RGBA pixel is ink:
 * - 'alpha' (default): the draw pad paints on a transparent canvas, so the ink is exactly the paint's
 *   coverage whatever colour the theme strokes with;
 * - 'luminance': white on black, like MNIST (the pixel composited over black);
 * - 'darkness': black on white, like paper (the pixel composited over white).
 * One-byte-per-pixel images are taken as ink directly (white on black), whatever this says.
 */
export type InkChannel = 'alpha' | 'luminance' | 'darkness';

export interface PreprocessOptions {
  ink?: InkChannel;
  /** ink at or below this (0..255) counts as background: a noise floor for photos or scans. Default 0. */
  inkThreshold?: number;
  /** stretch so the brightest output pixel is 255, as in MNIST. Default true. */
  normalizeContrast?: boolean;
}

/** A rectangle of pixels: columns x..x+width-1, rows y..y+height-1. */
export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** A single-channel image of ink intensities (0..255, not necessarily whole numbers). */
export interface InkImage {
  pixels: Float32Array;
  width: number;
  height: number;
}

export interface Point {
  x: number;
  y: number;
}

/** The ink of each pixel, 0..255, by the given convention; values at or below `threshold` become 0. */
export function extractInk(image: RasterImage, ink: InkChannel = 'alpha', threshold = 0): InkImage {
  const { data, width, height } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError(`image size must be positive whole numbers, got ${width}×${height}`);
  }
  const count = width * height;
  const channels = data.length / count;
  if (channels !== 1 && channels !== 4) {
    throw new RangeError(`image data has ${data.length} bytes: expected ${count} (grey) or ${count * 4} (RGBA)`);
  }
  const pixels = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    let value: number;
    if (channels === 1) {
      value = data[i]!;
    } else {
      const o = i * 4;
      const alpha = data[o + 3]!;
      if (ink === 'alpha') {
        value = alpha;
      } else {
        // Rec. 601 luma, the usual weights for "how bright does this look".
        const luma = 0.299 * data[o]! + 0.587 * data[o + 1]! + 0.114 * data[o + 2]!;
        value = ink === 'luminance' ? (luma * alpha) / 255 : ((255 - luma) * alpha) / 255;
      }
    }
    pixels[i] = value > threshold ? value : 0;
  }
  return { pixels, width, height };
}

/** The smallest box holding every pixel with ink (> 0), or null when there is none. */
export function boundingBox(image: InkImage): Box | null {
  const { pixels, width, height } = image;
  let left = width;
  let right = -1;
  let top = height;
  let bottom = -1;
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let x = 0; x < width; x++) {
      if (pixels[row + x]! > 0) {
        if (x < left) left = x;
        if (x > right) right = x;
        if (y < top) top = y;
        bottom = y;
      }
    }
  }
  if (right < 0) return null;
  return { x: left, y: top, width: right - left + 1, height: bottom - top + 1 };
}

/** For one output pixel along an axis: the first source pixel it overlaps and how much of each. */
interface AxisSpan {
  first: number;
  weights: number[];
}

/**
 * Area weights along one axis: `sourceLength` pixels, scaled by `scale` and shifted by `offset`, land on
 * `outputLength` pixels. Output pixel o gets source pixel i with weight = the length of the overlap of
 * [o, o+1) and [offset + i·scale, offset + (i+1)·scale); the weights of a fully covered output pixel sum
 * to 1, those of a partly covered edge pixel to less, which is the anti-aliasing.
 */
export function axisWeights(sourceLength: number, outputLength: number, scale: number, offset = 0): AxisSpan[] {
  const spans: AxisSpan[] = [];
  for (let o = 0; o < outputLength; o++) {
    const first = Math.max(0, Math.floor((o - offset) / scale));
    const weights: number[] = [];
    for (let i = first; i < sourceLength; i++) {
      const start = offset + i * scale;
      if (start >= o + 1) break;
      const overlap = Math.min(o + 1, start + scale) - Math.max(o, start);
      weights.push(overlap > 0 ? overlap : 0);
    }
    spans.push({ first, weights });
  }
  return spans;
}

/**
 * The ink inside `box`, scaled (aspect ratio kept) so that its larger side is exactly `fit` pixels, by
 * area averaging: each output pixel is the mean ink over the part of the drawing it covers. The smaller
 * side is centred in its whole number of pixels so that its two edges are anti-aliased alike.
 */
export function resampleToFit(image: InkImage, box: Box, fit: number = MNIST_FIT): InkImage {
  const scale = fit / Math.max(box.width, box.height);
  // A hair of tolerance so that exactly 20.000000001 pixels does not become 21.
  const outputWidth = Math.max(1, Math.ceil(box.width * scale - 1e-9));
  const outputHeight = Math.max(1, Math.ceil(box.height * scale - 1e-9));
  const columns = axisWeights(box.width, outputWidth, scale, (outputWidth - box.width * scale) / 2);
  const rows = axisWeights(box.height, outputHeight, scale, (outputHeight - box.height * scale) / 2);

  // Separable: first each source row of the box down to outputWidth columns, then the columns down.
  const narrowed = new Float32Array(box.height * outputWidth);
  for (let y = 0; y < box.height; y++) {
    const sourceRow = (box.y + y) * image.width + box.x;
    for (let ox = 0; ox < outputWidth; ox++) {
      const { first, weights } = columns[ox]!;
      let sum = 0;
      for (let k = 0; k < weights.length; k++) sum += weights[k]! * image.pixels[sourceRow + first + k]!;
      narrowed[y * outputWidth + ox] = sum;
    }
  }
  const pixels = new Float32Array(outputWidth * outputHeight);
  for (let oy = 0; oy < outputHeight; oy++) {
    const { first, weights } = rows[oy]!;
    for (let ox = 0; ox < outputWidth; ox++) {
      let sum = 0;
      for (let k = 0; k < weights.length; k++) sum += weights[k]! * narrowed[(first + k) * outputWidth + ox]!;
      pixels[oy * outputWidth + ox] = sum;
    }
  }
  return { pixels, width: outputWidth, height: outputHeight };
}

/** The intensity-weighted mean position (pixel i's centre at i), or null when there is no ink. */
export function centreOfMass(image: InkImage): Point | null {
  let mass = 0;
  let sumX = 0;
  let sumY = 0;
  for (let y = 0; y < image.height; y++) {
    for (let x = 0; x < image.width; x++) {
      const value = image.pixels[y * image.width + x]!;
      mass += value;
      sumX += value * x;
      sumY += value * y;
    }
  }
  return mass > 0 ? { x: sumX / mass, y: sumY / mass } : null;
}

/**
 * `source` copied into a new `width`×`height` image with its top-left corner at (left, top), which may be
 * negative or past the edge: whatever falls outside is dropped, and the rest is zero.
 */
export function placeImage(source: InkImage, width: number, height: number, left: number, top: number): InkImage {
  const pixels = new Float32Array(width * height);
  const fromX = Math.max(0, -left);
  const toX = Math.min(source.width, width - left);
  const fromY = Math.max(0, -top);
  const toY = Math.min(source.height, height - top);
  for (let y = fromY; y < toY; y++) {
    for (let x = fromX; x < toX; x++) {
      pixels[(top + y) * width + left + x] = source.pixels[y * source.width + x]!;
    }
  }
  return { pixels, width, height };
}

/** The image moved by whole pixels (dx right, dy down), same size, clipped at the edges. */
export function shiftImage(image: InkImage, dx: number, dy: number): InkImage {
  return placeImage(image, image.width, image.height, Math.round(dx), Math.round(dy));
}

/** Scales so that the brightest pixel is 255 (no change for an image without ink). */
export function stretchContrast(image: InkImage): InkImage {
  let peak = 0;
  for (const value of image.pixels) if (value > peak) peak = value;
  if (peak <= 0) return image;
  const gain = 255 / peak;
  return { ...image, pixels: image.pixels.map((value) => value * gain) };
}

/** Whole bytes 0..255, rounded. */
export function toBytes(image: InkImage): Uint8Array {
  const bytes = new Uint8Array(image.pixels.length);
  for (let i = 0; i < bytes.length; i++) bytes[i] = Math.min(255, Math.max(0, Math.round(image.pixels[i]!)));
  return bytes;
}

/**
 * A drawing in MNIST's form: 784 bytes, row by row, ink = 255 on 0, the digit fitted to 20×20 (aspect
 * kept, anti-aliased) and moved so that its centre of mass is nearest (14, 14). Null when there is no ink.
 */
export function preprocessDrawing(image: RasterImage, options: PreprocessOptions = {}): Uint8Array | null {
  const ink = extractInk(image, options.ink ?? 'alpha', options.inkThreshold ?? 0);
  const box = boundingBox(ink);
  if (!box) return null;
  let fitted = resampleToFit(ink, box, MNIST_FIT);
  if (options.normalizeContrast ?? true) fitted = stretchContrast(fitted);
  // Rounded to whole levels first so that the centre of mass is the one of the bytes we hand out.
  fitted = { ...fitted, pixels: Float32Array.from(toBytes(fitted)) };
  const centre = centreOfMass(fitted);
  if (!centre) return null; // cannot happen with ink in the box, but keeps the types honest
  // Put the fitted digit where its centre of mass lands nearest MNIST's centre, dropping any overhang.
  const left = Math.round(MNIST_CENTRE - centre.x);
  const top = Math.round(MNIST_CENTRE - centre.y);
  return toBytes(placeImage(fitted, MNIST_SIZE, MNIST_SIZE, left, top));
}
