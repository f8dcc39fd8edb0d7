// The loss chart's axes, pure so they are unit-tested: whole batches, and short log-scale labels however large a
// diverging loss grows.
import type uPlot from 'uplot';

/** Whole batches only: with a handful of points (a run that diverged at once) uPlot would tick at 0.25. */
export const BATCH_INCRS = Array.from({ length: 24 }, (_, i) => [1, 2, 5][i % 3]! * 10 ** Math.floor(i / 3));
const compact = new Intl.NumberFormat('en-US', { notation: 'compact', maximumSignificantDigits: 2 });

/** A little room above and below the losses; uPlot's default log range rounds out to whole decades. */
export function lossRange(min: number | null, max: number | null): uPlot.Range.MinMax {
  if (min == null || max == null || !(max > 0)) return [0.01, 1];
  const low = min > 0 ? min : max / 1000;
  return [low / 1.15, max * 1.15];
}

/** The ticks at mantissa × 10^k between min and max. */
export function logTicks(min: number, max: number, mantissas: readonly number[]): number[] {
  const ticks: number[] = [];
  for (let power = Math.floor(Math.log10(min)); power <= Math.ceil(Math.log10(max)); power++) {
    for (const mantissa of mantissas) {
      const value = Number((mantissa * 10 ** power).toPrecision(1));
      if (value >= min && value <= max) ticks.push(value);
    }
  }
  return ticks;
}

/** Short labels however large a diverging loss grows: 58M, not 58478775. */
export function formatTick(value: number | null): string {
  if (value == null) return '';
  return value >= 1e4 ? compact.format(value) : String(Number(value.toPrecision(value >= 1 ? 3 : 2)));
}
