// Getting the four gzipped IDX files of a served data set (MNIST, Fashion-MNIST) into the worker: from the
// browser's cache when they are there, else downloaded with progress. A file is cached only once the engine
// has accepted it, so a corrupt download is never kept.
import type { DataProgress } from '../worker/protocol';
import { errorMessage } from '../lib/error-message';
import { idxBytes } from './gunzip';
import { IDX_ROLES, type IdxRole } from './idx-files';

/** The files' names in every served set's folder, as MNIST's own. */
export const IDX_FILE_NAMES: Readonly<Record<IdxRole, string>> = {
  trainImages: 'train-images-idx3-ubyte.gz',
  trainLabels: 'train-labels-idx1-ubyte.gz',
  testImages: 't10k-images-idx3-ubyte.gz',
  testLabels: 't10k-labels-idx1-ubyte.gz',
};
/** A data set as four uncompressed IDX files. */
export type IdxBytes = Record<IdxRole, Uint8Array>;

const CACHE_NAME = 'scratchnet-mnist-v1'; // the name MNIST was first cached under: entries are keyed by URL

/** Cache Storage, where the page's origin has it (secure contexts); null elsewhere, and then nothing is cached. */
async function openCache(): Promise<Cache | null> {
  try {
    return typeof caches === 'undefined' ? null : await caches.open(CACHE_NAME);
  } catch {
    return null; // e.g. storage disabled: download every time
  }
}

async function readWithProgress(response: Response, report: (loaded: number, total: number) => void): Promise<Uint8Array> {
  const total = Number(response.headers.get('Content-Length')) || 0;
  if (!response.body) return new Uint8Array(await response.arrayBuffer());
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let loaded = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    loaded += value.length;
    report(loaded, total);
  }
  const bytes = new Uint8Array(loaded);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  return bytes;
}

export class IdxDownload {
  #cache: Cache | null = null;

  /** `baseUrl` is the folder holding the four .gz files (absolute, ending in '/'). */
  constructor(private readonly baseUrl: string) {}

  url(file: IdxRole): string {
    return new URL(IDX_FILE_NAMES[file], this.baseUrl).href;
  }

  /** The four files as uncompressed IDX bytes. Throws an Error naming the file and what went wrong. */
  async fetchAll(onProgress: (progress: DataProgress) => void): Promise<IdxBytes> {
    this.#cache = await openCache();
    const entries = await Promise.all(
      IDX_ROLES.map(async (file) => [file, await this.#fetchOne(file, onProgress)] as const),
    );
    return Object.fromEntries(entries) as IdxBytes;
  }

  /** Keeps the accepted files for the next visit. */
  async remember(): Promise<void> {
    if (!this.#cache) return;
    await Promise.all([...this.#raw].map(async ([file, bytes]) => {
      await this.#cache?.put(this.url(file), new Response(bytes as BlobPart, { headers: { 'Content-Type': 'application/gzip' } }));
    })).catch(() => undefined); // a full disk only costs the next visit a download
    this.#raw.clear();
  }

  /** Drops cached copies (after the engine refused them). */
  async forget(): Promise<void> {
    if (!this.#cache) return;
    await Promise.all(IDX_ROLES.map((file) => this.#cache?.delete(this.url(file))));
  }

  /** The files that came from the network this time, as downloaded (to be cached once accepted). */
  #raw = new Map<IdxRole, Uint8Array>();

  async #fetchOne(file: IdxRole, onProgress: (progress: DataProgress) => void): Promise<Uint8Array> {
    const name = IDX_FILE_NAMES[file];
    const url = this.url(file);
    const cached = await this.#cache?.match(url);
    if (cached) {
      const bytes = new Uint8Array(await cached.arrayBuffer());
      onProgress({ file: name, loadedBytes: bytes.length, totalBytes: bytes.length, cached: true });
      return this.#decode(name, bytes);
    }
    let response: Response;
    try {
      response = await fetch(url);
    } catch (error) {
      throw new Error(`could not download ${name} from ${url}: ${errorMessage(error)}`);
    }
    if (!response.ok) throw new Error(`could not download ${name} from ${url}: HTTP ${response.status} ${response.statusText}`.trim());
    let bytes: Uint8Array;
    try {
      bytes = await readWithProgress(response, (loaded, total) => onProgress({ file: name, loadedBytes: loaded, totalBytes: total, cached: false }));
    } catch (error) {
      throw new Error(`the download of ${name} broke off: ${errorMessage(error)}`);
    }
    this.#raw.set(file, bytes);
    return this.#decode(name, bytes);
  }

  async #decode(name: string, bytes: Uint8Array): Promise<Uint8Array> {
    try {
      return await idxBytes(bytes);
    } catch (error) {
      throw new Error(`${name}: ${errorMessage(error)}`);
    }
  }
}
