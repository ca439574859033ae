/**
 * createActivities(deps) composes every activity group; the worker registers the result. Activity names
 * are global, so each group prefixes its own (tracker*, cache*, jira*, discord*).
 */
import type { Knex } from 'knex';
import type { Cache } from './cache/cache';
import { createCacheActivities } from './cache/activities';
import { createDiscordClient } from './discord/client';
import { createDiscordActivities } from './discord/activities';
import { createJiraActivities } from './jira/activities';
import { createJiraOutboundActivities } from './jira/outbound';
import { createTrackerActivities } from './tracker';

export interface ActivityDeps {
  readonly db: Knex;
  readonly cache: Cache;
  readonly discordApiBaseUrl: string;
  readonly httpTimeoutMs: number;
}

export function createActivities(deps: ActivityDeps) {
  const discord = createDiscordClient({ apiBaseUrl: deps.discordApiBaseUrl, timeoutMs: deps.httpTimeoutMs });
  return {
    ...createTrackerActivities({ db: deps.db }),
    ...createCacheActivities({ cache: deps.cache }),
    ...createJiraActivities({ db: deps.db, timeoutMs: deps.httpTimeoutMs }),
    ...createJiraOutboundActivities({ db: deps.db, timeoutMs: deps.httpTimeoutMs }),
    ...createDiscordActivities({ db: deps.db, client: discord }),
  };
}

export type Activities = ReturnType<typeof createActivities>;
