import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebhookSink } from '../../../../src/scoring/alerts/webhook-sink.ts';
import type { RiskAlert } from '../../../../src/scoring/alerts/risk-alert.ts';
import { createLogger } from '../../../../src/log/logger.ts';

/** Log lines written through `createLogger`, kept as text for the test to read. */
function capturedLogger(): { logger: ReturnType<typeof createLogger>; text: () => string } {
  let text = '';
  const logger = createLogger('warn', { destination: { write: (line: string) => void (text += line) }, secrets: [] });
  return { logger, text: () => text };
}

const alert: RiskAlert = {
  invoiceId: '42',
  issuerId: '1',
  receiverId: '2',
  amount: '9999.50',
  issueDate: '2026-01-01 03:00:00.000001+00',
  score: 0.97,
  threshold: 0.9,
  model: 'm@1#abc',
  idempotencyKey: '42:m@1#abc',
  commitLsn: '0/16B3748',
  committedAt: '2026-01-01 03:00:00.5+00',
};

/** A real local HTTP server answering with the given statuses in turn. */
async function receiver(statuses: number[]): Promise<{ server: Server; url: string; requests: Array<{ key: string | undefined; body: unknown }> }> {
  const requests: Array<{ key: string | undefined; body: unknown }> = [];
  const server = createServer((request: IncomingMessage, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    request.on('end', () => {
      requests.push({ key: request.headers['idempotency-key'] as string | undefined, body: JSON.parse(body) });
      response.writeHead(statuses[Math.min(requests.length - 1, statuses.length - 1)]!).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/alerts`, requests };
}

describe('WebhookSink', () => {
  let server: Server | undefined;
  afterEach(() => server?.close());

  it('posts the alert as JSON with its idempotency key', async () => {
    const target = await receiver([200]);
    server = target.server;
    const sink = new WebhookSink({ logger: createLogger('fatal') }, { url: target.url, maxAttempts: 3, initialBackoffMs: 10, maxQueued: 10, timeoutMs: 2000 });
    sink.send(alert);
    await sink.close();
    expect(target.requests).toEqual([{ key: '42:m@1#abc', body: alert }]);
  });

  it('retries a 500 with backoff until it is accepted, with the same key each time', async () => {
    const target = await receiver([500, 503, 200]);
    server = target.server;
    const sink = new WebhookSink({ logger: createLogger('fatal') }, { url: target.url, maxAttempts: 5, initialBackoffMs: 10, maxQueued: 10, timeoutMs: 2000 });
    sink.send(alert);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await sink.close();
    expect(target.requests).toHaveLength(3);
    expect(new Set(target.requests.map((request) => request.key))).toEqual(new Set(['42:m@1#abc']));
  });

  it('does not retry a 400: the receiver refused the alert', async () => {
    const target = await receiver([400, 200]);
    server = target.server;
    const sink = new WebhookSink({ logger: createLogger('fatal') }, { url: target.url, maxAttempts: 5, initialBackoffMs: 10, maxQueued: 10, timeoutMs: 2000 });
    sink.send(alert);
    await new Promise((resolve) => setTimeout(resolve, 200));
    await sink.close();
    expect(target.requests).toHaveLength(1);
  });

  it('drops alerts beyond the queue bound and counts them', async () => {
    const target = await receiver([500]);
    server = target.server;
    let dropped = 0;
    const sink = new WebhookSink(
      { logger: createLogger('fatal'), onDropped: () => dropped++ },
      { url: target.url, maxAttempts: 2, initialBackoffMs: 50, maxQueued: 2, timeoutMs: 2000 },
    );
    for (let i = 0; i < 5; i++) sink.send({ ...alert, idempotencyKey: `k${i}` });
    await sink.close();
    expect(dropped).toBe(3);
  });

  it('a delivery failure to a credentialed URL logs neither the user info nor a query token', async () => {
    const log = capturedLogger();
    const url = 'http://alerts:hunter2pw@127.0.0.1:9/hook?channel=ops&token=tok123secret';
    const sink = new WebhookSink({ logger: log.logger }, { url, maxAttempts: 1, initialBackoffMs: 10, maxQueued: 10, timeoutMs: 2000 });
    sink.send(alert);
    await sink.close();
    expect(log.text()).toContain('webhook alert not delivered');
    expect(log.text()).not.toMatch(/hunter2pw|tok123secret|alerts:/);
    expect(log.text()).toContain('"target":"http://127.0.0.1:9/***"');
  });

  it('a delivery failure logs the target as its origin only (path and query token hidden)', async () => {
    const target = await receiver([403]);
    server = target.server;
    const log = capturedLogger();
    const sink = new WebhookSink({ logger: log.logger }, { url: `${target.url}?token=tok123secret`, maxAttempts: 1, initialBackoffMs: 10, maxQueued: 10, timeoutMs: 2000 });
    sink.send(alert);
    await sink.close();
    const line = JSON.parse(log.text().trim().split('\n').at(-1)!) as Record<string, unknown>;
    expect(line).toMatchObject({ reason: 'HTTP 403', target: `${new URL(target.url).origin}/***` });
    expect(log.text()).not.toContain('tok123secret');
  });

  it('sends the configured Authorization header (the place for credentials)', async () => {
    const seen: Array<string | undefined> = [];
    const hook = createServer((request, response) => {
      seen.push(request.headers.authorization);
      request.resume().on('end', () => response.writeHead(200).end());
    });
    await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
    server = hook;
    const url = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/alerts`;
    const sink = new WebhookSink({ logger: createLogger('fatal') }, { url, authorization: 'Bearer tok123secret', maxAttempts: 1, initialBackoffMs: 10, maxQueued: 10, timeoutMs: 2000 });
    sink.send(alert);
    await sink.close();
    expect(seen).toEqual(['Bearer tok123secret']);
  });
});
