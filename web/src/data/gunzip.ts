// Decompression of the gzipped IDX files with the platform's DecompressionStream (browsers, workers, Node 18+).
import { errorMessage } from '../lib/error-message';

/** True when the bytes start with gzip's magic number. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** Gunzips `bytes`; throws an Error saying the data is corrupt if it is not valid gzip. */
export async function gunzip(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as BlobPart]).stream().pipeThrough(new DecompressionStream('gzip'));
  try {
    return new Uint8Array(await new Response(stream).arrayBuffer());
  } catch (error) {
    throw new Error(`the gzip data is corrupt (${errorMessage(error)})`);
  }
}

/**
 * The IDX bytes of a downloaded file. Some servers send `.gz` files with Content-Encoding: gzip, in which case
 * the browser has already decompressed them: only gunzip what still starts with gzip's magic number.
 */
export async function idxBytes(downloaded: Uint8Array): Promise<Uint8Array> {
  return isGzip(downloaded) ? gunzip(downloaded) : downloaded;
}
