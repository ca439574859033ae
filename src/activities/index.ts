/**
 * The worker's activities, grouped by the system each talks to. {@link createActivityGroups} builds the groups
 * (the workflows' proxies are typed per group, so a step can only call an activity of its own system);
 * {@link registrationMap} flattens them into the one name → function map the worker registers. Activity names
 * are global in the worker, so every name starts with its system (`tracker*`, `cache*`, `jira*`, `discord*`, `msteams*`)
 * and a name defined twice stops the worker from starting instead of silently replacing the other.
 *
 * Adding a system: one factory entry here, one options set in src/workflows/proxies.ts.
 */
import type { Knex } from 'knex';
import type { Cache } from './cache/cache';
import type { CacheActivities } from './cache/activities';
import { createCacheActivities } from './cache/activities';
import { createDiscordClient } from './discord/client';
import type { DiscordActivities } from './discord/activities';
import { createDiscordActivities } from './discord/activities';
import type { DiscordInteractionActivities } from './discord/interaction';
import { createDiscordInteractionActivities } from './discord/interaction';
import type { JiraActivities } from './jira/activities';
import { createJiraActivities } from './jira/activities';
import { createJiraClient } from './jira/client';
import type { TeamsActivities } from './msteams/activities';
import { createTeamsActivities } from './msteams/activities';
import type { TeamsClient } from './msteams/client';
import { createTeamsClient } from './msteams/client';
import type { TrackerActivities } from './tracker';
import { createTrackerActivities } from './tracker';

export type {
  CacheActivities,
  DiscordActivities,
  DiscordInteractionActivities,
  JiraActivities,
  TeamsActivities,
  TrackerActivities,
};

export interface ActivityDeps {
  readonly db: Knex;
  readonly cache: Cache;
  readonly discordApiBaseUrl: string;
  readonly httpTimeoutMs: number;
  /** ALLOW_HTTP_LOOPBACK: Jira base URLs may be http on loopback hosts (tests, demos); default true. */
  readonly allowHttpLoopback?: boolean;
  /** Where people reach this service: account-link URLs in chat start with it (no trailing slash). */
  readonly publicUrl?: string;
  /** HMAC key of account-link tokens; unset → chat linking is not configured. */
  readonly linkSecret?: string;
  /** The Teams bot's credentials; without an app id and password, Teams activities fail as misconfigured. */
  readonly teams?: {
    readonly appId: string | undefined;
    readonly appPassword: string | undefined;
    readonly tokenUrl: string;
  };
}

function teamsClientOf(deps: ActivityDeps): TeamsClient | null {
  const t = deps.teams;
  if (!t?.appId || !t.appPassword) return null;
  return createTeamsClient({
    tokenUrl: t.tokenUrl,
    appId: t.appId,
    appPassword: t.appPassword,
    timeoutMs: deps.httpTimeoutMs,
  });
}

/** An activity: any async function of plain data. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- activity signatures vary; each group keeps its own types
type ActivityFunction = (...args: any[]) => Promise<unknown>;
type ActivityGroup = Readonly<Record<string, ActivityFunction>>;

type UnionToIntersection<U> = (U extends unknown ? (u: U) => void : never) extends (i: infer I) => void ? I : never;

/**
 * Merges activity groups into one map, throwing on a name defined twice (an object spread would silently keep
 * the last one and the worker would run the wrong function under that name).
 */
export function mergeActivities<G extends readonly ActivityGroup[]>(...groups: G): UnionToIntersection<G[number]> {
  const merged: Record<string, ActivityFunction> = {};
  for (const group of groups) {
    for (const [name, fn] of Object.entries(group)) {
      if (Object.hasOwn(merged, name)) throw new Error(`activity ${name} is defined twice`);
      merged[name] = fn;
    }
  }
  return merged as UnionToIntersection<G[number]>;
}

/** Every activity group, keyed by the system it talks to. Nothing connects here. */
export function createActivityGroups(deps: ActivityDeps) {
  const discord = createDiscordClient({ apiBaseUrl: deps.discordApiBaseUrl, timeoutMs: deps.httpTimeoutMs });
  const publicUrl = deps.publicUrl ?? 'http://127.0.0.1:3000';
  return {
    tracker: createTrackerActivities({ db: deps.db }),
    cache: createCacheActivities({ cache: deps.cache }),
    jira: createJiraActivities({
      db: deps.db,
      clientFor: (site) => createJiraClient(site, { timeoutMs: deps.httpTimeoutMs }),
      policy: { allowHttpLoopback: deps.allowHttpLoopback ?? true },
    }),
    discord: mergeActivities(
      createDiscordActivities({ db: deps.db, client: discord }),
      createDiscordInteractionActivities({
        db: deps.db,
        client: discord,
        publicUrl,
        linkSecret: deps.linkSecret,
      })
    ),
    msteams: createTeamsActivities({
      db: deps.db,
      client: teamsClientOf(deps),
      publicUrl,
      linkSecret: deps.linkSecret,
    }),
  };
}

export type ActivityGroups = ReturnType<typeof createActivityGroups>;
/** The systems activities talk to; each is the prefix of its activities' names. */
export type ActivitySystem = keyof ActivityGroups;

/** The flat name → function map the worker registers; throws when two groups define the same name. */
export function registrationMap<G extends Readonly<Record<string, ActivityGroup>>>(
  groups: G
): UnionToIntersection<G[keyof G]> {
  return mergeActivities(...Object.values(groups)) as UnionToIntersection<G[keyof G]>;
}

/** What the worker registers: every group's activities under their global names. */
export function createActivities(deps: ActivityDeps): Activities {
  return registrationMap(createActivityGroups(deps));
}

export type Activities = UnionToIntersection<ActivityGroups[ActivitySystem]>;
