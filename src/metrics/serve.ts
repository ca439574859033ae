/**
 * The standalone worker's own /metrics (WORKER_METRICS_PORT): prom-client's global registry (the worker's
 * metrics and Node's defaults) on WORKER_METRICS_HOST (default 127.0.0.1), with the API's rule: METRICS_TOKEN as
 * a bearer token when set, else loopback clients only. Anything but GET /metrics is a 404.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { register } from 'prom-client';
import { metricsAllowed } from '../api/routes/health';
import { METRICS_CONTENT_TYPE, scrape } from './scrape';

export interface MetricsServer {
  readonly url: string;
  close(): Promise<void>;
}

export async function serveWorkerMetrics(o: { host: string; port: number; token?: string }): Promise<MetricsServer> {
  const app = express();
  app.disable('x-powered-by');
  app.get('/metrics', async (req, res) => {
    if (!metricsAllowed(req, o.token)) {
      res.status(o.token ? 401 : 403).json({ error: { name: 'Forbidden', message: 'not allowed to read /metrics' } });
      return;
    }
    res.type(METRICS_CONTENT_TYPE).send(await scrape([register]));
  });
  app.use((_req, res) => {
    res.status(404).json({ error: { name: 'NotFound', message: 'only GET /metrics here' } });
  });
  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(o.port, o.host, () => resolve(s));
    s.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${o.host.includes(':') ? `[${o.host}]` : o.host}:${port}/metrics`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
