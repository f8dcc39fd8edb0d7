// Tests of the score bars' display arithmetic (the DOM part is checked in a browser).
import { describe, expect, it } from 'vitest';
import { topClass } from '../../web/src/lib/top-class';
import { CONFIDENT, confidentClass, displayShares, percentText, unsmoothedScores } from '../../web/src/ui/score-bars';

describe('displayShares', () => {
  it('divides sigmoid outputs by their sum so the bars add up to 100%', () => {
    const shares = displayShares(Float32Array.from([0.9, 0.3, 0, 0, 0, 0, 0, 0, 0, 0.3]));
    expect(shares[0]).toBeCloseTo(0.6, 6);
    expect(shares[1]).toBeCloseTo(0.2, 6);
    expect(shares[9]).toBeCloseTo(0.2, 6);
    expect(shares.reduce((sum, v) => sum + v, 0)).toBeCloseTo(1, 6);
  });

  it('leaves softmax outputs as they are', () => {
    const softmax = Float32Array.from([0.05, 0.05, 0.1, 0.5, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05]);
    const shares = displayShares(softmax);
    softmax.forEach((value, i) => expect(shares[i]).toBeCloseTo(value, 6));
  });

  it('counts negative and non-finite scores as 0, and keeps all zeros at 0', () => {
    expect([...displayShares([-1, NaN, Infinity, 2])]).toEqual([0, 0, 0, 1]);
    expect([...displayShares(new Float32Array(10))]).toEqual(new Array(10).fill(0));
  });
});

describe('topClass', () => {
  it('finds the highest score, the first one on a tie, skipping NaN', () => {
    expect(topClass([0.1, 0.7, 0.2])).toBe(1);
    expect(topClass([0.5, 0.5])).toBe(0);
    expect(topClass([NaN, 0.1, NaN, 0.3])).toBe(3);
    expect(topClass([NaN, NaN])).toBe(-1);
    expect(topClass([])).toBe(-1);
  });
});

describe('percentText', () => {
  it('rounds to whole percent and shows a tiny share as <1%', () => {
    expect(percentText(0)).toBe('0%');
    expect(percentText(0.001)).toBe('<1%');
    expect(percentText(0.005)).toBe('1%');
    expect(percentText(0.834)).toBe('83%');
    expect(percentText(1)).toBe('100%');
  });
});

describe('confidentClass', () => {
  it('names a softmax class from half the probability up, and none below', () => {
    expect(CONFIDENT).toBe(0.5);
    expect(confidentClass([0.05, 0.05, 0.1, 0.5, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05])).toBe(3);
    expect(confidentClass([0.02, 0.9, 0.08])).toBe(1);
    expect(confidentClass([0.12, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.09, 0.09])).toBe(-1); // an untrained network's 12%
    expect(confidentClass([0.45, 0.4, 0.15])).toBe(-1);
  });

  it('with sigmoid outputs, the top unit must itself say yes (0.5) and outweigh the rest', () => {
    expect(confidentClass([0.9, 0.1, 0.05])).toBe(0);
    // a dot: the largest share (59%) but every unit says "not this class"
    expect(confidentClass([0.02, 0.01, 0.03, 0.01, 0.01, 0.02, 0.01, 0.01, 0.2, 0.02])).toBe(-1);
    // every unit says yes: none stands out
    expect(confidentClass([0.8, 0.7, 0.75])).toBe(-1);
  });

  it('reads the scores of a network trained with label smoothing as the labels\' 0..1', () => {
    // sigmoid outputs at ε = 0.2 aim at 0.1 and 0.9: a sure answer whose share of the raw scores is only half
    const raw = [0.1, 0.88, 0.12, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1];
    expect(confidentClass(raw)).toBe(-1);
    const read = unsmoothedScores(raw, 0.2, 0.1);
    expect(read[1]).toBeCloseTo(0.975, 6);
    expect(read[2]).toBeCloseTo(0.025, 6);
    expect(read[0]).toBeCloseTo(0, 6);
    expect(confidentClass(read)).toBe(1);
    expect(unsmoothedScores([0.95, 0.02], 0.2, 0.1)).toEqual(Float32Array.from([1, 0])); // clamped
    // softmax at ε = 0.1 over 2 classes aims at 0.05 and 0.95; the shares still sum to 1
    const softmax = unsmoothedScores([0.7, 0.3], 0.1, 0.05);
    expect(softmax[0]! + softmax[1]!).toBeCloseTo(1, 6);
    expect(unsmoothedScores([0.3, 0.7], 0, 0)).toEqual(Float32Array.from([0.3, 0.7])); // no smoothing: as they are
  });

  it('has no answer for no scores, or scores that are not numbers', () => {
    expect(confidentClass([])).toBe(-1);
    expect(confidentClass([NaN, NaN])).toBe(-1);
  });
});
