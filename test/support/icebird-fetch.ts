import { open, stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

/** Table URLs handed to icebird: `http://local` + an absolute path. */
export const LOCAL_ORIGIN = 'http://local';

/** The table URL icebird should read for a table directory on disk. */
export function localTableUrl(directory: string): string {
  return LOCAL_ORIGIN + directory;
}

export interface LocalFetch {
  /** Every URL requested, in order (method and url), to check what icebird asked for. */
  readonly requests: Array<{ method: string; url: string; range: string | null }>;
  /** Puts the original fetch back. */
  restore(): void;
}

/**
 * Replaces `globalThis.fetch` with a function that serves local files, the
 * way an object store would: `HEAD` answers with `content-length`, a
 * `Range: bytes=a-b` GET with 206 and the slice, a plain GET with the whole
 * file, a missing file with 404. icebird 0.3.1 fetches the version hint and
 * metadata JSON below the table URL (`http://local/abs/path`), then whatever
 * paths the metadata names — here `file:///abs/path` URIs, which it passes to
 * fetch unchanged (it only rewrites s3:// and s3a://). Both are mapped to the
 * same absolute path; anything else is refused so a test never reaches the network.
 */
export function serveLocalFiles(): LocalFetch {
  const original = globalThis.fetch;
  const requests: LocalFetch['requests'] = [];
  const localFetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const method = (init?.method ?? (input instanceof Request ? input.method : 'GET')).toUpperCase();
    const headers = new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined));
    const range = headers.get('range');
    requests.push({ method, url, range });
    const path = localPath(url);
    let size: number;
    try {
      const info = await stat(path);
      if (!info.isFile()) return new Response(null, { status: 404, statusText: 'Not Found' });
      size = info.size;
    } catch {
      return new Response(null, { status: 404, statusText: 'Not Found' });
    }
    if (method === 'HEAD') return new Response(null, { status: 200, headers: { 'content-length': String(size) } });
    if (method !== 'GET') return new Response(null, { status: 405, statusText: 'Method Not Allowed' });
    if (range === null) return new Response(await readSlice(path, 0, size), { status: 200, headers: { 'content-length': String(size) } });
    const match = /^bytes=(\d+)-(\d*)$/.exec(range);
    if (!match) return new Response(null, { status: 416, statusText: 'Range Not Satisfiable' });
    const start = Number(match[1]);
    const end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
    if (start >= size || end < start) {
      return new Response(null, { status: 416, statusText: 'Range Not Satisfiable', headers: { 'content-range': `bytes */${size}` } });
    }
    return new Response(await readSlice(path, start, end + 1), {
      status: 206,
      headers: { 'content-length': String(end + 1 - start), 'content-range': `bytes ${start}-${end}/${size}` },
    });
  };
  globalThis.fetch = localFetch as typeof fetch;
  return {
    requests,
    restore() {
      globalThis.fetch = original;
    },
  };
}

/** `http://local/abs/path` or `file:///abs/path` → `/abs/path`. */
export function localPath(url: string): string {
  if (url.startsWith(`${LOCAL_ORIGIN}/`)) return decodeURIComponent(url.slice(LOCAL_ORIGIN.length));
  if (url.startsWith('file:')) return fileURLToPath(url);
  throw new Error(`test fetch: refusing ${url} (only ${LOCAL_ORIGIN}/… and file:// URLs are served)`);
}

async function readSlice(path: string, start: number, end: number): Promise<Uint8Array<ArrayBuffer>> {
  const handle = await open(path, 'r');
  try {
    const bytes = new Uint8Array(end - start);
    let done = 0;
    while (done < bytes.length) {
      const { bytesRead } = await handle.read(bytes, done, bytes.length - done, start + done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    return bytes.subarray(0, done);
  } finally {
    await handle.close();
  }
}
