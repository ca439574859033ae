/**
 * Typed Jira Cloud REST client for an Atlassian Connect app: {@link createJiraClient} builds the
 * {@link JiraClient} of one site. No Temporal imports: every call throws HttpError / NetworkError (src/http.ts) or
 * JiraResponseError (errors.ts), and the activities map them with failures.ts. Requests are signed by
 * signed-caller.ts (Connect JWT, connect-jwt.ts); bodies are checked by schemas.ts.
 */
import { z } from 'zod';
import {
  assignableUserSchema,
  commentPageSchema,
  commentSchema,
  createdIssueSchema,
  issueSchema,
  parseBody,
  searchPageSchema,
  toAssignableUser,
  transitionsSchema,
  userEmailSchema,
} from './schemas';
import { createSignedCaller } from './signed-caller';
import type {
  JiraClient,
  JiraClientOptions,
  JiraComment,
  JiraEntityProperty,
  JiraSearchIssue,
  JiraSite,
} from './types';

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

function propertiesPart(properties: readonly JiraEntityProperty[] | undefined): {
  properties?: JiraEntityProperty[];
} {
  return properties === undefined ? {} : { properties: properties.map((p) => ({ key: p.key, value: p.value })) };
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
