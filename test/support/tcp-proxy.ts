/**
 * A TCP proxy on 127.0.0.1 that a test can take down and bring back: `down()` drops every connection and stops
 * listening (connections are refused, as when the server process is gone); `up()` listens on the same port again;
 * `refuse(ms)` does both with a pause between (the chaos run's Postgres refusal). Used in front of Temporal by the
 * outage tests and in front of Postgres by `npm run chaos`.
 */
import net from 'node:net';
import type { AddressInfo } from 'node:net';

export interface TcpProxy {
  /** `127.0.0.1:<port>` */
  readonly address: string;
  readonly port: number;
  /** Connections accepted, and sockets (client or upstream side) cut by `down()`, so far. */
  readonly stats: { accepted: number; cut: number };
  down(): Promise<void>;
  up(): Promise<void>;
  /** `down()`, wait `ms`, `up()` (unless the proxy was closed meanwhile). */
  refuse(ms: number): Promise<void>;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const sockets = new Set<net.Socket>();
  const stats = { accepted: 0, cut: 0 };
  const track = (s: net.Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  };
  const server = net.createServer((client) => {
    stats.accepted += 1;
    const upstream = net.connect(target.port, target.host);
    track(client);
    track(upstream);
    client.pipe(upstream).pipe(client);
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.once('error', end);
    upstream.once('error', end);
    client.once('close', end);
    upstream.once('close', end);
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
  const port = (server.address() as AddressInfo).port;
  let listening = true;
  let closed = false;
  const stop = async () => {
    if (!listening) return;
    listening = false;
    const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
    stats.cut += sockets.size;
    for (const s of sockets) s.destroy();
    await stopped;
  };
  const up = async () => {
    if (listening || closed) return;
    await listen(port);
    listening = true;
  };
  return {
    address: `127.0.0.1:${port}`,
    port,
    stats,
    down: stop,
    up,
    async refuse(ms) {
      await stop();
      await new Promise((r) => setTimeout(r, ms));
      await up();
    },
    async close() {
      closed = true;
      await stop();
    },
  };
}

/** `host:port` → its parts. */
export function hostPort(address: string): { host: string; port: number } {
  const i = address.lastIndexOf(':');
  return { host: address.slice(0, i), port: Number(address.slice(i + 1)) };
}
