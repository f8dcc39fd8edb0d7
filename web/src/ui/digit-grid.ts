// A sample of test images, each with the network's answer beneath (the class's name where the set has
// names); wrong answers get a red frame and "true → predicted" text, so they do not depend on colour alone.
// Images are drawn at their own shape (rows × cols). Tiles are built once and reused.
import type { DigitPredictions } from '../worker/protocol';
import { context2d } from './dom';

/** CSS size of an image's longer side; the canvas behind it has devicePixelRatio times as many pixels. */
const TILE_CSS_PIXELS = 42;

interface Tile {
  root: HTMLElement;
  canvas: HTMLCanvasElement;
  context: CanvasRenderingContext2D;
  label: HTMLElement;
  /** what the tile shows, to skip DOM writes when nothing changed */
  text: string;
  wrong: boolean;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export class DigitGrid {
  private readonly host: HTMLElement;
  private readonly summary: HTMLElement;
  private readonly tileList: HTMLElement;
  private readonly tiles: Tile[] = [];
  private scratch: HTMLCanvasElement;
  private scratchContext: CanvasRenderingContext2D;
  private scratchImage: ImageData;
  private last: DigitPredictions | null = null;
  private lastSummary: string | undefined;
  private names: readonly string[] = [];
  /** what the tiles' canvases show: the images only change with a new sample, a theme or a pixel ratio */
  private drawn: { pixels: Uint8Array; ink: string; backingSize: number } | null = null;

  constructor(host: HTMLElement) {
    this.host = host;
    host.classList.add('digit-grid');
    this.summary = document.createElement('p');
    this.summary.className = 'digit-grid-summary';
    this.summary.textContent = 'No predictions yet.';
    this.tileList = document.createElement('div');
    this.tileList.className = 'digit-grid-tiles';
    host.replaceChildren(this.summary, this.tileList);

    this.scratch = document.createElement('canvas');
    this.scratchContext = context2d(this.scratch);
    this.scratchImage = this.resizeScratch(28, 28);

    // The ink follows the theme's text colour; redraw when the theme flips.
    matchMedia('(prefers-color-scheme: dark)').addEventListener('change', () => {
      if (this.last) this.show(this.last, this.lastSummary);
    });
  }

  /** The name of each label (the label number where a set has no names). */
  setClassNames(names: readonly string[]): void {
    this.names = names;
    // long names get wider tiles, and may wrap
    this.host.classList.toggle('digit-grid--named', names.some((name) => name.length > 3));
    if (this.last) this.show(this.last, this.lastSummary);
  }

  /** Back to "no predictions": a new data set is coming. */
  clear(): void {
    this.last = null;
    this.drawn = null;
    for (const tile of this.tiles) tile.root.hidden = true;
    this.host.dataset.wrong = '0';
    this.summary.textContent = 'No predictions yet.';
  }

  /** `summary` replaces the line above the tiles (the mistakes gallery says where its images come from). */
  show(p: DigitPredictions, summary?: string): void {
    this.last = p;
    this.lastSummary = summary;
    const count = p.labels.length;
    const { rows, cols } = p;
    // a set of 1-D samples (rows 1) has no picture to show, only the answers
    const drawable = rows > 1 && cols > 1 && p.pixels.length >= count * rows * cols;
    if (drawable && (rows !== this.scratch.height || cols !== this.scratch.width)) this.scratchImage = this.resizeScratch(rows, cols);
    const name = (label: number) => this.names[label] ?? String(label);

    while (this.tiles.length < count) this.tiles.push(this.createTile());
    const backingSize = Math.round(TILE_CSS_PIXELS * (window.devicePixelRatio || 1));
    // one style read for all tiles; the ink is whatever colour the stylesheet gives the tiles' text
    const ink = count > 0 ? getComputedStyle(this.tiles[0].canvas).color : '';
    const drawn = this.drawn;
    const redraw = !drawn || drawn.ink !== ink || drawn.backingSize !== backingSize || !sameBytes(drawn.pixels, p.pixels);
    this.drawn = { pixels: p.pixels, ink, backingSize };

    let wrongCount = 0;
    for (let i = 0; i < this.tiles.length; i++) {
      const tile = this.tiles[i];
      if (i >= count) {
        tile.root.hidden = true;
        continue;
      }
      tile.root.hidden = false;
      const truth = p.labels[i];
      const guess = p.predicted[i];
      const wrong = truth !== guess;
      if (wrong) wrongCount++;
      const text = wrong ? `${name(truth)} → ${name(guess)}` : name(guess);
      if (text !== tile.text || wrong !== tile.wrong) {
        tile.text = text;
        tile.wrong = wrong;
        tile.label.textContent = text;
        tile.root.classList.toggle('digit-grid-tile--wrong', wrong);
        tile.root.setAttribute('aria-label', `true ${name(truth)}, predicted ${name(guess)}, ${wrong ? 'wrong' : 'right'}`);
      }
      tile.canvas.hidden = !drawable;
      if (redraw && drawable) this.drawImage(tile, p.pixels, i * rows * cols, ink, backingSize);
    }

    this.host.dataset.wrong = String(wrongCount);
    this.summary.textContent = summary ?? (count === 0
      ? 'No predictions yet.'
      : `${wrongCount} of ${count} wrong. Under each ${drawable ? 'image' : 'sample'}: the network's answer; a red frame marks a mistake as true → predicted.`);
  }

  private createTile(): Tile {
    const root = document.createElement('div');
    root.className = 'digit-grid-tile';
    // one image to assistive technology, described by its aria-label; the canvas and text are its parts
    root.setAttribute('role', 'img');
    const canvas = document.createElement('canvas');
    canvas.className = 'digit-grid-canvas';
    const label = document.createElement('span');
    label.className = 'digit-grid-label';
    root.append(canvas, label);
    this.tileList.append(root);
    return { root, canvas, context: context2d(canvas), label, text: '', wrong: false };
  }

  private resizeScratch(rows: number, cols: number): ImageData {
    this.scratch.width = cols;
    this.scratch.height = rows;
    return this.scratchContext.createImageData(cols, rows);
  }

  /** Pixel values become the alpha of the theme's ink, then the image is scaled up without blur, its longer side to the tile's. */
  private drawImage(tile: Tile, pixels: Uint8Array, offset: number, ink: string, backingSize: number): void {
    const { canvas, context } = tile;
    const { width: cols, height: rows } = this.scratch;
    const width = Math.max(1, Math.round(backingSize * Math.min(1, cols / rows)));
    const height = Math.max(1, Math.round(backingSize * Math.min(1, rows / cols)));
    if (canvas.width !== width || canvas.height !== height) {
      canvas.width = width; // also resets the context's state
      canvas.height = height;
      canvas.style.width = `${(TILE_CSS_PIXELS * width) / backingSize}px`;
      canvas.style.height = `${(TILE_CSS_PIXELS * height) / backingSize}px`;
    }
    const rgba = this.scratchImage.data;
    const count = cols * rows;
    for (let i = 0; i < count; i++) rgba[4 * i + 3] = pixels[offset + i];

    const scratch = this.scratchContext;
    scratch.putImageData(this.scratchImage, 0, 0); // replaces the pixels whatever the composite mode
    scratch.globalCompositeOperation = 'source-in'; // keep the alpha, take the colour
    scratch.fillStyle = ink;
    scratch.fillRect(0, 0, cols, rows);

    context.imageSmoothingEnabled = false;
    context.clearRect(0, 0, width, height);
    context.drawImage(this.scratch, 0, 0, width, height);
  }
}

