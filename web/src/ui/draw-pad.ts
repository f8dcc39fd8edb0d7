// A canvas to draw a digit on with mouse, pen or touch, and a 28×28 preview of what the network gets.
// Strokes are painted on a transparent canvas, so the ink is the alpha channel whatever colour the theme
// draws in (preprocessDrawing's 'alpha' convention); the pad's background comes from CSS.
import { MNIST_SIZE, preprocessDrawing } from '../lib/mnist-preprocess';
import { context2d } from './dom';

/**
 * Pen width as a fraction of the pad's side: 1/14 of 280 is 20 px, about 2 px once a digit that fills
 * most of the pad is fitted to 20×20, like MNIST's strokes.
 */
const STROKE_FRACTION = 1 / 14;
/**
 * Side of the copy that is analysed. Ten times the 28-pixel output is ample for area averaging, and it
 * keeps each frame's work the same on a 3× phone screen (834² pixels would cost several ms a frame).
 */
const ANALYSIS_SIZE = 280;

interface StrokePoint {
  x: number;
  y: number;
}

export class DrawPad {
  private readonly canvas: HTMLCanvasElement;
  private readonly context: CanvasRenderingContext2D;
  private readonly preview: HTMLCanvasElement;
  private readonly previewContext: CanvasRenderingContext2D;
  private readonly hint: HTMLElement;
  /** The pointer drawing now (one at a time: a second finger is ignored), or null. */
  private activePointer: number | null = null;
  /** The last point and the last midpoint of the stroke, for smooth quadratic segments. */
  private lastPoint: StrokePoint | null = null;
  private lastMidpoint: StrokePoint | null = null;
  private hasInk = false;
  private frameRequest = 0;
  /** The stroke colour, kept here because resizing a canvas resets its context's state. */
  private inkStyle = '#111';
  /** A scratch canvas for the reduced copy, made the first time one is needed. */
  private analysisContext: CanvasRenderingContext2D | null = null;

  constructor(
    host: HTMLElement,
    private readonly onDigit: (pixels: Uint8Array | null) => void,
  ) {
    const root = document.createElement('div');
    root.className = 'draw-pad';

    const surface = document.createElement('div');
    surface.className = 'draw-pad__surface';
    this.canvas = document.createElement('canvas');
    this.canvas.id = 'draw-canvas';
    this.canvas.className = 'draw-pad__canvas';
    this.canvas.setAttribute('role', 'img');
    this.canvas.setAttribute('aria-label', 'Drawing area: draw a digit with mouse, pen or touch');
    // Also set here, not only in CSS: without it a touch would scroll the page instead of drawing.
    this.canvas.style.touchAction = 'none';
    this.hint = document.createElement('span');
    this.hint.className = 'draw-pad__hint';
    this.hint.setAttribute('aria-hidden', 'true');
    this.hint.textContent = 'Draw a digit here';
    surface.append(this.canvas, this.hint);

    const side = document.createElement('div');
    side.className = 'draw-pad__side';
    const figure = document.createElement('figure');
    figure.className = 'draw-pad__preview';
    this.preview = document.createElement('canvas');
    this.preview.id = 'draw-preview';
    this.preview.width = MNIST_SIZE;
    this.preview.height = MNIST_SIZE;
    this.preview.setAttribute('role', 'img');
    this.preview.setAttribute('aria-label', 'What the network sees: your drawing reduced to 28 by 28 pixels');
    const caption = document.createElement('figcaption');
    caption.textContent = 'What the network sees (28×28)';
    figure.append(this.preview, caption);
    const clearButton = document.createElement('button');
    clearButton.type = 'button';
    clearButton.id = 'draw-clear';
    clearButton.textContent = 'Clear';
    clearButton.addEventListener('click', () => this.clear());
    side.append(figure, clearButton);

    root.append(surface, side);
    host.append(root);

    // willReadFrequently: we read the pixels back every frame, which is cheaper from a CPU-side canvas.
    this.context = context2d(this.canvas, { willReadFrequently: true });
    this.previewContext = context2d(this.preview);
    this.clearPreview();

    this.canvas.addEventListener('pointerdown', (event) => this.onPointerDown(event));
    this.canvas.addEventListener('pointermove', (event) => this.onPointerMove(event));
    this.canvas.addEventListener('pointerup', (event) => this.onPointerEnd(event));
    this.canvas.addEventListener('pointercancel', (event) => this.onPointerEnd(event));
    this.canvas.addEventListener('lostpointercapture', (event) => this.onPointerEnd(event));
    // A long press on touch screens would otherwise open a menu over the pad.
    this.canvas.addEventListener('contextmenu', (event) => event.preventDefault());

    // 280 CSS px until layout says otherwise (the pad may start in a hidden panel).
    this.fitBackingStore((this.canvas.clientWidth || 280) * devicePixelRatio);
    // CSS size × devicePixelRatio rather than devicePixelContentBoxSize, which Chromium reports without
    // an emulated pixel ratio; a stroke pad does not need exact device-pixel snapping.
    new ResizeObserver(() => this.fitBackingStore(this.canvas.clientWidth * devicePixelRatio)).observe(this.canvas);
    this.watchPixelRatio();
    // Ink drawn in the dark theme's light colour would vanish on the light theme's paper: recolour it.
    matchMedia('(prefers-color-scheme: dark)').addEventListener('change', () => this.recolourInk());
  }

