// What first-layer hidden units respond to: each unit's input weights drawn as a tile of the images' shape
// (28×28 for MNIST), blue for
// negative, neutral for zero, orange-red for positive. Each tile is scaled to its own largest |weight|, as
// units differ a lot in overall size and one shared scale would leave most of them blank.
import type { HiddenWeights } from '../worker/protocol';
import { element, resolveColor } from './dom';

/** More tiles than this add little and cost layout; the rest are left out (and the note says so). */
const MAX_TILES = 100;
/** Colour map resolution: weights are quantised to this many steps from −max to +max. */
const MAP_STEPS = 256;

type Rgb = readonly [number, number, number];
interface Palette { negative: Rgb; neutral: Rgb; positive: Rgb }

// The palette is the stylesheet's (--tiles-negative, --tiles-neutral, --tiles-positive in views.css), so it
// follows the theme the element is in; these are its light values, for a stylesheet that lacks them.
const LIGHT: Palette = { negative: [33, 102, 172], neutral: [247, 247, 247], positive: [214, 72, 28] };

/** "rgb(r, g, b)" or "rgba(r, g, b, a)" as [r, g, b]; `otherwise` for anything else. */
function parseRgb(color: string, otherwise: Rgb): Rgb {
  const channels = color.match(/^rgba?\(\s*([\d.]+)[\s,]+([\d.]+)[\s,]+([\d.]+)/);
  return channels ? [Number(channels[1]), Number(channels[2]), Number(channels[3])] : otherwise;
}

export class WeightTiles {
  private readonly note: HTMLElement;
  private readonly grid: HTMLElement;
  private readonly legendScale: HTMLElement;
  private readonly legend: HTMLElement;
  private readonly canvases: HTMLCanvasElement[] = [];
  private readonly darkQuery = matchMedia('(prefers-color-scheme: dark)');
  /** a hidden element in the tiles' place, whose computed colour resolves the palette */
  private readonly probe = element('span', 'weight-tiles-probe');
  /** MAP_STEPS × RGBA, for `palette` */
  private readonly colorMap = new Uint8ClampedArray(MAP_STEPS * 4);
  private palette: Palette | null = null;
  private image: ImageData | null = null;
  private last: HiddenWeights | null = null;

  constructor(host: HTMLElement) {
    host.classList.add('weight-tiles');
    this.note = document.createElement('p');
    this.note.className = 'weight-tiles-note';
    this.note.textContent = 'No weights yet.';
    this.grid = document.createElement('div');
    this.grid.className = 'weight-tiles-grid';

    this.legend = document.createElement('div');
    this.legend.className = 'weight-tiles-legend';
    this.legend.setAttribute('aria-hidden', 'true'); // the note says the same in words
    this.legendScale = document.createElement('span');
    this.legendScale.className = 'weight-tiles-scale';
    const negative = document.createElement('span');
    negative.textContent = '−max';
    const zero = document.createElement('span');
    zero.className = 'weight-tiles-zero';
    zero.textContent = '0';
    const positive = document.createElement('span');
    positive.textContent = '+max';
    this.legend.append(negative, this.legendScale, positive);
    this.legendScale.append(zero);
    this.legend.hidden = true;
    this.probe.hidden = true;
    host.replaceChildren(this.note, this.grid, this.legend, this.probe);

    // With the theme left to the OS, a switch recolours the tiles at once (show() reads the palette).
    this.darkQuery.addEventListener('change', () => {
      if (this.last) this.show(this.last);
    });
  }

  /** Back to "no weights": a new data set is coming. */
  clear(): void {
    this.last = null;
    this.hideTiles('No weights yet.');
  }

  private hideTiles(note: string): void {
    for (const canvas of this.canvases) canvas.hidden = true;
    this.legend.hidden = true;
    // one image while there are tiles; with none, nothing to name (the note says why)
    this.grid.removeAttribute('role');
    this.grid.removeAttribute('aria-label');
    this.note.textContent = note;
  }

  show(w: HiddenWeights): void {
    this.last = w;
    const { rows, cols } = w;
    const units = Math.min(w.units, MAX_TILES, Math.floor(w.weights.length / Math.max(1, w.inputs)));
    if (units <= 0) {
      this.hideTiles('No weights to show.');
      return;
    }
    if (rows < 2 || cols < 2 || rows * cols !== w.inputs) {
      this.hideTiles(`The first layer's ${w.inputs} inputs are not an image, so its weights are not drawn.`);
      return;
    }

    this.updatePalette();
    if (!this.image || this.image.width !== cols || this.image.height !== rows) this.image = new ImageData(cols, rows);
    while (this.canvases.length < units) {
      const canvas = document.createElement('canvas');
      canvas.className = 'weight-tiles-tile';
      this.grid.append(canvas);
      this.canvases.push(canvas);
    }
    for (let unit = 0; unit < this.canvases.length; unit++) {
      const canvas = this.canvases[unit];
      canvas.hidden = unit >= units;
      if (unit < units) this.drawTile(canvas, w.weights, unit * w.inputs, w.inputs);
    }

    const shown = units < w.units ? `The first ${units} of ${w.units} hidden units` : `${units} hidden units`;
    const description = `${shown}, one ${rows}×${cols} tile of input weights each: blue negative, red positive, ` +
      'each tile scaled to its own largest weight.';
    this.note.textContent = description;
    this.grid.setAttribute('role', 'img');
    this.grid.setAttribute('aria-label', description);
    this.legend.hidden = false;
  }

  private drawTile(canvas: HTMLCanvasElement, weights: Float32Array, offset: number, inputs: number): void {
    const image = this.image;
    if (!image) return;
    let maxAbs = 0;
    for (let i = 0; i < inputs; i++) {
      const magnitude = Math.abs(weights[offset + i]);
      if (magnitude > maxAbs) maxAbs = magnitude;
    }
    // an all-zero (or non-finite) unit draws as neutral instead of dividing by zero
    const scale = maxAbs > 0 && Number.isFinite(maxAbs) ? (MAP_STEPS - 1) / (2 * maxAbs) : 0;
    const middle = (MAP_STEPS - 1) / 2;
    const rgba = image.data;
    const map = this.colorMap;
    for (let i = 0; i < inputs; i++) {
      const step = Math.round(middle + weights[offset + i] * scale) | 0;
      const from = 4 * (step < 0 ? 0 : step >= MAP_STEPS ? MAP_STEPS - 1 : step);
      const to = 4 * i;
      rgba[to] = map[from];
      rgba[to + 1] = map[from + 1];
      rgba[to + 2] = map[from + 2];
      rgba[to + 3] = 255;
    }
    if (canvas.width !== image.width || canvas.height !== image.height) {
      canvas.width = image.width;
      canvas.height = image.height;
      canvas.style.aspectRatio = `${image.width} / ${image.height}`;
    }
    const context = canvas.getContext('2d');
    context?.putImageData(image, 0, 0);
  }

  /** Reads the palette from the stylesheet, where the element is now; rebuilds the colour map if it changed. */
  private updatePalette(): void {
    const read = (name: string, otherwise: Rgb): Rgb =>
      parseRgb(resolveColor(this.probe, `var(${name})`, `rgb(${otherwise.join(' ')})`), otherwise);
    const palette: Palette = {
      negative: read('--tiles-negative', LIGHT.negative),
      neutral: read('--tiles-neutral', LIGHT.neutral),
      positive: read('--tiles-positive', LIGHT.positive),
    };
    const same = (a: Rgb, b: Rgb): boolean => a.every((channel, i) => channel === b[i]);
    const old = this.palette;
    if (old && same(old.negative, palette.negative) && same(old.neutral, palette.neutral) && same(old.positive, palette.positive)) return;
    this.palette = palette;
    const middle = (MAP_STEPS - 1) / 2;
    for (let step = 0; step < MAP_STEPS; step++) {
      const t = (step - middle) / middle; // −1 … 1
      const end = t < 0 ? palette.negative : palette.positive;
      const amount = Math.abs(t);
      for (let channel = 0; channel < 3; channel++) {
        this.colorMap[4 * step + channel] = palette.neutral[channel] + (end[channel] - palette.neutral[channel]) * amount;
      }
      this.colorMap[4 * step + 3] = 255;
    }
  }
}
