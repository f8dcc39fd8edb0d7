// Telling which of the reader's files is which: training or test, images or labels. The engine checks the
// files themselves; this only reads what an IDX header says (rank, count) and what the file names say.
// Pure, so it is unit-tested.

export type IdxRole = 'trainImages' | 'trainLabels' | 'testImages' | 'testLabels';
export const IDX_ROLES: readonly IdxRole[] = ['trainImages', 'trainLabels', 'testImages', 'testLabels'];
export const ROLE_TITLES: Readonly<Record<IdxRole, string>> = {
  trainImages: 'training images', trainLabels: 'training labels', testImages: 'test images', testLabels: 'test labels',
};

export interface IdxHeader {
  /** 0x08 for unsigned bytes, the one type the engine reads */
  dataType: number;
  /** the dimensions: [count] for labels, [count, rows, cols] (or [count, features]) for images */
  dims: number[];
}

/**
 * The header of uncompressed IDX bytes: two zero bytes, a type byte, a rank byte, then rank big-endian
 * 32-bit sizes. Null when the bytes do not start like one.
 */
export function readIdxHeader(bytes: Uint8Array): IdxHeader | null {
  if (bytes.length < 4 || bytes[0] !== 0 || bytes[1] !== 0) return null;
  const rank = bytes[3];
  if (rank < 1 || rank > 4 || bytes.length < 4 + 4 * rank) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i, false));
  return { dataType: bytes[2], dims };
}

type Split = 'train' | 'test';
type Kind = 'Images' | 'Labels';

/** What a file's name says, as the usual names do: train-images-idx3-ubyte, t10k-labels.idx1-ubyte.gz, emnist-letters-test-images... */
export function roleHintsFromName(name: string): { split?: Split; kind?: Kind } {
  const lower = name.toLowerCase();
  const split = /t10k|test/.test(lower) ? 'test' : /train/.test(lower) ? 'train' : undefined;
  const kind = /label|idx1/.test(lower) ? 'Labels' : /image|idx[234]/.test(lower) ? 'Images' : undefined;
  return { split, kind };
}

export interface CandidateFile {
  name: string;
  /** the header of its (uncompressed) bytes, null when it has none */
  header: IdxHeader | null;
}

export interface Assignment {
  /** role → index into the given files */
  roles: Partial<Record<IdxRole, number>>;
  /** one sentence for each file that could not be placed */
  problems: string[];
}

/**
 * Gives each file a role. The kind comes from the header's rank (1: labels) or else the name; the split from
 * the name, or else, for two files of one kind, the one with more items is the training set.
 */
export function assignIdxFiles(files: readonly CandidateFile[]): Assignment {
  const problems: string[] = [];
  const placed: { index: number; split?: Split; kind: Kind }[] = [];
  files.forEach((file, index) => {
    const hints = roleHintsFromName(file.name);
    const kind = file.header ? (file.header.dims.length === 1 ? 'Labels' : 'Images') : hints.kind;
    if (!kind) problems.push(`${file.name}: cannot tell whether it holds images or labels (it is not an IDX file, and its name says neither)`);
    else placed.push({ index, split: hints.split, kind });
  });
  for (const kind of ['Images', 'Labels'] as const) {
    const unsplit = placed.filter((file) => file.kind === kind && !file.split);
    const ofKind = placed.filter((file) => file.kind === kind);
    if (unsplit.length && ofKind.length === 2 && ofKind.every((file) => files[file.index].header)) {
      const [a, b] = ofKind.map((file) => files[file.index].header!.dims[0]);
      if (a !== b) {
        ofKind[0].split = a > b ? 'train' : 'test';
        ofKind[1].split = a > b ? 'test' : 'train';
        continue;
      }
    }
    for (const file of unsplit) {
      problems.push(`${files[file.index].name}: cannot tell whether it is training or test data (name it with "train" or "test")`);
    }
  }
  const roles: Partial<Record<IdxRole, number>> = {};
  for (const file of placed) {
    if (!file.split) continue;
    const role: IdxRole = `${file.split}${file.kind}`;
    const other = roles[role];
    if (other !== undefined) problems.push(`${files[other].name} and ${files[file.index].name} both look like the ${ROLE_TITLES[role]}`);
    else roles[role] = file.index;
  }
  return { roles, problems };
}

/**
 * The engine's refusal of a set, with the reader's file names in it. The engine speaks of "training data:
 * images file: ..." (or "test data: ..."); the reader knows the files by their names.
 */
export function nameFilesInRefusal(message: string, names: Readonly<Record<IdxRole, string>>): string {
  const oneFile = /^(training|test) data: (images|labels) file: ([\s\S]*)$/.exec(message);
  if (oneFile) {
    const role: IdxRole = `${oneFile[1] === 'training' ? 'train' : 'test'}${oneFile[2] === 'images' ? 'Images' : 'Labels'}`;
    return `${names[role]} (the ${ROLE_TITLES[role]}): ${oneFile[3]}`;
  }
  const split = /^(training|test) data: ([\s\S]*)$/.exec(message);
  if (split) {
    const prefix = split[1] === 'training' ? 'train' : 'test';
    return `${names[`${prefix}Images`]} and ${names[`${prefix}Labels`]} (the ${split[1]} images and labels): ${split[2]}`;
  }
  return `${message} (files: ${IDX_ROLES.map((role) => `${names[role]} as the ${ROLE_TITLES[role]}`).join(', ')})`;
}
