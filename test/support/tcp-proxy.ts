import { connect, createServer, type AddressInfo, type Socket } from 'node:net';

/**
 * What the proxy does with a connection that arrives:
 * - `forward`: connects to the upstream and pipes both ways;
 * - `refuse`: resets it at once (the client sees ECONNRESET, as from a closed port behind a load balancer);
 * - `blackhole`: accepts it and never answers, discarding what the client sends, as a network that
 *   drops packets does; the client waits until its own timeout. Held connections are reset when the
 *   hole closes (`forward()`), as a peer that comes back resets connections it does not know.
 */
export type ProxyMode = 'forward' | 'refuse' | 'blackhole';

export interface TcpProxy {
  /** Loopback host and the proxy's port: connect here instead of the upstream. */
  readonly host: string;
  readonly port: number;
  /** The same URL with its host and port replaced by the proxy's (postgres://…, http://…). */
  url(upstreamUrl: string): string;
  readonly mode: ProxyMode;
  /** Connections forwarded so far (accepted in `forward` mode). */
  readonly forwarded: number;
  /** Connections open through the proxy now. */
  readonly open: number;
  /** Resets every open connection, both sides (RST): a cable pulled, a NAT entry dropped, a failover. */
  cutAll(): void;
  /** New connections are reset; for `ms` then back to forwarding, or until `forward()`. */
  refuse(ms?: number): void;
  /** New connections are held unanswered; for `ms` then back to forwarding, or until `forward()`. */
  blackhole(ms?: number): void;
  /** Back to forwarding new connections; held (blackholed) ones are reset. */
  forward(): void;
  /**
   * While on, a client that goes away leaves its upstream connection open and silent (the proxy
   * still reads what the upstream sends): to the server it is alive, as a connection from a host that
   * died without a FIN is, until the server's own timeout. `cutAll()` and `stop()` end such connections.
   */
  orphanOnClientLoss(on: boolean): void;
  /** Upstream connections left open by clients that went away. */
  readonly orphans: number;
  stop(): Promise<void>;
}

/** A TCP proxy on a free loopback port in front of `upstreamHost:upstreamPort`. */
export async function startTcpProxy(upstreamHost: string, upstreamPort: number): Promise<TcpProxy> {
  let mode: ProxyMode = 'forward';
  let forwarded = 0;
  let modeTimer: NodeJS.Timeout | undefined;
  const pairs = new Set<[Socket, Socket]>();
  const held = new Set<Socket>();
  const orphans = new Set<Socket>();
  let orphaning = false;

  const server = createServer({ pauseOnConnect: false }, (client) => {
    client.on('error', () => undefined);
    switch (mode) {
      case 'refuse':
        client.resetAndDestroy();
        return;
      case 'blackhole':
        held.add(client);
        client.on('data', () => undefined);
        client.on('close', () => held.delete(client));
        return;
      case 'forward': {
        forwarded++;
        const upstream = connect({ host: upstreamHost, port: upstreamPort });
        upstream.setNoDelay(true);
        client.setNoDelay(true);
        const pair: [Socket, Socket] = [client, upstream];
        pairs.add(pair);
        upstream.on('error', () => client.destroy());
        // A client's error is followed by its close, which decides what becomes of the upstream.
        upstream.on('close', () => {
          pairs.delete(pair);
          client.destroy();
        });
        client.on('close', () => {
          pairs.delete(pair);
          if (!orphaning || upstream.destroyed) return upstream.destroy();
          upstream.unpipe(client);
          upstream.on('data', () => undefined);
          orphans.add(upstream);
          upstream.on('close', () => orphans.delete(upstream));
        });
        // The client's end is not passed on by the pipe: its close handler ends or orphans the upstream.
        client.pipe(upstream, { end: false });
        upstream.pipe(client);
      }
    }
  });

  const setMode = (next: ProxyMode, ms: number | undefined) => {
    clearTimeout(modeTimer);
    modeTimer = undefined;
    mode = next;
    if (ms !== undefined) modeTimer = setTimeout(() => proxy.forward(), ms);
  };

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;

  const proxy: TcpProxy = {
    host: '127.0.0.1',
    port,
    url(upstreamUrl) {
      const url = new URL(upstreamUrl);
      url.hostname = '127.0.0.1';
      url.port = String(port);
      return url.href;
    },
    get mode() {
      return mode;
    },
    get forwarded() {
      return forwarded;
    },
    get open() {
      return pairs.size;
    },
    cutAll() {
      for (const [client, upstream] of [...pairs]) {
        if (!client.destroyed) client.resetAndDestroy();
        if (!upstream.destroyed) upstream.resetAndDestroy();
      }
      pairs.clear();
      for (const upstream of orphans) if (!upstream.destroyed) upstream.resetAndDestroy();
      orphans.clear();
    },
    get orphans() {
      return orphans.size;
    },
    orphanOnClientLoss(on) {
      orphaning = on;
    },
    refuse: (ms) => setMode('refuse', ms),
    blackhole: (ms) => setMode('blackhole', ms),
    forward() {
      setMode('forward', undefined);
      for (const socket of held) if (!socket.destroyed) socket.resetAndDestroy();
      held.clear();
    },
    async stop() {
      clearTimeout(modeTimer);
      proxy.cutAll();
      for (const socket of held) socket.destroy();
      held.clear();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return proxy;
}
