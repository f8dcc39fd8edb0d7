// Tests of the one status every view's words come from: each phase says what is happening, and nothing stale.
import { describe, expect, it } from 'vitest';
import { phaseOf, progressNote, summaryText, type RunStatus } from '../../web/src/app/run-status';
import type { EpochReport } from '../../web/src/worker/protocol';

const report = (epoch: number, epochs = 3): EpochReport => ({
  epoch, epochs, trainLoss: 0.1, trainAccuracy: 0.9, testLoss: 0.1, testAccuracy: 0.925, confusion: [],
});
const status = (change: Partial<RunStatus>): RunStatus => ({ phase: 'idle', report: null, epochs: 3, batches: 0, note: '', ...change });

describe('the status', () => {
  it('takes the worker\'s "ready" for idle, and its other states as they are', () => {
    expect(phaseOf('ready')).toBe('idle');
    for (const state of ['idle', 'loading', 'training', 'paused', 'done', 'diverged', 'error'] as const) expect(phaseOf(state)).toBe(state);
  });

  it('idle: not trained yet, or what the last action did, or the loaded model\'s accuracy', () => {
    expect(summaryText(status({}))).toBe('Not trained yet.');
    expect(summaryText(status({ note: 'The network was reset to fresh random weights.' }))).toBe('The network was reset to fresh random weights.');
    expect(summaryText(status({ report: report(0, 0) }))).toBe('Loaded model: test accuracy 92.50%, test loss 0.1.');
    expect(progressNote(status({}))).toBe('');
  });

  it('loading: the progress line says what downloads, the summary stays put', () => {
    const loading = status({ phase: 'loading', note: 'Downloading MNIST: 1.2 of 3.2 MB' });
    expect(summaryText(loading)).toBe('Loading the data…');
    expect(progressNote(loading)).toBe('Downloading MNIST: 1.2 of 3.2 MB');
  });

  it('training: never "Not trained yet"; the epoch under way, after the last one\'s accuracy; the time left shows', () => {
    expect(summaryText(status({ phase: 'training', batches: 70 }))).toBe('Training epoch 1 of 3…');
    expect(summaryText(status({ phase: 'training', report: report(1), batches: 200 })))
      .toBe('Epoch 1 of 3: test accuracy 92.50%, training accuracy 90.00%, test loss 0.1. Training epoch 2 of 3…');
    expect(summaryText(status({ phase: 'training', note: 'Continuing the loaded 784-64-10 model for 1 epoch.', report: report(0, 0), epochs: 1 })))
      .toBe('Continuing the loaded 784-64-10 model for 1 epoch. Training epoch 1 of 1…');
    expect(progressNote(status({ phase: 'training' }))).toBeNull();
  });

  it('paused: says so in place of the time left, and where the run is', () => {
    const paused = status({ phase: 'paused', report: report(1), batches: 250 });
    expect(summaryText(paused)).toBe('Paused in epoch 2 of 3. Epoch 1 of 3: test accuracy 92.50%, training accuracy 90.00%, test loss 0.1.');
    expect(summaryText(status({ phase: 'paused', batches: 20 }))).toBe('Paused in epoch 1 of 3.');
    expect(progressNote(paused)).toBe('Paused');
  });

  it('done, diverged and error each say how the run ended', () => {
    expect(summaryText(status({ phase: 'done', report: report(3) }))).toBe('Done: Epoch 3 of 3: test accuracy 92.50%, training accuracy 90.00%, test loss 0.1.');
    expect(progressNote(status({ phase: 'done' }))).toBe('All epochs done');
    const diverged = status({ phase: 'diverged', batches: 12 });
    expect(summaryText(diverged)).toMatch(/^Stopped in epoch 1 of 3: the loss diverged/);
    expect(progressNote(diverged)).toBe('Stopped: the loss diverged');
    expect(summaryText(status({ phase: 'error', report: report(1), batches: 200 }))).toBe('Stopped after Epoch 1 of 3: test accuracy 92.50%, training accuracy 90.00%, test loss 0.1.');
    expect(summaryText(status({ phase: 'error', batches: 20 }))).toBe('Stopped.');
    expect(progressNote(status({ phase: 'error', batches: 20 }))).toBe('Stopped');
    expect(summaryText(status({ phase: 'error' }))).toBe('Not trained yet.');
  });

  it('no phase but training shows a time left, and none but training and paused speaks of an epoch under way', () => {
    for (const phase of ['idle', 'loading', 'paused', 'done', 'diverged', 'error'] as const) {
      expect(progressNote(status({ phase, batches: 5, note: 'x' }))).not.toBeNull();
      expect(progressNote(status({ phase, batches: 5, note: 'x' }))).not.toMatch(/left/);
    }
  });
});
