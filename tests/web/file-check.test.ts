// Naming the file at fault when the worker or the engine does not load (web/src/worker/file-check.ts).
import { describe, expect, it } from 'vitest';
import { checkFile, describeHttpFailure, fileName } from '../../web/src/worker/file-check';

const URL_ = 'https://example.org/scratchnet/assets/scratchnet-simd-jNYWNqQg.wasm';
const answer = (body: BodyInit | null, init: ResponseInit = {}) => async () => new Response(body, init);
const WASM_HEADER = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]); // an empty module

describe('fileName', () => {
  it('is the last part of the path, without query or fragment', () => {
    expect(fileName(URL_)).toBe('scratchnet-simd-jNYWNqQg.wasm');
    expect(fileName('https://x.org/a/training.worker-C0.js?real#x')).toBe('training.worker-C0.js');
    expect(fileName('not a url')).toBe('not a url');
  });
});

describe('describeHttpFailure', () => {
  it('says "not found" for 404 and 410, else the status', () => {
    expect(describeHttpFailure('scratchnet-simd.wasm', 404, URL_)).toBe(`scratchnet-simd.wasm was not found (404) at ${URL_}`);
    expect(describeHttpFailure('x.js', 410, 'u')).toBe('x.js was not found (410) at u');
    expect(describeHttpFailure('x.js', 503, 'u')).toBe('x.js could not be loaded (HTTP 503) from u');
  });
});

describe('checkFile', () => {
  it('names a missing file with its status', async () => {
    const problem = await checkFile(URL_, { name: 'scratchnet-simd.wasm', wasm: true, fetch: answer('Not found', { status: 404 }) });
    expect(problem).toBe(`scratchnet-simd.wasm was not found (404) at ${URL_}`);
  });

  it('uses the URL\'s file name when given none', async () => {
    expect(await checkFile(URL_, { fetch: answer('', { status: 500 }) })).toMatch(/^scratchnet-simd-jNYWNqQg\.wasm could not be loaded \(HTTP 500\)/);
  });

  it('says when the file could not be fetched at all', async () => {
    const fetch = async () => { throw new TypeError('Failed to fetch'); };
    expect(await checkFile(URL_, { name: 'scratchnet-simd.wasm', fetch })).toBe(`scratchnet-simd.wasm could not be fetched from ${URL_} (Failed to fetch)`);
  });

  it('says when a "wasm" file is a web page (a host\'s index page for a missing file)', async () => {
    const problem = await checkFile(URL_, {
      name: 'scratchnet-simd.wasm', wasm: true, fetch: answer('<!doctype html><title>x</title>', { headers: { 'content-type': 'text/html' } }),
    });
    expect(problem).toMatch(/^scratchnet-simd\.wasm is not a WebAssembly file \(the server sent 31 bytes of text\/html from /);
  });

  it('says when the module does not compile', async () => {
    const problem = await checkFile(URL_, {
      name: 'scratchnet-simd.wasm', wasm: true, fetch: answer(new Uint8Array([...WASM_HEADER, 0xff])),
    });
    expect(problem).toMatch(/^scratchnet-simd\.wasm does not compile in this browser \(/);
  });

  it('is null for a file that is there (and a module that compiles)', async () => {
    expect(await checkFile(URL_, { wasm: true, fetch: answer(WASM_HEADER) })).toBeNull();
    expect(await checkFile('https://x.org/w.js', { fetch: answer('export {}') })).toBeNull();
  });
});
