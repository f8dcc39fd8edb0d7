// Getting a served set's gzipped files onto the page, once: every trainer on a page shares one download of each
// file (a promise per URL, kept for the page's life), and Cache Storage keeps a file for later visits once an
// engine has accepted it, so a corrupt download is never kept. The trainers' workers read the Blobs.
import type { DataProgress } from '../worker/protocol';
import { errorMessage } from '../lib/error-message';
import type { DataManifest } from './served-files';

const CACHE_NAME = 'scratchnet-mnist-v1'; // the name MNIST was first cached under: entries are keyed by URL

interface Download {
  blob: Promise<Blob>;
  /** the latest progress, for a trainer that joins a download under way */
  progress: DataProgress | null;
  listeners: Set<(progress: DataProgress) => void>;
  done: boolean;
  /** in Cache Storage (it came from there, or was put there) */
  kept: boolean;
}

const downloads = new Map<string, Download>();
const manifests = new Map<string, Promise<DataManifest | null>>();

/** Cache Storage, where the page's origin has it (secure contexts); null elsewhere, and then nothing is cached. */
async function openCache(): Promise<Cache | null> {
  try {
    return typeof caches === 'undefined' ? null : await caches.open(CACHE_NAME);
  } catch {
    return null; // e.g. storage disabled: download every time
  }
}

async function readWithProgress(response: Response, report: (loaded: number, total: number) => void): Promise<Blob> {
  const total = Number(response.headers.get('Content-Length')) || 0;
  if (!response.body) return response.blob();
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let loaded = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    loaded += value.length;
    // A server that sends the .gz with Content-Encoding: gzip has the browser unzip it: more bytes come than it
    // announced, so the count stops at the announced size.
    report(total ? Math.min(loaded, total) : loaded, total);
  }
  return new Blob(chunks as BlobPart[]);
}

async function fetchBlob(url: string, entry: Download): Promise<Blob> {
  const file = url.slice(url.lastIndexOf('/') + 1);
  const report = (loadedBytes: number, totalBytes: number, cached = false) => {
    entry.progress = { file, loadedBytes, totalBytes, cached };
    for (const listener of entry.listeners) listener(entry.progress);
  };
  const cached = await (await openCache())?.match(url);
  if (cached) {
    const blob = await cached.blob();
    entry.kept = true;
    report(blob.size, blob.size, true);
    return blob;
  }
  let response: Response;
  try {
    response = await fetch(url);
  } catch (error) {
    throw new Error(`could not download ${file} from ${url}: ${errorMessage(error)}`);
  }
  if (!response.ok) throw new Error(`could not download ${file} from ${url}: HTTP ${response.status} ${response.statusText}`.trim());
  try {
    return await readWithProgress(response, report);
  } catch (error) {
    throw new Error(`the download of ${file} broke off: ${errorMessage(error)}`);
  }
}

/** The file at `url`, from this page's earlier download of it, the cache, or the network. Throws naming it. */
export function download(url: string, onProgress: (progress: DataProgress) => void): Promise<Blob> {
  let entry = downloads.get(url);
  if (!entry) {
    const created: Download = { blob: Promise.resolve(new Blob()), progress: null, listeners: new Set(), done: false, kept: false };
    created.blob = fetchBlob(url, created);
    created.blob.then(() => { created.done = true; }, () => downloads.delete(url));
    downloads.set(url, created);
    entry = created;
  }
  const { listeners, progress, blob } = entry;
  listeners.add(onProgress);
  if (progress) onProgress(progress);
  const leave = () => listeners.delete(onProgress);
  blob.then(leave, leave);
  return blob;
}

/** Keeps accepted files for later visits (once each). */
export async function remember(urls: readonly string[]): Promise<void> {
  const cache = await openCache();
  await Promise.all(urls.map(async (url) => {
    const entry = downloads.get(url);
    if (!cache || !entry || entry.kept) return;
    entry.kept = true;
    await cache.put(url, new Response(await entry.blob, { headers: { 'Content-Type': 'application/gzip' } }));
  })).catch(() => undefined); // a full disk only costs the next visit a download
}

/** Drops the page's and the cache's copies (after a failure, or the engine refused them). */
export async function forget(urls: readonly string[]): Promise<void> {
  const cache = await openCache();
  await Promise.all(urls.map((url) => {
    downloads.delete(url);
    return cache?.delete(url);
  }));
}

/** The bytes still to download for these files: those neither fetched on this page nor in the cache. */
export async function bytesToDownload(files: readonly { url: string; bytes: number }[]): Promise<number> {
  const cache = await openCache();
  const sizes = await Promise.all(files.map(async ({ url, bytes }) => (downloads.get(url)?.done || (await cache?.match(url)) ? 0 : bytes)));
  return sizes.reduce((a, b) => a + b, 0);
}

/** The folder's manifest.json, fetched once per page; null when there is none. */
export function manifest(folderUrl: string): Promise<DataManifest | null> {
  let found = manifests.get(folderUrl);
  if (!found) {
    found = fetch(new URL('manifest.json', folderUrl)).then((response) => (response.ok ? response.json() : null)).catch(() => null);
    manifests.set(folderUrl, found);
  }
  return found;
}
