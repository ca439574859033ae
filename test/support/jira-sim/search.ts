/**
 * Search. `GET /rest/api/2/search/jql` (enhanced search) understands only
 * `issue.property[<key>].<path> = "<value>"`; pages hold `min(maxResults, searchPageSize)` issues, `nextPageToken`
 * (opaque, bound to the JQL) names the next one and `isLast` says whether there is none. Without `fields` each
 * issue is just `{ id }`, as in Jira Cloud. The removed `/rest/api/{2,3}/search` answers 410.
 */
import { isRecord, route } from '../sim-core';
import { jiraError, json, type JiraRequest } from './model';
import type { JiraRoute, JiraState } from './state';

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
const HIT_EXPAND = 'operations,versionedRepresentations,editmeta,changelog,renderedFields';

function search(state: JiraState, { query }: JiraRequest) {
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
    state.searchPageSize,
    Number.isFinite(asked) && asked > 0 ? asked : SEARCH_DEFAULT_MAX_RESULTS
  );
  const wantedFields = query
    .getAll('fields')
    .flatMap((f) => f.split(','))
    .map((f) => f.trim())
    .filter((f) => f !== '');
  const all = wantedFields.some((f) => f === '*all' || f === '*navigable');
  const hits = state.issues.filter((issue) => {
    const value = valueAtPath(issue.properties[propertyKey], path);
    return (typeof value === 'string' || typeof value === 'number') && String(value) === wanted;
  });
  const end = startAt + pageSize;
  const isLast = end >= hits.length;
  return json(200, {
    issues: hits.slice(startAt, end).map((issue) => {
      if (wantedFields.length === 0) return { id: issue.id };
      const fields = state.issueFields(issue);
      const picked = Object.fromEntries(wantedFields.filter((f) => f in fields).map((f) => [f, fields[f]]));
      return state.issueJson(issue, HIT_EXPAND, all ? fields : picked);
    }),
    ...(isLast ? {} : { nextPageToken: encodePageToken(jql, end) }),
    isLast,
  });
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

const REMOVED_SEARCH = /^\/rest\/api\/[23]\/search$/;
const removed = () => json(410, REMOVED_SEARCH_BODY);

export const SEARCH_ROUTES: readonly JiraRoute[] = [
  route('GET', /^\/rest\/api\/2\/search\/jql$/, search),
  // The old search is gone from Jira Cloud: any stale caller must fail loudly.
  route('GET', REMOVED_SEARCH, removed),
  route('POST', REMOVED_SEARCH, removed),
];
