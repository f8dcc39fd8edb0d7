// Tests of the data-set choices (web/src/data/datasets.ts): names from URLs and attributes, class names, and
// where the draw pad makes sense.
import { describe, expect, it } from 'vitest';
import { DATASETS, canDraw, classNames, parseDatasetChoice } from '../../web/src/data/datasets';

describe('parseDatasetChoice', () => {
  it('takes the three choices, in any case, and nothing else', () => {
    expect(parseDatasetChoice('mnist')).toBe('mnist');
    expect(parseDatasetChoice(' Fashion-MNIST ')).toBe('fashion-mnist');
    expect(parseDatasetChoice('own')).toBe('own');
    for (const text of ['', 'cifar', 'fashion', 'constructor', null, undefined]) expect(parseDatasetChoice(text)).toBeNull();
  });
});

describe('classNames', () => {
  it('names Fashion-MNIST\'s ten labels as Zalando does', () => {
    expect(classNames('fashion-mnist', 10)).toEqual([
      'T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot',
    ]);
  });

  it('names MNIST\'s labels by their digits', () => {
    expect(classNames('mnist', 10)).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
  });

  it('uses label numbers for the reader\'s own files, whatever their count', () => {
    expect(classNames('own', 3)).toEqual(['0', '1', '2']);
    expect(classNames('own', 47)).toHaveLength(47);
    expect(classNames('own', 47)[46]).toBe('46');
    expect(classNames('own', 0)).toEqual([]);
  });

  it('falls back to numbers when a served set holds more labels than it has names', () => {
    expect(classNames('fashion-mnist', 12)[11]).toBe('11');
    expect(classNames('fashion-mnist', 12)[0]).toBe('0');
  });
});

describe('canDraw', () => {
  it('offers the draw pad for 28×28 sets of pen strokes only', () => {
    expect(canDraw('mnist', 28, 28)).toBe(true);
    expect(canDraw('own', 28, 28)).toBe(true);
    expect(canDraw('fashion-mnist', 28, 28)).toBe(false);
    expect(canDraw('own', 32, 32)).toBe(false);
    expect(canDraw('own', 1, 784)).toBe(false);
  });

  it('gives each served set a folder of its own', () => {
    expect(DATASETS.mnist.folder).toBe('data/mnist/');
    expect(DATASETS['fashion-mnist'].folder).toBe('data/fashion-mnist/');
    expect(DATASETS.own.folder).toBeUndefined();
  });
});
