/**
 * Typed Jira Cloud REST client for an Atlassian Connect app. No Temporal imports: every call throws
 * HttpError / NetworkError (from src/http.ts) or JiraResponseError, and the activities map them with failures.ts.
 *
 * Each request is signed the way a Connect app calls Jira: `Authorization: JWT <token>`, HS256 with the
 * installation's shared secret, claims `{ iss: appKey, iat, exp: iat + 180, qsh }`, where `qsh` is computed by
 * atlassian-jwt for the exact method, path (relative to the site's base URL, which may have a context path) and query.
 */
import { createQueryStringHash, encodeSymmetric, SymmetricAlgorithm } from 'atlassian-jwt';
import { z } from 'zod';
import { HttpError, requestJson } from '../../http';
import type { HttpRequest } from '../../http';

/** `system` on every error this client throws. */
export const JIRA_SYSTEM = 'Jira';

/** Connect app key used as the JWT `iss` when the site does not name one. */
export const DEFAULT_APP_KEY = 'issue-sync';

/** Lifetime of a request token, in seconds (Atlassian recommends 3 minutes). */
export const CONNECT_JWT_TTL_SECONDS = 180;

const COMMENT_PAGE_SIZE = 100;
const MAX_COMMENT_PAGES = 100;
const DEFAULT_SEARCH_MAX_RESULTS = 50;
/** Largest `maxResults` the enhanced search takes; Jira may still answer fewer per page. */
const MAX_SEARCH_PAGE_SIZE = 5000;
const MAX_SEARCH_PAGES = 20;

/**
 * Path of Jira's enhanced JQL search (see the note on {@link JiraClient.searchIssues}). The old
 * `GET /rest/api/2/search` was removed from Jira Cloud (CHANGE-2046) and now answers 410 Gone.
 */
export const JIRA_SEARCH_PATH = '/rest/api/2/search/jql';

