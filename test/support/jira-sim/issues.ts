/**
 * Issues: `GET /rest/api/2/issue/{issue}`, `POST /rest/api/2/issue` (create, with field errors as Jira gives them
 * and inline entity properties), `PUT …/{issue}/assignee`.
 */
import { isRecord, route } from '../sim-core';
import { fieldErrors, jiraError, json, type JiraRequest, type SimIssue, type SimProject } from './model';
import { parseProperties } from './properties';
import { onIssue, type JiraRoute, type JiraState } from './state';

const ISSUE_EXPAND = 'renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations';

function getIssue(state: JiraState, issue: SimIssue) {
  return json(200, state.issueJson(issue, ISSUE_EXPAND, state.issueFields(issue)));
}

function assign(state: JiraState, issue: SimIssue, { body }: JiraRequest) {
  if (!isRecord(body) || !('accountId' in body)) return jiraError(400, 'accountId is required');
  const accountId = body.accountId;
  if (accountId === null) {
    issue.assigneeAccountId = null;
  } else {
    if (typeof accountId !== 'string') return fieldErrors({ assignee: 'accountId must be a string' });
    const user = state.users.get(accountId);
    if (!user || !state.canAssign(user, [issue.key, issue.projectKey])) {
      return fieldErrors({ assignee: `User '${accountId}' cannot be assigned issues.` });
    }
    issue.assigneeAccountId = accountId;
  }
  state.touch(issue);
  return json(204);
}

function createIssue(state: JiraState, { body }: JiraRequest) {
  const fields = isRecord(body) && isRecord(body.fields) ? body.fields : undefined;
  if (!fields) return jiraError(400, 'Request body must contain fields.');
  const properties = parseProperties(isRecord(body) ? body.properties : undefined);
  if (typeof properties === 'string') return jiraError(400, properties);
  const project = projectFor(state, fields.project);
  const errors = createErrors(state, fields, project);
  if (!project || Object.keys(errors).length > 0) return fieldErrors(errors);
  const issue = state.addIssue({
    key: `${project.key}-${nextIssueNumber(state, project.key)}`,
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
  return json(201, { id: issue.id, key: issue.key, self: `${state.baseUrl}/rest/api/2/issue/${issue.id}` });
}

function projectFor(state: JiraState, ref: unknown): SimProject | undefined {
  if (!isRecord(ref)) return undefined;
  return [...state.projects.values()].find((p) => p.key === ref.key || p.id === String(ref.id));
}

function createErrors(
  state: JiraState,
  fields: Record<string, unknown>,
  project: SimProject | undefined
): Record<string, string> {
  const errors: Record<string, string> = {};
  if (!project) errors.project = 'Specify a valid project ID or key';
  if (!isRecord(fields.issuetype) || (fields.issuetype.id == null && fields.issuetype.name == null)) {
    errors.issuetype = 'Specify an issue type';
  }
  if (typeof fields.summary !== 'string' || fields.summary.trim() === '') {
    errors.summary = 'You must specify a summary of the issue.';
  }
  for (const [field, message] of Object.entries(project ? (state.requiredFields.get(project.key) ?? {}) : {})) {
    if (isMissing(fields[field])) errors[field] = message;
  }
  return errors;
}

function isMissing(v: unknown): boolean {
  return v === undefined || v === null || v === '' || (Array.isArray(v) && v.length === 0);
}

function nextIssueNumber(state: JiraState, projectKey: string): number {
  const numbers = state.issues
    .filter((i) => i.key.startsWith(`${projectKey}-`))
    .map((i) => Number(i.key.slice(projectKey.length + 1)))
    .filter((n) => Number.isFinite(n));
  return Math.max(0, ...numbers) + 1;
}

export const ISSUE_ROUTES: readonly JiraRoute[] = [
  route('POST', /^\/rest\/api\/2\/issue$/, createIssue),
  route('GET', /^\/rest\/api\/2\/issue\/([^/]+)$/, onIssue(getIssue)),
  route('PUT', /^\/rest\/api\/2\/issue\/([^/]+)\/assignee$/, onIssue(assign)),
];
