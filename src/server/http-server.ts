import { createServer, type Server } from 'node:http';
import type { Metrics } from './metrics.ts';
import { SETTINGS } from '../config/settings.ts';
import { LakeError } from '../errors/lake-error.ts';

export interface HealthState {
  /** `streaming` is healthy; anything else answers 503 with the state in the body. */
  state(): { status: 'starting' | 'standby' | 'streaming' | 'reconnecting' | 'stopping'; detail: Record<string, unknown> };
}

/** GET /healthz (200 while streaming, else 503) and GET /metrics (Prometheus text format). */
export async function startHttpServer(port: number, metrics: Metrics, health: HealthState): Promise<Server> {
  const server = createServer((request, response) => {
    if (request.url === '/metrics') {
      metrics.registry
        .metrics()
        .then((body) => response.writeHead(200, { 'content-type': metrics.registry.contentType }).end(body))
        .catch((error: Error) => response.writeHead(500).end(error.message));
      return;
    }
    if (request.url === '/healthz' || request.url === '/health') {
      const { status, detail } = health.state();
      response.writeHead(status === 'streaming' ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify({ status, ...detail }));
      return;
    }
    response.writeHead(404).end('not found\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => reject(listenError(port, error)));
    server.listen(port, resolve);
  });
  return server;
}

/** A port that cannot be had is a configuration problem (exit 2) with its fix, not a bare EADDRINUSE. */
function listenError(port: number, error: NodeJS.ErrnoException): Error {
  const { env, flag } = SETTINGS.httpPort;
  const fix = `set ${env} (or --${flag}) to a free port, or to 0 to turn /healthz and /metrics off`;
  if (error.code === 'EADDRINUSE') return new LakeError('config', `${env} ${port} is already in use by another process`, { cause: error, hint: fix });
  if (error.code === 'EACCES') return new LakeError('config', `${env} ${port} needs privileges this process does not have (ports below 1024)`, { cause: error, hint: fix });
  return error;
}
