/**
 * Tracker enums and the plain data types that cross the workflow boundary. No imports: this file is part of
 * the workflow bundle and of every activity.
 */

export const GroupStatus = { Unresolved: 0, Resolved: 1, Ignored: 2 } as const;
export type GroupStatus = (typeof GroupStatus)[keyof typeof GroupStatus];

export const GroupSubstatus = {
  UntilEscalating: 1,
  Escalating: 2,
  Ongoing: 3,
  Forever: 5,
  Regressed: 6,
  New: 7,
} as const;

export const ActivityType = {
  SetResolved: 1,
  SetUnresolved: 2,
  SetIgnored: 3,
  CreateIssue: 7,
  Note: 8,
  Assigned: 11,
  Unassigned: 12,
  SetResolvedInRelease: 13,
} as const;

export const HistoryStatus = {
  Unresolved: 0,
  Resolved: 1,
  Ignored: 3,
  Assigned: 5,
  Unassigned: 6,
  SetResolvedInRelease: 11,
  ArchivedUntilEscalating: 15,
  ArchivedForever: 16,
} as const;

export const SubscriptionReason = { Comment: 1, Assigned: 2 } as const;

/** group_links.linked_type for an external issue. Every lookup filters on it. */
export const LINKED_TYPE_EXTERNAL_ISSUE = 3;
export const RELATIONSHIP_REFERENCES = 2;

export type Provider = 'jira' | 'discord' | 'msteams';

/** Where a change came from. Outbound syncs skip `integrationId` (echo prevention, fail-closed). */
export interface ChangeSource {
  readonly provider: Provider | 'api';
  readonly integrationId: number | null;
  /** Delivery key or request id: part of every idempotency key written for this change. */
  readonly key: string;
  /** Short human label for messages, e.g. the Jira issue key. */
  readonly label?: string;
  /** Acting tracker user, when a person did it (chat, API). */
  readonly actorUserId?: number | null;
}

/** Who a change assigns: a user, a team, nobody, or (inbound) a user to be found by email hash. */
export type AssigneeTarget =
  | { readonly kind: 'none' }
  | { readonly kind: 'user'; readonly userId: number }
  | { readonly kind: 'team'; readonly teamId: number }
  | { readonly kind: 'email'; readonly emailSha256: string; readonly accountId: string | null }
  /** A Jira accountId linked to a user per org through external_actors (resolved per group's org). */
  | { readonly kind: 'actor'; readonly accountId: string };

/** Inbound Jira only produces resolved/unresolved; the API and chat actions can also archive (ignore). */
export type StatusTarget = 'resolved' | 'unresolved' | 'ignored';

export type ResolutionStrategy = 'resolve' | 'resolve_current_release' | 'resolve_next_release';

/** What happened to one group, for caches, messages and the workflow result. */
export interface GroupChange {
  readonly groupId: number;
  readonly kind:
    | 'assigned'
    | 'unassigned'
    | 'resolved'
    | 'resolved_in_release'
    | 'resolved_in_next_release'
    | 'unresolved'
    | 'archived';
  readonly assigneeName?: string;
  readonly assigneeType?: 'user' | 'team';
  /** For assign/unassign: what the group had before (team assignments are never pushed to Jira). */
  readonly previousAssigneeType?: 'user' | 'team';
}

/** A group that was looked at but not changed, and why (in words a person understands). */
export interface GroupSkip {
  readonly groupId: number | null;
  readonly reason: string;
}

export interface ApplyResult {
  readonly changed: GroupChange[];
  readonly skipped: GroupSkip[];
}

export type Outcome = 'applied' | 'skipped' | 'failed';
