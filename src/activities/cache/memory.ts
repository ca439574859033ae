import { assertValidTtl, type Cache } from './cache';

/** Default size bound: enough for every live group of a single-process install, small enough to ignore. */
export const DEFAULT_MEMORY_CACHE_MAX_ENTRIES = 10_000;

export interface MemoryCacheOptions {
  /** Entries kept at most; beyond it the least recently written entry goes first. */
  readonly maxEntries?: number;
  /** Clock in milliseconds, injectable for tests. */
  readonly now?: () => number;
}

interface Entry {
  readonly value: string;
  readonly expiresAt: number;
}

/**
 * In-process cache: valid only when the API and the worker share one process (`npm start` without
 * REDIS_URL), because an invalidation in one process is invisible to another. Expired entries are dropped
 * when read; beyond `maxEntries` the oldest writes are evicted first. No timer, so nothing keeps the
 * process alive.
 */
export class MemoryCache implements Cache {
  readonly backend = 'memory' as const;
  private readonly entries = new Map<string, Entry>();
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(options: MemoryCacheOptions = {}) {
    this.maxEntries = options.maxEntries ?? DEFAULT_MEMORY_CACHE_MAX_ENTRIES;
    this.now = options.now ?? Date.now;
    if (!Number.isSafeInteger(this.maxEntries) || this.maxEntries < 1) {
      throw new RangeError(`maxEntries must be a positive integer, got ${this.maxEntries}`);
    }
  }

  get(key: string): Promise<string | null> {
    return settle(() => this.live(key)?.value ?? null);
  }

  set(key: string, value: string, ttlSeconds: number): Promise<void> {
    return settle(() => {
      assertValidTtl(ttlSeconds);
      // Re-inserting moves the key to the end of the Map's insertion order, which is the eviction order.
      this.entries.delete(key);
      this.entries.set(key, { value, expiresAt: this.now() + ttlSeconds * 1000 });
      this.evictBeyondBound();
    });
  }

  delete(keys: readonly string[]): Promise<void> {
    return settle(() => {
      for (const key of keys) this.entries.delete(key);
    });
  }

  close(): Promise<void> {
    return settle(() => this.entries.clear());
  }

  /**
   * Inspection hook for tests (the memory twin of Redis `TTL`): whole seconds left, rounded up, or `null`
   * when the key is missing or expired.
   */
  ttlSecondsOf(key: string): number | null {
    const entry = this.live(key);
    return entry ? Math.ceil((entry.expiresAt - this.now()) / 1000) : null;
  }

  /** Number of entries held, expired ones included until they are read or evicted. */
  get size(): number {
    return this.entries.size;
  }

  private live(key: string): Entry | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt > this.now()) return entry;
    this.entries.delete(key);
    return undefined;
  }

  private evictBeyondBound(): void {
    for (const key of this.entries.keys()) {
      if (this.entries.size <= this.maxEntries) break;
      this.entries.delete(key);
    }
  }
}

/** Runs `fn` now and reports its result or exception as a promise, as a remote backend would. */
function settle<T>(fn: () => T): Promise<T> {
  return new Promise((resolve) => resolve(fn()));
}
