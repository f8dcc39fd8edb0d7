// Tests of the form's settings as the engine's options (web/src/worker/train-options.ts): epochs become
// batches on the model's clock.
import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS } from '../../web/src/app/settings';
import { trainOptions } from '../../web/src/worker/train-options';

describe('trainOptions', () => {
  const settings = { ...DEFAULT_SETTINGS, batchSize: 100, epochs: 3, warmupEpochs: 0.5, stepEpochs: 2, stepGamma: 0.1, schedule: 'cosine' as const };

  it('turns epochs into batches: a partial last batch counts', () => {
    const options = trainOptions(settings, { trainCount: 1050, step: 0 }); // 11 batches an epoch
    expect(options).toMatchObject({ batchSize: 100, warmupBatches: 6, scheduleBatches: 33, stepBatches: 22, stepGamma: 0.1, schedule: 'cosine' });
  });

  it('passes the optimizer and regularisation through', () => {
    const options = trainOptions({ ...settings, optimizer: 'adamw', weightDecay: 0.01, dropout: 0.2, learningRate: 0.001, momentum: 0.5, labelSmoothing: 0.1 },
      { trainCount: 1000, step: 0 });
    expect(options).toMatchObject({ optimizer: 'adamw', weightDecay: 0.01, dropout: 0.2, learningRate: 0.001, momentum: 0.5, labelSmoothing: 0.1 });
  });

  it('stretches a continued model\'s cosine to end with this run, on its own clock', () => {
    const options = trainOptions(settings, { trainCount: 1000, step: 500 });
    expect(options.scheduleBatches).toBe(530);
    expect(options.warmupBatches).toBe(5); // long past: a continued model is not warmed up again
  });

  it('never asks for a step of zero batches', () => {
    expect(trainOptions({ ...settings, stepEpochs: 0.01 }, { trainCount: 10, step: 0 }).stepBatches).toBe(1);
  });
});
