import { describe, expect, test } from 'vitest';
import { dataExtent, linearTicks, tickIncrement } from '../../web/src/ui/light-plot';

describe('LightPlot scales', () => {
  const incrs = [1, 2, 5, 10, 20, 50, 100];

  test('the smallest increment whose ticks stay `space` pixels apart', () => {
    expect(tickIncrement(100, 500, 50, incrs)).toBe(10); // 10 per 50 px
    expect(tickIncrement(100, 499, 50, incrs)).toBe(20);
    expect(tickIncrement(3, 600, 28, incrs)).toBe(1);
    expect(tickIncrement(1e6, 100, 50, incrs)).toBe(100); // past the list: its last
  });

  test('ticks at the multiples of the increment inside the range, without float drift', () => {
    expect(linearTicks(0, 140, 20)).toEqual([0, 20, 40, 60, 80, 100, 120, 140]);
    expect(linearTicks(0.5, 3.5, 1)).toEqual([1, 2, 3]);
    expect(linearTicks(64.3, 91, 5)).toEqual([65, 70, 75, 80, 85, 90]);
    expect(linearTicks(0.1, 0.7, 0.1)).toEqual([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7]);
  });

  test('the extent of the y series skips gaps, non-finite values and, on a log scale, values at or below 0', () => {
    const data = [[1, 2, 3, 4], [0.5, null, Infinity, 0.2], [0, 0.9, Number.NaN, undefined]];
    expect(dataExtent(data, false)).toEqual([0, 0.9]);
    expect(dataExtent(data, true)).toEqual([0.2, 0.9]);
    expect(dataExtent([[1], [null]], false)).toEqual([null, null]);
  });
});
