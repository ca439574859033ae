/**
 * The Jira simulator's in-memory site: users, projects, issues (with their comments and entity properties),
 * statuses, transitions, required create fields. Also the JSON shapes several resources answer (status, user,
 * issue fields), and the route type the resource modules fill.
 */
import type { Route, SimResponse } from '../sim-core';
import {
  DEFAULT_SIM_STATUSES,
  jiraError,
  NO_ISSUE,
  STATUS_CATEGORIES,
  toJiraTime,
  type AddIssueInput,
  type JiraRequest,
  type SimIssue,
  type SimProject,
  type SimStatus,
  type SimTransition,
  type SimUser,
} from './model';

/** Page size cap of the enhanced search until `setSearchPageSize`. */
export const DEFAULT_SEARCH_PAGE_SIZE = 100;

export type JiraHandler = (state: JiraState, req: JiraRequest) => SimResponse;
export type JiraRoute = Route<JiraHandler>;

/** A handler for `…/issue/{issueIdOrKey}…` paths: 404 as Jira answers it when the issue is unknown. */
export const onIssue =
  (fn: (state: JiraState, issue: SimIssue, req: JiraRequest) => SimResponse): JiraHandler =>
  (state, req) => {
    const issue = state.findIssue(req.params[0] ?? '');
    return issue ? fn(state, issue, req) : jiraError(404, NO_ISSUE);
  };

export class JiraState {
  readonly users = new Map<string, SimUser>();
  readonly projects = new Map<string, SimProject>();
  readonly issues: SimIssue[] = [];
  statuses: SimStatus[] = [...DEFAULT_SIM_STATUSES];
  readonly transitions = new Map<string, SimTransition[]>();
  readonly requiredFields = new Map<string, Record<string, string>>();
  searchPageSize = DEFAULT_SEARCH_PAGE_SIZE;
  private nextIssueId = 10001;
  private nextCommentId = 10001;
  private nextProjectId = 10000;

  /** `baseUrl` is read late: the server's port is known only once it listens. */
  constructor(private readonly base: () => string) {}

  get baseUrl(): string {
    return this.base();
  }

  addUser(user: SimUser): SimUser {
    const stored = { active: true, ...user };
    this.users.set(user.accountId, stored);
    return stored;
  }

  addProject(p: { id: string; key: string; name?: string }): SimProject {
    const project = { id: p.id, key: p.key, name: p.name ?? p.key };
    this.projects.set(p.key, project);
    return project;
  }

  addIssue(input: AddIssueInput): SimIssue {
    const projectKey = input.projectKey ?? input.key.replace(/-[^-]*$/, '');
    const project =
      this.projects.get(projectKey) ?? this.addProject({ id: input.projectId ?? this.newProjectId(), key: projectKey });
    const now = toJiraTime(Date.now());
    const issue: SimIssue = {
      id: input.id ?? String(this.nextIssueId++),
      key: input.key,
      projectId: input.projectId ?? project.id,
      projectKey,
      summary: input.summary ?? `Issue ${input.key}`,
      description: input.description ?? null,
      statusId: input.statusId ?? this.initialStatusId(),
      assigneeAccountId: input.assigneeAccountId ?? null,
      comments: [],
      extraFields: {},
      properties: {},
      created: now,
      updated: now,
    };
    this.issues.push(issue);
    return issue;
  }

  findIssue(keyOrId: string): SimIssue | undefined {
    return this.issues.find((i) => i.key === keyOrId || i.id === keyOrId);
  }

  newCommentId(): string {
    return String(this.nextCommentId++);
  }

  /** Marks the issue changed now, as Jira does on every edit. */
  touch(issue: SimIssue): void {
    issue.updated = toJiraTime(Date.now());
  }

  statusById(id: string): SimStatus {
    return this.statuses.find((s) => s.id === id) ?? { id, name: id, categoryKey: 'indeterminate' };
  }

  /** Whether the user may be assigned this issue (active, and assignable in the issue or its project). */
  canAssign(user: SimUser, scope: readonly string[]): boolean {
    return (
      user.active !== false && (user.assignableFor === undefined || user.assignableFor.some((s) => scope.includes(s)))
    );
  }

  private newProjectId(): string {
    while ([...this.projects.values()].some((p) => p.id === String(this.nextProjectId))) this.nextProjectId++;
    return String(this.nextProjectId++);
  }

  private initialStatusId(): string {
    const first = this.statuses.find((s) => s.categoryKey === 'new') ?? this.statuses[0];
    return first?.id ?? '10000';
  }

  // ----- JSON shapes shared by several resources -----

  statusJson(s: SimStatus): unknown {
    const cat = STATUS_CATEGORIES[s.categoryKey];
    return {
      self: `${this.baseUrl}/rest/api/2/status/${s.id}`,
      id: s.id,
      name: s.name,
      description: '',
      statusCategory: { self: `${this.baseUrl}/rest/api/2/statuscategory/${cat.id}`, ...cat },
    };
  }

  userJson(u: SimUser, withEmail: boolean): unknown {
    return {
      self: `${this.baseUrl}/rest/api/2/user?accountId=${encodeURIComponent(u.accountId)}`,
      accountId: u.accountId,
      accountType: 'atlassian',
      ...(withEmail && u.emailVisible ? { emailAddress: u.email } : {}),
      avatarUrls: { '48x48': `https://avatar.example/${encodeURIComponent(u.accountId)}.png` },
      displayName: u.displayName,
      active: u.active !== false,
      timeZone: 'Etc/UTC',
      locale: 'en_US',
    };
  }

  /** `fields` of GET issue and of search hits. */
  issueFields(issue: SimIssue): Record<string, unknown> {
    const assignee = issue.assigneeAccountId ? this.users.get(issue.assigneeAccountId) : undefined;
    const project = this.projects.get(issue.projectKey);
    return {
      ...issue.extraFields,
      summary: issue.summary,
      description: issue.description,
      status: this.statusJson(this.statusById(issue.statusId)),
      project: {
        id: issue.projectId,
        key: issue.projectKey,
        name: project?.name ?? issue.projectKey,
        projectTypeKey: 'software',
      },
      assignee: assignee
        ? this.userJson(assignee, true)
        : issue.assigneeAccountId
          ? { accountId: issue.assigneeAccountId }
          : null,
      created: issue.created,
      updated: issue.updated,
    };
  }

  /** The body of GET issue and of a search hit. */
  issueJson(issue: SimIssue, expand: string, fields: Record<string, unknown>): unknown {
    return { expand, id: issue.id, self: `${this.baseUrl}/rest/api/2/issue/${issue.id}`, key: issue.key, fields };
  }
}
