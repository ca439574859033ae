/**
 * A TCP proxy on 127.0.0.1 in front of Postgres, so the chaos run can make the database refuse connections
 * for a while without touching the shared server: `refuse(ms)` closes the listening socket (new connections
 * get ECONNREFUSED), cuts every open connection, and listens again on the same port when the time is up.
 */
import net from 'node:net';

export interface PgProxy {
  readonly port: number;
  /** Connections accepted and refused so far. */
  readonly stats: { accepted: number; cut: number };
  /** Refuses and cuts everything for `ms`, then listens again on the same port. */
  refuse(ms: number): Promise<void>;
  close(): Promise<void>;
}

export async function startPgProxy(target: { host: string; port: number }): Promise<PgProxy> {
  const sockets = new Set<net.Socket>();
  const stats = { accepted: 0, cut: 0 };
  const server = net.createServer((client) => {
    stats.accepted += 1;
    const upstream = net.connect(target);
    sockets.add(client);
    sockets.add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', drop);
    upstream.on('error', drop);
    client.on('close', drop);
    upstream.on('close', drop);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  await listen(0);
  const port = (server.address() as net.AddressInfo).port;
  let closed = false;
  return {
    port,
    stats,
    async refuse(ms) {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) {
          stats.cut += 1;
          s.destroy();
        }
        sockets.clear();
      });
      await new Promise((r) => setTimeout(r, ms));
      if (!closed) await listen(port);
    },
    async close() {
      closed = true;
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => (server.listening ? server.close(() => resolve()) : resolve()));
    },
  };
}
