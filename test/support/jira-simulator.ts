/**
 * A Jira Cloud stand-in for tests: a real HTTP server on 127.0.0.1 that answers the REST calls issue-sync makes,
 * checks the Atlassian Connect JWT on every request (HS256 with the site's shared secret, `qsh` recomputed with
 * atlassian-jwt), keeps users / projects / issues / comments in memory, records every call, and can inject
 * faults (error answers, slow answers, answers that never come after Jira has acted).
 *
 * Also exports {@link buildIssueUpdatedPayload}, a realistic `jira:issue_updated` webhook body.
 */
import {
  createQueryStringHash,
  decodeSymmetric,
  fromMethodAndUrl,
  getAlgorithm,
  SymmetricAlgorithm,
} from 'atlassian-jwt';
import type { SimRequest, SimResponse } from './sim-core';
import { startSimServer } from './sim-core';

// ---------------------------------------------------------------------------------------------------------------
// Public types
// ---------------------------------------------------------------------------------------------------------------

export type StatusCategoryKey = 'new' | 'indeterminate' | 'done';

export interface SimUser {
  accountId: string;
  displayName: string;
  email: string;
  /** false: the profile hides the email, so `user/assignable/search` leaves `emailAddress` out. */
  emailVisible: boolean;
  /** Issue keys or project keys this user can be assigned in; undefined = everywhere. */
  assignableFor?: string[];
  /** Inactive users are never assignable. Default true. */
  active?: boolean;
}

export interface SimStatus {
  id: string;
  name: string;
  categoryKey: StatusCategoryKey;
}

export interface SimProject {
  id: string;
  key: string;
  name: string;
}

/** An entity property as Jira takes it inline on create and answers it with `expand=properties`. */
export interface SimProperty {
  key: string;
  value: unknown;
}

export interface SimComment {
  id: string;
  body: string;
  created: string;
  updated: string;
  /** Entity properties (sent on create or edit); answered only with `expand=properties`. */
  properties?: SimProperty[];
}

/** Live issue state; tests may read and change it directly. */
export interface SimIssue {
  id: string;
  key: string;
  projectId: string;
  projectKey: string;
  summary: string;
  description: string | null;
  statusId: string;
  assigneeAccountId: string | null;
  comments: SimComment[];
  /** Other fields sent on create (issuetype, custom fields, ...), answered back by GET issue. */
  extraFields: Record<string, unknown>;
  /** Issue entity properties, property key → value (set inline on create); searchable with JQL. */
  properties: Record<string, unknown>;
  created: string;
  updated: string;
}

export interface SimTransition {
  id: string;
  name: string;
  toStatusId: string;
}

export interface AddIssueInput {
  key: string;
  id?: string;
  projectId?: string;
  /** Defaults to the part of the key before the last `-`. */
  projectKey?: string;
  summary?: string;
  description?: string | null;
  /** Defaults to the first status of category `new`. */
  statusId?: string;
  assigneeAccountId?: string | null;
}

/** One request as the simulator saw it. `path` is relative to `baseUrl` (no context path). */
export interface RecordedCall {
  method: string;
  path: string;
  query: Record<string, string>;
  body: unknown;
  time: number;
  /** The Connect JWT was valid. */
  authorized: boolean;
  /** Status answered; undefined while held or never answered. */
  status?: number;
}

export interface CallMatch {
  method?: string;
  pathPrefix?: string;
}

export interface FailSpec {
  status: number;
  headers?: Record<string, string>;
  /** Default `{ errorMessages: ['Simulated HTTP <status>'], errors: {} }`. */
  body?: unknown;
}

export interface JiraSimulatorOptions {
  clientKey: string;
  sharedSecret: string;
  /** The JWT `iss` expected on requests; default 'issue-sync'. */
  appKey?: string;
  /** Serve under a context path, e.g. '/jira' (baseUrl then ends with it). */
  contextPath?: string;
}

