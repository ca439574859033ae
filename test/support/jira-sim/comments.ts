/**
 * Comments: `GET|POST /rest/api/2/issue/{issue}/comment` and `PUT …/comment/{id}`. Properties sent inline are
 * kept, and answered only with `expand=properties`.
 */
import { isRecord, route, type SimResponse } from '../sim-core';
import { fieldErrors, jiraError, json, toJiraTime, type JiraRequest, type SimComment, type SimIssue } from './model';
import { mergeProperties, parseProperties } from './properties';
import { onIssue, type JiraRoute, type JiraState } from './state';

function commentJson(state: JiraState, c: SimComment, withProperties = false): unknown {
  return {
    self: `${state.baseUrl}/rest/api/2/issue/comment/${c.id}`,
    id: c.id,
    author: { accountId: 'connect-app', displayName: 'issue-sync', accountType: 'app', active: true },
    body: c.body,
    created: c.created,
    updated: c.updated,
    jsdPublic: true,
    ...(withProperties ? { properties: (c.properties ?? []).map((p) => ({ key: p.key, value: p.value })) } : {}),
  };
}

/** `expand=a,b` names `what`. */
function expands(query: URLSearchParams, what: string): boolean {
  return query
    .getAll('expand')
    .flatMap((e) => e.split(','))
    .some((e) => e.trim() === what);
}

function listComments(state: JiraState, issue: SimIssue, { query }: JiraRequest) {
  const startAt = Math.max(0, Number(query.get('startAt') ?? '0') || 0);
  const maxResults = Math.max(1, Number(query.get('maxResults') ?? '5000') || 5000);
  const withProperties = expands(query, 'properties');
  const page = issue.comments.slice(startAt, startAt + maxResults);
  return json(200, {
    startAt,
    maxResults,
    total: issue.comments.length,
    comments: page.map((c) => commentJson(state, c, withProperties)),
  });
}

/** The text and inline properties of a create/edit body, or Jira's 400. */
function readComment(body: unknown): { text: string; properties: SimComment['properties'] } | SimResponse {
  if (!isRecord(body) || typeof body.body !== 'string' || body.body === '') {
    return fieldErrors({ comment: 'Comment body can not be empty!' });
  }
  const properties = parseProperties(body.properties);
  if (typeof properties === 'string') return jiraError(400, properties);
  return { text: body.body, properties };
}

function addComment(state: JiraState, issue: SimIssue, { body }: JiraRequest) {
  const read = readComment(body);
  if ('status' in read) return read;
  const now = toJiraTime(Date.now());
  const comment: SimComment = {
    id: state.newCommentId(),
    body: read.text,
    created: now,
    updated: now,
    properties: read.properties ?? [],
  };
  issue.comments.push(comment);
  state.touch(issue);
  return json(201, commentJson(state, comment));
}

function updateComment(state: JiraState, issue: SimIssue, { params, body }: JiraRequest) {
  const commentId = params[1] ?? '';
  const comment = issue.comments.find((c) => c.id === commentId);
  if (!comment) return jiraError(404, `Can not find a comment for the id: ${commentId}.`);
  const read = readComment(body);
  if ('status' in read) return read;
  if (read.properties) comment.properties = mergeProperties(comment.properties ?? [], read.properties);
  comment.body = read.text;
  comment.updated = toJiraTime(Date.now());
  state.touch(issue);
  return json(200, commentJson(state, comment));
}

const COMMENTS = /^\/rest\/api\/2\/issue\/([^/]+)\/comment$/;

export const COMMENT_ROUTES: readonly JiraRoute[] = [
  route('GET', COMMENTS, onIssue(listComments)),
  route('POST', COMMENTS, onIssue(addComment)),
  route('PUT', /^\/rest\/api\/2\/issue\/([^/]+)\/comment\/([^/]+)$/, onIssue(updateComment)),
];
