// Learning curves: training loss per batch and accuracy per epoch, drawn with uPlot (the page) or LightPlot (the
// embed), which read the same options. Training events arrive 10-30 times a second, so data is collected as it
// comes and drawn at most ten times a second, and the loss curve is kept to a bounded number of points however
// long the run is.
import type uPlot from 'uplot';
import type { EpochReport } from '../worker/protocol';
import { resolveColor } from './dom';
import { BATCH_INCRS, formatTick, logTicks, lossRange } from './chart-axes';

/** The loss curve keeps at most this many buckets; each draws its lowest and highest loss (≤ 2000 points). */
const MAX_LOSS_BUCKETS = 1000;
/** Weight of the newest batch in the smoothed loss (an exponential moving average). */
const SMOOTHING_ALPHA = 0.05;
/** Redraws at most this often. Losses arrive about 25 times a second; drawing each one took CPU from the
 * training threads on a 2-core machine. */
const MIN_REDRAW_MILLISECONDS = 100;
const MIN_CHART_HEIGHT = 160;
const MAX_CHART_HEIGHT = 240;
const AXIS_FONT = '12px system-ui, sans-serif';
const AXIS_LABEL_FONT = '600 12px system-ui, sans-serif';

/** What the charts need of a plot: uPlot has it, and so has LightPlot. */
export interface Plot {
  readonly width: number;
  readonly height: number;
  readonly ctx: CanvasRenderingContext2D;
  readonly bbox: { height: number };
  setData(data: uPlot.AlignedData): void;
  setSize(size: { width: number; height: number }): void;
  destroy(): void;
}

export interface ChartPlotter {
  /** uPlot, or LightPlot */
  Plot: new (options: uPlot.Options, data: uPlot.AlignedData, host: HTMLElement) => Plot;
  /** uPlot plugins (the page's overlays of earlier runs, test loss, tooltips and epoch markers) */
  loss?: uPlot.Plugin[];
  accuracy?: uPlot.Plugin[];
}

interface ChartColors {
  loss: string;
  smooth: string;
  train: string;
  test: string;
  grid: string;
  text: string;
}

// Used when the stylesheet does not define --chart-*; chosen to read on a white or a near-black page.
const LIGHT_FALLBACK: ChartColors = {
  loss: '#7c8a9a', smooth: '#1d4ed8', train: '#1d4ed8', test: '#c2410c', grid: 'rgba(100, 116, 139, 0.22)', text: '#374151',
};
const DARK_FALLBACK: ChartColors = {
  loss: '#8b98a8', smooth: '#60a5fa', train: '#60a5fa', test: '#fb923c', grid: 'rgba(148, 163, 184, 0.2)', text: '#d1d5db',
};

const lossFormat = (value: number): string => (value < 0.01 ? value.toPrecision(2) : value.toPrecision(3));

/**
 * Losses grouped into buckets of `bucketSize` consecutive batches; each bucket remembers where its lowest
 * and highest loss were (the "min/max" decimation), so spikes survive downsampling and the band the raw
 * curve fills stays the same. When the buckets run out, neighbours merge and buckets double in size:
 * adding a loss is O(1) and memory stays fixed however many batches a run has.
 */
class LossBuckets {
  readonly minBatch = new Float64Array(MAX_LOSS_BUCKETS);
  readonly minLoss = new Float64Array(MAX_LOSS_BUCKETS);
  readonly minSmooth = new Float64Array(MAX_LOSS_BUCKETS);
  readonly maxBatch = new Float64Array(MAX_LOSS_BUCKETS);
  readonly maxLoss = new Float64Array(MAX_LOSS_BUCKETS);
  readonly maxSmooth = new Float64Array(MAX_LOSS_BUCKETS);
  count = 0;
  private bucketSize = 1;
  private fillOfLast = 0;

  clear(): void {
    this.count = 0;
    this.bucketSize = 1;
    this.fillOfLast = 0;
  }

