// Where a trained model can be kept: this browser's IndexedDB (through idb-keyval), or a downloaded file.
import { get, set } from 'idb-keyval';

const MODEL_KEY = 'scratchnet-model';

export interface StoredModel {
  bytes: Uint8Array;
  savedAt: string;
}

export async function saveToBrowser(bytes: Uint8Array): Promise<StoredModel> {
  const stored = { bytes, savedAt: new Date().toISOString() };
  await set(MODEL_KEY, stored);
  return stored;
}

export async function loadFromBrowser(): Promise<StoredModel | undefined> {
  return get<StoredModel>(MODEL_KEY);
}

export function downloadFile(bytes: Uint8Array, filename: string): void {
  const url = URL.createObjectURL(new Blob([bytes as BlobPart], { type: 'application/octet-stream' }));
  const link = Object.assign(document.createElement('a'), { href: url, download: filename });
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export async function readFile(file: File): Promise<Uint8Array> {
  return new Uint8Array(await file.arrayBuffer());
}
