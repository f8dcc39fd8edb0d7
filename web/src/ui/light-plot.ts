// A canvas line chart that reads the subset of uPlot's options the training charts use (line series on a linear or
// log y scale, axes with their ticks, a legend), for the embed: a blog reader then downloads about 3 KiB of chart
// code instead of uPlot's 22 KiB. The page keeps uPlot, for its plugins (earlier runs, tooltips, PNG export).
import type uPlot from 'uplot';
import type { Plot } from './training-charts';

const DEFAULT_INCRS = Array.from({ length: 30 }, (_, i) => [1, 2, 5][i % 3]! * 10 ** (Math.floor(i / 3) - 4));
const PAD_TOP = 10;
const PAD_RIGHT = 12;

type Values = (number | null | undefined)[];

/** The smallest of `incrs` whose ticks are at least `space` px apart over `pixels` px showing `span`. */
export function tickIncrement(span: number, pixels: number, space: number, incrs: readonly number[]): number {
  for (const incr of incrs) if ((incr / span) * pixels >= space) return incr;
  return incrs[incrs.length - 1]!;
}

/** The multiples of `incr` from `min` to `max`. */
export function linearTicks(min: number, max: number, incr: number): number[] {
  const ticks: number[] = [];
  for (let k = Math.ceil(min / incr - 1e-9); k * incr <= max + incr * 1e-9; k++) ticks.push(Number((k * incr).toPrecision(12)));
  return ticks;
}

/** The lowest and highest finite value of the y series (positive only on a log scale), or nulls if none. */
export function dataExtent(data: readonly Values[], log: boolean): [number | null, number | null] {
  let min = Infinity;
  let max = -Infinity;
  for (const series of data.slice(1)) {
    for (const value of series) {
      if (value == null || !Number.isFinite(value) || (log && value <= 0)) continue;
      if (value < min) min = value;
      if (value > max) max = value;
    }
  }
  return min <= max ? [min, max] : [null, null];
}

const rangeOf = (scale: uPlot.Scale | undefined, self: uPlot, min: number | null, max: number | null): [number, number] => {
  const range = scale?.range;
  if (typeof range === 'function') {
    const [low, high] = range(self, min as number, max as number, 'y');
    return [low ?? 0, high ?? 1];
  }
  return [min ?? 0, max ?? 1];
};

export class LightPlot implements Plot {
  readonly root = document.createElement('div');
  readonly ctx: CanvasRenderingContext2D;
  readonly bbox = { left: 0, top: 0, width: 0, height: 0 };
  width: number;
  height: number;
  private data: readonly Values[];
  private readonly values: HTMLElement[] = [];
  /** the point under the pointer, or null: the legend then shows the last point */
  private hovered: number | null = null;

  constructor(private readonly options: uPlot.Options, data: uPlot.AlignedData, host: HTMLElement) {
    this.width = options.width;
    this.height = options.height;
    this.data = data as readonly Values[];
    this.root.className = 'uplot light-plot';
    const canvas = this.root.appendChild(document.createElement('canvas'));
    canvas.style.display = 'block';
    this.ctx = canvas.getContext('2d')!;
    const legend = this.root.appendChild(document.createElement('table'));
    legend.className = 'u-legend u-inline u-live';
    const body = legend.appendChild(document.createElement('tbody'));
    options.series.forEach((series, i) => {
      const row = body.appendChild(document.createElement('tr'));
      row.className = 'u-series';
      const head = row.appendChild(document.createElement('th'));
      if (i > 0) {
        const marker = head.appendChild(document.createElement('div'));
        marker.className = 'u-marker';
        marker.style.borderColor = String(series.stroke ?? '');
      }
      const label = head.appendChild(document.createElement('div'));
      label.className = 'u-label';
      label.textContent = String(series.label ?? '');
      const value = row.appendChild(document.createElement('td')).appendChild(document.createElement('span'));
      value.className = 'u-value';
      this.values.push(value);
    });
    canvas.addEventListener('pointermove', (event) => this.hover(event.offsetX));
    canvas.addEventListener('pointerleave', () => this.hover(null));
    host.appendChild(this.root);
    this.setSize({ width: this.width, height: this.height });
  }

