// Tests of the settings form's validation (web/src/app/settings.ts): good values are taken, and each bad
// one is refused under its own field's name with a message saying what is allowed, leaving the rest alone.
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_SETTINGS,
  LIMITS,
  SETTING_NAMES,
  followsSuggestion,
  formatSetting,
  outputFromLossName,
  parseSettings,
  settingsFromQuery,
  suggestedRate,
  type SettingName,
  type Suggestions,
} from '../../web/src/app/settings';
import { DEFAULT_MODEL, DEFAULT_OPTIONS, DEFAULT_RUN, LIMITS as ENGINE_LIMITS, RUN_LIMITS } from '../../web/src/engine/defaults.js';

type Raw = Partial<Record<SettingName, string>>;

/** The settings, or a failure that shows the errors. */
function accepted(raw: Raw) {
  const result = parseSettings(raw);
  if (!result.ok) throw new Error(`expected ${JSON.stringify(raw)} to be accepted: ${JSON.stringify(result.errors)}`);
  return result.settings;
}

/** The errors, checking that exactly `field` was refused. */
function refusedOnly(raw: Raw, field: SettingName): string {
  const result = parseSettings(raw);
  if (result.ok) throw new Error(`expected ${JSON.stringify(raw)} to be refused`);
  expect(Object.keys(result.errors)).toEqual([field]);
  const message = result.errors[field];
  expect(message).toBeTypeOf('string');
  expect(message!.length).toBeGreaterThan(5);
  return message!;
}

