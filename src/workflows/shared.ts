/**
 * Definitions shared by the API (client side), the workflows and the activities. Only plain data and
 * @temporalio/common here: this file is part of the workflow bundle.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import type { AssigneeChoice, AssigneeType, ChangeSource, Provider, PushResult, StatusRequest } from '../domain/model';

export type { PushResult } from '../domain/model';

export const SA = {
  Provider: defineSearchAttributeKey('Provider', SearchAttributeType.KEYWORD),
  IntegrationId: defineSearchAttributeKey('IntegrationId', SearchAttributeType.KEYWORD),
  ExternalIssueKey: defineSearchAttributeKey('ExternalIssueKey', SearchAttributeType.KEYWORD),
  GroupIds: defineSearchAttributeKey('GroupIds', SearchAttributeType.KEYWORD_LIST),
  Outcome: defineSearchAttributeKey('Outcome', SearchAttributeType.KEYWORD),
} as const;

/** `--search-attribute` values for the dev server (name=Type). */
export const SEARCH_ATTRIBUTE_FLAGS: readonly string[] = [
  'Provider=Keyword',
  'IntegrationId=Keyword',
  'ExternalIssueKey=Keyword',
  'GroupIds=KeywordList',
  'Outcome=Keyword',
];

/** How people call each provider, in summaries and chat messages ("Apply the Discord change …", "from Jira APP-1"). */
export const PROVIDER_NAMES: Readonly<Record<Provider, string>> = {
  jira: 'Jira',
  discord: 'Discord',
  msteams: 'Microsoft Teams',
};

/** Input of jiraIssueUpdated: only what the chains need. No emails: the assignee's email arrives hashed. */
export interface JiraIssueUpdatedInput {
  readonly deliveryId: number;
  readonly deliveryKey: string;
  readonly integrationId: number;
  readonly issue: { readonly id: string; readonly key: string };
  /** ISO time the event describes (fields.updated, else timestamp); null when the payload has neither. */
  readonly eventAt: string | null;
  /** Present when the changelog changes the assignee; null means unassigned. */
  readonly assignee?: { readonly accountId: string | null; readonly emailSha256: string | null } | null;
  /** Present when the changelog changes the status: the snapshot's statusCategory.key. */
  readonly statusCategory?: string;
  /** Present when the issue moved (Key/project changed): the key it had before, if the changelog says. */
  readonly moved?: { readonly previousKey: string | null };
}

export interface ChainResult {
  readonly chain: 'assignee' | 'status' | 'move';
  readonly outcome: 'applied' | 'skipped';
  readonly reason: string | null;
  readonly changedGroupIds: number[];
}

export interface SyncResult {
  readonly outcome: 'applied' | 'skipped' | 'failed';
  readonly reason: string | null;
  readonly groupIds: number[];
  readonly chains: ChainResult[];
}

export interface OutboundPushInput {
  readonly groupId: number;
  readonly externalIssueId: number;
  readonly key: string;
  readonly integrationId: number;
  readonly previousAssigneeType?: AssigneeType;
  readonly mode?: 'change' | 'initial';
}

export interface CommentSyncInput {
  readonly noteId: number;
  readonly externalIssueId: number;
  readonly key: string;
  readonly integrationId: number;
}

export interface CreateIssueInput {
  readonly requestId: string;
  readonly groupId: number;
  readonly integrationId: number;
  readonly userId: number | null;
  readonly title: string;
  readonly description: string | null;
  /** The Jira `fields` object to send (project, issuetype, summary, description, custom fields). */
  readonly fields: Record<string, unknown>;
}

export interface LinkIssueInput {
  readonly requestId: string;
  readonly groupId: number;
  readonly integrationId: number;
  readonly userId: number | null;
  readonly key: string;
}

export interface IssueLinkResult {
  readonly outcome: 'applied' | 'failed';
  readonly reason: string | null;
  readonly externalIssueId?: number;
  readonly key?: string;
  readonly url?: string;
  readonly fieldErrors?: Record<string, string>;
  readonly errorMessages?: string[];
  readonly notFound?: boolean;
  readonly pushes?: PushResult[];
}

export interface GroupUpdateInput {
  readonly requestId: string;
  readonly groupId: number;
  readonly actorUserId: number | null;
  readonly assignee?: AssigneeChoice;
  readonly status?: StatusRequest;
  /**
   * Who made the change (provider, integration, chat user label). Absent in runs started before chat existed:
   * those are the tracker API's (`{provider: 'api', integrationId: null, key: requestId}`).
   */
  readonly source?: ChangeSource;
}

export interface GroupUpdateResult {
  readonly outcome: 'applied' | 'skipped';
  readonly reason: string | null;
  readonly changes: Array<{ kind: string; assigneeName?: string }>;
  readonly pushes: Array<PushResult & { kind: string; key: string }>;
}
