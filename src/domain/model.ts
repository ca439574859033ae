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

/** The systems an integration can be (integrations.provider). The one definition; import it, never repeat it. */
export const PROVIDERS = ['jira', 'discord', 'msteams'] as const;
export type Provider = (typeof PROVIDERS)[number];
/** Chat systems: alerts are posted there and refreshed on every change. */
export type ChatProvider = Exclude<Provider, 'jira'>;
/** Where a change can come from: an integration, or the tracker's own API. */
export type ChangeProvider = Provider | 'api';

/** Where a change came from. Outbound syncs skip `integrationId` (echo prevention, fail-closed). */
export interface ChangeSource {
  readonly provider: ChangeProvider;
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
  | AssigneeChoice
  | { readonly kind: 'email'; readonly emailSha256: string; readonly accountId: string | null }
  /** A Jira accountId linked to a user per org through external_actors (resolved per group's org). */
  | { readonly kind: 'actor'; readonly accountId: string };

/** A person's choice of assignee (API, Discord, Teams): a user, a team, or nobody. */
export type AssigneeChoice =
  | { readonly kind: 'none' }
  | { readonly kind: 'user'; readonly userId: number }
  | { readonly kind: 'team'; readonly teamId: number };

export type AssigneeType = 'user' | 'team';

/** Inbound Jira only produces resolved/unresolved; the API and chat actions can also archive (ignore). */
export type StatusTarget = 'resolved' | 'unresolved' | 'ignored';

export type ResolutionStrategy = 'resolve' | 'resolve_current_release' | 'resolve_next_release';

export type ArchiveSubstatus = 'archived_until_escalating' | 'archived_forever';

/** A person's status change: the target, how to resolve, and for archive how long. */
export interface StatusRequest {
  readonly target: StatusTarget;
  readonly strategy?: ResolutionStrategy;
  readonly archiveSubstatus?: ArchiveSubstatus;
}

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
  readonly assigneeType?: AssigneeType;
  /** For assign/unassign: what the group had before (team assignments are never pushed to Jira). */
  readonly previousAssigneeType?: AssigneeType;
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

/** Result of one push to Jira (assignee, status or comment): what happened, and why in words. */
export interface PushResult {
  readonly outcome: Outcome;
  readonly reason: string | null;
}

/** A push activity's answer while its Jira site is paused by an operator: nothing was sent, try again later. */
export interface PausedPush {
  readonly outcome: 'paused';
  readonly reason: string;
}