  add(batch: number, loss: number, smooth: number): void {
    if (this.count === 0 || this.fillOfLast === this.bucketSize) {
      if (this.count === MAX_LOSS_BUCKETS) this.mergePairs();
      const i = this.count++;
      this.minBatch[i] = this.maxBatch[i] = batch;
      this.minLoss[i] = this.maxLoss[i] = loss;
      this.minSmooth[i] = this.maxSmooth[i] = smooth;
      this.fillOfLast = 1;
      return;
    }
    const i = this.count - 1;
    if (loss < this.minLoss[i]) {
      this.minBatch[i] = batch;
      this.minLoss[i] = loss;
      this.minSmooth[i] = smooth;
    }
    if (loss > this.maxLoss[i]) {
      this.maxBatch[i] = batch;
      this.maxLoss[i] = loss;
      this.maxSmooth[i] = smooth;
    }
    this.fillOfLast++;
  }

  /** Halves the bucket count; only called when every bucket is full, so the merged ones are full too. */
  private mergePairs(): void {
    const half = this.count >> 1;
    for (let i = 0; i < half; i++) {
      const a = 2 * i;
      // the right-hand bucket wins only when strictly lower/higher, so ties keep the earlier batch
      const minFrom = this.minLoss[a + 1] < this.minLoss[a] ? a + 1 : a;
      const maxFrom = this.maxLoss[a + 1] > this.maxLoss[a] ? a + 1 : a;
      this.minBatch[i] = this.minBatch[minFrom];
      this.minLoss[i] = this.minLoss[minFrom];
      this.minSmooth[i] = this.minSmooth[minFrom];
      this.maxBatch[i] = this.maxBatch[maxFrom];
      this.maxLoss[i] = this.maxLoss[maxFrom];
      this.maxSmooth[i] = this.maxSmooth[maxFrom];
    }
    this.count = half;
    this.bucketSize *= 2;
    this.fillOfLast = this.bucketSize;
  }

  /** Writes the points to draw, in batch order, into the given (reused) arrays. */
  fill(batches: number[], losses: number[], smooths: number[]): void {
    let n = 0;
    for (let i = 0; i < this.count; i++) {
      const minFirst = this.minBatch[i] <= this.maxBatch[i];
      batches[n] = (minFirst ? this.minBatch : this.maxBatch)[i];
      losses[n] = (minFirst ? this.minLoss : this.maxLoss)[i];
      smooths[n] = (minFirst ? this.minSmooth : this.maxSmooth)[i];
      n++;
      if (this.minBatch[i] === this.maxBatch[i]) continue; // one batch is both the lowest and the highest
      batches[n] = (minFirst ? this.maxBatch : this.minBatch)[i];
      losses[n] = (minFirst ? this.maxLoss : this.minLoss)[i];
      smooths[n] = (minFirst ? this.maxSmooth : this.minSmooth)[i];
      n++;
    }
    batches.length = n;
    losses.length = n;
    smooths.length = n;
  }
}

export class TrainingCharts {
  private readonly lossHost: HTMLElement;
  private readonly accuracyHost: HTMLElement;
  private readonly darkQuery = matchMedia('(prefers-color-scheme: dark)');
  private colors: ChartColors;

  private lossChart: Plot;
  private accuracyChart: Plot;

  private readonly buckets = new LossBuckets();
  private receivedLosses = 0;
  private lastBatch = 0;
  private movingAverage = 0;
  /** (1 − alpha)^n, for the moving average's start-up bias correction */
  private decayPower = 1;

  // Arrays handed to uPlot; refilled in place on each redraw rather than reallocated.
  private readonly drawnBatches: number[] = [];
  private readonly drawnLosses: number[] = [];
  private readonly drawnSmooth: number[] = [];
  private readonly lossData: uPlot.AlignedData = [this.drawnBatches, this.drawnLosses, this.drawnSmooth];

  private readonly epochs: number[] = [];
  // null (a gap) where an accuracy is not a number, e.g. no training images were counted
  private readonly trainAccuracy: (number | null)[] = [];
  private readonly testAccuracy: (number | null)[] = [];
  private readonly accuracyData: uPlot.AlignedData = [this.epochs, this.trainAccuracy, this.testAccuracy];
  private plannedEpochs = 1;

