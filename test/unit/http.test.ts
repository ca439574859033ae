/**
 * requestJson against real sockets on 127.0.0.1 (issue 12, hole 9): redirects are never followed, to another
 * origin or to the same one, and bodies are read up to a limit.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createJiraClient } from '../../src/activities/jira/client';
import { HttpError, MAX_RESPONSE_BYTES, requestJson, ResponseTooLargeError } from '../../src/http';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

interface TestServer {
  readonly url: string;
  readonly hits: string[];
  handle(h: Handler): void;
  close(): Promise<void>;
}

async function startServer(): Promise<TestServer> {
  const hits: string[] = [];
  let handler: Handler = (_req, res) => res.end();
  const server: Server = createServer((req, res) => {
    hits.push(`${req.method} ${req.url}`);
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    hits,
    handle: (h) => {
      handler = h;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

let site: TestServer;
let elsewhere: TestServer;

beforeAll(async () => {
  site = await startServer();
  elsewhere = await startServer();
});
afterAll(async () => {
  await site.close();
  await elsewhere.close();
});
beforeEach(() => {
  site.hits.length = 0;
  elsewhere.hits.length = 0;
});

const get = (path: string, over: { maxResponseBytes?: number } = {}) =>
  requestJson<unknown>({
    method: 'GET',
    url: site.url + path,
    headers: { authorization: 'JWT secret-token' },
    timeoutMs: 5_000,
    system: 'Jira',
    what: 'issue/get',
    ...over,
  });

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

describe('redirects', () => {
  it.each([301, 302, 303, 307, 308])(
    'When the site answers %p to another origin, Then it is an HttpError and the other origin is never called',
    async (status) => {
      site.handle((_req, res) => {
        res.writeHead(status, { location: `${elsewhere.url}/steal` }).end();
      });
      const err = await rejection(get('/rest/api/2/issue/APP-1'));
      expect(err).toBeInstanceOf(HttpError);
      expect((err as HttpError).status).toBe(status);
      expect(elsewhere.hits).toEqual([]);
    }
  );

  it('When the site redirects to itself, Then that is not followed either', async () => {
    site.handle((req, res) => {
      if (req.url === '/moved') res.writeHead(302, { location: '/target' }).end();
      else res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
    expect(((await rejection(get('/moved'))) as HttpError).status).toBe(302);
    expect(site.hits).toEqual(['GET /moved']);
  });
});

describe('the Jira client', () => {
  it('When a Jira base URL answers 302 to another host, Then the signed request is not sent there', async () => {
    site.handle((_req, res) => {
      res.writeHead(302, { location: `${elsewhere.url}/rest/api/3/user/email?accountId=a` }).end();
    });
    const client = createJiraClient({ baseUrl: site.url, clientKey: 'k', sharedSecret: 's' }, { timeoutMs: 5_000 });
    const err = await rejection(client.getUserEmail('a'));
    expect(err).toBeInstanceOf(HttpError);
    expect((err as HttpError).status).toBe(302);
    expect(site.hits).toEqual(['GET /rest/api/3/user/email?accountId=a']);
    expect(elsewhere.hits).toEqual([]);
  });
});

describe('response size', () => {
  const json = (bytes: number) => JSON.stringify({ pad: 'x'.repeat(bytes - 10) });

  it('When a 2xx body is within the limit, Then it is parsed', async () => {
    site.handle((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"id":"1"}'));
    await expect(get('/ok')).resolves.toMatchObject({ status: 200, body: { id: '1' } });
  });

  it('When a streamed 2xx body (no Content-Length) passes the limit, Then reading stops with ResponseTooLargeError', async () => {
    let written = 0;
    site.handle((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const chunk = 'x'.repeat(64 * 1024);
      const pump = () => {
        // Stops on its own once the client went away; never more than 64 MiB.
        while (written < 64 * 1024 * 1024 && !res.destroyed) {
          written += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      pump();
    });
    const err = await rejection(get('/huge'));
    expect(err).toBeInstanceOf(ResponseTooLargeError);
    expect((err as Error).message).toBe('Jira issue/get answered a body larger than 5 MiB; it was not read');
    expect(written).toBeLessThan(64 * 1024 * 1024);
  });

  it('When Content-Length announces more than the limit, Then the body is not read', async () => {
    site.handle((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(json(2048)));
    const err = await rejection(get('/big', { maxResponseBytes: 1024 }));
    expect(err).toBeInstanceOf(ResponseTooLargeError);
    expect((err as ResponseTooLargeError).limitBytes).toBe(1024);
  });

  it('When an error body passes the limit, Then the HttpError keeps its status and drops the body', async () => {
    site.handle((_req, res) => res.writeHead(500).end(json(2048)));
    const err = (await rejection(get('/fail', { maxResponseBytes: 1024 }))) as HttpError;
    expect(err).toBeInstanceOf(HttpError);
    expect(err.status).toBe(500);
    expect(err.body).toBeNull();
  });

  it('the default limit is 5 MiB', () => {
    expect(MAX_RESPONSE_BYTES).toBe(5 * 1024 * 1024);
  });
});
