/**
 * The shapes the Jira client speaks: the site it signs for, what each call returns, and the {@link JiraClient}
 * interface itself (activities depend on the interface, so tests can hand them a fake).
 */

/** One Jira Cloud site (a Connect installation). */
export interface JiraSite {
  /** e.g. `https://acme.atlassian.net`, possibly with a context path; a trailing `/` is ignored. */
  readonly baseUrl: string;
  readonly clientKey: string;
  readonly sharedSecret: string;
  /** The Connect app key (JWT `iss`); defaults to `DEFAULT_APP_KEY` (connect-jwt.ts). */
  readonly appKey?: string;
}

export interface JiraClientOptions {
  /** Per-request timeout in milliseconds. */
  readonly timeoutMs: number;
  /** Clock for `iat`, in milliseconds since the epoch (tests). */
  readonly now?: () => number;
}

/** Query parameters of one request; `undefined` values are left out. */
export type JiraQuery = Readonly<Record<string, string | undefined>>;

/** A user from `user/assignable/search`. `emailAddress` is absent when the profile hides it. */
export interface JiraAssignableUser {
  readonly accountId: string;
  readonly emailAddress?: string;
  readonly displayName?: string;
  readonly active?: boolean;
}

export interface JiraIssue {
  readonly id: string;
  readonly key: string;
  readonly fields: {
    readonly summary: string;
    readonly description?: string | null;
    readonly status: { readonly id: string; readonly name: string; readonly statusCategory: { readonly key: string } };
    readonly project: { readonly id: string; readonly key: string };
    readonly assignee: { readonly accountId: string } | null;
  };
}

export interface JiraTransition {
  readonly id: string;
  readonly name: string;
  readonly to: { readonly id: string; readonly name: string };
}

export interface JiraCreatedIssue {
  readonly id: string;
  readonly key: string;
  readonly self: string;
}

/**
 * A Jira entity property as sent inline on create (`properties: [{ key, value }]`) and returned with
 * `expand=properties`. Anyone who can read the entity can read its properties: never put secrets or personal data in.
 */
export interface JiraEntityProperty {
  readonly key: string;
  readonly value: unknown;
}

export interface JiraComment {
  readonly id: string;
  readonly body: string;
  /** Only when listed with `expandProperties` (then always present, possibly empty). */
  readonly properties?: JiraEntityProperty[];
}

/** Options of {@link JiraClient.listComments}. */
export interface JiraListCommentsOptions {
  /** Ask for each comment's entity properties (`expand=properties`). */
  readonly expandProperties?: boolean;
}

/** Options of {@link JiraClient.searchIssues}. */
export interface JiraSearchOptions {
  /**
   * Fields to return (`fields=summary,status`). When absent (or empty) no fields are asked for and each result's
   * `fields` is `{}`; the client still asks for `key` (the enhanced search answers bare ids by default).
   */
  readonly fields?: readonly string[];
  /** Most issues to return in all (default 50); pages are fetched until this many or the last match. */
  readonly maxResults?: number;
}

/** One issue found by {@link JiraClient.searchIssues}; `fields` holds what was asked for, as Jira sent it. */
export interface JiraSearchIssue {
  readonly id: string;
  readonly key: string;
  readonly fields: Record<string, unknown>;
}

/** Jira's 400 body for a rejected create or edit, split into per-field errors and general messages. */
export interface JiraFieldErrors {
  readonly fieldErrors: Record<string, string>;
  readonly messages: string[];
}

/** The calls issue-sync makes to one Jira site. */
export interface JiraClient {
  /** Email of an account, regardless of profile visibility (needs the email scope); null when Jira returns none. */
  getUserEmail(accountId: string): Promise<string | null>;
  /** Users assignable to the issue whose email or name matches `query`. */
  findAssignableUsers(issueKey: string, query: string): Promise<JiraAssignableUser[]>;
  /** Assigns the issue; `null` unassigns it. */
  setAssignee(issueKey: string, accountId: string | null): Promise<void>;
  getIssue(issueKey: string): Promise<JiraIssue>;
  /** Transitions available from the issue's current status (never cached). */
  getTransitions(issueKey: string): Promise<JiraTransition[]>;
  transitionIssue(issueKey: string, transitionId: string): Promise<void>;
  /**
   * `fields` as Jira's create API takes them (`project`, `issuetype`, `summary`, custom fields, ...). `properties`
   * are stored on the new issue in the same request (e.g. an idempotency key that {@link searchIssues} can find).
   */
  createIssue(
    fields: Readonly<Record<string, unknown>>,
    properties?: readonly JiraEntityProperty[]
  ): Promise<JiraCreatedIssue>;
  /** Posts a wiki-markup comment; `properties` are stored on the comment in the same request. */
  addComment(issueKey: string, body: string, properties?: readonly JiraEntityProperty[]): Promise<{ id: string }>;
  updateComment(issueKey: string, commentId: string, body: string): Promise<void>;
  /** Every comment on the issue, oldest first (all pages); with `expandProperties`, each with its properties. */
  listComments(issueKey: string, opts?: JiraListCommentsOptions): Promise<JiraComment[]>;
  /**
   * Issues matching `jql`, at most `opts.maxResults` (default 50), in Jira's order. Uses the enhanced search
   * `GET /rest/api/2/search/jql` (`JIRA_SEARCH_PATH` in client.ts), following `nextPageToken` until `isLast` or no token.
   * The JQL, fields, page size and token go in the query string, so each request's JWT `qsh` covers them.
   *
   * Searching by an entity property (`issue.property[issue-sync].requestId = "r-1"`) only works when the app
   * descriptor indexes that property (`jiraEntityProperties`).
   *
   * Consistency: the enhanced search is eventually consistent. An issue created (or whose property was set)
   * a few seconds ago may not be found yet; Jira only guarantees read-after-write for issue ids passed in
   * `reconcileIssues`, which a check-before-create lookup cannot know, so this client does not send it. A caller
   * that searches for its own idempotency key before creating (as `jiraCreateIssue` does with the `issue-sync`
   * property's `requestId`) therefore accepts that a retry within seconds of a create that did happen might not
   * see it and create a duplicate. For `jiraCreateIssue` that window is not only the 30 s activity timeout: a
   * create that timed out on our side (the HTTP timeout, default 10 s) or got a 5xx after Jira committed it fails
   * the attempt at once, and the `jira` retry policy tries again after about 1 s.
   */
  searchIssues(jql: string, opts?: JiraSearchOptions): Promise<JiraSearchIssue[]>;
}