export interface JiraSimulator {
  /** e.g. `http://127.0.0.1:54321` (plus the context path). */
  readonly baseUrl: string;
  readonly clientKey: string;
  readonly appKey: string;
  /** Every request so far, oldest first (live array). */
  readonly calls: readonly RecordedCall[];
  callsTo(method: string, pathPrefix: string): RecordedCall[];
  addUser(user: SimUser): SimUser;
  addProject(project: { id: string; key: string; name?: string }): SimProject;
  addIssue(input: AddIssueInput): SimIssue;
  /** The live issue by key or id. */
  issue(keyOrId: string): SimIssue | undefined;
  /** A copy of the issue's entity properties (property key → value); undefined for an unknown issue. */
  issueProperties(keyOrId: string): Record<string, unknown> | undefined;
  setStatuses(statuses: SimStatus[]): void;
  /** Transitions offered by this issue whatever its status; without this, one per other status. */
  setTransitions(issueKey: string, transitions: SimTransition[]): void;
  /** Fields create-issue requires in this project: field id → Jira's message when missing. */
  setRequiredFields(projectKey: string, fields: Record<string, string>): void;
  /**
   * Most issues one page of `GET /rest/api/2/search/jql` answers, whatever `maxResults` asks (Jira may answer fewer
   * than asked). Default {@link DEFAULT_SEARCH_PAGE_SIZE}; `reset()` restores it.
   */
  setSearchPageSize(n: number): void;
  /** The next `n` matching requests are answered with `spec` and have no effect. */
  failNext(match: CallMatch, n: number, spec: FailSpec): void;
  /** The next `n` matching requests wait `ms` before they are handled (the effect happens after the wait). */
  delayNext(match: CallMatch, ms: number, n?: number): void;
  /**
   * The next `n` matching requests take effect (a comment or issue is created, with its properties) but are not
   * answered until `releaseAll()` or the client leaves.
   */
  holdNext(match: CallMatch, n?: number): void;
  /** Answers every held request. */
  releaseAll(): void;
  /** Forgets state, calls and faults; back to the default statuses. */
  reset(): void;
  close(): Promise<void>;
}

/** Statuses every simulator starts with (ids as in the reference payloads). */
export const DEFAULT_SIM_STATUSES: readonly SimStatus[] = [
  { id: '10000', name: 'To Do', categoryKey: 'new' },
  { id: '3', name: 'In Progress', categoryKey: 'indeterminate' },
  { id: '10101', name: 'Done', categoryKey: 'done' },
];

const STATUS_CATEGORIES: Record<StatusCategoryKey, { id: number; key: string; colorName: string; name: string }> = {
  new: { id: 2, key: 'new', colorName: 'blue-gray', name: 'To Do' },
  indeterminate: { id: 4, key: 'indeterminate', colorName: 'yellow', name: 'In Progress' },
  done: { id: 3, key: 'done', colorName: 'green', name: 'Done' },
};