describe('parseSettings', () => {
  it('gives the defaults for an empty form, and the form shows them back', () => {
    const settings = accepted({});
    expect(settings).toEqual(DEFAULT_SETTINGS);
    const form = Object.fromEntries(SETTING_NAMES.map((name) => [name, formatSetting(settings, name)])) as Raw;
    expect(accepted(form)).toEqual(DEFAULT_SETTINGS);
  });

  it('does not let a result share the defaults array', () => {
    const settings = accepted({});
    settings.hidden.push(5);
    expect(DEFAULT_SETTINGS.hidden).toEqual([2048]);
  });

  it('accepts every valid value, in the forms people type them', () => {
    expect(
      accepted({
        hidden: ' 512 , 256 ',
        learningRate: '0.05',
        momentum: '0',
        batchSize: '1',
        epochs: '100',
        output: 'softmax-xent',
        seed: '4294967295',
        trainLimit: '100',
        optimizer: 'adamw',
        weightDecay: '0.01',
        dropout: '0.5',
        labelSmoothing: '0.1',
        schedule: 'cosine',
        warmupEpochs: '0.5',
        stepEpochs: '2',
        stepGamma: '0.1',
        scaling: 'standard',
      }),
    ).toEqual({
      hidden: [512, 256], learningRate: 0.05, momentum: 0, batchSize: 1, epochs: 100, output: 'softmax-xent', seed: 4294967295, trainLimit: 100,
      optimizer: 'adamw', weightDecay: 0.01, dropout: 0.5, labelSmoothing: 0.1, schedule: 'cosine', warmupEpochs: 0.5, stepEpochs: 2, stepGamma: 0.1,
      scaling: 'standard',
    });
    expect(accepted({ learningRate: '1e-3' }).learningRate).toBe(0.001);
    expect(accepted({ learningRate: '.5' }).learningRate).toBe(0.5);
    expect(accepted({ learningRate: String(LIMITS.learningRate) }).learningRate).toBe(LIMITS.learningRate);
    expect(accepted({ momentum: '0.999' }).momentum).toBe(0.999);
    expect(accepted({ batchSize: String(LIMITS.batchSize) }).batchSize).toBe(LIMITS.batchSize);
    expect(accepted({ trainLimit: '60000' }).trainLimit).toBe(60000);
    expect(accepted({ trainLimit: '112800' }).trainLimit).toBe(112800); // an own set may be larger than MNIST
    expect(accepted({ trainLimit: ' All ' }).trainLimit).toBe(0);
    expect(formatSetting(accepted({ trainLimit: 'all' }), 'trainLimit')).toBe('all');
    for (const optimizer of ['sgd', 'adam', 'adamw']) expect(accepted({ optimizer }).optimizer).toBe(optimizer);
    for (const schedule of ['constant', 'cosine', 'step']) expect(accepted({ schedule }).schedule).toBe(schedule);
    for (const scaling of ['auto', 'rms', 'unit', 'standard']) expect(accepted({ scaling }).scaling).toBe(scaling);
    expect(accepted({ dropout: '0.9' }).dropout).toBe(0.9);
    expect(accepted({ labelSmoothing: '0' }).labelSmoothing).toBe(0);
    expect(accepted({ labelSmoothing: '0.999' }).labelSmoothing).toBe(0.999);
    expect(accepted({ warmupEpochs: '0' }).warmupEpochs).toBe(0);
    expect(accepted({ stepGamma: '1' }).stepGamma).toBe(1);
    expect(accepted({ output: 'sigmoid-l2' }).output).toBe('sigmoid-l2');
    expect(accepted({ hidden: '16384' }).hidden).toEqual([16384]);
    expect(accepted({ learningRate: '1000' }).learningRate).toBe(1000);
    expect(accepted({ epochs: '1000' }).epochs).toBe(1000);
    expect(accepted({ hidden: '1,2,3,4,5,6,7' }).hidden).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it('takes an empty or zero hidden field as "no hidden layer"', () => {
    expect(accepted({ hidden: '' }).hidden).toEqual([]);
    expect(accepted({ hidden: '0' }).hidden).toEqual([]);
  });

  const refusals: [SettingName, string, RegExp][] = [
    ['hidden', 'abc', /whole numbers/],
    ['hidden', '512,,256', /whole numbers/],
    ['hidden', '512;256', /whole numbers/],
    ['hidden', '0,10', /from 1/],
    ['hidden', '16385', /from 1 to 16384/],
    ['hidden', '12.5', /whole numbers/],
    ['hidden', '-3', /whole numbers/],
    ['hidden', '1,2,3,4,5,6,7,8', /at most 7/],
    ['learningRate', '0', /above 0/],
    ['learningRate', '-0.1', /above 0/],
    ['learningRate', '1001', /at most 1000/],
    ['learningRate', 'fast', /number/],
    ['learningRate', '', /number/],
    ['learningRate', 'Infinity', /number/],
    ['learningRate', '1e400', /number/],
    ['learningRate', 'NaN', /number/],
    ['learningRate', '0x10', /number/],
    ['momentum', '1', /0 to 0.999/],
    ['momentum', '-0.5', /0 to 0.999/],
    ['momentum', '0.9.1', /0 to 0.999/],
    ['batchSize', '0', /whole number from 1/],
    ['batchSize', '4097', /4096/],
    ['batchSize', '32.5', /whole number/],
    ['batchSize', ' ', /whole number/],
    ['epochs', '0', /whole number from 1 to 1000/],
    ['epochs', '1001', /whole number from 1 to 1000/],
    ['epochs', '2 epochs', /whole number/],
    ['seed', '-1', /whole number from 0 to 4294967295/],
    ['seed', '4294967296', /4294967295/],
    ['seed', '1.5', /whole number/],
    ['trainLimit', '99', /"all", or a whole number from 100 to 10000000/],
    ['trainLimit', '0', /from 100/],
    ['trainLimit', '10000001', /10000000/],
    ['trainLimit', 'most', /"all"/],
    ['optimizer', 'rmsprop', /sgd, adam, adamw/],
    ['weightDecay', '-0.1', /0 to 0.999/],
    ['weightDecay', '1', /0 to 0.999/],
    ['dropout', '0.95', /0 to 0.9/],
    ['dropout', 'half', /0 to 0.9/],
    ['labelSmoothing', '1', /0 to 0.999/],
    ['labelSmoothing', '-0.1', /0 to 0.999/],
    ['schedule', 'linear', /constant, cosine, step/],
    ['warmupEpochs', '-1', /epochs from 0/],
    ['warmupEpochs', '1001', /to 1000/],
    ['stepEpochs', '0', /epochs from 0.01/],
    ['stepGamma', '0', /above 0, at most 1/],
    ['stepGamma', '1.5', /above 0, at most 1/],
    ['scaling', 'minmax', /auto, rms, unit, standard/],
    ['output', 'relu', /sigmoid-l2, softmax-xent/],
    ['output', '', /sigmoid-l2, softmax-xent/],
  ];

  it.each(refusals)('refuses %s = %j with a message under that field', (field, text, expected) => {
    // The other fields are valid, so only this one may be refused.
    const raw: Raw = { ...Object.fromEntries(SETTING_NAMES.map((name) => [name, formatSetting(DEFAULT_SETTINGS, name)])), [field]: text };
    expect(refusedOnly(raw, field)).toMatch(expected);
  });

  it('reports every bad field at once', () => {
    const result = parseSettings({
      hidden: 'x', learningRate: '0', momentum: '2', batchSize: '0', epochs: '0', output: 'x', seed: '-1', trainLimit: '1',
      optimizer: 'x', weightDecay: '2', dropout: '1', labelSmoothing: '1', schedule: 'x', warmupEpochs: '-1', stepEpochs: '0', stepGamma: '0', scaling: 'x',
    });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(Object.keys(result.errors).sort()).toEqual([...SETTING_NAMES].sort());
  });
});

describe('suggested settings for an output, loss and optimizer', () => {
  const suggestions: Suggestions = {
    byOutput: {
      'sigmoid-l2': { learningRate: 2, momentum: 0.9, labelSmoothing: 0.2 },
      'softmax-xent': { learningRate: 0.1, momentum: 0.8, labelSmoothing: 0 },
    },
    adamLearningRate: 0.001,
  };

  it('give the learning rate, momentum and label smoothing of the chosen loss when the raw settings leave them out', () => {
    const settings = parseSettings({ output: 'softmax-xent' }, suggestions).settings;
    expect(settings.learningRate).toBe(0.1);
    expect(settings.momentum).toBe(0.8);
    expect(settings.labelSmoothing).toBe(0);
    expect(parseSettings({}, suggestions).settings.learningRate).toBe(2);
    expect(parseSettings({}, suggestions).settings.labelSmoothing).toBe(0.2);
    expect(parseSettings({ output: 'softmax-xent', labelSmoothing: '0.1' }, suggestions).settings.labelSmoothing).toBe(0.1);
  });

  it('give Adam and AdamW their own rate, whichever the loss', () => {
    expect(parseSettings({ optimizer: 'adam' }, suggestions).settings.learningRate).toBe(0.001);
    expect(parseSettings({ optimizer: 'adamw', output: 'softmax-xent' }, suggestions).settings.learningRate).toBe(0.001);
    expect(suggestedRate(suggestions, 'softmax-xent', 'sgd')).toBe(0.1);
    expect(suggestedRate(suggestions, 'sigmoid-l2', 'adam')).toBe(0.001);
  });

  it('never override a rate or momentum that was given', () => {
    const settings = parseSettings({ output: 'softmax-xent', learningRate: '0.5', momentum: '0' }, suggestions).settings;
    expect(settings.learningRate).toBe(0.5);
    expect(settings.momentum).toBe(0);
  });

  it('follow a field only while it holds the suggestion, however it is written', () => {
    expect(followsSuggestion('1', 1)).toBe(true);
    expect(followsSuggestion(' 1.0 ', 1)).toBe(true);
    expect(followsSuggestion('1e-1', 0.1)).toBe(true);
    expect(followsSuggestion('0.5', 1)).toBe(false);
    expect(followsSuggestion('', 1)).toBe(false);
    expect(followsSuggestion('sgd', 'sgd')).toBe(true);
    expect(followsSuggestion('adam', 'sgd')).toBe(false);
  });
});

describe('settingsFromQuery', () => {
  it('reads long and short names and the loss shorthands', () => {
    const raw = settingsFromQuery(new URLSearchParams('hidden=512,256&lr=0.5&batch=32&epochs=2&loss=xent&seed=7&images=1000&momentum=0.5'));
    expect(raw).toEqual({ hidden: '512,256', learningRate: '0.5', batchSize: '32', epochs: '2', output: 'softmax-xent', seed: '7', trainLimit: '1000', momentum: '0.5' });
    expect(settingsFromQuery(new URLSearchParams('learningRate=2&batchSize=8&output=sigmoid-l2&trainLimit=500&loss=l2'))).toEqual({
      learningRate: '2', batchSize: '8', output: 'sigmoid-l2', trainLimit: '500',
    });
  });

  it('takes the loss shorthands under either name, as the embed\'s attributes do', () => {
    expect(settingsFromQuery(new URLSearchParams('output=xent'))).toEqual({ output: 'softmax-xent' });
    expect(outputFromLossName('l2')).toBe('sigmoid-l2');
    expect(outputFromLossName('softmax-xent')).toBe('softmax-xent');
    expect(outputFromLossName('hinge')).toBe('hinge'); // refused later, by parseSettings
  });

  it('reads the optimizer, regularisation, schedule and scaling under their URL names', () => {
    expect(settingsFromQuery(new URLSearchParams('optimizer=adam&wd=0.01&dropout=0.2&schedule=step&warmup=1&step-epochs=2&step-gamma=0.3&scaling=unit')))
      .toEqual({ optimizer: 'adam', weightDecay: '0.01', dropout: '0.2', schedule: 'step', warmupEpochs: '1', stepEpochs: '2', stepGamma: '0.3', scaling: 'unit' });
    expect(settingsFromQuery(new URLSearchParams('weight-decay=0.1&weightDecay=0.2')).weightDecay).toBe('0.2');
  });

  it('ignores unknown parameters', () => {
    expect(settingsFromQuery(new URLSearchParams('engine=scalar&autostart&data=./x/&dataset=own'))).toEqual({});
  });

  it('leaves bad values for parseSettings to refuse', () => {
    const result = parseSettings(settingsFromQuery(new URLSearchParams('lr=-1&loss=constructor')));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(Object.keys(result.errors).sort()).toEqual(['learningRate', 'output']);
  });
});

describe('the defaults and limits are the engine\'s (web/src/engine/defaults.js, held to the C++ by tests/node/limits.test.mjs)', () => {
  it('takes the form\'s defaults from the engine\'s and a run\'s', () => {
    expect(DEFAULT_SETTINGS).toMatchObject({
      hidden: DEFAULT_MODEL.sizes.slice(1, -1), output: DEFAULT_MODEL.output, seed: DEFAULT_MODEL.seed, scaling: DEFAULT_MODEL.scaling,
      learningRate: DEFAULT_OPTIONS.learningRate, momentum: DEFAULT_OPTIONS.momentum, batchSize: DEFAULT_OPTIONS.batchSize,
      optimizer: DEFAULT_OPTIONS.optimizer, weightDecay: DEFAULT_OPTIONS.weightDecay, dropout: DEFAULT_OPTIONS.dropout,
      ...DEFAULT_RUN,
    });
  });

  it('refuses just past the engine\'s limits, and takes them', () => {
    expect(LIMITS).toMatchObject({
      hiddenLayers: ENGINE_LIMITS.hiddenLayers, hiddenSize: ENGINE_LIMITS.layerSize, learningRate: ENGINE_LIMITS.learningRate,
      batchSize: ENGINE_LIMITS.batchSize, epochs: RUN_LIMITS.epochs, seed: ENGINE_LIMITS.seed, dropout: ENGINE_LIMITS.dropout,
    });
    expect(parseSettings({ hidden: String(ENGINE_LIMITS.layerSize + 1) }).ok).toBe(false);
    expect(parseSettings({ hidden: String(ENGINE_LIMITS.layerSize) }).ok).toBe(true);
    expect(parseSettings({ learningRate: String(ENGINE_LIMITS.learningRate * 1.001) }).ok).toBe(false);
    expect(parseSettings({ batchSize: String(ENGINE_LIMITS.batchSize + 1) }).ok).toBe(false);
  });
});