  setData(data: uPlot.AlignedData): void {
    this.data = data as readonly Values[];
    this.draw();
  }

  setSize({ width, height }: { width: number; height: number }): void {
    this.width = width;
    this.height = height;
    const ratio = devicePixelRatio;
    const canvas = this.ctx.canvas;
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
    canvas.style.width = `${width}px`;
    canvas.style.height = `${height}px`;
    const [xAxis, yAxis] = this.options.axes ?? [];
    const left = (yAxis?.size as number ?? 50) + (yAxis?.labelSize ?? 20);
    const bottom = (xAxis?.size as number ?? 30) + (xAxis?.labelSize ?? 20);
    // in canvas pixels, as uPlot's bbox
    Object.assign(this.bbox, {
      left: left * ratio, top: PAD_TOP * ratio,
      width: Math.max(1, width - left - PAD_RIGHT) * ratio, height: Math.max(1, height - PAD_TOP - bottom) * ratio,
    });
    this.draw();
  }

  destroy(): void {
    this.root.remove();
  }

  private hover(offsetX: number | null): void {
    const xs = this.data[0] ?? [];
    if (offsetX === null || xs.length === 0) this.hovered = null;
    else {
      const x = this.xRange();
      const value = x[0] + ((offsetX * devicePixelRatio - this.bbox.left) / this.bbox.width) * (x[1] - x[0]);
      let best = 0;
      xs.forEach((v, i) => { if (Math.abs((v ?? Infinity) - value) < Math.abs((xs[best] ?? Infinity) - value)) best = i; });
      this.hovered = best;
    }
    this.showLegend();
  }

  private showLegend(): void {
    const last = (this.data[0]?.length ?? 0) - 1;
    const index = this.hovered ?? last;
    this.options.series.forEach((series, i) => {
      const value = index >= 0 ? this.data[i]?.[index] ?? null : null;
      const format = series.value as ((self: uPlot, v: number | null) => string) | undefined;
      this.values[i]!.textContent = format ? format(this as unknown as uPlot, value) : String(value ?? '–');
    });
  }

  private xRange(): [number, number] {
    const xs = this.data[0] ?? [];
    const range = this.options.scales?.x?.range;
    if (typeof range === 'function') {
      const [low, high] = range(this as unknown as uPlot, xs[0] ?? 0, xs[xs.length - 1] ?? 1, 'x');
      return [low ?? 0, high ?? 1];
    }
    return [xs[0] ?? 0, xs[xs.length - 1] ?? 1];
  }

