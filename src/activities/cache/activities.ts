/** Cache activities: invalidate both per-group keys on every assignee change (Sentry only does it on deassign). */
import type { Cache } from './cache';
import { invalidateGroupCaches } from './cache';

export function createCacheActivities({ cache }: { readonly cache: Cache }) {
  return {
    async cacheInvalidateGroups(input: { groupIds: number[] }): Promise<{ invalidated: number }> {
      await invalidateGroupCaches(cache, input.groupIds);
      return { invalidated: input.groupIds.length };
    },
  };
}

export type CacheActivities = ReturnType<typeof createCacheActivities>;
