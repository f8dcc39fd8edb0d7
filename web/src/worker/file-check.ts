// Saying which file is missing or broken when the worker or the engine fails to load: the browser's own errors
// ("Aborted(CompileError: ...)", or a worker that fires a bare `error` event) do not name the file a
// half-finished deploy left out. Used by the page (the worker's script) and by the worker (the wasm file).

/** The last part of a URL's path: the file's name. */
export function fileName(url: string): string {
  try {
    const path = new URL(url).pathname;
    return decodeURIComponent(path.slice(path.lastIndexOf('/') + 1)) || url;
  } catch {
    return url;
  }
}

/** `name` answered with an HTTP error `status`: what to tell the reader. */
export function describeHttpFailure(name: string, status: number, url: string): string {
  if (status === 404 || status === 410) return `${name} was not found (${status}) at ${url}`;
  return `${name} could not be loaded (HTTP ${status}) from ${url}`;
}

const WASM_MAGIC = [0x00, 0x61, 0x73, 0x6d]; // "\0asm"

export interface FileCheckOptions {
  /** the name to use in the message (default: the URL's file name) */
  name?: string;
  /** the file must be a WebAssembly module that compiles */
  wasm?: boolean;
  fetch?: typeof globalThis.fetch;
  compile?: (bytes: Uint8Array<ArrayBuffer>) => Promise<unknown>;
}

/**
 * Fetches `url` again to tell what is wrong with it: null when it is there (and, with `wasm`, is a module that
 * compiles), else a phrase such as "scratchnet-simd.wasm was not found (404) at https://…".
 */
export async function checkFile(url: string, options: FileCheckOptions = {}): Promise<string | null> {
  const name = options.name ?? fileName(url);
  const fetchFile = options.fetch ?? globalThis.fetch.bind(globalThis);
  let response: Response;
  try {
    response = await fetchFile(url, { cache: 'no-store' });
  } catch (error) {
    return `${name} could not be fetched from ${url} (${error instanceof Error ? error.message : String(error)})`;
  }
  if (!response.ok) return describeHttpFailure(name, response.status, url);
  if (!options.wasm) return null;
  const bytes = new Uint8Array(await response.arrayBuffer());
  if (!WASM_MAGIC.every((byte, i) => bytes[i] === byte)) {
    const type = response.headers.get('content-type');
    return `${name} is not a WebAssembly file (the server sent ${bytes.length} bytes${type ? ` of ${type}` : ''} from ${url})`;
  }
  try {
    await (options.compile ?? ((b) => WebAssembly.compile(b)))(bytes);
  } catch (error) {
    return `${name} does not compile in this browser (${error instanceof Error ? error.message : String(error)})`;
  }
  return null;
}
