/**
 * The cache contract shared by the Redis and in-process backends, the two group caches of SPEC §5, and the
 * read-through / invalidation helpers that the API and the activities use. Values are strings so that both
 * backends store exactly the same thing.
 */

/**
 * A small string key/value cache with per-key TTL.
 *
 * Contract (checked by `test/integration/cache-contract.test.ts` against both backends):
 * - `get` returns `null` for a missing or expired key;
 * - `set` overwrites the value and restarts its TTL; `ttlSeconds` must be a positive integer (Redis `EX`
 *   accepts nothing else, so the memory backend refuses the same values instead of silently differing);
 * - `delete` removes every listed key in one round trip; unknown keys and an empty list are fine;
 * - errors propagate: a cache that cannot be reached rejects rather than pretending the key is absent.
 */
export interface Cache {
  get(key: string): Promise<string | null>;
  set(key: string, value: string, ttlSeconds: number): Promise<void>;
  delete(keys: readonly string[]): Promise<void>;
  /** Releases connections/timers. The cache must not be used afterwards. */
  close(): Promise<void>;
  readonly backend: 'redis' | 'memory';
}

/** `assignee_exists` lifetime when the group has an assignee (Sentry: 1 day). */
export const ASSIGNEE_EXISTS_TTL_SECONDS = 86_400;
/** `assignee_exists` lifetime when it has none: short, because a stale "no assignee" hides a new one. */
export const ASSIGNEE_MISSING_TTL_SECONDS = 60;

/** Key of "does group `groupId` have an assignee" (`'1'` / `'0'`). */
export function assigneeExistsKey(groupId: number): string {
  return `assignee_exists:${groupId}`;
}

/** Key of the issue-owner evaluation debounce for group `groupId`. */
export function ownerExistsKey(groupId: number): string {
  return `owner_exists:${groupId}`;
}

/** Throws unless `ttlSeconds` is something Redis `SET … EX` accepts; both backends call it. */
export function assertValidTtl(ttlSeconds: number): void {
  if (!Number.isSafeInteger(ttlSeconds) || ttlSeconds <= 0) {
    throw new RangeError(`cache TTL must be a positive whole number of seconds, got ${ttlSeconds}`);
  }
}

/**
 * Read-through for `assignee_exists:<groupId>`: a hit returns the cached answer; a miss (or an unreadable
 * value) calls `load` (the database) and stores `'1'` for a day or `'0'` for 60 s.
 *
 * Known limit: a reader that loads just before an assignee change and writes just after its invalidation
 * stores the old answer (for at most its TTL). Invalidating on every change, not only on deassign as Sentry
 * does, keeps that window to a race instead of a rule.
 */
export async function readAssigneeExists(
  cache: Cache,
  groupId: number,
  load: () => Promise<boolean>
): Promise<{ value: boolean; fromCache: boolean }> {
  const key = assigneeExistsKey(groupId);
  const cached = await cache.get(key);
  if (cached === '1' || cached === '0') return { value: cached === '1', fromCache: true };
  const value = await load();
  await cache.set(key, value ? '1' : '0', value ? ASSIGNEE_EXISTS_TTL_SECONDS : ASSIGNEE_MISSING_TTL_SECONDS);
  return { value, fromCache: false };
}

/**
 * Deletes `assignee_exists` and `owner_exists` of every group in one backend call. Run after **every**
 * assignee change (assign, reassign, deassign), so no reader keeps a stale answer (SPEC §5).
 */
export async function invalidateGroupCaches(cache: Cache, groupIds: readonly number[]): Promise<void> {
  if (groupIds.length === 0) return;
  const keys = [...new Set(groupIds)].flatMap((id) => [assigneeExistsKey(id), ownerExistsKey(id)]);
  await cache.delete(keys);
}
