import type { LocalFetch } from './icebird-fetch.ts';

/**
 * Replaces `globalThis.fetch` so icebird reads an S3 lake from the test S3
 * server. icebird 0.3.1 turns `s3://bucket/key` (the table URL and every path
 * the metadata names) into `https://bucket.s3.amazonaws.com/key`; those
 * requests go to `<endpoint>/bucket/key` (path style) instead, unsigned, as a
 * public-read bucket would serve them. Anything else is refused, so a test
 * never reaches the network.
 */
export function serveS3Objects(endpoint: string): LocalFetch {
  const original = globalThis.fetch;
  const requests: LocalFetch['requests'] = [];
  const s3Fetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const method = (init?.method ?? (input instanceof Request ? input.method : 'GET')).toUpperCase();
    const headers = new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined));
    requests.push({ method, url, range: headers.get('range') });
    const match = /^https:\/\/([^./]+)\.s3\.amazonaws\.com(\/.*)$/.exec(url);
    if (!match) throw new Error(`test fetch: refusing ${url} (only s3:// objects of the test server are served)`);
    return original(`${endpoint}/${match[1]}${match[2]}`, { method, headers });
  };
  globalThis.fetch = s3Fetch as typeof fetch;
  return {
    requests,
    restore() {
      globalThis.fetch = original;
    },
  };
}
