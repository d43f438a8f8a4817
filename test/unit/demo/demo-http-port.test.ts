import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { demoHttpPort } from '../../../src/demo/demo-http-port.ts';

/** Makes `port` busy on all interfaces (0: any port); resolves undefined when someone else already holds it. */
function occupy(port = 0): Promise<Server | undefined> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) => (error.code === 'EADDRINUSE' ? resolve(undefined) : reject(error)));
    server.listen(port, () => resolve(server));
  });
}

function canListen(port: number): Promise<boolean> {
  return occupy(port).then((server) => {
    server?.close();
    return server !== undefined;
  });
}

describe('the HTTP port of the demo', () => {
  const held: Server[] = [];
  afterEach(() => {
    for (const server of held.splice(0)) server.close();
  });

  it('picks another, free port when the default 9464 is taken (by this test or anyone else)', async () => {
    const server = await occupy(9464);
    if (server) held.push(server);
    const choice = await demoHttpPort({ port: 9464, explicit: false });
    expect(choice.port).not.toBe(9464);
    expect(choice.port).toBeGreaterThan(0);
    expect(choice.replaced).toBe(9464);
    expect(await canListen(choice.port)).toBe(true);
  });

  it('keeps the default when it is free', async () => {
    const probe = (await occupy())!;
    const port = (probe.address() as { port: number }).port;
    await new Promise((resolve) => probe.close(resolve));
    expect(await demoHttpPort({ port, explicit: false })).toEqual({ port });
  });

  it('keeps a port the user set, even when busy: `run` then fails naming HTTP_PORT', async () => {
    const server = (await occupy())!;
    held.push(server);
    const port = (server.address() as { port: number }).port;
    expect(await demoHttpPort({ port, explicit: true })).toEqual({ port });
  });

  it('keeps 0 (endpoints off)', async () => {
    expect(await demoHttpPort({ port: 0, explicit: false })).toEqual({ port: 0 });
  });
});