/** One Jira Cloud site (a Connect installation). */
export interface JiraSite {
  /** e.g. `https://acme.atlassian.net`, possibly with a context path; a trailing `/` is ignored. */
  readonly baseUrl: string;
  readonly clientKey: string;
  readonly sharedSecret: string;
  /** The Connect app key (JWT `iss`); defaults to {@link DEFAULT_APP_KEY}. */
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
   * `GET /rest/api/2/search/jql` ({@link JIRA_SEARCH_PATH}), following `nextPageToken` until `isLast` or no token.
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

/** Jira answered 2xx with a body that lacks what we need. Carries field paths only, never values. */
export class JiraResponseError extends Error {
  override readonly name = 'JiraResponseError';
  constructor(
    readonly system: string,
    readonly what: string,
    readonly paths: readonly string[]
  ) {
    super(`${system} ${what} answered an unexpected body (${paths.join(', ') || 'root'})`);
  }
}

/** Input of {@link createConnectJwt}. */
export interface ConnectJwtInput {
  readonly method: string;
  /** Path relative to the site's base URL, starting with `/`, as sent (percent-encoded). */
  readonly path: string;
  readonly query?: JiraQuery;
  /** JWT `iss`: the app key when we call Jira, the client key when Jira calls us. */
  readonly issuer: string;
  readonly sharedSecret: string;
  /** Milliseconds since the epoch; defaults to now. */
  readonly now?: number;
  readonly ttlSeconds?: number;
}

/** Mints an Atlassian Connect HS256 token whose `qsh` binds it to one method + path + query. */
export function createConnectJwt(input: ConnectJwtInput): string {
  const iat = Math.floor((input.now ?? Date.now()) / 1000);
  const qsh = createQueryStringHash({
    method: input.method,
    pathname: input.path,
    query: definedEntries(input.query),
  });
  const claims = { iss: input.issuer, iat, exp: iat + (input.ttlSeconds ?? CONNECT_JWT_TTL_SECONDS), qsh };
  return encodeSymmetric(claims, input.sharedSecret, SymmetricAlgorithm.HS256);
}

/**
 * Reads Jira's 400 body `{ errorMessages: [...], errors: { field: message } }` from an HttpError.
 * Returns null for anything else (another status, a network error, a body of another shape).
 */
export function jiraFieldErrors(err: unknown): JiraFieldErrors | null {
  if (!(err instanceof HttpError) || err.status !== 400) return null;
  const parsed = jiraErrorBodySchema.safeParse(err.body);
  if (!parsed.success) return null;
  const fieldErrors: Record<string, string> = {};
  for (const [field, message] of Object.entries(parsed.data.errors ?? {})) {
    if (typeof message === 'string') fieldErrors[field] = message;
  }
  const messages = (parsed.data.errorMessages ?? []).filter((m): m is string => typeof m === 'string');
  if (Object.keys(fieldErrors).length === 0 && messages.length === 0) return null;
  return { fieldErrors, messages };
}

/** Builds the client for one site. */
export function createJiraClient(site: JiraSite, opts: JiraClientOptions): JiraClient {
  const call = createSignedCaller(site, opts);
  const issuePath = (issueKey: string, ...rest: string[]): string =>
    ['/rest/api/2/issue', encodeURIComponent(issueKey), ...rest].join('/');

  return {
    async getUserEmail(accountId) {
      const body = await call('GET', '/rest/api/3/user/email', 'user/email', { query: { accountId } });
      const email = parseBody(userEmailSchema, body, 'user/email').email;
      return email != null && email !== '' ? email : null;
    },

    async findAssignableUsers(issueKey, query) {
      const what = 'user/assignable/search';
      const body = await call('GET', '/rest/api/2/user/assignable/search', what, { query: { issueKey, query } });
      return parseBody(z.array(assignableUserSchema), body, what).map(toAssignableUser);
    },

    async setAssignee(issueKey, accountId) {
      await call('PUT', issuePath(issueKey, 'assignee'), 'issue/assignee', { body: { accountId } });
    },

    async getIssue(issueKey) {
      return parseBody(issueSchema, await call('GET', issuePath(issueKey), 'issue'), 'issue');
    },

    async getTransitions(issueKey) {
      const body = await call('GET', issuePath(issueKey, 'transitions'), 'issue/transitions');
      return parseBody(transitionsSchema, body, 'issue/transitions').transitions;
    },

    async transitionIssue(issueKey, transitionId) {
      const body = { transition: { id: transitionId } };
      await call('POST', issuePath(issueKey, 'transitions'), 'issue/transition', { body });
    },

    async createIssue(fields, properties) {
      const body = await call('POST', '/rest/api/2/issue', 'issue/create', {
        body: { fields, ...propertiesPart(properties) },
      });
      return parseBody(createdIssueSchema, body, 'issue/create');
    },

    async addComment(issueKey, body, properties) {
      const res = await call('POST', issuePath(issueKey, 'comment'), 'issue/comment/create', {
        body: { body, ...propertiesPart(properties) },
      });
      return { id: parseBody(commentSchema, res, 'issue/comment/create').id };
    },

    async updateComment(issueKey, commentId, body) {
      const path = issuePath(issueKey, 'comment', encodeURIComponent(commentId));
      await call('PUT', path, 'issue/comment/update', { body: { body } });
    },

    async listComments(issueKey, listOpts = {}) {
      const expand = listOpts.expandProperties === true;
      return listAllComments(expand, (startAt) =>
        call('GET', issuePath(issueKey, 'comment'), 'issue/comment/list', {
          query: {
            startAt: String(startAt),
            maxResults: String(COMMENT_PAGE_SIZE),
            expand: expand ? 'properties' : undefined,
          },
        })
      );
    },

    async searchIssues(jql, searchOpts = {}) {
      const limit = Math.max(1, Math.floor(searchOpts.maxResults ?? DEFAULT_SEARCH_MAX_RESULTS));
      const requested = searchOpts.fields ?? [];
      // Without `fields` the enhanced search answers ids only; `key` is the cheapest way to get keys too.
      const fields = requested.length > 0 ? requested.join(',') : 'key';
      const maxResults = String(Math.min(limit, MAX_SEARCH_PAGE_SIZE));
      const found: JiraSearchIssue[] = [];
      let nextPageToken: string | undefined;
      for (let page = 0; page < MAX_SEARCH_PAGES && found.length < limit; page++) {
        const body = await call('GET', JIRA_SEARCH_PATH, 'search', {
          query: { jql, fields, maxResults, nextPageToken },
        });
        const data = parseBody(searchPageSchema, body, 'search');
        found.push(...data.issues.slice(0, limit - found.length));
        if (data.isLast === true || !data.nextPageToken || data.nextPageToken === nextPageToken) break;
        nextPageToken = data.nextPageToken;
      }
      return found;
    },
  };
}

/**
 * The body of a comment quoting what a tracker user wrote, as Sentry posts it:
 * `"<authorName> wrote:\n\n{quote}<text>{quote}"` (Jira wiki markup, REST API v2).
 *
 * User text cannot break out of the quote or open another macro: every `{` and `}` in it is escaped with a
 * backslash (`\{quote\}` renders as the literal `{quote}`), and a backslash that would otherwise sit right before
 * one of those escapes or before the closing `{quote}` is followed by a zero-width space, so that no `\\` pair can
 * form and swallow an escape. Other wiki markup (`*bold*`, links) still renders inside the quote. The name gets the
 * same brace escaping and has line breaks folded to spaces, so it stays one line.
 */
export function jiraWikiQuote(authorName: string, text: string): string {
  const name = escapeWikiBraces(authorName.replace(/[\r\n]+/g, ' '));
  return `${name} wrote:\n\n{quote}${escapeWikiBraces(text)}{quote}`;
}

const ZERO_WIDTH_SPACE = '\u200b';

function escapeWikiBraces(text: string): string {
  return text.replace(/\\(?=[{}]|$)/g, `\\${ZERO_WIDTH_SPACE}`).replace(/[{}]/g, (brace) => `\\${brace}`);
}

function propertiesPart(properties: readonly JiraEntityProperty[] | undefined): {
  properties?: JiraEntityProperty[];
} {
  return properties === undefined ? {} : { properties: properties.map((p) => ({ key: p.key, value: p.value })) };
}

type Method = HttpRequest['method'];
type SignedCaller = (
  method: Method,
  path: string,
  what: string,
  extra?: { query?: JiraQuery; body?: unknown }
) => Promise<unknown>;

/** One function that signs, sends and returns the parsed body of a request to the site. */
function createSignedCaller(site: JiraSite, opts: JiraClientOptions): SignedCaller {
  const baseUrl = site.baseUrl.replace(/\/+$/, '');
  const issuer = site.appKey ?? DEFAULT_APP_KEY;
  const now = opts.now ?? Date.now;
  return async (method, path, what, extra = {}) => {
    const token = createConnectJwt({
      method,
      path,
      query: extra.query,
      issuer,
      sharedSecret: site.sharedSecret,
      now: now(),
    });
    const res = await requestJson<unknown>({
      method,
      url: baseUrl + path + queryString(extra.query),
      headers: { authorization: `JWT ${token}` },
      body: extra.body,
      timeoutMs: opts.timeoutMs,
      system: JIRA_SYSTEM,
      what,
    });
    return res.body;
  };
}

async function listAllComments(
  withProperties: boolean,
  fetchPage: (startAt: number) => Promise<unknown>
): Promise<JiraComment[]> {
  const all: JiraComment[] = [];
  for (let page = 0; page < MAX_COMMENT_PAGES; page++) {
    const data = parseBody(commentPageSchema, await fetchPage(all.length), 'issue/comment/list');
    all.push(
      ...data.comments.map((c) =>
        withProperties
          ? { id: c.id, body: c.body, properties: (c.properties ?? []).map((p) => ({ key: p.key, value: p.value })) }
          : { id: c.id, body: c.body }
      )
    );
    if (data.comments.length === 0 || data.total === undefined || all.length >= data.total) break;
  }
  return all;
}

function definedEntries(query: JiraQuery | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) out[k] = v;
  return out;
}

