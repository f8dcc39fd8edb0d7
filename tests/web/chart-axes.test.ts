// Tests of the loss chart's axes: sane labels and ticks for a run that went well and for one that diverged.
import { describe, expect, it } from 'vitest';
import { BATCH_INCRS, formatTick, logTicks, lossRange } from '../../web/src/ui/chart-axes';

describe('the loss chart\'s axes', () => {
  it('ticks the batch axis at whole batches only, however few points there are', () => {
    expect(BATCH_INCRS.slice(0, 6)).toEqual([1, 2, 5, 10, 20, 50]);
    expect(BATCH_INCRS.every(Number.isInteger)).toBe(true);
    expect(BATCH_INCRS.at(-1)).toBeGreaterThanOrEqual(1e7);
  });

  it('labels a diverging loss briefly (the issue saw "58478775 / 26561425")', () => {
    expect(formatTick(58478775)).toBe('58M');
    expect(formatTick(26561425)).toBe('27M');
    expect(formatTick(3.2e12)).toBe('3.2T');
    expect(formatTick(20000)).toBe('20K');
    expect(formatTick(5000)).toBe('5000');
    expect(formatTick(2.3456)).toBe('2.35');
    expect(formatTick(0.05)).toBe('0.05');
    expect(formatTick(0.0123456)).toBe('0.012');
    expect(formatTick(null)).toBe('');
  });

  it('keeps a range around the losses, and ticks at 1, 2 and 5 × 10^k', () => {
    const [low, high] = lossRange(0.02, 60_000_000);
    expect(low).toBeLessThan(0.02);
    expect(high).toBeGreaterThan(60_000_000);
    expect(lossRange(null, null)).toEqual([0.01, 1]);
    expect(logTicks(0.03, 0.6, [1, 2, 5])).toEqual([0.05, 0.1, 0.2, 0.5]);
    expect(logTicks(0.1, 1e8, [1])).toEqual([0.1, 1, 10, 100, 1000, 1e4, 1e5, 1e6, 1e7, 1e8]);
  });
});