  private draw(): void {
    const { ctx, bbox, options } = this;
    const ratio = devicePixelRatio;
    const yScale = options.scales?.y;
    const log = yScale?.distr === 3;
    const self = this as unknown as uPlot;
    const [x0, x1] = this.xRange();
    const [y0, y1] = rangeOf(yScale, self, ...dataExtent(this.data, log));
    const fy = (v: number) => (log ? Math.log10(v) : v);
    const toX = (v: number) => bbox.left + ((v - x0) / (x1 - x0 || 1)) * bbox.width;
    const toY = (v: number) => bbox.top + bbox.height - ((fy(v) - fy(y0)) / (fy(y1) - fy(y0) || 1)) * bbox.height;
    ctx.clearRect(0, 0, ctx.canvas.width, ctx.canvas.height);

    const [xAxis, yAxis] = options.axes ?? [];
    for (const [axis, horizontal] of [[xAxis, true], [yAxis, false]] as const) {
      if (!axis) continue;
      const [min, max] = horizontal ? [x0, x1] : [y0, y1];
      const pixels = (horizontal ? bbox.width : bbox.height) / ratio;
      const splits = typeof axis.splits === 'function'
        ? axis.splits(self, horizontal ? 0 : 1, min, max, 0, 0)
        : linearTicks(min, max, tickIncrement(max - min, pixels, (axis.space as number) ?? (horizontal ? 50 : 30), (axis.incrs as number[]) ?? DEFAULT_INCRS));
      const labels = typeof axis.values === 'function' ? axis.values(self, splits, 0, 0, 0) : splits.map((v) => String(Number(v.toPrecision(6))));
      ctx.font = (axis.font ?? '12px sans-serif').replace(/(\d+)px/, (_, px: string) => `${Number(px) * ratio}px`);
      ctx.fillStyle = String(axis.stroke ?? '#000');
      ctx.strokeStyle = String(axis.grid?.stroke ?? 'rgba(0,0,0,0.1)');
      ctx.lineWidth = ratio;
      ctx.textAlign = horizontal ? 'center' : 'right';
      ctx.textBaseline = horizontal ? 'top' : 'middle';
      const tick = (axis.ticks?.size ?? 4) * ratio;
      splits.forEach((value, i) => {
        const at = horizontal ? toX(value) : toY(value);
        ctx.beginPath();
        if (horizontal) { ctx.moveTo(at, bbox.top); ctx.lineTo(at, bbox.top + bbox.height + tick); }
        else { ctx.moveTo(bbox.left - tick, at); ctx.lineTo(bbox.left + bbox.width, at); }
        ctx.stroke();
        const label = String(labels[i] ?? '');
        if (horizontal) ctx.fillText(label, at, bbox.top + bbox.height + tick + 2 * ratio);
        else ctx.fillText(label, bbox.left - tick - 2 * ratio, at);
      });
      ctx.font = (axis.labelFont ?? ctx.font).replace(/(\d+)px/, (_, px: string) => `${Number(px) * ratio}px`);
      ctx.textAlign = 'center';
      ctx.textBaseline = 'bottom';
      ctx.save();
      if (horizontal) ctx.translate(bbox.left + bbox.width / 2, ctx.canvas.height - 2 * ratio);
      else { ctx.translate((axis.labelSize ?? 20) * ratio - 4 * ratio, bbox.top + bbox.height / 2); ctx.rotate(-Math.PI / 2); }
      ctx.fillText(String(axis.label ?? ''), 0, 0);
      ctx.restore();
    }

    const xs = this.data[0] ?? [];
    ctx.save();
    ctx.beginPath();
    ctx.rect(bbox.left, bbox.top, bbox.width, bbox.height);
    ctx.clip();
    options.series.slice(1).forEach((series, s) => {
      const ys = this.data[s + 1] ?? [];
      const width = series.width ?? 1;
      ctx.globalAlpha = series.alpha ?? 1;
      ctx.strokeStyle = String(series.stroke ?? '#000');
      ctx.lineWidth = width * ratio;
      ctx.beginPath();
      let drawing = false;
      const points: [number, number][] = [];
      ys.forEach((y, i) => {
        const x = xs[i];
        if (y == null || x == null || !Number.isFinite(y) || (log && y <= 0)) { drawing = false; return; }
        const px = toX(x);
        const py = toY(y);
        if (drawing) ctx.lineTo(px, py);
        else ctx.moveTo(px, py);
        drawing = true;
        points.push([px, py]);
      });
      ctx.stroke();
      // uPlot's rule: points while they are at least two of their own sizes apart
      const size = series.points?.size ?? 3 + width * 2;
      const span = points.length > 1 ? Math.abs(points[points.length - 1]![0] - points[0]![0]) : Infinity;
      if (series.points?.show !== false && points.length - 1 <= span / (2 * size * ratio)) {
        ctx.fillStyle = String(series.points?.fill ?? series.stroke ?? '#000');
        ctx.lineWidth = (series.points?.width ?? width) * ratio;
        for (const [px, py] of points) {
          ctx.beginPath();
          ctx.arc(px, py, (size / 2) * ratio, 0, 2 * Math.PI);
          ctx.fill();
          ctx.stroke();
        }
      }
    });
    ctx.restore();
    this.showLegend();
  }
}
