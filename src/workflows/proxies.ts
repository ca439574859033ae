/**
 * One activity proxy per system, each with its own timeouts and retry policy, and `step()`, which runs an
 * activity with a static single-line summary for the Temporal UI (never an email or secret).
 *
 * History shape: steps that only touch our own Postgres or Redis (the `tracker` and `cache` systems) run as
 * **local activities** in runs that carry the {@link LOCAL_STEPS_PATCH} marker (every run started since). A local
 * activity runs in the worker that holds the workflow task and is recorded as one marker event with its type,
 * result and summary, instead of scheduled/started/completed plus a workflow task each time; consecutive local
 * steps share one workflow task. Steps that call Jira, Discord or Teams stay regular activities (server-side
 * retries with long backoff, visible as pending in the UI while they retry). Runs recorded before the patch replay
 * with every step a regular activity. Both kinds are retried and must be idempotent.
 */
import type { ActivityInterfaceFor, ActivityOptions, LocalActivityOptions } from '@temporalio/workflow';
import { patched, proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { ActivityGroups, ActivitySystem } from '../activities';

const CLIENT_ERRORS = ['Unauthorized', 'Forbidden', 'NotFound', 'BadRequest', 'ClientError'];

export const OPTIONS = {
  tracker: {
    startToCloseTimeout: '30s',
    scheduleToCloseTimeout: '30m',
    retry: {
      initialInterval: '500ms',
      backoffCoefficient: 2,
      maximumInterval: '30s',
      nonRetryableErrorTypes: ['IntegrationNotFound'],
    },
  },
  cache: {
    startToCloseTimeout: '10s',
    scheduleToCloseTimeout: '10m',
    retry: { initialInterval: '500ms', backoffCoefficient: 2, maximumInterval: '30s' },
  },
  jira: {
    startToCloseTimeout: '30s',
    scheduleToCloseTimeout: '30m',
    retry: {
      initialInterval: '1s',
      backoffCoefficient: 2,
      maximumInterval: '2m',
      nonRetryableErrorTypes: [...CLIENT_ERRORS, 'IntegrationNotFound', 'IntegrationMisconfigured'],
    },
  },
  /**
   * Creating a Jira issue: the check-before-create lookup uses Jira's enhanced search, which is eventually
   * consistent, so a retry waits long enough for a just-created issue to be findable.
   */
  jiraCreate: {
    startToCloseTimeout: '30s',
    scheduleToCloseTimeout: '30m',
    retry: {
      initialInterval: '20s',
      backoffCoefficient: 2,
      maximumInterval: '5m',
      nonRetryableErrorTypes: [...CLIENT_ERRORS, 'IntegrationNotFound', 'IntegrationMisconfigured', 'JiraFieldErrors'],
    },
  },
  discord: {
    startToCloseTimeout: '10s',
    scheduleToCloseTimeout: '15m',
    retry: {
      initialInterval: '1s',
      backoffCoefficient: 2,
      maximumInterval: '1m',
      nonRetryableErrorTypes: [...CLIENT_ERRORS, 'IntegrationNotFound', 'IntegrationMisconfigured'],
    },
  },
  /** Teams: a card action may wait a day for linking, and the Connector's cards never expire. */
  msteams: {
    startToCloseTimeout: '15s',
    scheduleToCloseTimeout: '30m',
    retry: {
      initialInterval: '1s',
      backoffCoefficient: 2,
      maximumInterval: '1m',
      nonRetryableErrorTypes: [...CLIENT_ERRORS, 'IntegrationNotFound', 'IntegrationMisconfigured', 'OutcomeUnknown'],
    },
  },
} satisfies Record<string, ActivityOptions>;

/** The options sets a step can run with. */
export type System = keyof typeof OPTIONS;

/** Which activity group each options set runs: 'jiraCreate' is a different retry policy over the jira group. */
interface GroupName extends Record<System, ActivitySystem> {
  tracker: 'tracker';
  cache: 'cache';
  jira: 'jira';
  jiraCreate: 'jira';
  discord: 'discord';
  msteams: 'msteams';
}

/** The activities `system` may run. */
export type GroupOf<S extends System> = ActivityGroups[GroupName[S]];
/** Names of the activities `system` may run. */
export type ActivityName<S extends System> = keyof GroupOf<S> & string;
type ArgsOf<S extends System, K extends ActivityName<S>> = GroupOf<S>[K] extends (...args: infer A) => unknown
  ? A
  : never;
type ResultOf<S extends System, K extends ActivityName<S>> = GroupOf<S>[K] extends (...args: never[]) => infer R
  ? Awaited<R>
  : never;

const proxies: { readonly [S in System]: ActivityInterfaceFor<GroupOf<S>> } = {
  tracker: proxyActivities<GroupOf<'tracker'>>(OPTIONS.tracker),
  cache: proxyActivities<GroupOf<'cache'>>(OPTIONS.cache),
  jira: proxyActivities<GroupOf<'jira'>>(OPTIONS.jira),
  jiraCreate: proxyActivities<GroupOf<'jiraCreate'>>(OPTIONS.jiraCreate),
  discord: proxyActivities<GroupOf<'discord'>>(OPTIONS.discord),
  msteams: proxyActivities<GroupOf<'msteams'>>(OPTIONS.msteams),
};

/** The patch that turned database and cache steps into local activities (see the top of this file). */
export const LOCAL_STEPS_PATCH = 'local-db-steps';

/** Systems whose steps are local activities in patched runs: only our own database and cache. */
type LocalSystem = 'tracker' | 'cache';

function isLocal(system: System): system is LocalSystem {
  return system === 'tracker' || system === 'cache';
}

/** The same timeouts and retry policy as the regular step (backoff stays under localRetryThreshold, 1 minute). */
function localOptions(o: ActivityOptions): LocalActivityOptions {
  return {
    startToCloseTimeout: o.startToCloseTimeout,
    scheduleToCloseTimeout: o.scheduleToCloseTimeout,
    retry: o.retry,
  };
}

const localProxies: { readonly [S in LocalSystem]: ActivityInterfaceFor<GroupOf<S>> } = {
  tracker: proxyLocalActivities<GroupOf<'tracker'>>(localOptions(OPTIONS.tracker)),
  cache: proxyLocalActivities<GroupOf<'cache'>>(localOptions(OPTIONS.cache)),
};

/**
 * Whether this run's database and cache steps are local activities: true for every run started since the patch
 * (its marker is written at the run's first step), false while replaying a history recorded before it.
 */
export function localSteps(): boolean {
  return patched(LOCAL_STEPS_PATCH);
}

/**
 * Runs activity `name` of `system`'s group with `system`'s options and a static summary shown in the UI.
 * `name` must belong to that group: `step('discord', 'trackerApplyGroupChange', …)` does not compile.
 */
export function step<S extends System, K extends ActivityName<S>>(
  system: S,
  name: K,
  summary: string,
  ...args: ArgsOf<S, K>
): Promise<ResultOf<S, K>> {
  type Run = {
    executeWithOptions(o: ActivityOptions | LocalActivityOptions, a: ArgsOf<S, K>): Promise<ResultOf<S, K>>;
  };
  if (isLocal(system) && localSteps()) {
    const local = (localProxies[system] as Record<string, unknown>)[name] as Run;
    return local.executeWithOptions({ summary }, args);
  }
  const proxy = (proxies[system] as Record<string, unknown>)[name] as Run;
  return proxy.executeWithOptions({ ...OPTIONS[system], summary }, args);
}
