import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startHttpServer } from '../../../src/server/http-server.ts';
import { createMetrics } from '../../../src/server/metrics.ts';
import { LakeError } from '../../../src/errors/lake-error.ts';

const health = { state: () => ({ status: 'streaming' as const, detail: {} }) };

/** Listens on a free port the way the HTTP server would (all interfaces), to make that port busy. */
function occupy(): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, () => resolve(server));
  });
}

describe('startHttpServer on a busy port', () => {
  const open: Array<{ close(): unknown }> = [];
  afterEach(() => {
    for (const server of open.splice(0)) server.close();
  });

  it('fails with a config error that names HTTP_PORT and the fix, not a bare EADDRINUSE', async () => {
    const busy = await occupy();
    open.push(busy);
    const port = (busy.address() as { port: number }).port;
    const error = await startHttpServer(port, createMetrics(), health).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(LakeError);
    const lakeError = error as LakeError;
    expect(lakeError.kind).toBe('config');
    expect(lakeError.exitCode).toBe(2);
    expect(lakeError.message).toContain('HTTP_PORT');
    expect(lakeError.message).toContain(String(port));
    expect(lakeError.hint).toMatch(/--http-port|HTTP_PORT/);
    expect((lakeError.cause as NodeJS.ErrnoException).code).toBe('EADDRINUSE');
  });

  it('still starts on a free port', async () => {
    const server = await startHttpServer(0, createMetrics(), health);
    open.push(server);
    expect(server.listening).toBe(true);
  });
});
