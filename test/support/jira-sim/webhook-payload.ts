/** {@link buildIssueUpdatedPayload}: a realistic `jira:issue_updated` webhook body, as Jira Cloud sends it to a Connect app. */
import { DEFAULT_SIM_STATUSES, STATUS_CATEGORIES, toJiraTime, type StatusCategoryKey } from './model';

export type ChangedField = 'assignee' | 'status' | 'Key' | 'project';

export interface IssueUpdatedPayloadInput {
  issue: { id: string; key: string; projectId?: string; projectKey?: string };
  /** `null` = unassigned; undefined = no `assignee` key in `fields`. */
  assignee?: { accountId: string; displayName?: string; emailAddress?: string } | null;
  statusCategoryKey?: StatusCategoryKey;
  statusName?: string;
  statusId?: string;
  changedFields: ChangedField[];
  /** ISO time; written in Jira's format (`...+0000`). */
  updated: string;
  /** ms since the epoch; default the `updated` time. */
  timestamp?: number;
  changelogId?: string;
  omitFields?: boolean;
  omitChangelog?: boolean;
  /** Previous values for the changelog `from` side. */
  from?: {
    assignee?: { accountId: string; displayName?: string } | null;
    status?: { id: string; name: string };
    key?: string;
    project?: { id: string; key: string };
  };
  /** The actor (`user`); default a fixed Jira user. */
  actor?: { accountId: string; displayName: string };
  summary?: string;
  /** Site URL used in `self` links; default `https://example.atlassian.net`. */
  siteUrl?: string;
}

let changelogCounter = 10172;

/** The simulator's default status of each category. */
const DEFAULT_STATUS_BY_CATEGORY = Object.fromEntries(
  DEFAULT_SIM_STATUSES.map((s) => [s.categoryKey, { id: s.id, name: s.name }])
) as Record<StatusCategoryKey, { id: string; name: string }>;

/** A `jira:issue_updated` body shaped like the ones Jira Cloud sends to a Connect app. */
export function buildIssueUpdatedPayload(input: IssueUpdatedPayloadInput): Record<string, unknown> {
  const site = input.siteUrl ?? 'https://example.atlassian.net';
  const payload: Record<string, unknown> = {
    timestamp: input.timestamp ?? Date.parse(input.updated),
    webhookEvent: 'jira:issue_updated',
    issue_event_type_name: eventTypeName(input.changedFields),
    user: payloadUser(site, input.actor ?? { accountId: '5b10ac8d82e05b22cc7d4ef5', displayName: 'Jess' }),
    issue: {
      id: input.issue.id,
      self: `${site}/rest/api/2/issue/${input.issue.id}`,
      key: input.issue.key,
      ...(input.omitFields ? {} : { fields: payloadFields(site, input) }),
    },
  };
  if (!input.omitChangelog) {
    payload.changelog = { id: input.changelogId ?? String(changelogCounter++), items: changelogItems(input) };
  }
  return payload;
}

function eventTypeName(changed: ChangedField[]): string {
  if (changed.includes('Key') || changed.includes('project')) return 'issue_moved';
  if (changed.length > 0 && changed.every((f) => f === 'assignee')) return 'issue_assigned';
  return 'issue_generic';
}

function payloadUser(
  site: string,
  u: { accountId: string; displayName?: string; emailAddress?: string }
): Record<string, unknown> {
  return {
    self: `${site}/rest/api/2/user?accountId=${encodeURIComponent(u.accountId)}`,
    accountId: u.accountId,
    avatarUrls: { '48x48': `https://avatar.example/${encodeURIComponent(u.accountId)}.png` },
    displayName: u.displayName ?? u.accountId,
    ...(u.emailAddress !== undefined ? { emailAddress: u.emailAddress } : {}),
    active: true,
    timeZone: 'Etc/UTC',
    accountType: 'atlassian',
  };
}

function payloadStatus(input: IssueUpdatedPayloadInput): { id: string; name: string; category: StatusCategoryKey } {
  const category = input.statusCategoryKey ?? 'new';
  const fallback = DEFAULT_STATUS_BY_CATEGORY[category];
  return { id: input.statusId ?? fallback.id, name: input.statusName ?? fallback.name, category };
}

function payloadProject(input: IssueUpdatedPayloadInput): { id: string; key: string } {
  return {
    id: input.issue.projectId ?? '10000',
    key: input.issue.projectKey ?? input.issue.key.replace(/-[^-]*$/, ''),
  };
}

function payloadFields(site: string, input: IssueUpdatedPayloadInput): Record<string, unknown> {
  const status = payloadStatus(input);
  const cat = STATUS_CATEGORIES[status.category];
  const project = payloadProject(input);
  const updated = toJiraTime(input.updated);
  return {
    summary: input.summary ?? `Issue ${input.issue.key}`,
    issuetype: { self: `${site}/rest/api/2/issuetype/10004`, id: '10004', name: 'Bug', subtask: false },
    project: {
      self: `${site}/rest/api/2/project/${project.id}`,
      id: project.id,
      key: project.key,
      name: project.key,
      projectTypeKey: 'software',
    },
    ...(input.assignee === undefined
      ? {}
      : { assignee: input.assignee === null ? null : payloadUser(site, input.assignee) }),
    status: {
      self: `${site}/rest/api/2/status/${status.id}`,
      description: '',
      name: status.name,
      id: status.id,
      statusCategory: {
        self: `${site}/rest/api/2/statuscategory/${cat.id}`,
        id: cat.id,
        key: cat.key,
        colorName: cat.colorName,
        name: cat.name,
      },
    },
    created: updated,
    updated,
  };
}

function changelogItems(input: IssueUpdatedPayloadInput): Array<Record<string, unknown>> {
  return input.changedFields.map((field) => {
    switch (field) {
      case 'assignee':
        return assigneeItem(input);
      case 'status':
        return statusItem(input);
      case 'Key':
        return {
          field: 'Key',
          fieldtype: 'jira',
          from: null,
          fromString: input.from?.key ?? `${input.from?.project?.key ?? 'OLD'}-1`,
          to: null,
          toString: input.issue.key,
        };
      case 'project': {
        const to = payloadProject(input);
        const from = input.from?.project ?? { id: '10099', key: 'OLD' };
        return {
          field: 'project',
          fieldtype: 'jira',
          fieldId: 'project',
          from: from.id,
          fromString: from.key,
          to: to.id,
          toString: to.key,
        };
      }
    }
  });
}

function assigneeItem(input: IssueUpdatedPayloadInput): Record<string, unknown> {
  const from = input.from?.assignee ?? null;
  const to = input.assignee ?? null;
  return {
    field: 'assignee',
    fieldtype: 'jira',
    fieldId: 'assignee',
    from: from?.accountId ?? null,
    fromString: from ? (from.displayName ?? from.accountId) : null,
    to: to?.accountId ?? null,
    toString: to ? (to.displayName ?? to.accountId) : null,
  };
}

function statusItem(input: IssueUpdatedPayloadInput): Record<string, unknown> {
  const to = payloadStatus(input);
  const from =
    input.from?.status ??
    (to.category === 'done' ? DEFAULT_STATUS_BY_CATEGORY.indeterminate : DEFAULT_STATUS_BY_CATEGORY.done);
  return {
    field: 'status',
    fieldtype: 'jira',
    fieldId: 'status',
    from: from.id,
    fromString: from.name,
    to: to.id,
    toString: to.name,
  };
}
