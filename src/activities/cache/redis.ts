import { Redis, ReplyError } from 'ioredis';
import { assertValidTtl, type Cache } from './cache';

export interface RedisCacheOptions {
  /** `REDIS_URL`, e.g. `redis://127.0.0.1:6379/0`. */
  readonly url: string;
  /** Prepended to every key (e.g. a random one per test file, so suites never see each other's keys). */
  readonly keyPrefix?: string;
  /** Per connection attempt; short so a missing Redis fails fast instead of hanging a request. */
  readonly connectTimeoutMs?: number;
  /** Per command, so a stalled Redis rejects instead of holding an API request or an activity. */
  readonly commandTimeoutMs?: number;
}

const DEFAULT_CONNECT_TIMEOUT_MS = 2_000;
const DEFAULT_COMMAND_TIMEOUT_MS = 2_000;

/**
 * Redis could not be reached or did not answer in time. The message names REDIS_URL (host and port only,
 * credentials removed) so an operator knows which setting to fix.
 */
export class RedisUnavailableError extends Error {
  override readonly name = 'RedisUnavailableError';
}

/**
 * Redis backend: `SET key value EX ttl`, `GET`, and one `DEL` for many keys. Connects lazily on the first
 * command and keeps reconnecting in the background; a command issued while Redis is down fails after one
 * reconnection attempt instead of queueing forever.
 */
export class RedisCache implements Cache {
  readonly backend = 'redis' as const;
  private readonly client: Redis;
  private readonly where: string;
  private lastConnectionError: Error | undefined;

  constructor(options: RedisCacheOptions) {
    this.where = describeRedisUrl(options.url);
    this.client = new Redis(options.url, {
      lazyConnect: true,
      keyPrefix: options.keyPrefix,
      connectTimeout: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
      commandTimeout: options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS,
      maxRetriesPerRequest: 1,
      // How long close() waits for a half-closed socket before destroying it (ioredis default 2 s, which
      // keeps a process or a jest run alive after a failed connection).
      disconnectTimeout: 200,
    });
    // Without a listener ioredis prints every reconnect failure; callers see the error through the command.
    this.client.on('error', (err: Error) => {
      this.lastConnectionError = err;
    });
    this.client.on('ready', () => {
      this.lastConnectionError = undefined;
    });
  }

  get(key: string): Promise<string | null> {
    return this.run('GET', () => this.client.get(key));
  }

  async set(key: string, value: string, ttlSeconds: number): Promise<void> {
    assertValidTtl(ttlSeconds);
    await this.run('SET', () => this.client.set(key, value, 'EX', ttlSeconds));
  }

  async delete(keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    await this.run('DEL', () => this.client.del(...keys));
  }

  async close(): Promise<void> {
    if (this.client.status === 'ready') {
      try {
        await this.client.quit();
        return;
      } catch {
        // fall through to a hard disconnect
      }
    }
    this.client.disconnect();
  }

  private async run<T>(command: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (err) {
      if (err instanceof ReplyError) throw err; // Redis answered; not a connectivity problem
      const detail = messageOf(this.lastConnectionError ?? err).replace(/\.+$/, '');
      throw new RedisUnavailableError(
        `Redis cache at ${this.where} (REDIS_URL) did not answer ${command}: ${detail}. ` +
          'Start Redis there, or unset REDIS_URL to use the in-process cache.',
        { cause: err }
      );
    }
  }
}

/** An error's message without relying on `instanceof Error` (false for Node's errors inside jest's vm). */
function messageOf(err: unknown): string {
  const message = (err as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : String(err);
}

/** The URL without username/password, for messages and logs. */
export function describeRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    return parsed.toString();
  } catch {
    return 'an unparseable URL';
  }
}