  /** Wipes the drawing and the preview, and tells the listener there is no digit. */
  clear(): void {
    this.cancelFrame();
    this.endStroke();
    this.context.clearRect(0, 0, this.canvas.width, this.canvas.height);
    this.setHasInk(false);
    this.clearPreview();
    this.onDigit(null);
  }

  private onPointerDown(event: PointerEvent): void {
    // Main button only (left mouse, pen tip, touch); a pen's eraser or a right click does not draw.
    if (event.button !== 0 || this.activePointer !== null) return;
    event.preventDefault();
    this.activePointer = event.pointerId;
    this.canvas.setPointerCapture(event.pointerId);
    const point = this.toCanvas(event);
    this.lastPoint = point;
    this.lastMidpoint = point;
    this.inkStyle = this.inkColour();
    this.context.fillStyle = this.inkStyle;
    // A dot, so that a tap leaves a mark and a stroke starts round.
    this.context.beginPath();
    this.context.arc(point.x, point.y, this.lineWidth() / 2, 0, Math.PI * 2);
    this.context.fill();
    this.setHasInk(true);
    this.scheduleFrame();
  }

  private onPointerMove(event: PointerEvent): void {
    if (event.pointerId !== this.activePointer) return;
    // Coalesced events carry every sample since the last frame: fast strokes stay smooth, not polygonal.
    const samples = event.getCoalescedEvents?.() ?? [];
    for (const sample of samples.length > 0 ? samples : [event]) this.extendStroke(this.toCanvas(sample));
    this.scheduleFrame();
  }

  private onPointerEnd(event: PointerEvent): void {
    if (event.pointerId !== this.activePointer) return;
    if (this.lastPoint && this.lastMidpoint) this.segment(this.lastMidpoint, this.lastPoint, this.lastPoint);
    this.endStroke();
    // The final picture goes out at once, not a frame later.
    this.cancelFrame();
    this.emit();
  }

  private endStroke(): void {
    if (this.activePointer !== null && this.canvas.hasPointerCapture(this.activePointer)) {
      this.canvas.releasePointerCapture(this.activePointer);
    }
    this.activePointer = null;
    this.lastPoint = null;
    this.lastMidpoint = null;
  }

  /** Draws from the last midpoint to the new midpoint, curving through the last point. */
  private extendStroke(point: StrokePoint): void {
    if (!this.lastPoint || !this.lastMidpoint) return;
    const midpoint = { x: (this.lastPoint.x + point.x) / 2, y: (this.lastPoint.y + point.y) / 2 };
    this.segment(this.lastMidpoint, this.lastPoint, midpoint);
    this.lastPoint = point;
    this.lastMidpoint = midpoint;
  }

  private segment(from: StrokePoint, control: StrokePoint, to: StrokePoint): void {
    const context = this.context;
    context.strokeStyle = this.inkStyle;
    context.lineWidth = this.lineWidth();
    context.lineCap = 'round';
    context.lineJoin = 'round';
    context.beginPath();
    context.moveTo(from.x, from.y);
    context.quadraticCurveTo(control.x, control.y, to.x, to.y);
    context.stroke();
  }

  private scheduleFrame(): void {
    if (this.frameRequest !== 0) return;
    this.frameRequest = requestAnimationFrame(() => {
      this.frameRequest = 0;
      this.emit();
    });
  }

  private cancelFrame(): void {
    if (this.frameRequest !== 0) cancelAnimationFrame(this.frameRequest);
    this.frameRequest = 0;
  }

  /** Preprocesses the drawing, shows it in the preview and hands it to the listener. */
  private emit(): void {
    const pixels = preprocessDrawing(this.readDrawing(), { ink: 'alpha' });
    if (pixels) this.drawPreview(pixels);
    else this.clearPreview();
    this.onDigit(pixels);
  }

