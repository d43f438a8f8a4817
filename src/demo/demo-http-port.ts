import { createServer } from 'node:net';

/**
 * The port of the demo's /healthz and /metrics. `npm start` must work next
 * to another invoice-lake (or anything) on the default port 9464, so an
 * unset HTTP_PORT that is busy gives way to a free port. A port the user set
 * is kept even when busy: `run` then fails naming HTTP_PORT, since silently
 * moving a port someone configured breaks their scrape config.
 */
export async function demoHttpPort(request: { port: number; explicit: boolean }): Promise<{ port: number; replaced?: number }> {
  if (request.explicit || request.port === 0 || (await canListen(request.port))) return { port: request.port };
  return { port: await anyFreePort(), replaced: request.port };
}

/** Listens the way startHttpServer does (all interfaces), then lets go. */
function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, () => server.close(() => resolve(true)));
  });
}

function anyFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no free port'))));
    });
  });
}
