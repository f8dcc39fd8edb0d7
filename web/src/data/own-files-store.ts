// The reader's own data set, kept in this browser's IndexedDB (idb-keyval) once the engine has accepted it,
// so that a reload does not ask for the files again. Kept as given (gzipped or not): smaller, and read the
// same way as a fresh pick.
import { del, get, set } from 'idb-keyval';
import type { IdxRole } from './idx-files';
import type { OwnFile } from '../worker/protocol';

const OWN_DATA_KEY = 'scratchnet-own-data';

export interface StoredOwnFiles {
  files: Record<IdxRole, OwnFile>;
  savedAt: string;
}

/** Keeps the files; null when storage is full or disabled (that only costs the next visit a new pick). */
export async function keepOwnFiles(files: Record<IdxRole, OwnFile>): Promise<StoredOwnFiles | null> {
  const stored = { files, savedAt: new Date().toISOString() };
  try {
    await set(OWN_DATA_KEY, stored);
    return stored;
  } catch {
    return null;
  }
}

export async function storedOwnFiles(): Promise<StoredOwnFiles | undefined> {
  try {
    return await get<StoredOwnFiles>(OWN_DATA_KEY);
  } catch {
    return undefined; // storage disabled: nothing kept
  }
}

export async function forgetStoredOwnFiles(): Promise<void> {
  await del(OWN_DATA_KEY).catch(() => undefined);
}
