/**
 * One activity proxy per system, each with its own timeouts and retry policy, and `step()`, which runs an
 * activity with a static single-line summary for the Temporal UI (never an email or secret).
 */
import type { ActivityOptions } from '@temporalio/workflow';
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';

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
} satisfies Record<string, ActivityOptions>;

export type System = keyof typeof OPTIONS;
type Name = keyof Activities;

const proxies = {
  tracker: proxyActivities<Activities>(OPTIONS.tracker),
  cache: proxyActivities<Activities>(OPTIONS.cache),
  jira: proxyActivities<Activities>(OPTIONS.jira),
  jiraCreate: proxyActivities<Activities>(OPTIONS.jiraCreate),
  discord: proxyActivities<Activities>(OPTIONS.discord),
};

/** Runs activity `name` with `system`'s options and a static summary shown in the UI. */
export function step<K extends Name>(
  system: System,
  name: K,
  summary: string,
  ...args: Parameters<Activities[K]>
): Promise<Awaited<ReturnType<Activities[K]>>> {
  const proxy = proxies[system][name] as unknown as {
    executeWithOptions(o: ActivityOptions, a: Parameters<Activities[K]>): Promise<Awaited<ReturnType<Activities[K]>>>;
  };
  return proxy.executeWithOptions({ ...OPTIONS[system], summary }, args);
}
