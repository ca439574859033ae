/**
 * One contract, two backends: the API and the worker must see the same cache behaviour whether REDIS_URL is
 * set (Redis) or not (in-process). Redis is real; a Redis that does not answer fails this file, it never skips.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';
import {
  ASSIGNEE_EXISTS_TTL_SECONDS,
  ASSIGNEE_MISSING_TTL_SECONDS,
  MemoryCache,
  RedisUnavailableError,
  assigneeExistsKey,
  createCache,
  invalidateGroupCaches,
  ownerExistsKey,
  readAssigneeExists,
  type Cache,
} from '../../src/activities/cache';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const START_REDIS = 'redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no';

interface Harness {
  readonly cache: Cache;
  /** Seconds left on `key` as the backend itself reports it, or null when the key is absent. */
  ttlOf(key: string): Promise<number | null>;
  close(): Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function memoryHarness(): Promise<Harness> {
  const cache = new MemoryCache();
  return Promise.resolve({
    cache,
    ttlOf: (key) => Promise.resolve(cache.ttlSecondsOf(key)),
    close: () => cache.close(),
  });
}

async function connectRawRedis(): Promise<Redis> {
  const raw = new Redis(REDIS_URL, {
    lazyConnect: true,
    connectTimeout: 2_000,
    retryStrategy: () => null,
    disconnectTimeout: 200,
  });
  let lastError: unknown;
  raw.on('error', (err: unknown) => (lastError = err));
  try {
    await raw.connect();
    await raw.ping();
    return raw;
  } catch (err) {
    raw.disconnect();
    const why = messageOf(lastError ?? err);
    throw new Error(
      `Redis does not answer at ${REDIS_URL} (${why}). Start it with: ${START_REDIS}  ` +
        '(or set REDIS_URL to a running Redis).'
    );
  }
}

async function redisHarness(): Promise<Harness> {
  const raw = await connectRawRedis();
  const prefix = `issue-sync-test:${randomUUID()}:`;
  const cache = createCache({ redisUrl: REDIS_URL, keyPrefix: prefix });
  return {
    cache,
    // Read through an independent client with the full key: proves the prefix and `EX` really reached Redis.
    ttlOf: async (key) => {
      const ttl = await raw.ttl(prefix + key);
      return ttl < 0 ? null : ttl;
    },
    close: async () => {
      const leftovers = await raw.keys(`${prefix}*`);
      if (leftovers.length > 0) await raw.del(...leftovers);
      await cache.close();
      await raw.quit();
    },
  };
}

