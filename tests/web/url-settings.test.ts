// The page's URL follows its settings: what it writes, the parser reads back as the same settings.
import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, parseSettings, settingsFromQuery } from '../../web/src/app/settings';
import { queryWithSettings } from '../../web/src/page/url-settings';

describe('the URL that follows the settings', () => {
  it('writes the learning rate and momentum, and only the other settings that are not the default', () => {
    const query = queryWithSettings(new URLSearchParams(), { ...DEFAULT_SETTINGS, hidden: [512, 256], epochs: 3 });
    expect(query.toString()).toBe('hidden=512%2C256&lr=2&momentum=0.9&epochs=3');
  });

  it('round-trips every setting through the parser', () => {
    const settings = {
      ...DEFAULT_SETTINGS, hidden: [64], learningRate: 0.001, momentum: 0.8, batchSize: 32, epochs: 2, output: 'softmax-xent' as const,
      seed: 7, trainLimit: 2000, optimizer: 'adamw' as const, weightDecay: 0.01, dropout: 0.2, labelSmoothing: 0.05,
      schedule: 'step' as const, warmupEpochs: 0.5, stepEpochs: 1.5, stepGamma: 0.5, scaling: 'unit' as const,
    };
    const query = queryWithSettings(new URLSearchParams(), settings);
    expect(query.get('loss')).toBe('xent');
    expect(query.get('images')).toBe('2000');
    expect(parseSettings(settingsFromQuery(query))).toEqual({ ok: true, settings });
  });

  it('leaves the label smoothing out at the loss\'s default, which the parser takes for that loss', () => {
    const suggestions = {
      byOutput: {
        'sigmoid-l2': { learningRate: 2, momentum: 0.9, labelSmoothing: 0.2 },
        'softmax-xent': { learningRate: 0.1, momentum: 0.9, labelSmoothing: 0 },
      },
      adamLearningRate: 0.001,
    };
    for (const [output, labelSmoothing, written] of [
      ['sigmoid-l2', 0.2, null], ['sigmoid-l2', 0, '0'], ['softmax-xent', 0, null], ['softmax-xent', 0.2, '0.2'],
    ] as const) {
      const settings = { ...DEFAULT_SETTINGS, output, labelSmoothing };
      const query = queryWithSettings(new URLSearchParams(), settings);
      expect(query.get('label-smoothing')).toBe(written);
      expect(parseSettings(settingsFromQuery(query), suggestions).settings.labelSmoothing).toBe(labelSmoothing);
    }
  });

  it('keeps the other parameters and replaces the long names of a setting with its short one', () => {
    const query = queryWithSettings(new URLSearchParams('dataset=fashion-mnist&learningRate=5&batchSize=8&autostart'), DEFAULT_SETTINGS);
    expect(query.get('dataset')).toBe('fashion-mnist');
    expect(query.has('autostart')).toBe(true);
    expect(query.has('learningRate')).toBe(false);
    expect(query.has('batchSize')).toBe(false);
    expect(query.get('lr')).toBe('2');
  });
});
