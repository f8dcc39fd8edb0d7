// The data sets the trainer offers: the two it serves (MNIST, Fashion-MNIST) and the reader's own IDX files.
// Pure, so the page, the embed and the tests share one list of names, folders and class names.

export type DatasetChoice = 'mnist' | 'fashion-mnist' | 'own';
export const DATASET_CHOICES: readonly DatasetChoice[] = ['mnist', 'fashion-mnist', 'own'];
export const DEFAULT_DATASET: DatasetChoice = 'mnist';

export interface DatasetDescription {
  /** as the page names it: "MNIST" */
  title: string;
  /** where the served sets' four .gz files live, relative to the app; none for the reader's own files */
  folder?: string;
  /** the name of each label, where the set's documentation gives them */
  classNames?: readonly string[];
  /** drawing with a pen resembles the set's images (handwritten digits on black) */
  drawable: boolean;
}

export const DATASETS: Readonly<Record<DatasetChoice, DatasetDescription>> = {
  mnist: { title: 'MNIST', folder: 'data/mnist/', classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'], drawable: true },
  'fashion-mnist': {
    title: 'Fashion-MNIST',
    folder: 'data/fashion-mnist/',
    // Zalando's labels, in label order (github.com/zalandoresearch/fashion-mnist)
    classNames: ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'],
    drawable: false,
  },
  // A drawing can only be asked of a set of 28×28 greyscale images; see canDraw.
  own: { title: 'your own files', drawable: true },
};

/** The choice a URL parameter or attribute names, or null for anything else. */
export function parseDatasetChoice(text: string | null | undefined): DatasetChoice | null {
  const normalized = text?.trim().toLowerCase();
  return (DATASET_CHOICES as readonly (string | undefined)[]).includes(normalized) ? (normalized as DatasetChoice) : null;
}

/**
 * A name for each of `classes` labels: the set's own where it has them (and they are as many), else the label
 * number, so that a set with more labels than its names never shows a blank.
 */
export function classNames(choice: DatasetChoice, classes: number): string[] {
  const known = DATASETS[choice].classNames;
  return Array.from({ length: Math.max(0, classes) }, (_, label) => (known && known.length === classes ? known[label] : String(label)));
}

/** The draw pad makes 28×28 greyscale images: it suits a set of those whose images look like pen strokes. */
export function canDraw(choice: DatasetChoice, rows: number, cols: number): boolean {
  return DATASETS[choice].drawable && rows === 28 && cols === 28;
}
