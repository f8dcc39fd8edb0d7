// Comparing runs on the page's charts, as uPlot plugins (the embed's charts have none): the earlier runs' smoothed
// loss and test accuracy as faint, numbered curves (their settings in a legend under the charts, cleared on
// demand), the current run's test loss per epoch on the loss chart, a dashed line at each epoch's end, and a
// tooltip at the point with the values there, the earlier runs' included.
import type uPlot from 'uplot';
import type { RunRecord, RunRecorder } from './run-record';

/** Weight of the newest batch in the smoothed loss, as the loss chart's own (training-charts.ts). */
const SMOOTHING_ALPHA = 0.05;
/** An overlay is drawn with at most this many points. */
const OVERLAY_POINTS = 400;
/** Faint, and told apart from one another and from the current run's blue, purple and green. */
const OVERLAY_COLORS = ['#64748b', '#b45309', '#be185d', '#0e7490', '#4d7c0f'];
const TEST_LOSS_COLOR = '#059669';

/** A run's smoothed loss (bias-corrected moving average), as [batch, loss] points, thinned to OVERLAY_POINTS. */
function smoothed(run: RunRecord): [number, number][] {
  const points: [number, number][] = [];
  const step = Math.max(1, Math.ceil(run.losses.length / OVERLAY_POINTS));
  let average = 0;
  let decay = 1;
  run.losses.forEach((loss, i) => {
    if (!Number.isFinite(loss)) return;
    average = (1 - SMOOTHING_ALPHA) * average + SMOOTHING_ALPHA * loss;
    decay *= 1 - SMOOTHING_ALPHA;
    if (i % step === 0 || i === run.losses.length - 1) points.push([i + 1, average / (1 - decay)]);
  });
  return points;
}

const percent = (accuracy: number) => (accuracy <= 1 ? 100 * accuracy : accuracy);
const lossText = (value: number) => (value < 0.01 ? value.toPrecision(2) : value.toPrecision(3));
const colorOf = (run: RunRecord) => OVERLAY_COLORS[(run.id - 1) % OVERLAY_COLORS.length];

