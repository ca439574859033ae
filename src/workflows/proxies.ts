/**
 * One activity proxy per system, each with its own timeouts and retry policy, and `step()`, which runs an
 * activity with a static single-line summary for the Temporal UI (never an email or secret).
 */
import type { ActivityInterfaceFor, ActivityOptions } from '@temporalio/workflow';
import { proxyActivities } from '@temporalio/workflow';
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
  const proxy = (proxies[system] as Record<string, unknown>)[name] as {
    executeWithOptions(o: ActivityOptions, a: ArgsOf<S, K>): Promise<ResultOf<S, K>>;
  };
  return proxy.executeWithOptions({ ...OPTIONS[system], summary }, args);
}
