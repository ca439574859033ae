/**
 * @deprecated Transitional: the pushes moved to push-assignee.ts, push-status.ts, sync-comment.ts and
 * create-issue.ts, and all six Jira activities come from `createJiraActivities` (activities.ts). This alias only
 * keeps src/activities/index.ts working until it makes that one call; delete this file then.
 */
import type { LegacyJiraActivityDeps } from './activities';
import { createJiraActivities } from './activities';

/** @deprecated Use `createJiraActivities({ db, clientFor })`; it already returns these activities. */
export function createJiraOutboundActivities(deps: LegacyJiraActivityDeps): ReturnType<typeof createJiraActivities> {
  return createJiraActivities(deps);
}