/** The charts' plugins and a redraw, for when the earlier runs change (a new run, Clear). */
export function runOverlays(record: RunRecorder): { loss: uPlot.Plugin; accuracy: uPlot.Plugin; redraw(): void } {
  const charts = new Set<uPlot>();
  const cache = new Map<RunRecord, [number, number][]>();
  const overlay = (run: RunRecord) => {
    let points = cache.get(run);
    if (!points || points.length === 0) cache.set(run, (points = smoothed(run)));
    return points;
  };
  const earlier = () => record.earlier.filter((run) => run.losses.length > 0);

  /** The current run's test loss at each finished epoch's last batch. */
  const testLosses = (): [number, number][] => {
    const run = record.current;
    if (!run) return [];
    return run.epochs.filter((e) => Number.isFinite(e.testLoss)).map((e) => [Math.min(e.epoch * run.batchesPerEpoch, run.losses.length), e.testLoss]);
  };

  const lineThrough = (u: uPlot, points: [number, number][], color: string, width: number, dash: number[] = []) => {
    const { ctx } = u;
    ctx.strokeStyle = color;
    ctx.lineWidth = width * devicePixelRatio;
    ctx.setLineDash(dash.map((d) => d * devicePixelRatio));
    ctx.beginPath();
    points.forEach(([x, y], i) => {
      const px = u.valToPos(x, 'x', true);
      const py = u.valToPos(y, 'y', true);
      if (i === 0) ctx.moveTo(px, py);
      else ctx.lineTo(px, py);
    });
    ctx.stroke();
    ctx.setLineDash([]);
  };

  const label = (u: uPlot, text: string, [x, y]: [number, number], color: string) => {
    const { ctx } = u;
    ctx.fillStyle = color;
    ctx.font = `${11 * devicePixelRatio}px system-ui, sans-serif`;
    ctx.textAlign = 'right';
    // above the curve's end, or below it where the top of the plot would cut it
    const py = u.valToPos(y, 'y', true);
    const below = py - u.bbox.top < 16 * devicePixelRatio;
    ctx.fillText(text, u.valToPos(x, 'x', true) - 4 * devicePixelRatio, py + (below ? 14 : -4) * devicePixelRatio);
  };

  const clipped = (u: uPlot, draw: () => void) => {
    const { ctx, bbox } = u;
    ctx.save();
    ctx.beginPath();
    ctx.rect(bbox.left, bbox.top, bbox.width, bbox.height);
    ctx.clip();
    draw();
    ctx.restore();
  };

  /** The last x and the lowest and highest y of some points, or null for none. */
  const extentOf = (points: [number, number][]) =>
    points.length
      ? { x: Math.max(...points.map(([x]) => x)), low: Math.min(...points.map(([, y]) => y)), high: Math.max(...points.map(([, y]) => y)) }
      : null;

  /** Widens a chart's scales to take in the overlays (the range functions run on every redraw). */
  const widen = (opts: uPlot.Options, extent: () => { x: number; low: number; high: number } | null) => {
    const x = opts.scales!.x.range as uPlot.Range.Function;
    const y = opts.scales!.y.range as uPlot.Range.Function;
    opts.scales!.x.range = (u, min, max, key) => {
      const [from, to] = x(u, min, max, key);
      return [from, Math.max(to ?? 0, (extent()?.x ?? 0) + (from ?? 0))];
    };
    opts.scales!.y.range = (u, min, max, key) => {
      const e = extent();
      if (!e) return y(u, min, max, key);
      return y(u, Math.min(min ?? e.low, e.low), Math.max(max ?? e.high, e.high), key);
    };
  };

  const tooltip = (u: uPlot, text: (idx: number) => string) => {
    const tip = Object.assign(document.createElement('div'), { className: 'chart-tip' });
    tip.setAttribute('aria-hidden', 'true'); // the legend says the same to assistive technology
    u.over.append(tip);
    return () => {
      const idx = u.cursor.idx;
      const left = u.cursor.left ?? -1;
      tip.hidden = idx == null || left < 0;
      if (tip.hidden) return;
      tip.textContent = text(idx!);
      const flip = left > u.over.clientWidth / 2;
      tip.style.left = `${flip ? left - tip.offsetWidth - 10 : left + 10}px`;
      tip.style.top = `${Math.max(0, (u.cursor.top ?? 0) - tip.offsetHeight - 8)}px`;
    };
  };

  const loss: uPlot.Plugin = {
    opts: (_u, opts) => {
      widen(opts, () => extentOf([...earlier().flatMap(overlay), ...testLosses()].filter(([, y]) => y > 0)));
      return opts;
    },
    hooks: {
      init: [(u) => {
        charts.add(u);
        const show = tooltip(u, (idx) => {
          const batch = u.data[0][idx];
          const lines = [`batch ${batch}: loss ${lossText(u.data[1][idx] ?? NaN)}, smoothed ${lossText(u.data[2][idx] ?? NaN)}`];
          const run = record.current;
          const epoch = run?.epochs.find((e) => Math.min(e.epoch * run.batchesPerEpoch, run.losses.length) === batch);
          if (epoch) lines.push(`end of epoch ${epoch.epoch}: test loss ${lossText(epoch.testLoss)}`);
          for (const other of earlier()) {
            const near = overlay(other).reduce((best, p) => (Math.abs(p[0] - batch) < Math.abs(best[0] - batch) ? p : best));
            lines.push(`run ${other.id}: smoothed ${lossText(near[1])}`);
          }
          return lines.join('\n');
        });
        (u.hooks.setCursor ??= []).push(show);
      }],
      destroy: [(u) => void charts.delete(u)],
      draw: [(u) => {
        const runs = earlier();
        const run = record.current;
        const tests = testLosses();
        clipped(u, () => {
          for (const other of runs) {
            const points = overlay(other);
            lineThrough(u, points, `${colorOf(other)}99`, 1.5);
            label(u, `run ${other.id}`, points.at(-1)!, colorOf(other));
          }
          // epoch markers: a dashed line at the end of each of the current run's epochs
          if (run && run.batchesPerEpoch > 0) {
            for (let e = 1; e * run.batchesPerEpoch < run.losses.length; e++) {
              const x = u.valToPos(e * run.batchesPerEpoch, 'x', true);
              u.ctx.lineWidth = devicePixelRatio;
              u.ctx.strokeStyle = 'rgba(100, 116, 139, 0.5)';
              u.ctx.setLineDash([4 * devicePixelRatio, 4 * devicePixelRatio]);
              u.ctx.beginPath();
              u.ctx.moveTo(x, u.bbox.top);
              u.ctx.lineTo(x, u.bbox.top + u.bbox.height);
              u.ctx.stroke();
              u.ctx.setLineDash([]);
            }
          }
          if (tests.length) {
            lineThrough(u, tests, TEST_LOSS_COLOR, 2, tests.length > 1 ? [] : [0, 1]);
            u.ctx.fillStyle = TEST_LOSS_COLOR;
            for (const [x, y] of tests) {
              u.ctx.beginPath();
              u.ctx.arc(u.valToPos(x, 'x', true), u.valToPos(y, 'y', true), 3.5 * devicePixelRatio, 0, 2 * Math.PI);
              u.ctx.fill();
            }
          }
        });
        const host = u.root.parentElement!;
        host.dataset.overlays = String(runs.length);
        host.dataset.testLossPoints = String(tests.length);
        host.dataset.epochMarkers = String(run && run.batchesPerEpoch > 0 ? Math.max(0, Math.ceil(run.losses.length / run.batchesPerEpoch) - 1) : 0);
      }],
    },
  };

  const accuracyPoints = (run: RunRecord): [number, number][] =>
    run.epochs.filter((e) => Number.isFinite(e.testAccuracy)).map((e) => [e.epoch, percent(e.testAccuracy)]);

  const accuracy: uPlot.Plugin = {
    opts: (_u, opts) => {
      widen(opts, () => extentOf(earlier().flatMap(accuracyPoints)));
      return opts;
    },
    hooks: {
      init: [(u) => {
        charts.add(u);
        const show = tooltip(u, (idx) => {
          const epoch = u.data[0][idx];
          const value = (v: number | null | undefined) => (v == null ? '–' : `${v.toFixed(2)} %`);
          const lines = [`epoch ${epoch}: training ${value(u.data[1][idx])}, test ${value(u.data[2][idx])}`];
          for (const other of earlier()) {
            const point = accuracyPoints(other).find(([x]) => x === epoch);
            if (point) lines.push(`run ${other.id}: test ${value(point[1])}`);
          }
          return lines.join('\n');
        });
        (u.hooks.setCursor ??= []).push(show);
      }],
      destroy: [(u) => void charts.delete(u)],
      draw: [(u) => {
        clipped(u, () => {
          for (const other of earlier()) {
            const points = accuracyPoints(other);
            if (!points.length) continue;
            lineThrough(u, points, `${colorOf(other)}99`, 1.5, [5, 3]);
            label(u, `run ${other.id}`, points.at(-1)!, colorOf(other));
          }
        });
        u.root.parentElement!.dataset.overlays = String(earlier().filter((run) => accuracyPoints(run).length).length);
      }],
    },
  };

  return {
    loss, accuracy,
    redraw: () => {
      cache.clear();
      for (const u of charts) u.setData(u.data); // the scales' ranges run again, with the overlays' extent
    },
  };
}