  private lossDirty = false;
  private accuracyDirty = false;
  private frameRequested = false;
  private lastDraw = -Infinity;
  /** false while the charts are off screen: data is kept, nothing is drawn */
  private drawing = true;

  constructor(lossHost: HTMLElement, accuracyHost: HTMLElement, private readonly plotter: ChartPlotter) {
    this.lossHost = lossHost;
    this.accuracyHost = accuracyHost;
    lossHost.classList.add('training-charts');
    accuracyHost.classList.add('training-charts');
    this.colors = this.readColors();
    this.lossChart = this.createLossChart();
    this.accuracyChart = this.createAccuracyChart();
    lossHost.dataset.points = '0';

    // Both charts sit side by side or stacked; each follows the width of its own container.
    const resizeObserver = new ResizeObserver((entries) => {
      for (const entry of entries) {
        const chart = entry.target === this.lossHost ? this.lossChart : this.accuracyChart;
        const width = Math.floor(entry.contentRect.width);
        if (width > 0 && (width !== chart.width || heightFor(width) !== chart.height)) {
          chart.setSize({ width, height: heightFor(width) });
        }
      }
    });
    resizeObserver.observe(lossHost);
    resizeObserver.observe(accuracyHost);

    // uPlot bakes colours into its options, so a theme switch rebuilds both charts with the same data.
    this.darkQuery.addEventListener('change', () => {
      this.colors = this.readColors();
      this.lossChart.destroy();
      this.accuracyChart.destroy();
      this.lossChart = this.createLossChart();
      this.accuracyChart = this.createAccuracyChart();
    });
  }

  /** Adds the losses of the batches that ended at `batchesDone` (batches are counted from 1 in a run). */
  addBatchLosses(losses: number[], batchesDone: number): void {
    const firstBatch = batchesDone - losses.length + 1;
    // A new run that started without reset(): start over so the x axis keeps increasing.
    if (firstBatch <= this.lastBatch) this.clearLoss();
    const keep = 1 - SMOOTHING_ALPHA;
    for (let i = 0; i < losses.length; i++) {
      const loss = losses[i];
      const batch = firstBatch + i;
      this.lastBatch = batch;
      this.receivedLosses++;
      // a diverged batch (NaN or ∞) would flatten the scale and poison the average: count it, draw nothing
      if (!Number.isFinite(loss)) continue;
      this.movingAverage = keep * this.movingAverage + SMOOTHING_ALPHA * loss;
      this.decayPower *= keep;
      this.buckets.add(batch, loss, this.movingAverage / (1 - this.decayPower));
    }
    this.lossDirty = true;
    this.requestFrame();
  }

  addEpoch(report: EpochReport): void {
    const last = this.epochs.length - 1;
    if (last >= 0 && report.epoch < this.epochs[last]) this.clearAccuracy(); // a new run
    // the same epoch reported again (e.g. re-evaluated): replace it rather than draw a zigzag
    const index = last >= 0 && report.epoch === this.epochs[last] ? last : this.epochs.length;
    this.epochs[index] = report.epoch;
    this.trainAccuracy[index] = asPercent(report.trainAccuracy);
    this.testAccuracy[index] = asPercent(report.testAccuracy);
    this.plannedEpochs = Math.max(report.epochs, report.epoch, 1);
    this.accuracyDirty = true;
    this.requestFrame();
  }

  reset(): void {
    this.clearLoss();
    this.clearAccuracy();
    this.plannedEpochs = 1;
    this.lossDirty = true;
    this.accuracyDirty = true;
    this.requestFrame();
  }

  private clearLoss(): void {
    this.buckets.clear();
    this.receivedLosses = 0;
    this.lastBatch = 0;
    this.movingAverage = 0;
    this.decayPower = 1;
  }

  private clearAccuracy(): void {
    this.epochs.length = 0;
    this.trainAccuracy.length = 0;
    this.testAccuracy.length = 0;
  }

  /** Stops or restarts drawing (the data keeps coming in either way); restarting draws what was missed. */
  setDrawing(drawing: boolean): void {
    this.drawing = drawing;
    if (drawing && (this.lossDirty || this.accuracyDirty)) this.requestFrame();
  }