/**
 * The query string as sent, percent-encoded the way the `qsh` canonicalises it (RFC 3986: space is `%20`, never `+`),
 * so a JQL value such as `issue.property[issue-sync].requestId = "r-1"` reaches Jira exactly as it was signed.
 */
function queryString(query: JiraQuery | undefined): string {
  const qs = Object.entries(definedEntries(query))
    .map(([k, v]) => `${encodeRfc3986(k)}=${encodeRfc3986(v)}`)
    .join('&');
  return qs === '' ? '' : `?${qs}`;
}

function encodeRfc3986(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function parseBody<T>(schema: z.ZodType<T>, body: unknown, what: string): T {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  throw new JiraResponseError(
    JIRA_SYSTEM,
    what,
    parsed.error.issues.map((i) => i.path.join('.'))
  );
}

function toAssignableUser(u: z.infer<typeof assignableUserSchema>): JiraAssignableUser {
  return {
    accountId: u.accountId,
    ...(u.emailAddress ? { emailAddress: u.emailAddress } : {}),
    ...(u.displayName != null ? { displayName: u.displayName } : {}),
    ...(u.active != null ? { active: u.active } : {}),
  };
}

const idString = z.union([z.string(), z.number()]).transform(String);

const jiraErrorBodySchema = z.object({
  errorMessages: z.array(z.unknown()).optional(),
  errors: z.record(z.string(), z.unknown()).optional(),
});

const userEmailSchema = z.object({ accountId: z.string().optional(), email: z.string().nullish() });

const assignableUserSchema = z.object({
  accountId: z.string(),
  emailAddress: z.string().nullish(),
  displayName: z.string().nullish(),
  active: z.boolean().nullish(),
});

const issueSchema = z.object({
  id: idString,
  key: z.string(),
  fields: z.object({
    summary: z.string(),
    description: z.string().nullish(),
    status: z.object({ id: idString, name: z.string(), statusCategory: z.object({ key: z.string() }) }),
    project: z.object({ id: idString, key: z.string() }),
    assignee: z
      .object({ accountId: z.string() })
      .nullish()
      .transform((a) => a ?? null),
  }),
});

const transitionsSchema = z.object({
  transitions: z.array(z.object({ id: idString, name: z.string(), to: z.object({ id: idString, name: z.string() }) })),
});

const createdIssueSchema = z.object({ id: idString, key: z.string(), self: z.string() });

const commentSchema = z.object({ id: idString, body: z.string() });

const entityPropertySchema = z.object({ key: z.string(), value: z.unknown() });

const commentPageSchema = z.object({
  total: z.number().optional(),
  comments: z.array(commentSchema.extend({ properties: z.array(entityPropertySchema).optional() })),
});

const searchPageSchema = z.object({
  nextPageToken: z.string().nullish(),
  isLast: z.boolean().nullish(),
  issues: z.array(
    z.object({
      id: idString,
      key: z.string(),
      fields: z
        .record(z.string(), z.unknown())
        .nullish()
        .transform((f) => f ?? {}),
    })
  ),
});
