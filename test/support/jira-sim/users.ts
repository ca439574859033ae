/** Users: `GET /rest/api/3/user/email` and `GET /rest/api/2/user/assignable/search`. */
import { route } from '../sim-core';
import { jiraError, json, NO_ISSUE, type JiraRequest } from './model';
import type { JiraRoute, JiraState } from './state';

function userEmail(state: JiraState, req: JiraRequest) {
  const accountId = req.query.get('accountId');
  if (!accountId) return jiraError(400, 'accountId is required');
  const user = state.users.get(accountId);
  if (!user) return jiraError(404, `User with accountId '${accountId}' not found`);
  return json(200, { accountId, email: user.email });
}

/** Users assignable in `issueKey` (or `project`) whose email or display name contains `query`. */
function assignable(state: JiraState, req: JiraRequest) {
  const issueKey = req.query.get('issueKey');
  const projectKey = req.query.get('project');
  if (!issueKey && !projectKey) return jiraError(400, "The parameters 'issueKey' or 'project' must be specified.");
  const issue = issueKey ? state.findIssue(issueKey) : undefined;
  if (issueKey && !issue) return jiraError(404, NO_ISSUE);
  const scope = issue ? [issue.key, issue.projectKey] : [projectKey ?? ''];
  const q = (req.query.get('query') ?? '').toLowerCase();
  const found = [...state.users.values()].filter(
    (u) => state.canAssign(u, scope) && (u.email.toLowerCase().includes(q) || u.displayName.toLowerCase().includes(q))
  );
  return json(
    200,
    found.map((u) => state.userJson(u, true))
  );
}

export const USER_ROUTES: readonly JiraRoute[] = [
  route('GET', /^\/rest\/api\/3\/user\/email$/, userEmail),
  route('GET', /^\/rest\/api\/2\/user\/assignable\/search$/, assignable),
];