const JWT_SKEW_SECONDS = 30;
const MAX_BODY_BYTES = 1024 * 1024;
const MAX_PROPERTY_KEY_LENGTH = 255;
const MAX_PROPERTY_VALUE_BYTES = 32_768;
/** Page size cap of the enhanced search until `setSearchPageSize`. */
export const DEFAULT_SEARCH_PAGE_SIZE = 100;
/** Page size of the enhanced search when the request names none (as Jira). */
const SEARCH_DEFAULT_MAX_RESULTS = 50;
/** Jira Cloud's answer on the removed `/rest/api/{2,3}/search` (CHANGE-2046). */
export const REMOVED_SEARCH_BODY = {
  errorMessages: ['The requested API has been removed. Please migrate to the /rest/api/3/search/jql API.'],
  errors: {},
} as const;
/** The only JQL the simulator understands: `issue.property[<key>].<path> = "<value>"`. */
const PROPERTY_JQL =
  /^\s*issue\.property\[([^\]]+)\]\.([A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*$/;

// ---------------------------------------------------------------------------------------------------------------
// State and REST handlers
// ---------------------------------------------------------------------------------------------------------------

interface RequestContext {
  method: string;
  path: string;
  query: URLSearchParams;
  body: unknown;
  params: string[];
}

type Route = { method: string; pattern: RegExp; handle: (ctx: RequestContext) => SimResponse };

const json = (status: number, body?: unknown): SimResponse => ({ status, body });
const jiraError = (status: number, ...errorMessages: string[]): SimResponse =>
  json(status, { errorMessages, errors: {} });
const fieldErrors = (errors: Record<string, string>): SimResponse => json(400, { errorMessages: [], errors });

/** Jira's timestamp format: `2024-05-01T12:34:56.789+0000`. */
export function toJiraTime(date: Date | string | number): string {
  return new Date(date).toISOString().replace('Z', '+0000');
}

class JiraState {
  users = new Map<string, SimUser>();
  projects = new Map<string, SimProject>();
  issues: SimIssue[] = [];
  statuses: SimStatus[] = [...DEFAULT_SIM_STATUSES];
  transitions = new Map<string, SimTransition[]>();
  requiredFields = new Map<string, Record<string, string>>();
  searchPageSize = DEFAULT_SEARCH_PAGE_SIZE;
  private nextIssueId = 10001;
  private nextCommentId = 10001;
  private nextProjectId = 10000;

  constructor(private readonly baseUrl: () => string) {}

  readonly routes: Route[] = [
    { method: 'GET', pattern: /^\/rest\/api\/3\/user\/email$/, handle: (c) => this.userEmail(c) },
    { method: 'GET', pattern: /^\/rest\/api\/2\/user\/assignable\/search$/, handle: (c) => this.assignable(c) },
    {
      method: 'GET',
      pattern: /^\/rest\/api\/2\/status$/,
      handle: () =>
        json(
          200,
          this.statuses.map((s) => this.statusJson(s))
        ),
    },
    { method: 'POST', pattern: /^\/rest\/api\/2\/issue$/, handle: (c) => this.createIssue(c) },
    { method: 'GET', pattern: /^\/rest\/api\/2\/search\/jql$/, handle: (c) => this.search(c.query) },
    // The old search is gone from Jira Cloud: any stale caller must fail loudly.
    { method: 'GET', pattern: /^\/rest\/api\/[23]\/search$/, handle: () => json(410, REMOVED_SEARCH_BODY) },
    { method: 'POST', pattern: /^\/rest\/api\/[23]\/search$/, handle: () => json(410, REMOVED_SEARCH_BODY) },
    {
      method: 'GET',
      pattern: /^\/rest\/api\/2\/issue\/([^/]+)$/,
      handle: (c) => this.withIssue(c, (i) => this.getIssue(i)),
    },
    {
      method: 'PUT',
      pattern: /^\/rest\/api\/2\/issue\/([^/]+)\/assignee$/,
      handle: (c) => this.withIssue(c, (i) => this.assign(i, c.body)),
    },
    {
      method: 'GET',
      pattern: /^\/rest\/api\/2\/issue\/([^/]+)\/transitions$/,
      handle: (c) => this.withIssue(c, (i) => this.listTransitions(i)),
    },
    {
      method: 'POST',
      pattern: /^\/rest\/api\/2\/issue\/([^/]+)\/transitions$/,
      handle: (c) => this.withIssue(c, (i) => this.transition(i, c.body)),
    },
    {
      method: 'GET',
      pattern: /^\/rest\/api\/2\/issue\/([^/]+)\/comment$/,
      handle: (c) => this.withIssue(c, (i) => this.listComments(i, c.query)),
    },
    {
      method: 'POST',
      pattern: /^\/rest\/api\/2\/issue\/([^/]+)\/comment$/,
      handle: (c) => this.withIssue(c, (i) => this.addComment(i, c.body)),
    },
    {
      method: 'PUT',
      pattern: /^\/rest\/api\/2\/issue\/([^/]+)\/comment\/([^/]+)$/,
      handle: (c) => this.withIssue(c, (i) => this.updateComment(i, c.params[1] ?? '', c.body)),
    },
  ];

  handle(ctx: Omit<RequestContext, 'params'>): SimResponse {
    let pathKnown = false;
    for (const route of this.routes) {
      const m = route.pattern.exec(ctx.path);
      if (!m) continue;
      pathKnown = true;
      if (route.method !== ctx.method) continue;
      return route.handle({ ...ctx, params: m.slice(1).map((p) => decodeURIComponent(p)) });
    }
    return pathKnown ? jiraError(405, 'Method not allowed') : jiraError(404, 'No resource at this path');
  }

  // ----- state helpers -----

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

  private newProjectId(): string {
    while ([...this.projects.values()].some((p) => p.id === String(this.nextProjectId))) this.nextProjectId++;
    return String(this.nextProjectId++);
  }

  private initialStatusId(): string {
    const first = this.statuses.find((s) => s.categoryKey === 'new') ?? this.statuses[0];
    return first?.id ?? '10000';
  }

  private touch(issue: SimIssue): void {
    issue.updated = toJiraTime(Date.now());
  }

  // ----- JSON shapes -----

  private statusJson(s: SimStatus): unknown {
    const cat = STATUS_CATEGORIES[s.categoryKey];
    return {
      self: `${this.baseUrl()}/rest/api/2/status/${s.id}`,
      id: s.id,
      name: s.name,
      description: '',
      statusCategory: { self: `${this.baseUrl()}/rest/api/2/statuscategory/${cat.id}`, ...cat },
    };
  }

  private userJson(u: SimUser, withEmail: boolean): unknown {
    return {
      self: `${this.baseUrl()}/rest/api/2/user?accountId=${encodeURIComponent(u.accountId)}`,
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

  private commentJson(c: SimComment, withProperties = false): unknown {
    return {
      self: `${this.baseUrl()}/rest/api/2/issue/comment/${c.id}`,
      id: c.id,
      author: { accountId: 'connect-app', displayName: 'issue-sync', accountType: 'app', active: true },
      body: c.body,
      created: c.created,
      updated: c.updated,
      jsdPublic: true,
      ...(withProperties ? { properties: (c.properties ?? []).map((p) => ({ key: p.key, value: p.value })) } : {}),
    };
  }

  private statusById(id: string): SimStatus {
    return this.statuses.find((s) => s.id === id) ?? { id, name: id, categoryKey: 'indeterminate' };
  }

  // ----- handlers -----

  private withIssue(ctx: RequestContext, fn: (issue: SimIssue) => SimResponse): SimResponse {
    const issue = this.findIssue(ctx.params[0] ?? '');
    if (!issue) return jiraError(404, 'Issue does not exist or you do not have permission to see it.');
    return fn(issue);
  }

  private userEmail(ctx: RequestContext): SimResponse {
    const accountId = ctx.query.get('accountId');
    if (!accountId) return jiraError(400, 'accountId is required');
    const user = this.users.get(accountId);
    if (!user) return jiraError(404, `User with accountId '${accountId}' not found`);
    return json(200, { accountId, email: user.email });
  }

  private assignable(ctx: RequestContext): SimResponse {
    const issueKey = ctx.query.get('issueKey');
    const projectKey = ctx.query.get('project');
    if (!issueKey && !projectKey) return jiraError(400, "The parameters 'issueKey' or 'project' must be specified.");
    const issue = issueKey ? this.findIssue(issueKey) : undefined;
    if (issueKey && !issue) return jiraError(404, 'Issue does not exist or you do not have permission to see it.');
    const scope = issue ? [issue.key, issue.projectKey] : [projectKey ?? ''];
    const q = (ctx.query.get('query') ?? '').toLowerCase();
    const found = [...this.users.values()].filter(
      (u) =>
        u.active !== false &&
        (u.assignableFor === undefined || u.assignableFor.some((s) => scope.includes(s))) &&
        (u.email.toLowerCase().includes(q) || u.displayName.toLowerCase().includes(q))
    );
    return json(
      200,
      found.map((u) => this.userJson(u, true))
    );
  }

  private getIssue(issue: SimIssue): SimResponse {
    return json(200, {
      expand: 'renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations',
      id: issue.id,
      self: `${this.baseUrl()}/rest/api/2/issue/${issue.id}`,
      key: issue.key,
      fields: this.issueFields(issue),
    });
  }

  private issueFields(issue: SimIssue): Record<string, unknown> {
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

  private assign(issue: SimIssue, body: unknown): SimResponse {
    if (!isRecord(body) || !('accountId' in body)) return jiraError(400, 'accountId is required');
    const accountId = body.accountId;
    if (accountId === null) {
      issue.assigneeAccountId = null;
    } else {
      if (typeof accountId !== 'string') return fieldErrors({ assignee: 'accountId must be a string' });
      const user = this.users.get(accountId);
      const scope = [issue.key, issue.projectKey];
      if (
        !user ||
        user.active === false ||
        (user.assignableFor && !user.assignableFor.some((s) => scope.includes(s)))
      ) {
        return fieldErrors({ assignee: `User '${accountId}' cannot be assigned issues.` });
      }
      issue.assigneeAccountId = accountId;
    }
    this.touch(issue);
    return json(204);
  }

  private availableTransitions(issue: SimIssue): SimTransition[] {
    const configured = this.transitions.get(issue.key);
    if (configured) return configured;
    return this.statuses
      .map((s, index) => ({ id: String(11 + 10 * index), name: s.name, toStatusId: s.id }))
      .filter((t) => t.toStatusId !== issue.statusId);
  }

  private listTransitions(issue: SimIssue): SimResponse {
    const transitions = this.availableTransitions(issue).map((t) => ({
      id: t.id,
      name: t.name,
      to: this.statusJson(this.statusById(t.toStatusId)),
      hasScreen: false,
      isGlobal: true,
      isInitial: false,
      isAvailable: true,
      isConditional: false,
      isLooped: false,
    }));
    return json(200, { expand: 'transitions', transitions });
  }

  private transition(issue: SimIssue, body: unknown): SimResponse {
    const transition = isRecord(body) && isRecord(body.transition) ? body.transition : undefined;
    const id =
      transition && (typeof transition.id === 'string' || typeof transition.id === 'number')
        ? String(transition.id)
        : undefined;
    if (id === undefined) return jiraError(400, 'Missing transition id.');
    const t = this.availableTransitions(issue).find((x) => x.id === id);
    if (!t) return jiraError(400, `Transition id '${id}' is not valid for this issue.`);
    issue.statusId = t.toStatusId;
    this.touch(issue);
    return json(204);
  }

  private listComments(issue: SimIssue, query: URLSearchParams): SimResponse {
    const startAt = Math.max(0, Number(query.get('startAt') ?? '0') || 0);
    const maxResults = Math.max(1, Number(query.get('maxResults') ?? '5000') || 5000);
    const withProperties = expands(query, 'properties');
    const page = issue.comments.slice(startAt, startAt + maxResults);
    return json(200, {
      startAt,
      maxResults,
      total: issue.comments.length,
      comments: page.map((c) => this.commentJson(c, withProperties)),
    });
  }

  private addComment(issue: SimIssue, body: unknown): SimResponse {
    if (!isRecord(body) || typeof body.body !== 'string' || body.body === '') {
      return fieldErrors({ comment: 'Comment body can not be empty!' });
    }
    const properties = parseProperties(body.properties);
    if (typeof properties === 'string') return jiraError(400, properties);
    const now = toJiraTime(Date.now());
    const comment: SimComment = {
      id: String(this.nextCommentId++),
      body: body.body,
      created: now,
      updated: now,
      properties: properties ?? [],
    };
    issue.comments.push(comment);
    this.touch(issue);
    return json(201, this.commentJson(comment));
  }

  private updateComment(issue: SimIssue, commentId: string, body: unknown): SimResponse {
    const comment = issue.comments.find((c) => c.id === commentId);
    if (!comment) return jiraError(404, `Can not find a comment for the id: ${commentId}.`);
    if (!isRecord(body) || typeof body.body !== 'string' || body.body === '') {
      return fieldErrors({ comment: 'Comment body can not be empty!' });
    }
    const properties = parseProperties(body.properties);
    if (typeof properties === 'string') return jiraError(400, properties);
    if (properties) comment.properties = mergeProperties(comment.properties ?? [], properties);
    comment.body = body.body;
    comment.updated = toJiraTime(Date.now());
    this.touch(issue);
    return json(200, this.commentJson(comment));
  }

  private createIssue(ctx: RequestContext): SimResponse {
    const fields = isRecord(ctx.body) && isRecord(ctx.body.fields) ? ctx.body.fields : undefined;
    if (!fields) return jiraError(400, 'Request body must contain fields.');
    const properties = parseProperties(isRecord(ctx.body) ? ctx.body.properties : undefined);
    if (typeof properties === 'string') return jiraError(400, properties);
    const project = this.projectFor(fields.project);
    const errors = this.createErrors(fields, project);
    if (!project || Object.keys(errors).length > 0) return fieldErrors(errors);
    const issue = this.addIssue({
      key: `${project.key}-${this.nextIssueNumber(project.key)}`,
      projectKey: project.key,
      projectId: project.id,
      summary: String(fields.summary),
      description: typeof fields.description === 'string' ? fields.description : null,
      assigneeAccountId:
        isRecord(fields.assignee) && typeof fields.assignee.accountId === 'string' ? fields.assignee.accountId : null,
    });
    const { project: _p, summary: _s, description: _d, assignee: _a, ...extra } = fields;
    issue.extraFields = extra;
    for (const p of properties ?? []) issue.properties[p.key] = p.value;
    return json(201, { id: issue.id, key: issue.key, self: `${this.baseUrl()}/rest/api/2/issue/${issue.id}` });
  }

  /**
   * `GET /rest/api/2/search/jql` (enhanced search): only `issue.property[<key>].<path> = "<value>"` is understood.
   * Pages hold `min(maxResults, searchPageSize)` issues; `nextPageToken` (opaque, bound to the JQL) names the next
   * one and `isLast` says whether there is none. Without `fields` each issue is just `{ id }`, as in Jira Cloud.
   */
  private search(query: URLSearchParams): SimResponse {
    const jql = query.get('jql') ?? '';
    const m = PROPERTY_JQL.exec(jql);
    if (!m) {
      return jiraError(
        400,
        'Error in the JQL Query: the simulator only understands issue.property[<key>].<field> = "<value>".'
      );
    }
    const [, propertyKey = '', path = '', quoted = ''] = m;
    const wanted = quoted.replace(/\\(.)/g, '$1');
    const token = query.get('nextPageToken');
    const startAt = token === null ? 0 : decodePageToken(token, jql);
    if (startAt === undefined) return jiraError(400, 'The provided next page token is invalid or expired.');
    const asked = Math.floor(Number(query.get('maxResults') ?? SEARCH_DEFAULT_MAX_RESULTS));
    const pageSize = Math.min(
      this.searchPageSize,
      Number.isFinite(asked) && asked > 0 ? asked : SEARCH_DEFAULT_MAX_RESULTS
    );
    const wantedFields = query
      .getAll('fields')
      .flatMap((f) => f.split(','))
      .map((f) => f.trim())
      .filter((f) => f !== '');
    const all = wantedFields.some((f) => f === '*all' || f === '*navigable');
    const hits = this.issues.filter((issue) => {
      const value = valueAtPath(issue.properties[propertyKey], path);
      return (typeof value === 'string' || typeof value === 'number') && String(value) === wanted;
    });
    const end = startAt + pageSize;
    const isLast = end >= hits.length;
    return json(200, {
      issues: hits.slice(startAt, end).map((issue) => {
        if (wantedFields.length === 0) return { id: issue.id };
        const fields = this.issueFields(issue);
        return {
          expand: 'operations,versionedRepresentations,editmeta,changelog,renderedFields',
          id: issue.id,
          self: `${this.baseUrl()}/rest/api/2/issue/${issue.id}`,
          key: issue.key,
          fields: all ? fields : Object.fromEntries(wantedFields.filter((f) => f in fields).map((f) => [f, fields[f]])),
        };
      }),
      ...(isLast ? {} : { nextPageToken: encodePageToken(jql, end) }),
      isLast,
    });
  }

  private projectFor(ref: unknown): SimProject | undefined {
    if (!isRecord(ref)) return undefined;
    return [...this.projects.values()].find((p) => p.key === ref.key || p.id === String(ref.id));
  }

  private createErrors(fields: Record<string, unknown>, project: SimProject | undefined): Record<string, string> {
    const errors: Record<string, string> = {};
    if (!project) errors.project = 'Specify a valid project ID or key';
    if (!isRecord(fields.issuetype) || (fields.issuetype.id == null && fields.issuetype.name == null)) {
      errors.issuetype = 'Specify an issue type';
    }
    if (typeof fields.summary !== 'string' || fields.summary.trim() === '') {
      errors.summary = 'You must specify a summary of the issue.';
    }
    for (const [field, message] of Object.entries(project ? (this.requiredFields.get(project.key) ?? {}) : {})) {
      if (isMissing(fields[field])) errors[field] = message;
    }
    return errors;
  }

  private nextIssueNumber(projectKey: string): number {
    const numbers = this.issues
      .filter((i) => i.key.startsWith(`${projectKey}-`))
      .map((i) => Number(i.key.slice(projectKey.length + 1)))
      .filter((n) => Number.isFinite(n));
    return Math.max(0, ...numbers) + 1;
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isMissing(v: unknown): boolean {
  return v === undefined || v === null || v === '' || (Array.isArray(v) && v.length === 0);
}

/** `expand=a,b` names `what`. */
function expands(query: URLSearchParams, what: string): boolean {
  return query
    .getAll('expand')
    .flatMap((e) => e.split(','))
    .some((e) => e.trim() === what);
}

/** Inline `properties` of a create/edit body: undefined when absent, else the list, else Jira's error message. */
function parseProperties(raw: unknown): SimProperty[] | undefined | string {
  if (raw === undefined) return undefined;
  if (!Array.isArray(raw)) return 'properties must be a list of {key, value}.';
  const out: SimProperty[] = [];
  for (const p of raw) {
    if (!isRecord(p) || typeof p.key !== 'string' || p.key === '' || !('value' in p)) {
      return 'Each property needs a key and a value.';
    }
    if (p.key.length > MAX_PROPERTY_KEY_LENGTH) return 'The property key cannot be longer than 255 characters.';
    if (Buffer.byteLength(JSON.stringify(p.value) ?? '', 'utf8') > MAX_PROPERTY_VALUE_BYTES) {
      return 'The property value cannot be longer than 32768 bytes.';
    }
    out.push({ key: p.key, value: structuredClone(p.value) });
  }
  return mergeProperties([], out);
}

/** Later keys replace earlier ones; order of first appearance is kept. */
function mergeProperties(base: SimProperty[], updates: SimProperty[]): SimProperty[] {
  const merged = base.map((p) => ({ ...p }));
  for (const u of updates) {
    const existing = merged.find((p) => p.key === u.key);
    if (existing) existing.value = u.value;
    else merged.push({ ...u });
  }
  return merged;
}

/** An opaque page token (standard base64, so it carries `+`, `/` or `=` that must be percent-encoded and signed). */
function encodePageToken(jql: string, offset: number): string {
  return Buffer.from(JSON.stringify({ v: 1, jql, offset }), 'utf8').toString('base64');
}

/** The offset a token names, or undefined when it is not one of ours or was issued for another JQL. */
function decodePageToken(token: string, jql: string): number | undefined {
  try {
    const data: unknown = JSON.parse(Buffer.from(token, 'base64').toString('utf8'));
    if (!isRecord(data) || data.v !== 1 || data.jql !== jql) return undefined;
    const offset = data.offset;
    return typeof offset === 'number' && Number.isInteger(offset) && offset >= 0 ? offset : undefined;
  } catch {
    return undefined;
  }
}

function valueAtPath(value: unknown, path: string): unknown {
  let current = value;
  for (const part of path.split('.')) {
    if (!isRecord(current)) return undefined;
    current = current[part];
  }
  return current;
}

// ---------------------------------------------------------------------------------------------------------------
// Connect JWT check
// ---------------------------------------------------------------------------------------------------------------

interface AuthConfig {
  sharedSecret: string;
  appKey: string;
  baseUrl: string;
}

/** Returns null when the request carries a valid Connect JWT, else the reason (no secrets in it). */
function connectJwtProblem(
  method: string,
  rawUrl: string,
  authorization: string | undefined,
  auth: AuthConfig
): string | null {
  const token = authorization?.startsWith('JWT ')
    ? authorization.slice(4).trim()
    : new URL(rawUrl, 'http://local').searchParams.get('jwt');
  if (!token) return 'Missing Connect JWT';
  let claims: Record<string, unknown>;
  try {
    if (getAlgorithm(token) !== 'HS256') return 'JWT algorithm must be HS256';
    claims = decodeSymmetric(token, auth.sharedSecret, SymmetricAlgorithm.HS256) as Record<string, unknown>;
  } catch {
    return 'JWT signature verification failed';
  }
  if (claims.iss !== auth.appKey) return 'JWT issuer is not an installed app';
  const nowSeconds = Date.now() / 1000;
  if (typeof claims.exp !== 'number' || claims.exp + JWT_SKEW_SECONDS < nowSeconds) return 'JWT expired';
  if (typeof claims.iat !== 'number' || claims.iat - JWT_SKEW_SECONDS > nowSeconds) return 'JWT issued in the future';
  const expected = createQueryStringHash(fromMethodAndUrl(method, rawUrl), false, auth.baseUrl);
  if (claims.qsh !== expected) return 'JWT qsh does not match the request';
  return null;
}

// ---------------------------------------------------------------------------------------------------------------
// Server, recording, faults
// ---------------------------------------------------------------------------------------------------------------

const toPredicate =
  (match: CallMatch) =>
  (call: RecordedCall): boolean =>
    matches(match, call.method, call.path);

function matches(match: CallMatch, method: string, path: string): boolean {
  return (
    (match.method === undefined || match.method.toUpperCase() === method) &&
    (match.pathPrefix === undefined || path.startsWith(match.pathPrefix))
  );
}

/** Starts a simulator on 127.0.0.1 with a free port. Call `close()` when done. */
export async function startJiraSimulator(options: JiraSimulatorOptions): Promise<JiraSimulator> {
  const appKey = options.appKey ?? 'issue-sync';
  const contextPath = (options.contextPath ?? '').replace(/\/+$/, '');
  let baseUrl = '';
  let state = new JiraState(() => baseUrl);
  const problems = new WeakMap<RecordedCall, string | null>();

  const sim = await startSimServer<RecordedCall>({
    prefix: contextPath,
    maxBodyBytes: MAX_BODY_BYTES,
    contentType: 'application/json;charset=UTF-8',
    record(req: SimRequest): RecordedCall {
      const problem = connectJwtProblem(req.method, req.url, req.headers.authorization, {
        sharedSecret: options.sharedSecret,
        appKey,
        baseUrl,
      });
      const call: RecordedCall = {
        method: req.method,
        path: req.path,
        query: Object.fromEntries([...req.query].filter(([k]) => k !== 'jwt')),
        body: req.body,
        time: Date.now(),
        authorized: problem === null,
      };
      problems.set(call, problem);
      return call;
    },
    preflight(req, call) {
      if (req.raw === null) return jiraError(413, 'Request body too large');
      const problem = problems.get(call);
      return problem ? jiraError(401, problem) : undefined;
    },
    handle: (req) =>
      req.invalidJson
        ? jiraError(400, 'Unexpected character in request body')
        : safeHandle(state, req.method, req.path, req.query, req.body),
    answered(call, response, how) {
      if (how !== 'held') call.status = response.status;
    },
  });
  baseUrl = `${sim.origin}${contextPath}`;
  const { calls } = sim;
  const releaseAll = (): void => sim.releaseAll();

  return {
    baseUrl,
    clientKey: options.clientKey,
    appKey,
    calls,
    callsTo: (method, pathPrefix) => calls.filter((c) => matches({ method, pathPrefix }, c.method, c.path)),
    addUser: (user) => state.addUser(user),
    addProject: (project) => state.addProject(project),
    addIssue: (input) => state.addIssue(input),
    issue: (keyOrId) => state.findIssue(keyOrId),
    issueProperties: (keyOrId) => {
      const issue = state.findIssue(keyOrId);
      return issue ? structuredClone(issue.properties) : undefined;
    },
    setStatuses: (statuses) => {
      state.statuses = [...statuses];
    },
    setTransitions: (issueKey, transitions) => {
      state.transitions.set(issueKey, [...transitions]);
    },
    setRequiredFields: (projectKey, fields) => {
      state.requiredFields.set(projectKey, { ...fields });
    },
    setSearchPageSize: (n) => {
      if (!Number.isInteger(n) || n < 1) throw new Error('search page size must be a positive integer');
      state.searchPageSize = n;
    },
    failNext: (match, n, spec) =>
      sim.failNext(toPredicate(match), n, {
        status: spec.status,
        headers: spec.headers,
        body: spec.body ?? { errorMessages: [`Simulated HTTP ${spec.status}`], errors: {} },
      }),
    delayNext: (match, ms, n = 1) => sim.delayNext(toPredicate(match), n, ms),
    holdNext: (match, n = 1) => {
      sim.holdNext(toPredicate(match), n);
    },
    releaseAll,
    reset: () => {
      sim.reset();
      state = new JiraState(() => baseUrl);
    },
    close: () => sim.close(),
  };
}

function safeHandle(
  state: JiraState,
  method: string,
  path: string,
  query: URLSearchParams,
  body: unknown
): SimResponse {
  try {
    return state.handle({ method, path, query, body });
  } catch {
    return jiraError(500, 'Simulator error');
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Webhook payload builder
// ---------------------------------------------------------------------------------------------------------------

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

const DEFAULT_STATUS_BY_CATEGORY: Record<StatusCategoryKey, { id: string; name: string }> = {
  new: { id: '10000', name: 'To Do' },
  indeterminate: { id: '3', name: 'In Progress' },
  done: { id: '10101', name: 'Done' },
};

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