  /** Draws what is pending now rather than at the next frame: a run that stops shows its last batch at once. */
  flush(): void {
    if (this.drawing && (this.lossDirty || this.accuracyDirty)) this.drawFrame();
  }

  private requestFrame(): void {
    if (this.frameRequested || !this.drawing) return;
    this.frameRequested = true;
    const wait = this.lastDraw + MIN_REDRAW_MILLISECONDS - performance.now();
    if (wait > 0) setTimeout(this.requestDrawFrame, wait);
    else requestAnimationFrame(this.drawFrame);
  }

  // Arrow properties, so requesting a frame allocates no closure.
  private readonly requestDrawFrame = (): void => {
    requestAnimationFrame(this.drawFrame);
  };
  private readonly drawFrame = (): void => {
    this.frameRequested = false;
    this.lastDraw = performance.now();
    if (this.lossDirty) {
      this.lossDirty = false;
      this.buckets.fill(this.drawnBatches, this.drawnLosses, this.drawnSmooth);
      this.lossChart.setData(this.lossData);
      this.lossHost.dataset.points = String(this.receivedLosses);
    }
    if (this.accuracyDirty) {
      this.accuracyDirty = false;
      this.accuracyChart.setData(this.accuracyData);
    }
  };

  /** A canvas is an image to assistive technology: it is named by what it plots (the summary tells the story). */
  private name(chart: Plot, label: string): Plot {
    chart.ctx.canvas.setAttribute('role', 'img');
    chart.ctx.canvas.setAttribute('aria-label', label);
    return chart;
  }

  private readColors(): ChartColors {
    const fallback = this.darkQuery.matches ? DARK_FALLBACK : LIGHT_FALLBACK;
    const probe = this.lossHost.appendChild(document.createElement('span'));
    const read = (name: string, otherwise: string): string => resolveColor(probe, `var(${name}, ${otherwise})`, otherwise);
    const colors = {
      loss: read('--chart-loss', fallback.loss),
      smooth: read('--chart-smooth', fallback.smooth),
      train: read('--chart-train', fallback.train),
      test: read('--chart-test', fallback.test),
      grid: read('--chart-grid', fallback.grid),
      text: read('--chart-text', fallback.text),
    };
    probe.remove();
    return colors;
  }

  private axis(label: string, extra: uPlot.Axis = {}): uPlot.Axis {
    const { grid, text } = this.colors;
    return {
      label,
      stroke: text,
      font: AXIS_FONT,
      labelFont: AXIS_LABEL_FONT,
      labelSize: 20,
      grid: { stroke: grid, width: 1 },
      ticks: { stroke: grid, width: 1, size: 4 },
      ...extra,
    };
  }

  private createLossChart(): Plot {
    const { loss, smooth } = this.colors;
    const width = initialWidth(this.lossHost);
    const options: uPlot.Options = {
      width,
      height: heightFor(width),
      // zooming would be undone by the next batch's redraw, so the cursor only reads values
      cursor: { drag: { x: false, y: false, setScale: false }, points: { size: 6 } },
      scales: {
        // from the start to the last batch received (at least two, so the one point of a run that diverged at once
        // sits inside; uPlot would stretch a single point's axis to 100)
        x: { time: false, range: () => [0, Math.max(this.lastBatch, 2)] },
        // log scale: the loss falls by one to two orders of magnitude and the late, small changes matter
        y: { distr: 3, log: 10, range: (_u, min, max) => lossRange(min, max) },
      },
      axes: [
        this.axis('batch', { space: 60, size: 30, incrs: BATCH_INCRS }),
        // our own ticks, all labelled (uPlot's default log filter would blank some of them)
        this.axis('loss (log scale)', {
          size: 48, splits: logSplits, filter: (_u, splits) => splits, values: (_u, splits) => splits.map(formatTick),
        }),
      ],
      series: [
        { label: 'batch', value: (_u, v) => (v == null ? '–' : String(v)) },
        {
          label: 'raw', stroke: loss, width: 1, alpha: 0.55, points: { show: false },
          value: (_u, v) => (v == null ? '–' : lossFormat(v)),
        },
        {
          // points only while they are few (uPlot's default), so a run that diverged at once still shows its losses
          label: 'smoothed', stroke: smooth, width: 2,
          value: (_u, v) => (v == null ? '–' : lossFormat(v)),
        },
      ],
      legend: { live: true },
      plugins: this.plotter.loss,
    };
    return this.name(new this.plotter.Plot(options, this.lossData, this.lossHost), 'Chart of the training loss per batch');
  }