  /** The drawing's pixels, reduced to ANALYSIS_SIZE when the backing store is larger. */
  private readDrawing(): ImageData {
    const { width, height } = this.canvas;
    if (width <= ANALYSIS_SIZE) return this.context.getImageData(0, 0, width, height);
    if (!this.analysisContext) {
      const scratch = document.createElement('canvas');
      scratch.width = ANALYSIS_SIZE;
      scratch.height = ANALYSIS_SIZE;
      this.analysisContext = context2d(scratch, { willReadFrequently: true });
      this.analysisContext.imageSmoothingQuality = 'high';
    }
    const context = this.analysisContext;
    context.clearRect(0, 0, ANALYSIS_SIZE, ANALYSIS_SIZE);
    context.drawImage(this.canvas, 0, 0, ANALYSIS_SIZE, ANALYSIS_SIZE);
    return context.getImageData(0, 0, ANALYSIS_SIZE, ANALYSIS_SIZE);
  }

  private drawPreview(pixels: Uint8Array): void {
    // White on black, as MNIST digits are stored and as the network sees them.
    const image = this.previewContext.createImageData(MNIST_SIZE, MNIST_SIZE);
    for (let i = 0; i < pixels.length; i++) {
      const value = pixels[i]!;
      image.data.set([value, value, value, 255], i * 4);
    }
    this.previewContext.putImageData(image, 0, 0);
  }

  private clearPreview(): void {
    this.previewContext.fillStyle = '#000';
    this.previewContext.fillRect(0, 0, MNIST_SIZE, MNIST_SIZE);
  }

  /**
   * Sizes the backing store to the canvas's device pixels so strokes are crisp. Resizing a canvas wipes
   * it, so the drawing so far is copied over, scaled.
   */
  private fitBackingStore(devicePixels: number): void {
    // Zero while hidden (display: none): keep the drawing as it is rather than shrink it to nothing.
    if (!(devicePixels >= 1)) return;
    const side = Math.round(devicePixels);
    if (side === this.canvas.width && side === this.canvas.height) return;
    let snapshot: HTMLCanvasElement | null = null;
    if (this.hasInk && this.canvas.width > 0 && this.canvas.height > 0) {
      snapshot = document.createElement('canvas');
      snapshot.width = this.canvas.width;
      snapshot.height = this.canvas.height;
      snapshot.getContext('2d')?.drawImage(this.canvas, 0, 0);
    }
    const scale = this.canvas.width > 0 ? side / this.canvas.width : 1;
    this.canvas.width = side;
    this.canvas.height = side;
    if (snapshot) this.context.drawImage(snapshot, 0, 0, side, side);
    // A stroke in progress goes on at the new scale.
    if (this.lastPoint) this.lastPoint = { x: this.lastPoint.x * scale, y: this.lastPoint.y * scale };
    if (this.lastMidpoint) this.lastMidpoint = { x: this.lastMidpoint.x * scale, y: this.lastMidpoint.y * scale };
  }

  /** Browser zoom or a move to another screen changes the pixel ratio but not the CSS size. */
  private watchPixelRatio(): void {
    matchMedia(`(resolution: ${devicePixelRatio}dppx)`).addEventListener(
      'change',
      () => {
        this.fitBackingStore(this.canvas.clientWidth * devicePixelRatio);
        this.watchPixelRatio();
      },
      { once: true },
    );
  }

  /** A pointer position in backing-store pixels (the store covers the content box, inside the border). */
  private toCanvas(event: PointerEvent): StrokePoint {
    const rect = this.canvas.getBoundingClientRect();
    const left = rect.left + this.canvas.clientLeft;
    const top = rect.top + this.canvas.clientTop;
    return {
      x: ((event.clientX - left) * this.canvas.width) / Math.max(1, this.canvas.clientWidth),
      y: ((event.clientY - top) * this.canvas.height) / Math.max(1, this.canvas.clientHeight),
    };
  }

  private lineWidth(): number {
    return this.canvas.width * STROKE_FRACTION;
  }

  /** Paints all ink so far in the theme's current colour, keeping its alpha (which is what counts). */
  private recolourInk(): void {
    this.inkStyle = this.inkColour();
    const context = this.context;
    context.save();
    context.globalCompositeOperation = 'source-in';
    context.fillStyle = this.inkStyle;
    context.fillRect(0, 0, this.canvas.width, this.canvas.height);
    context.restore();
  }

  /** The text colour of the theme: only alpha counts as ink, so this is purely for looks. */
  private inkColour(): string {
    return getComputedStyle(this.canvas).color || '#111';
  }

  private setHasInk(hasInk: boolean): void {
    this.hasInk = hasInk;
    this.hint.hidden = hasInk;
  }
}

