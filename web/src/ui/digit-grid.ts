// A sample of test digits, each with the network's answer beneath; wrong answers get a red frame and
// "true → predicted" text, so they do not depend on colour alone. Tiles are built once and reused.
import type { DigitPredictions } from '../worker/protocol';
import { context2d } from './dom';

/** CSS size of a digit; the canvas behind it has devicePixelRatio times as many pixels. */
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
  /** what the tiles' canvases show: the digits only change with a new sample, a theme or a pixel ratio */
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
    this.scratchImage = this.resizeScratch(28);

    // The ink follows the theme's text colour; redraw when the theme flips.
    matchMedia('(prefers-color-scheme: dark)').addEventListener('change', () => {
      if (this.last) this.show(this.last);
    });
  }

  show(p: DigitPredictions): void {
    this.last = p;
    const count = p.labels.length;
    const pixelsPerImage = count > 0 ? Math.floor(p.pixels.length / count) : 0;
    const side = Math.round(Math.sqrt(pixelsPerImage));
    if (side > 0 && side !== this.scratch.width) this.scratchImage = this.resizeScratch(side);

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
      const text = wrong ? `${truth} → ${guess}` : String(guess);
      if (text !== tile.text || wrong !== tile.wrong) {
        tile.text = text;
        tile.wrong = wrong;
        tile.label.textContent = text;
        tile.root.classList.toggle('digit-grid-tile--wrong', wrong);
        tile.root.setAttribute('aria-label', `true ${truth}, predicted ${guess}, ${wrong ? 'wrong' : 'right'}`);
      }
      if (redraw && side * side === pixelsPerImage) this.drawDigit(tile, p.pixels, i * pixelsPerImage, ink, backingSize);
    }

    this.host.dataset.wrong = String(wrongCount);
    this.summary.textContent = count === 0
      ? 'No predictions yet.'
      : `${wrongCount} of ${count} wrong. Under each digit: the network's answer; a red frame marks a mistake as true → predicted.`;
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

  private resizeScratch(side: number): ImageData {
    this.scratch.width = side;
    this.scratch.height = side;
    return this.scratchContext.createImageData(side, side);
  }

  /** Pixel values become the alpha of the theme's ink, then the 28×28 image is scaled up without blur. */
  private drawDigit(tile: Tile, pixels: Uint8Array, offset: number, ink: string, backingSize: number): void {
    const { canvas, context } = tile;
    if (canvas.width !== backingSize) {
      canvas.width = backingSize; // also resets the context's state
      canvas.height = backingSize;
    }
    const rgba = this.scratchImage.data;
    const count = this.scratch.width * this.scratch.width;
    for (let i = 0; i < count; i++) rgba[4 * i + 3] = pixels[offset + i];

    const scratch = this.scratchContext;
    scratch.putImageData(this.scratchImage, 0, 0); // replaces the pixels whatever the composite mode
    scratch.globalCompositeOperation = 'source-in'; // keep the alpha, take the colour
    scratch.fillStyle = ink;
    scratch.fillRect(0, 0, this.scratch.width, this.scratch.height);

    context.imageSmoothingEnabled = false;
    context.clearRect(0, 0, backingSize, backingSize);
    context.drawImage(this.scratch, 0, 0, backingSize, backingSize);
  }
}

