/**
 * Group caches (SPEC §5): one {@link Cache} interface, a Redis backend for multi-process deployments and an
 * in-process backend for `npm start` without REDIS_URL.
 * @module
 */
import type { Cache } from './cache';
import { MemoryCache } from './memory';
import { RedisCache } from './redis';

export * from './cache';
export { MemoryCache, DEFAULT_MEMORY_CACHE_MAX_ENTRIES, type MemoryCacheOptions } from './memory';
export { RedisCache, RedisUnavailableError, describeRedisUrl, type RedisCacheOptions } from './redis';

export interface CreateCacheOptions {
  /** Config `redisUrl` (REDIS_URL). Unset or empty → the in-process cache. */
  readonly redisUrl?: string;
  /** Redis key prefix, for test isolation. Ignored by the memory backend (its keys are private anyway). */
  readonly keyPrefix?: string;
}

/**
 * Picks the backend: Redis when `redisUrl` is set, else memory. Nothing connects here (Redis connects on the
 * first command), so creating a cache never fails because Redis is down; the first command does, loudly.
 */
export function createCache(options: CreateCacheOptions = {}): Cache {
  if (options.redisUrl !== undefined && options.redisUrl !== '') {
    return new RedisCache({ url: options.redisUrl, keyPrefix: options.keyPrefix });
  }
  return new MemoryCache();
}
