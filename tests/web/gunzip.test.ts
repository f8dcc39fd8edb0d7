// Tests of the gzip decompression (web/src/data/gunzip.ts), which uses the platform's DecompressionStream:
// node:zlib compresses, the module must give the bytes back, and refuse damaged data with an error.
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { gunzip, idxBytes, isGzip } from '../../web/src/data/gunzip';

/** Bytes that look like an IDX image file: header then a varied, compressible body. */
function sampleBytes(length: number): Uint8Array {
  const header = [0, 0, 8, 3];
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = i < header.length ? header[i]! : (i * 7 + (i >> 9)) % 251 < 128 ? 0 : (i * 31) % 256;
  return bytes;
}

describe('isGzip', () => {
  it('recognises the magic number only', () => {
    expect(isGzip(new Uint8Array(gzipSync(new Uint8Array([1, 2, 3]))))).toBe(true);
    expect(isGzip(new Uint8Array([0x1f, 0x8b]))).toBe(true);
    expect(isGzip(new Uint8Array([0x1f]))).toBe(false);
    expect(isGzip(new Uint8Array([0, 0, 8, 3]))).toBe(false);
    expect(isGzip(new Uint8Array(0))).toBe(false);
  });
});

describe('gunzip', () => {
  it('round-trips data compressed by node:zlib', async () => {
    for (const length of [0, 1, 1000, 300_000]) {
      const original = sampleBytes(length);
      const restored = await gunzip(new Uint8Array(gzipSync(original)));
      expect(restored).toBeInstanceOf(Uint8Array);
      expect(restored.length).toBe(length);
      expect(Buffer.from(restored).equals(Buffer.from(original))).toBe(true);
    }
  });

  it('reads a member that is a view into a larger buffer', async () => {
    const compressed = gzipSync(sampleBytes(5000));
    const padded = new Uint8Array(compressed.length + 20);
    padded.set(compressed, 10);
    const restored = await gunzip(padded.subarray(10, 10 + compressed.length));
    expect(Buffer.from(restored).equals(Buffer.from(sampleBytes(5000)))).toBe(true);
  });

  const compressed = new Uint8Array(gzipSync(sampleBytes(20_000)));
  const damaged: [string, Uint8Array][] = [
    ['truncated', compressed.subarray(0, compressed.length - 100)],
    ['missing its last bytes (checksum and length)', compressed.subarray(0, compressed.length - 4)],
    ['with a wrong checksum', (() => { const copy = compressed.slice(); copy[copy.length - 6]! ^= 0xff; return copy; })()],
    ['with a damaged compressed body', (() => { const copy = compressed.slice(); for (let i = 12; i < 40; i++) copy[i] = 0xff; return copy; })()],
    ['with a bad header', new Uint8Array([0x1f, 0x8b, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9])],
    ['not gzip at all', new Uint8Array([0, 0, 8, 3, 0, 0, 0, 1])],
    ['empty', new Uint8Array(0)],
  ];

  it.each(damaged)('rejects gzip data %s with an error saying it is corrupt', async (_what, bytes) => {
    await expect(gunzip(bytes)).rejects.toThrow(/corrupt/);
  });
});

describe('idxBytes', () => {
  it('gunzips gzip data and passes already-decompressed data through unchanged', async () => {
    const original = sampleBytes(4000);
    expect(Buffer.from(await idxBytes(new Uint8Array(gzipSync(original)))).equals(Buffer.from(original))).toBe(true);
    expect(await idxBytes(original)).toBe(original);
  });

  it('still rejects damaged gzip data', async () => {
    const compressed = new Uint8Array(gzipSync(sampleBytes(4000)));
    await expect(idxBytes(compressed.subarray(0, 50))).rejects.toThrow(/corrupt/);
  });
});
