import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { randomUUID } from 'node:crypto';

/**
 * What the proxy does to a request it was told to fail:
 * - `slowDown`: 503 SlowDown, S3's throttling answer;
 * - `serviceUnavailable`: 503 ServiceUnavailable, S3's other 503 (not a throttling code for the SDK);
 * - `internalError`: 500 InternalError;
 * - `resetRequest`: the connection is closed while the request body is still arriving (never forwarded);
 * - `resetResponse`: forwarded, so the store did the work, but the connection is closed halfway through the
 *   answer's body (before the status line if it has none).
 */
export type Fault = 'slowDown' | 'serviceUnavailable' | 'internalError' | 'resetRequest' | 'resetResponse';

/** A request as the proxy saw it; `key` is the object key of a path-style URL ('' for bucket-level requests). */
export interface SeenRequest {
  method: string;
  url: string;
  bucket: string;
  key: string;
  query: URLSearchParams;
  /** The Range header of a ranged GET. */
  range: string | undefined;
}

export interface RecordedRequest extends SeenRequest {
  /** The status the client was sent, or undefined when the connection was closed before a status line. */
  status: number | undefined;
  /** The fault injected, if any. */
  fault: Fault | undefined;
  /** `Date.now()` at arrival, for diagnosing backoff when a test fails (tests assert behaviour, not timing). */
  receivedAt: number;
}

/** Every given field must match: `key` as a whole string or a pattern, `query` as parameters that must be present. */
export interface RequestMatch {
  method?: string;
  key?: string | RegExp;
  query?: string[];
}

export type RequestPredicate = RequestMatch | ((request: SeenRequest) => boolean);

export interface FaultyS3Proxy {
  /** `http://127.0.0.1:<port>`, to be used as the S3 endpoint instead of the server's. */
  endpoint: string;
  /** Every request so far, in arrival order. */
  requests: RecordedRequest[];
  /** The next `times` requests that match are answered with `fault`. */
  failNext(times: number, fault: Fault, match?: RequestPredicate): void;
  /** Of the requests that match, the `every`-th, 2×`every`-th, … get the faults in turn, until cleared. */
  failEvery(every: number, faults: readonly Fault[], match?: RequestPredicate): void;
  /** Forgets the rules and the recorded requests. */
  reset(): void;
  stop(): Promise<void>;
}

interface Rule {
  match: RequestPredicate | undefined;
  /** Requests still to fail (failNext), or undefined for a periodic rule. */
  remaining: number | undefined;
  every: number;
  seen: number;
  faults: readonly Fault[];
  injected: number;
}

const ERRORS: Record<'slowDown' | 'serviceUnavailable' | 'internalError', { status: number; code: string; message: string }> = {
  slowDown: { status: 503, code: 'SlowDown', message: 'Please reduce your request rate.' },
  serviceUnavailable: { status: 503, code: 'ServiceUnavailable', message: 'Service is unable to handle request.' },
  internalError: { status: 500, code: 'InternalError', message: 'We encountered an internal error. Please try again.' },
};

/**
 * An HTTP proxy in front of an S3 server that forwards every request
 * unchanged (method, URL, headers including Host, body), so SigV4 signatures
 * made for the proxy's address verify at the server, and injects the faults
 * it is told to on chosen requests. It records what it saw, so a test can
 * count the attempts a client made.
 */
export async function startFaultyS3Proxy(upstreamEndpoint: string): Promise<FaultyS3Proxy> {
  const upstream = new URL(upstreamEndpoint);
  const requests: RecordedRequest[] = [];
  let rules: Rule[] = [];
  const sockets = new Set<Socket>();

  const faultFor = (seen: SeenRequest): Fault | undefined => {
    for (const rule of rules) {
      if (rule.remaining === 0 || !matches(rule.match, seen)) continue;
      if (rule.remaining !== undefined) {
        rule.remaining--;
        return rule.faults[0];
      }
      if (++rule.seen % rule.every === 0) return rule.faults[rule.injected++ % rule.faults.length];
    }
    return undefined;
  };

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://proxy');
    const [, bucket = '', ...keyParts] = url.pathname.split('/');
    const seen: SeenRequest = {
      method: req.method ?? 'GET',
      url: req.url ?? '/',
      bucket: decodeURIComponent(bucket),
      key: decodeURIComponent(keyParts.join('/')),
      query: url.searchParams,
      range: req.headers.range,
    };
    const fault = faultFor(seen);
    const record: RecordedRequest = { ...seen, status: undefined, fault, receivedAt: Date.now() };
    requests.push(record);
    switch (fault) {
      case undefined:
      case 'resetResponse':
        forward(req, res, record, fault === 'resetResponse');
        return;
      case 'resetRequest':
        resetMidRequest(req);
        return;
      default: {
        const error = ERRORS[fault];
        // Read the whole body first, as a store does before answering, so the client is not cut off mid-write.
        req.resume();
        req.on('end', () => {
          record.status = error.status;
          const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${error.code}</Code><Message>${error.message}</Message><RequestId>${randomUUID()}</RequestId></Error>`;
          res.writeHead(error.status, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body) });
          res.end(req.method === 'HEAD' ? undefined : body);
        });
      }
    }
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  function forward(req: IncomingMessage, res: ServerResponse, record: RecordedRequest, cutResponse: boolean): void {
    const outgoing = httpRequest(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        record.status = answer.statusCode;
        if (!cutResponse) {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
          return;
        }
        const chunks: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => chunks.push(chunk));
        answer.on('end', () => {
          const body = Buffer.concat(chunks);
          // A complete empty answer would be no fault at all: without a body, the connection goes before the status line.
          if (body.length === 0) {
            record.status = undefined;
            res.socket?.destroy();
            return;
          }
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          res.write(body.subarray(0, Math.floor(body.length / 2)), () => res.socket?.destroy());
        });
      },
    );
    outgoing.on('error', (error) => {
      record.status = 502;
      res.destroy(error);
    });
    req.pipe(outgoing);
  }

  /** Lets part of the body arrive (half of it, or everything if it is small), then drops the connection. */
  function resetMidRequest(req: IncomingMessage): void {
    const length = Number(req.headers['content-length'] ?? 0);
    const cutAt = Math.max(1, Math.floor(length / 2));
    let received = 0;
    const cut = () => req.socket.destroy();
    req.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received >= cutAt) cut();
    });
    req.on('end', cut);
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    failNext(times, fault, match) {
      rules.push({ match, remaining: times, every: 1, seen: 0, faults: [fault], injected: 0 });
    },
    failEvery(every, faults, match) {
      rules.push({ match, remaining: undefined, every, seen: 0, faults, injected: 0 });
    },
    reset() {
      rules = [];
      requests.length = 0;
    },
    async stop() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}

function matches(match: RequestPredicate | undefined, seen: SeenRequest): boolean {
  if (match === undefined) return true;
  if (typeof match === 'function') return match(seen);
  if (match.method !== undefined && match.method !== seen.method) return false;
  if (typeof match.key === 'string' && match.key !== seen.key) return false;
  if (match.key instanceof RegExp && !match.key.test(seen.key)) return false;
  return (match.query ?? []).every((name) => seen.query.has(name));
}