describe.each([
  ['memory', memoryHarness],
  ['redis', redisHarness],
] as const)('Cache contract (%s backend)', (backend, makeHarness) => {
  let h: Harness;
  const opened: Harness[] = [];

  beforeEach(async () => {
    h = await makeHarness();
    opened.push(h);
  });
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((x) => x.close()));
  });

  it('reports which backend it is', () => {
    expect(h.cache.backend).toBe(backend);
  });

  it('returns null for a missing key, the stored value after set, and the newest value after overwrite', async () => {
    expect(await h.cache.get('k')).toBeNull();
    await h.cache.set('k', 'one', 60);
    expect(await h.cache.get('k')).toBe('one');
    await h.cache.set('k', 'two', 60);
    expect(await h.cache.get('k')).toBe('two');
  });

  it('deletes many keys in one call, ignoring unknown keys and an empty list', async () => {
    await h.cache.set('a', '1', 60);
    await h.cache.set('b', '2', 60);
    await h.cache.set('c', '3', 60);
    await h.cache.delete([]);
    await h.cache.delete(['a', 'b', 'never-set']);
    expect(await h.cache.get('a')).toBeNull();
    expect(await h.cache.get('b')).toBeNull();
    expect(await h.cache.get('c')).toBe('3');
  });

  it('expires a key after its TTL and leaves longer-lived keys alone', async () => {
    await h.cache.set('short', 'x', 1);
    await h.cache.set('long', 'y', 60);
    expect(await h.cache.get('short')).toBe('x');
    await sleep(1_200);
    expect(await h.cache.get('short')).toBeNull();
    expect(await h.ttlOf('short')).toBeNull();
    expect(await h.cache.get('long')).toBe('y');
  });

  it('restarts the TTL when a key is written again', async () => {
    await h.cache.set('k', 'v', 1);
    await h.cache.set('k', 'v', 60);
    await sleep(1_200);
    expect(await h.cache.get('k')).toBe('v');
  });

  it.each([0, -1, 1.5, Number.NaN])('refuses TTL %p, which Redis EX cannot store', async (ttl) => {
    await expect(h.cache.set('k', 'v', ttl)).rejects.toThrow(RangeError);
    expect(await h.cache.get('k')).toBeNull();
  });

  describe('readAssigneeExists', () => {
    it('loads on a miss, stores "1" for a day, then answers from the cache without loading', async () => {
      const load = jest.fn(() => Promise.resolve(true));

      expect(await readAssigneeExists(h.cache, 41, load)).toEqual({ value: true, fromCache: false });
      expect(await h.cache.get('assignee_exists:41')).toBe('1');
      const ttl = await h.ttlOf(assigneeExistsKey(41));
      expect(ttl).toBeGreaterThan(ASSIGNEE_EXISTS_TTL_SECONDS - 10);
      expect(ttl).toBeLessThanOrEqual(ASSIGNEE_EXISTS_TTL_SECONDS);

      expect(await readAssigneeExists(h.cache, 41, load)).toEqual({ value: true, fromCache: true });
      expect(load).toHaveBeenCalledTimes(1);
    });

    it('stores "0" for only 60 seconds when the group has no assignee', async () => {
      const load = jest.fn(() => Promise.resolve(false));

      expect(await readAssigneeExists(h.cache, 42, load)).toEqual({ value: false, fromCache: false });
      expect(await h.cache.get('assignee_exists:42')).toBe('0');
      const ttl = await h.ttlOf(assigneeExistsKey(42));
      expect(ttl).toBeGreaterThan(ASSIGNEE_MISSING_TTL_SECONDS - 10);
      expect(ttl).toBeLessThanOrEqual(ASSIGNEE_MISSING_TTL_SECONDS);

      expect(await readAssigneeExists(h.cache, 42, load)).toEqual({ value: false, fromCache: true });
      expect(load).toHaveBeenCalledTimes(1);
    });

    it('treats an unreadable cached value as a miss and overwrites it', async () => {
      await h.cache.set(assigneeExistsKey(43), 'garbage', 60);
      const load = jest.fn(() => Promise.resolve(true));

      expect(await readAssigneeExists(h.cache, 43, load)).toEqual({ value: true, fromCache: false });
      expect(await h.cache.get(assigneeExistsKey(43))).toBe('1');
    });

    it('stores nothing when the load fails', async () => {
      const load = jest.fn(() => Promise.reject(new Error('db down')));

      await expect(readAssigneeExists(h.cache, 44, load)).rejects.toThrow('db down');
      expect(await h.cache.get(assigneeExistsKey(44))).toBeNull();
    });
  });

  describe('invalidateGroupCaches', () => {
    it('deletes assignee_exists and owner_exists of every listed group in one call, and nothing else', async () => {
      for (const id of [1, 2, 3]) {
        await h.cache.set(assigneeExistsKey(id), '1', 600);
        await h.cache.set(ownerExistsKey(id), '1', 600);
      }
      const del = jest.spyOn(h.cache, 'delete');

      await invalidateGroupCaches(h.cache, [1, 2, 2]);

      expect(del).toHaveBeenCalledTimes(1);
      expect(del.mock.calls[0]?.[0]).toEqual([
        'assignee_exists:1',
        'owner_exists:1',
        'assignee_exists:2',
        'owner_exists:2',
      ]);
      for (const id of [1, 2]) {
        expect(await h.cache.get(assigneeExistsKey(id))).toBeNull();
        expect(await h.cache.get(ownerExistsKey(id))).toBeNull();
      }
      expect(await h.cache.get(assigneeExistsKey(3))).toBe('1');
      expect(await h.cache.get(ownerExistsKey(3))).toBe('1');
    });

    it('makes the next read-through load again, so a new assignee is visible at once', async () => {
      let hasAssignee = false;
      const load = (): Promise<boolean> => Promise.resolve(hasAssignee);
      await readAssigneeExists(h.cache, 7, load);

      hasAssignee = true;
      await invalidateGroupCaches(h.cache, [7]);

      expect(await readAssigneeExists(h.cache, 7, load)).toEqual({ value: true, fromCache: false });
    });

    it('does not call the backend for an empty list', async () => {
      const del = jest.spyOn(h.cache, 'delete');
      await invalidateGroupCaches(h.cache, []);
      expect(del).not.toHaveBeenCalled();
    });
  });
});

describe('createCache', () => {
  it('uses memory without a Redis URL (also for an empty one) and Redis with one', async () => {
    const caches = [createCache(), createCache({ redisUrl: '' }), createCache({ redisUrl: REDIS_URL })];
    expect(caches.map((c) => c.backend)).toEqual(['memory', 'memory', 'redis']);
    await Promise.all(caches.map((c) => c.close()));
  });

  it('fails a command against a Redis that is not there with an error naming REDIS_URL and no password', async () => {
    const port = await closedPort();
    const cache = createCache({ redisUrl: `redis://user:hunter2@127.0.0.1:${port}/0` });
    try {
      const err = await cache.get('k').then(
        () => undefined,
        (e: unknown) => e
      );
      expect(err).toBeInstanceOf(RedisUnavailableError);
      const message = (err as Error).message;
      expect(message).toContain('REDIS_URL');
      expect(message).toContain(`127.0.0.1:${port}`);
      expect(message).not.toContain('hunter2');
    } finally {
      await cache.close();
    }
  });
});

describe('MemoryCache specifics', () => {
  it('evicts the oldest writes beyond its size bound', async () => {
    const cache = new MemoryCache({ maxEntries: 3 });
    for (const key of ['a', 'b', 'c']) await cache.set(key, key, 60);
    await cache.set('a', 'a2', 60); // rewriting makes "a" the newest
    await cache.set('d', 'd', 60);

    expect(cache.size).toBe(3);
    expect(await cache.get('b')).toBeNull();
    expect(await cache.get('a')).toBe('a2');
    expect(await cache.get('c')).toBe('c');
    expect(await cache.get('d')).toBe('d');
  });

  it('expires by its clock, to the millisecond', async () => {
    let now = 1_000_000;
    const cache = new MemoryCache({ now: () => now });
    await cache.set('k', 'v', 60);
    now += 59_999;
    expect(cache.ttlSecondsOf('k')).toBe(1);
    expect(await cache.get('k')).toBe('v');
    now += 1;
    expect(await cache.get('k')).toBeNull();
    expect(cache.size).toBe(0);
  });
});

/** An error's message; `instanceof Error` is unreliable for Node's own errors inside jest's sandbox. */
function messageOf(err: unknown): string {
  const message = (err as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : String(err);
}

/** A local TCP port that nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return address.port;
}