  private createAccuracyChart(): Plot {
    const { train, test } = this.colors;
    const width = initialWidth(this.accuracyHost);
    const percent = (_u: uPlot, v: number | null): string => (v == null ? '–' : `${v.toFixed(2)} %`);
    // uPlot shows the points while they are at least two sizes apart, i.e. for any run of sensible length
    const points: uPlot.Series.Points = { size: 7, width: 2, fill: 'transparent' };
    const options: uPlot.Options = {
      width,
      height: heightFor(width),
      cursor: { drag: { x: false, y: false, setScale: false }, points: { size: 8 } },
      scales: {
        // half an epoch of margin so the first and last points are not cut by the frame
        x: { time: false, range: () => [0.5, this.plannedEpochs + 0.5] },
        y: { range: (_u, min, max) => accuracyRange(min, max) },
      },
      axes: [
        // whole epochs only
        this.axis('epoch', { incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500], space: 28, size: 30 }),
        this.axis('accuracy (%)', { size: 44 }),
      ],
      series: [
        { label: 'epoch', value: (_u, v) => (v == null ? '–' : String(v)) },
        { label: 'train', stroke: train, width: 2, points: { ...points, stroke: train }, value: percent },
        { label: 'test', stroke: test, width: 2, points: { ...points, stroke: test }, value: percent },
      ],
      legend: { live: true },
      plugins: this.plotter.accuracy,
    };
    return this.name(new this.plotter.Plot(options, this.accuracyData, this.accuracyHost), 'Chart of the training and test accuracy per epoch');
  }
}

function heightFor(width: number): number {
  return Math.round(Math.min(MAX_CHART_HEIGHT, Math.max(MIN_CHART_HEIGHT, width * 0.55)));
}

const MIN_TICK_SPACING_PX = 22;
const MANTISSA_TIERS: readonly (readonly number[])[] = [[1, 2, 5], [1, 3], [1]];

/** Log-axis ticks at 1, 2 and 5 × 10^k, thinned to 1 and 3, then to powers of ten, when they would crowd. */
function logSplits(chart: uPlot, _axis: number, min: number, max: number): number[] {
  if (!(min > 0) || !(max > min)) return [];
  const heightPx = chart.bbox.height / devicePixelRatio;
  let splits: number[] = [];
  for (const mantissas of MANTISSA_TIERS) {
    splits = logTicks(min, max, mantissas);
    if (splits.length * MIN_TICK_SPACING_PX <= heightPx) break;
  }
  // a range inside one decade, between two ticks: label its ends instead
  return splits.length < 2 ? [min, max] : splits;
}

/** The host's width, or a guess while it is hidden (the ResizeObserver corrects it once it shows). */
function initialWidth(host: HTMLElement): number {
  return host.clientWidth > 0 ? Math.floor(host.clientWidth) : 320;
}

/** The engine reports accuracy as a fraction; accept percentages too (no 10-class model scores ≤ 1 %). */
function asPercent(accuracy: number): number | null {
  if (!Number.isFinite(accuracy)) return null;
  return accuracy <= 1 ? accuracy * 100 : accuracy;
}

/** Whole-percent bounds around the data, inside 0-100; 0-100 when there is nothing to show yet. */
function accuracyRange(min: number | null, max: number | null): uPlot.Range.MinMax {
  if (min == null || max == null || !Number.isFinite(min) || !Number.isFinite(max)) return [0, 100];
  let low = Math.max(0, Math.floor(min) - 1);
  let high = Math.min(100, Math.ceil(max) + 1);
  if (high - low < 4) {
    // at least a few percent of height, so a near-flat curve does not look like a swing
    if (high === 100) low = Math.max(0, high - 4);
    else high = Math.min(100, low + 4);
  }
  return [low, high];
}
