/**
 * Workflow ids and search attributes: the one place that says how a run is named and how it is found in the
 * Temporal UI. Used by the API (client starts) and by workflows (child starts), so it imports only
 * @temporalio/common and plain types and is part of the workflow bundle.
 *
 * Search attributes carry ids and keys only: never an email, token or secret.
 */
import type { SearchAttributePair } from '@temporalio/common';
import type { ChangeProvider, Provider } from '../domain/model';
import { SA } from './shared';

/**
 * The id of the run a webhook delivery starts: `<provider>-<integration id>-<delivery key>` (deliveries are
 * unique per provider and integration, SPEC §3: one tenant's key never meets another's run), or
 * `<provider>-<delivery key>` for a delivery without an integration.
 */
export function deliveryWorkflowId(provider: Provider, deliveryKey: string, integrationId: number | null): string {
  return integrationId === null ? `${provider}-${deliveryKey}` : `${provider}-${integrationId}-${deliveryKey}`;
}

/** Ids of runs the tracker API starts; the request id is the Idempotency-Key (or a fresh UUID). */
export const apiWorkflowId = {
  groupUpdate: (requestId: string) => `api-${requestId}`,
  createIssue: (requestId: string) => `create-issue-${requestId}`,
  linkIssue: (requestId: string) => `link-issue-${requestId}`,
  /** One run per note × external issue; an edit adds `-v<version>`. */
  comment: (noteId: number, externalIssueId: number, version?: number) =>
    `comment-${noteId}-${externalIssueId}${version === undefined ? '' : `-v${version}`}`,
} as const;

/** A push child of a run: `<parent id>-<assignee|status>-<externalIssueId>` (replays depend on this shape). */
export function pushWorkflowId(parentId: string, kind: 'assignee' | 'status', externalIssueId: number): string {
  return `${parentId}-${kind}-${externalIssueId}`;
}

export interface RunLabels {
  readonly provider: ChangeProvider;
  readonly integrationId?: number | null;
  readonly externalIssueKey?: string | null;
  readonly groupIds?: readonly number[];
}

/** The search attributes a run starts with (Outcome is set by the run itself when it ends). */
export function searchAttributes(labels: RunLabels): SearchAttributePair[] {
  const pairs: SearchAttributePair[] = [{ key: SA.Provider, value: labels.provider }];
  if (labels.integrationId != null) pairs.push({ key: SA.IntegrationId, value: String(labels.integrationId) });
  if (labels.externalIssueKey) pairs.push({ key: SA.ExternalIssueKey, value: labels.externalIssueKey });
  if (labels.groupIds && labels.groupIds.length > 0)
    pairs.push({ key: SA.GroupIds, value: labels.groupIds.map(String) });
  return pairs;
}