/** The legend of the earlier runs under the charts: each one's number, colour and settings, and a Clear button. */
export function addRunLegend(panel: HTMLElement, record: RunRecorder, onClear: () => void): { update(): void } {
  const box = Object.assign(document.createElement('div'), { className: 'run-legend', id: 'run-legend' });
  const title = Object.assign(document.createElement('p'), { className: 'run-legend-title' });
  const list = Object.assign(document.createElement('ul'), { className: 'run-legend-list' });
  list.setAttribute('aria-label', 'Earlier runs on the charts');
  const clear = Object.assign(document.createElement('button'), { type: 'button', id: 'clear-runs', textContent: 'Clear earlier runs' });
  box.append(title, list, clear);
  panel.querySelector('.charts')!.after(box);
  clear.addEventListener('click', () => {
    record.clearEarlier();
    update();
    onClear();
  });
  const update = () => {
    const runs = record.earlier.filter((run) => run.losses.length > 0);
    clear.hidden = runs.length === 0;
    title.textContent = 'On the loss chart, green dots: the test loss after each epoch; dashed lines: where epochs end. ' +
      (runs.length ? 'Earlier runs, faint and numbered on both charts:' : 'Each new run keeps the last five as faint curves, to compare.');
    list.replaceChildren(...runs.map((run) => {
      const item = document.createElement('li');
      const swatch = Object.assign(document.createElement('span'), { className: 'run-legend-swatch' });
      swatch.style.background = colorOf(run);
      const last = run.epochs.at(-1);
      const result = last ? `, test accuracy ${percent(last.testAccuracy).toFixed(2)} % after epoch ${last.epoch}` : ', no epoch finished';
      item.append(swatch, `run ${run.id}: ${run.label}${result}`);
      return item;
    }));
  };
  update();
  return { update };
}
